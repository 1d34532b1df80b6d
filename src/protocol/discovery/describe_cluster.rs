//! DescribeCluster (key 60): the brokers, the controller and the cluster id,
//! what admin clients ask instead of Metadata since Kafka 2.8.
//!
//! klamm's brokers are never fenced and there is no separate controller
//! quorum to describe: a request for controller endpoints gets
//! UNSUPPORTED_ENDPOINT_TYPE, as a Kafka broker answers it.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{ApiKey, BrokerId, DescribeClusterRequest, DescribeClusterResponse};
use kafka_protocol::protocol::StrBytes;

use super::metadata::CLUSTER_OPERATIONS;
use crate::protocol::{Handler, Outcome, RequestContext, OPERATIONS_NOT_REQUESTED};

pub struct Api;

const BROKER_ENDPOINTS: i8 = 1;

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
            .with_cluster_id(StrBytes::from_string(cluster.cluster_id().to_string()))
            .with_controller_id(BrokerId(cluster.controller_id()));
        if request.endpoint_type != BROKER_ENDPOINTS {
            return Outcome::Respond(
                response
                    .with_error_code(ResponseError::UnsupportedEndpointType.code())
                    .with_error_message(Some(StrBytes::from_static_str(
                        "klamm's brokers are their own controllers; ask for broker endpoints",
                    ))),
            );
        }
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
