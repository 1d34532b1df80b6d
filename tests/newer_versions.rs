//! The versions klamm serves past what kafka-protocol writes (ListOffsets
//! 11, OffsetCommit and OffsetFetch 10, ApiVersions 5, DescribeLogDirs 5,
//! DeleteGroups 3), sent as bytes written here from Kafka 4.4's message
//! specs, each with what is new in it.

mod common;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use common::raw::RawClient;
use common::TestBroker;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use uuid::Uuid;

const TOPIC: &str = "newer";
const UNKNOWN_TOPIC_ID: i16 = 100;

fn string(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(s) => {
            out.push(s.len() as u8 + 1);
            out.extend_from_slice(s.as_bytes());
        }
        None => out.push(0),
    }
}

/// The topic, created by a Metadata request, and its id.
fn topic_id(client: &mut RawClient) -> Uuid {
    let request = MetadataRequest::default()
        .with_topics(Some(vec![MetadataRequestTopic::default()
            .with_name(Some(TopicName(StrBytes::from_static_str(TOPIC))))]))
        .with_allow_auto_topic_creation(true);
    let response = client.send(12, &request);
    assert_eq!(response.topics[0].error_code, 0);
    response.topics[0].topic_id
}

/// OffsetCommit v10 of one offset for partition 0 of `id`, memberless.
fn commit_v10(group: &str, id: Uuid, offset: i64) -> Vec<u8> {
    let mut body = Vec::new();
    string(&mut body, Some(group));
    body.put_i32(-1); // generation
    string(&mut body, Some("")); // member id
    string(&mut body, None); // group instance id
    body.push(2); // one topic
    body.extend_from_slice(id.as_bytes());
    body.push(2); // one partition
    body.put_i32(0);
    body.put_i64(offset);
    body.put_i32(-1); // leader epoch
    string(&mut body, Some("meta"));
    body.extend_from_slice(&[0, 0, 0]); // partition, topic, body tags
    body
}

/// OffsetFetch v10 of one group: partition 0 of `id`, or every topic.
fn fetch_v10(group: &str, id: Option<Uuid>) -> Vec<u8> {
    let mut body = vec![2]; // one group
    string(&mut body, Some(group));
    string(&mut body, None); // member id
    body.put_i32(-1); // member epoch
    match id {
        Some(id) => {
            body.push(2);
            body.extend_from_slice(id.as_bytes());
            body.push(2);
            body.put_i32(0);
            body.push(0); // topic tags
        }
        None => body.push(0), // all topics
    }
    body.extend_from_slice(&[0, 0, 0]); // group tags, require_stable, tags
    body
}

#[test]
fn offset_commit_and_fetch_v10_name_topics_by_id() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let id = topic_id(&mut client);

    let mut answer = client
        .send_body(ApiKey::OffsetCommit, 10, &commit_v10("g10", id, 42))
        .expect("an answer");
    let committed = OffsetCommitResponse::decode(&mut answer, 10).expect("decodes");
    assert_eq!(committed.topics[0].topic_id, id);
    assert_eq!(committed.topics[0].partitions[0].error_code, 0);

    let unknown = Uuid::from_u128(7);
    let mut answer = client
        .send_body(ApiKey::OffsetCommit, 10, &commit_v10("g10", unknown, 1))
        .expect("an answer");
    let refused = OffsetCommitResponse::decode(&mut answer, 10).expect("decodes");
    assert_eq!(refused.topics[0].topic_id, unknown);
    assert_eq!(refused.topics[0].partitions[0].error_code, UNKNOWN_TOPIC_ID);

    for asked in [Some(id), None] {
        let mut answer = client
            .send_body(ApiKey::OffsetFetch, 10, &fetch_v10("g10", asked))
            .expect("an answer");
        let fetched = OffsetFetchResponse::decode(&mut answer, 10).expect("decodes");
        let topic = &fetched.groups[0].topics[0];
        assert_eq!(topic.topic_id, id, "{asked:?}");
        assert_eq!(topic.partitions[0].committed_offset, 42, "{asked:?}");
        assert_eq!(topic.partitions[0].metadata.as_deref(), Some("meta"));
    }
    let mut answer = client
        .send_body(ApiKey::OffsetFetch, 10, &fetch_v10("g10", Some(unknown)))
        .expect("an answer");
    let fetched = OffsetFetchResponse::decode(&mut answer, 10).expect("decodes");
    let partition = &fetched.groups[0].topics[0].partitions[0];
    assert_eq!(
        (partition.error_code, partition.committed_offset),
        (UNKNOWN_TOPIC_ID, -1)
    );
}

/// ApiVersions v5 naming a cluster and node (or not), and what comes back:
/// (error code, how many APIs are listed).
fn api_versions_v5(client: &mut RawClient, cluster: Option<&str>, node: i32) -> (i16, usize) {
    let mut body = Vec::new();
    string(&mut body, Some("klamm-test"));
    string(&mut body, Some("1.0"));
    string(&mut body, cluster);
    body.put_i32(node);
    body.push(0);
    let mut answer = client
        .send_body(ApiKey::ApiVersions, 5, &body)
        .expect("an answer");
    // The v5 response body is v4's.
    let response = ApiVersionsResponse::decode(&mut answer, 4).expect("decodes");
    assert_eq!(answer.remaining(), 0);
    (response.error_code, response.api_keys.len())
}

#[test]
fn api_versions_v5_answers_only_the_cluster_and_node_the_client_means() {
    let broker = TestBroker::start(klamm::Broker::builder().brokers(2));
    let mut client = RawClient::connect(&broker.bootstrap);
    let metadata = client.send(
        12,
        &MetadataRequest::default().with_topics(Some(Vec::new())),
    );
    let cluster = metadata.cluster_id.expect("a cluster id").to_string();

    let (error, apis) = api_versions_v5(&mut client, None, -1);
    assert_eq!(error, 0);
    assert!(apis > 20);
    assert_eq!(api_versions_v5(&mut client, Some(&cluster), 1), (0, apis));
    // KIP-1242: a client holding addresses of another node or cluster must
    // go back to its bootstrap servers.
    assert_eq!(api_versions_v5(&mut client, Some(&cluster), 2), (129, 0));
    assert_eq!(
        api_versions_v5(&mut client, Some("AAAAAAAAAAAAAAAAAAAAAA"), 1),
        (129, 0)
    );
    // Both or neither.
    assert_eq!(api_versions_v5(&mut client, Some(&cluster), -1), (42, 0));
    assert_eq!(api_versions_v5(&mut client, None, 1), (42, 0));
    // Broker 2 of the simulated cluster is node 2.
    let mut second = RawClient::connect(&broker.broker_addrs()[1]);
    assert_eq!(api_versions_v5(&mut second, Some(&cluster), 2), (0, apis));
}

#[test]
fn api_versions_reports_the_features_klamm_implements() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let request = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("klamm-test"))
        .with_client_software_version(StrBytes::from_static_str("1.0"));
    let response = client.send(4, &request);
    let level = |name: &str| {
        let f = response
            .supported_features
            .iter()
            .find(|f| &*f.name == name)
            .unwrap_or_else(|| panic!("{name} is listed"));
        (f.min_version, f.max_version)
    };
    assert_eq!(level("metadata.version"), (7, 33));
    assert_eq!(level("transaction.version"), (0, 0));
    assert_eq!(level("group.version"), (0, 0));
    assert!(response.finalized_features_epoch >= 0);
    let finalized: Vec<(&str, i16)> = response
        .finalized_features
        .iter()
        .map(|f| (&*f.name, f.max_version_level))
        .collect();
    assert_eq!(
        finalized,
        vec![
            ("metadata.version", 33),
            ("eligible.leader.replicas.version", 1)
        ]
    );
    // Before v4 features whose minimum is 0 are left out (KAFKA-17011).
    let v3 = client.send(3, &request);
    let names: Vec<&str> = v3.supported_features.iter().map(|f| &*f.name).collect();
    assert_eq!(names, vec!["metadata.version"]);
}

#[test]
fn describe_log_dirs_v5_says_the_directory_is_not_cordoned() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    // No topics asked for: one directory with an empty topic list.
    let mut body = BytesMut::new();
    DescribeLogDirsRequest::default()
        .with_topics(Some(Vec::new()))
        .encode(&mut body, 4)
        .expect("encodes");
    let mut answer = client
        .send_body(ApiKey::DescribeLogDirs, 5, &body)
        .expect("an answer");
    assert_eq!(answer.get_i32(), 0, "throttle");
    assert_eq!(answer.get_i16(), 0, "error");
    assert_eq!(answer.get_u8(), 2, "one directory");
    assert_eq!(answer.get_i16(), 0, "its error");
    let len = answer.get_u8() as usize - 1;
    assert_eq!(&answer.split_to(len)[..], b"<in-memory>");
    assert_eq!(answer.get_u8(), 1, "no topics");
    assert_eq!((answer.get_i64(), answer.get_i64()), (-1, -1), "sizes");
    assert_eq!(answer.get_u8(), 0, "is_cordoned: false");
    assert_eq!(&answer[..], &[0, 0], "the directory's and body's tags");
}

#[test]
fn delete_groups_v3_carries_a_null_error_message() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    let mut body = BytesMut::new();
    DeleteGroupsRequest::default()
        .with_groups_names(vec![GroupId(StrBytes::from_static_str("nobody"))])
        .encode(&mut body, 2)
        .expect("encodes");
    let answer = client
        .send_body(ApiKey::DeleteGroups, 3, &body)
        .expect("an answer");
    let mut expected = vec![0, 0, 0, 0, 2, 7];
    expected.extend_from_slice(b"nobody");
    expected.extend_from_slice(&[0, 69, 0, 0, 0]); // GROUP_ID_NOT_FOUND, null, tags x2
    assert_eq!(answer, Bytes::from(expected));
}

#[test]
fn list_offsets_v11_has_no_tiered_offsets_to_give() {
    let broker = TestBroker::in_memory();
    let mut client = RawClient::connect(&broker.bootstrap);
    topic_id(&mut client);
    for timestamp in [-5, -6] {
        let mut body = BytesMut::new();
        ListOffsetsRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_topics(vec![ListOffsetsTopic::default()
                .with_name(TopicName(StrBytes::from_static_str(TOPIC)))
                .with_partitions(vec![
                    ListOffsetsPartition::default().with_timestamp(timestamp)
                ])])
            .encode(&mut body, 10)
            .expect("encodes");
        let mut answer = client
            .send_body(ApiKey::ListOffsets, 11, &body)
            .expect("an answer");
        let response = ListOffsetsResponse::decode(&mut answer, 10).expect("decodes");
        let p = &response.topics[0].partitions[0];
        assert_eq!(
            (p.error_code, p.timestamp, p.offset),
            (0, -1, -1),
            "{timestamp}"
        );
        // Before v11 there is no -6: UNSUPPORTED_VERSION, as Kafka answers.
        let old = client.send(
            10,
            &ListOffsetsRequest::decode(&mut body.clone().freeze(), 10).expect("decodes"),
        );
        let expected = if timestamp == -6 { 35 } else { 0 };
        assert_eq!(
            old.topics[0].partitions[0].error_code, expected,
            "{timestamp}"
        );
    }
}
