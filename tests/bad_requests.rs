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
    assert!(
        all.topics.iter().all(|t| t.is_internal),
        "nothing was created"
    );
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
        .any(|k| k.api_key == 18 && k.max_version == 5));
}

#[test]
fn an_unsupported_version_of_another_api_closes_the_connection() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    // Produce v2 (magic 1 era): advertised, as Kafka 4 advertises it for
    // librdkafka's sake, but not served, as Kafka 4 does not serve it.
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
fn bytes_after_a_valid_body_are_ignored_as_kafka_ignores_them() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    for version in [1, 12] {
        let mut frame = client.frame(version, &MetadataRequest::default().with_topics(None));
        frame.extend_from_slice(b"trailing garbage");
        let size = (frame.len() - 4) as i32;
        frame[..4].copy_from_slice(&size.to_be_bytes());
        client.send_bytes(&frame);
        let response = client.read_frame().expect("Metadata is answered");
        assert!(response.len() > 8, "v{version}: {response:?}");
    }
    // The connection is still in step: the next request is answered.
    assert_eq!(client.send(0, &ApiVersionsRequest::default()).error_code, 0);
}

/// A valid batch changed by `lie`, with its CRC made to match again, so
/// only the lie itself is wrong.
fn lying_batch(lie: impl FnOnce(&mut Vec<u8>)) -> bytes::Bytes {
    const CRC_AT: usize = 17;
    const CRC_FROM: usize = 21;
    let mut bytes = batch(&["one", "two"], 1_000).to_vec();
    lie(&mut bytes);
    if bytes.len() > CRC_FROM {
        let crc = crc32c::crc32c(&bytes[CRC_FROM..]);
        bytes[CRC_AT..CRC_FROM].copy_from_slice(&crc.to_be_bytes());
    }
    bytes.into()
}

/// Produces `records` to a fresh topic; the partition's error code, after
/// checking nothing reached the log and other clients are still served.
fn refused_code(broker: &TestBroker, topic: &str, records: bytes::Bytes) -> i16 {
    let mut client = RawClient::connect(&broker.bootstrap);
    ensure_topic(&mut client, topic);
    let response = client.send(9, &produce(topic, 0, records, 1));
    let partition = &response.responses[0].partition_responses[0];
    assert!(
        partition.error_message.is_some(),
        "{topic}: the error says why"
    );
    assert_eq!(
        high_watermark(&mut client, topic),
        0,
        "{topic}: nothing stored"
    );
    still_serving(broker);
    partition.error_code
}

const CORRUPT_MESSAGE: i16 = 2;
const INVALID_RECORD: i16 = 87;

#[test]
fn batches_whose_header_lies_are_refused_and_not_stored() {
    let broker = TestBroker::in_memory();
    let longer = lying_batch(|b| {
        let claimed = (b.len() - 12 + 100) as i32;
        b[8..12].copy_from_slice(&claimed.to_be_bytes());
    });
    assert_eq!(
        refused_code(&broker, "length-long", longer),
        CORRUPT_MESSAGE
    );
    let shorter = lying_batch(|b| b[8..12].copy_from_slice(&10i32.to_be_bytes()));
    assert_eq!(
        refused_code(&broker, "length-short", shorter),
        CORRUPT_MESSAGE
    );
    let magic = lying_batch(|b| b[16] = 1);
    assert_eq!(refused_code(&broker, "magic", magic), INVALID_RECORD);
    let count = lying_batch(|b| b[57..61].copy_from_slice(&3i32.to_be_bytes()));
    assert_eq!(refused_code(&broker, "count", count), INVALID_RECORD);
    let negative = lying_batch(|b| b[57..61].copy_from_slice(&(-1i32).to_be_bytes()));
    assert_eq!(
        refused_code(&broker, "count-negative", negative),
        INVALID_RECORD
    );
    let delta = lying_batch(|b| b[23..27].copy_from_slice(&5i32.to_be_bytes()));
    assert_eq!(refused_code(&broker, "delta", delta), INVALID_RECORD);
}

#[test]
fn records_that_do_not_match_their_batch_are_refused_and_not_stored() {
    let broker = TestBroker::in_memory();
    // The last record cut short, the batch length adjusted to match.
    let cut = lying_batch(|b| {
        b.truncate(b.len() - 3);
        let length = (b.len() - 12) as i32;
        b[8..12].copy_from_slice(&length.to_be_bytes());
    });
    assert_eq!(refused_code(&broker, "cut-record", cut), INVALID_RECORD);
    // Plain records under each codec's flag: they do not decompress.
    for (codec, flag) in [("gzip", 1u8), ("snappy", 2), ("lz4", 3), ("zstd", 4)] {
        let records = lying_batch(|b| b[22] |= flag);
        let code = refused_code(&broker, &format!("fake-{codec}"), records);
        assert_eq!(code, INVALID_RECORD, "{codec}");
    }
}

#[test]
fn a_frame_cut_off_by_a_closed_connection_costs_only_that_connection() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    ensure_topic(&mut client, "cut-frame");
    let whole = client.frame(9, &produce("cut-frame", 0, batch(&["a", "b"], 1_000), 1));
    for cut in [1, 4, 7, whole.len() / 2, whole.len() - 1] {
        let mut partial = RawClient::connect(&broker.bootstrap);
        partial.send_bytes(&whole[..cut]);
        drop(partial);
        still_serving(&broker);
    }
    assert_eq!(high_watermark(&mut client, "cut-frame"), 0);
}
