//! What DescribeConfigs, AlterConfigs and IncrementalAlterConfigs share: the
//! resource a request names (a topic, this broker, or something klamm does
//! not configure) and the request-level mistakes Kafka refuses before it
//! looks at any value.

use std::collections::HashMap;
use std::hash::Hash;

use thiserror::Error;

use crate::cluster::dynamic_configs::{self, Scope};
use crate::cluster::topic_config::{BrokerDefaults, ConfigSource};
use crate::cluster::ClusterError;

/// Kafka's resource type codes (`ConfigResource.Type`).
pub(crate) const TOPIC: i8 = 2;
pub(crate) const BROKER: i8 = 4;
pub(crate) const BROKER_LOGGER: i8 = 8;

/// Why a config resource was refused.
#[derive(Debug, Error)]
pub(crate) enum ResourceError {
    #[error("Unexpected broker id, expected {expected} or empty string, but received {received}")]
    OtherBroker { expected: i32, received: String },
    #[error("klamm has no per-logger log levels (BROKER_LOGGER); its log filter is the log_level setting or RUST_LOG, read at start-up")]
    BrokerLogger,
    #[error("Unsupported resource type {0}: klamm configures topics and brokers only")]
    UnsupportedType(i8),
    #[error("Each resource must appear at most once.")]
    DuplicateResource,
    #[error("Error due to duplicate config keys: {0}")]
    DuplicateKeys(String),
    #[error("Unknown config operation {0}")]
    UnknownOperation(i8),
    /// AlterConfigs (replace-all) with a null value: Kafka takes it for a
    /// malformed request (CreateTopics' null values are INVALID_CONFIG).
    #[error("Null value not supported for : {0}")]
    NullValue(String),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// What a config request is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resource<'a> {
    Topic(&'a str),
    /// This broker (by its node id).
    Broker,
    /// The cluster-wide dynamic broker defaults (empty name).
    BrokerDefaults,
}

/// Resolves a (type, name) pair the way Kafka's broker does: a broker named
/// by another id is an error, the empty name means the cluster defaults.
pub(crate) fn resolve(
    resource_type: i8,
    name: &str,
    node_id: i32,
) -> Result<Resource<'_>, ResourceError> {
    match resource_type {
        TOPIC => Ok(Resource::Topic(name)),
        BROKER if name.is_empty() => Ok(Resource::BrokerDefaults),
        BROKER if name.parse::<i32>().ok() == Some(node_id) => Ok(Resource::Broker),
        BROKER => Err(ResourceError::OtherBroker {
            expected: node_id,
            received: name.to_string(),
        }),
        BROKER_LOGGER => Err(ResourceError::BrokerLogger),
        other => Err(ResourceError::UnsupportedType(other)),
    }
}

/// The dynamic broker configs a BROKER resource names: one broker's, or
/// the cluster-wide defaults.
pub(crate) fn broker_scope(resource: Resource<'_>, node_id: i32) -> Option<Scope> {
    match resource {
        Resource::Broker => Some(Scope::Broker(node_id)),
        Resource::BrokerDefaults => Some(Scope::Cluster),
        Resource::Topic(_) => None,
    }
}

/// A config's value below `scope` (what APPEND and SUBTRACT start from
/// when the scope does not set it): the lower dynamic layers, the static
/// setting, Kafka's default.
pub(crate) fn in_force_below(
    defaults: &BrokerDefaults,
    scope: Scope,
    broker_config: &str,
) -> Option<String> {
    let dynamic_configs::BrokerConfigKind::TopicDefault(def) =
        dynamic_configs::classify(broker_config)
    else {
        return None;
    };
    let below = |source: &ConfigSource| match scope {
        Scope::Broker(_) => *source != ConfigSource::DynamicBroker,
        Scope::Cluster => !matches!(
            source,
            ConfigSource::DynamicBroker | ConfigSource::DynamicDefaultBroker
        ),
    };
    Some(
        defaults
            .layers(def.name)
            .find(|(_, source)| below(source))
            .map_or_else(|| def.default.to_string(), |(value, _)| value.to_string()),
    )
}

/// The keys that occur more than once.
pub(crate) fn repeated<K: Eq + Hash>(keys: impl IntoIterator<Item = K>) -> Vec<K> {
    let mut counts: HashMap<K, usize> = HashMap::new();
    for key in keys {
        *counts.entry(key).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k)
        .collect()
}

/// Refuses a resource whose changes name a key twice.
pub(crate) fn refuse_repeated_keys<'a>(
    keys: impl IntoIterator<Item = &'a str>,
) -> Result<(), ResourceError> {
    let mut twice = repeated(keys);
    if twice.is_empty() {
        return Ok(());
    }
    twice.sort_unstable();
    Err(ResourceError::DuplicateKeys(twice.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brokers_are_named_by_our_id_or_not_at_all() {
        assert_eq!(resolve(BROKER, "1", 1).unwrap(), Resource::Broker);
        assert_eq!(resolve(BROKER, "", 1).unwrap(), Resource::BrokerDefaults);
        assert!(matches!(
            resolve(BROKER, "2", 1),
            Err(ResourceError::OtherBroker { .. })
        ));
        assert!(matches!(
            resolve(BROKER_LOGGER, "1", 1),
            Err(ResourceError::BrokerLogger)
        ));
        assert_eq!(resolve(TOPIC, "t", 1).unwrap(), Resource::Topic("t"));
    }

    #[test]
    fn repeated_keys_are_named() {
        assert!(refuse_repeated_keys(["a", "b"]).is_ok());
        let err = refuse_repeated_keys(["a", "b", "a"]).unwrap_err();
        assert!(err.to_string().ends_with(": a"), "{err}");
    }
}
