//! DescribeProducers (key 61): the idempotent producers a partition keeps
//! state for (producer id, epoch, last sequence, timestamp of the last
//! batch), as `kafka-transactions.sh describe-producers` shows them. klamm
//! has no transactions yet, so the coordinator epoch and the transaction
//! start offset are always -1. A broker that holds no replica of the
//! partition answers NOT_LEADER_OR_FOLLOWER; in a simulated cluster every
//! replica shares the leader's state, so any replica answers.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_producers_response::{
    PartitionResponse, ProducerState, TopicResponse,
};
use kafka_protocol::messages::{
    ApiKey, DescribeProducersRequest, DescribeProducersResponse, ProducerId,
};
use kafka_protocol::protocol::StrBytes;

use crate::cluster::{names, Cluster};
use crate::protocol::error_codes::for_storage;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

fn failed(partition: i32, error: ResponseError, message: Option<&str>) -> PartitionResponse {
    PartitionResponse::default()
        .with_partition_index(partition)
        .with_error_code(error.code())
        .with_error_message(message.map(|m| StrBytes::from_string(m.to_string())))
}

fn describe(cluster: &Cluster, node_id: i32, topic: &str, partition: i32) -> PartitionResponse {
    if let Some(reason) = names::validate(topic) {
        return failed(
            partition,
            ResponseError::InvalidTopicException,
            Some(&reason),
        );
    }
    let Some(t) = cluster.topic(topic) else {
        return failed(
            partition,
            ResponseError::UnknownTopicOrPartition,
            Some("This server does not host this topic-partition."),
        );
    };
    let Some(log) = t.partition(partition) else {
        return failed(partition, ResponseError::UnknownTopicOrPartition, None);
    };
    if !cluster.partition_replicas(&t, partition).contains(&node_id) {
        return failed(partition, ResponseError::NotLeaderOrFollower, None);
    }
    match log.active_producers() {
        Ok(producers) => PartitionResponse::default()
            .with_partition_index(partition)
            .with_error_message(None)
            .with_active_producers(
                producers
                    .into_iter()
                    .map(|p| {
                        ProducerState::default()
                            .with_producer_id(ProducerId(p.producer_id))
                            .with_producer_epoch(i32::from(p.epoch))
                            .with_last_sequence(p.last_sequence)
                            .with_last_timestamp(p.last_timestamp)
                            .with_coordinator_epoch(-1)
                            .with_current_txn_start_offset(-1)
                    })
                    .collect(),
            ),
        Err(e) => failed(partition, for_storage(&e), None),
    }
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::DescribeProducers;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 0;
    type Request = DescribeProducersRequest;
    type Response = DescribeProducersResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: DescribeProducersRequest,
    ) -> Outcome<DescribeProducersResponse> {
        let cluster = &ctx.state.cluster;
        let topics = request
            .topics
            .iter()
            .map(|t| {
                TopicResponse::default()
                    .with_name(t.name.clone())
                    .with_partitions(
                        t.partition_indexes
                            .iter()
                            .map(|p| describe(cluster, ctx.node_id, &t.name.0, *p))
                            .collect(),
                    )
            })
            .collect();
        Outcome::Respond(DescribeProducersResponse::default().with_topics(topics))
    }
}
