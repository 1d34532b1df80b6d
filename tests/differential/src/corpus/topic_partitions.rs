//! DescribeTopicPartitions (75): topics page by page, with Kafka's cursor
//! and partition limit.

use kafka_protocol::messages::describe_topic_partitions_request::{Cursor, TopicRequest};
use kafka_protocol::messages::{ApiKey, DescribeTopicPartitionsRequest};

use super::ctx::name;
use super::fixtures::*;
use super::{case, Case};
use crate::versions::Versions;

fn request(
    topics: &[&str],
    limit: i32,
    cursor: Option<(&str, i32)>,
) -> DescribeTopicPartitionsRequest {
    DescribeTopicPartitionsRequest::default()
        .with_topics(
            topics
                .iter()
                .map(|t| TopicRequest::default().with_name(name(t)))
                .collect(),
        )
        .with_response_partition_limit(limit)
        .with_cursor(cursor.map(|(t, p)| {
            Cursor::default()
                .with_topic_name(name(t))
                .with_partition_index(p)
        }))
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    for version in v.compared(ApiKey::DescribeTopicPartitions) {
        let c = move |label: &str, build: fn() -> DescribeTopicPartitionsRequest| {
            case(label.to_string(), version, move |_| build())
        };
        cases.push(c("ordinary", || request(&[TOPIC_A], 2000, None)));
        cases.push(c("two-topics", || {
            request(&[TOPIC_EMPTY, TOPIC_A], 2000, None)
        }));
        cases.push(c("unknown-topic", || {
            request(&[UNKNOWN_TOPIC, TOPIC_B], 2000, None)
        }));
        cases.push(c("invalid-topic-name", || {
            request(&["diff/bad"], 2000, None)
        }));
        cases.push(c("duplicate-topic", || {
            request(&[TOPIC_B, TOPIC_B], 2000, None)
        }));
        cases.push(c("all-topics", || request(&[], 2000, None)));
        cases.push(c("limit-inside-topic", || request(&[TOPIC_A], 1, None)));
        cases.push(c("limit-at-topic-end", || {
            request(&[TOPIC_A, TOPIC_B, TOPIC_EMPTY], 3, None)
        }));
        cases.push(c("limit-across-topics", || {
            request(&[TOPIC_A, TOPIC_B, TOPIC_EMPTY], 4, None)
        }));
        cases.push(c("limit-zero", || request(&[TOPIC_A], 0, None)));
        cases.push(c("limit-negative", || request(&[TOPIC_A], -5, None)));
        cases.push(c("cursor-inside-topic", || {
            request(&[TOPIC_A, TOPIC_B], 2000, Some((TOPIC_A, 1)))
        }));
        cases.push(c("cursor-past-partitions", || {
            request(&[TOPIC_A, TOPIC_B], 2000, Some((TOPIC_A, 7)))
        }));
        cases.push(c("cursor-skips-earlier-topics", || {
            request(&[TOPIC_A, TOPIC_B, TOPIC_EMPTY], 2000, Some((TOPIC_B, 0)))
        }));
        cases.push(c("cursor-topic-not-listed", || {
            request(&[TOPIC_B], 2000, Some((TOPIC_A, 0)))
        }));
        cases.push(c("cursor-negative-partition", || {
            request(&[TOPIC_A], 2000, Some((TOPIC_A, -1)))
        }));
        cases.push(c("cursor-unknown-topic-listed", || {
            request(
                &[UNKNOWN_TOPIC, TOPIC_PRODUCE],
                2000,
                Some((UNKNOWN_TOPIC, 0)),
            )
        }));
        cases.push(c("all-topics-from-cursor", || {
            request(&[], 2000, Some((TOPIC_EMPTY, 1)))
        }));
        cases.push(c("all-topics-paged", || {
            request(&[], 2, Some((TOPIC_A, 1)))
        }));
        cases.push(c("trailing-bytes", || request(&[TOPIC_B], 2000, None)).trailing(&[0, 0, 0]));
        cases.push(c("unknown-tagged-field", || request(&[TOPIC_B], 2000, None)).body_tag());
    }
    cases
}
