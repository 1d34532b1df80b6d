//! ElectLeaders (key 43): preferred (0) or unclean (1) leader election.
//!
//! klamm's leader is always a partition's first replica and every replica
//! is in sync, so a partition always has its preferred leader: Kafka's
//! answer for such a partition is ELECTION_NOT_NEEDED, and that is what
//! every known partition gets, for both election types. Unknown topics and
//! partitions are UNKNOWN_TOPIC_OR_PARTITION. With no partitions named
//! (null) every partition is considered and, as in Kafka, only those an
//! election was needed for are listed: none. An election type Kafka does
//! not know is INVALID_REQUEST, at the top and for each partition named.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::elect_leaders_response::{PartitionResult, ReplicaElectionResult};
use kafka_protocol::messages::{ApiKey, ElectLeadersRequest, ElectLeadersResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use crate::cluster::Cluster;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

fn result(partition: i32, error: ResponseError, message: String) -> PartitionResult {
    PartitionResult::default()
        .with_partition_id(partition)
        .with_error_code(error.code())
        .with_error_message(Some(StrBytes::from_string(message)))
}

/// The outcome of an election for one partition.
fn elect(cluster: &Cluster, topic: &str, partition: i32) -> PartitionResult {
    let Some(t) = cluster.topic(topic) else {
        return result(
            partition,
            ResponseError::UnknownTopicOrPartition,
            format!("No such topic as {topic}"),
        );
    };
    if partition < 0 || partition >= t.partition_count() {
        return result(
            partition,
            ResponseError::UnknownTopicOrPartition,
            format!("No such partition as {topic}-{partition}"),
        );
    }
    result(
        partition,
        ResponseError::ElectionNotNeeded,
        "Leader election not needed for topic partition.".into(),
    )
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::ElectLeaders;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 2;
    type Request = ElectLeadersRequest;
    type Response = ElectLeadersResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: ElectLeadersRequest,
    ) -> Outcome<ElectLeadersResponse> {
        let cluster = &ctx.state.cluster;
        // v0 has no election type: it always meant the preferred leader.
        if ctx.api_version >= 1 && !(0..=1).contains(&request.election_type) {
            // Kafka refuses at the top and for every partition named.
            let reason = format!("Unknown election type {}", request.election_type);
            ctx.refused(Self::KEY, ResponseError::InvalidRequest, &reason);
            let results = request
                .topic_partitions
                .iter()
                .flatten()
                .map(|t| {
                    ReplicaElectionResult::default()
                        .with_topic(t.topic.clone())
                        .with_partition_result(
                            t.partitions
                                .iter()
                                .map(|p| result(*p, ResponseError::InvalidRequest, reason.clone()))
                                .collect(),
                        )
                })
                .collect();
            return Outcome::Respond(
                ElectLeadersResponse::default()
                    .with_error_code(ResponseError::InvalidRequest.code())
                    .with_replica_election_results(results),
            );
        }
        let results = match &request.topic_partitions {
            None => cluster
                .topics()
                .iter()
                .map(|t| {
                    ReplicaElectionResult::default()
                        .with_topic(TopicName(StrBytes::from_string(t.name.clone())))
                })
                .collect(),
            Some(topics) => topics
                .iter()
                .map(|t| {
                    ReplicaElectionResult::default()
                        .with_topic(t.topic.clone())
                        .with_partition_result(
                            t.partitions
                                .iter()
                                .map(|p| elect(cluster, &t.topic.0, *p))
                                .collect(),
                        )
                })
                .collect(),
        };
        Outcome::Respond(ElectLeadersResponse::default().with_replica_election_results(results))
    }
}
