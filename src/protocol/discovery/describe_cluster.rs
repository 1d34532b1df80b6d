//! DescribeCluster (key 60): the brokers, the controller and the cluster id,
//! what admin clients ask instead of Metadata since Kafka 2.8.
//!
//! klamm's brokers are never fenced and there is no separate controller
//! quorum to describe. As a Kafka broker does, a request for controller
//! endpoints (v1+, endpoint type 2) is MISMATCHED_ENDPOINT_TYPE and any other
//! type UNSUPPORTED_ENDPOINT_TYPE, both with controller id -1; each refusal
//! is logged with its reason.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{ApiKey, BrokerId, DescribeClusterRequest, DescribeClusterResponse};
use kafka_protocol::protocol::StrBytes;

use super::metadata::CLUSTER_OPERATIONS;
use crate::protocol::{Handler, Outcome, RequestContext, OPERATIONS_NOT_REQUESTED};

pub struct Api;

const BROKER_ENDPOINTS: i8 = 1;
const CONTROLLER_ENDPOINTS: i8 = 2;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::DescribeCluster;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 2;
    type Request = DescribeClusterRequest;
    type Response = DescribeClusterResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: DescribeClusterRequest,
    ) -> Outcome<DescribeClusterResponse> {
        let cluster = &ctx.state.cluster;
        let response = DescribeClusterResponse::default()
            .with_cluster_id(StrBytes::from_string(cluster.cluster_id().to_string()));
        if request.endpoint_type != BROKER_ENDPOINTS {
            let (error, message) = if request.endpoint_type == CONTROLLER_ENDPOINTS {
                (
                    ResponseError::MismatchedEndpointType,
                    "controller endpoints were asked of a broker: klamm has no controller listener; ask for broker endpoints (type 1)".to_string(),
                )
            } else {
                (
                    ResponseError::UnsupportedEndpointType,
                    format!("Unsupported endpoint type {}", request.endpoint_type),
                )
            };
            ctx.refused(Self::KEY, error, &message);
            return Outcome::Respond(
                response
                    .with_controller_id(BrokerId(-1))
                    .with_error_code(error.code())
                    .with_error_message(Some(StrBytes::from_string(message))),
            );
        }
        let response = response.with_controller_id(BrokerId(cluster.controller_id()));
        let brokers = cluster
            .endpoints(ctx.listener)
            .map(|(node_id, e)| {
                DescribeClusterBroker::default()
                    .with_broker_id(BrokerId(node_id))
                    .with_host(StrBytes::from_string(e.host.clone()))
                    .with_port(i32::from(e.port))
            })
            .collect();
        let operations = if request.include_cluster_authorized_operations {
            CLUSTER_OPERATIONS
        } else {
            OPERATIONS_NOT_REQUESTED
        };
        Outcome::Respond(
            response
                .with_brokers(brokers)
                .with_cluster_authorized_operations(operations),
        )
    }
}
