//! Every advertised version of every group API, over TCP, through a real
//! group lifecycle: find the coordinator, join, sync, heartbeat, commit,
//! fetch, describe, list, leave, delete offsets, delete the group.

mod common;

use bytes::Bytes;
use common::raw::RawClient;
use common::TestBroker;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Message, StrBytes};

const TOPIC: &str = "sweep-groups";

fn s(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

fn group(id: &str) -> GroupId {
    GroupId(s(id))
}

/// The advertised versions of `key` kafka-protocol writes requests at (the
/// versions past it are `newer_versions.rs`'s).
fn versions(client: &mut RawClient, key: ApiKey) -> std::ops::RangeInclusive<i16> {
    let response = client.send(0, &ApiVersionsRequest::default());
    let api = response
        .api_keys
        .iter()
        .find(|k| k.api_key == key as i16)
        .unwrap_or_else(|| panic!("{key:?} is not advertised"));
    let codec_max = match key {
        ApiKey::OffsetCommit => OffsetCommitRequest::VERSIONS.max,
        ApiKey::OffsetFetch => OffsetFetchRequest::VERSIONS.max,
        ApiKey::DeleteGroups => DeleteGroupsRequest::VERSIONS.max,
        _ => api.max_version,
    };
    api.min_version..=api.max_version.min(codec_max)
}

fn join_request(group_id: &str, member_id: &str) -> JoinGroupRequest {
    JoinGroupRequest::default()
        .with_group_id(group(group_id))
        .with_session_timeout_ms(10_000)
        .with_rebalance_timeout_ms(10_000)
        .with_member_id(s(member_id))
        .with_protocol_type(s("consumer"))
        .with_protocols(vec![JoinGroupRequestProtocol::default()
            .with_name(s("range"))
            .with_metadata(Bytes::from_static(b"subscription"))])
}

/// Joins `group_id` at JoinGroup `version` (with the KIP-394 round trip
/// from v4); returns the member id and generation.
fn join(client: &mut RawClient, version: i16, group_id: &str) -> (String, i32) {
    let mut response = client.send(version, &join_request(group_id, ""));
    if version >= 4 {
        assert_eq!(
            response.error_code, 79,
            "JoinGroup v{version} asks for a member id first"
        );
        let member_id = response.member_id.to_string();
        response = client.send(version, &join_request(group_id, &member_id));
    } else {
        assert_ne!(
            response.error_code, 79,
            "JoinGroup v{version} must not get MEMBER_ID_REQUIRED"
        );
    }
    assert_eq!(response.error_code, 0, "JoinGroup v{version}");
    assert_eq!(
        response.leader, response.member_id,
        "JoinGroup v{version}: the only member leads"
    );
    assert_eq!(response.members.len(), 1);
    (response.member_id.to_string(), response.generation_id)
}

/// A stable one-member group (JoinGroup v5, SyncGroup v3).
fn stable(client: &mut RawClient, group_id: &str) -> (String, i32) {
    let (member_id, generation) = join(client, 5, group_id);
    let sync = SyncGroupRequest::default()
        .with_group_id(group(group_id))
        .with_generation_id(generation)
        .with_member_id(s(&member_id))
        .with_assignments(vec![SyncGroupRequestAssignment::default()
            .with_member_id(s(&member_id))
            .with_assignment(Bytes::from_static(b"all of it"))]);
    assert_eq!(client.send(3, &sync).error_code, 0);
    (member_id, generation)
}

#[test]
fn every_advertised_version_of_every_group_api_answers() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let port: i32 = broker
        .bootstrap
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    client.send(
        12,
        &MetadataRequest::default()
            .with_topics(Some(vec![
                MetadataRequestTopic::default().with_name(Some(TopicName(s(TOPIC))))
            ]))
            .with_allow_auto_topic_creation(true),
    );

    for v in versions(&mut client, ApiKey::FindCoordinator) {
        let mut request = FindCoordinatorRequest::default().with_key_type(0);
        if v >= 4 {
            request.coordinator_keys = vec![s("g1"), s("g2")];
            let response = client.send(v, &request);
            assert_eq!(response.coordinators.len(), 2, "FindCoordinator v{v}");
            assert!(response
                .coordinators
                .iter()
                .all(|c| c.error_code == 0 && c.node_id.0 == 1 && c.port == port));
        } else {
            request.key = s("g1");
            let response = client.send(v, &request);
            assert_eq!(
                (response.error_code, response.node_id.0, response.port),
                (0, 1, port),
                "FindCoordinator v{v}"
            );
        }
    }

    for v in versions(&mut client, ApiKey::JoinGroup) {
        // Every join version ends with an assignment, also through
        // SyncGroup v0 as kafka-go (JoinGroup v1-v2) uses it.
        let group_id = format!("join-v{v}");
        let (member_id, generation) = join(&mut client, v, &group_id);
        let sync = SyncGroupRequest::default()
            .with_group_id(group(&group_id))
            .with_generation_id(generation)
            .with_member_id(s(&member_id))
            .with_assignments(vec![SyncGroupRequestAssignment::default()
                .with_member_id(s(&member_id))
                .with_assignment(Bytes::from_static(b"yours"))]);
        let synced = client.send(0, &sync);
        assert_eq!(
            (synced.error_code, &synced.assignment[..]),
            (0, &b"yours"[..]),
            "JoinGroup v{v} then SyncGroup v0"
        );
    }

    for v in versions(&mut client, ApiKey::SyncGroup) {
        let group_id = format!("sync-v{v}");
        let (member_id, generation) = join(&mut client, 5, &group_id);
        let mut sync = SyncGroupRequest::default()
            .with_group_id(group(&group_id))
            .with_generation_id(generation)
            .with_member_id(s(&member_id))
            .with_assignments(vec![SyncGroupRequestAssignment::default()
                .with_member_id(s(&member_id))
                .with_assignment(Bytes::from_static(b"assigned"))]);
        if v >= 5 {
            sync.protocol_type = Some(s("consumer"));
            sync.protocol_name = Some(s("range"));
        }
        let response = client.send(v, &sync);
        assert_eq!(response.error_code, 0, "SyncGroup v{v}");
        assert_eq!(&response.assignment[..], b"assigned", "SyncGroup v{v}");
    }

    let (member_id, generation) = stable(&mut client, "main");
    for v in versions(&mut client, ApiKey::Heartbeat) {
        let heartbeat = HeartbeatRequest::default()
            .with_group_id(group("main"))
            .with_generation_id(generation)
            .with_member_id(s(&member_id));
        assert_eq!(client.send(v, &heartbeat).error_code, 0, "Heartbeat v{v}");
    }

    let mut last_committed = 0;
    for v in versions(&mut client, ApiKey::OffsetCommit) {
        last_committed = 100 + i64::from(v);
        let commit = OffsetCommitRequest::default()
            .with_group_id(group("main"))
            .with_generation_id_or_member_epoch(generation)
            .with_member_id(s(&member_id))
            .with_topics(vec![OffsetCommitRequestTopic::default()
                .with_name(TopicName(s(TOPIC)))
                .with_partitions(vec![OffsetCommitRequestPartition::default()
                    .with_partition_index(0)
                    .with_committed_offset(last_committed)
                    .with_committed_leader_epoch(if v >= 6 { 0 } else { -1 })
                    .with_committed_metadata(Some(s("meta")))])]);
        let response = client.send(v, &commit);
        assert_eq!(
            response.topics[0].partitions[0].error_code, 0,
            "OffsetCommit v{v}"
        );
    }

    for v in versions(&mut client, ApiKey::OffsetFetch) {
        let response = if v >= 8 {
            let request =
                OffsetFetchRequest::default().with_groups(vec![OffsetFetchRequestGroup::default()
                    .with_group_id(group("main"))
                    .with_topics(Some(vec![OffsetFetchRequestTopics::default()
                        .with_name(TopicName(s(TOPIC)))
                        .with_partition_indexes(vec![0, 5])]))]);
            let response = client.send(v, &request);
            let partitions = &response.groups[0].topics[0].partitions;
            (
                partitions[0].committed_offset,
                partitions[1].committed_offset,
                response.groups[0].error_code,
            )
        } else {
            let request = OffsetFetchRequest::default()
                .with_group_id(group("main"))
                .with_topics(Some(vec![OffsetFetchRequestTopic::default()
                    .with_name(TopicName(s(TOPIC)))
                    .with_partition_indexes(vec![0, 5])]));
            let response = client.send(v, &request);
            let partitions = &response.topics[0].partitions;
            (
                partitions[0].committed_offset,
                partitions[1].committed_offset,
                response.error_code,
            )
        };
        assert_eq!(response, (last_committed, -1, 0), "OffsetFetch v{v}");
    }

    for v in versions(&mut client, ApiKey::DescribeGroups) {
        let request = DescribeGroupsRequest::default()
            .with_groups(vec![group("main"), group("never")])
            .with_include_authorized_operations(v >= 3);
        let response = client.send(v, &request);
        let main = &response.groups[0];
        assert_eq!(
            (
                &*main.group_state,
                &*main.protocol_type,
                &*main.protocol_data
            ),
            ("Stable", "consumer", "range"),
            "DescribeGroups v{v}"
        );
        assert_eq!(main.members.len(), 1);
        assert_eq!(&main.members[0].client_host[..], "/127.0.0.1");
        assert_eq!(&main.members[0].member_assignment[..], b"all of it");
        assert_eq!(&*response.groups[1].group_state, "Dead");
        // KIP-1043: from v6 a group that does not exist is an error.
        let never = if v >= 6 { 69 } else { 0 };
        assert_eq!(response.groups[1].error_code, never, "DescribeGroups v{v}");
    }

    for v in versions(&mut client, ApiKey::ListGroups) {
        let mut request = ListGroupsRequest::default();
        if v >= 4 {
            request.states_filter = vec![s("Stable")];
        }
        let response = client.send(v, &request);
        assert_eq!(response.error_code, 0);
        let listed: Vec<&str> = response.groups.iter().map(|g| &*g.group_id.0).collect();
        assert!(listed.contains(&"main"), "ListGroups v{v}: {listed:?}");
        if v >= 4 {
            assert!(response.groups.iter().all(|g| &*g.group_state == "Stable"));
        }
        if v >= 5 {
            assert!(response.groups.iter().all(|g| &*g.group_type == "classic"));
            let consumer = ListGroupsRequest::default().with_types_filter(vec![s("consumer")]);
            let none = client.send(v, &consumer);
            assert!(none.groups.is_empty(), "ListGroups v{v}: no KIP-848 groups");
        }
    }

    let leave_versions = versions(&mut client, ApiKey::LeaveGroup);
    for v in leave_versions.clone() {
        let group_id = format!("leave-v{v}");
        let (member_id, _) = stable(&mut client, &group_id);
        let mut request = LeaveGroupRequest::default().with_group_id(group(&group_id));
        if v >= 3 {
            request.members = vec![MemberIdentity::default().with_member_id(s(&member_id))];
        } else {
            request.member_id = s(&member_id);
        }
        let response = client.send(v, &request);
        assert_eq!(response.error_code, 0, "LeaveGroup v{v}");
        if v >= 3 {
            assert_eq!(response.members[0].error_code, 0);
        }
        let state = client.send(
            0,
            &DescribeGroupsRequest::default().with_groups(vec![group(&group_id)]),
        );
        assert_eq!(&*state.groups[0].group_state, "Empty", "LeaveGroup v{v}");
    }

    // Offsets of a group without members can be deleted.
    let commit = OffsetCommitRequest::default()
        .with_group_id(group("leave-v0"))
        .with_generation_id_or_member_epoch(-1)
        .with_topics(vec![OffsetCommitRequestTopic::default()
            .with_name(TopicName(s(TOPIC)))
            .with_partitions(vec![OffsetCommitRequestPartition::default()
                .with_partition_index(0)
                .with_committed_offset(3)])]);
    assert_eq!(
        client.send(2, &commit).topics[0].partitions[0].error_code,
        0
    );
    let delete = OffsetDeleteRequest::default()
        .with_group_id(group("leave-v0"))
        .with_topics(vec![OffsetDeleteRequestTopic::default()
            .with_name(TopicName(s(TOPIC)))
            .with_partitions(vec![
                OffsetDeleteRequestPartition::default().with_partition_index(0)
            ])]);
    let response = client.send(0, &delete);
    assert_eq!(
        (
            response.error_code,
            response.topics[0].partitions[0].error_code
        ),
        (0, 0)
    );
    let busy = OffsetDeleteRequest::default()
        .with_group_id(group("main"))
        .with_topics(vec![OffsetDeleteRequestTopic::default()
            .with_name(TopicName(s(TOPIC)))
            .with_partitions(vec![
                OffsetDeleteRequestPartition::default().with_partition_index(0)
            ])]);
    assert_eq!(
        client.send(0, &busy).topics[0].partitions[0].error_code,
        86,
        "GROUP_SUBSCRIBED_TO_TOPIC: a member's (unreadable) subscription counts as subscribed"
    );

    for v in versions(&mut client, ApiKey::DeleteGroups) {
        let request = DeleteGroupsRequest::default().with_groups_names(vec![
            group(&format!("leave-v{v}")),
            group("main"),
            group("never"),
        ]);
        let response = client.send(v, &request);
        let codes: Vec<i16> = response.results.iter().map(|r| r.error_code).collect();
        assert_eq!(
            codes,
            vec![0, 68, 69],
            "DeleteGroups v{v}: deleted, NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND"
        );
    }
}
