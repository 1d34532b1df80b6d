//! ListOffsets (key 2): offsets by time — earliest (-2), latest (-1), the
//! record with the largest timestamp (-3, v7+), earliest local (-4, v8+, the
//! same as earliest without tiered storage), or the first record at or after
//! a timestamp, found through the time index. The tiered-storage offsets,
//! latest tiered (-5, v9+) and earliest pending upload (-6, v11+), have no
//! answer without tiered storage: offset -1, as Kafka answers for a topic
//! that does not tier. A special timestamp before the version that brought
//! it, or any other negative one, is UNSUPPORTED_VERSION, and a partition
//! named twice is INVALID_REQUEST, as in Kafka.

use indexmap::IndexMap;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::list_offsets_request::ListOffsetsPartition;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ApiKey, ListOffsetsRequest, ListOffsetsResponse, TopicName};

use crate::protocol::error_codes::{for_leader_epoch, for_storage};
use crate::protocol::newer::Newer;
use crate::protocol::{Handler, Outcome, RequestContext};
use crate::storage::{PartitionLog, StorageError, LEADER_EPOCH};

pub struct Api;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;
const LATEST_TIERED: i64 = -5;
const EARLIEST_PENDING_UPLOAD: i64 = -6;

/// Whether a request at `version` may ask for `timestamp`: the special
/// (negative) ones each came with a version.
fn timestamp_allowed(timestamp: i64, version: i16) -> bool {
    match timestamp {
        LATEST | EARLIEST => true,
        MAX_TIMESTAMP => version >= 7,
        EARLIEST_LOCAL => version >= 8,
        LATEST_TIERED => version >= 9,
        EARLIEST_PENDING_UPLOAD => version >= 11,
        other => other >= 0,
    }
}

/// (timestamp, offset) for a target timestamp; (-1, -1) when nothing matches.
fn lookup(log: &PartitionLog, target: i64) -> Result<(i64, i64), StorageError> {
    let offsets = log.offsets()?;
    Ok(match target {
        LATEST => (-1, offsets.high_watermark),
        EARLIEST | EARLIEST_LOCAL => (-1, offsets.log_start_offset),
        LATEST_TIERED | EARLIEST_PENDING_UPLOAD => (-1, -1),
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
    const MAX_VERSION: i16 = 11;
    type Request = Newer<ListOffsetsRequest>;
    type Response = Newer<ListOffsetsResponse>;

    async fn handle(
        ctx: &RequestContext<'_>,
        Newer(request): Newer<ListOffsetsRequest>,
    ) -> Outcome<Newer<ListOffsetsResponse>> {
        let cluster = &ctx.state.cluster;
        let version = ctx.api_version;
        // Kafka collects the partitions into a map: one named twice is
        // answered once, with INVALID_REQUEST.
        let mut wanted: IndexMap<TopicName, IndexMap<i32, Option<ListOffsetsPartition>>> =
            IndexMap::new();
        for topic in request.topics {
            let partitions = wanted.entry(topic.name).or_default();
            for p in topic.partitions {
                match partitions.get_mut(&p.partition_index) {
                    Some(seen) => *seen = None,
                    None => {
                        partitions.insert(p.partition_index, Some(p));
                    }
                }
            }
        }
        let topics = wanted
            .into_iter()
            .map(|(name, partitions)| {
                let topic = cluster.topic(&name.0);
                let partitions = partitions
                    .into_iter()
                    .map(|(index, p)| {
                        let response =
                            ListOffsetsPartitionResponse::default().with_partition_index(index);
                        let Some(p) = p else {
                            return response.with_error_code(ResponseError::InvalidRequest.code());
                        };
                        let log = match ctx.led_partition(topic.as_deref(), p.partition_index) {
                            Ok(log) => log,
                            Err(error) => return response.with_error_code(error.code()),
                        };
                        if let Some(error) = for_leader_epoch(p.current_leader_epoch, LEADER_EPOCH)
                        {
                            return response.with_error_code(error.code());
                        }
                        if !timestamp_allowed(p.timestamp, version) {
                            return response
                                .with_error_code(ResponseError::UnsupportedVersion.code());
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
                    .with_name(name)
                    .with_partitions(partitions)
            })
            .collect();
        Outcome::Respond(Newer(ListOffsetsResponse::default().with_topics(topics)))
    }
}
