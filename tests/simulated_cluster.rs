//! `--brokers N`: one process plays a cluster of N brokers on N ports, so
//! clients route every request as they would against a real cluster —
//! and a request sent to the wrong broker is refused as Kafka refuses it.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::batch::batch;
use common::raw::RawClient;
use common::{
    admin, consume, consumer, futures_executor, keyed, produce_all, producer, TestBroker,
};
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use klamm::Broker;
use rdkafka::admin::{AdminOptions, NewTopic, TopicReplication};
use rdkafka::consumer::{BaseConsumer, Consumer};

const NOT_LEADER_OR_FOLLOWER: i16 = 6;
const NOT_COORDINATOR: i16 = 16;
const INVALID_REPLICATION_FACTOR: i16 = 38;

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

fn three_brokers() -> TestBroker {
    TestBroker::start(Broker::builder().brokers(3))
}

/// Creates a topic with CreateTopics over the raw client; the error code.
fn create(client: &mut RawClient, topic: &str, partitions: i32, replication_factor: i16) -> i16 {
    let request = CreateTopicsRequest::default()
        .with_timeout_ms(5000)
        .with_topics(vec![CreatableTopic::default()
            .with_name(name(topic))
            .with_num_partitions(partitions)
            .with_replication_factor(replication_factor)]);
    client.send(7, &request).topics[0].error_code
}

fn metadata(client: &mut RawClient, topic: &str) -> MetadataResponse {
    let request = MetadataRequest::default()
        .with_topics(Some(vec![
            MetadataRequestTopic::default().with_name(Some(name(topic)))
        ]))
        .with_allow_auto_topic_creation(false);
    client.send(12, &request)
}

/// The address of each node id, as Metadata gives them.
fn addresses(response: &MetadataResponse) -> BTreeMap<i32, String> {
    response
        .brokers
        .iter()
        .map(|b| (b.node_id.0, format!("{}:{}", b.host, b.port)))
        .collect()
}

fn produce_request(topic: &str, partition: i32) -> ProduceRequest {
    ProduceRequest::default()
        .with_acks(1)
        .with_timeout_ms(5000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(name(topic))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(partition)
                .with_records(Some(batch(&["routed"], 1_700_000_000_000)))])])
}

fn latest_offset(topic: &str, partition: i32) -> ListOffsetsRequest {
    ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_topics(vec![ListOffsetsTopic::default()
            .with_name(name(topic))
            .with_partitions(vec![ListOffsetsPartition::default()
                .with_partition_index(partition)
                .with_timestamp(-1)])])
}

#[test]
fn metadata_lists_every_simulated_broker_with_its_own_address() {
    let broker = three_brokers();
    let bound = broker.broker_addrs();
    assert_eq!(bound.len(), 3);
    let mut client = RawClient::connect(&bound[1]);
    let response = client.send(12, &MetadataRequest::default().with_topics(None));
    let listed = addresses(&response);
    assert_eq!(listed.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(listed.values().cloned().collect::<Vec<_>>(), bound);
    assert_eq!(response.controller_id.0, 1);

    // DescribeCluster says the same, from any of the brokers.
    let mut other = RawClient::connect(&bound[2]);
    let described = other.send(1, &DescribeClusterRequest::default());
    assert_eq!(described.error_code, 0);
    let ids: Vec<i32> = described.brokers.iter().map(|b| b.broker_id.0).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    assert_eq!(described.controller_id.0, 1);
    assert_eq!(
        &*described.cluster_id,
        &*response.cluster_id.unwrap_or_default()
    );
}

#[test]
fn leadership_is_spread_and_every_replica_is_in_sync() {
    let broker = three_brokers();
    let mut client = RawClient::connect(&broker.bootstrap);
    assert_eq!(create(&mut client, "spread", 6, 2), 0);
    let response = metadata(&mut client, "spread");
    let partitions = &response.topics[0].partitions;
    assert_eq!(partitions.len(), 6);
    let mut led = BTreeMap::new();
    for p in partitions {
        let replicas: Vec<i32> = p.replica_nodes.iter().map(|n| n.0).collect();
        let isr: Vec<i32> = p.isr_nodes.iter().map(|n| n.0).collect();
        assert_eq!(replicas.len(), 2, "partition {}", p.partition_index);
        assert_eq!(replicas.iter().collect::<BTreeSet<_>>().len(), 2);
        assert_eq!(isr, replicas);
        assert_eq!(p.leader_id.0, replicas[0]);
        *led.entry(p.leader_id.0).or_insert(0) += 1;
    }
    assert_eq!(led, BTreeMap::from([(1, 2), (2, 2), (3, 2)]));
}

#[test]
fn a_misrouted_produce_gets_not_leader_or_follower() {
    let broker = three_brokers();
    let mut client = RawClient::connect(&broker.bootstrap);
    assert_eq!(create(&mut client, "routed", 3, 1), 0);
    let response = metadata(&mut client, "routed");
    let addresses = addresses(&response);
    for p in &response.topics[0].partitions {
        let leader = p.leader_id.0;
        for (node, address) in &addresses {
            let mut to_node = RawClient::connect(address);
            let answer = to_node.send(9, &produce_request("routed", p.partition_index));
            let partition = &answer.responses[0].partition_responses[0];
            if *node == leader {
                assert_eq!(
                    partition.error_code, 0,
                    "leader {node} of {}",
                    p.partition_index
                );
            } else {
                assert_eq!(
                    partition.error_code, NOT_LEADER_OR_FOLLOWER,
                    "node {node} does not lead partition {}",
                    p.partition_index
                );
                assert_eq!(partition.base_offset, -1);
            }
            // ListOffsets follows the same rule.
            let listed = to_node.send(7, &latest_offset("routed", p.partition_index));
            let expected = if *node == leader {
                0
            } else {
                NOT_LEADER_OR_FOLLOWER
            };
            assert_eq!(listed.topics[0].partitions[0].error_code, expected);
        }
    }
    // Each partition got exactly the one batch its leader accepted.
    let mut leader_client = RawClient::connect(&broker.bootstrap);
    let latest = leader_client.send(7, &latest_offset("routed", 0));
    assert_eq!(latest.topics[0].partitions[0].offset, 1);
}

#[test]
fn group_requests_to_a_broker_that_does_not_coordinate_get_not_coordinator() {
    let broker = three_brokers();
    let addrs = broker.broker_addrs();
    let mut coordinator = RawClient::connect(&addrs[0]);
    let found = coordinator.send(
        3,
        &FindCoordinatorRequest::default().with_key(StrBytes::from_static_str("g")),
    );
    assert_eq!(found.error_code, 0);
    assert_eq!(found.node_id.0, 1);
    let heartbeat = HeartbeatRequest::default()
        .with_group_id(GroupId(StrBytes::from_static_str("g")))
        .with_member_id(StrBytes::from_static_str("nobody"))
        .with_generation_id(1);
    let mut elsewhere = RawClient::connect(&addrs[2]);
    assert_eq!(elsewhere.send(4, &heartbeat).error_code, NOT_COORDINATOR);
    let fetch = OffsetFetchRequest::default()
        .with_group_id(GroupId(StrBytes::from_static_str("g")))
        .with_topics(None);
    assert_eq!(elsewhere.send(7, &fetch).error_code, NOT_COORDINATOR);
    // The coordinator itself answers (an unknown member, not a routing error).
    assert_ne!(coordinator.send(4, &heartbeat).error_code, NOT_COORDINATOR);
}

#[test]
fn replication_factor_is_bounded_by_the_number_of_brokers() {
    let single = TestBroker::in_memory();
    let mut client = RawClient::connect(&single.bootstrap);
    assert_eq!(
        create(&mut client, "my-first-topic", 3, 2),
        INVALID_REPLICATION_FACTOR
    );

    let cluster = three_brokers();
    let mut client = RawClient::connect(&cluster.bootstrap);
    assert_eq!(create(&mut client, "my-first-topic", 3, 2), 0);
    assert_eq!(
        create(&mut client, "too-many-replicas", 3, 4),
        INVALID_REPLICATION_FACTOR
    );
}

#[test]
fn librdkafka_produces_and_consumes_across_three_brokers() {
    let broker = three_brokers();
    let bootstrap = broker.broker_addrs().join(",");
    let admin = admin(&bootstrap);
    let topic = NewTopic::new("spread-out", 6, TopicReplication::Fixed(2));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    for result in futures_executor(admin.create_topics([&topic], &options)).expect("create") {
        result.expect("topic created");
    }
    let records = keyed(600);
    let producer = producer(&bootstrap, &[("acks", "all")]);
    produce_all(&producer, "spread-out", &records);

    let reader = consumer(&bootstrap, "spread-out", 6, &[]);
    let received = consume(&reader, records.len(), Duration::from_secs(30));
    assert_eq!(received.len(), records.len());
    let partitions: BTreeSet<i32> = received.iter().map(|r| r.partition).collect();
    assert_eq!(partitions.len(), 6, "keys spread over every partition");
    let mut values: Vec<String> = received
        .iter()
        .map(|r| String::from_utf8(r.value.clone().unwrap_or_default()).unwrap_or_default())
        .collect();
    values.sort();
    let mut expected: Vec<String> = records.iter().map(|(_, v)| v.clone()).collect();
    expected.sort();
    assert_eq!(values, expected);

    // librdkafka opened a connection to every broker to do it.
    let metadata = reader
        .fetch_metadata(Some("spread-out"), Duration::from_secs(10))
        .expect("metadata");
    assert_eq!(metadata.brokers().len(), 3);
}

#[test]
fn a_consumer_group_works_through_the_coordinator() {
    let broker = three_brokers();
    let bootstrap = broker.broker_addrs()[2].clone();
    let mut client = RawClient::connect(&bootstrap);
    assert_eq!(create(&mut client, "grouped", 3, 3), 0);
    let records = keyed(90);
    produce_all(&producer(&bootstrap, &[]), "grouped", &records);

    let mut config = common::client_config(&bootstrap);
    config
        .set("group.id", "cluster-group")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false");
    let member: BaseConsumer = config.create().expect("consumer");
    member.subscribe(&["grouped"]).expect("subscribe");
    let received = consume(&member, records.len(), Duration::from_secs(30));
    assert_eq!(received.len(), records.len());
    member
        .commit_consumer_state(rdkafka::consumer::CommitMode::Sync)
        .expect("commit through the coordinator");
}

#[test]
fn admin_requests_answer_for_the_broker_they_reach() {
    use kafka_protocol::messages::delete_records_request::{
        DeleteRecordsPartition, DeleteRecordsTopic,
    };
    use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
    let broker = three_brokers();
    let addrs = broker.broker_addrs();
    let mut first = RawClient::connect(&addrs[0]);
    assert_eq!(create(&mut first, "admin-routed", 3, 1), 0);

    // Partition 1 is led by node 2: DeleteRecords goes there or nowhere.
    let delete = DeleteRecordsRequest::default()
        .with_timeout_ms(5000)
        .with_topics(vec![DeleteRecordsTopic::default()
            .with_name(name("admin-routed"))
            .with_partitions(vec![DeleteRecordsPartition::default()
                .with_partition_index(1)
                .with_offset(-1)])]);
    let refused = first.send(2, &delete);
    assert_eq!(
        refused.topics[0].partitions[0].error_code,
        NOT_LEADER_OR_FOLLOWER
    );
    let mut second = RawClient::connect(&addrs[1]);
    assert_eq!(
        second.send(2, &delete).topics[0].partitions[0].error_code,
        0
    );

    // A broker describes its own configs, under its own id.
    let describe = |id: &str| {
        DescribeConfigsRequest::default().with_resources(vec![DescribeConfigsResource::default()
            .with_resource_type(4)
            .with_resource_name(StrBytes::from_string(id.to_string()))
            .with_configuration_keys(Some(vec![StrBytes::from_static_str("broker.id")]))])
    };
    let own = &second.send(4, &describe("2")).results[0];
    assert_eq!(own.error_code, 0, "{:?}", own.error_message);
    assert_eq!(own.configs[0].value.as_deref(), Some("2"));
    assert_ne!(first.send(4, &describe("2")).results[0].error_code, 0);

    // Each broker's log dir holds the replicas placed on it.
    let dirs = second.send(4, &DescribeLogDirsRequest::default().with_topics(None));
    let held: Vec<i32> = dirs.results[0]
        .topics
        .iter()
        .filter(|t| &*t.name.0 == "admin-routed")
        .flat_map(|t| t.partitions.iter().map(|p| p.partition_index))
        .collect();
    assert_eq!(held, vec![1]);
}
