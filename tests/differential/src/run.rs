//! Sends the corpus to one broker, case by case, each on its own connection
//! (a case that makes the broker close its connection cannot disturb the
//! next), and keeps each answer normalised.

use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use bytes::Buf;

use crate::corpus::{Case, Ctx, Mutation};
use crate::normalise::normalise;
use crate::tree::Tree;
use crate::wire::{self, Connection, Reply};

/// A settling step is retried at most this often, and for at most this long.
const SETTLE_TRIES: usize = 150;
const SETTLE_TIME: Duration = Duration::from_secs(30);
/// The whole corpus gets this long on one broker; cases after it are not
/// sent (and show as such), so a broker that stalls cannot stall the run.
const BUDGET: Duration = Duration::from_secs(150);

pub struct Outcome {
    /// The normalised answer, or a placeholder saying what happened
    /// instead (`<connection closed>`).
    pub answer: Tree,
    /// Why the request could not be built for this broker, if it could not.
    pub not_sent: Option<String>,
    /// For a settling step: whether the broker got there.
    pub settled: Option<bool>,
    pub elapsed: Duration,
}

pub fn run(addr: SocketAddr, cases: &[Case]) -> Vec<Outcome> {
    let mut ctx = Ctx::default();
    let deadline = Instant::now() + BUDGET;
    cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let start = Instant::now();
            if start >= deadline {
                return Outcome {
                    answer: Tree::Atom("<not sent: the run's time budget is spent>".into()),
                    not_sent: Some(format!("the corpus ran out of its {} s", BUDGET.as_secs())),
                    settled: case.until.as_ref().map(|_| false),
                    elapsed: Duration::ZERO,
                };
            }
            let correlation_id = i as i32 + 1;
            let mut outcome = match &case.until {
                None => once(addr, case, correlation_id, &mut ctx),
                Some(done) => settle(addr, case, correlation_id, &mut ctx, done.as_ref()),
            };
            outcome.elapsed = start.elapsed();
            outcome
        })
        .collect()
}

fn settle(
    addr: SocketAddr,
    case: &Case,
    correlation_id: i32,
    ctx: &mut Ctx,
    done: &(dyn Fn(&Tree) -> bool + Send + Sync),
) -> Outcome {
    let deadline = Instant::now() + SETTLE_TIME;
    let mut tries = 0;
    loop {
        tries += 1;
        let (raw, not_sent) = exchange(addr, case, correlation_id, ctx);
        let ok = done(&raw);
        if ok || not_sent.is_some() || tries >= SETTLE_TRIES || Instant::now() >= deadline {
            let mut outcome = keep(case, raw, not_sent, ctx);
            outcome.settled = Some(ok);
            return outcome;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

fn once(addr: SocketAddr, case: &Case, correlation_id: i32, ctx: &mut Ctx) -> Outcome {
    let (raw, not_sent) = exchange(addr, case, correlation_id, ctx);
    keep(case, raw, not_sent, ctx)
}

/// Captures what later cases need from the raw answer, then normalises it.
fn keep(case: &Case, mut answer: Tree, not_sent: Option<String>, ctx: &mut Ctx) -> Outcome {
    for (path, var) in &case.captures {
        if let Some(value) = answer.at(path).cloned() {
            ctx.aliases.capture(path, var, &value);
            ctx.set(var, value);
        }
    }
    normalise(case.api, &mut answer, &mut ctx.aliases);
    Outcome {
        answer,
        not_sent,
        settled: None,
        elapsed: Duration::ZERO,
    }
}

/// One request and its decoded answer, or a placeholder for what happened.
fn exchange(
    addr: SocketAddr,
    case: &Case,
    correlation_id: i32,
    ctx: &Ctx,
) -> (Tree, Option<String>) {
    let frame = match request(case, correlation_id, ctx) {
        Ok(frame) => frame,
        Err(e) => return (Tree::Atom("<not sent>".into()), Some(e)),
    };
    let mut connection = match Connection::open(addr) {
        Ok(c) => c,
        Err(e) => return (Tree::Atom(format!("<cannot connect: {e}>")), None),
    };
    let answer = match connection.exchange(&frame, case.wait) {
        Reply::Frame(frame) => decode(case, frame, correlation_id),
        Reply::Closed => Tree::Atom("<connection closed>".into()),
        Reply::Silent(wait) => Tree::Atom(format!("<no answer within {} ms>", wait.as_millis())),
        Reply::Failed(e) => Tree::Atom(format!("<failed: {e}>")),
    };
    (answer, None)
}

fn request(case: &Case, correlation_id: i32, ctx: &Ctx) -> Result<Vec<u8>, String> {
    let mut body = case.body(ctx)?;
    let mut header_version = case.version;
    let mut header_tag = false;
    match &case.mutation {
        Mutation::None => {}
        Mutation::Trailing(bytes) => body.extend_from_slice(bytes),
        Mutation::BodyTag => body = wire::with_unknown_tag(&body)?,
        Mutation::HeaderTag => header_tag = true,
        Mutation::HeaderVersion(v) => header_version = *v,
    }
    wire::frame(case.api, header_version, correlation_id, &body, header_tag)
}

fn decode(case: &Case, frame: bytes::Bytes, correlation_id: i32) -> Tree {
    let mut body = match wire::response_body(frame, case.api, case.answer_version, correlation_id) {
        Ok(body) => body,
        Err(e) => return Tree::Atom(format!("<undecodable: {e}>")),
    };
    match case.decode(&mut body) {
        Ok(tree) if body.has_remaining() => Tree::Atom(format!(
            "<answer followed by {} bytes: {}>",
            body.remaining(),
            tree.render()
        )),
        Ok(tree) => tree,
        Err(e) => Tree::Atom(format!("<undecodable: {e}>")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::case;
    use kafka_protocol::messages::MetadataRequest;

    fn sent(c: &Case) -> Vec<u8> {
        request(c, 7, &Ctx::default()).expect("builds")
    }

    #[test]
    fn mutations_change_only_what_they_say() {
        let plain = sent(&case("x", 12, |_| MetadataRequest::default()));
        let trailing = sent(&case("x", 12, |_| MetadataRequest::default()).trailing(&[1, 2, 3]));
        assert_eq!(trailing.len(), plain.len() + 3);
        assert_eq!(&trailing[4..plain.len()], &plain[4..]);
        assert_eq!(&trailing[plain.len()..], &[1, 2, 3]);
        let tagged = sent(&case("x", 12, |_| MetadataRequest::default()).body_tag());
        assert_eq!(tagged.len(), plain.len() + 4);
        assert_eq!(&tagged[tagged.len() - 5..], &[1, 99, 2, 0xca, 0xfe]);
        let header = sent(&case("x", 12, |_| MetadataRequest::default()).header_tag());
        assert_eq!(header.len(), plain.len() + 4);
        let future = sent(&case("x", 12, |_| MetadataRequest::default()).header_says(99, 0));
        assert_eq!(&future[6..8], &99i16.to_be_bytes());
        // A header tag needs a flexible header.
        let old = case("x", 1, |_| MetadataRequest::default()).header_tag();
        assert!(request(&old, 1, &Ctx::default()).is_err());
    }

    #[test]
    fn a_request_the_codec_cannot_write_is_not_sent() {
        let c = case("x", 3, |_| {
            MetadataRequest::default().with_allow_auto_topic_creation(false)
        });
        let mut ctx = Ctx::default();
        let outcome = once("127.0.0.1:9".parse().expect("address"), &c, 1, &mut ctx);
        assert!(outcome.not_sent.is_some());
        assert_eq!(outcome.answer, Tree::Atom("<not sent>".into()));
    }
}
