//! OffsetCommit v10 (KIP-848) names topics by id instead of by name, in
//! the request and in the response; an id the cluster does not know is
//! UNKNOWN_TOPIC_ID. Everything else is v9's. kafka-protocol writes the v10
//! response; only the request is read here.

use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::{GroupId, OffsetCommitRequest};

use super::wire::Reader;
use super::{decodable_by_hand, Newer};

/// The newest request version kafka-protocol 0.18 reads.
const CODEC_MAX: i16 = 9;

fn read<B: bytes::Buf>(
    r: &mut Reader<'_, B>,
    _version: i16,
) -> anyhow::Result<Newer<OffsetCommitRequest>> {
    let group_id = GroupId(r.string()?);
    let generation = r.i32()?;
    let member_id = r.string()?;
    let instance_id = r.nullable_string()?;
    let mut topics = Vec::with_capacity(r.array_len()?);
    for _ in 0..topics.capacity() {
        let topic_id = r.uuid()?;
        let mut partitions = Vec::with_capacity(r.array_len()?);
        for _ in 0..partitions.capacity() {
            partitions.push(
                OffsetCommitRequestPartition::default()
                    .with_partition_index(r.i32()?)
                    .with_committed_offset(r.i64()?)
                    .with_committed_leader_epoch(r.i32()?)
                    .with_committed_metadata(r.nullable_string()?),
            );
            r.tags()?;
        }
        r.tags()?;
        topics.push(
            OffsetCommitRequestTopic::default()
                .with_topic_id(topic_id)
                .with_partitions(partitions),
        );
    }
    r.tags()?;
    Ok(Newer(
        OffsetCommitRequest::default()
            .with_group_id(group_id)
            .with_generation_id_or_member_epoch(generation)
            .with_member_id(member_id)
            .with_group_instance_id(instance_id)
            .with_topics(topics),
    ))
}

decodable_by_hand!(Newer<OffsetCommitRequest>, codec_max: CODEC_MAX, read);

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::Decodable;
    use uuid::Uuid;

    #[test]
    fn v10_reads_topic_ids() {
        let id = Uuid::from_u128(0x1234);
        let mut body = vec![2, b'g']; // group "g"
        body.extend_from_slice(&3i32.to_be_bytes()); // generation
        body.extend_from_slice(&[2, b'm', 0]); // member "m", no instance id
        body.push(2); // one topic
        body.extend_from_slice(id.as_bytes());
        body.push(2); // one partition
        body.extend_from_slice(&1i32.to_be_bytes());
        body.extend_from_slice(&42i64.to_be_bytes());
        body.extend_from_slice(&(-1i32).to_be_bytes());
        body.extend_from_slice(&[1, 0, 0, 0]); // metadata "", tags x3
        let mut bytes = bytes::Bytes::from(body);
        let Newer(request) = Newer::<OffsetCommitRequest>::decode(&mut bytes, 10).unwrap();
        assert!(bytes.is_empty());
        assert_eq!(&*request.group_id, "g");
        assert_eq!(request.generation_id_or_member_epoch, 3);
        assert_eq!(request.group_instance_id, None);
        let topic = &request.topics[0];
        assert_eq!(
            (topic.topic_id, topic.partitions[0].committed_offset),
            (id, 42)
        );
        assert_eq!(topic.partitions[0].committed_metadata.as_deref(), Some(""));
    }
}
