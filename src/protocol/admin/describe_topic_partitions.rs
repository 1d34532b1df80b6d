//! DescribeTopicPartitions (key 75): topics and their partitions, page by
//! page (KIP-966). The Java admin client's `describeTopics` and
//! `kafka-topics.sh --describe` use it instead of Metadata.
//!
//! As Kafka does: no topics means every topic; topics are answered in name
//! order from the cursor's topic (and, for that topic, from the cursor's
//! partition) on; at most `response_partition_limit` partitions (capped to
//! 1..=2000, Kafka's `max.request.partition.size.limit`) are answered, and
//! `next_cursor` says where the next page starts. A cursor naming a topic
//! the request does not list, or a negative partition, is INVALID_REQUEST.
//! Unknown topics are answered with an error only when named, never when
//! every topic was asked for. Every replica is in sync, so the eligible
//! leader replica lists are empty and nothing is offline.

use std::collections::BTreeSet;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_topic_partitions_response::{
    Cursor, DescribeTopicPartitionsResponsePartition, DescribeTopicPartitionsResponseTopic,
};
use kafka_protocol::messages::{
    ApiKey, BrokerId, DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use crate::cluster::{names, Cluster, Topic};
use crate::protocol::{Handler, Outcome, RequestContext, OPERATIONS_NOT_REQUESTED};
use crate::storage::LEADER_EPOCH;

pub struct Api;

/// Kafka's `max.request.partition.size.limit` default.
const MAX_PARTITIONS: i32 = 2000;

/// Every operation on a topic, as Kafka without an authorizer reports them
/// (READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS,
/// ALTER_CONFIGS).
const TOPIC_OPERATIONS: i32 = 3576;

/// Kafka's internal topics (`Topic.isInternal`).
pub(crate) fn is_internal(name: &str) -> bool {
    matches!(
        name,
        "__consumer_offsets" | "__transaction_state" | "__share_group_state"
    )
}

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

/// Partitions `from..` of a topic, at most `limit` of them, and the index
/// the next page starts at if some are left.
fn partitions(
    cluster: &Cluster,
    topic: &Topic,
    from: i32,
    limit: i32,
) -> (Vec<DescribeTopicPartitionsResponsePartition>, Option<i32>) {
    let count = topic.partition_count();
    let upper = count.min(from.saturating_add(limit));
    let partitions = (from..upper)
        .map(|p| {
            let replicas: Vec<BrokerId> = cluster
                .partition_replicas(topic, p)
                .into_iter()
                .map(BrokerId)
                .collect();
            DescribeTopicPartitionsResponsePartition::default()
                .with_partition_index(p)
                .with_leader_id(replicas.first().copied().unwrap_or(BrokerId(-1)))
                .with_leader_epoch(LEADER_EPOCH)
                .with_isr_nodes(replicas.clone())
                .with_replica_nodes(replicas)
                .with_eligible_leader_replicas(Some(Vec::new()))
                .with_last_known_elr(Some(Vec::new()))
        })
        .collect();
    (partitions, (upper < count).then_some(upper))
}

/// Kafka's answer to a request it refuses: each named topic with the error
/// and nothing else.
fn invalid(request: &DescribeTopicPartitionsRequest) -> DescribeTopicPartitionsResponse {
    let topics = request
        .topics
        .iter()
        .map(|t| {
            DescribeTopicPartitionsResponseTopic::default()
                .with_name(Some(t.name.clone()))
                .with_error_code(ResponseError::InvalidRequest.code())
                .with_is_internal(is_internal(&t.name.0))
                .with_topic_authorized_operations(OPERATIONS_NOT_REQUESTED)
        })
        .collect();
    DescribeTopicPartitionsResponse::default().with_topics(topics)
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::DescribeTopicPartitions;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 0;
    type Request = DescribeTopicPartitionsRequest;
    type Response = DescribeTopicPartitionsResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: DescribeTopicPartitionsRequest,
    ) -> Outcome<DescribeTopicPartitionsResponse> {
        let cluster = &ctx.state.cluster;
        let every_topic = request.topics.is_empty();
        let cursor = request.cursor.as_ref();
        let from_topic: &str = cursor.map_or("", |c| &c.topic_name.0);
        let wanted: BTreeSet<String> = if every_topic {
            cluster.topics().iter().map(|t| t.name.clone()).collect()
        } else {
            request
                .topics
                .iter()
                .map(|t| t.name.0.to_string())
                .collect()
        };
        let wanted: BTreeSet<String> = wanted
            .into_iter()
            .filter(|name| name.as_str() >= from_topic)
            .collect();
        if let Some(cursor) = cursor {
            let reason = if !every_topic && !wanted.contains(cursor.topic_name.0.as_str()) {
                Some(format!(
                    "DescribeTopicPartitionsRequest topic list should contain the cursor topic: {}",
                    cursor.topic_name.0
                ))
            } else if cursor.partition_index < 0 {
                Some(format!(
                    "DescribeTopicPartitionsRequest cursor partition must be valid: {}",
                    cursor.partition_index
                ))
            } else {
                None
            };
            if let Some(reason) = reason {
                ctx.refused(Self::KEY, ResponseError::InvalidRequest, &reason);
                return Outcome::Respond(invalid(&request));
            }
        }
        let mut remaining = request.response_partition_limit.clamp(1, MAX_PARTITIONS);
        let mut response = DescribeTopicPartitionsResponse::default();
        for name in &wanted {
            if remaining == 0 {
                // The page is full: the next one starts at this topic.
                response.next_cursor = Some(
                    Cursor::default()
                        .with_topic_name(topic_name(name))
                        .with_partition_index(0),
                );
                break;
            }
            let answer = DescribeTopicPartitionsResponseTopic::default()
                .with_name(Some(topic_name(name)))
                .with_is_internal(is_internal(name))
                .with_topic_authorized_operations(TOPIC_OPERATIONS);
            let Some(topic) = cluster.topic(name) else {
                if !every_topic {
                    let error = if names::invalid_reason(name).is_some() {
                        ResponseError::InvalidTopicException
                    } else {
                        ResponseError::UnknownTopicOrPartition
                    };
                    response.topics.push(
                        answer
                            .with_error_code(error.code())
                            .with_topic_id(Uuid::nil()),
                    );
                }
                continue;
            };
            let from = match cursor {
                Some(c) if c.topic_name.0.as_str() == name => c.partition_index,
                _ => 0,
            };
            let (partitions, next) = partitions(cluster, &topic, from, remaining);
            remaining -= partitions.len() as i32;
            response
                .topics
                .push(answer.with_topic_id(topic.id).with_partitions(partitions));
            if let Some(next) = next {
                response.next_cursor = Some(
                    Cursor::default()
                        .with_topic_name(topic_name(name))
                        .with_partition_index(next),
                );
                break;
            }
        }
        Outcome::Respond(response)
    }
}
