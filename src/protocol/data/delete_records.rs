//! DeleteRecords (key 21): moves partitions' log start offsets forward
//! (offset -1: to the high watermark) and answers with the new low
//! watermark. An offset past the high watermark is OFFSET_OUT_OF_RANGE.
//! The move is durable and every reader respects it (see
//! `PartitionLog::delete_records`). A partition named twice is moved once,
//! to the last offset given for it, as Kafka's request map keeps it.

use indexmap::IndexMap;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::{ApiKey, DeleteRecordsRequest, DeleteRecordsResponse, TopicName};

use crate::protocol::error_codes::for_storage;
use crate::protocol::{Handler, Outcome, RequestContext};
use crate::storage::now_ms;

pub struct Api;

/// Moves the start of a partition this broker leads.
fn delete(
    ctx: &RequestContext<'_>,
    topic: &str,
    partition: i32,
    offset: i64,
) -> Result<i64, ResponseError> {
    let topic = ctx.state.cluster.topic(topic);
    let log = ctx.led_partition(topic.as_deref(), partition)?;
    log.delete_records(offset, now_ms())
        .map_err(|e| for_storage(&e))
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::DeleteRecords;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 2;
    type Request = DeleteRecordsRequest;
    type Response = DeleteRecordsResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: DeleteRecordsRequest,
    ) -> Outcome<DeleteRecordsResponse> {
        let mut wanted: IndexMap<TopicName, IndexMap<i32, i64>> = IndexMap::new();
        for topic in request.topics {
            let partitions = wanted.entry(topic.name).or_default();
            for p in topic.partitions {
                partitions.insert(p.partition_index, p.offset);
            }
        }
        let topics = wanted
            .into_iter()
            .map(|(name, partitions)| {
                let partitions = partitions
                    .into_iter()
                    .map(|(index, offset)| {
                        let result =
                            DeleteRecordsPartitionResult::default().with_partition_index(index);
                        match delete(ctx, &name.0, index, offset) {
                            Ok(low_watermark) => result.with_low_watermark(low_watermark),
                            Err(error) => {
                                result.with_low_watermark(-1).with_error_code(error.code())
                            }
                        }
                    })
                    .collect();
                DeleteRecordsTopicResult::default()
                    .with_name(name)
                    .with_partitions(partitions)
            })
            .collect();
        Outcome::Respond(DeleteRecordsResponse::default().with_topics(topics))
    }
}
