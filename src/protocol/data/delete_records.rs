//! DeleteRecords (key 21): moves partitions' log start offsets forward
//! (offset -1: to the high watermark) and answers with the new low
//! watermark. An offset past the high watermark is OFFSET_OUT_OF_RANGE.
//! The move is durable and every reader respects it (see
//! `PartitionLog::delete_records`).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::{ApiKey, DeleteRecordsRequest, DeleteRecordsResponse};

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
        let topics = request
            .topics
            .iter()
            .map(|t| {
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let result = DeleteRecordsPartitionResult::default()
                            .with_partition_index(p.partition_index);
                        match delete(ctx, &t.name.0, p.partition_index, p.offset) {
                            Ok(low_watermark) => result.with_low_watermark(low_watermark),
                            Err(error) => {
                                result.with_low_watermark(-1).with_error_code(error.code())
                            }
                        }
                    })
                    .collect();
                DeleteRecordsTopicResult::default()
                    .with_name(t.name.clone())
                    .with_partitions(partitions)
            })
            .collect();
        Outcome::Respond(DeleteRecordsResponse::default().with_topics(topics))
    }
}
