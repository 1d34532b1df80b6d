//! DescribeConfigs (key 32): a topic's configs with their values in force,
//! sources, synonyms, types and documentation; this broker's settings under
//! Kafka's names with the dynamic broker configs over them (read-only where
//! Kafka's are); or the cluster-wide dynamic defaults.
//!
//! Unknown names in `configuration_keys` are left out, as Kafka does; no
//! keys (null or empty) means every config.

use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{ApiKey, DescribeConfigsRequest, DescribeConfigsResponse};
use kafka_protocol::protocol::StrBytes;

use super::config_resource::{resolve, Resource, ResourceError};
use super::create_topics::source_code;
use crate::cluster::dynamic_configs::{self, BrokerConfigKind, Scope};
use crate::cluster::topic_config::{ConfigSource, ValueType, TOPIC_CONFIGS};
use crate::cluster::ClusterError;
use crate::config::broker_configs::broker_configs;
use crate::protocol::error_codes::for_resource;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

/// Kafka's DescribeConfigs type codes (`ConfigType`).
fn type_code(value_type: ValueType) -> i8 {
    match value_type {
        ValueType::Boolean => 1,
        ValueType::String => 2,
        ValueType::Int => 3,
        ValueType::Long => 5,
        ValueType::Double => 6,
        ValueType::List => 7,
    }
}

/// What the request asked to see of each entry.
struct View<'a> {
    version: i16,
    synonyms: bool,
    documentation: bool,
    keys: Option<&'a [StrBytes]>,
}

impl View<'_> {
    fn wants(&self, name: &str) -> bool {
        self.keys
            .is_none_or(|keys| keys.is_empty() || keys.iter().any(|k| &**k == name))
    }
}

/// One described config; `synonyms` are in precedence order, the first one
/// is where the value comes from.
struct Described<'a> {
    name: &'a str,
    /// None: not set anywhere and no default of its own (Kafka's
    /// `log.retention.ms`, whose default lives in `log.retention.hours`).
    value: Option<String>,
    source: ConfigSource,
    read_only: bool,
    synonyms: Vec<(&'a str, String, ConfigSource)>,
    value_type: ValueType,
    doc: &'a str,
}

fn entry(view: &View<'_>, d: Described<'_>) -> DescribeConfigsResourceResult {
    let synonyms = if view.synonyms {
        d.synonyms
            .into_iter()
            .map(|(name, value, source)| {
                DescribeConfigsSynonym::default()
                    .with_name(StrBytes::from_string(name.to_string()))
                    .with_value(Some(StrBytes::from_string(value)))
                    .with_source(source_code(source))
            })
            .collect()
    } else {
        Vec::new()
    };
    let result = DescribeConfigsResourceResult::default()
        .with_name(StrBytes::from_string(d.name.to_string()))
        .with_value(d.value.map(StrBytes::from_string))
        .with_read_only(d.read_only)
        .with_config_source(source_code(d.source))
        .with_is_sensitive(false)
        .with_synonyms(synonyms);
    // Type and documentation exist from v3; kafka-protocol refuses to
    // encode them set at older versions.
    if view.version < 3 {
        return result;
    }
    result
        .with_config_type(type_code(d.value_type))
        .with_documentation(
            view.documentation
                .then(|| StrBytes::from_string(d.doc.to_string())),
        )
}

fn describe_topic(
    ctx: &RequestContext<'_>,
    view: &View<'_>,
    name: &str,
) -> Result<Vec<DescribeConfigsResourceResult>, ResourceError> {
    let cluster = &ctx.state.cluster;
    let topic = cluster
        .topic(name)
        .ok_or_else(|| ClusterError::UnknownTopic(name.to_string()))?;
    let configs = topic.configs();
    let defaults = cluster.defaults();
    Ok(TOPIC_CONFIGS
        .iter()
        .filter(|def| view.wants(def.name))
        .map(|def| {
            let (value, source) = configs.effective(def, &defaults);
            let synonyms = configs
                .synonyms(def, &defaults)
                .into_iter()
                .map(|s| (s.name, s.value, s.source))
                .collect();
            entry(
                view,
                Described {
                    name: def.name,
                    value: Some(value),
                    source,
                    read_only: false,
                    synonyms,
                    value_type: def.kind.value_type(),
                    doc: def.doc,
                },
            )
        })
        .collect())
}

/// A dynamic broker config's type and documentation.
fn dynamic_kind(name: &str) -> (ValueType, &'static str) {
    match dynamic_configs::classify(name) {
        BrokerConfigKind::TopicDefault(def) => (def.kind.value_type(), def.doc),
        BrokerConfigKind::BrokerOnly(value_type) if name == dynamic_configs::MAX_CONNECTIONS => (
            value_type,
            "The most connections the broker accepts at once.",
        ),
        BrokerConfigKind::BrokerOnly(value_type) => (
            value_type,
            "Kept for tools that set it; klamm has no replication to throttle.",
        ),
        BrokerConfigKind::ReadOnly | BrokerConfigKind::Unknown => (ValueType::String, ""),
    }
}

/// This broker's configs: klamm's settings under Kafka's names, with the
/// dynamic broker configs over them (this broker's, then the cluster-wide
/// defaults), and the dynamic ones klamm has no setting for.
fn describe_broker(
    ctx: &RequestContext<'_>,
    view: &View<'_>,
) -> Vec<DescribeConfigsResourceResult> {
    let cluster = &ctx.state.cluster;
    let node_id = ctx.node_id;
    let advertised = cluster
        .brokers()
        .iter()
        .filter(|b| b.node_id == node_id)
        .flat_map(|b| &b.endpoints)
        .map(|e| format!("{}://{}:{}", e.listener, e.host, e.port))
        .collect::<Vec<_>>()
        .join(",");
    // Each simulated broker describes itself: its own id and addresses.
    let mut config = ctx.state.config.clone();
    config.node_id = node_id;
    let dynamic = cluster.dynamic_configs();
    let own = dynamic.get(Scope::Broker(node_id));
    let layers = |name: &str| -> Vec<(String, ConfigSource)> {
        [
            (own.get(name), ConfigSource::DynamicBroker),
            (
                dynamic.cluster().get(name),
                ConfigSource::DynamicDefaultBroker,
            ),
        ]
        .into_iter()
        .filter_map(|(value, source)| value.map(|v| (v.clone(), source)))
        .collect()
    };
    let statics = broker_configs(&config, &advertised);
    let mut entries: Vec<Described<'_>> = Vec::with_capacity(statics.len());
    for c in &statics {
        let mut synonyms: Vec<(&str, String, ConfigSource)> = layers(c.name)
            .into_iter()
            .map(|(value, source)| (c.name, value, source))
            .collect();
        if c.set {
            synonyms.push((c.name, c.value.clone(), ConfigSource::StaticBroker));
        }
        // Kafka lists the built-in default where it lives: under
        // `log.retention.hours`, not `log.retention.ms`, which then has
        // no value of its own.
        let default_here = c.default.0 == c.name;
        if default_here {
            synonyms.push((c.default.0, c.default.1.clone(), ConfigSource::Default));
        }
        let (value, source) = match synonyms.first() {
            Some((_, value, source)) => (Some(value.clone()), *source),
            None => (None, ConfigSource::Default),
        };
        entries.push(Described {
            name: c.name,
            value,
            source,
            read_only: !dynamic_configs::is_dynamic(c.name),
            synonyms,
            value_type: c.value_type,
            doc: c.doc,
        });
    }
    let extra: std::collections::BTreeSet<&String> = own
        .keys()
        .chain(dynamic.cluster().keys())
        .filter(|name| !statics.iter().any(|c| c.name == name.as_str()))
        .collect();
    for name in extra {
        let synonyms: Vec<(&str, String, ConfigSource)> = layers(name)
            .into_iter()
            .map(|(value, source)| (name.as_str(), value, source))
            .collect();
        let (value_type, doc) = dynamic_kind(name);
        entries.push(Described {
            name,
            value: synonyms.first().map(|s| s.1.clone()),
            source: synonyms.first().map_or(ConfigSource::Default, |s| s.2),
            read_only: false,
            synonyms,
            value_type,
            doc,
        });
    }
    entries
        .into_iter()
        .filter(|d| view.wants(d.name))
        .map(|d| entry(view, d))
        .collect()
}

/// The cluster-wide dynamic defaults (resource ""): only what is set.
fn describe_cluster_defaults(
    ctx: &RequestContext<'_>,
    view: &View<'_>,
) -> Vec<DescribeConfigsResourceResult> {
    let dynamic = ctx.state.cluster.dynamic_configs();
    dynamic
        .cluster()
        .iter()
        .filter(|(name, _)| view.wants(name))
        .map(|(name, value)| {
            let (value_type, doc) = dynamic_kind(name);
            entry(
                view,
                Described {
                    name,
                    value: Some(value.clone()),
                    source: ConfigSource::DynamicDefaultBroker,
                    read_only: false,
                    synonyms: vec![(
                        name.as_str(),
                        value.clone(),
                        ConfigSource::DynamicDefaultBroker,
                    )],
                    value_type,
                    doc,
                },
            )
        })
        .collect()
}

fn describe(
    ctx: &RequestContext<'_>,
    view: &View<'_>,
    resource: &DescribeConfigsResource,
) -> DescribeConfigsResult {
    let result = DescribeConfigsResult::default()
        .with_resource_type(resource.resource_type)
        .with_resource_name(resource.resource_name.clone());
    let configs = match resolve(resource.resource_type, &resource.resource_name, ctx.node_id) {
        Ok(Resource::Topic(name)) => describe_topic(ctx, view, name),
        Ok(Resource::Broker) => Ok(describe_broker(ctx, view)),
        Ok(Resource::BrokerDefaults) => Ok(describe_cluster_defaults(ctx, view)),
        Err(e) => Err(e),
    };
    match configs {
        // Kafka answers a described resource with an empty message.
        Ok(configs) => result
            .with_error_message(Some(StrBytes::from_static_str("")))
            .with_configs(configs),
        Err(e) => result
            .with_error_code(for_resource(&e).code())
            .with_error_message(Some(StrBytes::from_string(e.to_string()))),
    }
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::DescribeConfigs;
    const MIN_VERSION: i16 = 1;
    const MAX_VERSION: i16 = 4;
    type Request = DescribeConfigsRequest;
    type Response = DescribeConfigsResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: DescribeConfigsRequest,
    ) -> Outcome<DescribeConfigsResponse> {
        let results = request
            .resources
            .iter()
            .map(|resource| {
                let view = View {
                    version: ctx.api_version,
                    synonyms: request.include_synonyms,
                    documentation: request.include_documentation,
                    keys: resource.configuration_keys.as_deref(),
                };
                describe(ctx, &view, resource)
            })
            .collect();
        Outcome::Respond(DescribeConfigsResponse::default().with_results(results))
    }
}
