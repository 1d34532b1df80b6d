//! Topic configs: every name Kafka accepts, its type, default, valid range
//! and broker-level synonym, and the effective values a topic ends up with.
//!
//! Clients and tools set and read these by name (CreateTopics, and later
//! DescribeConfigs / AlterConfigs); the log, produce validation and retention
//! read the typed values that matter to klamm. Names klamm accepts but has no
//! behaviour for (replication throttles, compaction tuning) are stored and
//! reported like any other, so tools that set them keep working.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::storage::LogConfig;

/// How a config's value is checked.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Long {
        min: i64,
    },
    Int {
        min: i64,
    },
    /// An int within an inclusive range.
    IntBetween {
        min: i64,
        max: i64,
    },
    /// A ratio between 0 and 1.
    Ratio,
    Bool,
    /// One of these values.
    Choice(&'static [&'static str]),
    /// A comma-separated list whose items are among these values.
    List(&'static [&'static str]),
    /// A comma-separated list of anything (throttled-replica lists).
    AnyList,
    /// Any string.
    Text,
}

/// The type a config has in Kafka's DescribeConfigs (what tools show and
/// how IncrementalAlterConfigs may change it: only lists take APPEND).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    Boolean,
    String,
    Int,
    Long,
    Double,
    List,
}

impl Kind {
    pub fn value_type(self) -> ValueType {
        match self {
            Kind::Long { .. } => ValueType::Long,
            Kind::Int { .. } | Kind::IntBetween { .. } => ValueType::Int,
            Kind::Ratio => ValueType::Double,
            Kind::Bool => ValueType::Boolean,
            Kind::Choice(_) | Kind::Text => ValueType::String,
            Kind::List(_) | Kind::AnyList => ValueType::List,
        }
    }
}

/// One topic config.
#[derive(Clone, Copy, Debug)]
pub struct ConfigDef {
    pub name: &'static str,
    pub kind: Kind,
    /// Kafka's default, before any broker setting.
    pub default: &'static str,
    /// The broker config that sets the default for every topic.
    pub broker_synonym: Option<&'static str>,
    /// The broker config that carries Kafka's built-in default and its value
    /// there, as DescribeConfigs lists it among the synonyms: usually the
    /// broker synonym itself, but `retention.ms`'s default lives in
    /// `log.retention.hours` (168), and a few have none.
    pub default_synonym: Option<(&'static str, &'static str)>,
    /// What the config does, for DescribeConfigs' documentation (v3+).
    pub doc: &'static str,
}

const fn def(
    name: &'static str,
    kind: Kind,
    default: &'static str,
    broker: Option<&'static str>,
    doc: &'static str,
) -> ConfigDef {
    let default_synonym = match broker {
        Some(broker) => Some((broker, default)),
        None => None,
    };
    ConfigDef {
        name,
        kind,
        default,
        broker_synonym: broker,
        default_synonym,
        doc,
    }
}

impl ConfigDef {
    /// The built-in default lives in another broker config (or in none).
    const fn default_in(mut self, synonym: Option<(&'static str, &'static str)>) -> Self {
        self.default_synonym = synonym;
        self
    }
}

const LONG_MAX: &str = "9223372036854775807";
const COMPRESSION: &[&str] = &["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];

/// Every topic config Kafka 4.4 accepts, in Kafka's alphabetical order.
pub const TOPIC_CONFIGS: &[ConfigDef] = &[
    def(
        "cleanup.policy",
        Kind::List(&["compact", "delete"]),
        "delete",
        Some("log.cleanup.policy"),
        "What happens to old data: \"delete\" drops whole old segments by time and size; \"compact\" keeps the newest record per key. Both may be listed.",
    ),
    def(
        "compression.gzip.level",
        Kind::IntBetween { min: -1, max: 9 },
        "-1",
        Some("compression.gzip.level"),
        "The gzip level the broker would recompress with (klamm stores batches as produced).",
    ),
    def(
        "compression.lz4.level",
        Kind::IntBetween { min: 1, max: 17 },
        "9",
        Some("compression.lz4.level"),
        "The lz4 level the broker would recompress with (klamm stores batches as produced).",
    ),
    def(
        "compression.type",
        Kind::Choice(COMPRESSION),
        "producer",
        Some("compression.type"),
        "The compression of stored batches; \"producer\" keeps whatever the producer used.",
    ),
    def(
        "compression.zstd.level",
        Kind::IntBetween { min: -131_072, max: 22 },
        "3",
        Some("compression.zstd.level"),
        "The zstd level the broker would recompress with (klamm stores batches as produced).",
    ),
    def(
        "delete.retention.ms",
        Kind::Long { min: 0 },
        "86400000",
        Some("log.cleaner.delete.retention.ms"),
        "How long tombstones of a compacted topic stay readable.",
    ),
    def(
        "errors.deadletterqueue.group.enable",
        Kind::Bool,
        "false",
        None,
        "Whether share groups may write undeliverable records to a dead-letter topic.",
    ),
    def(
        "file.delete.delay.ms",
        Kind::Long { min: 0 },
        "60000",
        Some("log.segment.delete.delay.ms"),
        "How long a deleted segment's file lingers before it is removed.",
    ),
    def(
        "flush.messages",
        Kind::Long { min: 1 },
        LONG_MAX,
        Some("log.flush.interval.messages"),
        "Force an fsync after this many messages; the default leaves flushing to the OS.",
    ),
    def(
        "flush.ms",
        Kind::Long { min: 0 },
        LONG_MAX,
        Some("log.flush.interval.ms"),
        "Force an fsync after this long; the default leaves flushing to the OS.",
    )
    .default_in(None),
    def(
        "follower.replication.throttled.replicas",
        Kind::AnyList,
        "",
        None,
        "Replicas whose follower replication is throttled (partition:broker pairs, or *).",
    ),
    def(
        "index.interval.bytes",
        Kind::Int { min: 0 },
        "4096",
        Some("log.index.interval.bytes"),
        "Bytes of log between two entries of the sparse offset index.",
    ),
    def(
        "leader.replication.throttled.replicas",
        Kind::AnyList,
        "",
        None,
        "Replicas whose leader-side replication is throttled (partition:broker pairs, or *).",
    ),
    def(
        "local.retention.bytes",
        Kind::Long { min: -2 },
        "-2",
        Some("log.local.retention.bytes"),
        "Local size limit with tiered storage; -2 means retention.bytes.",
    ),
    def(
        "local.retention.ms",
        Kind::Long { min: -2 },
        "-2",
        Some("log.local.retention.ms"),
        "Local time limit with tiered storage; -2 means retention.ms.",
    ),
    def(
        "max.compaction.lag.ms",
        Kind::Long { min: 1 },
        LONG_MAX,
        Some("log.cleaner.max.compaction.lag.ms"),
        "Longest time a record may stay uncompacted.",
    ),
    def(
        "max.decompressed.message.bytes",
        Kind::Int { min: 0 },
        "2147483639",
        Some("max.decompressed.message.bytes"),
        "Largest size a compressed record batch may have once decompressed.",
    ),
    def(
        "max.message.bytes",
        Kind::Int { min: 0 },
        "1048588",
        Some("message.max.bytes"),
        "Largest record batch the topic accepts, after compression.",
    ),
    def(
        "message.timestamp.after.max.ms",
        Kind::Long { min: 0 },
        "3600000",
        Some("log.message.timestamp.after.max.ms"),
        "How far in the future a CreateTime timestamp may be.",
    ),
    def(
        "message.timestamp.before.max.ms",
        Kind::Long { min: 0 },
        LONG_MAX,
        Some("log.message.timestamp.before.max.ms"),
        "How far in the past a CreateTime timestamp may be.",
    ),
    def(
        "message.timestamp.type",
        Kind::Choice(&["CreateTime", "LogAppendTime"]),
        "CreateTime",
        Some("log.message.timestamp.type"),
        "Whether records keep the producer's timestamp (CreateTime) or get the broker's (LogAppendTime).",
    ),
    def(
        "min.cleanable.dirty.ratio",
        Kind::Ratio,
        "0.5",
        Some("log.cleaner.min.cleanable.ratio"),
        "Share of uncompacted log that makes a compacted topic due for cleaning.",
    ),
    def(
        "min.compaction.lag.ms",
        Kind::Long { min: 0 },
        "0",
        Some("log.cleaner.min.compaction.lag.ms"),
        "Shortest time a record stays uncompacted.",
    ),
    def(
        "min.insync.replicas",
        Kind::Int { min: 1 },
        "1",
        Some("min.insync.replicas"),
        "Replicas that must have a record before an acks=all produce succeeds.",
    ),
    def(
        "preallocate",
        Kind::Bool,
        "false",
        Some("log.preallocate"),
        "Whether segment files are preallocated on disk.",
    ),
    def(
        "remote.copy.lag.bytes",
        Kind::Long { min: -1 },
        "-1",
        Some("log.remote.copy.lag.bytes"),
        "With tiered storage: bytes a segment may wait before it is copied (klamm has none).",
    ),
    def(
        "remote.copy.lag.ms",
        Kind::Long { min: 0 },
        "0",
        Some("log.remote.copy.lag.ms"),
        "With tiered storage: time a segment may wait before it is copied (klamm has none).",
    ),
    def(
        "remote.log.copy.disable",
        Kind::Bool,
        "false",
        None,
        "With tiered storage: stop copying segments to remote storage (klamm has none).",
    ),
    def(
        "remote.log.delete.on.disable",
        Kind::Bool,
        "false",
        None,
        "With tiered storage: delete remote data when tiering is turned off (klamm has none).",
    ),
    def(
        "remote.storage.enable",
        Kind::Bool,
        "false",
        None,
        "Whether the topic uses tiered storage (klamm has none).",
    ),
    def(
        "retention.bytes",
        Kind::Long { min: i64::MIN },
        "-1",
        Some("log.retention.bytes"),
        "Largest size of a partition before old segments are deleted; -1 for no limit.",
    ),
    def(
        "retention.ms",
        Kind::Long { min: -1 },
        "604800000",
        Some("log.retention.ms"),
        "How long a segment is kept after its newest record; -1 keeps data forever.",
    )
    .default_in(Some(("log.retention.hours", "168"))),
    def(
        "segment.bytes",
        Kind::Int { min: 14 },
        "1073741824",
        Some("log.segment.bytes"),
        "Size at which a new segment file starts.",
    ),
    def(
        "segment.index.bytes",
        Kind::Int { min: 4 },
        "10485760",
        Some("log.index.size.max.bytes"),
        "Size of a segment's offset and time indexes.",
    ),
    def(
        "segment.jitter.ms",
        Kind::Long { min: 0 },
        "0",
        Some("log.roll.jitter.ms"),
        "Random time subtracted from segment.ms so segments do not all roll at once.",
    )
    .default_in(Some(("log.roll.jitter.hours", "0"))),
    def(
        "segment.ms",
        Kind::Long { min: 1 },
        "604800000",
        Some("log.roll.ms"),
        "Age at which a new segment starts even if the current one is not full.",
    )
    .default_in(Some(("log.roll.hours", "168"))),
    def(
        "unclean.leader.election.enable",
        Kind::Bool,
        "false",
        Some("unclean.leader.election.enable"),
        "Whether a replica that is not in sync may become leader.",
    ),
];

/// Looks a topic config up by name.
pub fn lookup(name: &str) -> Option<&'static ConfigDef> {
    TOPIC_CONFIGS.iter().find(|d| d.name == name)
}

/// Why a config name or value was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConfigError {
    #[error("Unknown topic config name: {0}")]
    Unknown(String),
    #[error("Invalid value {value} for configuration {name}: {reason}")]
    Invalid {
        name: String,
        value: String,
        reason: String,
    },
    #[error("Null value not supported for topic configs: {0}")]
    Null(String),
    #[error("Can't {op} to key {name} because its type is not LIST.")]
    NotList { op: &'static str, name: String },
}

fn invalid(def: &ConfigDef, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name: def.name.to_string(),
        value: value.to_string(),
        reason: reason.into(),
    }
}

/// Checks `value` for config `def` and returns it in canonical form.
pub fn normalize(def: &ConfigDef, value: &str) -> Result<String, ConfigError> {
    let trimmed = value.trim();
    match def.kind {
        Kind::Long { min } | Kind::Int { min } | Kind::IntBetween { min, .. } => {
            let max = match def.kind {
                Kind::Int { .. } => i64::from(i32::MAX),
                Kind::IntBetween { max, .. } => max,
                _ => i64::MAX,
            };
            let n: i64 = trimmed
                .parse()
                .map_err(|_| invalid(def, value, "Not a number"))?;
            if n < min {
                return Err(invalid(def, value, format!("Value must be at least {min}")));
            }
            if n > max {
                return Err(invalid(def, value, format!("Value must be at most {max}")));
            }
            Ok(n.to_string())
        }
        Kind::Ratio => {
            let r: f64 = trimmed
                .parse()
                .map_err(|_| invalid(def, value, "Not a number"))?;
            if !(0.0..=1.0).contains(&r) {
                return Err(invalid(def, value, "Value must be between 0 and 1"));
            }
            Ok(trimmed.to_string())
        }
        Kind::Bool => match trimmed.to_ascii_lowercase().as_str() {
            "true" => Ok("true".into()),
            "false" => Ok("false".into()),
            _ => Err(invalid(
                def,
                value,
                "Expected value to be either true or false",
            )),
        },
        Kind::Choice(allowed) => allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(trimmed))
            .map(|a| (*a).to_string())
            .ok_or_else(|| {
                invalid(
                    def,
                    value,
                    format!("String must be one of: {}", allowed.join(", ")),
                )
            }),
        Kind::List(allowed) => {
            let mut items = Vec::new();
            for item in trimmed.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                let known = allowed
                    .iter()
                    .find(|a| a.eq_ignore_ascii_case(item))
                    .ok_or_else(|| {
                        invalid(
                            def,
                            value,
                            format!("Items must be among: {}", allowed.join(", ")),
                        )
                    })?;
                if !items.contains(known) {
                    items.push(*known);
                }
            }
            if items.is_empty() {
                return Err(invalid(def, value, "Empty list"));
            }
            Ok(items.join(","))
        }
        Kind::AnyList => Ok(trimmed
            .split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .collect::<Vec<_>>()
            .join(",")),
        Kind::Text => Ok(trimmed.to_string()),
    }
}

/// Checks a (name, value) pair from a client: known name, non-null, valid value.
pub fn validate_entry(
    name: &str,
    value: Option<&str>,
) -> Result<(&'static ConfigDef, String), ConfigError> {
    let def = lookup(name).ok_or_else(|| ConfigError::Unknown(name.to_string()))?;
    let value = value.ok_or_else(|| ConfigError::Null(name.to_string()))?;
    let normalized = normalize(def, value)?;
    if def.name == "remote.storage.enable" && normalized == "true" {
        return Err(invalid(def, value, "klamm has no tiered storage"));
    }
    Ok((def, normalized))
}

/// Where an effective value came from (Kafka's DescribeConfigs sources).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// Set on the topic.
    Topic,
    /// Set at run time for this broker (IncrementalAlterConfigs on broker "1").
    DynamicBroker,
    /// Set at run time for every broker (the cluster-wide default, broker "").
    DynamicDefaultBroker,
    /// Set in the broker's configuration (file, environment or flag).
    StaticBroker,
    /// Kafka's built-in default.
    Default,
}

/// One place a config's value can come from, as DescribeConfigs lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Synonym {
    pub name: &'static str,
    pub value: String,
    pub source: ConfigSource,
}

/// One operation of IncrementalAlterConfigs on a topic config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change<'a> {
    Set(Option<&'a str>),
    /// Back to the broker's default.
    Delete,
    /// Adds items to a list config (those not already in it).
    Append(Option<&'a str>),
    /// Removes items from a list config.
    Subtract(Option<&'a str>),
}

/// Topic defaults as the broker defines them: its static settings, and the
/// dynamic broker configs set over them while it runs (per broker, then
/// cluster-wide), all keyed by topic config name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrokerDefaults {
    /// Topic config name → value, for the ones the broker's settings set.
    values: BTreeMap<&'static str, String>,
    /// Cluster-wide dynamic defaults (DYNAMIC_DEFAULT_BROKER_CONFIG).
    cluster: BTreeMap<&'static str, String>,
    /// This broker's dynamic configs (DYNAMIC_BROKER_CONFIG).
    broker: BTreeMap<&'static str, String>,
}

impl BrokerDefaults {
    /// Sets the broker-wide default of a topic config (validated).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        let (def, normalized) = validate_entry(name, Some(value))?;
        self.values.insert(def.name, normalized);
        Ok(())
    }

    /// What the broker's static settings set for a topic config.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// These static defaults under dynamic broker configs, given by broker
    /// config name (`log.retention.ms`); names that set no topic default
    /// are not topic defaults and are skipped. Values were checked when
    /// they were set.
    pub fn with_dynamic(
        &self,
        cluster: &BTreeMap<String, String>,
        broker: &BTreeMap<String, String>,
    ) -> Self {
        let by_topic_name = |entries: &BTreeMap<String, String>| {
            entries
                .iter()
                .filter_map(|(name, value)| {
                    let def = TOPIC_CONFIGS
                        .iter()
                        .find(|d| d.broker_synonym == Some(name.as_str()))?;
                    Some((def.name, value.clone()))
                })
                .collect()
        };
        Self {
            values: self.values.clone(),
            cluster: by_topic_name(cluster),
            broker: by_topic_name(broker),
        }
    }

    /// Every value the broker sets for a topic config, highest precedence
    /// first.
    pub fn layers<'a>(&'a self, name: &str) -> impl Iterator<Item = (&'a str, ConfigSource)> {
        [
            (self.broker.get(name), ConfigSource::DynamicBroker),
            (self.cluster.get(name), ConfigSource::DynamicDefaultBroker),
            (self.values.get(name), ConfigSource::StaticBroker),
        ]
        .into_iter()
        .filter_map(|(value, source)| value.map(|v| (v.as_str(), source)))
    }
}

/// The configs set on one topic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopicConfigs {
    overrides: BTreeMap<String, String>,
}

impl TopicConfigs {
    /// Validates client-supplied configs into a topic's overrides.
    pub fn from_entries<'a>(
        entries: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> Result<Self, ConfigError> {
        let mut overrides = BTreeMap::new();
        for (name, value) in entries {
            let (def, normalized) = validate_entry(name, value)?;
            overrides.insert(def.name.to_string(), normalized);
        }
        Ok(Self { overrides })
    }

    /// Overrides as stored (already validated), e.g. from the metadata file.
    pub fn from_stored(overrides: BTreeMap<String, String>) -> Self {
        Self { overrides }
    }

    pub fn overrides(&self) -> &BTreeMap<String, String> {
        &self.overrides
    }

    /// The value in force and where it came from.
    pub fn effective(&self, def: &ConfigDef, broker: &BrokerDefaults) -> (String, ConfigSource) {
        if let Some(v) = self.overrides.get(def.name) {
            return (v.clone(), ConfigSource::Topic);
        }
        if let Some((v, source)) = broker.layers(def.name).next() {
            return (v.to_string(), source);
        }
        (def.default.to_string(), ConfigSource::Default)
    }

    /// Every place the value of `def` can come from, highest precedence
    /// first, as Kafka lists them: the topic's own setting, each broker
    /// layer that sets its synonym, and the built-in default when it lives
    /// in that same broker config (Kafka does not list `log.retention.hours`
    /// under `retention.ms`). The first one is the value in force.
    pub fn synonyms(&self, def: &ConfigDef, broker: &BrokerDefaults) -> Vec<Synonym> {
        let mut synonyms = Vec::with_capacity(3);
        if let Some(value) = self.overrides.get(def.name) {
            synonyms.push(Synonym {
                name: def.name,
                value: value.clone(),
                source: ConfigSource::Topic,
            });
        }
        if let Some(name) = def.broker_synonym {
            for (value, source) in broker.layers(def.name) {
                synonyms.push(Synonym {
                    name,
                    value: value.to_string(),
                    source,
                });
            }
        }
        if let Some((name, value)) = def.default_synonym {
            if def.broker_synonym == Some(name) {
                synonyms.push(Synonym {
                    name,
                    value: value.to_string(),
                    source: ConfigSource::Default,
                });
            }
        }
        synonyms
    }

    /// These configs after IncrementalAlterConfigs' operations, each checked
    /// as a new value would be; unknown names are refused, not ignored.
    /// APPEND and SUBTRACT start from the value in force, so appending
    /// `compact` to a topic without its own `cleanup.policy` gives
    /// `delete,compact`.
    pub fn changed(
        &self,
        changes: &[(&str, Change<'_>)],
        broker: &BrokerDefaults,
    ) -> Result<Self, ConfigError> {
        let mut next = self.clone();
        for &(name, change) in changes {
            let def = lookup(name).ok_or_else(|| ConfigError::Unknown(name.to_string()))?;
            let (op, items) = match change {
                Change::Set(value) => {
                    let (_, normalized) = validate_entry(name, value)?;
                    next.overrides.insert(def.name.to_string(), normalized);
                    continue;
                }
                Change::Delete => {
                    next.overrides.remove(def.name);
                    continue;
                }
                Change::Append(items) => ("APPEND", items),
                Change::Subtract(items) => ("SUBTRACT", items),
            };
            if def.kind.value_type() != ValueType::List {
                return Err(ConfigError::NotList {
                    op,
                    name: name.to_string(),
                });
            }
            let items = items.ok_or_else(|| ConfigError::Null(name.to_string()))?;
            let (current, _) = next.effective(def, broker);
            let mut list: Vec<&str> = current.split(',').filter(|i| !i.is_empty()).collect();
            for item in items.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                if op == "APPEND" && !list.contains(&item) {
                    list.push(item);
                } else if op == "SUBTRACT" {
                    list.retain(|i| *i != item);
                }
            }
            let (_, normalized) = validate_entry(name, Some(&list.join(",")))?;
            next.overrides.insert(def.name.to_string(), normalized);
        }
        Ok(next)
    }

    fn value(&self, name: &str, broker: &BrokerDefaults) -> String {
        lookup(name).map_or_else(String::new, |def| self.effective(def, broker).0)
    }

    fn number(&self, name: &str, broker: &BrokerDefaults) -> i64 {
        let fallback = lookup(name)
            .and_then(|d| d.default.parse().ok())
            .unwrap_or(0);
        self.value(name, broker).parse().unwrap_or(fallback)
    }

    /// The typed settings the topic's logs run with.
    pub fn log_config(&self, broker: &BrokerDefaults) -> LogConfig {
        LogConfig {
            segment_bytes: self.number("segment.bytes", broker).max(14) as u64,
            segment_ms: self.number("segment.ms", broker).max(1),
            retention_ms: self.number("retention.ms", broker),
            retention_bytes: self.number("retention.bytes", broker),
            index_interval_bytes: self.number("index.interval.bytes", broker).max(0) as u64,
            segment_index_bytes: self.number("segment.index.bytes", broker).max(4) as usize,
            delete_enabled: self.value("cleanup.policy", broker).contains("delete"),
        }
    }

    pub fn max_message_bytes(&self, broker: &BrokerDefaults) -> usize {
        self.number("max.message.bytes", broker).max(0) as usize
    }

    pub fn log_append_time(&self, broker: &BrokerDefaults) -> bool {
        self.value("message.timestamp.type", broker) == "LogAppendTime"
    }

    pub fn compacted(&self, broker: &BrokerDefaults) -> bool {
        self.value("cleanup.policy", broker).contains("compact")
    }

    pub fn min_insync_replicas(&self, broker: &BrokerDefaults) -> i64 {
        self.number("min.insync.replicas", broker)
    }

    /// How far before the broker's clock a CreateTime timestamp may be.
    pub fn timestamp_before_max_ms(&self, broker: &BrokerDefaults) -> i64 {
        self.number("message.timestamp.before.max.ms", broker)
    }

    /// How far after the broker's clock a CreateTime timestamp may be.
    pub fn timestamp_after_max_ms(&self, broker: &BrokerDefaults) -> i64 {
        self.number("message.timestamp.after.max.ms", broker)
    }

    /// The typed values the produce path and the logs need.
    pub fn settings(&self, broker: &BrokerDefaults) -> TopicSettings {
        TopicSettings {
            log: self.log_config(broker),
            max_message_bytes: self.max_message_bytes(broker),
            log_append_time: self.log_append_time(broker),
            compacted: self.compacted(broker),
            min_insync_replicas: self.min_insync_replicas(broker),
            timestamp_before_max_ms: self.timestamp_before_max_ms(broker),
            timestamp_after_max_ms: self.timestamp_after_max_ms(broker),
        }
    }
}

/// A topic's effective configs in typed form, computed once per change so
/// that every produce does not parse strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicSettings {
    pub log: LogConfig,
    pub max_message_bytes: usize,
    pub log_append_time: bool,
    pub compacted: bool,
    pub min_insync_replicas: i64,
    pub timestamp_before_max_ms: i64,
    pub timestamp_after_max_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_and_bad_values_are_refused_with_their_name() {
        assert_eq!(
            TopicConfigs::from_entries([("retention.msec", Some("1"))]),
            Err(ConfigError::Unknown("retention.msec".into()))
        );
        let err = TopicConfigs::from_entries([("retention.ms", Some("soon"))]).unwrap_err();
        assert!(err.to_string().contains("retention.ms"), "{err}");
        let err = TopicConfigs::from_entries([("cleanup.policy", Some("shred"))]).unwrap_err();
        assert!(err.to_string().contains("compact, delete"), "{err}");
        assert!(TopicConfigs::from_entries([("segment.bytes", Some("3000000000"))]).is_err());
        assert!(TopicConfigs::from_entries([("retention.ms", None)]).is_err());
    }

    #[test]
    fn values_are_stored_in_canonical_form() {
        let configs = TopicConfigs::from_entries([
            ("cleanup.policy", Some("Delete, compact")),
            ("message.timestamp.type", Some("logappendtime")),
            ("preallocate", Some("TRUE")),
        ])
        .unwrap();
        assert_eq!(configs.overrides()["cleanup.policy"], "delete,compact");
        assert_eq!(
            configs.overrides()["message.timestamp.type"],
            "LogAppendTime"
        );
        assert_eq!(configs.overrides()["preallocate"], "true");
    }

    #[test]
    fn effective_values_prefer_topic_then_broker_then_default() {
        let mut broker = BrokerDefaults::default();
        broker.set("retention.ms", "1000").unwrap();
        let topic = TopicConfigs::from_entries([("segment.bytes", Some("2048"))]).unwrap();
        let def = |n| lookup(n).unwrap();
        assert_eq!(
            topic.effective(def("segment.bytes"), &broker),
            ("2048".into(), ConfigSource::Topic)
        );
        assert_eq!(
            topic.effective(def("retention.ms"), &broker),
            ("1000".into(), ConfigSource::StaticBroker)
        );
        assert_eq!(
            topic.effective(def("segment.ms"), &broker),
            ("604800000".into(), ConfigSource::Default)
        );
        let log = topic.log_config(&broker);
        assert_eq!((log.segment_bytes, log.retention_ms), (2048, 1000));
        assert!(log.delete_enabled);
    }

    #[test]
    fn incremental_changes_set_delete_append_and_subtract() {
        let broker = BrokerDefaults::default();
        let topic = TopicConfigs::from_entries([("retention.ms", Some("1000"))]).unwrap();
        let changed = topic
            .changed(
                &[
                    ("retention.ms", Change::Delete),
                    ("segment.bytes", Change::Set(Some("4096"))),
                    ("cleanup.policy", Change::Append(Some("compact"))),
                ],
                &broker,
            )
            .unwrap();
        assert!(!changed.overrides().contains_key("retention.ms"));
        assert_eq!(changed.overrides()["segment.bytes"], "4096");
        assert_eq!(changed.overrides()["cleanup.policy"], "delete,compact");
        let subtracted = changed
            .changed(
                &[("cleanup.policy", Change::Subtract(Some("delete")))],
                &broker,
            )
            .unwrap();
        assert_eq!(subtracted.overrides()["cleanup.policy"], "compact");
        assert_eq!(
            topic.overrides()["retention.ms"],
            "1000",
            "the original is untouched"
        );
    }

    #[test]
    fn incremental_changes_refuse_unknown_names_and_lists_of_scalars() {
        let broker = BrokerDefaults::default();
        let topic = TopicConfigs::default();
        assert_eq!(
            topic.changed(&[("retention.msec", Change::Delete)], &broker),
            Err(ConfigError::Unknown("retention.msec".into()))
        );
        let err = topic
            .changed(&[("retention.ms", Change::Append(Some("5")))], &broker)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Can't APPEND to key retention.ms because its type is not LIST."
        );
        assert!(topic
            .changed(
                &[("cleanup.policy", Change::Append(Some("shred")))],
                &broker
            )
            .is_err());
        assert!(topic
            .changed(
                &[("cleanup.policy", Change::Subtract(Some("delete")))],
                &broker
            )
            .is_err());
    }

    #[test]
    fn synonyms_list_topic_then_each_broker_layer_then_a_default_of_the_same_name() {
        let mut broker = BrokerDefaults::default();
        broker.set("retention.ms", "5000").unwrap();
        let dynamic = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let broker = broker.with_dynamic(
            &dynamic(&[
                ("log.retention.ms", "4000"),
                ("log.segment.bytes", "1000000"),
            ]),
            &dynamic(&[("log.retention.ms", "3000")]),
        );
        let topic = TopicConfigs::from_entries([("retention.ms", Some("1000"))]).unwrap();
        let names: Vec<_> = topic
            .synonyms(lookup("retention.ms").unwrap(), &broker)
            .into_iter()
            .map(|s| (s.name, s.value, s.source))
            .collect();
        // Kafka lists `log.retention.hours` (where the 168 h default lives)
        // under no topic's retention.ms.
        assert_eq!(
            names,
            [
                ("retention.ms", "1000".to_string(), ConfigSource::Topic),
                (
                    "log.retention.ms",
                    "3000".to_string(),
                    ConfigSource::DynamicBroker
                ),
                (
                    "log.retention.ms",
                    "4000".to_string(),
                    ConfigSource::DynamicDefaultBroker
                ),
                (
                    "log.retention.ms",
                    "5000".to_string(),
                    ConfigSource::StaticBroker
                ),
            ]
        );
        let plain = TopicConfigs::default();
        assert_eq!(
            plain.effective(lookup("retention.ms").unwrap(), &broker),
            ("3000".to_string(), ConfigSource::DynamicBroker)
        );
        let segment = plain.synonyms(lookup("segment.bytes").unwrap(), &broker);
        assert_eq!(
            segment
                .iter()
                .map(|s| (s.name, s.source))
                .collect::<Vec<_>>(),
            [
                ("log.segment.bytes", ConfigSource::DynamicDefaultBroker),
                ("log.segment.bytes", ConfigSource::Default)
            ]
        );
    }

    #[test]
    fn compact_only_topics_are_never_deleted_by_retention() {
        let topic = TopicConfigs::from_entries([("cleanup.policy", Some("compact"))]).unwrap();
        let broker = BrokerDefaults::default();
        assert!(!topic.log_config(&broker).delete_enabled);
        assert!(topic.compacted(&broker));
    }
}
