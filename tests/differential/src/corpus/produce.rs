//! Produce (key 0): appends, every acks setting, and what a broker refuses
//! (unknown topic or partition, bad acks, a corrupt batch, duplicates).
//! Appends go to their own topic so the fetch cases' view stays put.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ApiKey, ProduceRequest};

use super::ctx::{name, Ctx};
use super::fixtures::*;
use super::{case, raw_case, Case};
use crate::versions::Versions;

/// A produce request: (topic, partition, records) in that order, one
/// topic entry per run of equal topic names.
pub fn request(
    ctx: &Ctx,
    version: i16,
    acks: i16,
    parts: &[(&str, i32, Option<Bytes>)],
) -> ProduceRequest {
    let mut topics: Vec<TopicProduceData> = Vec::new();
    for (topic, partition, records) in parts {
        let data = PartitionProduceData::default()
            .with_index(*partition)
            .with_records(records.clone());
        let same = topics.last().is_some_and(|t| {
            if version >= 13 {
                t.topic_id == ctx.topic_id(topic)
            } else {
                t.name.0.as_str() == *topic
            }
        });
        if same {
            if let Some(last) = topics.last_mut() {
                last.partition_data.push(data);
            }
            continue;
        }
        let entry = TopicProduceData::default().with_partition_data(vec![data]);
        topics.push(if version >= 13 {
            entry.with_topic_id(ctx.topic_id(topic))
        } else {
            entry.with_name(name(topic))
        });
    }
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(10_000)
        .with_topic_data(topics)
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    for version in v.compared(ApiKey::Produce) {
        // Timestamps differ per version, so each append is recognisable.
        let t = t0() + 1000 * i64::from(version);
        let produce =
            move |name: &str, acks: i16, parts: Vec<(&'static str, i32, Option<Bytes>)>| {
                case(name.to_string(), version, move |ctx| {
                    request(ctx, version, acks, &parts)
                })
            };
        cases.push(produce(
            "acks-all",
            -1,
            vec![(TOPIC_PRODUCE, 0, Some(batch(2, t, None)))],
        ));
        cases.push(produce(
            "acks-leader",
            1,
            vec![(TOPIC_PRODUCE, 1, Some(batch(1, t, None)))],
        ));
        // acks=0 gets no answer: both stay silent, and the next case shows
        // whether the records were written.
        cases.push(
            produce(
                "acks-none",
                0,
                vec![(TOPIC_PRODUCE, 1, Some(batch(1, t + 1, None)))],
            )
            .wait(Duration::from_millis(300)),
        );
        cases.push(produce(
            "two-partitions",
            -1,
            vec![
                (TOPIC_PRODUCE, 0, Some(batch(1, t + 2, None))),
                (TOPIC_PRODUCE, 1, Some(batch(1, t + 2, None))),
            ],
        ));
        cases.push(produce(
            "unknown-topic",
            -1,
            vec![(UNKNOWN_TOPIC, 0, Some(batch(1, t, None)))],
        ));
        cases.push(produce(
            "unknown-partition",
            -1,
            vec![(TOPIC_PRODUCE, 9, Some(batch(1, t, None)))],
        ));
        cases.push(produce(
            "internal-topic",
            -1,
            vec![("__consumer_offsets", 0, Some(batch(1, t, None)))],
        ));
        cases.push(produce(
            "invalid-acks",
            2,
            vec![(TOPIC_PRODUCE, 0, Some(batch(1, t, None)))],
        ));
        cases.push(produce(
            "corrupt-crc",
            -1,
            vec![(TOPIC_PRODUCE, 0, Some(corrupt_batch()))],
        ));
        if Some(version) == v.newest(ApiKey::Produce) {
            // Kafka 4.4 fails on this with a NullPointerException and never
            // answers: one version is enough to keep that in view.
            cases.push(
                produce("null-records", -1, vec![(TOPIC_PRODUCE, 0, None)])
                    .wait(Duration::from_secs(2)),
            );
        }
        cases.push(produce(
            "empty-records",
            -1,
            vec![(TOPIC_PRODUCE, 0, Some(Bytes::new()))],
        ));
        cases.push(produce("no-topics", -1, vec![]));
        cases.push(produce(
            "duplicate-partition",
            -1,
            vec![
                (TOPIC_PRODUCE, 0, Some(batch(1, t + 3, None))),
                (TOPIC_PRODUCE, 0, Some(batch(1, t + 4, None))),
            ],
        ));
        cases.push(produce(
            "two-batches-one-partition",
            -1,
            vec![(
                TOPIC_PRODUCE,
                0,
                Some({
                    let mut two = batch(1, t + 5, None).to_vec();
                    two.extend_from_slice(&batch(1, t + 6, None));
                    Bytes::from(two)
                }),
            )],
        ));
        // KIP-467: every invalid record named, with the batch refused.
        let now = t0() + 3_600_000;
        let two_hours_ahead = now + 7_200_000;
        cases.push(produce(
            "compacted-without-keys",
            -1,
            vec![(
                TOPIC_COMPACT,
                0,
                Some(records_batch(
                    &[(Some("k"), t), (None, t), (None, t)],
                    false,
                )),
            )],
        ));
        cases.push(produce(
            "timestamp-too-far-ahead",
            -1,
            vec![(
                TOPIC_PRODUCE,
                0,
                Some(records_batch(
                    &[(Some("k"), t), (Some("k"), two_hours_ahead)],
                    false,
                )),
            )],
        ));
        cases.push(produce(
            "compacted-keyless-and-ahead",
            -1,
            vec![(
                TOPIC_COMPACT,
                0,
                Some(records_batch(
                    &[
                        (None, two_hours_ahead),
                        (Some("k"), two_hours_ahead),
                        (None, t),
                    ],
                    false,
                )),
            )],
        ));
        cases.push(produce(
            "log-append-time-batch",
            -1,
            vec![(
                TOPIC_PRODUCE,
                0,
                Some(records_batch(&[(Some("k"), t)], true)),
            )],
        ));
        cases.push(produce(
            "log-append-time-batch-to-log-append-time-topic",
            -1,
            vec![(
                TOPIC_APPEND_TIME,
                0,
                Some(records_batch(&[(Some("k"), t)], true)),
            )],
        ));
        cases.push(produce(
            "log-append-time-topic",
            -1,
            vec![(TOPIC_APPEND_TIME, 0, Some(batch(1, t, None)))],
        ));
        cases.push(
            produce(
                "trailing-bytes",
                -1,
                vec![(TOPIC_PRODUCE, 0, Some(batch(1, t + 7, None)))],
            )
            .trailing(&[0, 0, 0]),
        );
        if version >= 9 {
            // The same null in the compact encoding: transactional_id null
            // (0), acks -1, timeout, topic_data null (0), no tagged fields.
            let mut body = vec![0, 0xff, 0xff];
            body.extend_from_slice(&10_000i32.to_be_bytes());
            body.extend_from_slice(&[0, 0]);
            cases.push(raw_case::<ProduceRequest>(
                "null-topic-array",
                version,
                body,
            ));
            cases.push(
                produce(
                    "unknown-tagged-field",
                    -1,
                    vec![(TOPIC_PRODUCE, 0, Some(batch(1, t + 8, None)))],
                )
                .body_tag(),
            );
            cases.push(
                produce(
                    "unknown-header-tag",
                    -1,
                    vec![(TOPIC_PRODUCE, 0, Some(batch(1, t + 9, None)))],
                )
                .header_tag(),
            );
        } else {
            // A null array where the schema has none: transactional_id
            // null, acks -1, timeout, topic_data length -1.
            let mut body = vec![0xff, 0xff, 0xff, 0xff];
            body.extend_from_slice(&10_000i32.to_be_bytes());
            body.extend_from_slice(&(-1i32).to_be_bytes());
            cases.push(raw_case::<ProduceRequest>(
                "null-topic-array",
                version,
                body,
            ));
        }
    }
    cases
}
