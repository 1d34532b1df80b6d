//! The broker's configuration: defaults, then `config/klamm.toml` (or the
//! file named by `--config`), then `KAFKA_*` variables, then `KLAMM_*`
//! variables, then flags. The resolved [`Config`] is checked as a whole; a
//! bad or unknown setting is an error that names it and where it came from.

pub mod broker_configs;
mod env;
pub mod listeners;
mod settings;
pub mod start_topics;

use std::path::{Path, PathBuf};
use std::time::Duration;

use thiserror::Error;

use crate::cluster::topic_config::BrokerDefaults;
use crate::group::GroupConfig;
pub use env::EnvNote;
pub use listeners::ListenerConfig;
pub use settings::{AutoCreateTopics, FlushPolicy, Settings};
pub use start_topics::StartTopic;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{origin}: unknown setting `{setting}`")]
    Unknown { origin: String, setting: String },
    #[error("{origin}: invalid value for `{setting}`: {reason}")]
    Invalid {
        origin: String,
        setting: String,
        reason: String,
    },
    #[error("{}: {reason}", path.display())]
    File { path: PathBuf, reason: String },
}

/// A simulated cluster is for exercising client routing, not for scale.
pub const MAX_BROKERS: u16 = 64;

/// The resolved configuration a broker runs with.
#[derive(Clone, Debug)]
pub struct Config {
    pub listeners: Vec<ListenerConfig>,
    pub data_dir: PathBuf,
    pub in_memory: bool,
    pub node_id: i32,
    /// How many brokers this process plays (node ids `node_id..node_id+brokers`).
    pub brokers: u16,
    pub auto_create_topics: AutoCreateTopics,
    /// Topics created at start unless they exist (`create_topics`).
    pub create_topics: Vec<StartTopic>,
    pub num_partitions: i32,
    pub default_replication_factor: i16,
    /// Topic config defaults set by the broker's settings.
    pub topic_defaults: BrokerDefaults,
    pub retention_check_interval: Duration,
    pub flush: FlushPolicy,
    pub socket_request_max_bytes: usize,
    pub max_connections: usize,
    pub connections_max_idle: Duration,
    pub groups: GroupConfig,
    pub offsets_retention_check_interval: Duration,
    pub log_level: String,
    /// Where `/health` and `/metrics` are served (`host:port`); `None`: off.
    pub http_listen: Option<String>,
    /// Whether tolerated protocol deviations are recorded (`protocol_conformance = "report"`).
    pub protocol_conformance_report: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self::resolve(Settings::default(), "defaults")
            .unwrap_or_else(|e| unreachable!("defaults are valid: {e}"))
    }
}

/// The broker settings that set topic defaults: (setting, topic config,
/// value if set).
fn topic_defaults(s: &Settings) -> [(&'static str, &'static str, Option<String>); 10] {
    let text = |v: Option<i64>| v.map(|v| v.to_string());
    [
        ("log_retention_ms", "retention.ms", text(s.log_retention_ms)),
        (
            "log_retention_bytes",
            "retention.bytes",
            text(s.log_retention_bytes),
        ),
        (
            "log_segment_bytes",
            "segment.bytes",
            text(s.log_segment_bytes),
        ),
        ("log_roll_ms", "segment.ms", text(s.log_roll_ms)),
        (
            "message_max_bytes",
            "max.message.bytes",
            text(s.message_max_bytes),
        ),
        (
            "log_message_timestamp_type",
            "message.timestamp.type",
            s.log_message_timestamp_type.clone(),
        ),
        (
            "log_cleanup_policy",
            "cleanup.policy",
            s.log_cleanup_policy.clone(),
        ),
        (
            "min_insync_replicas",
            "min.insync.replicas",
            text(s.min_insync_replicas),
        ),
        (
            "log_index_interval_bytes",
            "index.interval.bytes",
            text(s.log_index_interval_bytes),
        ),
        (
            "log_index_size_max_bytes",
            "segment.index.bytes",
            text(s.log_index_size_max_bytes),
        ),
    ]
}

fn invalid(origin: &str, setting: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        origin: origin.to_string(),
        setting: setting.to_string(),
        reason: reason.into(),
    }
}

/// The HTTP endpoints' address: empty or "off" turns them off; anything
/// else must be `host:port` with a numeric port.
fn http_address(value: Option<&str>) -> Result<Option<String>, String> {
    let value = value.unwrap_or_default().trim();
    if value.is_empty() || value.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    match value.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Ok(Some(value.to_string()))
        }
        _ => Err(format!("`{value}` is not host:port (e.g. 127.0.0.1:9644)")),
    }
}

impl Config {
    /// Reads a TOML settings file.
    pub fn read_file(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// Stacks every source in order of precedence and resolves the result.
    /// Returns the notes about `KAFKA_*` variables that were not applied.
    pub fn load(
        file: Option<&Path>,
        vars: &[(String, String)],
        flags: Settings,
    ) -> Result<(Config, Vec<EnvNote>), ConfigError> {
        let from_file = match file {
            Some(path) => Self::read_file(path)?,
            None => Settings::default(),
        };
        let (from_kafka, notes) = env::kafka_settings(vars)?;
        let from_klamm = env::klamm_settings(vars)?;
        let merged = from_file
            .overlay(from_kafka)
            .overlay(from_klamm)
            .overlay(flags);
        Ok((Self::resolve(merged, "configuration")?, notes))
    }

    /// Applies defaults to a stack of settings and checks the result.
    pub fn resolve(s: Settings, origin: &str) -> Result<Config, ConfigError> {
        let listeners = listeners::resolve(
            s.listeners.as_deref(),
            s.advertised_listeners.as_deref(),
            s.listener_security_protocol_map.as_deref(),
            s.controller_listener_names.as_deref(),
        )
        .map_err(|reason| invalid(origin, "listeners", reason))?;

        let mut defaults = BrokerDefaults::default();
        for (setting, topic_config, value) in topic_defaults(&s) {
            let Some(value) = value else { continue };
            defaults
                .set(topic_config, &value)
                .map_err(|e| invalid(origin, setting, e.to_string()))?;
        }

        let node_id = s.node_id.unwrap_or(1);
        if node_id < 0 {
            return Err(invalid(origin, "node_id", "must be 0 or more"));
        }
        let brokers = s.brokers.unwrap_or(1);
        if !(1..=MAX_BROKERS).contains(&brokers) {
            return Err(invalid(
                origin,
                "brokers",
                format!("must be between 1 and {MAX_BROKERS}"),
            ));
        }
        if i32::from(brokers - 1) > i32::MAX - node_id {
            return Err(invalid(
                origin,
                "node_id",
                "too large for that many brokers",
            ));
        }
        let num_partitions = s.num_partitions.unwrap_or(1);
        if num_partitions < 1 {
            return Err(invalid(origin, "num_partitions", "must be at least 1"));
        }
        let default_replication_factor = s.default_replication_factor.unwrap_or(1);
        if default_replication_factor < 1 {
            return Err(invalid(
                origin,
                "default_replication_factor",
                "must be at least 1",
            ));
        }
        let socket_request_max_bytes = s.socket_request_max_bytes.unwrap_or(104_857_600) as usize;
        if socket_request_max_bytes < 1024 {
            return Err(invalid(
                origin,
                "socket_request_max_bytes",
                "must be at least 1024",
            ));
        }
        let max_connections = s.max_connections.unwrap_or(1000) as usize;
        if max_connections == 0 {
            return Err(invalid(origin, "max_connections", "must be at least 1"));
        }
        let idle_ms = s.connections_max_idle_ms.unwrap_or(600_000);
        if idle_ms == 0 {
            return Err(invalid(
                origin,
                "connections_max_idle_ms",
                "must be at least 1",
            ));
        }
        let min_session = s.group_min_session_timeout_ms.unwrap_or(6_000);
        let max_session = s.group_max_session_timeout_ms.unwrap_or(1_800_000);
        if min_session > max_session {
            return Err(invalid(
                origin,
                "group_min_session_timeout_ms",
                "must not be above group_max_session_timeout_ms",
            ));
        }
        let groups = GroupConfig {
            initial_rebalance_delay: Duration::from_millis(
                s.group_initial_rebalance_delay_ms.unwrap_or(0),
            ),
            min_session_timeout: Duration::from_millis(min_session),
            max_session_timeout: Duration::from_millis(max_session),
            offsets_retention: Duration::from_secs(
                s.offsets_retention_minutes
                    .unwrap_or(10_080)
                    .saturating_mul(60),
            ),
            offset_metadata_max_bytes: s.offset_metadata_max_bytes.unwrap_or(4096) as usize,
        };
        let offsets_check = s.offsets_retention_check_interval_ms.unwrap_or(600_000);
        if offsets_check == 0 {
            return Err(invalid(
                origin,
                "offsets_retention_check_interval_ms",
                "must be at least 1",
            ));
        }
        let interval = s.log_retention_check_interval_ms.unwrap_or(300_000);
        if interval == 0 {
            return Err(invalid(
                origin,
                "log_retention_check_interval_ms",
                "must be at least 1",
            ));
        }
        let http_listen = http_address(s.http_listen.as_deref())
            .map_err(|reason| invalid(origin, "http_listen", reason))?;
        let protocol_conformance_report = match s.protocol_conformance.as_deref().map(str::trim) {
            None | Some("off") => false,
            Some("report") => true,
            Some(other) => {
                return Err(invalid(
                    origin,
                    "protocol_conformance",
                    format!("`{other}` is neither `off` nor `report`"),
                ))
            }
        };
        let create_topics = start_topics::parse(s.create_topics.as_deref().unwrap_or_default())
            .map_err(|reason| invalid(origin, "create_topics", reason))?;
        Ok(Config {
            http_listen,
            protocol_conformance_report,
            listeners,
            data_dir: s.data_dir.unwrap_or_else(|| PathBuf::from("klamm-data")),
            in_memory: s.in_memory.unwrap_or(false),
            node_id,
            brokers,
            auto_create_topics: s.auto_create_topics_enable.unwrap_or_default(),
            create_topics,
            num_partitions,
            default_replication_factor,
            topic_defaults: defaults,
            retention_check_interval: Duration::from_millis(interval),
            flush: s.flush.unwrap_or_default(),
            socket_request_max_bytes,
            max_connections,
            connections_max_idle: Duration::from_millis(idle_ms),
            groups,
            offsets_retention_check_interval: Duration::from_millis(offsets_check),
            log_level: s.log_level.unwrap_or_else(|| "info".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Environment variables as `Config::load` takes them.
    pub(crate) fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_kafkas() {
        let config = Config::default();
        assert_eq!(config.listeners.len(), 1);
        assert_eq!(config.listeners[0].bind_port, 9092);
        assert_eq!(config.data_dir, PathBuf::from("klamm-data"));
        assert_eq!(config.auto_create_topics, AutoCreateTopics::OnRequest);
        assert_eq!(config.num_partitions, 1);
        assert_eq!(config.socket_request_max_bytes, 100 * 1024 * 1024);
        assert_eq!(config.flush, FlushPolicy::Never);
    }

    #[test]
    fn flags_beat_klamm_variables_beat_kafka_variables_beat_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("klamm.toml");
        std::fs::write(
            &file,
            "num_partitions = 2\nnode_id = 4\nlog_retention_ms = 10\n",
        )
        .unwrap();
        let env = vars(&[
            ("KAFKA_NUM_PARTITIONS", "3"),
            ("KAFKA_NODE_ID", "5"),
            ("KLAMM_NUM_PARTITIONS", "6"),
        ]);
        let flags = Settings {
            num_partitions: Some(7),
            ..Settings::default()
        };
        let (config, _) = Config::load(Some(&file), &env, flags).unwrap();
        assert_eq!(config.num_partitions, 7);
        assert_eq!(config.node_id, 5);
        assert_eq!(config.topic_defaults.get("retention.ms"), Some("10"));
    }

    #[test]
    fn bad_values_name_their_setting() {
        let s = Settings {
            log_message_timestamp_type: Some("WallClock".into()),
            ..Settings::default()
        };
        let err = Config::resolve(s, "flags").unwrap_err();
        assert!(
            err.to_string().contains("log_message_timestamp_type"),
            "{err}"
        );
        let s = Settings {
            num_partitions: Some(0),
            ..Settings::default()
        };
        assert!(Config::resolve(s, "flags")
            .unwrap_err()
            .to_string()
            .contains("num_partitions"));
    }

    #[test]
    fn the_shipped_config_file_documents_every_setting_with_its_default() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/klamm.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        // Uncomment every `# name = value` line: the result must be valid,
        // name every setting, and resolve to exactly the defaults.
        let uncommented: String = text
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| {
                l.split_once(" = ")
                    .is_some_and(|(k, _)| Settings::NAMES.contains(&k))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let settings: Settings = toml::from_str(&uncommented).unwrap();
        for name in Settings::NAMES {
            assert!(
                uncommented.contains(&format!("{name} = ")),
                "config/klamm.toml does not document `{name}`"
            );
        }
        let shipped = Config::resolve(settings, "file").unwrap();
        let mut default = Config::default();
        // Explicitly set topic defaults differ from built-in ones only in
        // where they say they came from; compare values.
        for (_, topic_config, _) in topic_defaults(&Settings::default()) {
            let def = crate::cluster::topic_config::lookup(topic_config).unwrap();
            assert_eq!(
                shipped.topic_defaults.get(topic_config),
                Some(def.default),
                "{topic_config}"
            );
        }
        default.topic_defaults = shipped.topic_defaults.clone();
        // The derived advertised address of the default listener is the
        // one the file spells out.
        default.listeners[0].advertised = Some(("localhost".into(), 9092));
        assert_eq!(format!("{shipped:?}"), format!("{default:?}"));
    }
}
