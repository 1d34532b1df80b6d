//! Fetch (key 1): records from the fixture topics (decoded batch by batch
//! for the comparison), every size limit, offsets out of range, unknown
//! topics and partitions, fetch sessions, leader epochs, isolation levels.
//! No case waits: max_wait_ms is 0 except where the wait is the point.

use std::time::Duration;

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{ApiKey, FetchRequest};

use super::ctx::{name, Ctx};
use super::fixtures::*;
use super::{case, Case};
use crate::versions::Versions;

/// One partition to fetch: (topic, partition, offset).
type Part = (&'static str, i32, i64);

fn request(ctx: &Ctx, version: i16, parts: &[Part]) -> FetchRequest {
    let mut topics: Vec<FetchTopic> = Vec::new();
    for &(topic, partition, offset) in parts {
        let p = FetchPartition::default()
            .with_partition(partition)
            .with_fetch_offset(offset)
            .with_partition_max_bytes(1 << 20);
        let same = |t: &FetchTopic| {
            if version >= 13 {
                t.topic_id == ctx.topic_id(topic)
            } else {
                t.topic.0.as_str() == topic
            }
        };
        match topics.last_mut() {
            Some(t) if same(t) => t.partitions.push(p),
            _ => {
                let entry = FetchTopic::default().with_partitions(vec![p]);
                topics.push(if version >= 13 {
                    entry.with_topic_id(ctx.topic_id(topic))
                } else {
                    entry.with_topic(name(topic))
                });
            }
        }
    }
    let request = FetchRequest::default()
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(50 << 20)
        .with_topics(topics);
    // A full fetch outside any session, as clients send before they have one.
    if version >= 7 {
        request.with_session_id(0).with_session_epoch(-1)
    } else {
        request
    }
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    for version in v.compared(ApiKey::Fetch) {
        let f = move |label: &str, parts: Vec<Part>| {
            case(label.to_string(), version, move |ctx| {
                request(ctx, version, &parts)
            })
        };
        let with = move |label: &str, parts: Vec<Part>, tweak: fn(FetchRequest) -> FetchRequest| {
            case(label.to_string(), version, move |ctx| {
                tweak(request(ctx, version, &parts))
            })
        };
        cases.push(f("from-start", vec![(TOPIC_A, 0, 0)]));
        cases.push(f("mid-batch", vec![(TOPIC_A, 0, 1)]));
        cases.push(f(
            "two-topics",
            vec![(TOPIC_A, 0, 0), (TOPIC_A, 1, 0), (TOPIC_B, 0, 0)],
        ));
        cases.push(f("at-end", vec![(TOPIC_A, 1, 1)]));
        cases.push(f("empty-partition", vec![(TOPIC_EMPTY, 0, 0)]));
        cases.push(f("log-append-time", vec![(TOPIC_APPEND_TIME, 0, 0)]));
        cases.push(f("offset-beyond-end", vec![(TOPIC_A, 0, 1_000)]));
        cases.push(f("negative-offset", vec![(TOPIC_A, 0, -5)]));
        cases.push(f("unknown-topic", vec![(UNKNOWN_TOPIC, 0, 0)]));
        cases.push(f("unknown-partition", vec![(TOPIC_A, 9, 0)]));
        cases.push(f("internal-topic", vec![("__consumer_offsets", 0, 0)]));
        cases.push(f(
            "known-and-unknown",
            vec![(TOPIC_B, 0, 2), (UNKNOWN_TOPIC, 0, 0)],
        ));
        cases.push(f("no-topics", vec![]));
        cases.push(f(
            "duplicate-partition",
            vec![(TOPIC_B, 0, 0), (TOPIC_B, 0, 2)],
        ));
        cases.push(with("max-bytes-1", vec![(TOPIC_B, 0, 0)], |r| {
            r.with_max_bytes(1)
        }));
        cases.push(with(
            "partition-max-bytes-1",
            vec![(TOPIC_B, 0, 0), (TOPIC_A, 0, 0)],
            |mut r| {
                for t in &mut r.topics {
                    for p in &mut t.partitions {
                        p.partition_max_bytes = 1;
                    }
                }
                r
            },
        ));
        cases.push(with("read-committed", vec![(TOPIC_B, 0, 0)], |r| {
            r.with_isolation_level(1)
        }));
        cases.push(
            with("long-poll-at-end", vec![(TOPIC_EMPTY, 1, 0)], |r| {
                r.with_max_wait_ms(200)
            })
            .wait(Duration::from_secs(3)),
        );
        cases.push(with("min-bytes-0", vec![(TOPIC_EMPTY, 1, 0)], |r| {
            r.with_min_bytes(0)
        }));
        cases.push(f("trailing-bytes", vec![(TOPIC_B, 0, 0)]).trailing(&[0, 0, 0]));
        if version >= 5 {
            cases.push(with("log-start-offset", vec![(TOPIC_B, 0, 0)], |mut r| {
                r.topics[0].partitions[0].log_start_offset = 0;
                r
            }));
        }
        if version >= 7 {
            cases.push(with("new-session", vec![(TOPIC_B, 0, 0)], |r| {
                r.with_session_epoch(0)
            }));
            cases.push(with("unknown-session", vec![(TOPIC_B, 0, 0)], |r| {
                r.with_session_id(123_456).with_session_epoch(3)
            }));
        }
        if version >= 9 {
            cases.push(with(
                "current-leader-epoch-0",
                vec![(TOPIC_B, 0, 0)],
                |mut r| {
                    r.topics[0].partitions[0].current_leader_epoch = 0;
                    r
                },
            ));
            cases.push(with(
                "future-leader-epoch",
                vec![(TOPIC_B, 0, 0)],
                |mut r| {
                    r.topics[0].partitions[0].current_leader_epoch = 7;
                    r
                },
            ));
        }
        if version >= 11 {
            cases.push(with("rack-id", vec![(TOPIC_B, 0, 0)], |r| {
                r.with_rack_id("rack-1".into())
            }));
        }
        if version >= 12 {
            cases.push(with(
                "last-fetched-epoch",
                vec![(TOPIC_B, 0, 2)],
                |mut r| {
                    r.topics[0].partitions[0].last_fetched_epoch = 0;
                    r
                },
            ));
            cases.push(f("unknown-tagged-field", vec![(TOPIC_B, 0, 0)]).body_tag());
            cases.push(f("unknown-header-tag", vec![(TOPIC_B, 0, 0)]).header_tag());
        }
        if version >= 13 {
            cases.push(with("unknown-topic-id", vec![(TOPIC_B, 0, 0)], |mut r| {
                r.topics[0].topic_id = UNKNOWN_TOPIC_ID;
                r
            }));
        }
    }
    cases
}

/// A fetch of one whole partition at the newest version: how later
/// families show what their requests wrote.
pub fn fetch_one(label: &str, v: &Versions, topic: &'static str, partition: i32) -> Option<Case> {
    let version = v.newest(ApiKey::Fetch)?;
    Some(case(label.to_string(), version, move |ctx| {
        request(ctx, version, &[(topic, partition, 0)])
    }))
}
