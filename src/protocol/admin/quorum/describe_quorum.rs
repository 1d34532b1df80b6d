//! DescribeQuorum (key 55): the KRaft metadata quorum, which klamm answers
//! as the one-voter quorum it amounts to: the controller broker leads
//! `__cluster_metadata` partition 0 at the epoch of this start, the high
//! watermark counts klamm's metadata changes, the voter is caught up as of
//! now, and the other simulated brokers are observers. v2's node list gives
//! the voter's address on the listener the client used (klamm has no
//! separate controller listener). Asking for anything but that one
//! partition is UNKNOWN_TOPIC_OR_PARTITION for each partition asked, as in
//! Kafka.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_quorum_response::{
    Listener, Node, PartitionData, ReplicaState, TopicData,
};
use kafka_protocol::messages::{ApiKey, BrokerId, DescribeQuorumRequest, DescribeQuorumResponse};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use crate::cluster::quorum::observer_directory_id;
use crate::protocol::{Handler, Outcome, RequestContext};
use crate::storage::now_ms;

pub struct Api;

const METADATA_TOPIC: &str = "__cluster_metadata";

fn asks_for_the_metadata_partition(request: &DescribeQuorumRequest) -> bool {
    matches!(request.topics.as_slice(), [topic]
        if topic.topic_name.0.as_str() == METADATA_TOPIC
            && matches!(topic.partitions.as_slice(), [p] if p.partition_index == 0))
}

fn unknown(request: &DescribeQuorumRequest) -> DescribeQuorumResponse {
    let topics = request
        .topics
        .iter()
        .map(|t| {
            TopicData::default()
                .with_topic_name(t.topic_name.clone())
                .with_partitions(
                    t.partitions
                        .iter()
                        .map(|p| {
                            PartitionData::default()
                                .with_partition_index(p.partition_index)
                                .with_error_code(ResponseError::UnknownTopicOrPartition.code())
                                .with_error_message(Some(StrBytes::from_static_str(
                                    "This server does not host this topic-partition.",
                                )))
                        })
                        .collect(),
                )
        })
        .collect();
    DescribeQuorumResponse::default().with_topics(topics)
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::DescribeQuorum;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 2;
    type Request = DescribeQuorumRequest;
    type Response = DescribeQuorumResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: DescribeQuorumRequest,
    ) -> Outcome<DescribeQuorumResponse> {
        if !asks_for_the_metadata_partition(&request) {
            return Outcome::Respond(unknown(&request));
        }
        let cluster = &ctx.state.cluster;
        let quorum = cluster.quorum();
        let now = now_ms();
        let replica = |id: i32| {
            let directory = if quorum.voters.contains(&id) {
                Uuid::nil()
            } else {
                observer_directory_id(cluster.cluster_id(), id)
            };
            ReplicaState::default()
                .with_replica_id(BrokerId(id))
                .with_replica_directory_id(directory)
                .with_log_end_offset(quorum.high_watermark)
                .with_last_fetch_timestamp(now)
                .with_last_caught_up_timestamp(now)
        };
        let partition = PartitionData::default()
            .with_partition_index(0)
            .with_error_message(Some(StrBytes::default()))
            .with_leader_id(BrokerId(quorum.leader_id))
            .with_leader_epoch(quorum.epoch)
            .with_high_watermark(quorum.high_watermark)
            .with_current_voters(quorum.voters.iter().map(|id| replica(*id)).collect())
            .with_observers(quorum.observers.iter().map(|id| replica(*id)).collect());
        let mut response = DescribeQuorumResponse::default()
            .with_error_message(Some(StrBytes::default()))
            .with_topics(vec![TopicData::default()
                .with_topic_name(kafka_protocol::messages::TopicName(
                    StrBytes::from_static_str(METADATA_TOPIC),
                ))
                .with_partitions(vec![partition])]);
        if ctx.api_version >= 2 {
            response.nodes = quorum
                .voters
                .iter()
                .filter_map(|id| {
                    let broker = cluster.brokers().iter().find(|b| b.node_id == *id)?;
                    let endpoint = broker.endpoint(ctx.listener)?;
                    Some(Node::default().with_node_id(BrokerId(*id)).with_listeners(
                        vec![Listener::default()
                                .with_name(StrBytes::from_string(endpoint.listener.clone()))
                                .with_host(StrBytes::from_string(endpoint.host.clone()))
                                .with_port(endpoint.port)],
                    ))
                })
                .collect();
        }
        Outcome::Respond(response)
    }
}
