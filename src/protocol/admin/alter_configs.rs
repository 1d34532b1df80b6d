//! AlterConfigs (key 33), the legacy form: each resource's listed configs
//! replace all of its configs, so a config not listed returns to its
//! default. Applied live and durably (see `Cluster::alter_topic_configs`);
//! `validate_only` checks without changing anything.

use kafka_protocol::messages::alter_configs_request::AlterConfigsResource;
use kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{AlterConfigsRequest, AlterConfigsResponse, ApiKey};
use kafka_protocol::protocol::StrBytes;

use super::config_resource::{
    broker_scope, refuse_repeated_keys, repeated, resolve, Resource, ResourceError,
};
use crate::cluster::topic_config::TopicConfigs;
use crate::protocol::error_codes::for_resource;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

/// The resource's configs as (name, value) pairs.
fn entries_of(resource: &AlterConfigsResource) -> Vec<(&str, Option<&str>)> {
    resource
        .configs
        .iter()
        .map(|c| (&*c.name, c.value.as_deref()))
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
            if let Some(null) = resource.configs.iter().find(|c| c.value.is_none()) {
                return Err(ResourceError::NullValue(null.name.to_string()));
            }
            let entries = entries_of(resource);
            ctx.state.cluster.alter_topic_configs(
                name,
                |_| TopicConfigs::from_entries(entries.iter().copied()),
                validate_only,
            )?;
            Ok(())
        }
        broker => {
            let scope = broker_scope(broker, node_id)
                .ok_or(ResourceError::UnsupportedType(resource.resource_type))?;
            let entries = entries_of(resource);
            ctx.state.cluster.alter_broker_configs(
                |current, elr| current.replaced(scope, &entries, elr),
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
    const KEY: ApiKey = ApiKey::AlterConfigs;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 2;
    type Request = AlterConfigsRequest;
    type Response = AlterConfigsResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: AlterConfigsRequest,
    ) -> Outcome<AlterConfigsResponse> {
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
        Outcome::Respond(AlterConfigsResponse::default().with_responses(responses))
    }
}
