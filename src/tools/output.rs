//! How `klamm consume` prints a record: the value alone by default; the
//! fields `kafka-console-consumer.sh` can add (timestamp, partition,
//! offset, headers, key), tab-separated in its order; a `--format`
//! template; or one JSON object per line for scripts.

use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::records::FetchedRecord;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputKind {
    Text,
    Json,
}

/// Which fields the text output shows.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    pub timestamp: bool,
    pub partition: bool,
    pub offset: bool,
    pub headers: bool,
    pub key: bool,
}

#[derive(Clone, Debug)]
pub enum RecordFormat {
    Fields(Fields),
    /// `{topic} {partition} {offset} {timestamp} {key} {value} {headers}`.
    Template(String),
    Json,
}

fn text(bytes: Option<&Bytes>) -> String {
    bytes.map_or_else(
        || "null".to_string(),
        |b| String::from_utf8_lossy(b).into_owned(),
    )
}

fn headers_text(record: &FetchedRecord) -> String {
    if record.headers.is_empty() {
        return "NO_HEADERS".to_string();
    }
    record
        .headers
        .iter()
        .map(|(k, v)| format!("{k}:{}", text(v.as_ref())))
        .collect::<Vec<_>>()
        .join(",")
}

/// Bytes as a JSON string if they are UTF-8; otherwise under `<name>_base64`.
fn json_bytes(object: &mut Map<String, Value>, name: &str, bytes: Option<&Bytes>) {
    match bytes {
        None => {
            object.insert(name.to_string(), Value::Null);
        }
        Some(b) => match std::str::from_utf8(b) {
            Ok(s) => {
                object.insert(name.to_string(), Value::String(s.to_string()));
            }
            Err(_) => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(b);
                object.insert(format!("{name}_base64"), Value::String(encoded));
            }
        },
    }
}

impl RecordFormat {
    /// The line for a record, without its newline.
    pub fn render(&self, topic: &str, partition: i32, record: &FetchedRecord) -> String {
        match self {
            RecordFormat::Fields(fields) => {
                let mut parts = Vec::new();
                if fields.timestamp {
                    parts.push(format!("CreateTime:{}", record.timestamp));
                }
                if fields.partition {
                    parts.push(format!("Partition:{partition}"));
                }
                if fields.offset {
                    parts.push(format!("Offset:{}", record.offset));
                }
                if fields.headers {
                    parts.push(headers_text(record));
                }
                if fields.key {
                    parts.push(text(record.key.as_ref()));
                }
                parts.push(text(record.value.as_ref()));
                parts.join("\t")
            }
            RecordFormat::Template(template) => template
                .replace("{topic}", topic)
                .replace("{partition}", &partition.to_string())
                .replace("{offset}", &record.offset.to_string())
                .replace("{timestamp}", &record.timestamp.to_string())
                .replace("{headers}", &headers_text(record))
                .replace("{key}", &text(record.key.as_ref()))
                .replace("{value}", &text(record.value.as_ref()))
                .replace("\\t", "\t")
                .replace("\\n", "\n"),
            RecordFormat::Json => {
                let mut object = Map::new();
                object.insert("topic".into(), json!(topic));
                object.insert("partition".into(), json!(partition));
                object.insert("offset".into(), json!(record.offset));
                object.insert("timestamp".into(), json!(record.timestamp));
                json_bytes(&mut object, "key", record.key.as_ref());
                json_bytes(&mut object, "value", record.value.as_ref());
                let headers: Map<String, Value> = record
                    .headers
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_ref()
                                .map_or(Value::Null, |v| json!(String::from_utf8_lossy(v))),
                        )
                    })
                    .collect();
                object.insert("headers".into(), Value::Object(headers));
                Value::Object(object).to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> FetchedRecord {
        FetchedRecord {
            offset: 7,
            timestamp: 1000,
            key: Some(Bytes::from_static(b"k")),
            value: Some(Bytes::from_static(b"v")),
            headers: vec![("h".into(), Some(Bytes::from_static(b"1")))],
        }
    }

    #[test]
    fn text_fields_follow_the_console_consumers_order() {
        let all = Fields {
            timestamp: true,
            partition: true,
            offset: true,
            headers: true,
            key: true,
        };
        assert_eq!(
            RecordFormat::Fields(all).render("t", 2, &record()),
            "CreateTime:1000\tPartition:2\tOffset:7\th:1\tk\tv"
        );
        assert_eq!(
            RecordFormat::Fields(Fields::default()).render("t", 2, &record()),
            "v"
        );
    }

    #[test]
    fn json_lines_carry_every_field_and_binary_as_base64() {
        let mut binary = record();
        binary.value = Some(Bytes::from_static(&[0xff, 0x00]));
        let line = RecordFormat::Json.render("t", 2, &binary);
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["key"], "k");
        assert_eq!(value["value_base64"], "/wA=");
        assert_eq!(value["headers"]["h"], "1");
        assert_eq!(value["partition"], 2);
    }

    #[test]
    fn templates_fill_in_fields() {
        let format = RecordFormat::Template("{key}={value}@{partition}/{offset}".into());
        assert_eq!(format.render("t", 1, &record()), "k=v@1/7");
    }
}
