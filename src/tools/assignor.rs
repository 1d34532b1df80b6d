//! The consumer protocol's bytes (subscriptions and assignments, as Java
//! clients encode them) and the range assignment the tools' group leader
//! computes.

use std::collections::BTreeMap;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition;
use kafka_protocol::messages::{ConsumerProtocolAssignment, ConsumerProtocolSubscription};
use kafka_protocol::protocol::{Decodable, Encodable};

use super::client::{str_bytes, topic_name};
use super::error::ToolError;

/// Version 0 of the consumer protocol: every client reads it.
const VERSION: i16 = 0;

fn encode<M: Encodable>(message: &M) -> Result<Bytes, ToolError> {
    let mut buf = BytesMut::new();
    buf.put_i16(VERSION);
    message
        .encode(&mut buf, VERSION)
        .map_err(|e| ToolError::Failed(format!("cannot encode group metadata: {e}")))?;
    Ok(buf.freeze())
}

/// Reads a versioned consumer-protocol message; newer versions are read
/// as the highest version the codec knows, as Java clients do.
fn decode<M: Decodable>(mut data: Bytes, max: i16) -> Option<M> {
    if data.remaining() < 2 {
        return None;
    }
    let version = data.get_i16().clamp(0, max);
    M::decode(&mut data, version).ok()
}

pub fn subscription(topics: &[String]) -> Result<Bytes, ToolError> {
    encode(
        &ConsumerProtocolSubscription::default()
            .with_topics(topics.iter().map(|t| str_bytes(t)).collect()),
    )
}

/// The topics a member subscribed to; none if its metadata is unreadable.
pub fn subscribed_topics(metadata: Bytes) -> Vec<String> {
    decode::<ConsumerProtocolSubscription>(metadata, 3)
        .map(|s| s.topics.iter().map(|t| t.to_string()).collect())
        .unwrap_or_default()
}

pub fn assignment(partitions: &BTreeMap<String, Vec<i32>>) -> Result<Bytes, ToolError> {
    encode(
        &ConsumerProtocolAssignment::default().with_assigned_partitions(
            partitions
                .iter()
                .map(|(topic, ps)| {
                    TopicPartition::default()
                        .with_topic(topic_name(topic))
                        .with_partitions(ps.clone())
                })
                .collect(),
        ),
    )
}

/// Topic → partitions of an assignment; empty if unreadable.
pub fn assigned_partitions(data: Bytes) -> BTreeMap<String, Vec<i32>> {
    decode::<ConsumerProtocolAssignment>(data, 3)
        .map(|a| {
            a.assigned_partitions
                .into_iter()
                .map(|tp| (tp.topic.0.to_string(), tp.partitions))
                .collect()
        })
        .unwrap_or_default()
}

/// Kafka's range assignor: per topic, the members subscribed to it in
/// member id order each get a contiguous range of partitions, the first
/// `partitions % members` one more.
pub fn range_assign(
    subscriptions: &BTreeMap<String, Vec<String>>,
    partition_counts: &BTreeMap<String, i32>,
) -> BTreeMap<String, BTreeMap<String, Vec<i32>>> {
    let mut result: BTreeMap<String, BTreeMap<String, Vec<i32>>> = subscriptions
        .keys()
        .map(|m| (m.clone(), BTreeMap::new()))
        .collect();
    for (topic, &count) in partition_counts {
        let members: Vec<&String> = subscriptions
            .iter()
            .filter(|(_, topics)| topics.contains(topic))
            .map(|(member, _)| member)
            .collect();
        if members.is_empty() {
            continue;
        }
        let n = members.len() as i32;
        let (per, extra) = (count / n, count % n);
        for (i, member) in members.into_iter().enumerate() {
            let i = i as i32;
            let start = per * i + i.min(extra);
            let len = per + i32::from(i < extra);
            if len > 0 {
                if let Some(topics) = result.get_mut(member) {
                    topics.insert(topic.clone(), (start..start + len).collect());
                }
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_gives_the_first_members_one_more() {
        let subscriptions: BTreeMap<String, Vec<String>> = [("a", "t"), ("b", "t")]
            .iter()
            .map(|(m, t)| (m.to_string(), vec![t.to_string()]))
            .collect();
        let counts = BTreeMap::from([("t".to_string(), 3)]);
        let assigned = range_assign(&subscriptions, &counts);
        assert_eq!(assigned["a"]["t"], vec![0, 1]);
        assert_eq!(assigned["b"]["t"], vec![2]);
    }

    #[test]
    fn subscriptions_and_assignments_round_trip() {
        let bytes = subscription(&["t1".to_string()]).unwrap();
        assert_eq!(subscribed_topics(bytes), vec!["t1".to_string()]);
        let partitions = BTreeMap::from([("t1".to_string(), vec![0, 2])]);
        assert_eq!(
            assigned_partitions(assignment(&partitions).unwrap()),
            partitions
        );
    }
}
