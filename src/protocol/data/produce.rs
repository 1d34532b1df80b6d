//! Produce (key 0): validate each partition's batch, append it, report where.
//!
//! acks=1 and acks=-1 are the same for a broker that is its own only
//! replica, except that acks=-1 honours `min.insync.replicas`. With acks=0
//! nothing is sent back; Kafka then closes the connection if anything failed,
//! which is the only way such a client learns of it. With fsync-before-ack
//! the response waits until every appended batch is on disk.

use indexmap::IndexMap;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ApiKey, ProduceRequest, ProduceResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use crate::cluster::Topic;
use crate::conformance::Deviation;
use crate::protocol::error_codes::{for_batch, for_storage};
use crate::protocol::{Handler, Outcome, RequestContext};
use crate::storage::{now_ms, validate_batch, ValidationRules};

pub struct Api;

fn error(index: i32, error: ResponseError, message: Option<String>) -> PartitionProduceResponse {
    PartitionProduceResponse::default()
        .with_index(index)
        .with_error_code(error.code())
        .with_base_offset(-1)
        .with_error_message(message.map(StrBytes::from_string))
}

/// Appends one partition's records; the response, and a wait for the fsync
/// if the broker flushes before acking.
fn produce_partition(
    ctx: &RequestContext<'_>,
    topic: Option<&Topic>,
    index: i32,
    records: Option<bytes::Bytes>,
    acks: i16,
) -> (PartitionProduceResponse, Option<crate::storage::Durable>) {
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
        now_ms: now,
    };
    let batch = match validate_batch(records.unwrap_or_default(), &rules) {
        Ok(batch) => batch,
        Err(e) => return (error(index, for_batch(&e), Some(e.to_string())), None),
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
        Err(e) => (error(index, for_storage(&e), Some(e.to_string())), None),
    }
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::Produce;
    const MIN_VERSION: i16 = 3;
    const MAX_VERSION: i16 = 11;
    type Request = ProduceRequest;
    type Response = ProduceResponse;

    async fn handle(ctx: &RequestContext<'_>, request: ProduceRequest) -> Outcome<ProduceResponse> {
        let acks = request.acks;
        let valid_acks = matches!(acks, -1..=1);
        // Kafka collects the request into a map keyed by topic and
        // partition, so a partition named twice is appended once, with the
        // last batch given for it, and answered once.
        let mut requested: IndexMap<TopicName, IndexMap<i32, Option<bytes::Bytes>>> =
            IndexMap::new();
        for topic_data in request.topic_data {
            let partitions = requested.entry(topic_data.name).or_default();
            for data in topic_data.partition_data {
                partitions.insert(data.index, data.records);
            }
        }
        let mut topics = Vec::with_capacity(requested.len());
        let mut waits = Vec::new();
        for (name, requested_partitions) in requested {
            let topic = ctx.state.cluster.topic(&name.0);
            let mut partitions = Vec::with_capacity(requested_partitions.len());
            for (index, records) in requested_partitions {
                if !valid_acks {
                    partitions.push(error(index, ResponseError::InvalidRequiredAcks, None));
                    continue;
                }
                let (response, durable) =
                    produce_partition(ctx, topic.as_deref(), index, records, acks);
                if let Some(durable) = durable {
                    waits.push((topics.len(), partitions.len(), durable));
                }
                partitions.push(response);
            }
            topics.push(
                TopicProduceResponse::default()
                    .with_name(name)
                    .with_partition_responses(partitions),
            );
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
                    &*t.name.0, p.index, p.error_code
                )),
                None => Outcome::NoResponse,
            };
        }
        Outcome::Respond(ProduceResponse::default().with_responses(topics))
    }
}
