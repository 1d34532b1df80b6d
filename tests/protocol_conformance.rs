//! klamm parses as leniently as Kafka, and with `protocol_conformance =
//! "report"` tells a client author what their client did that the protocol
//! spec does not allow: once per client software, API, version and kind, at
//! `/conformance`.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::raw::RawClient;
use common::tools::http_get;
use common::{client_config, TestBroker};
use kafka_protocol::messages::{ApiVersionsRequest, MetadataRequest};
use kafka_protocol::protocol::StrBytes;
use klamm::Broker;
use rdkafka::consumer::{BaseConsumer, Consumer};

fn reporting_broker() -> (TestBroker, String) {
    let broker = TestBroker::start(
        Broker::builder()
            .protocol_conformance_report(true)
            .http_listen("127.0.0.1", 0),
    );
    let http = broker.http_addr().expect("http listener");
    (broker, http)
}

fn announce(client: &mut RawClient, name: &str, version: &str) {
    let hello = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_string(name.into()))
        .with_client_software_version(StrBytes::from_string(version.into()));
    assert_eq!(client.send(3, &hello).error_code, 0);
}

/// A request frame with `extra` appended after its body.
fn with_trailing(mut frame: Vec<u8>, extra: &[u8]) -> Vec<u8> {
    frame.extend_from_slice(extra);
    let size = (frame.len() - 4) as i32;
    frame[..4].copy_from_slice(&size.to_be_bytes());
    frame
}

fn report(http: &str) -> serde_json::Value {
    let (status, body) = http_get(http, "/conformance");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("JSON")
}

#[test]
fn trailing_bytes_are_answered_and_reported_once_per_client_api_and_version() {
    let (broker, http) = reporting_broker();
    let mut client = RawClient::connect(&broker.bootstrap);
    announce(
        &mut client,
        "confluent-kafka-python",
        "2.16.1-rdkafka-2.16.1",
    );
    for _ in 0..3 {
        let frame = client.frame(12, &MetadataRequest::default().with_topics(None));
        client.send_bytes(&with_trailing(frame, &[0, 0, 0]));
        assert!(client.read_frame().is_some(), "Metadata v12 is answered");
    }
    let report = report(&http);
    assert_eq!(report["enabled"], true);
    let entries = report["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{report:#}");
    let entry = &entries[0];
    assert_eq!(entry["client_software_name"], "confluent-kafka-python");
    assert_eq!(entry["client_software_version"], "2.16.1-rdkafka-2.16.1");
    assert_eq!(entry["api"], "Metadata");
    assert_eq!(entry["api_version"], 12);
    assert_eq!(entry["kind"], "trailing_bytes");
    assert_eq!(entry["detail"], "3 bytes after the request body");
    assert_eq!(entry["count"], 3);
}

#[test]
fn unknown_tagged_fields_and_redundant_varint_bytes_are_reported() {
    let (broker, http) = reporting_broker();
    let mut client = RawClient::connect(&broker.bootstrap);
    announce(&mut client, "my-client", "0.1.0");
    let mut request = MetadataRequest::default().with_topics(None);
    request
        .unknown_tagged_fields
        .insert(77, Bytes::from_static(b"hi"));
    let answered = client.send(12, &request);
    assert!(answered.brokers.len() == 1);
    // Metadata v12's body ends with an empty tag section (one byte, 0);
    // spelling the count 0 as two varint bytes (0x80 0x00) is legal to
    // read but not canonical.
    let mut frame = client.frame(12, &MetadataRequest::default().with_topics(None));
    assert_eq!(frame.pop(), Some(0));
    frame.extend_from_slice(&[0x80, 0x00]);
    let frame = with_trailing(frame, &[]);
    client.send_bytes(&frame);
    assert!(client.read_frame().is_some());
    let kinds: Vec<String> = report(&http)["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["kind"].as_str().unwrap_or(""),
                e["detail"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(
        kinds.contains(&"unknown_tagged_field tag 77 in MetadataRequest".to_string()),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().any(|k| k.starts_with("non_canonical_varint")),
        "{kinds:?}"
    );
}

#[test]
fn nothing_is_recorded_unless_the_report_is_on() {
    let broker = TestBroker::start(Broker::builder().http_listen("127.0.0.1", 0));
    let http = broker.http_addr().expect("http listener");
    let mut client = RawClient::connect(&broker.bootstrap);
    let frame = client.frame(12, &MetadataRequest::default().with_topics(None));
    client.send_bytes(&with_trailing(frame, &[1, 2, 3]));
    assert!(client.read_frame().is_some());
    let report = report(&http);
    assert_eq!(report["enabled"], false);
    assert_eq!(report["entries"].as_array().map(Vec::len), Some(0));
}

#[test]
fn librdkafka_lists_every_topic() {
    // librdkafka 2.1+ sends its all-topics Metadata with bytes after the
    // body; `list_topics()` in every binding built on it depends on the
    // broker ignoring them, as Kafka does.
    let (broker, http) = reporting_broker();
    common::create_topic(&broker.bootstrap, "listed", 2, &[]);
    let consumer: BaseConsumer = client_config(&broker.bootstrap)
        .set("group.id", "lister")
        .create()
        .expect("consumer");
    let metadata = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("all-topics metadata");
    let listed = metadata
        .topics()
        .iter()
        .find(|t| t.name() == "listed")
        .expect("the topic is listed");
    assert_eq!(listed.partitions().len(), 2);
    // ... and the report names them, which shows this test sends what it
    // means to (the rdkafka crate's librdkafka is 2.12).
    let report = report(&http);
    let trailing = report["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["api"] == "Metadata" && e["kind"] == "trailing_bytes")
        .cloned();
    let trailing = trailing.unwrap_or_else(|| panic!("no trailing bytes reported: {report:#}"));
    assert_eq!(trailing["client_software_name"], "librdkafka");
}
