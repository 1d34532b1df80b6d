//! Offsets by time and by leader epoch: ListOffsets (2) with every special
//! timestamp, a real one and a future one; OffsetForLeaderEpoch (23) with
//! known, unknown and fenced epochs.

use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderPartition, OffsetForLeaderTopic,
};
use kafka_protocol::messages::{ApiKey, ListOffsetsRequest, OffsetForLeaderEpochRequest};

use super::ctx::name;
use super::fixtures::*;
use super::{case, Case};
use crate::versions::Versions;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;
const LATEST_TIERED: i64 = -5;
const EARLIEST_PENDING_UPLOAD: i64 = -6;

/// (topic, partition, timestamp) triples, grouped by topic in order.
fn list(parts: &[(&str, i32, i64)]) -> ListOffsetsRequest {
    let mut topics: Vec<ListOffsetsTopic> = Vec::new();
    for &(topic, partition, timestamp) in parts {
        let p = ListOffsetsPartition::default()
            .with_partition_index(partition)
            .with_timestamp(timestamp);
        match topics.last_mut() {
            Some(t) if t.name.0.as_str() == topic => t.partitions.push(p),
            _ => topics.push(
                ListOffsetsTopic::default()
                    .with_name(name(topic))
                    .with_partitions(vec![p]),
            ),
        }
    }
    ListOffsetsRequest::default()
        .with_replica_id((-1).into())
        .with_topics(topics)
}

fn epochs(parts: &[(&str, i32, i32, i32)]) -> OffsetForLeaderEpochRequest {
    OffsetForLeaderEpochRequest::default().with_topics(
        parts
            .iter()
            .map(|&(topic, partition, current, epoch)| {
                OffsetForLeaderTopic::default()
                    .with_topic(name(topic))
                    .with_partitions(vec![OffsetForLeaderPartition::default()
                        .with_partition(partition)
                        .with_current_leader_epoch(current)
                        .with_leader_epoch(epoch)])
            })
            .collect(),
    )
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    for version in v.compared(ApiKey::ListOffsets) {
        let l = move |label: &str, parts: Vec<(&'static str, i32, i64)>| {
            case(label.to_string(), version, move |_| list(&parts))
        };
        cases.push(l(
            "latest",
            vec![
                (TOPIC_A, 0, LATEST),
                (TOPIC_A, 1, LATEST),
                (TOPIC_A, 2, LATEST),
            ],
        ));
        cases.push(l(
            "earliest",
            vec![(TOPIC_A, 0, EARLIEST), (TOPIC_B, 0, EARLIEST)],
        ));
        cases.push(l(
            "by-timestamp",
            vec![(TOPIC_A, 0, t0() + 1), (TOPIC_B, 0, t0() + 31)],
        ));
        cases.push(l("timestamp-before-all", vec![(TOPIC_A, 0, 1)]));
        cases.push(l(
            "timestamp-after-all",
            vec![(TOPIC_A, 0, t0() + 1_000_000_000)],
        ));
        cases.push(l(
            "empty-partition",
            vec![(TOPIC_EMPTY, 0, LATEST), (TOPIC_EMPTY, 1, EARLIEST)],
        ));
        cases.push(l("log-append-time", vec![(TOPIC_APPEND_TIME, 0, EARLIEST)]));
        cases.push(l("unknown-topic", vec![(UNKNOWN_TOPIC, 0, LATEST)]));
        cases.push(l("unknown-partition", vec![(TOPIC_A, 9, LATEST)]));
        cases.push(l("invalid-timestamp", vec![(TOPIC_A, 0, -42)]));
        // Every special timestamp at every version, also before the version
        // that introduced it.
        cases.push(l(
            "special-timestamps",
            vec![
                (TOPIC_A, 0, MAX_TIMESTAMP),
                (TOPIC_A, 1, EARLIEST_LOCAL),
                (TOPIC_A, 2, LATEST_TIERED),
                (TOPIC_B, 0, EARLIEST_PENDING_UPLOAD),
            ],
        ));
        cases.push(l("no-topics", vec![]));
        cases.push(l(
            "duplicate-partition",
            vec![(TOPIC_A, 0, LATEST), (TOPIC_A, 0, EARLIEST)],
        ));
        cases.push(l("trailing-bytes", vec![(TOPIC_A, 0, LATEST)]).trailing(&[0, 0, 0]));
        if version >= 2 {
            cases.push(case("read-committed", version, |_| {
                list(&[(TOPIC_B, 0, LATEST)]).with_isolation_level(1)
            }));
        }
        if version >= 4 {
            cases.push(case("current-leader-epoch-0", version, |_| {
                let mut r = list(&[(TOPIC_B, 0, LATEST)]);
                r.topics[0].partitions[0].current_leader_epoch = 0;
                r
            }));
            cases.push(case("future-leader-epoch", version, |_| {
                let mut r = list(&[(TOPIC_B, 0, LATEST)]);
                r.topics[0].partitions[0].current_leader_epoch = 9;
                r
            }));
        }
        if version >= 6 {
            cases.push(l("unknown-tagged-field", vec![(TOPIC_A, 0, LATEST)]).body_tag());
        }
        if version >= 7 {
            cases.push(l(
                "max-timestamp",
                vec![
                    (TOPIC_A, 0, MAX_TIMESTAMP),
                    (TOPIC_B, 0, MAX_TIMESTAMP),
                    (TOPIC_EMPTY, 0, MAX_TIMESTAMP),
                ],
            ));
        }
        if version >= 8 {
            cases.push(l("earliest-local", vec![(TOPIC_A, 0, EARLIEST_LOCAL)]));
        }
        if version >= 9 {
            cases.push(l("latest-tiered", vec![(TOPIC_A, 0, LATEST_TIERED)]));
        }
        if version >= 11 {
            cases.push(l(
                "earliest-pending-upload",
                vec![(TOPIC_A, 0, EARLIEST_PENDING_UPLOAD)],
            ));
        }
    }
    for version in v.compared(ApiKey::OffsetForLeaderEpoch) {
        let e = move |label: &str, parts: Vec<(&'static str, i32, i32, i32)>| {
            case(label.to_string(), version, move |_| epochs(&parts))
        };
        cases.push(e("epoch-0", vec![(TOPIC_A, 0, -1, 0), (TOPIC_B, 0, 0, 0)]));
        cases.push(e("future-epoch", vec![(TOPIC_A, 0, -1, 5)]));
        cases.push(e("fenced-current-epoch", vec![(TOPIC_A, 0, 3, 0)]));
        cases.push(e("empty-partition", vec![(TOPIC_EMPTY, 0, -1, 0)]));
        cases.push(e("unknown-topic", vec![(UNKNOWN_TOPIC, 0, -1, 0)]));
        cases.push(e("unknown-partition", vec![(TOPIC_A, 9, -1, 0)]));
        cases.push(e("no-topics", vec![]));
        cases.push(e("trailing-bytes", vec![(TOPIC_A, 0, -1, 0)]).trailing(&[0, 0, 0]));
        if version >= 3 {
            cases.push(case("replica-id-of-a-broker", version, |_| {
                epochs(&[(TOPIC_A, 0, -1, 0)]).with_replica_id(1.into())
            }));
        }
        if version >= 4 {
            cases.push(e("unknown-tagged-field", vec![(TOPIC_A, 0, -1, 0)]).body_tag());
        }
    }
    cases
}

/// The earliest and latest offsets of a one-partition topic at the newest
/// version: how later families show what their requests did to a log.
pub fn earliest_and_latest(label: &str, v: &Versions, topic: &str) -> Vec<Case> {
    let Some(version) = v.newest(ApiKey::ListOffsets) else {
        return Vec::new();
    };
    [("earliest", EARLIEST), ("latest", LATEST)]
        .into_iter()
        .map(|(which, timestamp)| {
            let topic = topic.to_string();
            case(format!("{label}: {which}"), version, move |_| {
                list(&[(&topic, 0, timestamp)])
            })
        })
        .collect()
}
