//! One layer of settings. Each source (config file, environment, flags)
//! produces a `Settings` with only what it sets; layers are stacked with
//! `overlay` and the result is resolved into a [`super::Config`].
//!
//! Names follow Kafka's broker configs with dots as underscores
//! (`log.retention.ms` → `log_retention_ms`), so a Kafka user can guess them
//! and `KAFKA_*` variables map onto them directly.

use std::path::PathBuf;

use serde::Deserialize;

/// When appended data is fsynced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FlushPolicy {
    /// Like Kafka's default: the page cache carries the data and the OS
    /// writes it back; a crash of the process loses nothing, a power cut may.
    #[default]
    Never,
    /// fsync before acknowledging a produce (grouped across requests).
    Always,
}

/// When a topic nobody created comes into being (`auto_create_topics_enable`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AutoCreateTopics {
    /// Never: unknown topics are UNKNOWN_TOPIC_OR_PARTITION.
    Off,
    /// As Kafka's `auto.create.topics.enable=true`: Metadata creates a topic
    /// it names when the request allows auto-creation.
    #[default]
    OnRequest,
    /// Any Metadata or Produce request naming the topic creates it, whatever
    /// the request's flag: kafka-go v0.4 writers ask with the flag off and
    /// race their readers on a fresh broker.
    Always,
}

impl AutoCreateTopics {
    /// Whether a Metadata request with this `allow_auto_topic_creation`
    /// creates the topics it names.
    pub fn for_metadata(self, allowed_by_request: bool) -> bool {
        match self {
            AutoCreateTopics::Off => false,
            AutoCreateTopics::OnRequest => allowed_by_request,
            AutoCreateTopics::Always => true,
        }
    }
}

impl From<bool> for AutoCreateTopics {
    fn from(enabled: bool) -> Self {
        if enabled {
            AutoCreateTopics::OnRequest
        } else {
            AutoCreateTopics::Off
        }
    }
}

impl std::str::FromStr for AutoCreateTopics {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(AutoCreateTopics::OnRequest),
            "false" => Ok(AutoCreateTopics::Off),
            "always" => Ok(AutoCreateTopics::Always),
            other => Err(format!("`{other}` is none of true, false, always")),
        }
    }
}

impl<'de> Deserialize<'de> for AutoCreateTopics {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Flag(bool),
            Word(String),
        }
        match Raw::deserialize(d)? {
            Raw::Flag(enabled) => Ok(enabled.into()),
            Raw::Word(word) => word.parse().map_err(serde::de::Error::custom),
        }
    }
}

impl std::fmt::Display for AutoCreateTopics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AutoCreateTopics::Off => "false",
            AutoCreateTopics::OnRequest => "true",
            AutoCreateTopics::Always => "always",
        })
    }
}

macro_rules! settings {
    ($( $(#[$meta:meta])* $name:ident : $ty:ty ),* $(,)?) => {
        /// Settings from one source; `None` means "not set here".
        #[derive(Debug, Default, Clone, Deserialize, clap::Args)]
        #[serde(deny_unknown_fields)]
        pub struct Settings {
            $( $(#[$meta])* pub $name: Option<$ty>, )*
        }

        impl Settings {
            /// Every setting's name, as used in the config file.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];

            /// This layer with every setting that `top` sets replaced by its value.
            pub fn overlay(mut self, top: Settings) -> Settings {
                $( if top.$name.is_some() { self.$name = top.$name; } )*
                self
            }
        }
    };
}

settings! {
    /// Addresses to listen on: `[NAME://]host:port`, comma-separated
    /// [default: PLAINTEXT://0.0.0.0:9092]. Port 0 picks a free port.
    #[arg(long, alias = "listen", value_name = "LISTENERS")]
    listeners: String,
    /// Addresses clients are told to connect to, per listener name
    /// [default: the listener's host, or localhost for 0.0.0.0, and its port].
    #[arg(long, value_name = "LISTENERS")]
    advertised_listeners: String,
    /// Listener name → security protocol, `NAME:PROTOCOL,...`; klamm serves
    /// PLAINTEXT only.
    #[arg(long, value_name = "MAP")]
    listener_security_protocol_map: String,
    /// Listener names that belong to a KRaft controller and are skipped
    /// [default: CONTROLLER].
    #[arg(long, value_name = "NAMES")]
    controller_listener_names: String,
    /// Directory for logs and metadata [default: ./klamm-data].
    #[arg(long, value_name = "DIR")]
    data_dir: PathBuf,
    /// Keep everything in memory; nothing is written to disk [default: false].
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    in_memory: bool,
    /// This broker's node id [default: 1].
    #[arg(long, value_name = "ID")]
    node_id: i32,
    /// Brokers to simulate from this one process: broker i (from 0) listens
    /// on each listener's port + i and has node id `node_id` + i; the data
    /// is stored once [default: 1].
    #[arg(long, value_name = "N")]
    brokers: u16,
    /// Create topics when a client asks for metadata of an unknown one and
    /// allows it (`true`, as Kafka); `always`: any Metadata or Produce
    /// request naming a topic creates it, whatever the request allows
    /// [default: true].
    #[arg(long, value_name = "true|false|always", num_args = 0..=1, default_missing_value = "true")]
    auto_create_topics_enable: AutoCreateTopics,
    /// Topics to create at start unless they exist,
    /// `name[:partitions[:replicas[:cleanup.policy]]],...` (compose's
    /// `KAFKA_CREATE_TOPICS`) [default: none].
    #[arg(long, value_name = "TOPICS")]
    create_topics: String,
    /// Partitions of auto-created topics and of CreateTopics with -1 [default: 1].
    #[arg(long, value_name = "N")]
    num_partitions: i32,
    /// Replication factor of topics created with -1 [default: 1].
    #[arg(long, value_name = "N")]
    default_replication_factor: i16,
    /// Default retention.ms of topics; -1 keeps data forever [default: 604800000, 7 days].
    #[arg(long, value_name = "MS")]
    log_retention_ms: i64,
    /// Default retention.bytes of topics, per partition; -1 for no limit [default: -1].
    #[arg(long, value_name = "BYTES")]
    log_retention_bytes: i64,
    /// Default segment.bytes of topics [default: 1073741824].
    #[arg(long, value_name = "BYTES")]
    log_segment_bytes: i64,
    /// Default segment.ms of topics [default: 604800000].
    #[arg(long, value_name = "MS")]
    log_roll_ms: i64,
    /// Default max.message.bytes of topics [default: 1048588].
    #[arg(long, value_name = "BYTES")]
    message_max_bytes: i64,
    /// Default message.timestamp.type: CreateTime or LogAppendTime [default: CreateTime].
    #[arg(long, value_name = "TYPE")]
    log_message_timestamp_type: String,
    /// Default cleanup.policy of topics [default: delete].
    #[arg(long, value_name = "POLICY")]
    log_cleanup_policy: String,
    /// Default min.insync.replicas of topics [default: 1].
    #[arg(long, value_name = "N")]
    min_insync_replicas: i64,
    /// Default index.interval.bytes of topics [default: 4096].
    #[arg(long, value_name = "BYTES")]
    log_index_interval_bytes: i64,
    /// Default segment.index.bytes of topics [default: 10485760].
    #[arg(long, value_name = "BYTES")]
    log_index_size_max_bytes: i64,
    /// How often retention runs [default: 300000].
    #[arg(long, value_name = "MS")]
    log_retention_check_interval_ms: u64,
    /// When data is fsynced: never (the page cache carries it, Kafka's
    /// default) or always (before each ack, grouped) [default: never].
    #[arg(long, value_name = "POLICY")]
    flush: FlushPolicy,
    /// Largest request frame; larger ones close the connection [default: 104857600].
    #[arg(long, value_name = "BYTES")]
    socket_request_max_bytes: u32,
    /// Most client connections open at once, over every listener and
    /// simulated broker; further ones are closed at once [default: 1000].
    #[arg(long, value_name = "N")]
    max_connections: u32,
    /// A connection that completes no request for this long is closed; a
    /// half-sent request does not count [default: 600000].
    #[arg(long, value_name = "MS")]
    connections_max_idle_ms: u64,
    /// How long an empty group waits for more members before its first
    /// rebalance; Kafka's default is 3000, 0 suits local testing [default: 0].
    #[arg(long, value_name = "MS")]
    group_initial_rebalance_delay_ms: u64,
    /// Smallest session timeout a group member may ask for [default: 6000].
    #[arg(long, value_name = "MS")]
    group_min_session_timeout_ms: u64,
    /// Largest session timeout a group member may ask for [default: 1800000].
    #[arg(long, value_name = "MS")]
    group_max_session_timeout_ms: u64,
    /// Committed offsets of an empty group are deleted after this long
    /// [default: 10080, 7 days].
    #[arg(long, value_name = "MINUTES")]
    offsets_retention_minutes: u64,
    /// How often expired offsets are looked for [default: 600000].
    #[arg(long, value_name = "MS")]
    offsets_retention_check_interval_ms: u64,
    /// Largest metadata string of a committed offset [default: 4096].
    #[arg(long, value_name = "BYTES")]
    offset_metadata_max_bytes: u32,
    /// Log filter (tracing syntax, e.g. `info` or `klamm=debug`); RUST_LOG
    /// wins when set [default: info].
    #[arg(long, value_name = "FILTER")]
    log_level: String,
    /// `report` records each deviation from the protocol spec that klamm
    /// tolerates (as Kafka does) once per client software, API, version and
    /// kind, in the log and at `/conformance`; `off` records nothing
    /// [default: off].
    #[arg(long, value_name = "MODE")]
    protocol_conformance: String,
    /// Address of the HTTP endpoints /health and /metrics, `host:port`
    /// (port 0 picks a free one); empty turns them off [default: off].
    #[arg(long, value_name = "HOST:PORT")]
    http_listen: String,
}

/// Settings only klamm has; `KAFKA_*` variables never set them.
pub const KLAMM_ONLY: &[&str] = &[
    "data_dir",
    "in_memory",
    "flush",
    "log_level",
    "brokers",
    "http_listen",
    "protocol_conformance",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_create_always_is_a_word_and_true_false_stay_booleans() {
        for (text, want) in [
            (
                "auto_create_topics_enable = \"always\"",
                AutoCreateTopics::Always,
            ),
            (
                "auto_create_topics_enable = true",
                AutoCreateTopics::OnRequest,
            ),
            ("auto_create_topics_enable = false", AutoCreateTopics::Off),
        ] {
            let settings: Settings = toml::from_str(text).expect(text);
            assert_eq!(settings.auto_create_topics_enable, Some(want), "{text}");
        }
        assert!(toml::from_str::<Settings>("auto_create_topics_enable = \"sometimes\"").is_err());
        assert_eq!("ALWAYS".parse(), Ok(AutoCreateTopics::Always));
    }

    #[test]
    fn a_higher_layer_wins_only_where_it_is_set() {
        let low = Settings {
            num_partitions: Some(3),
            node_id: Some(7),
            ..Settings::default()
        };
        let high = Settings {
            num_partitions: Some(5),
            ..Settings::default()
        };
        let merged = low.overlay(high);
        assert_eq!(merged.num_partitions, Some(5));
        assert_eq!(merged.node_id, Some(7));
    }

    #[test]
    fn the_file_format_refuses_unknown_keys_by_name() {
        let err =
            toml::from_str::<Settings>("num_partitions = 3\nnum_partitons = 4\n").unwrap_err();
        assert!(err.to_string().contains("num_partitons"), "{err}");
    }
}
