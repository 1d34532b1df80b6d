//! `auto_create_topics_enable`: `true` creates a topic for a Metadata
//! request that allows it (as Kafka); `always` creates it for any Metadata
//! or Produce request that names it, so that a kafka-go v0.4 writer (which
//! asks with the flag off) works on a fresh broker.

mod common;

use common::batch::batch;
use common::raw::{produce_request, RawClient};
use common::read::fetch_all;
use common::TestBroker;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use klamm::{AutoCreateTopics, Broker};

const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const INVALID_TOPIC_EXCEPTION: i16 = 17;

fn metadata(client: &mut RawClient, topic: &str, allow: bool) -> MetadataResponse {
    let request = MetadataRequest::default()
        .with_topics(Some(vec![MetadataRequestTopic::default().with_name(Some(
            TopicName(StrBytes::from_string(topic.to_string())),
        ))]))
        .with_allow_auto_topic_creation(allow);
    client.send(9, &request)
}

fn broker(when: AutoCreateTopics) -> TestBroker {
    TestBroker::start(Broker::builder().auto_create_topics(when))
}

#[test]
fn a_metadata_request_that_forbids_creation_creates_only_when_always() {
    let kafka_like = broker(AutoCreateTopics::OnRequest);
    let mut client = RawClient::connect(&kafka_like.bootstrap);
    let answer = metadata(&mut client, "orders", false);
    assert_eq!(answer.topics[0].error_code, UNKNOWN_TOPIC_OR_PARTITION);
    let answer = metadata(&mut client, "orders", true);
    assert_eq!(answer.topics[0].error_code, 0, "allowed: created");

    let always = broker(AutoCreateTopics::Always);
    let mut client = RawClient::connect(&always.bootstrap);
    let answer = metadata(&mut client, "orders", false);
    assert_eq!(answer.topics[0].error_code, 0);
    assert_eq!(answer.topics[0].partitions.len(), 1, "num_partitions");
    let answer = metadata(&mut client, "not a name!", false);
    assert_eq!(answer.topics[0].error_code, INVALID_TOPIC_EXCEPTION);

    let off = broker(AutoCreateTopics::Off);
    let mut client = RawClient::connect(&off.bootstrap);
    let answer = metadata(&mut client, "orders", true);
    assert_eq!(answer.topics[0].error_code, UNKNOWN_TOPIC_OR_PARTITION);
}

#[test]
fn a_produce_to_a_missing_topic_creates_it_and_stores_the_batch_when_always() {
    let kafka_like = broker(AutoCreateTopics::OnRequest);
    let mut client = RawClient::connect(&kafka_like.bootstrap);
    let response = client.send(9, &produce_request("payments", batch(&["a"], 1_000)));
    let partition = &response.responses[0].partition_responses[0];
    assert_eq!(partition.error_code, UNKNOWN_TOPIC_OR_PARTITION);
    let answer = metadata(&mut client, "payments", false);
    assert_eq!(answer.topics[0].error_code, UNKNOWN_TOPIC_OR_PARTITION);

    let always = broker(AutoCreateTopics::Always);
    let mut client = RawClient::connect(&always.bootstrap);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    let response = client.send(9, &produce_request("payments", batch(&["a", "b"], now)));
    let partition = &response.responses[0].partition_responses[0];
    assert_eq!(partition.error_code, 0, "{:?}", partition.error_message);
    assert_eq!(partition.base_offset, 0);
    let stored = fetch_all(&mut client, "payments", 0, 0).expect("fetch");
    let values: Vec<String> = stored
        .iter()
        .filter_map(|r| r.value.as_ref())
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    assert_eq!(values, vec!["a", "b"]);
}
