//! ListConfigResources (key 74; v0 was ListClientMetricsResources): the
//! resources that configs can be described for. v0 lists client metrics
//! subscriptions only, of which klamm has none. v1 filters by resource
//! type (none named: every type): this broker's logger (8), every broker
//! (4) and every topic (2); klamm has no client metrics (16) and no group
//! configs (32), so those types list nothing. A type Kafka does not list
//! is UNSUPPORTED_VERSION.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::list_config_resources_response::ConfigResource;
use kafka_protocol::messages::{ApiKey, ListConfigResourcesRequest, ListConfigResourcesResponse};
use kafka_protocol::protocol::StrBytes;

use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

const TOPIC: i8 = 2;
const BROKER: i8 = 4;
const BROKER_LOGGER: i8 = 8;
const CLIENT_METRICS: i8 = 16;
const GROUP: i8 = 32;
const LISTED: &[i8] = &[TOPIC, BROKER, BROKER_LOGGER, CLIENT_METRICS, GROUP];

fn resource(name: String, ty: i8) -> ConfigResource {
    ConfigResource::default()
        .with_resource_name(StrBytes::from_string(name))
        .with_resource_type(ty)
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::ListConfigResources;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 1;
    type Request = ListConfigResourcesRequest;
    type Response = ListConfigResourcesResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: ListConfigResourcesRequest,
    ) -> Outcome<ListConfigResourcesResponse> {
        let types: Vec<i8> = if ctx.api_version == 0 {
            vec![CLIENT_METRICS]
        } else if request.resource_types.is_empty() {
            LISTED.to_vec()
        } else {
            request.resource_types.clone()
        };
        if let Some(unknown) = types.iter().find(|t| !LISTED.contains(t)) {
            let reason = format!("The resource type {unknown} is not supported.");
            ctx.refused(Self::KEY, ResponseError::UnsupportedVersion, &reason);
            return Outcome::Respond(
                ListConfigResourcesResponse::default()
                    .with_error_code(ResponseError::UnsupportedVersion.code()),
            );
        }
        let cluster = &ctx.state.cluster;
        let mut resources = Vec::new();
        if types.contains(&BROKER_LOGGER) {
            resources.push(resource(ctx.node_id.to_string(), BROKER_LOGGER));
        }
        if types.contains(&BROKER) {
            for broker in cluster.brokers() {
                resources.push(resource(broker.node_id.to_string(), BROKER));
            }
        }
        if types.contains(&TOPIC) {
            for topic in cluster.topics() {
                resources.push(resource(topic.name.clone(), TOPIC));
            }
        }
        Outcome::Respond(ListConfigResourcesResponse::default().with_config_resources(resources))
    }
}
