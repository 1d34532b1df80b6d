//! Produce (key 0): validate each partition's batch, append it, report where.
//!
//! acks=1 and acks=-1 are the same for a broker that is its own only
//! replica, except that acks=-1 honours `min.insync.replicas`. With acks=0
//! nothing is sent back; Kafka then closes the connection if anything failed,
//! which is the only way such a client learns of it. With fsync-before-ack
//! the response waits until every appended batch is on disk.
//!
//! From v13 topics are named by id; an id the cluster does not know is
//! UNKNOWN_TOPIC_ID. From v10 a partition led by another broker of a
//! simulated cluster is answered with its leader (KIP-951). Kafka 4 still
//! advertises v0-2 (librdkafka reads a minimum above 0 as "no produce",
//! KAFKA-18659) but closes the connection on them, and so does klamm.

use std::sync::Arc;

use indexmap::IndexMap;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::produce_response::{
    BatchIndexAndErrorMessage, LeaderIdAndEpoch, NodeEndpoint, PartitionProduceResponse,
    TopicProduceResponse,
};
use kafka_protocol::messages::{ApiKey, BrokerId, ProduceRequest, ProduceResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::leader_hints::LeaderHints;
use crate::cluster::{names, Topic};
use crate::config::AutoCreateTopics;
use crate::conformance::Deviation;
use crate::protocol::error_codes::{for_batch, for_cluster, for_storage};
use crate::protocol::{Handler, Outcome, RequestContext};
use crate::storage::{
    now_ms, validate_batch, BatchError, PartitionLog, RecordProblem, RecordProblems,
    ValidationRules,
};

pub struct Api;

fn error(index: i32, error: ResponseError, message: Option<String>) -> PartitionProduceResponse {
    PartitionProduceResponse::default()
        .with_index(index)
        .with_error_code(error.code())
        .with_base_offset(-1)
        .with_error_message(message.map(StrBytes::from_string))
}

/// A batch refused by the log (its records, or the producer's sequence):
/// Kafka reports the partition's log start offset with the error.
fn refused(
    log: &PartitionLog,
    index: i32,
    e: ResponseError,
    message: String,
) -> PartitionProduceResponse {
    error(index, e, Some(message))
        .with_log_start_offset(log.offsets().map_or(-1, |o| o.log_start_offset))
}

/// The records Kafka's log validator refused (KIP-467), in its words: each
/// record by its index (v8+), and the batch's message.
fn record_errors(
    topic: &str,
    index: i32,
    problems: &RecordProblems,
) -> (Vec<BatchIndexAndErrorMessage>, String) {
    let (earliest, latest) = problems.window;
    let listed: Vec<(i32, String)> = problems
        .listed
        .iter()
        .map(|problem| match *problem {
            RecordProblem::MissingKey { index: record } => (
                record as i32,
                format!("Compacted topic cannot accept message without key in topic partition {topic}-{index}"),
            ),
            RecordProblem::Timestamp {
                index: record,
                timestamp,
                offset,
            } => (
                record as i32,
                format!("Timestamp {timestamp} of message with offset {offset} is out of range. The timestamp should be within [{earliest}, {latest}]"),
            ),
        })
        .collect();
    let message = if problems.any_timestamp {
        "One or more records have been rejected due to invalid timestamp".to_string()
    } else {
        let first: Vec<String> = listed
            .iter()
            .take(3)
            .map(|(record, message)| {
                format!("RecordError(batchIndex={record}, message='{message}')")
            })
            .collect();
        format!(
            "One or more records have been rejected due to {} record errors in total, and only showing the first three errors at most: [{}]",
            problems.total,
            first.join(", ")
        )
    };
    let errors = listed
        .into_iter()
        .map(|(record, message)| {
            BatchIndexAndErrorMessage::default()
                .with_batch_index(record)
                .with_batch_index_error_message(Some(StrBytes::from_string(message)))
        })
        .collect();
    (errors, message)
}

/// Whether Kafka refuses the batch before its log sees it, and so answers
/// log start offset -1: the request's shape (not exactly one batch, an old
/// format, zstd before v7), or a batch damaged in transit or too large.
fn refused_before_the_log(e: &BatchError) -> bool {
    matches!(
        e,
        BatchError::Missing
            | BatchError::MoreThanOneBatch { .. }
            | BatchError::UnsupportedMagic(_)
            | BatchError::ZstdNeedsNewerProduce
            | BatchError::Truncated { .. }
            | BatchError::LengthTooSmall(_)
            | BatchError::CrcMismatch { .. }
            | BatchError::TooLarge { .. }
    )
}

/// Appends one partition's records; the response, and a wait for the fsync
/// if the broker flushes before acking.
/// The topic a request names; with `auto_create_topics_enable = "always"`
/// a valid name that does not exist yet is created first.
fn topic_by_name(ctx: &RequestContext<'_>, name: &str) -> Option<Arc<Topic>> {
    let cluster = &ctx.state.cluster;
    let found = cluster.topic(name);
    if found.is_some()
        || ctx.state.config.auto_create_topics != AutoCreateTopics::Always
        || names::invalid_reason(name).is_some()
    {
        return found;
    }
    match cluster.auto_create(name) {
        Ok(topic) => Some(topic),
        Err(e) => {
            ctx.refused(
                ApiKey::Produce,
                for_cluster(&e),
                &format!("cannot create topic {name}: {e}"),
            );
            None
        }
    }
}

fn produce_partition(
    ctx: &RequestContext<'_>,
    topic: Option<&Topic>,
    index: i32,
    records: Option<bytes::Bytes>,
    acks: i16,
) -> (PartitionProduceResponse, Option<crate::storage::Durable>) {
    if let Some(topic) = topic.filter(|t| t.internal) {
        let message = format!("Cannot append to internal topic {}", topic.name);
        return (
            error(index, ResponseError::InvalidTopicException, Some(message)),
            None,
        );
    }
    let log = match ctx.led_partition(topic, index) {
        Ok(log) => log,
        Err(e) => return (error(index, e, None), None),
    };
    let Some(topic) = topic else {
        return (
            error(index, ResponseError::UnknownTopicOrPartition, None),
            None,
        );
    };
    let settings = topic.settings();
    if acks == -1 && settings.min_insync_replicas > i64::from(topic.replication_factor) {
        let message = format!(
            "min.insync.replicas is {} but the partition has {} in-sync replica(s)",
            settings.min_insync_replicas, topic.replication_factor
        );
        return (
            error(index, ResponseError::NotEnoughReplicas, Some(message)),
            None,
        );
    }
    let now = now_ms();
    let rules = ValidationRules {
        max_message_bytes: settings.max_message_bytes,
        log_append_time: settings.log_append_time,
        require_keys: settings.compacted,
        allow_zstd: ctx.api_version >= 7,
        timestamp_before_max_ms: settings.timestamp_before_max_ms,
        timestamp_after_max_ms: settings.timestamp_after_max_ms,
        now_ms: now,
    };
    let batch = match validate_batch(records.unwrap_or_default(), &rules) {
        Ok(batch) => batch,
        Err(e) if refused_before_the_log(&e) => {
            return (error(index, for_batch(&e), Some(e.to_string())), None)
        }
        Err(BatchError::InvalidRecords(problems)) => {
            let code = if problems.any_timestamp {
                ResponseError::InvalidTimestamp
            } else {
                ResponseError::InvalidRecord
            };
            let (errors, message) = record_errors(&topic.name, index, &problems);
            let response = refused(&log, index, code, message);
            // The per-record list exists from v8.
            return if ctx.api_version >= 8 {
                (response.with_record_errors(errors), None)
            } else {
                (response, None)
            };
        }
        Err(e) => return (refused(&log, index, for_batch(&e), e.to_string()), None),
    };
    // Bits 7-15 of the attributes are unused in magic 2; Kafka ignores them.
    let attributes = batch.header.header().attributes;
    if attributes & !0x7f != 0 {
        ctx.deviation(
            ApiKey::Produce,
            Deviation::BatchAttributes {
                topic: topic.name.to_string(),
                attributes,
            },
        );
    }
    if batch.header.header().is_transactional() {
        let message = "transactional produce is not supported by klamm".to_string();
        return (
            error(index, ResponseError::InvalidTxnState, Some(message)),
            None,
        );
    }
    let (batch_bytes, batch_records) = (batch.size(), batch.record_count);
    match log.append(batch, now) {
        Ok(appended) => {
            if appended.duplicate_timestamp.is_none() {
                topic.traffic.produced(
                    batch_bytes,
                    i32::try_from(batch_records).unwrap_or(i32::MAX),
                );
            }
            // A retried batch is answered as Kafka does: no error, the
            // original's offset, and its max timestamp as the append time.
            let log_append_time = match appended.duplicate_timestamp {
                Some(original) => original,
                None if rules.log_append_time => now,
                None => -1,
            };
            let response = PartitionProduceResponse::default()
                .with_index(index)
                .with_base_offset(appended.base_offset)
                .with_log_append_time_ms(log_append_time)
                .with_log_start_offset(appended.log_start_offset);
            (response, appended.durable)
        }
        Err(e) => (refused(&log, index, for_storage(&e), e.to_string()), None),
    }
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::Produce;
    const MIN_VERSION: i16 = 3;
    const ADVERTISED_MIN: i16 = 0;
    const MAX_VERSION: i16 = 13;
    type Request = ProduceRequest;
    type Response = ProduceResponse;

    async fn handle(ctx: &RequestContext<'_>, request: ProduceRequest) -> Outcome<ProduceResponse> {
        let acks = request.acks;
        let valid_acks = matches!(acks, -1..=1);
        let by_id = ctx.api_version >= 13;
        // Kafka collects the request into a map keyed by topic and
        // partition, so a partition named twice is appended once, with the
        // last batch given for it, and answered once.
        let mut requested: IndexMap<(TopicName, Uuid), IndexMap<i32, Option<bytes::Bytes>>> =
            IndexMap::new();
        for topic_data in request.topic_data {
            let partitions = requested
                .entry((topic_data.name, topic_data.topic_id))
                .or_default();
            for data in topic_data.partition_data {
                partitions.insert(data.index, data.records);
            }
        }
        let mut topics = Vec::with_capacity(requested.len());
        let mut waits = Vec::new();
        let mut hints = LeaderHints::default();
        for ((name, id), requested_partitions) in requested {
            let topic = if by_id {
                ctx.state.cluster.topic_by_id(&id)
            } else {
                topic_by_name(ctx, &name.0)
            };
            let mut partitions = Vec::with_capacity(requested_partitions.len());
            for (index, records) in requested_partitions {
                if !valid_acks {
                    partitions.push(error(index, ResponseError::InvalidRequiredAcks, None));
                    continue;
                }
                if by_id && topic.is_none() {
                    partitions.push(error(index, ResponseError::UnknownTopicId, None));
                    continue;
                }
                let (mut response, durable) =
                    produce_partition(ctx, topic.as_deref(), index, records, acks);
                if let Some(durable) = durable {
                    waits.push((topics.len(), partitions.len(), durable));
                }
                if let (Some(topic), true) = (&topic, ctx.api_version >= 10) {
                    if response.error_code == ResponseError::NotLeaderOrFollower.code() {
                        let (leader, epoch) = hints.leader(ctx, topic, index);
                        response.current_leader = LeaderIdAndEpoch::default()
                            .with_leader_id(BrokerId(leader))
                            .with_leader_epoch(epoch);
                    }
                }
                partitions.push(response);
            }
            let response = TopicProduceResponse::default().with_partition_responses(partitions);
            topics.push(if by_id {
                response.with_topic_id(id)
            } else {
                response.with_name(name)
            });
        }
        for (t, p, durable) in waits {
            let failure = match durable.await {
                Ok(Ok(())) => None,
                Ok(Err(message)) => Some(message),
                Err(_) => Some("the fsync thread stopped".to_string()),
            };
            if let Some(message) = failure {
                let partition: &mut PartitionProduceResponse =
                    &mut topics[t].partition_responses[p];
                *partition = error(
                    partition.index,
                    ResponseError::KafkaStorageError,
                    Some(message),
                );
            }
        }
        if acks == 0 {
            let failed = topics
                .iter()
                .flat_map(|t| t.partition_responses.iter().map(move |p| (t, p)))
                .find(|(_, p)| p.error_code != 0);
            return match failed {
                Some((t, p)) => Outcome::Close(format!(
                    "acks=0 produce to {}-{} failed with error code {}",
                    if by_id {
                        t.topic_id.to_string()
                    } else {
                        t.name.0.to_string()
                    },
                    p.index,
                    p.error_code
                )),
                None => Outcome::NoResponse,
            };
        }
        let node_endpoints = hints
            .into_nodes()
            .map(|(id, host, port)| {
                NodeEndpoint::default()
                    .with_node_id(BrokerId(id))
                    .with_host(StrBytes::from_string(host))
                    .with_port(port)
            })
            .collect();
        Outcome::Respond(
            ProduceResponse::default()
                .with_responses(topics)
                .with_node_endpoints(node_endpoints),
        )
    }
}
