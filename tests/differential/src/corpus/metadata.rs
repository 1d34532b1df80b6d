//! Metadata (key 3): all topics, named ones, unknown and invalid names,
//! topic ids, duplicates, empty and null lists, authorized operations,
//! leniency (trailing bytes, unknown tagged fields), and auto-creation.

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{ApiKey, MetadataRequest};
use uuid::Uuid;

use super::ctx::{name, Ctx};
use super::fixtures::*;
use super::{case, Case};
use crate::versions::Versions;

#[derive(Clone)]
enum Ask {
    Name(String),
    Id(&'static str),
    RawId(Uuid),
}

fn n(topic: &str) -> Ask {
    Ask::Name(topic.to_string())
}

fn request(ctx: &Ctx, version: i16, topics: Option<&[Ask]>, auto_create: bool) -> MetadataRequest {
    let topics = topics.map(|asks| {
        asks.iter()
            .map(|ask| match ask {
                Ask::Name(t) => MetadataRequestTopic::default().with_name(Some(name(t))),
                Ask::Id(t) => MetadataRequestTopic::default().with_topic_id(ctx.topic_id(t)),
                Ask::RawId(id) => MetadataRequestTopic::default().with_topic_id(*id),
            })
            .collect()
    });
    MetadataRequest::default()
        .with_topics(topics)
        .with_allow_auto_topic_creation(auto_create || version < 4)
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    let versions = v.compared(ApiKey::Metadata);
    for &version in &versions {
        let meta = move |label: &str, topics: Option<Vec<Ask>>| {
            case(label.to_string(), version, move |ctx| {
                request(ctx, version, topics.as_deref(), false)
            })
        };
        // v0 has no null: an empty list means all topics.
        let all = if version == 0 { Some(vec![]) } else { None };
        cases.push(meta("all-topics", all.clone()));
        cases.push(meta("one-topic", Some(vec![n(TOPIC_A)])));
        cases.push(meta("two-topics", Some(vec![n(TOPIC_B), n(TOPIC_EMPTY)])));
        cases.push(meta("duplicate-topic", Some(vec![n(TOPIC_A), n(TOPIC_A)])));
        if version >= 4 {
            // Before v4 every Metadata request may create the topics it
            // names: that case runs at the very end (`internal_topic_early_versions`).
            cases.push(meta("internal-topic", Some(vec![n("__consumer_offsets")])));
        }
        cases.push(meta("trailing-bytes", all.clone()).trailing(&[0, 0, 0]));
        if version >= 1 {
            cases.push(meta("empty-list", Some(vec![])));
        }
        if version >= 4 {
            cases.push(meta("unknown-topic", Some(vec![n(UNKNOWN_TOPIC)])));
            cases.push(meta("invalid-name", Some(vec![n("bad name!")])));
            cases.push(meta(
                "known-and-unknown",
                Some(vec![n(TOPIC_A), n(UNKNOWN_TOPIC)]),
            ));
        }
        if version >= 8 {
            cases.push(case("authorized-operations", version, move |ctx| {
                request(ctx, version, Some(&[n(TOPIC_A)]), false)
                    .with_include_topic_authorized_operations(true)
                    .with_include_cluster_authorized_operations(version <= 10)
            }));
        }
        if version >= 9 {
            cases.push(meta("unknown-tagged-field", all.clone()).body_tag());
            cases.push(meta("unknown-header-tag", all.clone()).header_tag());
        }
        if version >= 10 {
            cases.push(meta("by-topic-id", Some(vec![Ask::Id(TOPIC_A)])));
            cases.push(meta(
                "unknown-topic-id",
                Some(vec![Ask::RawId(UNKNOWN_TOPIC_ID)]),
            ));
        }
    }
    // Auto-creation after every read, so no case above sees a topic being
    // created; then wait until they all have leaders.
    let mut created = Vec::new();
    for &version in &versions {
        let topic = format!("diff-auto-v{version}");
        created.push(n(&topic));
        cases.push(case("auto-create", version, move |ctx| {
            request(ctx, version, Some(&[n(&topic)]), true)
        }));
    }
    if let Some(&newest) = versions.last() {
        cases.push(
            case(
                "settle: auto-created topics have leaders",
                newest,
                move |ctx| request(ctx, newest, Some(&created), false),
            )
            .until(topics_ready),
        );
        cases.push(case("after-auto-create", newest, move |ctx| {
            request(ctx, newest, None, false)
        }));
    }
    cases
}

/// `__consumer_offsets` asked for by name at v0-3, where Metadata creates
/// missing topics: last of all, since a broker that does create it changes
/// what every later case would see.
pub fn internal_topic_early_versions(v: &Versions) -> Vec<Case> {
    v.compared(ApiKey::Metadata)
        .into_iter()
        .filter(|version| *version < 4)
        .map(|version| {
            case("internal-topic", version, move |ctx| {
                request(ctx, version, Some(&[n("__consumer_offsets")]), false)
            })
        })
        .collect()
}
