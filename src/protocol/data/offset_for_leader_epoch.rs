//! OffsetForLeaderEpoch (key 23): where a leader epoch ends, so a consumer
//! can check that the log it was reading was not truncated under it.
//!
//! klamm's partitions have a single leader epoch (0) that never ends: asking
//! for it returns the log end offset; asking for a later epoch returns
//! "undefined" (-1, -1), as Kafka's leader does for an epoch it has not seen.
//! Versions 0 and 1 are not served: the codec cannot parse them.

use kafka_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset, OffsetForLeaderTopicResult,
};
use kafka_protocol::messages::{ApiKey, OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse};

use crate::protocol::error_codes::{for_leader_epoch, for_storage};
use crate::protocol::{Handler, Outcome, RequestContext};
use crate::storage::LEADER_EPOCH;

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::OffsetForLeaderEpoch;
    // kafka-protocol (like Kafka 4) decodes v2 and later only; clients that
    // use this API (librdkafka, Java) send v2+.
    const MIN_VERSION: i16 = 2;
    const MAX_VERSION: i16 = 4;
    type Request = OffsetForLeaderEpochRequest;
    type Response = OffsetForLeaderEpochResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: OffsetForLeaderEpochRequest,
    ) -> Outcome<OffsetForLeaderEpochResponse> {
        let cluster = &ctx.state.cluster;
        let topics = request
            .topics
            .into_iter()
            .map(|t| {
                let topic = cluster.topic(&t.topic.0);
                let partitions = t
                    .partitions
                    .iter()
                    .map(|p| {
                        let result = EpochEndOffset::default().with_partition(p.partition);
                        let log = match ctx.led_partition(topic.as_deref(), p.partition) {
                            Ok(log) => log,
                            Err(error) => return result.with_error_code(error.code()),
                        };
                        if let Some(error) = for_leader_epoch(p.current_leader_epoch, LEADER_EPOCH)
                        {
                            return result.with_error_code(error.code());
                        }
                        if p.leader_epoch != LEADER_EPOCH {
                            return result;
                        }
                        match log.offsets() {
                            Ok(offsets) => result
                                .with_leader_epoch(LEADER_EPOCH)
                                .with_end_offset(offsets.log_end_offset),
                            Err(e) => result.with_error_code(for_storage(&e).code()),
                        }
                    })
                    .collect();
                OffsetForLeaderTopicResult::default()
                    .with_topic(t.topic)
                    .with_partitions(partitions)
            })
            .collect();
        Outcome::Respond(OffsetForLeaderEpochResponse::default().with_topics(topics))
    }
}
