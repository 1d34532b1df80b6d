//! `__consumer_offsets` as Kafka shows it: listed by Metadata as an internal
//! topic with 50 partitions, never created as a user topic (not by
//! CreateTopics, not by Metadata's auto-creation, not by a produce), and
//! not deleted. klamm keeps committed offsets in a log of its own, so the
//! topic's partitions read empty.

mod common;

use common::batch::batch;
use common::raw::{produce_request, RawClient};
use common::{admin, client_config, futures_executor, TestBroker};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use rdkafka::admin::{AdminOptions, NewTopic, TopicReplication};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use std::time::Duration;

const OFFSETS: &str = "__consumer_offsets";

#[test]
fn librdkafka_sees_an_internal_offsets_topic_with_fifty_partitions() {
    let broker = TestBroker::in_memory();
    let consumer: BaseConsumer = client_config(&broker.bootstrap)
        .set("group.id", "watcher")
        .create()
        .expect("consumer");
    let metadata = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("metadata");
    let offsets = metadata
        .topics()
        .iter()
        .find(|t| t.name() == OFFSETS)
        .expect("listed");
    assert_eq!(offsets.partitions().len(), 50);
    assert!(offsets.error().is_none());

    let admin = admin(&broker.bootstrap);
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let created = futures_executor(admin.create_topics(
        [&NewTopic::new(OFFSETS, 1, TopicReplication::Fixed(1))],
        &options,
    ))
    .expect("answered");
    assert_eq!(
        created[0].as_ref().map_err(|(_, code)| *code),
        Err(RDKafkaErrorCode::TopicAlreadyExists)
    );
    let deleted = futures_executor(admin.delete_topics(&[OFFSETS], &options)).expect("answered");
    assert_eq!(
        deleted[0].as_ref().map_err(|(_, code)| *code),
        Err(RDKafkaErrorCode::InvalidTopic)
    );
}

#[test]
fn the_offsets_topic_is_read_only_and_empty() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let name = TopicName(StrBytes::from_static_str(OFFSETS));
    // Metadata v0-3 auto-create every topic they name; this one exists.
    let listed = client.send(
        1,
        &MetadataRequest::default().with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(name.clone()))
        ])),
    );
    let topic = &listed.topics[0];
    assert_eq!((topic.error_code, topic.is_internal), (0, true));
    assert_eq!(topic.partitions.len(), 50);

    let produced = client.send(
        9,
        &produce_request(OFFSETS, batch(&["no"], 1_700_000_000_000)),
    );
    assert_eq!(
        produced.responses[0].partition_responses[0].error_code, 17,
        "INVALID_TOPIC_EXCEPTION"
    );

    let fetched = client.send(
        12,
        &FetchRequest::default()
            .with_max_wait_ms(0)
            .with_max_bytes(1 << 20)
            .with_topics(vec![FetchTopic::default()
                .with_topic(name)
                .with_partitions(vec![
                    FetchPartition::default().with_partition_max_bytes(1 << 20)
                ])]),
    );
    let data = &fetched.responses[0].partitions[0];
    assert_eq!((data.error_code, data.high_watermark), (0, 0));
    assert!(data.records.as_ref().is_none_or(|r| r.is_empty()));
}
