//! Settings from the environment: `KLAMM_<SETTING>` for every setting, and
//! the `KAFKA_*` / `KAFKA_CFG_*` names of Kafka's docker images, so the
//! environment block of an existing compose file can be reused.
//!
//! An unknown `KLAMM_*` name is an error (it is a typo). `KAFKA_*` variables
//! are different: compose files carry many that mean nothing to a single
//! broker (ZooKeeper, KRaft quorum, JVM options), so those are noted, not
//! fatal.

use super::settings::{Settings, KLAMM_ONLY};
use super::ConfigError;

/// `KAFKA_*` settings that make sense only for a real Kafka deployment.
const KAFKA_IGNORED: &[&str] = &[
    "auto_leader_rebalance_enable",
    "broker_id_generation_enable",
    "broker_rack",
    "cluster_id",
    "confluent_balancer_enable",
    "confluent_balancer_topic_replication_factor",
    "confluent_license_topic_replication_factor",
    "confluent_metrics_enable",
    "confluent_metrics_reporter_topic_replicas",
    "confluent_support_metrics_enable",
    "controller_quorum_bootstrap_servers",
    "controller_quorum_voters",
    "delete_topic_enable",
    "heap_opts",
    "home",
    "inter_broker_listener_name",
    "inter_broker_protocol_version",
    "jmx_hostname",
    "jmx_opts",
    "jmx_port",
    "log4j_loggers",
    "log4j_opts",
    "log4j_root_loglevel",
    "log_flush_interval_ms",
    "metadata_log_dir",
    "num_io_threads",
    "num_network_threads",
    "num_recovery_threads_per_data_dir",
    "offsets_topic_num_partitions",
    "offsets_topic_replication_factor",
    "opts",
    "process_roles",
    "replica_fetch_max_bytes",
    "share_coordinator_state_topic_min_isr",
    "share_coordinator_state_topic_replication_factor",
    "socket_receive_buffer_bytes",
    "socket_send_buffer_bytes",
    "transaction_state_log_min_isr",
    "transaction_state_log_num_partitions",
    "transaction_state_log_replication_factor",
    "unclean_leader_election_enable",
    "version",
    "zookeeper_connect",
    "zookeeper_connection_timeout_ms",
];

/// A `KAFKA_*` variable that was not applied, and why (logged at start-up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvNote {
    pub variable: String,
    pub reason: &'static str,
}

/// Guesses the TOML type of an environment value.
fn guess(raw: &str) -> toml::Value {
    if raw.eq_ignore_ascii_case("true") {
        return toml::Value::Boolean(true);
    }
    if raw.eq_ignore_ascii_case("false") {
        return toml::Value::Boolean(false);
    }
    if let Ok(n) = raw.trim().parse::<i64>() {
        return toml::Value::Integer(n);
    }
    toml::Value::String(raw.to_string())
}

/// A layer that sets just `name` to `raw`, typed as the setting wants.
pub fn one_setting(name: &str, raw: &str, origin: &str) -> Result<Settings, ConfigError> {
    let attempt = |value: toml::Value| {
        let mut table = toml::Table::new();
        table.insert(name.to_string(), value);
        toml::Value::Table(table).try_into::<Settings>()
    };
    attempt(guess(raw))
        .or_else(|_| attempt(toml::Value::String(raw.to_string())))
        .map_err(|e| ConfigError::Invalid {
            origin: origin.to_string(),
            setting: name.to_string(),
            reason: format!("`{raw}`: {}", e.message()),
        })
}

/// Settings from `KLAMM_*` variables.
pub fn klamm_settings(vars: &[(String, String)]) -> Result<Settings, ConfigError> {
    let mut layer = Settings::default();
    for (key, value) in vars {
        let Some(suffix) = key.strip_prefix("KLAMM_") else {
            continue;
        };
        let name = suffix.to_ascii_lowercase();
        if name == "config" {
            continue;
        }
        if !Settings::NAMES.contains(&name.as_str()) {
            return Err(ConfigError::Unknown {
                origin: "environment".into(),
                setting: key.clone(),
            });
        }
        layer = layer.overlay(one_setting(&name, value, key)?);
    }
    Ok(layer)
}

/// Settings from `KAFKA_*` / `KAFKA_CFG_*` variables, and notes about the
/// ones that were not applied.
pub fn kafka_settings(vars: &[(String, String)]) -> Result<(Settings, Vec<EnvNote>), ConfigError> {
    let mut notes = Vec::new();
    let mut direct = Settings::default();
    let (mut hours, mut minutes, mut ms) = (None, None, None);
    for (key, value) in vars {
        let Some(suffix) = key
            .strip_prefix("KAFKA_CFG_")
            .or_else(|| key.strip_prefix("KAFKA_"))
        else {
            continue;
        };
        let name = suffix.to_ascii_lowercase();
        let mut set = |setting: &str, raw: &str| -> Result<(), ConfigError> {
            direct = std::mem::take(&mut direct).overlay(one_setting(setting, raw, key)?);
            Ok(())
        };
        match name.as_str() {
            "broker_id" => set("node_id", value)?,
            "log_dirs" | "log_dir" => {
                let first = value.split(',').next().unwrap_or_default().trim();
                set("data_dir", first)?;
            }
            "log_retention_hours" => hours = Some((key.clone(), value.clone())),
            "log_retention_minutes" => minutes = Some((key.clone(), value.clone())),
            "log_retention_ms" => ms = Some((key.clone(), value.clone())),
            "log_roll_hours" => set("log_roll_ms", &scaled(key, value, 3_600_000)?)?,
            "log_flush_interval_messages" if value.trim() == "1" => set("flush", "always")?,
            "log_flush_interval_messages" => notes.push(EnvNote {
                variable: key.clone(),
                reason: "only 1 (fsync every append, flush = \"always\") changes klamm's behaviour",
            }),
            n if Settings::NAMES.contains(&n) && !KLAMM_ONLY.contains(&n) => set(n, value)?,
            n if KAFKA_IGNORED.contains(&n) => notes.push(EnvNote {
                variable: key.clone(),
                reason: "has no meaning for a single klamm broker",
            }),
            _ => notes.push(EnvNote {
                variable: key.clone(),
                reason: "is not a setting klamm knows",
            }),
        }
    }
    // Kafka's precedence: log.retention.ms over minutes over hours.
    let retention = match (ms, minutes, hours) {
        (Some((key, v)), _, _) => Some(one_setting("log_retention_ms", &v, &key)?),
        (None, Some((key, v)), _) => Some(one_setting(
            "log_retention_ms",
            &scaled(&key, &v, 60_000)?,
            &key,
        )?),
        (None, None, Some((key, v))) => Some(one_setting(
            "log_retention_ms",
            &scaled(&key, &v, 3_600_000)?,
            &key,
        )?),
        (None, None, None) => None,
    };
    if let Some(retention) = retention {
        direct = direct.overlay(retention);
    }
    Ok((direct, notes))
}

fn scaled(key: &str, value: &str, factor: i64) -> Result<String, ConfigError> {
    let n: i64 = value.trim().parse().map_err(|_| ConfigError::Invalid {
        origin: key.to_string(),
        setting: key.to_string(),
        reason: format!("`{value}` is not a number"),
    })?;
    // -1 means "forever" in every unit.
    Ok(if n < 0 { n } else { n.saturating_mul(factor) }.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::settings::FlushPolicy;
    use crate::config::tests::vars;

    #[test]
    fn klamm_variables_set_typed_settings() {
        let layer = klamm_settings(&vars(&[
            ("KLAMM_NUM_PARTITIONS", "3"),
            ("KLAMM_DATA_DIR", "/tmp/k"),
            ("KLAMM_IN_MEMORY", "TRUE"),
            ("KLAMM_FLUSH", "always"),
            ("PATH", "/bin"),
        ]))
        .unwrap();
        assert_eq!(layer.num_partitions, Some(3));
        assert_eq!(
            layer.data_dir.as_deref(),
            Some(std::path::Path::new("/tmp/k"))
        );
        assert_eq!(layer.in_memory, Some(true));
        assert_eq!(layer.flush, Some(FlushPolicy::Always));
    }

    #[test]
    fn a_misspelt_klamm_variable_is_an_error_naming_it() {
        let err = klamm_settings(&vars(&[("KLAMM_NUM_PARTITION", "3")])).unwrap_err();
        assert!(err.to_string().contains("KLAMM_NUM_PARTITION"), "{err}");
        let err = klamm_settings(&vars(&[("KLAMM_NUM_PARTITIONS", "many")])).unwrap_err();
        assert!(err.to_string().contains("KLAMM_NUM_PARTITIONS"), "{err}");
    }

    #[test]
    fn compose_variables_map_onto_settings() {
        let (layer, notes) = kafka_settings(&vars(&[
            ("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://localhost:9092"),
            ("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false"),
            ("KAFKA_NUM_PARTITIONS", "3"),
            ("KAFKA_LOG_RETENTION_HOURS", "2"),
            ("KAFKA_CFG_MESSAGE_MAX_BYTES", "2000000"),
            ("KAFKA_BROKER_ID", "5"),
            ("KAFKA_ZOOKEEPER_CONNECT", "zookeeper:2181"),
            ("KAFKA_HEAP_OPTS", "-Xmx1G"),
            ("KAFKA_SOMETHING_ELSE", "x"),
        ]))
        .unwrap();
        assert_eq!(
            layer.advertised_listeners.as_deref(),
            Some("PLAINTEXT://localhost:9092")
        );
        assert_eq!(
            layer.auto_create_topics_enable,
            Some(super::super::AutoCreateTopics::Off)
        );
        assert_eq!(layer.num_partitions, Some(3));
        assert_eq!(layer.log_retention_ms, Some(7_200_000));
        assert_eq!(layer.message_max_bytes, Some(2_000_000));
        assert_eq!(layer.node_id, Some(5));
        assert_eq!(notes.len(), 3);
    }

    #[test]
    fn retention_ms_beats_minutes_beats_hours() {
        let (layer, _) = kafka_settings(&vars(&[
            ("KAFKA_LOG_RETENTION_HOURS", "2"),
            ("KAFKA_LOG_RETENTION_MINUTES", "3"),
        ]))
        .unwrap();
        assert_eq!(layer.log_retention_ms, Some(180_000));
        let (layer, _) = kafka_settings(&vars(&[
            ("KAFKA_LOG_RETENTION_MINUTES", "3"),
            ("KAFKA_LOG_RETENTION_MS", "-1"),
        ]))
        .unwrap();
        assert_eq!(layer.log_retention_ms, Some(-1));
    }

    #[test]
    fn kafka_variables_never_set_klamm_only_settings() {
        let (layer, notes) = kafka_settings(&vars(&[("KAFKA_IN_MEMORY", "true")])).unwrap();
        assert_eq!(layer.in_memory, None);
        assert_eq!(notes.len(), 1);
    }
}
