//! ListOffsets (key 2): offsets by time — earliest (-2), latest (-1), the
//! record with the largest timestamp (-3), earliest local (-4, the same as
//! earliest without tiered storage), or the first record at or after a
//! timestamp, found through the time index.

use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ApiKey, ListOffsetsRequest, ListOffsetsResponse};

use crate::protocol::error_codes::{for_leader_epoch, for_storage};
use crate::protocol::{Handler, Outcome, RequestContext};
use crate::storage::{PartitionLog, StorageError, LEADER_EPOCH};

pub struct Api;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;

/// (timestamp, offset) for a target timestamp; (-1, -1) when nothing matches.
fn lookup(log: &PartitionLog, target: i64) -> Result<(i64, i64), StorageError> {
    let offsets = log.offsets()?;
    Ok(match target {
        LATEST => (-1, offsets.high_watermark),
        EARLIEST | EARLIEST_LOCAL => (-1, offsets.log_start_offset),
        MAX_TIMESTAMP => log
            .max_timestamp()?
            .filter(|m| m.offset < offsets.high_watermark)
            .map_or((-1, -1), |m| (m.timestamp, m.offset)),
        timestamp => log
            .find_by_timestamp(timestamp)?
            .map_or((-1, -1), |m| (m.timestamp, m.offset)),
    })
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::ListOffsets;
    const MIN_VERSION: i16 = 1;
    const MAX_VERSION: i16 = 8;
    type Request = ListOffsetsRequest;
    type Response = ListOffsetsResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: ListOffsetsRequest,
    ) -> Outcome<ListOffsetsResponse> {
        let cluster = &ctx.state.cluster;
        let version = ctx.api_version;
        let topics = request
            .topics
            .into_iter()
            .map(|t| {
                let topic = cluster.topic(&t.name.0);
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let response = ListOffsetsPartitionResponse::default()
                            .with_partition_index(p.partition_index);
                        let log = match ctx.led_partition(topic.as_deref(), p.partition_index) {
                            Ok(log) => log,
                            Err(error) => return response.with_error_code(error.code()),
                        };
                        if let Some(error) = for_leader_epoch(p.current_leader_epoch, LEADER_EPOCH)
                        {
                            return response.with_error_code(error.code());
                        }
                        match lookup(&log, p.timestamp) {
                            Ok((timestamp, offset)) => response
                                .with_timestamp(timestamp)
                                .with_offset(offset)
                                // The field exists from v4; kafka-protocol refuses to
                                // encode it set at older versions.
                                .with_leader_epoch(if offset >= 0 && version >= 4 {
                                    LEADER_EPOCH
                                } else {
                                    -1
                                }),
                            Err(e) => response.with_error_code(for_storage(&e).code()),
                        }
                    })
                    .collect();
                ListOffsetsTopicResponse::default()
                    .with_name(t.name)
                    .with_partitions(partitions)
            })
            .collect();
        Outcome::Respond(ListOffsetsResponse::default().with_topics(topics))
    }
}
