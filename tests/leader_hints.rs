//! KIP-951 in a simulated cluster: a produce (v10+) or fetch (v16+) sent to
//! a broker that does not lead the partition is answered with the leader's
//! id, epoch and address, so the client moves without a Metadata round trip.

mod common;

use common::batch::batch;
use common::raw::RawClient;
use common::TestBroker;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use klamm::Broker;

const NOT_LEADER_OR_FOLLOWER: i16 = 6;

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

/// (leader of partition 0, address of each node, the topic's id).
fn layout(client: &mut RawClient) -> (i32, Vec<(i32, String, i32)>, uuid::Uuid) {
    let request = MetadataRequest::default().with_topics(Some(vec![
        MetadataRequestTopic::default().with_name(Some(name("hinted"))),
    ]));
    let response = client.send(12, &request);
    let nodes = response
        .brokers
        .iter()
        .map(|b| (b.node_id.0, b.host.to_string(), b.port))
        .collect();
    let topic = &response.topics[0];
    (topic.partitions[0].leader_id.0, nodes, topic.topic_id)
}

#[test]
fn a_misrouted_produce_or_fetch_names_the_leader_and_its_address() {
    let broker = TestBroker::start(Broker::builder().brokers(3));
    let mut client = RawClient::connect(&broker.bootstrap);
    let create = CreateTopicsRequest::default()
        .with_timeout_ms(5000)
        .with_topics(vec![CreatableTopic::default()
            .with_name(name("hinted"))
            .with_num_partitions(1)
            .with_replication_factor(1)]);
    assert_eq!(client.send(7, &create).topics[0].error_code, 0);
    let (leader, nodes, id) = layout(&mut client);
    let (_, leader_host, leader_port) = nodes
        .iter()
        .find(|(node, _, _)| *node == leader)
        .cloned()
        .expect("the leader is listed");
    let (_, other_host, other_port) = nodes
        .iter()
        .find(|(node, _, _)| *node != leader)
        .cloned()
        .expect("another broker");
    let mut elsewhere = RawClient::connect(&format!("{other_host}:{other_port}"));

    let produce = ProduceRequest::default()
        .with_acks(1)
        .with_timeout_ms(5000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(name("hinted"))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_records(Some(batch(&["x"], 1_700_000_000_000)))])]);
    let answer = elsewhere.send(10, &produce);
    let partition = &answer.responses[0].partition_responses[0];
    assert_eq!(partition.error_code, NOT_LEADER_OR_FOLLOWER);
    assert_eq!(partition.current_leader.leader_id.0, leader);
    assert_eq!(partition.current_leader.leader_epoch, 0);
    let endpoints: Vec<(i32, &str, i32)> = answer
        .node_endpoints
        .iter()
        .map(|n| (n.node_id.0, &*n.host, n.port))
        .collect();
    assert_eq!(endpoints, vec![(leader, &*leader_host, leader_port)]);
    // Before v10 the fields do not exist.
    let old = elsewhere.send(9, &produce);
    assert!(old.node_endpoints.is_empty());

    let fetch = |version: i16| {
        let topic = if version >= 13 {
            FetchTopic::default().with_topic_id(id)
        } else {
            FetchTopic::default().with_topic(name("hinted"))
        };
        FetchRequest::default()
            .with_max_wait_ms(0)
            .with_max_bytes(1 << 20)
            .with_topics(vec![topic.with_partitions(vec![
                FetchPartition::default().with_partition_max_bytes(1 << 20)
            ])])
    };
    let answer = elsewhere.send(16, &fetch(16));
    let partition = &answer.responses[0].partitions[0];
    assert_eq!(partition.error_code, NOT_LEADER_OR_FOLLOWER);
    assert_eq!(partition.current_leader.leader_id.0, leader);
    assert_eq!(answer.node_endpoints.len(), 1);
    assert_eq!(answer.node_endpoints[0].port, leader_port);
    // Fetch v15 carries the partition's field but Kafka fills it from v16.
    let answer = elsewhere.send(15, &fetch(15));
    assert_eq!(
        answer.responses[0].partitions[0].current_leader.leader_id.0,
        -1
    );
}
