//! Dynamic broker configs: what IncrementalAlterConfigs and AlterConfigs
//! change on a BROKER resource while klamm runs, per broker (resource "1")
//! or for every broker (the cluster-wide default, resource "").
//!
//! As in Kafka, the topic defaults (`log.retention.ms`, `log.segment.bytes`,
//! `message.max.bytes`, ... — the broker synonyms of topic configs) can
//! change at run time and reach every topic that does not set its own; the
//! replication throttles are accepted and kept (klamm has no replication
//! to throttle); names klamm does not know are kept as Kafka keeps them;
//! the rest (`num.partitions`, `auto.create.topics.enable`, listeners, ...)
//! are read-only and refused by name. Changes are durable in `cluster.json`.

use std::collections::BTreeMap;

use thiserror::Error;

use super::topic_config::{normalize, Change, ConfigDef, ValueType, TOPIC_CONFIGS};

/// Most dynamic configs one resource may hold: far more than any tool
/// sets, and a bound on what a client can make the broker keep.
pub const MAX_PER_RESOURCE: usize = 256;

/// Kafka refuses to remove this cluster-wide default while eligible leader
/// replicas (KIP-966) are on; klamm finalizes that feature, so it is written
/// when a cluster is created, from the static setting, as Kafka's format
/// command writes it.
pub const MIN_INSYNC_REPLICAS: &str = "min.insync.replicas";

/// The connection limit, which the broker applies when it changes.
pub const MAX_CONNECTIONS: &str = "max.connections";

/// Broker configs that are dynamic in Kafka without a topic config behind
/// them: the connection limit, and the replication throttles (klamm has no
/// replication to throttle, so it keeps those only).
const BROKER_ONLY: &[(&str, ValueType)] = &[
    (MAX_CONNECTIONS, ValueType::Int),
    ("follower.replication.throttled.rate", ValueType::Long),
    ("leader.replication.throttled.rate", ValueType::Long),
    (
        "replica.alter.log.dirs.io.max.bytes.per.second",
        ValueType::Long,
    ),
];

/// Broker configs that cannot change while a broker runs: klamm's own
/// start-up settings and Kafka's read-only names a compose file may carry.
const READ_ONLY: &[&str] = &[
    "advertised.listeners",
    "auto.create.topics.enable",
    "broker.id",
    "connections.max.idle.ms",
    "controller.listener.names",
    "controller.quorum.voters",
    "default.replication.factor",
    "group.initial.rebalance.delay.ms",
    "group.max.session.timeout.ms",
    "group.min.session.timeout.ms",
    "inter.broker.listener.name",
    "listener.security.protocol.map",
    "listeners",
    "log.dir",
    "log.dirs",
    "log.retention.check.interval.ms",
    "log.retention.hours",
    "log.retention.minutes",
    "log.roll.hours",
    "log.roll.jitter.hours",
    "node.id",
    "num.partitions",
    "offset.metadata.max.bytes",
    "offsets.retention.check.interval.ms",
    "offsets.retention.minutes",
    "offsets.topic.num.partitions",
    "offsets.topic.replication.factor",
    "process.roles",
    "socket.request.max.bytes",
];

/// What klamm makes of a broker config name.
#[derive(Clone, Copy, Debug)]
pub enum BrokerConfigKind {
    /// The broker-wide default of a topic config.
    TopicDefault(&'static ConfigDef),
    /// Dynamic in Kafka and not a topic default: the connection limit
    /// (applied) and the replication throttles (kept, no effect here).
    BrokerOnly(ValueType),
    /// Cannot change at run time.
    ReadOnly,
    /// Not a config klamm knows: kept as given, as Kafka keeps it.
    Unknown,
}

pub fn classify(name: &str) -> BrokerConfigKind {
    if let Some(def) = TOPIC_CONFIGS
        .iter()
        .find(|d| d.broker_synonym == Some(name))
    {
        return BrokerConfigKind::TopicDefault(def);
    }
    if let Some((_, value_type)) = BROKER_ONLY.iter().find(|(n, _)| *n == name) {
        return BrokerConfigKind::BrokerOnly(*value_type);
    }
    if READ_ONLY.contains(&name) {
        return BrokerConfigKind::ReadOnly;
    }
    BrokerConfigKind::Unknown
}

/// Whether Kafka (and so klamm) lets this broker config change at run time.
pub fn is_dynamic(name: &str) -> bool {
    !matches!(classify(name), BrokerConfigKind::ReadOnly)
}

/// Which dynamic configs a change is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The cluster-wide default (resource name "").
    Cluster,
    /// One broker, by node id.
    Broker(i32),
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DynamicConfigError {
    #[error("Cannot update these configs dynamically: [{}]", .0.join(", "))]
    ReadOnly(Vec<String>),
    #[error("Invalid value {value} for configuration {name}: {reason}")]
    InvalidValue {
        name: String,
        value: String,
        reason: String,
    },
    #[error("Null value not supported for: {0}")]
    Null(String),
    #[error("Config value append/subtract is not allowed for config key {0} of a non-list type")]
    NotList(String),
    #[error("Cluster-level min.insync.replicas cannot be removed while ELR is enabled.")]
    MinInsyncReplicasRequired,
    #[error("A broker resource holds at most {MAX_PER_RESOURCE} dynamic configs")]
    TooMany,
}

/// Every dynamic broker config, by scope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DynamicConfigs {
    cluster: BTreeMap<String, String>,
    brokers: BTreeMap<i32, BTreeMap<String, String>>,
}

impl DynamicConfigs {
    pub fn from_stored(
        cluster: BTreeMap<String, String>,
        brokers: BTreeMap<i32, BTreeMap<String, String>>,
    ) -> Self {
        Self { cluster, brokers }
    }

    pub fn cluster(&self) -> &BTreeMap<String, String> {
        &self.cluster
    }

    pub fn brokers(&self) -> &BTreeMap<i32, BTreeMap<String, String>> {
        &self.brokers
    }

    /// The configs set for `scope` (empty if none).
    pub fn get(&self, scope: Scope) -> &BTreeMap<String, String> {
        static EMPTY: BTreeMap<String, String> = BTreeMap::new();
        match scope {
            Scope::Cluster => &self.cluster,
            Scope::Broker(node) => self.brokers.get(&node).unwrap_or(&EMPTY),
        }
    }

    fn get_mut(&mut self, scope: Scope) -> &mut BTreeMap<String, String> {
        match scope {
            Scope::Cluster => &mut self.cluster,
            Scope::Broker(node) => self.brokers.entry(node).or_default(),
        }
    }

    /// Seeds what a new cluster starts with (see [`MIN_INSYNC_REPLICAS`]).
    pub fn seed_min_insync_replicas(&mut self, value: &str) {
        self.cluster
            .insert(MIN_INSYNC_REPLICAS.to_string(), value.to_string());
    }

    /// These configs after IncrementalAlterConfigs' operations on `scope`,
    /// each checked. `in_force` gives a config's current value for APPEND
    /// and SUBTRACT when the scope does not set it. `elr` says whether the
    /// cluster-wide min.insync.replicas must stay.
    pub fn changed(
        &self,
        scope: Scope,
        changes: &[(&str, Change<'_>)],
        in_force: &dyn Fn(&str) -> Option<String>,
        elr: bool,
    ) -> Result<Self, DynamicConfigError> {
        refuse_read_only(changes.iter().map(|(name, _)| *name))?;
        let mut next = self.clone();
        let configs = next.get_mut(scope);
        for &(name, change) in changes {
            match change {
                Change::Set(value) => {
                    let value = checked(name, value)?;
                    configs.insert(name.to_string(), value);
                }
                Change::Delete => {
                    configs.remove(name);
                }
                Change::Append(items) | Change::Subtract(items) => {
                    let is_list = match classify(name) {
                        BrokerConfigKind::TopicDefault(def) => {
                            def.kind.value_type() == ValueType::List
                        }
                        _ => false,
                    };
                    if !is_list {
                        return Err(DynamicConfigError::NotList(name.to_string()));
                    }
                    let items = items.ok_or_else(|| DynamicConfigError::Null(name.to_string()))?;
                    let current = configs
                        .get(name)
                        .cloned()
                        .or_else(|| in_force(name))
                        .unwrap_or_default();
                    let mut list: Vec<&str> =
                        current.split(',').filter(|i| !i.is_empty()).collect();
                    for item in items.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                        if matches!(change, Change::Append(_)) {
                            if !list.contains(&item) {
                                list.push(item);
                            }
                        } else {
                            list.retain(|i| *i != item);
                        }
                    }
                    let value = checked(name, Some(&list.join(",")))?;
                    configs.insert(name.to_string(), value);
                }
            }
        }
        next.check(scope, elr)
    }

    /// These configs with `scope`'s replaced by `entries` (legacy
    /// AlterConfigs: what is not listed returns to its default).
    pub fn replaced(
        &self,
        scope: Scope,
        entries: &[(&str, Option<&str>)],
        elr: bool,
    ) -> Result<Self, DynamicConfigError> {
        refuse_read_only(entries.iter().map(|(name, _)| *name))?;
        let mut next = self.clone();
        let configs = next.get_mut(scope);
        configs.clear();
        for &(name, value) in entries {
            let value = checked(name, value)?;
            configs.insert(name.to_string(), value);
        }
        next.check(scope, elr)
    }

    fn check(mut self, scope: Scope, elr: bool) -> Result<Self, DynamicConfigError> {
        if self.get(scope).len() > MAX_PER_RESOURCE {
            return Err(DynamicConfigError::TooMany);
        }
        if elr && scope == Scope::Cluster && !self.cluster.contains_key(MIN_INSYNC_REPLICAS) {
            return Err(DynamicConfigError::MinInsyncReplicasRequired);
        }
        if let Scope::Broker(node) = scope {
            if self.brokers.get(&node).is_some_and(BTreeMap::is_empty) {
                self.brokers.remove(&node);
            }
        }
        Ok(self)
    }
}

/// Refuses, all at once and by name, the read-only configs of a change.
fn refuse_read_only<'a>(names: impl Iterator<Item = &'a str>) -> Result<(), DynamicConfigError> {
    let read_only: Vec<String> = names
        .filter(|name| !is_dynamic(name))
        .map(str::to_string)
        .collect();
    if read_only.is_empty() {
        Ok(())
    } else {
        Err(DynamicConfigError::ReadOnly(read_only))
    }
}

/// A checked, normalised value for a dynamic broker config.
fn checked(name: &str, value: Option<&str>) -> Result<String, DynamicConfigError> {
    let value = value.ok_or_else(|| DynamicConfigError::Null(name.to_string()))?;
    let invalid = |reason: String| DynamicConfigError::InvalidValue {
        name: name.to_string(),
        value: value.to_string(),
        reason,
    };
    match classify(name) {
        BrokerConfigKind::TopicDefault(def) => {
            normalize(def, value).map_err(|e| invalid(e.to_string()))
        }
        BrokerConfigKind::BrokerOnly(ValueType::Long) => value
            .trim()
            .parse::<i64>()
            .map(|n| n.to_string())
            .map_err(|_| invalid("Not a number of type LONG".into())),
        BrokerConfigKind::BrokerOnly(ValueType::Int) => match value.trim().parse::<i32>() {
            Ok(n) if n >= 0 => Ok(n.to_string()),
            Ok(_) => Err(invalid("Value must be at least 0".into())),
            Err(_) => Err(invalid("Not a number of type INT".into())),
        },
        BrokerConfigKind::BrokerOnly(_) | BrokerConfigKind::Unknown => Ok(value.to_string()),
        BrokerConfigKind::ReadOnly => Err(DynamicConfigError::ReadOnly(vec![name.to_string()])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn topic_defaults_throttles_and_unknown_names_are_dynamic_the_rest_read_only() {
        assert!(matches!(
            classify("log.retention.ms"),
            BrokerConfigKind::TopicDefault(def) if def.name == "retention.ms"
        ));
        assert!(matches!(
            classify("message.max.bytes"),
            BrokerConfigKind::TopicDefault(_)
        ));
        assert!(matches!(
            classify("leader.replication.throttled.rate"),
            BrokerConfigKind::BrokerOnly(ValueType::Long)
        ));
        assert!(matches!(
            classify("no.such.config"),
            BrokerConfigKind::Unknown
        ));
        assert!(matches!(
            classify("num.partitions"),
            BrokerConfigKind::ReadOnly
        ));
        assert!(!is_dynamic("auto.create.topics.enable"));
    }

    #[test]
    fn changes_are_checked_and_read_only_names_refused_together() {
        let configs = DynamicConfigs::default();
        let set = configs
            .changed(
                Scope::Broker(1),
                &[("log.segment.bytes", Change::Set(Some(" 268435456")))],
                &none,
                false,
            )
            .unwrap();
        assert_eq!(
            set.get(Scope::Broker(1))
                .get("log.segment.bytes")
                .map(String::as_str),
            Some("268435456")
        );
        let err = configs
            .changed(
                Scope::Broker(1),
                &[
                    ("log.retention.bytes", Change::Set(Some("1"))),
                    ("num.partitions", Change::Set(Some("3"))),
                ],
                &none,
                false,
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Cannot update these configs dynamically: [num.partitions]"
        );
        let err = configs
            .changed(
                Scope::Cluster,
                &[("log.retention.bytes", Change::Set(Some("lots")))],
                &none,
                false,
            )
            .unwrap_err();
        assert!(
            matches!(err, DynamicConfigError::InvalidValue { .. }),
            "{err}"
        );
    }

    #[test]
    fn append_starts_from_the_value_in_force() {
        let configs = DynamicConfigs::default();
        let in_force = |_: &str| Some("delete".to_string());
        let appended = configs
            .changed(
                Scope::Cluster,
                &[("log.cleanup.policy", Change::Append(Some("compact")))],
                &in_force,
                false,
            )
            .unwrap();
        assert_eq!(
            appended
                .get(Scope::Cluster)
                .get("log.cleanup.policy")
                .map(String::as_str),
            Some("delete,compact")
        );
        let err = configs
            .changed(
                Scope::Cluster,
                &[("log.retention.ms", Change::Append(Some("1")))],
                &in_force,
                false,
            )
            .unwrap_err();
        assert!(matches!(err, DynamicConfigError::NotList(_)));
    }

    #[test]
    fn the_cluster_min_insync_replicas_stays_while_elr_is_on() {
        let mut configs = DynamicConfigs::default();
        configs.seed_min_insync_replicas("1");
        let removed = configs.changed(
            Scope::Cluster,
            &[(MIN_INSYNC_REPLICAS, Change::Delete)],
            &none,
            true,
        );
        assert_eq!(removed, Err(DynamicConfigError::MinInsyncReplicasRequired));
        let replaced =
            configs.replaced(Scope::Cluster, &[("log.retention.bytes", Some("5"))], true);
        assert_eq!(replaced, Err(DynamicConfigError::MinInsyncReplicasRequired));
        assert!(configs
            .changed(
                Scope::Cluster,
                &[(MIN_INSYNC_REPLICAS, Change::Delete)],
                &none,
                false
            )
            .is_ok());
    }

    #[test]
    fn a_resource_holds_a_bounded_number_of_configs() {
        let names: Vec<String> = (0..=MAX_PER_RESOURCE)
            .map(|i| format!("custom.{i}"))
            .collect();
        let entries: Vec<(&str, Option<&str>)> =
            names.iter().map(|n| (n.as_str(), Some("1"))).collect();
        assert_eq!(
            DynamicConfigs::default().replaced(Scope::Broker(1), &entries, false),
            Err(DynamicConfigError::TooMany)
        );
    }
}
