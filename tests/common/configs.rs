//! Config requests over a raw connection: DescribeConfigs with synonyms,
//! IncrementalAlterConfigs and the legacy AlterConfigs of one config, for
//! what rdkafka's admin client cannot show (synonyms, per-resource errors).

use kafka_protocol::messages::alter_configs_response;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::describe_configs_response::DescribeConfigsResult;
use kafka_protocol::messages::incremental_alter_configs_request as incremental;
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{
    AlterConfigsRequest, DescribeConfigsRequest, IncrementalAlterConfigsRequest,
};
use kafka_protocol::protocol::StrBytes;

use super::raw::RawClient;

pub const INVALID_CONFIG: i16 = 40;
pub const INVALID_REQUEST: i16 = 42;
/// Resource types (Kafka's `ConfigResource.Type`).
pub const TOPIC: i8 = 2;
pub const BROKER: i8 = 4;

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

/// Describes one resource's configs, with synonyms and documentation.
pub fn describe(
    bootstrap: &str,
    resource_type: i8,
    name: &str,
    keys: Option<&[&str]>,
) -> DescribeConfigsResult {
    let resource = DescribeConfigsResource::default()
        .with_resource_type(resource_type)
        .with_resource_name(text(name))
        .with_configuration_keys(keys.map(|k| k.iter().map(|k| text(k)).collect()));
    let request = DescribeConfigsRequest::default()
        .with_include_synonyms(true)
        .with_include_documentation(true)
        .with_resources(vec![resource]);
    let mut response = RawClient::connect(bootstrap).send(4, &request);
    response.results.remove(0)
}

/// The value a describe shows for `name` (which must be there).
pub fn value_of(result: &DescribeConfigsResult, name: &str) -> String {
    result
        .configs
        .iter()
        .find(|c| &*c.name == name)
        .and_then(|c| c.value.as_deref().map(str::to_string))
        .unwrap_or_else(|| panic!("{name} not described"))
}

/// One IncrementalAlterConfigs operation (0 set, 1 delete, 2 append, 3
/// subtract) on one resource.
pub fn alter_incrementally(
    bootstrap: &str,
    resource_type: i8,
    resource: &str,
    name: &str,
    operation: i8,
    value: Option<&str>,
) -> AlterConfigsResourceResponse {
    let config = incremental::AlterableConfig::default()
        .with_name(text(name))
        .with_config_operation(operation)
        .with_value(value.map(text));
    let request = IncrementalAlterConfigsRequest::default().with_resources(vec![
        incremental::AlterConfigsResource::default()
            .with_resource_type(resource_type)
            .with_resource_name(text(resource))
            .with_configs(vec![config]),
    ]);
    let mut response = RawClient::connect(bootstrap).send(1, &request);
    response.responses.remove(0)
}

/// One legacy AlterConfigs of one resource to exactly one config.
pub fn alter_legacy(
    bootstrap: &str,
    resource_type: i8,
    resource: &str,
    (name, value): (&str, &str),
) -> alter_configs_response::AlterConfigsResourceResponse {
    use kafka_protocol::messages::alter_configs_request::{AlterConfigsResource, AlterableConfig};
    let config = AlterableConfig::default()
        .with_name(text(name))
        .with_value(Some(text(value)));
    let request =
        AlterConfigsRequest::default().with_resources(vec![AlterConfigsResource::default()
            .with_resource_type(resource_type)
            .with_resource_name(text(resource))
            .with_configs(vec![config])]);
    let mut response = RawClient::connect(bootstrap).send(2, &request);
    response.responses.remove(0)
}
