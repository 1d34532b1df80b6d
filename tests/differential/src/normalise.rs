//! What must differ between two brokers, replaced by placeholders before
//! the answers are compared: cluster and topic ids, member and producer ids
//! the broker generated, hosts, ports, throttle times, append times, fetch
//! session ids, log directories and disk sizes. Everything else is compared
//! as the broker sent it.
//!
//! Ids become placeholders by meaning, not by value: the topic id of `foo`
//! is `<topic-id foo>` on both brokers, a member id a case captured as
//! `group.member` is `<group.member: client-{uuid}>` (the shape shows a
//! different id format), and an id first seen in an answer is numbered
//! within that answer (`<new member 1: ...>`).

use std::collections::HashMap;

use kafka_protocol::messages::ApiKey;
use uuid::Uuid;

use crate::records;
use crate::tree::Tree;

/// Member ids the corpus makes up itself start with this; they are compared
/// as they are.
pub const CORPUS_PREFIX: &str = "corpus-";

/// One broker's generated values and their placeholders.
#[derive(Default)]
pub struct Aliases {
    /// Values named for good: topic ids, and ids a case captured.
    named: HashMap<String, String>,
    named_producers: HashMap<i64, String>,
    topic_ids: HashMap<String, Uuid>,
    /// Ids first seen in the answer being normalised, numbered within it,
    /// so one extra id on one broker cannot shift the names of the rest.
    fresh: HashMap<String, String>,
    fresh_producers: HashMap<i64, String>,
}

impl Aliases {
    pub fn topic_id(&self, topic: &str) -> Option<Uuid> {
        self.topic_ids.get(topic).copied()
    }

    /// Names a captured value after the variable it is kept in: a member
    /// id as `<var: its shape>`, a producer id as `<var>`.
    pub fn capture(&mut self, path: &str, var: &str, value: &Tree) {
        match value {
            Tree::Str(id) if !id.is_empty() => {
                self.named
                    .insert(id.clone(), format!("<{var}: {}>", shape(id)));
            }
            Tree::Int(id) if *id >= 0 && path.ends_with("producer_id") => {
                self.named_producers.insert(*id, format!("<{var}>"));
            }
            _ => {}
        }
    }

    fn learn_topic_id(&mut self, topic: &str, id: &str) {
        let Ok(uuid) = Uuid::parse_str(id) else {
            return;
        };
        if uuid.is_nil() {
            return;
        }
        // A topic deleted and created again gets a new id; the newest wins.
        self.topic_ids.insert(topic.to_string(), uuid);
        self.named
            .insert(id.to_string(), format!("<topic-id {topic}>"));
    }

    fn member(&mut self, id: &str) -> String {
        if let Some(alias) = self.named.get(id).or_else(|| self.fresh.get(id)) {
            return alias.clone();
        }
        let alias = format!("<new member {}: {}>", self.fresh.len() + 1, shape(id));
        self.fresh.insert(id.to_string(), alias.clone());
        alias
    }

    fn producer(&mut self, id: i64) -> String {
        if let Some(alias) = self.named_producers.get(&id) {
            return alias.clone();
        }
        let next = self.fresh_producers.len() + 1;
        self.fresh_producers
            .entry(id)
            .or_insert_with(|| format!("<new producer {next}>"))
            .clone()
    }
}

/// A generated id's form with its random part named: `client-<uuid>`.
pub fn shape(id: &str) -> String {
    let mut out = String::new();
    let mut rest = id;
    while !rest.is_empty() {
        if rest
            .get(..36)
            .is_some_and(|head| Uuid::parse_str(head).is_ok())
        {
            out.push_str("{uuid}");
            rest = &rest[36..];
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Normalises an answer in place, learning the ids it carries.
pub fn normalise(api: ApiKey, tree: &mut Tree, aliases: &mut Aliases) {
    aliases.fresh.clear();
    aliases.fresh_producers.clear();
    learn(tree, aliases);
    rewrite(api, tree, aliases);
}

/// Topic ids next to their names, anywhere in the answer.
fn learn(tree: &mut Tree, aliases: &mut Aliases) {
    match tree {
        Tree::Struct(fields) => {
            let name = fields
                .iter()
                .find(|(n, _)| matches!(n.as_str(), "name" | "topic" | "topic_name"))
                .and_then(|(_, v)| v.as_text().map(str::to_string));
            let id = fields
                .iter()
                .find(|(n, _)| n == "topic_id")
                .and_then(|(_, v)| v.as_text().map(str::to_string));
            if let (Some(name), Some(id)) = (name, id) {
                if !name.is_empty() {
                    aliases.learn_topic_id(&name, &id);
                }
            }
            for (_, value) in fields {
                learn(value, aliases);
            }
        }
        Tree::List(items) => items.iter_mut().for_each(|i| learn(i, aliases)),
        _ => {}
    }
}

/// Broker configs whose values name this instance's ports and paths.
const INSTANCE_CONFIGS: &[&str] = &[
    "listeners",
    "advertised.listeners",
    "controller.quorum.voters",
    "controller.quorum.bootstrap.servers",
    "log.dirs",
    "log.dir",
    "metadata.log.dir",
];

fn rewrite(api: ApiKey, tree: &mut Tree, aliases: &mut Aliases) {
    match tree {
        Tree::Struct(fields) => {
            let instance_config = fields.iter().any(|(n, v)| {
                n == "name"
                    && v.as_text()
                        .is_some_and(|name| INSTANCE_CONFIGS.contains(&name))
            });
            for (name, value) in fields.iter_mut() {
                if instance_config
                    && name == "value"
                    && matches!(value, Tree::Str(v) if !v.is_empty())
                {
                    *value = placeholder("<this instance's>");
                    continue;
                }
                rewrite_field(api, name, value, aliases);
                rewrite(api, value, aliases);
            }
        }
        Tree::List(items) => items.iter_mut().for_each(|i| rewrite(api, i, aliases)),
        _ => {}
    }
}

fn placeholder(text: &str) -> Tree {
    Tree::Atom(text.to_string())
}

fn rewrite_field(api: ApiKey, name: &str, value: &mut Tree, aliases: &mut Aliases) {
    let new = match (name, &*value) {
        ("throttle_time_ms", Tree::Int(_)) => Tree::Int(0),
        ("cluster_id", Tree::Str(_)) => placeholder("<cluster-id>"),
        ("host", Tree::Str(_)) => placeholder("<host>"),
        ("port", Tree::Int(_)) => placeholder("<port>"),
        ("topic_id", Tree::Atom(id)) => match aliases.named.get(id) {
            Some(alias) => placeholder(alias),
            None => return,
        },
        // Ids the corpus made up itself stay as they are; anything else,
        // or with a random part, the broker generated.
        ("member_id" | "leader", Tree::Str(id))
            if !id.is_empty() && (!id.starts_with(CORPUS_PREFIX) || shape(id) != *id) =>
        {
            placeholder(&aliases.member(id))
        }
        ("producer_id", Tree::Int(id)) if *id >= 0 => placeholder(&aliases.producer(*id)),
        ("session_id", Tree::Int(id)) if *id != 0 => placeholder("<session-id>"),
        ("log_dir", Tree::Str(_)) => placeholder("<log-dir>"),
        ("total_bytes" | "usable_bytes", Tree::Int(n)) if *n >= 0 => placeholder("<bytes>"),
        ("log_append_time_ms", Tree::Int(t)) if *t != -1 => placeholder("<log-append-time>"),
        ("finalized_features_epoch", Tree::Int(e)) if *e >= 0 => placeholder("<epoch>"),
        // The version ranges are compared in their own table.
        ("api_keys", Tree::List(_)) if api == ApiKey::ApiVersions => {
            placeholder("<see the ApiVersions table>")
        }
        ("records", Tree::Bytes(data)) => records::tree(data),
        _ => return,
    };
    *value = new;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::parse;

    fn norm(api: ApiKey, text: &str, aliases: &mut Aliases) -> Tree {
        let mut tree = parse(text).expect("parses");
        normalise(api, &mut tree, aliases);
        tree
    }

    #[test]
    fn topic_ids_become_their_names_everywhere_later() {
        let mut a = Aliases::default();
        let id = "6f1f7e1c-4a53-4f39-9a55-1f1f2b8c9d01";
        let t = norm(
            ApiKey::Metadata,
            &format!("R {{ topics: [T {{ name: Some(\"foo\"), topic_id: {id} }}] }}"),
            &mut a,
        );
        assert_eq!(
            t.at("topics.0.topic_id"),
            Some(&placeholder("<topic-id foo>"))
        );
        assert_eq!(a.topic_id("foo"), Uuid::parse_str(id).ok());
        let t = norm(
            ApiKey::Fetch,
            &format!("R {{ responses: [T {{ topic_id: {id} }}] }}"),
            &mut a,
        );
        assert_eq!(
            t.at("responses.0.topic_id"),
            Some(&placeholder("<topic-id foo>"))
        );
        let nil = "00000000-0000-0000-0000-000000000000";
        let t = norm(
            ApiKey::Fetch,
            &format!("R {{ topic_id: {nil}, name: \"x\" }}"),
            &mut a,
        );
        assert_eq!(t.at("topic_id"), Some(&Tree::Atom(nil.into())));
    }

    #[test]
    fn generated_ids_are_named_by_capture_or_numbered_within_the_answer() {
        let mut a = Aliases::default();
        let m1 = "klamm-differential-6f1f7e1c-4a53-4f39-9a55-1f1f2b8c9d01";
        let m2 = "corpus-static-7f1f7e1c-4a53-4f39-9a55-1f1f2b8c9d01";
        let t = norm(
            ApiKey::JoinGroup,
            &format!("R {{ leader: \"{m1}\", member_id: \"{m1}\", members: [M {{ member_id: \"corpus-x\" }}, M {{ member_id: \"{m2}\" }}] }}"),
            &mut a,
        );
        let alias = placeholder("<new member 1: klamm-differential-{uuid}>");
        assert_eq!(t.at("leader"), Some(&alias));
        assert_eq!(t.at("member_id"), Some(&alias));
        assert_eq!(
            t.at("members.0.member_id"),
            Some(&Tree::Str("corpus-x".into()))
        );
        assert_eq!(
            t.at("members.1.member_id"),
            Some(&placeholder("<new member 2: corpus-static-{uuid}>"))
        );
        // Numbering starts again with the next answer; a captured id keeps
        // its variable's name.
        a.capture("member_id", "g.member", &Tree::Str(m1.into()));
        let t = norm(
            ApiKey::Heartbeat,
            &format!("R {{ member_id: \"{m2}\", leader: \"{m1}\" }}"),
            &mut a,
        );
        assert_eq!(
            t.at("member_id"),
            Some(&placeholder("<new member 1: corpus-static-{uuid}>"))
        );
        assert_eq!(
            t.at("leader"),
            Some(&placeholder("<g.member: klamm-differential-{uuid}>"))
        );
        a.capture("producer_id", "pid", &Tree::Int(1000));
        let t = norm(
            ApiKey::InitProducerId,
            "R { producer_id: 1000, producer_epoch: 0 }",
            &mut a,
        );
        assert_eq!(t.at("producer_id"), Some(&placeholder("<pid>")));
        let t = norm(ApiKey::InitProducerId, "R { producer_id: -1 }", &mut a);
        assert_eq!(t.at("producer_id"), Some(&Tree::Int(-1)));
        let t = norm(ApiKey::DescribeProducers, "R { producer_id: 7 }", &mut a);
        assert_eq!(t.at("producer_id"), Some(&placeholder("<new producer 1>")));
    }

    #[test]
    fn what_must_differ_is_replaced_and_the_rest_kept() {
        let mut a = Aliases::default();
        let t = norm(
            ApiKey::Metadata,
            "R { throttle_time_ms: 5, cluster_id: Some(\"abc\"), brokers: [B { node_id: 1, host: \"127.0.0.1\", port: 4000 }], session_id: 0 }",
            &mut a,
        );
        assert_eq!(t.at("throttle_time_ms"), Some(&Tree::Int(0)));
        assert_eq!(t.at("cluster_id"), Some(&placeholder("<cluster-id>")));
        assert_eq!(t.at("brokers.0.host"), Some(&placeholder("<host>")));
        assert_eq!(t.at("brokers.0.port"), Some(&placeholder("<port>")));
        assert_eq!(t.at("brokers.0.node_id"), Some(&Tree::Int(1)));
        assert_eq!(t.at("session_id"), Some(&Tree::Int(0)));
        let t = norm(ApiKey::Metadata, "R { cluster_id: None }", &mut a);
        assert_eq!(t.at("cluster_id"), Some(&Tree::Null));
        let t = norm(
            ApiKey::ApiVersions,
            "R { api_keys: [A { api_key: 0 }] }",
            &mut a,
        );
        assert_eq!(
            t.at("api_keys"),
            Some(&placeholder("<see the ApiVersions table>"))
        );
    }

    #[test]
    fn shapes_name_the_random_part() {
        assert_eq!(shape("c-6f1f7e1c-4a53-4f39-9a55-1f1f2b8c9d01"), "c-{uuid}");
        assert_eq!(shape("plain"), "plain");
        assert_eq!(shape("é-x"), "é-x");
    }
}
