//! CreateTopics and DeleteTopics answers shaped as Kafka 4.4 shapes them:
//! no error message on success (aiokafka's test_delete_topics reads it), a
//! topic id from a validate-only CreateTopics v7, and a topic named twice in
//! DeleteTopics refused once and left in place. Differences the differential
//! test found (tests/differential).

mod common;

use common::raw::RawClient;
use common::TestBroker;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

const INVALID_REQUEST: i16 = 42;

fn name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_string()))
}

fn create(topic: &str, validate_only: bool) -> CreateTopicsRequest {
    CreateTopicsRequest::default()
        .with_timeout_ms(5_000)
        .with_validate_only(validate_only)
        .with_topics(vec![CreatableTopic::default()
            .with_name(name(topic))
            .with_num_partitions(1)
            .with_replication_factor(1)])
}

fn exists(client: &mut RawClient, topic: &str) -> bool {
    let metadata = client.send(
        12,
        &MetadataRequest::default()
            .with_topics(Some(vec![metadata_request::MetadataRequestTopic::default(
            )
            .with_name(Some(name(topic)))]))
            .with_allow_auto_topic_creation(false),
    );
    metadata.topics[0].error_code == 0
}

#[test]
fn a_created_topic_has_no_error_message() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    for v in 2..=7 {
        let topic = format!("answers-created-v{v}");
        let response = client.send(v, &create(&topic, false));
        let result = &response.topics[0];
        assert_eq!(result.error_code, 0, "CreateTopics v{v}");
        assert_eq!(
            result.error_message, None,
            "CreateTopics v{v}: null, as Kafka"
        );
    }
}

#[test]
fn validate_only_answers_the_topic_id_without_creating_the_topic() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let first = client.send(7, &create("answers-validated", true)).topics[0].clone();
    assert_eq!(first.error_code, 0);
    assert_eq!(first.error_message, None);
    assert_ne!(first.topic_id, Uuid::nil(), "Kafka answers an id");
    assert!(!exists(&mut client, "answers-validated"));
    let second = client.send(7, &create("answers-validated", true)).topics[0].clone();
    assert_ne!(second.topic_id, first.topic_id, "nothing keeps the id");
}

#[test]
fn a_topic_named_twice_in_delete_topics_is_refused_once_and_kept() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    for v in 1..=6 {
        let topic = format!("answers-twice-v{v}");
        assert_eq!(
            client.send(7, &create(&topic, false)).topics[0].error_code,
            0
        );
        let request = if v >= 6 {
            DeleteTopicsRequest::default().with_topics(vec![
                DeleteTopicState::default()
                    .with_name(Some(name(&topic)));
                2
            ])
        } else {
            DeleteTopicsRequest::default().with_topic_names(vec![name(&topic); 2])
        };
        let response = client.send(v, &request.with_timeout_ms(5_000));
        let codes: Vec<i16> = response.responses.iter().map(|r| r.error_code).collect();
        assert_eq!(codes, vec![INVALID_REQUEST], "DeleteTopics v{v}");
        if v >= 5 {
            assert_eq!(
                response.responses[0].error_message.as_deref(),
                Some("Duplicate topic name.")
            );
        }
        assert!(
            exists(&mut client, &topic),
            "DeleteTopics v{v} deletes nothing"
        );
    }
    // By id, twice: the same, with the id echoed.
    let created = client.send(7, &create("answers-twice-by-id", false)).topics[0].clone();
    let response = client.send(
        6,
        &DeleteTopicsRequest::default().with_topics(vec![
            DeleteTopicState::default()
                .with_topic_id(created.topic_id);
            2
        ]),
    );
    assert_eq!(response.responses.len(), 1);
    assert_eq!(
        (
            response.responses[0].error_code,
            response.responses[0].topic_id
        ),
        (INVALID_REQUEST, created.topic_id)
    );
    assert!(exists(&mut client, "answers-twice-by-id"));
}
