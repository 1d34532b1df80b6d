//! klamm's settings under Kafka's broker config names, for DescribeConfigs
//! on a BROKER resource: tools read `num.partitions`, `log.retention.ms` or
//! `auto.create.topics.enable` from the broker and should find the values
//! klamm really runs with. Only settings klamm has are listed.
//!
//! A setting counts as set (STATIC_BROKER_CONFIG) when it differs from what
//! an unconfigured klamm would use; the topic defaults know exactly whether
//! they were set, so they say so even when set to the default value.

use crate::cluster::topic_config::{lookup, ValueType};

use super::{topic_defaults, AutoCreateTopics, Config, Settings};

/// One broker config as DescribeConfigs reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerConfig {
    pub name: &'static str,
    pub value: String,
    /// Set in the configuration rather than left at the built-in default.
    pub set: bool,
    /// The broker config holding the built-in default and its value (for
    /// `log.retention.ms` that is `log.retention.hours`, 168).
    pub default: (&'static str, String),
    pub value_type: ValueType,
    pub doc: &'static str,
}

/// Every broker config klamm has, in name order. `advertised` is the
/// `advertised.listeners` value with the ports actually bound.
pub fn broker_configs(config: &Config, advertised: &str) -> Vec<BrokerConfig> {
    let defaults = Config::default();
    let default_values = plain_settings(&defaults, "PLAINTEXT://localhost:9092");
    let mut configs: Vec<BrokerConfig> = plain_settings(config, advertised)
        .into_iter()
        .zip(default_values)
        .map(
            |((name, value, value_type, doc), (_, default, _, _))| BrokerConfig {
                name,
                set: value != default,
                value,
                default: (name, default),
                value_type,
                doc,
            },
        )
        .collect();
    for (_, topic_config, _) in topic_defaults(&Settings::default()) {
        let Some(def) = lookup(topic_config) else {
            continue;
        };
        let (Some(name), Some(default)) = (def.broker_synonym, def.default_synonym) else {
            continue;
        };
        let set = config.topic_defaults.get(topic_config);
        configs.push(BrokerConfig {
            name,
            value: set.unwrap_or(def.default).to_string(),
            set: set.is_some(),
            default: (default.0, default.1.to_string()),
            value_type: def.kind.value_type(),
            doc: def.doc,
        });
    }
    configs.sort_by_key(|c| c.name);
    configs
}

type Plain = (&'static str, String, ValueType, &'static str);

/// The settings that are not topic defaults, as (name, value, type, doc).
fn plain_settings(config: &Config, advertised: &str) -> Vec<Plain> {
    use ValueType::{Boolean, Int, List, Long};
    let listeners = config
        .listeners
        .iter()
        .map(|l| format!("{}://{}:{}", l.name, l.bind_host, l.bind_port))
        .collect::<Vec<_>>()
        .join(",");
    let log_dirs = if config.in_memory {
        String::new()
    } else {
        std::path::absolute(&config.data_dir)
            .unwrap_or_else(|_| config.data_dir.clone())
            .display()
            .to_string()
    };
    let groups = &config.groups;
    vec![
        (
            "advertised.listeners",
            advertised.to_string(),
            List,
            "Addresses clients are told to connect to, per listener.",
        ),
        (
            "auto.create.topics.enable",
            // Kafka's config is a boolean: `always` shows as true.
            (config.auto_create_topics != AutoCreateTopics::Off).to_string(),
            Boolean,
            "Whether asking for metadata of an unknown topic creates it.",
        ),
        (
            "broker.id",
            config.node_id.to_string(),
            Int,
            "This broker's id.",
        ),
        (
            "default.replication.factor",
            config.default_replication_factor.to_string(),
            Int,
            "Replication factor of topics created without one.",
        ),
        (
            "group.initial.rebalance.delay.ms",
            groups.initial_rebalance_delay.as_millis().to_string(),
            Int,
            "How long an empty group waits for more members before its first rebalance.",
        ),
        (
            "group.max.session.timeout.ms",
            groups.max_session_timeout.as_millis().to_string(),
            Int,
            "Largest session timeout a group member may ask for.",
        ),
        (
            "group.min.session.timeout.ms",
            groups.min_session_timeout.as_millis().to_string(),
            Int,
            "Smallest session timeout a group member may ask for.",
        ),
        (
            "listeners",
            listeners,
            List,
            "Addresses the broker listens on, per listener.",
        ),
        (
            "log.dirs",
            log_dirs,
            List,
            "The data directory (empty when klamm keeps everything in memory).",
        ),
        (
            "log.retention.check.interval.ms",
            config.retention_check_interval.as_millis().to_string(),
            Long,
            "How often retention looks for segments to delete.",
        ),
        (
            "node.id",
            config.node_id.to_string(),
            Int,
            "This broker's id.",
        ),
        (
            "num.partitions",
            config.num_partitions.to_string(),
            Int,
            "Partitions of topics created without a count.",
        ),
        (
            "offset.metadata.max.bytes",
            groups.offset_metadata_max_bytes.to_string(),
            Int,
            "Largest metadata string of a committed offset.",
        ),
        (
            "offsets.retention.check.interval.ms",
            config
                .offsets_retention_check_interval
                .as_millis()
                .to_string(),
            Long,
            "How often expired committed offsets are looked for.",
        ),
        (
            "offsets.retention.minutes",
            (groups.offsets_retention.as_secs() / 60).to_string(),
            Int,
            "How long committed offsets of an empty group are kept.",
        ),
        (
            "max.connections",
            config.max_connections.to_string(),
            Int,
            "Most client connections open at once.",
        ),
        (
            "connections.max.idle.ms",
            config.connections_max_idle.as_millis().to_string(),
            Long,
            "Idle connections are closed after this long.",
        ),
        (
            "socket.request.max.bytes",
            config.socket_request_max_bytes.to_string(),
            Int,
            "Largest request the broker reads.",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(configs: &'a [BrokerConfig], name: &str) -> &'a BrokerConfig {
        configs.iter().find(|c| c.name == name).unwrap()
    }

    #[test]
    fn an_unconfigured_broker_reports_only_defaults() {
        let configs = broker_configs(&Config::default(), "PLAINTEXT://localhost:9092");
        assert!(configs.iter().all(|c| !c.set), "{configs:?}");
        let retention = find(&configs, "log.retention.ms");
        assert_eq!(retention.value, "604800000");
        assert_eq!(
            retention.default,
            ("log.retention.hours", "168".to_string())
        );
        assert_eq!(find(&configs, "num.partitions").value, "1");
    }

    #[test]
    fn configured_settings_are_reported_as_set() {
        let settings = Settings {
            num_partitions: Some(3),
            log_retention_ms: Some(604_800_000),
            ..Settings::default()
        };
        let config = Config::resolve(settings, "test").unwrap();
        let configs = broker_configs(&config, "PLAINTEXT://localhost:9092");
        let partitions = find(&configs, "num.partitions");
        assert_eq!((partitions.value.as_str(), partitions.set), ("3", true));
        assert_eq!(partitions.default.1, "1");
        assert!(
            find(&configs, "log.retention.ms").set,
            "set, even to the default"
        );
        assert!(!find(&configs, "log.segment.bytes").set);
    }
}
