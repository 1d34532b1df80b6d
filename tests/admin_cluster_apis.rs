//! The admin APIs a controller answers, end to end over raw requests
//! (rdkafka's admin client has none of these calls): topic partitions page
//! by page, reassignments among simulated brokers that clients then follow,
//! leader elections, producer state, client quotas and features kept across
//! restarts, the one-voter metadata quorum, log dirs, config resources and
//! the voter changes a static quorum refuses. Every broker binds 127.0.0.1
//! on a free port; waits are bounded.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::raw::RawClient;
use common::{consume, consumer, keyed, produce_all, producer, TestBroker};
use kafka_protocol::messages::alter_client_quotas_request as alter_quotas;
use kafka_protocol::messages::alter_partition_reassignments_request::{
    ReassignablePartition, ReassignableTopic,
};
use kafka_protocol::messages::alter_replica_log_dirs_request::{
    AlterReplicaLogDir, AlterReplicaLogDirTopic,
};
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::describe_client_quotas_request::ComponentData;
use kafka_protocol::messages::describe_producers_request::TopicRequest as ProducersTopic;
use kafka_protocol::messages::describe_quorum_request::{PartitionData, TopicData};
use kafka_protocol::messages::describe_topic_partitions_request::{Cursor, TopicRequest};
use kafka_protocol::messages::elect_leaders_request::TopicPartitions;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::update_features_request::FeatureUpdateKey;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use klamm::Broker;

const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const INVALID_REQUEST: i16 = 42;
const LOG_DIR_NOT_FOUND: i16 = 57;
const ELECTION_NOT_NEEDED: i16 = 84;
const NO_REASSIGNMENT_IN_PROGRESS: i16 = 85;
const INVALID_UPDATE_VERSION: i16 = 95;
const BROKER_ID_NOT_REGISTERED: i16 = 102;
const INCONSISTENT_CLUSTER_ID: i16 = 104;
const UNSUPPORTED_VERSION: i16 = 35;
const INVALID_REPLICA_ASSIGNMENT: i16 = 39;

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

fn create(client: &mut RawClient, topic: &str, partitions: i32, replication_factor: i16) {
    let request = CreateTopicsRequest::default()
        .with_timeout_ms(5000)
        .with_topics(vec![CreatableTopic::default()
            .with_name(name(topic))
            .with_num_partitions(partitions)
            .with_replication_factor(replication_factor)]);
    let created = client.send(7, &request);
    assert_eq!(created.topics[0].error_code, 0, "{topic}");
}

fn on_disk(dir: &std::path::Path, brokers: u16) -> TestBroker {
    TestBroker::start(Broker::builder().data_dir(dir).brokers(brokers))
}

fn page(
    client: &mut RawClient,
    topics: &[&str],
    limit: i32,
    cursor: Option<(String, i32)>,
) -> DescribeTopicPartitionsResponse {
    let request = DescribeTopicPartitionsRequest::default()
        .with_topics(
            topics
                .iter()
                .map(|t| TopicRequest::default().with_name(name(t)))
                .collect(),
        )
        .with_response_partition_limit(limit)
        .with_cursor(cursor.map(|(t, p)| {
            Cursor::default()
                .with_topic_name(name(&t))
                .with_partition_index(p)
        }));
    client.send(0, &request)
}

#[test]
fn describe_topic_partitions_pages_through_every_topic_with_its_cursor() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    create(&mut client, "pages-a", 3, 1);
    create(&mut client, "pages-b", 1, 1);
    create(&mut client, "pages-c", 4, 1);

    // Two partitions a page: 8 partitions take 4 pages, each but the last
    // naming where the next starts.
    let mut seen = Vec::new();
    let mut cursor = None;
    // The internal offsets topic is listed too, as Kafka lists it: its 50
    // partitions take 25 pages before the user topics.
    for _ in 0..40 {
        let answer = page(&mut client, &[], 2, cursor.take());
        for topic in &answer.topics {
            assert_eq!(topic.error_code, 0);
            if topic.is_internal {
                continue;
            }
            for p in &topic.partitions {
                assert_eq!((p.leader_id.0, p.replica_nodes.len()), (1, 1));
                seen.push((
                    topic.name.as_ref().unwrap().0.to_string(),
                    p.partition_index,
                ));
            }
        }
        match answer.next_cursor {
            Some(next) => cursor = Some((next.topic_name.0.to_string(), next.partition_index)),
            None => break,
        }
    }
    let expected: Vec<(String, i32)> = [("pages-a", 3), ("pages-b", 1), ("pages-c", 4)]
        .iter()
        .flat_map(|(t, n)| (0..*n).map(move |p| (t.to_string(), p)))
        .collect();
    assert_eq!(seen, expected, "every partition once, in name order");

    // Named topics: unknown ones are errors, the cursor must be among them.
    let named = page(&mut client, &["pages-b", "nope"], 2000, None);
    let errors: Vec<(String, i16)> = named
        .topics
        .iter()
        .map(|t| (t.name.as_ref().unwrap().0.to_string(), t.error_code))
        .collect();
    assert_eq!(
        errors,
        [
            ("nope".to_string(), UNKNOWN_TOPIC_OR_PARTITION),
            ("pages-b".to_string(), 0)
        ]
    );
    let refused = page(&mut client, &["pages-b"], 10, Some(("pages-a".into(), 0)));
    assert_eq!(refused.topics[0].error_code, INVALID_REQUEST);
}

fn reassign(
    client: &mut RawClient,
    topic: &str,
    partition: i32,
    replicas: Option<&[i32]>,
) -> (i16, Option<String>) {
    let request = AlterPartitionReassignmentsRequest::default()
        .with_timeout_ms(5000)
        .with_allow_replication_factor_change(true)
        .with_topics(vec![ReassignableTopic::default()
            .with_name(name(topic))
            .with_partitions(vec![ReassignablePartition::default()
                .with_partition_index(partition)
                .with_replicas(
                    replicas.map(|r| r.iter().map(|b| BrokerId(*b)).collect()),
                )])]);
    let answer = client.send(1, &request);
    let p = &answer.responses[0].partitions[0];
    (
        p.error_code,
        p.error_message.as_ref().map(|m| m.to_string()),
    )
}

/// (leader, replicas) of each partition, as Metadata says.
fn placement(client: &mut RawClient, topic: &str) -> Vec<(i32, Vec<i32>)> {
    let request = MetadataRequest::default()
        .with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(name(topic)))
        ]))
        .with_allow_auto_topic_creation(false);
    client.send(12, &request).topics[0]
        .partitions
        .iter()
        .map(|p| (p.leader_id.0, p.replica_nodes.iter().map(|b| b.0).collect()))
        .collect()
}

#[test]
fn a_reassignment_moves_partitions_among_simulated_brokers_and_clients_follow() {
    let dir = tempfile::tempdir().unwrap();
    let broker = on_disk(dir.path(), 3);
    let mut client = RawClient::connect(&broker.bootstrap);
    create(&mut client, "moved", 2, 1);
    assert_eq!(
        placement(&mut client, "moved"),
        [(1, vec![1]), (2, vec![2])]
    );

    assert_eq!(reassign(&mut client, "moved", 0, Some(&[3, 2])).0, 0);
    assert_eq!(
        reassign(&mut client, "moved", 1, Some(&[4])).0,
        INVALID_REPLICA_ASSIGNMENT
    );
    assert_eq!(
        reassign(&mut client, "moved", 0, None).0,
        NO_REASSIGNMENT_IN_PROGRESS,
        "a reassignment completes at once: nothing is left to cancel"
    );
    assert_eq!(
        placement(&mut client, "moved"),
        [(3, vec![3, 2]), (2, vec![2])]
    );
    let listed = client.send(
        0,
        &ListPartitionReassignmentsRequest::default()
            .with_timeout_ms(5000)
            .with_topics(None),
    );
    assert!(listed.topics.is_empty());

    // librdkafka follows the new leader: what it writes to partition 0 goes
    // to broker 3 and is read back.
    let records = keyed(20);
    let writer = producer(&broker.bootstrap, &[]);
    for (i, (key, value)) in records.iter().enumerate() {
        let record = rdkafka::producer::BaseRecord::to("moved")
            .key(key.as_str())
            .payload(value.as_str())
            .partition((i % 2) as i32);
        writer.send(record).map_err(|(e, _)| e).expect("queued");
    }
    rdkafka::producer::Producer::flush(&writer, Duration::from_secs(20)).expect("acknowledged");
    let reader = consumer(&broker.bootstrap, "moved", 2, &[]);
    assert_eq!(consume(&reader, 20, Duration::from_secs(20)).len(), 20);
    drop((writer, reader));

    // The placement is part of the cluster record.
    broker.stop();
    let broker = on_disk(dir.path(), 3);
    let mut client = RawClient::connect(&broker.bootstrap);
    assert_eq!(
        placement(&mut client, "moved"),
        [(3, vec![3, 2]), (2, vec![2])]
    );
}

#[test]
fn leader_elections_are_never_needed_as_the_preferred_replica_always_leads() {
    let broker = TestBroker::start(Broker::builder().brokers(3));
    let mut client = RawClient::connect(&broker.bootstrap);
    create(&mut client, "elected", 3, 2);
    assert_eq!(reassign(&mut client, "elected", 1, Some(&[1, 3])).0, 0);
    for election_type in [0, 1] {
        let request = ElectLeadersRequest::default()
            .with_election_type(election_type)
            .with_timeout_ms(5000)
            .with_topic_partitions(Some(vec![
                TopicPartitions::default()
                    .with_topic(name("elected"))
                    .with_partitions(vec![0, 1, 2, 9]),
                TopicPartitions::default()
                    .with_topic(name("nope"))
                    .with_partitions(vec![0]),
            ]));
        let answer = client.send(2, &request);
        assert_eq!(answer.error_code, 0);
        let codes: Vec<Vec<i16>> = answer
            .replica_election_results
            .iter()
            .map(|t| t.partition_result.iter().map(|p| p.error_code).collect())
            .collect();
        assert_eq!(
            codes,
            [
                vec![
                    ELECTION_NOT_NEEDED,
                    ELECTION_NOT_NEEDED,
                    ELECTION_NOT_NEEDED,
                    UNKNOWN_TOPIC_OR_PARTITION
                ],
                vec![UNKNOWN_TOPIC_OR_PARTITION]
            ]
        );
    }
    // Every partition asked for: only those elected are listed.
    let all = client.send(
        2,
        &ElectLeadersRequest::default()
            .with_timeout_ms(5000)
            .with_topic_partitions(None),
    );
    assert!(all
        .replica_election_results
        .iter()
        .all(|t| t.partition_result.is_empty()));
}

/// (producer id, epoch, last sequence).
type ProducerRow = (i64, i32, i32);

/// Each of partitions 0 and 1: its error and its producers.
fn producers(client: &mut RawClient, topic: &str) -> Vec<(i16, Vec<ProducerRow>)> {
    let request = DescribeProducersRequest::default().with_topics(vec![ProducersTopic::default()
        .with_name(name(topic))
        .with_partition_indexes(vec![0, 1])]);
    client.send(0, &request).topics[0]
        .partitions
        .iter()
        .map(|p| {
            (
                p.error_code,
                p.active_producers
                    .iter()
                    .map(|s| (s.producer_id.0, s.producer_epoch, s.last_sequence))
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn describe_producers_shows_the_idempotent_producer_of_a_partition() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    create(&mut client, "idempotent", 1, 1);
    let writer = producer(&broker.bootstrap, &[("enable.idempotence", "true")]);
    produce_all(&writer, "idempotent", &keyed(25));
    let described = producers(&mut client, "idempotent");
    assert_eq!(described.len(), 2);
    assert_eq!(described[1].0, UNKNOWN_TOPIC_OR_PARTITION);
    let (error, active) = &described[0];
    assert_eq!(*error, 0);
    assert_eq!(active.len(), 1, "{active:?}");
    let (id, epoch, last_sequence) = active[0];
    assert!(id >= 0);
    assert_eq!(
        (epoch, last_sequence),
        (0, 24),
        "25 records: sequences 0-24"
    );
}

fn set_quota(
    client: &mut RawClient,
    entity: &[(&str, Option<&str>)],
    key: &str,
    value: f64,
) -> i16 {
    let request =
        AlterClientQuotasRequest::default().with_entries(vec![alter_quotas::EntryData::default()
            .with_entity(
                entity
                    .iter()
                    .map(|(t, n)| {
                        alter_quotas::EntityData::default()
                            .with_entity_type(text(t))
                            .with_entity_name(n.map(text))
                    })
                    .collect(),
            )
            .with_ops(vec![alter_quotas::OpData::default()
                .with_key(text(key))
                .with_value(value)])]);
    client.send(1, &request).entries[0].error_code
}

/// (entity rendered "type=name,...", key, value) of every match.
fn quotas(
    client: &mut RawClient,
    filter: &[(&str, i8, Option<&str>)],
    strict: bool,
) -> BTreeSet<String> {
    let request = DescribeClientQuotasRequest::default()
        .with_strict(strict)
        .with_components(
            filter
                .iter()
                .map(|(t, m, n)| {
                    ComponentData::default()
                        .with_entity_type(text(t))
                        .with_match_type(*m)
                        .with_match(n.map(text))
                })
                .collect(),
        );
    let answer = client.send(1, &request);
    assert_eq!(answer.error_code, 0, "{:?}", answer.error_message);
    answer
        .entries
        .unwrap_or_default()
        .iter()
        .flat_map(|e| {
            let entity: Vec<String> = e
                .entity
                .iter()
                .map(|d| {
                    format!(
                        "{}={}",
                        d.entity_type,
                        d.entity_name.as_deref().unwrap_or("<default>")
                    )
                })
                .collect();
            e.values
                .iter()
                .map(move |v| format!("{} {}={}", entity.join(","), v.key, v.value))
        })
        .collect()
}

#[test]
fn client_quotas_are_kept_across_a_restart_and_described_with_kafkas_filters() {
    let dir = tempfile::tempdir().unwrap();
    let broker = on_disk(dir.path(), 1);
    let mut client = RawClient::connect(&broker.bootstrap);
    assert_eq!(
        set_quota(
            &mut client,
            &[("user", Some("alice"))],
            "producer_byte_rate",
            1024.0
        ),
        0
    );
    assert_eq!(
        set_quota(
            &mut client,
            &[("user", Some("alice")), ("client-id", None)],
            "request_percentage",
            12.5
        ),
        0
    );
    assert_eq!(
        set_quota(
            &mut client,
            &[("ip", Some("127.0.0.1"))],
            "connection_creation_rate",
            5.0
        ),
        0
    );
    assert_eq!(
        set_quota(
            &mut client,
            &[("user", Some("bob"))],
            "producer_byte_rate",
            1.5
        ),
        INVALID_REQUEST,
        "byte rates are whole numbers"
    );
    broker.stop();

    let broker = on_disk(dir.path(), 1);
    let mut client = RawClient::connect(&broker.bootstrap);
    let alice = quotas(&mut client, &[("user", 0, Some("alice"))], false);
    assert_eq!(
        alice,
        BTreeSet::from([
            "user=alice producer_byte_rate=1024".to_string(),
            "client-id=<default>,user=alice request_percentage=12.5".to_string(),
        ])
    );
    assert_eq!(
        quotas(&mut client, &[("user", 0, Some("alice"))], true).len(),
        1
    );
    assert_eq!(
        quotas(&mut client, &[("ip", 2, None)], false),
        BTreeSet::from(["ip=127.0.0.1 connection_creation_rate=5".to_string()])
    );
    assert_eq!(quotas(&mut client, &[], false).len(), 3);
}

fn quorum(client: &mut RawClient) -> describe_quorum_response::PartitionData {
    let request = DescribeQuorumRequest::default().with_topics(vec![TopicData::default()
        .with_topic_name(name("__cluster_metadata"))
        .with_partitions(vec![PartitionData::default()])]);
    let answer = client.send(2, &request);
    assert_eq!(answer.error_code, 0);
    answer.topics[0].partitions[0].clone()
}

#[test]
fn the_metadata_quorum_has_one_voter_whose_epoch_grows_with_every_start() {
    let dir = tempfile::tempdir().unwrap();
    let broker = on_disk(dir.path(), 3);
    let mut client = RawClient::connect(&broker.bootstrap);
    let first = quorum(&mut client);
    assert_eq!((first.leader_id.0, first.leader_epoch), (1, 1));
    let voters: Vec<i32> = first
        .current_voters
        .iter()
        .map(|v| v.replica_id.0)
        .collect();
    let observers: Vec<i32> = first.observers.iter().map(|v| v.replica_id.0).collect();
    assert_eq!((voters, observers), (vec![1], vec![2, 3]));
    create(&mut client, "counted", 1, 1);
    let after = quorum(&mut client);
    assert_eq!(
        after.high_watermark,
        first.high_watermark + 1,
        "one metadata change"
    );
    broker.stop();

    let broker = on_disk(dir.path(), 3);
    let mut client = RawClient::connect(&broker.bootstrap);
    let restarted = quorum(&mut client);
    assert_eq!(restarted.leader_epoch, 2);
    assert_eq!(restarted.high_watermark, after.high_watermark);
}

fn update_feature(client: &mut RawClient, feature: &str, level: i16, upgrade_type: i8) -> i16 {
    let request = UpdateFeaturesRequest::default()
        .with_timeout_ms(5000)
        .with_feature_updates(vec![FeatureUpdateKey::default()
            .with_feature(text(feature))
            .with_max_version_level(level)
            .with_upgrade_type(upgrade_type)]);
    client.send(1, &request).error_code
}

#[test]
fn finalized_feature_levels_change_by_kafkas_rules_and_are_kept() {
    const ELR: &str = "eligible.leader.replicas.version";
    let dir = tempfile::tempdir().unwrap();
    let broker = on_disk(dir.path(), 1);
    let mut client = RawClient::connect(&broker.bootstrap);
    assert_eq!(
        update_feature(&mut client, ELR, 0, 1),
        INVALID_UPDATE_VERSION,
        "a downgrade must say so"
    );
    assert_eq!(update_feature(&mut client, ELR, 0, 2), 0);
    assert_eq!(
        update_feature(&mut client, "metadata.version", 20, 3),
        INVALID_UPDATE_VERSION
    );
    assert_eq!(
        update_feature(&mut client, "group.version", 1, 1),
        INVALID_UPDATE_VERSION
    );
    broker.stop();

    // Level 0 stayed: asking for it again is no downgrade.
    let broker = on_disk(dir.path(), 1);
    let mut client = RawClient::connect(&broker.bootstrap);
    assert_eq!(update_feature(&mut client, ELR, 0, 1), 0);
    assert_eq!(update_feature(&mut client, ELR, 1, 1), 0);
}

#[test]
fn replicas_move_only_to_the_one_log_dir_there_is() {
    let dir = tempfile::tempdir().unwrap();
    let broker = on_disk(dir.path(), 1);
    let mut client = RawClient::connect(&broker.bootstrap);
    create(&mut client, "dirs", 1, 1);
    let described = client.send(4, &DescribeLogDirsRequest::default().with_topics(None));
    let own = described.results[0].log_dir.to_string();
    let alter = |path: &str, topic: &str| {
        AlterReplicaLogDirsRequest::default().with_dirs(vec![AlterReplicaLogDir::default()
            .with_path(text(path))
            .with_topics(vec![AlterReplicaLogDirTopic::default()
                .with_name(name(topic))
                .with_partitions(vec![0])])])
    };
    let code = |answer: AlterReplicaLogDirsResponse| answer.results[0].partitions[0].error_code;
    assert_eq!(code(client.send(2, &alter(&own, "dirs"))), 0);
    assert_eq!(
        code(client.send(2, &alter("/elsewhere", "dirs"))),
        LOG_DIR_NOT_FOUND
    );
    assert_eq!(
        code(client.send(2, &alter(&own, "nope"))),
        UNKNOWN_TOPIC_OR_PARTITION
    );
}

#[test]
fn config_resources_are_this_brokers_logger_every_broker_and_every_topic() {
    let broker = TestBroker::start(Broker::builder().brokers(2));
    let mut client = RawClient::connect(&broker.broker_addrs()[1]);
    create(&mut client, "listed", 1, 1);
    let answer = client.send(1, &ListConfigResourcesRequest::default());
    let listed: BTreeSet<(i8, String)> = answer
        .config_resources
        .iter()
        .map(|r| (r.resource_type, r.resource_name.to_string()))
        .collect();
    assert_eq!(
        listed,
        BTreeSet::from([
            (2, "__consumer_offsets".to_string()),
            (2, "listed".to_string()),
            (4, "1".to_string()),
            (4, "2".to_string()),
            (8, "2".to_string()),
        ])
    );
    let refused = client.send(
        1,
        &ListConfigResourcesRequest::default().with_resource_types(vec![2, 99]),
    );
    assert_eq!(refused.error_code, UNSUPPORTED_VERSION);
}

#[test]
fn the_static_quorum_refuses_voter_changes_and_brokers_stay_registered() {
    let broker = TestBroker::start(Broker::builder().brokers(2));
    let mut client = RawClient::connect(&broker.bootstrap);
    let cluster_id = client
        .send(0, &DescribeClusterRequest::default())
        .cluster_id
        .to_string();
    let add = |id: Option<&str>| {
        AddRaftVoterRequest::default()
            .with_cluster_id(id.map(text))
            .with_voter_id(5)
    };
    assert_eq!(
        client.send(0, &add(Some("other"))).error_code,
        INCONSISTENT_CLUSTER_ID
    );
    assert_eq!(
        client.send(0, &add(Some(&cluster_id))).error_code,
        UNSUPPORTED_VERSION
    );
    let remove = RemoveRaftVoterRequest::default()
        .with_cluster_id(None)
        .with_voter_id(1);
    assert_eq!(client.send(0, &remove).error_code, UNSUPPORTED_VERSION);

    let unregister = |id| UnregisterBrokerRequest::default().with_broker_id(BrokerId(id));
    assert_eq!(
        client.send(0, &unregister(9)).error_code,
        BROKER_ID_NOT_REGISTERED
    );
    assert_eq!(client.send(0, &unregister(2)).error_code, 0);
    let described = client.send(0, &DescribeClusterRequest::default());
    assert_eq!(
        described.brokers.len(),
        2,
        "a running broker registers again at once"
    );
}
