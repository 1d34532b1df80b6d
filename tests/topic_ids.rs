//! Topics named by id: Produce and Fetch from v13, Metadata from v12, an id
//! the cluster does not know is UNKNOWN_TOPIC_ID; Metadata v10-11 refuse ids
//! with INVALID_REQUEST and a name that cannot be a topic is
//! INVALID_TOPIC_EXCEPTION, as Kafka 4 answers.

mod common;

use common::batch::batch;
use common::raw::RawClient;
use common::TestBroker;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

const UNKNOWN_TOPIC_ID: i16 = 100;
const INVALID_REQUEST: i16 = 42;
const INVALID_TOPIC_EXCEPTION: i16 = 17;

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

fn by_name(topic: &str) -> MetadataRequestTopic {
    MetadataRequestTopic::default().with_name(Some(name(topic)))
}

fn by_id(id: Uuid) -> MetadataRequestTopic {
    MetadataRequestTopic::default()
        .with_name(None)
        .with_topic_id(id)
}

fn produce(id: Uuid, value: &str) -> ProduceRequest {
    ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(5000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_topic_id(id)
            .with_partition_data(vec![PartitionProduceData::default()
                .with_records(Some(batch(&[value], 1_700_000_000_000)))])])
}

fn fetch(id: Uuid) -> FetchRequest {
    FetchRequest::default()
        .with_max_wait_ms(0)
        .with_max_bytes(1 << 20)
        .with_topics(vec![FetchTopic::default()
            .with_topic_id(id)
            .with_partitions(vec![
                FetchPartition::default().with_partition_max_bytes(1 << 20)
            ])])
}

#[test]
fn produce_and_fetch_v13_find_topics_by_id() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let created = client.send(
        12,
        &MetadataRequest::default()
            .with_topics(Some(vec![by_name("ids")]))
            .with_allow_auto_topic_creation(true),
    );
    let id = created.topics[0].topic_id;
    assert!(!id.is_nil());

    let produced = client.send(13, &produce(id, "by id"));
    assert_eq!(produced.responses[0].topic_id, id);
    let partition = &produced.responses[0].partition_responses[0];
    assert_eq!((partition.error_code, partition.base_offset), (0, 0));

    let fetched = client.send(13, &fetch(id));
    assert_eq!(fetched.responses[0].topic_id, id);
    let data = &fetched.responses[0].partitions[0];
    assert_eq!((data.error_code, data.high_watermark), (0, 1));

    let unknown = Uuid::from_u128(99);
    let produced = client.send(13, &produce(unknown, "lost"));
    assert_eq!(produced.responses[0].topic_id, unknown);
    assert_eq!(
        produced.responses[0].partition_responses[0].error_code,
        UNKNOWN_TOPIC_ID
    );
    let fetched = client.send(18, &fetch(unknown));
    assert_eq!(
        fetched.responses[0].partitions[0].error_code,
        UNKNOWN_TOPIC_ID
    );
}

#[test]
fn metadata_resolves_ids_from_v12_and_refuses_them_before() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let created = client.send(
        12,
        &MetadataRequest::default()
            .with_topics(Some(vec![by_name("ids")]))
            .with_allow_auto_topic_creation(true),
    );
    let id = created.topics[0].topic_id;
    let unknown = Uuid::from_u128(99);

    for version in [12, 13] {
        let response = client.send(
            version,
            &MetadataRequest::default().with_topics(Some(vec![by_id(id), by_id(unknown)])),
        );
        let found = &response.topics[0];
        assert_eq!((found.error_code, found.topic_id), (0, id));
        assert_eq!(found.name.as_deref().map(|n| &**n), Some("ids"));
        let missing = &response.topics[1];
        assert_eq!(missing.error_code, UNKNOWN_TOPIC_ID, "v{version}");
        assert_eq!((missing.name.as_ref(), missing.topic_id), (None, unknown));
    }

    for version in [10, 11] {
        let response = client.send(
            version,
            &MetadataRequest::default().with_topics(Some(vec![by_name("ids").with_topic_id(id)])),
        );
        assert!(response.brokers.is_empty(), "v{version}");
        assert_eq!(response.controller_id.0, -1);
        assert_eq!(response.topics[0].error_code, INVALID_REQUEST);
        assert_eq!(response.topics[0].topic_id, id, "the id is echoed");
    }

    let response = client.send(
        12,
        &MetadataRequest::default()
            .with_topics(Some(vec![by_name("bad name!")]))
            .with_allow_auto_topic_creation(true),
    );
    assert_eq!(response.topics[0].error_code, INVALID_TOPIC_EXCEPTION);
}
