//! Group requests checked the way Kafka 4.4's coordinator checks them, over
//! TCP: a group.instance.id must belong to the member naming it (Heartbeat,
//! OffsetCommit), a refused JoinGroup creates no group, DescribeGroups
//! grants what Kafka grants without an authorizer, and DeleteGroups answers
//! a group named twice once. Each was a difference the differential test
//! found (tests/differential).

mod common;

use bytes::Bytes;
use common::raw::RawClient;
use common::TestBroker;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

const UNKNOWN_MEMBER_ID: i16 = 25;
const FENCED_INSTANCE_ID: i16 = 82;
const INVALID_SESSION_TIMEOUT: i16 = 26;
const GROUP_ID_NOT_FOUND: i16 = 69;

fn s(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

fn join_request(group: &str, member_id: &str, instance: Option<&str>) -> JoinGroupRequest {
    JoinGroupRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_session_timeout_ms(10_000)
        .with_rebalance_timeout_ms(10_000)
        .with_member_id(s(member_id))
        .with_group_instance_id(instance.map(s))
        .with_protocol_type(s("consumer"))
        .with_protocols(vec![JoinGroupRequestProtocol::default()
            .with_name(s("range"))
            .with_metadata(Bytes::from_static(b"subscription"))])
}

/// A stable one-member group whose member is static (`pod-1`); returns its
/// member id and generation.
fn static_member(client: &mut RawClient, group: &str) -> (String, i32) {
    let joined = client.send(5, &join_request(group, "", Some("pod-1")));
    assert_eq!(joined.error_code, 0, "a static member joins at once");
    let member = joined.member_id.to_string();
    let sync = SyncGroupRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_generation_id(joined.generation_id)
        .with_member_id(s(&member))
        .with_group_instance_id(Some(s("pod-1")))
        .with_assignments(vec![SyncGroupRequestAssignment::default()
            .with_member_id(s(&member))
            .with_assignment(Bytes::from_static(b"all"))]);
    assert_eq!(client.send(3, &sync).error_code, 0);
    (member, joined.generation_id)
}

fn heartbeat(
    group: &str,
    generation: i32,
    member: &str,
    instance: Option<&str>,
) -> HeartbeatRequest {
    HeartbeatRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_generation_id(generation)
        .with_member_id(s(member))
        .with_group_instance_id(instance.map(s))
}

fn commit(
    group: &str,
    topic: &str,
    generation: i32,
    member: &str,
    instance: Option<&str>,
) -> OffsetCommitRequest {
    OffsetCommitRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_generation_id_or_member_epoch(generation)
        .with_member_id(s(member))
        .with_group_instance_id(instance.map(s))
        .with_topics(vec![OffsetCommitRequestTopic::default()
            .with_name(TopicName(s(topic)))
            .with_partitions(vec![OffsetCommitRequestPartition::default()
                .with_partition_index(0)
                .with_committed_offset(1)])])
}

fn create_topic(client: &mut RawClient, topic: &str) {
    client.send(
        12,
        &MetadataRequest::default()
            .with_topics(Some(vec![
                MetadataRequestTopic::default().with_name(Some(TopicName(s(topic))))
            ]))
            .with_allow_auto_topic_creation(true),
    );
}

fn listed(client: &mut RawClient) -> Vec<String> {
    client
        .send(4, &ListGroupsRequest::default())
        .groups
        .iter()
        .map(|g| g.group_id.to_string())
        .collect()
}

#[test]
fn an_instance_id_the_group_does_not_know_is_an_unknown_member() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    create_topic(&mut client, "checks-a");
    let (member, generation) = static_member(&mut client, "checks-unknown-instance");
    for v in 3..=4 {
        let response = client.send(
            v,
            &heartbeat(
                "checks-unknown-instance",
                generation,
                &member,
                Some("pod-9"),
            ),
        );
        assert_eq!(response.error_code, UNKNOWN_MEMBER_ID, "Heartbeat v{v}");
    }
    for v in 7..=9 {
        let response = client.send(
            v,
            &commit(
                "checks-unknown-instance",
                "checks-a",
                generation,
                &member,
                Some("pod-9"),
            ),
        );
        assert_eq!(
            response.topics[0].partitions[0].error_code, UNKNOWN_MEMBER_ID,
            "OffsetCommit v{v}"
        );
    }
    // The member speaking as itself is fine.
    let own = heartbeat(
        "checks-unknown-instance",
        generation,
        &member,
        Some("pod-1"),
    );
    assert_eq!(client.send(4, &own).error_code, 0);
}

#[test]
fn another_members_instance_id_is_fenced() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    create_topic(&mut client, "checks-b");
    let (_, generation) = static_member(&mut client, "checks-fenced");
    let response = client.send(
        4,
        &heartbeat(
            "checks-fenced",
            generation,
            "pod-1-old-incarnation",
            Some("pod-1"),
        ),
    );
    assert_eq!(response.error_code, FENCED_INSTANCE_ID);
    let response = client.send(
        9,
        &commit(
            "checks-fenced",
            "checks-b",
            generation,
            "pod-1-old-incarnation",
            Some("pod-1"),
        ),
    );
    assert_eq!(
        response.topics[0].partitions[0].error_code,
        FENCED_INSTANCE_ID
    );
}

#[test]
fn a_join_refused_for_its_session_timeout_creates_no_group() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let request = join_request("checks-bad-timeout", "", None).with_session_timeout_ms(10);
    assert_eq!(client.send(9, &request).error_code, INVALID_SESSION_TIMEOUT);
    assert!(
        !listed(&mut client).contains(&"checks-bad-timeout".to_string()),
        "Kafka lists no group after a refused join"
    );
    let described = client.send(
        6,
        &DescribeGroupsRequest::default().with_groups(vec![GroupId(s("checks-bad-timeout"))]),
    );
    assert_eq!(described.groups[0].error_code, GROUP_ID_NOT_FOUND);
}

#[test]
fn a_join_with_a_member_id_for_a_missing_group_is_unknown_and_creates_none() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let request = join_request("checks-no-such-group", "someone-1234", None);
    assert_eq!(client.send(9, &request).error_code, UNKNOWN_MEMBER_ID);
    assert!(!listed(&mut client).contains(&"checks-no-such-group".to_string()));
}

#[test]
fn describe_groups_grants_the_operations_kafka_grants_without_an_authorizer() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    static_member(&mut client, "checks-operations");
    for v in 3..=6 {
        let described = client.send(
            v,
            &DescribeGroupsRequest::default()
                .with_groups(vec![GroupId(s("checks-operations"))])
                .with_include_authorized_operations(true),
        );
        // READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS.
        assert_eq!(
            described.groups[0].authorized_operations, 3400,
            "DescribeGroups v{v}"
        );
    }
}

#[test]
fn a_group_named_twice_in_delete_groups_is_answered_once() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    create_topic(&mut client, "checks-c");
    let stored = commit("checks-deleted-twice", "checks-c", -1, "", None);
    assert_eq!(
        client.send(9, &stored).topics[0].partitions[0].error_code,
        0
    );
    for v in 0..=2 {
        let names = vec![GroupId(s("checks-deleted-twice")); 2];
        let response = client.send(v, &DeleteGroupsRequest::default().with_groups_names(names));
        let expected = if v == 0 { 0 } else { GROUP_ID_NOT_FOUND };
        let codes: Vec<i16> = response.results.iter().map(|r| r.error_code).collect();
        assert_eq!(codes, vec![expected], "DeleteGroups v{v}");
    }
}
