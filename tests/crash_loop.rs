//! Kafka's promise for a crash of the process: every acknowledged record
//! survives, once, in order, at the offset it was acknowledged with; only
//! an unacknowledged, torn tail may be cut. Here the `klamm` binary is
//! killed with SIGKILL at random points while idempotent producers write at
//! full speed with acks=all, and restarted on the same data directory; after
//! every restart the whole log and a committed group offset are checked.
//!
//! The producers are hand-built (raw client, one request in flight each) so
//! the test knows exactly which records were acknowledged at which offsets.
//! A request whose answer died with the broker is sent again, unchanged,
//! after the restart: a retry across the crash, which must be stored once.
//!
//! Run with `-- --nocapture` to see the counts; `CRASH_LOOP_SEED` replays a
//! run's random kill points.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::batch::idempotent_batch;
use common::create_topic;
use common::offsets::{commit, committed};
use common::process::KlammProcess;
use common::raw::{produce_request, RawClient};
use common::read::fetch_all;
use kafka_protocol::messages::*;

const TOPIC: &str = "crash-loop";
const GROUP: &str = "crash-loop-group";
const KILLS: usize = 20;
/// The loop stops here even if it has not killed the broker `KILLS` times.
const TIME_LIMIT: Duration = Duration::from_secs(120);
const PRODUCERS: usize = 2;
const RECORDS_PER_BATCH: i32 = 4;

/// A small, seedable generator for the kill points (no dependency needed).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One idempotent producer and everything it was told.
struct Producer {
    id: i64,
    epoch: i16,
    next_sequence: i32,
    /// The request in flight when the broker died: its answer was lost.
    unanswered: bool,
    /// (offset, value) of every acknowledged record, in offset order.
    acked: Vec<(i64, String)>,
    retried_after_crash: usize,
    failure: Option<String>,
}

impl Producer {
    fn new(client: &mut RawClient) -> Self {
        let request = InitProducerIdRequest::default()
            .with_transactional_id(None)
            .with_transaction_timeout_ms(60_000)
            .with_producer_id(ProducerId(-1))
            .with_producer_epoch(-1);
        let response = client.send(4, &request);
        assert_eq!(response.error_code, 0, "InitProducerId");
        Self {
            id: response.producer_id.0,
            epoch: response.producer_epoch,
            next_sequence: 0,
            unanswered: false,
            acked: Vec::new(),
            retried_after_crash: 0,
            failure: None,
        }
    }

    fn value(id: i64, sequence: i32) -> String {
        format!("producer-{id}-sequence-{sequence:08}-{}", "x".repeat(64))
    }

    fn request(&self) -> ProduceRequest {
        let values: Vec<String> = (0..RECORDS_PER_BATCH)
            .map(|i| Self::value(self.id, self.next_sequence + i))
            .collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        produce_request(
            TOPIC,
            idempotent_batch(&values, self.id, self.epoch, self.next_sequence),
        )
    }

    /// Produces until the broker goes away, `requests` were answered or
    /// 30 s passed.
    fn run(&mut self, bootstrap: &str, requests: usize) {
        let Ok(mut client) = RawClient::try_connect(bootstrap) else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        for _ in 0..requests {
            if Instant::now() > deadline {
                return;
            }
            let request = self.request();
            let Some(response) = client.try_send(9, &request) else {
                self.unanswered = true;
                return;
            };
            let partition = &response.responses[0].partition_responses[0];
            if partition.error_code != 0 {
                self.failure = Some(format!(
                    "producer {} sequence {}: error {} {:?}",
                    self.id, self.next_sequence, partition.error_code, partition.error_message
                ));
                return;
            }
            if std::mem::take(&mut self.unanswered) {
                self.retried_after_crash += 1;
            }
            for i in 0..RECORDS_PER_BATCH {
                self.acked.push((
                    partition.base_offset + i64::from(i),
                    Self::value(self.id, self.next_sequence + i),
                ));
            }
            self.next_sequence += RECORDS_PER_BATCH;
        }
    }
}

/// What a check of the log after a restart found.
#[derive(Default)]
struct Checked {
    /// Acknowledged records found at their offsets.
    records: usize,
    /// Unanswered requests whose batch had reached the log anyway (their
    /// retry must be answered with the original offset, not stored again).
    unanswered_but_stored: usize,
}

/// Checks the whole log against what the producers were told.
fn verify(
    bootstrap: &str,
    producers: &[Producer],
    last_commit: Option<i64>,
    kill: usize,
) -> Checked {
    let mut client = RawClient::connect(bootstrap);
    let log = fetch_all(&mut client, TOPIC, 0, 0)
        .unwrap_or_else(|code| panic!("after kill {kill}: fetch failed with error {code}"));
    for pair in log.windows(2) {
        assert_eq!(
            pair[1].offset,
            pair[0].offset + 1,
            "after kill {kill}: offsets are contiguous"
        );
    }
    let values: Vec<String> = log
        .iter()
        .map(|r| String::from_utf8(r.value.clone().unwrap_or_default().to_vec()).unwrap())
        .collect();
    let mut seen = HashSet::new();
    for value in &values {
        assert!(
            seen.insert(value.as_str()),
            "after kill {kill}: {value} is in the log twice"
        );
    }
    let mut checked = Checked::default();
    for producer in producers {
        let in_flight = Producer::value(producer.id, producer.next_sequence);
        if producer.unanswered && seen.contains(in_flight.as_str()) {
            checked.unanswered_but_stored += 1;
        }
        let prefix = format!("producer-{}-", producer.id);
        let own: Vec<&String> = values.iter().filter(|v| v.starts_with(&prefix)).collect();
        for (sequence, value) in own.iter().enumerate() {
            assert_eq!(
                **value,
                Producer::value(producer.id, sequence as i32),
                "after kill {kill}: producer {}'s records are in sequence order",
                producer.id
            );
        }
        for (offset, value) in &producer.acked {
            let stored = log
                .get(usize::try_from(*offset).unwrap())
                .map(|r| (r.offset, values[*offset as usize].as_str()));
            assert_eq!(
                stored,
                Some((*offset, value.as_str())),
                "after kill {kill}: an acknowledged record moved or vanished"
            );
            checked.records += 1;
        }
    }
    if let Some(expected) = last_commit {
        assert_eq!(
            committed(&mut client, GROUP, TOPIC),
            expected,
            "after kill {kill}: the committed group offset"
        );
    }
    checked
}

#[test]
fn acked_records_survive_twenty_sigkills() {
    let seed = std::env::var("CRASH_LOOP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    let mut rng = Rng(seed);
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    // Small segments so kills also land around segment rolls.
    let mut broker = KlammProcess::start(dir.path(), &[]);
    create_topic(
        &broker.bootstrap,
        TOPIC,
        1,
        &[("segment.bytes", "262144"), ("retention.ms", "-1")],
    );
    let mut producers: Vec<Producer> = {
        let mut client = RawClient::connect(&broker.bootstrap);
        (0..PRODUCERS).map(|_| Producer::new(&mut client)).collect()
    };
    let mut last_commit = None;
    let mut kills = 0;
    let mut verified = 0;
    let mut stored_before_answer = 0;
    let mut cut_tails = 0;
    while kills < KILLS && started.elapsed() < TIME_LIMIT {
        let bootstrap = broker.bootstrap.clone();
        let running: Vec<_> = producers
            .into_iter()
            .map(|mut p| {
                let bootstrap = bootstrap.clone();
                std::thread::spawn(move || {
                    p.run(&bootstrap, usize::MAX);
                    p
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rng.below(250)));
        let offset = (kills as i64 + 1) * 1_000 + rng.below(1_000) as i64;
        let mut client = RawClient::connect(&bootstrap);
        assert_eq!(commit(&mut client, GROUP, TOPIC, offset), 0, "OffsetCommit");
        last_commit = Some(offset);
        std::thread::sleep(Duration::from_millis(rng.below(250)));
        broker.crash();
        kills += 1;
        producers = running
            .into_iter()
            .map(|h| h.join().expect("producer thread"))
            .collect();
        for p in &producers {
            assert!(
                p.failure.is_none(),
                "{}",
                p.failure.as_deref().unwrap_or_default()
            );
        }
        broker = KlammProcess::start(dir.path(), &[]);
        let checked = verify(&broker.bootstrap, &producers, last_commit, kills);
        verified += checked.records;
        stored_before_answer += checked.unanswered_but_stored;
        if broker
            .log()
            .iter()
            .any(|l| l.contains("recovery cut a damaged tail"))
        {
            cut_tails += 1;
        }
    }
    // The retries of answers lost in the last kill, then a final check.
    let running: Vec<_> = producers
        .into_iter()
        .map(|mut p| {
            let bootstrap = broker.bootstrap.clone();
            std::thread::spawn(move || {
                p.run(&bootstrap, 2);
                p
            })
        })
        .collect();
    let producers: Vec<Producer> = running.into_iter().map(|h| h.join().unwrap()).collect();
    verified += verify(&broker.bootstrap, &producers, last_commit, kills).records;
    let acked: usize = producers.iter().map(|p| p.acked.len()).sum();
    let retried: usize = producers.iter().map(|p| p.retried_after_crash).sum();
    assert!(broker.stop().success(), "a clean stop at the end");
    println!(
        "crash loop (seed {seed}): {kills} SIGKILLs in {:.1} s; {acked} acknowledged records, \
         {verified} record checks after restarts; {retried} requests retried across a crash \
         ({stored_before_answer} of them had reached the log before the kill); \
         recovery cut a torn tail after {cut_tails} kills",
        started.elapsed().as_secs_f64()
    );
    assert!(kills >= KILLS, "only {kills} kills in {TIME_LIMIT:?}");
    assert!(retried > 0, "no request was ever in flight at a kill");
}
