//! The protocol conformance report (`protocol_conformance = "report"`).
//!
//! klamm parses as leniently as Kafka: trailing bytes after a request body,
//! tagged fields it does not know and varints with redundant bytes are all
//! accepted, because Kafka accepts them and clients depend on it. A client
//! author running a test suite against klamm still wants to hear about them,
//! so with the report on, each deviation from the protocol spec is recorded
//! once per client software (name and version from ApiVersions v3+), API,
//! API version and kind: logged at info the first time, counted after, and
//! shown as JSON at `/conformance`. Off (the default), recording is one
//! branch on a bool.
//!
//! The report is bounded: at most [`MAX_ENTRIES`] distinct entries are kept;
//! later new ones are only counted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tracing::info;

/// Distinct (client, API, version, kind) entries kept; enough for every
/// client a test machine runs, small enough to never matter for memory.
pub const MAX_ENTRIES: usize = 1024;

/// What the client did that the protocol spec does not allow or define.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deviation {
    /// Bytes after the end of the request body (Kafka ignores them).
    TrailingBytes { bytes: usize },
    /// A tagged field the request's schema does not define at this version.
    UnknownTaggedField { within: &'static str, tag: u32 },
    /// A varint with more bytes than its value needs.
    NonCanonicalVarint {
        within: &'static str,
        field: &'static str,
    },
    /// A record batch whose attributes set bits the spec leaves unused.
    BatchAttributes { topic: String, attributes: i16 },
}

impl Deviation {
    /// The kind, as the report groups deviations.
    pub fn kind(&self) -> &'static str {
        match self {
            Deviation::TrailingBytes { .. } => "trailing_bytes",
            Deviation::UnknownTaggedField { .. } => "unknown_tagged_field",
            Deviation::NonCanonicalVarint { .. } => "non_canonical_varint",
            Deviation::BatchAttributes { .. } => "batch_attributes",
        }
    }

    fn detail(&self) -> String {
        match self {
            Deviation::TrailingBytes { bytes } => {
                format!("{bytes} bytes after the request body")
            }
            Deviation::UnknownTaggedField { within, tag } => {
                format!("tag {tag} in {within}")
            }
            Deviation::NonCanonicalVarint { within, field } => {
                format!("varint with redundant bytes at {within}.{field}")
            }
            Deviation::BatchAttributes { topic, attributes } => {
                format!("batch to {topic} has attributes {attributes:#06x} (unused bits set)")
            }
        }
    }
}

/// The client software a connection announced in ApiVersions v3+; "unknown"
/// before that (or for clients that never send it).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientSoftware {
    pub name: Arc<str>,
    pub version: Arc<str>,
}

impl Default for ClientSoftware {
    fn default() -> Self {
        let unknown: Arc<str> = Arc::from("unknown");
        Self {
            name: Arc::clone(&unknown),
            version: unknown,
        }
    }
}

/// Where a deviation was seen.
pub struct Seen<'a> {
    pub software: &'a ClientSoftware,
    pub client_id: &'a str,
    pub api_key: i16,
    pub api_name: &'a str,
    pub api_version: i16,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    software: ClientSoftware,
    api_key: i16,
    api_version: i16,
    kind: &'static str,
}

/// One line of the report.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub client_software_name: String,
    pub client_software_version: String,
    pub api: String,
    pub api_key: i16,
    pub api_version: i16,
    pub kind: &'static str,
    /// The first occurrence, in words.
    pub detail: String,
    /// The client id of the first occurrence.
    pub client_id: String,
    /// Milliseconds since the Unix epoch of the first occurrence.
    pub first_seen_ms: u64,
    pub count: u64,
}

#[derive(Default)]
struct Entries {
    by_key: HashMap<Key, usize>,
    list: Vec<Entry>,
    /// New entries not kept because the report is full.
    dropped: u64,
}

/// The report; one per broker.
pub struct ConformanceReport {
    enabled: bool,
    entries: Mutex<Entries>,
}

/// The JSON at `/conformance`.
#[derive(Serialize)]
pub struct ReportView {
    pub enabled: bool,
    pub entries: Vec<Entry>,
    pub dropped: u64,
}

impl ConformanceReport {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            entries: Mutex::new(Entries::default()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Records a deviation; the first of its kind for this client, API and
    /// version is logged.
    pub fn record(&self, seen: &Seen<'_>, deviation: &Deviation) {
        if !self.enabled {
            return;
        }
        let key = Key {
            software: seen.software.clone(),
            api_key: seen.api_key,
            api_version: seen.api_version,
            kind: deviation.kind(),
        };
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if let Some(&index) = entries.by_key.get(&key) {
            entries.list[index].count += 1;
            return;
        }
        if entries.list.len() >= MAX_ENTRIES {
            entries.dropped += 1;
            return;
        }
        let detail = deviation.detail();
        info!(
            client_software = %format!("{}/{}", seen.software.name, seen.software.version),
            client_id = seen.client_id,
            api = seen.api_name,
            version = seen.api_version,
            kind = deviation.kind(),
            %detail,
            "protocol deviation (tolerated, as Kafka does)"
        );
        let first_seen_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let index = entries.list.len();
        entries.list.push(Entry {
            client_software_name: seen.software.name.to_string(),
            client_software_version: seen.software.version.to_string(),
            api: seen.api_name.to_string(),
            api_key: seen.api_key,
            api_version: seen.api_version,
            kind: deviation.kind(),
            detail,
            client_id: seen.client_id.to_string(),
            first_seen_ms,
            count: 1,
        });
        entries.by_key.insert(key, index);
    }

    /// What `/conformance` shows.
    pub fn view(&self) -> ReportView {
        let (entries, dropped) = match self.entries.lock() {
            Ok(e) => (e.list.clone(), e.dropped),
            Err(_) => (Vec::new(), 0),
        };
        ReportView {
            enabled: self.enabled,
            entries,
            dropped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen<'a>(software: &'a ClientSoftware, version: i16) -> Seen<'a> {
        Seen {
            software,
            client_id: "rdkafka",
            api_key: 3,
            api_name: "Metadata",
            api_version: version,
        }
    }

    fn librdkafka() -> ClientSoftware {
        ClientSoftware {
            name: Arc::from("confluent-kafka-python"),
            version: Arc::from("2.16.1-rdkafka-2.16.1"),
        }
    }

    #[test]
    fn a_deviation_is_one_entry_per_client_api_version_and_kind() {
        let report = ConformanceReport::new(true);
        let client = librdkafka();
        let trailing = Deviation::TrailingBytes { bytes: 3 };
        report.record(&seen(&client, 12), &trailing);
        report.record(&seen(&client, 12), &trailing);
        report.record(&seen(&client, 11), &trailing);
        report.record(
            &seen(&client, 12),
            &Deviation::UnknownTaggedField {
                within: "MetadataRequest",
                tag: 9,
            },
        );
        let view = report.view();
        assert_eq!(view.entries.len(), 3);
        assert_eq!(view.entries[0].count, 2);
        assert_eq!(view.entries[0].detail, "3 bytes after the request body");
        assert_eq!(
            view.entries[0].client_software_name,
            "confluent-kafka-python"
        );
    }

    #[test]
    fn off_records_nothing() {
        let report = ConformanceReport::new(false);
        report.record(
            &seen(&ClientSoftware::default(), 12),
            &Deviation::TrailingBytes { bytes: 1 },
        );
        assert!(report.view().entries.is_empty());
    }

    #[test]
    fn a_full_report_counts_what_it_cannot_keep() {
        let report = ConformanceReport::new(true);
        for i in 0..(MAX_ENTRIES + 5) {
            let client = ClientSoftware {
                name: Arc::from(format!("c{i}")),
                version: Arc::from("1"),
            };
            report.record(&seen(&client, 1), &Deviation::TrailingBytes { bytes: 1 });
        }
        let view = report.view();
        assert_eq!(view.entries.len(), MAX_ENTRIES);
        assert_eq!(view.dropped, 5);
    }
}
