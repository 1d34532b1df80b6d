//! Requests built field by field with kafka-protocol's own builders, independently of the guard's
//! tables, for a spread of apis across all their versions: non-empty arrays at every level,
//! non-null strings and records, known tags where valid, unknown tags on the top-level and a
//! nested struct where the version is flexible. Fields are only set in versions that carry them,
//! since kafka-protocol refuses to encode a non-default field its version lacks.

use std::collections::BTreeMap;

use bytes::Bytes;
use kafka_protocol::messages::add_partitions_to_txn_request::{
    AddPartitionsToTxnTopic, AddPartitionsToTxnTransaction,
};
use kafka_protocol::messages::consumer_group_heartbeat_request::TopicPartitions;
use kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::fetch_request::{
    FetchPartition, FetchTopic, ForgottenTopic, ReplicaState,
};
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Encodable, StrBytes};
use uuid::Uuid;

use super::Case;

fn s(text: &'static str) -> StrBytes {
    StrBytes::from_static_str(text)
}

fn topic(text: &'static str) -> TopicName {
    TopicName(s(text))
}

/// Unknown tagged fields, or none in non-flexible versions.
fn tags(flexible: bool) -> BTreeMap<i32, Bytes> {
    let mut tags = BTreeMap::new();
    if flexible {
        tags.insert(77, Bytes::from_static(b"unknown"));
        tags.insert(300, Bytes::new());
    }
    tags
}

fn produce(v: i16) -> ProduceRequest {
    let flexible = v >= 9;
    let partition = |index| {
        PartitionProduceData::default()
            .with_index(index)
            .with_records(Some(Bytes::from_static(b"not really a record batch")))
            .with_unknown_tagged_fields(tags(flexible))
    };
    let mut t = TopicProduceData::default().with_partition_data(vec![partition(0), partition(1)]);
    if v <= 12 {
        t = t.with_name(topic("orders"));
    } else {
        t = t.with_topic_id(Uuid::from_u128(0x1234));
    }
    ProduceRequest::default()
        .with_transactional_id(Some(TransactionalId(s("tx"))))
        .with_acks(-1)
        .with_timeout_ms(30_000)
        .with_topic_data(vec![t.clone(), t])
        .with_unknown_tagged_fields(tags(flexible))
}

fn fetch(v: i16) -> FetchRequest {
    let flexible = v >= 12;
    let mut p = FetchPartition::default()
        .with_partition(3)
        .with_fetch_offset(100)
        .with_partition_max_bytes(1 << 20)
        .with_unknown_tagged_fields(tags(flexible));
    if v >= 9 {
        p = p.with_current_leader_epoch(5);
    }
    if v >= 12 {
        p = p.with_last_fetched_epoch(4);
    }
    if v >= 5 {
        p = p.with_log_start_offset(10);
    }
    if v >= 17 {
        p = p.with_replica_directory_id(Uuid::from_u128(99));
    }
    if v >= 18 {
        p = p.with_high_watermark(1234);
    }
    let mut t = FetchTopic::default().with_partitions(vec![p.clone(), p]);
    let mut forgotten = ForgottenTopic::default().with_partitions(vec![1, 2]);
    if v <= 12 {
        t = t.with_topic(topic("events"));
        forgotten = forgotten.with_topic(topic("old"));
    } else {
        t = t.with_topic_id(Uuid::from_u128(7));
        forgotten = forgotten.with_topic_id(Uuid::from_u128(8));
    }
    let mut req = FetchRequest::default()
        .with_max_wait_ms(500)
        .with_min_bytes(1)
        .with_isolation_level(1)
        .with_topics(vec![t])
        .with_unknown_tagged_fields(tags(flexible));
    if v <= 14 {
        req = req.with_replica_id(BrokerId(-1));
    }
    if v >= 7 {
        req = req
            .with_session_id(11)
            .with_session_epoch(2)
            .with_forgotten_topics_data(vec![forgotten]);
    }
    if v >= 11 {
        req = req.with_rack_id(s("rack-a"));
    }
    if v >= 12 {
        req = req.with_cluster_id(Some(s("cluster")));
    }
    if v >= 15 {
        req = req.with_replica_state(
            ReplicaState::default()
                .with_replica_id(BrokerId(2))
                .with_replica_epoch(9),
        );
    }
    req
}

fn metadata(v: i16) -> MetadataRequest {
    let flexible = v >= 9;
    let mut t = MetadataRequestTopic::default()
        .with_name(Some(topic("a")))
        .with_unknown_tagged_fields(tags(flexible));
    if v >= 10 {
        t = t.with_topic_id(Uuid::from_u128(3));
    }
    let mut req = MetadataRequest::default()
        .with_topics(Some(vec![t.clone(), t]))
        .with_unknown_tagged_fields(tags(flexible));
    if v >= 4 {
        req = req.with_allow_auto_topic_creation(false);
    }
    if (8..=10).contains(&v) {
        req = req.with_include_cluster_authorized_operations(true);
    }
    if v >= 8 {
        req = req.with_include_topic_authorized_operations(true);
    }
    req
}

fn create_topics(v: i16) -> CreateTopicsRequest {
    let flexible = v >= 5;
    let assignment = CreatableReplicaAssignment::default()
        .with_partition_index(0)
        .with_broker_ids(vec![BrokerId(1), BrokerId(2)])
        .with_unknown_tagged_fields(tags(flexible));
    let config = CreatableTopicConfig::default()
        .with_name(s("cleanup.policy"))
        .with_value(Some(s("compact")))
        .with_unknown_tagged_fields(tags(flexible));
    let t = CreatableTopic::default()
        .with_name(topic("new"))
        .with_num_partitions(-1)
        .with_replication_factor(-1)
        .with_assignments(vec![assignment])
        .with_configs(vec![config.clone(), config])
        .with_unknown_tagged_fields(tags(flexible));
    CreateTopicsRequest::default()
        .with_topics(vec![t])
        .with_timeout_ms(1000)
        .with_validate_only(true)
        .with_unknown_tagged_fields(tags(flexible))
}

fn join_group(v: i16) -> JoinGroupRequest {
    let flexible = v >= 6;
    let protocol = JoinGroupRequestProtocol::default()
        .with_name(s("range"))
        .with_metadata(Bytes::from_static(b"\x00\x01subscription"))
        .with_unknown_tagged_fields(tags(flexible));
    let mut req = JoinGroupRequest::default()
        .with_group_id(GroupId(s("g")))
        .with_session_timeout_ms(10_000)
        .with_member_id(s("m-1"))
        .with_protocol_type(s("consumer"))
        .with_protocols(vec![protocol])
        .with_unknown_tagged_fields(tags(flexible));
    if v >= 1 {
        req = req.with_rebalance_timeout_ms(20_000);
    }
    if v >= 5 {
        req = req.with_group_instance_id(Some(s("static-1")));
    }
    if v >= 8 {
        req = req.with_reason(Some(s("because")));
    }
    req
}

fn offset_commit(v: i16) -> OffsetCommitRequest {
    let flexible = v >= 8;
    let mut p = OffsetCommitRequestPartition::default()
        .with_partition_index(1)
        .with_committed_offset(42)
        .with_committed_metadata(Some(s("meta")))
        .with_unknown_tagged_fields(tags(flexible));
    if v >= 6 {
        p = p.with_committed_leader_epoch(3);
    }
    let t = OffsetCommitRequestTopic::default()
        .with_name(topic("t"))
        .with_partitions(vec![p])
        .with_unknown_tagged_fields(tags(flexible));
    let mut req = OffsetCommitRequest::default()
        .with_group_id(GroupId(s("g")))
        .with_generation_id_or_member_epoch(4)
        .with_member_id(s("m"))
        .with_topics(vec![t])
        .with_unknown_tagged_fields(tags(flexible));
    if v >= 7 {
        req = req.with_group_instance_id(Some(s("i")));
    }
    if v <= 4 {
        req = req.with_retention_time_ms(60_000);
    }
    req
}

fn api_versions(v: i16) -> ApiVersionsRequest {
    let mut req = ApiVersionsRequest::default().with_unknown_tagged_fields(tags(v >= 3));
    if v >= 3 {
        req = req
            .with_client_software_name(s("klamm-test"))
            .with_client_software_version(s("0.0.1"));
    }
    req
}

fn add_partitions_to_txn(v: i16) -> AddPartitionsToTxnRequest {
    let flexible = v >= 3;
    let t = AddPartitionsToTxnTopic::default()
        .with_name(topic("t"))
        .with_partitions(vec![0, 1, 2])
        .with_unknown_tagged_fields(tags(flexible));
    let req = AddPartitionsToTxnRequest::default().with_unknown_tagged_fields(tags(flexible));
    if v <= 3 {
        req.with_v3_and_below_transactional_id(TransactionalId(s("tx")))
            .with_v3_and_below_producer_id(ProducerId(5))
            .with_v3_and_below_producer_epoch(1)
            .with_v3_and_below_topics(vec![t])
    } else {
        let txn = AddPartitionsToTxnTransaction::default()
            .with_transactional_id(TransactionalId(s("tx")))
            .with_producer_id(ProducerId(5))
            .with_producer_epoch(1)
            .with_verify_only(true)
            .with_topics(vec![t])
            .with_unknown_tagged_fields(tags(flexible));
        req.with_transactions(vec![txn.clone(), txn])
    }
}

fn consumer_group_heartbeat(v: i16) -> ConsumerGroupHeartbeatRequest {
    let tp = TopicPartitions::default()
        .with_topic_id(Uuid::from_u128(5))
        .with_partitions(vec![0, 1])
        .with_unknown_tagged_fields(tags(true));
    let mut req = ConsumerGroupHeartbeatRequest::default()
        .with_group_id(GroupId(s("g")))
        .with_member_id(s("m"))
        .with_member_epoch(3)
        .with_instance_id(Some(s("i")))
        .with_rack_id(Some(s("r")))
        .with_rebalance_timeout_ms(1000)
        .with_subscribed_topic_names(Some(vec![topic("a"), topic("b")]))
        .with_server_assignor(Some(s("uniform")))
        .with_topic_partitions(Some(vec![tp]))
        .with_unknown_tagged_fields(tags(true));
    if v >= 1 {
        req = req.with_subscribed_topic_regex(Some(s("a.*")));
    }
    req
}

fn describe_configs(v: i16) -> DescribeConfigsRequest {
    let flexible = v >= 4;
    let resource = DescribeConfigsResource::default()
        .with_resource_type(2)
        .with_resource_name(s("t"))
        .with_configuration_keys(Some(vec![s("retention.ms"), s("segment.bytes")]))
        .with_unknown_tagged_fields(tags(flexible));
    let mut req = DescribeConfigsRequest::default()
        .with_resources(vec![resource])
        .with_include_synonyms(true)
        .with_unknown_tagged_fields(tags(flexible));
    if v >= 3 {
        req = req.with_include_documentation(true);
    }
    req
}

fn case<T: Encodable>(api_key: i16, version: i16, msg: &T) -> Case {
    let mut bytes = bytes::BytesMut::new();
    msg.encode(&mut bytes, version)
        .unwrap_or_else(|e| panic!("hand-built api {api_key} v{version}: {e}"));
    Case {
        api_key,
        version,
        what: "hand-built",
        bytes: bytes.to_vec(),
    }
}

/// Every hand-built request at every version kafka-protocol decodes for it.
pub(super) fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    for v in 3..=13 {
        cases.push(case(0, v, &produce(v)));
    }
    for v in 4..=18 {
        cases.push(case(1, v, &fetch(v)));
    }
    for v in 0..=13 {
        cases.push(case(3, v, &metadata(v)));
    }
    for v in 2..=9 {
        cases.push(case(8, v, &offset_commit(v)));
    }
    for v in 0..=9 {
        cases.push(case(11, v, &join_group(v)));
    }
    for v in 0..=4 {
        cases.push(case(18, v, &api_versions(v)));
    }
    for v in 2..=7 {
        cases.push(case(19, v, &create_topics(v)));
    }
    for v in 0..=5 {
        cases.push(case(24, v, &add_partitions_to_txn(v)));
    }
    for v in 1..=4 {
        cases.push(case(32, v, &describe_configs(v)));
    }
    for v in 0..=1 {
        cases.push(case(68, v, &consumer_group_heartbeat(v)));
    }
    cases
}

/// The hand-built requests also survive kafka-protocol's own decoder at full length, so they are
/// valid inputs and not artefacts of the encoder.
#[test]
fn hand_built_requests_decode() {
    for c in all() {
        let decoded = super::kp::decode(c.api_key, c.version, &c.bytes, false).expect("decode");
        assert_eq!(decoded.consumed, c.bytes.len(), "{c:?}");
    }
}
