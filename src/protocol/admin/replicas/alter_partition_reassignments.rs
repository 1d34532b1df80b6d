//! AlterPartitionReassignments (key 45): moves partitions to other replica
//! lists among the (simulated) brokers.
//!
//! A reassignment is checked as Kafka's controller checks it (known topic
//! and partition, a non-empty list of registered brokers without
//! duplicates, the same replica count unless v1's
//! `allow_replication_factor_change` allows a change) and, once accepted,
//! complete: klamm's replicas are bookkeeping and always in sync, so the
//! new first replica leads at once and nothing is left in progress.
//! Cancelling (null replicas) therefore always finds nothing to cancel
//! (NO_REASSIGNMENT_IN_PROGRESS). The new placement is kept in
//! `cluster.json`.

use kafka_protocol::messages::alter_partition_reassignments_response::{
    ReassignablePartitionResponse, ReassignableTopicResponse,
};
use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse, ApiKey,
};
use kafka_protocol::protocol::StrBytes;

use crate::cluster::ClusterError;
use crate::protocol::error_codes::for_cluster;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::AlterPartitionReassignments;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 1;
    type Request = AlterPartitionReassignmentsRequest;
    type Response = AlterPartitionReassignmentsResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: AlterPartitionReassignmentsRequest,
    ) -> Outcome<AlterPartitionReassignmentsResponse> {
        let cluster = &ctx.state.cluster;
        // v0 had no choice: the replica count could always change.
        let allow_rf_change = ctx.api_version == 0 || request.allow_replication_factor_change;
        // Kafka's top-level message is "" for a request without topics and
        // null otherwise.
        let message = request.topics.is_empty().then(StrBytes::default);
        let responses = request
            .topics
            .iter()
            .map(|topic| {
                let partitions = topic
                    .partitions
                    .iter()
                    .map(|p| {
                        let outcome = match &p.replicas {
                            None => cluster.cancel_reassignment(&topic.name.0, p.partition_index),
                            Some(replicas) => {
                                let replicas: Vec<i32> = replicas.iter().map(|b| b.0).collect();
                                cluster
                                    .reassign(
                                        &topic.name.0,
                                        p.partition_index,
                                        &replicas,
                                        allow_rf_change,
                                    )
                                    .map(drop)
                            }
                        };
                        let response = ReassignablePartitionResponse::default()
                            .with_partition_index(p.partition_index);
                        match outcome {
                            Ok(()) => response.with_error_message(None),
                            // Kafka sends this one without a message.
                            Err(e @ ClusterError::NoReassignmentInProgress(_)) => response
                                .with_error_code(for_cluster(&e).code())
                                .with_error_message(None),
                            Err(e) => response
                                .with_error_code(for_cluster(&e).code())
                                .with_error_message(Some(StrBytes::from_string(e.to_string()))),
                        }
                    })
                    .collect();
                ReassignableTopicResponse::default()
                    .with_name(topic.name.clone())
                    .with_partitions(partitions)
            })
            .collect();
        Outcome::Respond(
            AlterPartitionReassignmentsResponse::default()
                .with_allow_replication_factor_change(allow_rf_change)
                .with_error_message(message)
                .with_responses(responses),
        )
    }
}
