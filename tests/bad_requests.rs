//! Requests no well-behaved client sends: each gets the right Kafka error or
//! a closed connection, and the broker keeps serving everyone else.

mod common;

use common::batch::batch;
use common::raw::{raw_frame, RawClient};
use common::TestBroker;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use klamm::Broker;

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

fn produce(topic: &str, partition: i32, records: bytes::Bytes, acks: i16) -> ProduceRequest {
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(5000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(name(topic))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(partition)
                .with_records(Some(records))])])
}

fn high_watermark(client: &mut RawClient, topic: &str) -> i64 {
    use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
    let request = ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_topics(vec![ListOffsetsTopic::default()
            .with_name(name(topic))
            .with_partitions(vec![ListOffsetsPartition::default()
                .with_partition_index(0)
                .with_timestamp(-1)])]);
    client.send(7, &request).topics[0].partitions[0].offset
}

/// The broker still answers a fresh connection.
fn still_serving(broker: &TestBroker) {
    let mut client = RawClient::connect(&broker.bootstrap);
    assert_eq!(client.send(0, &ApiVersionsRequest::default()).error_code, 0);
}

/// Creates a topic the way clients do: by asking for its metadata.
fn ensure_topic(client: &mut RawClient, topic: &str) {
    let request = MetadataRequest::default()
        .with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(name(topic)))
        ]))
        .with_allow_auto_topic_creation(true);
    assert_eq!(client.send(12, &request).topics[0].error_code, 0);
}

#[test]
fn a_batch_with_a_bad_crc_is_refused_with_corrupt_message_and_not_stored() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    ensure_topic(&mut client, "crc");
    let good = client.send(9, &produce("crc", 0, batch(&["fine"], 1_000), 1));
    assert_eq!(good.responses[0].partition_responses[0].error_code, 0);

    let mut damaged = batch(&["one", "two"], 1_000).to_vec();
    let last = damaged.len() - 1;
    damaged[last] ^= 0xff;
    let response = client.send(9, &produce("crc", 0, damaged.into(), 1));
    let partition = &response.responses[0].partition_responses[0];
    assert_eq!(partition.error_code, 2, "CORRUPT_MESSAGE");
    assert!(partition
        .error_message
        .as_deref()
        .is_some_and(|m| m.contains("CRC")));
    assert_eq!(
        high_watermark(&mut client, "crc"),
        1,
        "nothing of the bad batch reached the log"
    );
}

#[test]
fn a_batch_above_max_message_bytes_is_too_large() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    ensure_topic(&mut client, "big");
    let big = "x".repeat(1_100_000);
    let response = client.send(9, &produce("big", 0, batch(&[&big], 1_000), 1));
    assert_eq!(
        response.responses[0].partition_responses[0].error_code, 10,
        "MESSAGE_TOO_LARGE"
    );
}

#[test]
fn unknown_topics_with_auto_create_off() {
    let broker = TestBroker::start(Broker::builder().auto_create_topics(false));
    let mut client = RawClient::connect(&broker.bootstrap);
    let request = MetadataRequest::default()
        .with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(name("nowhere")))
        ]))
        .with_allow_auto_topic_creation(true);
    let response = client.send(12, &request);
    assert_eq!(
        response.topics[0].error_code, 3,
        "UNKNOWN_TOPIC_OR_PARTITION"
    );
    let produced = client.send(9, &produce("nowhere", 0, batch(&["lost"], 1_000), 1));
    assert_eq!(produced.responses[0].partition_responses[0].error_code, 3);
    let all = client.send(12, &MetadataRequest::default().with_topics(None));
    assert!(all.topics.is_empty(), "nothing was created");
}

#[test]
fn a_produce_to_a_partition_that_does_not_exist_is_unknown() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    ensure_topic(&mut client, "two");
    let response = client.send(9, &produce("two", 5, batch(&["a"], 1_000), 1));
    assert_eq!(response.responses[0].partition_responses[0].error_code, 3);
}

#[test]
fn acks_zero_gets_no_response_and_errors_close_the_connection() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    ensure_topic(&mut client, "quiet");
    let first = client.send(9, &produce("quiet", 0, batch(&["a"], 1_000), 1));
    assert_eq!(first.responses[0].partition_responses[0].error_code, 0);
    let silent = client.frame(9, &produce("quiet", 0, batch(&["b"], 1_000), 0));
    client.send_bytes(&silent);
    // The next answer on the connection is for the next request.
    assert_eq!(high_watermark(&mut client, "quiet"), 2);
    let failing = client.frame(9, &produce("quiet", 7, batch(&["c"], 1_000), 0));
    client.send_bytes(&failing);
    assert!(
        client.is_closed(),
        "an acks=0 failure closes the connection"
    );
    still_serving(&broker);
}

#[test]
fn an_oversized_or_negative_frame_closes_only_that_connection() {
    let broker = TestBroker::in_memory();
    let mut bystander = RawClient::connect(&broker.bootstrap);
    for size in [200 * 1024 * 1024, -1, i32::MIN] {
        let mut client = RawClient::connect(&broker.bootstrap);
        client.send_bytes(&raw_frame(size, &[0, 18, 0, 0]));
        assert!(client.is_closed(), "frame size {size}");
    }
    assert_eq!(
        bystander.send(0, &ApiVersionsRequest::default()).error_code,
        0
    );
}

#[test]
fn an_unknown_api_key_closes_the_connection() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    client.send_bytes(&raw_frame(10, &[0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0xff, 0xff]));
    assert!(client.is_closed());
    still_serving(&broker);
}

#[test]
fn an_api_versions_request_from_the_future_gets_the_v0_fallback() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    // ApiVersions v99, correlation id 7, with a body we cannot know.
    client.send_bytes(&raw_frame(
        14,
        &[0, 18, 0, 99, 0, 0, 0, 7, 0, 0, 1, 2, 3, 4],
    ));
    let mut frame = client
        .read_frame()
        .expect("an answer, not a closed connection");
    use kafka_protocol::protocol::Decodable;
    let header = ResponseHeader::decode(&mut frame, 0).unwrap();
    assert_eq!(header.correlation_id, 7);
    let response = ApiVersionsResponse::decode(&mut frame, 0).unwrap();
    assert_eq!(response.error_code, 35, "UNSUPPORTED_VERSION");
    assert!(response
        .api_keys
        .iter()
        .any(|k| k.api_key == 18 && k.max_version == 4));
}

#[test]
fn an_unsupported_version_of_another_api_closes_the_connection() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    // Produce v2 (magic 1 era), which klamm does not serve.
    client.send_bytes(&raw_frame(10, &[0, 0, 0, 2, 0, 0, 0, 1, 0xff, 0xff]));
    assert!(client.is_closed());
    still_serving(&broker);
}

#[test]
fn a_frame_claiming_two_billion_array_elements_is_harmless() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    // Metadata v1: header, then a topics array claiming i32::MAX entries.
    let mut payload = vec![0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff];
    payload.extend_from_slice(&i32::MAX.to_be_bytes());
    payload.extend_from_slice(&[0, 1, b'x']);
    client.send_bytes(&raw_frame(payload.len() as i32, &payload));
    assert!(client.is_closed());
    still_serving(&broker);
}

#[test]
fn garbage_after_a_valid_body_closes_the_connection() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let mut frame = client.frame(1, &MetadataRequest::default().with_topics(None));
    frame.extend_from_slice(b"trailing garbage");
    let size = (frame.len() - 4) as i32;
    frame[..4].copy_from_slice(&size.to_be_bytes());
    client.send_bytes(&frame);
    assert!(client.is_closed());
    still_serving(&broker);
}
