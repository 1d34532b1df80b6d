//! IncrementalAlterConfigs (key 44): SET, DELETE, APPEND and SUBTRACT on
//! single configs, the others left as they are (KIP-339). APPEND and
//! SUBTRACT work on list configs only (`cleanup.policy`), as in Kafka.
//! Applied live and durably, to topics and to the dynamic broker configs
//! (one broker's, or the cluster-wide defaults); `validate_only` checks
//! without changing.

use kafka_protocol::messages::incremental_alter_configs_request::AlterConfigsResource;
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{
    ApiKey, IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::config_resource::{
    broker_scope, in_force_below, refuse_repeated_keys, repeated, resolve, Resource, ResourceError,
};
use crate::cluster::topic_config::Change;
use crate::protocol::error_codes::for_resource;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

/// Kafka's operation codes (`AlterConfigOp.OpType`).
fn change(operation: i8, value: Option<&str>) -> Result<Change<'_>, ResourceError> {
    match operation {
        0 => Ok(Change::Set(value)),
        1 => Ok(Change::Delete),
        2 => Ok(Change::Append(value)),
        3 => Ok(Change::Subtract(value)),
        other => Err(ResourceError::UnknownOperation(other)),
    }
}

/// The resource's config changes, each with its operation checked.
fn changes_of(resource: &AlterConfigsResource) -> Result<Vec<(&str, Change<'_>)>, ResourceError> {
    resource
        .configs
        .iter()
        .map(|c| Ok((&*c.name, change(c.config_operation, c.value.as_deref())?)))
        .collect()
}

fn alter(
    ctx: &RequestContext<'_>,
    resource: &AlterConfigsResource,
    validate_only: bool,
) -> Result<(), ResourceError> {
    refuse_repeated_keys(resource.configs.iter().map(|c| &*c.name))?;
    let node_id = ctx.node_id;
    match resolve(resource.resource_type, &resource.resource_name, node_id)? {
        Resource::Topic(name) => {
            let changes = changes_of(resource)?;
            let cluster = &ctx.state.cluster;
            cluster.alter_topic_configs(
                name,
                |current| current.changed(&changes, &cluster.defaults()),
                validate_only,
            )?;
            Ok(())
        }
        broker => {
            let scope = broker_scope(broker, node_id)
                .ok_or(ResourceError::UnsupportedType(resource.resource_type))?;
            let changes = changes_of(resource)?;
            let cluster = &ctx.state.cluster;
            let defaults = cluster.defaults();
            let in_force = |name: &str| in_force_below(&defaults, scope, name);
            cluster.alter_broker_configs(
                |current, elr| current.changed(scope, &changes, &in_force, elr),
                validate_only,
            )?;
            if !validate_only {
                ctx.state.apply_broker_configs();
            }
            Ok(())
        }
    }
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::IncrementalAlterConfigs;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 1;
    type Request = IncrementalAlterConfigsRequest;
    type Response = IncrementalAlterConfigsResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: IncrementalAlterConfigsRequest,
    ) -> Outcome<IncrementalAlterConfigsResponse> {
        let twice = repeated(
            request
                .resources
                .iter()
                .map(|r| (r.resource_type, &r.resource_name)),
        );
        let responses = request
            .resources
            .iter()
            .map(|resource| {
                let outcome = if twice.contains(&(resource.resource_type, &resource.resource_name))
                {
                    Err(ResourceError::DuplicateResource)
                } else {
                    alter(ctx, resource, request.validate_only)
                };
                let response = AlterConfigsResourceResponse::default()
                    .with_resource_type(resource.resource_type)
                    .with_resource_name(resource.resource_name.clone());
                match outcome {
                    Ok(()) => response.with_error_message(None),
                    Err(e) => response
                        .with_error_code(for_resource(&e).code())
                        .with_error_message(Some(StrBytes::from_string(e.to_string()))),
                }
            })
            .collect();
        Outcome::Respond(IncrementalAlterConfigsResponse::default().with_responses(responses))
    }
}
