//! OffsetFetch v10 (KIP-848) names topics by id instead of by name, in the
//! request and in the response; an id the cluster does not know is
//! UNKNOWN_TOPIC_ID. Everything else is v9's (groups, member id and epoch).
//! kafka-protocol writes the v10 response; only the request is read here.

use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::{GroupId, OffsetFetchRequest};

use super::wire::Reader;
use super::{decodable_by_hand, Newer};

/// The newest request version kafka-protocol 0.18 reads.
const CODEC_MAX: i16 = 9;

fn read<B: bytes::Buf>(
    r: &mut Reader<'_, B>,
    _version: i16,
) -> anyhow::Result<Newer<OffsetFetchRequest>> {
    let mut groups = Vec::with_capacity(r.array_len()?);
    for _ in 0..groups.capacity() {
        let group_id = GroupId(r.string()?);
        let member_id = r.nullable_string()?;
        let member_epoch = r.i32()?;
        let topics = match r.nullable_array_len()? {
            None => None,
            Some(count) => {
                let mut topics = Vec::with_capacity(count);
                for _ in 0..count {
                    let topic_id = r.uuid()?;
                    let mut partitions = Vec::with_capacity(r.array_len()?);
                    for _ in 0..partitions.capacity() {
                        partitions.push(r.i32()?);
                    }
                    r.tags()?;
                    topics.push(
                        OffsetFetchRequestTopics::default()
                            .with_topic_id(topic_id)
                            .with_partition_indexes(partitions),
                    );
                }
                Some(topics)
            }
        };
        r.tags()?;
        groups.push(
            OffsetFetchRequestGroup::default()
                .with_group_id(group_id)
                .with_member_id(member_id)
                .with_member_epoch(member_epoch)
                .with_topics(topics),
        );
    }
    let require_stable = r.bool()?;
    r.tags()?;
    Ok(Newer(
        OffsetFetchRequest::default()
            .with_groups(groups)
            .with_require_stable(require_stable),
    ))
}

decodable_by_hand!(Newer<OffsetFetchRequest>, codec_max: CODEC_MAX, read);

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::protocol::Decodable;
    use uuid::Uuid;

    #[test]
    fn v10_reads_topic_ids_and_all_topics() {
        let id = Uuid::from_u128(9);
        let mut body = vec![3]; // two groups
        body.extend_from_slice(&[2, b'a', 0]); // "a", member null
        body.extend_from_slice(&(-1i32).to_be_bytes());
        body.push(2); // one topic
        body.extend_from_slice(id.as_bytes());
        body.extend_from_slice(&[2, 0, 0, 0, 4, 0, 0]); // [4], tags, group tags
        body.extend_from_slice(&[2, b'b', 0]); // "b", member null
        body.extend_from_slice(&(-1i32).to_be_bytes());
        body.extend_from_slice(&[0, 0, 1, 0]); // all topics, tags, require_stable, tags
        let mut bytes = bytes::Bytes::from(body);
        let Newer(request) = Newer::<OffsetFetchRequest>::decode(&mut bytes, 10).unwrap();
        assert!(bytes.is_empty());
        assert!(request.require_stable);
        let topics = request.groups[0].topics.as_ref().unwrap();
        assert_eq!(
            (topics[0].topic_id, &topics[0].partition_indexes[..]),
            (id, &[4][..])
        );
        assert_eq!(request.groups[1].topics, None);
    }
}
