//! Committing and fetching one partition's group offset over the raw
//! client, as a simple (group-less) consumer or an admin tool does.

use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::{GroupId, OffsetCommitRequest, OffsetFetchRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::raw::RawClient;

fn s(text: &str) -> StrBytes {
    StrBytes::from_string(text.to_string())
}

/// Commits `offset` for `group` on `topic`-0; the partition's error code
/// (-1 if the broker closed the connection).
pub fn commit(client: &mut RawClient, group: &str, topic: &str, offset: i64) -> i16 {
    let request = OffsetCommitRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_generation_id_or_member_epoch(-1)
        .with_member_id(s(""))
        .with_topics(vec![OffsetCommitRequestTopic::default()
            .with_name(TopicName(s(topic)))
            .with_partitions(vec![OffsetCommitRequestPartition::default()
                .with_partition_index(0)
                .with_committed_offset(offset)
                .with_committed_leader_epoch(-1)
                .with_committed_metadata(Some(s("raw")))])]);
    client
        .try_send(8, &request)
        .map_or(-1, |r| r.topics[0].partitions[0].error_code)
}

/// The offset `group` has committed on `topic`-0 (-1 for none).
pub fn committed(client: &mut RawClient, group: &str, topic: &str) -> i64 {
    let request = OffsetFetchRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_topics(Some(vec![OffsetFetchRequestTopic::default()
            .with_name(TopicName(s(topic)))
            .with_partition_indexes(vec![0])]));
    let response = client.send(7, &request);
    assert_eq!(response.error_code, 0, "OffsetFetch");
    response.topics[0].partitions[0].committed_offset
}
