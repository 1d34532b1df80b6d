//! Versions both brokers serve that kafka-protocol 0.18 cannot write or
//! read: OffsetCommit and OffsetFetch v10 requests (topic ids), ApiVersions
//! v5 requests (cluster and node id), DescribeLogDirs v5 and DeleteGroups v3
//! responses (one field more), ListOffsets v11 (v10 on the wire). Written
//! here from Kafka 4.4's message specs, independently of klamm's own reading
//! of them, so the comparison with Kafka checks klamm's.
//!
//! The corpus builds the same typed requests at these versions as at older
//! ones (kafka-protocol's structs already carry `topic_id`); `encode` and
//! `decode` pick the hand-written form when the codec has none.

use std::any::{Any, TypeId};
use std::fmt::Debug;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Message, Request};

use crate::tree::Tree;

/// The newest request version of `api` the differential can send.
pub fn request_max(api: ApiKey) -> i16 {
    match api {
        ApiKey::ListOffsets => 11,
        ApiKey::OffsetCommit | ApiKey::OffsetFetch => 10,
        ApiKey::ApiVersions | ApiKey::DescribeLogDirs => 5,
        ApiKey::DeleteGroups => 3,
        // kafka-protocol writes every request up to its message type's
        // versions (`ApiKey::valid_versions` says InitProducerId 6, which
        // its request type does not write).
        ApiKey::InitProducerId => InitProducerIdRequest::VERSIONS.max,
        _ => api.valid_versions().max,
    }
}

/// The version whose body is the same as `version`'s, for versions that
/// only changed the semantics or the response.
fn same_request_body(api: i16, version: i16) -> i16 {
    match (ApiKey::try_from(api), version) {
        (Ok(ApiKey::ListOffsets), 11) => 10,
        (Ok(ApiKey::DescribeLogDirs), 5) => 4,
        (Ok(ApiKey::DeleteGroups), 3) => 2,
        _ => version,
    }
}

/// A request body at `version`, by hand where kafka-protocol has no writer.
pub fn encode<R: Request + Any>(request: &R, version: i16) -> Result<Vec<u8>, String> {
    let any: &dyn Any = request;
    let hand = if version == 10 {
        if let Some(r) = any.downcast_ref::<OffsetCommitRequest>() {
            Some(offset_commit_v10(r))
        } else {
            any.downcast_ref::<OffsetFetchRequest>()
                .map(offset_fetch_v10)
        }
    } else if version == 5 {
        any.downcast_ref::<ApiVersionsRequest>()
            .map(|r| api_versions_v5(r, None, -1))
    } else {
        None
    };
    if let Some(body) = hand {
        return Ok(body);
    }
    let codec_version = same_request_body(R::KEY, version);
    let mut body = BytesMut::new();
    request
        .encode(&mut body, codec_version)
        .map_err(|e| format!("cannot encode at v{version}: {e}"))?;
    Ok(body.to_vec())
}

/// A response body as a tree, by hand where kafka-protocol has no reader.
pub fn decode<T: Decodable + Debug + Any>(body: &mut Bytes, version: i16) -> Result<Tree, String> {
    let ty = TypeId::of::<T>();
    if ty == TypeId::of::<DescribeLogDirsResponse>() && version == 5 {
        return describe_log_dirs_v5(&mut Reader(body));
    }
    if ty == TypeId::of::<DeleteGroupsResponse>() && version == 3 {
        return delete_groups_v3(&mut Reader(body));
    }
    let codec_version = match version {
        11 if ty == TypeId::of::<ListOffsetsResponse>() => 10,
        5 if ty == TypeId::of::<ApiVersionsResponse>() => 4,
        v => v,
    };
    let value = T::decode(body, codec_version).map_err(|e| format!("does not decode: {e}"))?;
    Tree::of(&value)
}

// Requests.

fn uvarint(out: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn string(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        Some(s) => {
            uvarint(out, s.len() as u32 + 1);
            out.extend_from_slice(s.as_bytes());
        }
        None => out.push(0),
    }
}

fn count(out: &mut Vec<u8>, n: usize) {
    uvarint(out, n as u32 + 1);
}

const NO_TAGS: u8 = 0;

fn offset_commit_v10(r: &OffsetCommitRequest) -> Vec<u8> {
    let mut out = Vec::new();
    string(&mut out, Some(&r.group_id));
    out.put_i32(r.generation_id_or_member_epoch);
    string(&mut out, Some(&r.member_id));
    string(&mut out, r.group_instance_id.as_deref());
    count(&mut out, r.topics.len());
    for topic in &r.topics {
        out.extend_from_slice(topic.topic_id.as_bytes());
        count(&mut out, topic.partitions.len());
        for p in &topic.partitions {
            out.put_i32(p.partition_index);
            out.put_i64(p.committed_offset);
            out.put_i32(p.committed_leader_epoch);
            string(&mut out, p.committed_metadata.as_deref());
            out.push(NO_TAGS);
        }
        out.push(NO_TAGS);
    }
    out.push(NO_TAGS);
    out
}

fn offset_fetch_v10(r: &OffsetFetchRequest) -> Vec<u8> {
    let mut out = Vec::new();
    count(&mut out, r.groups.len());
    for group in &r.groups {
        string(&mut out, Some(&group.group_id));
        string(&mut out, group.member_id.as_deref());
        out.put_i32(group.member_epoch);
        match &group.topics {
            None => out.push(0),
            Some(topics) => {
                count(&mut out, topics.len());
                for topic in topics {
                    out.extend_from_slice(topic.topic_id.as_bytes());
                    count(&mut out, topic.partition_indexes.len());
                    for p in &topic.partition_indexes {
                        out.put_i32(*p);
                    }
                    out.push(NO_TAGS);
                }
            }
        }
        out.push(NO_TAGS);
    }
    out.push(u8::from(r.require_stable));
    out.push(NO_TAGS);
    out
}

/// ApiVersions v5, naming the cluster and node the client means to reach.
pub fn api_versions_v5(r: &ApiVersionsRequest, cluster_id: Option<&str>, node_id: i32) -> Vec<u8> {
    let mut out = Vec::new();
    string(&mut out, Some(&r.client_software_name));
    string(&mut out, Some(&r.client_software_version));
    string(&mut out, cluster_id);
    out.put_i32(node_id);
    out.push(NO_TAGS);
    out
}

// Responses.

struct Reader<'a>(&'a mut Bytes);

impl Reader<'_> {
    fn need(&self, n: usize) -> Result<(), String> {
        if self.0.remaining() < n {
            return Err(format!(
                "does not decode: {n} bytes needed, {} left",
                self.0.remaining()
            ));
        }
        Ok(())
    }

    fn int(&mut self, bytes: usize) -> Result<Tree, String> {
        self.need(bytes)?;
        Ok(Tree::Int(match bytes {
            1 => i64::from(self.0.get_i8()),
            2 => i64::from(self.0.get_i16()),
            4 => i64::from(self.0.get_i32()),
            _ => self.0.get_i64(),
        }))
    }

    fn boolean(&mut self) -> Result<Tree, String> {
        self.need(1)?;
        Ok(Tree::Bool(self.0.get_u8() != 0))
    }

    fn uvarint(&mut self) -> Result<u32, String> {
        let mut value = 0u32;
        for i in 0..5 {
            self.need(1)?;
            let byte = self.0.get_u8();
            value |= u32::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("does not decode: varint too long".into())
    }

    fn string(&mut self) -> Result<Tree, String> {
        let len = self.uvarint()? as usize;
        if len == 0 {
            return Ok(Tree::Null);
        }
        self.need(len - 1)?;
        let bytes = self.0.split_to(len - 1);
        Ok(Tree::Str(String::from_utf8_lossy(&bytes).into_owned()))
    }

    fn list(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<Tree, String>,
    ) -> Result<Tree, String> {
        let len = self.uvarint()? as usize;
        let n = len.checked_sub(1).ok_or("does not decode: null array")?;
        self.need(n)?;
        (0..n)
            .map(|_| item(self))
            .collect::<Result<_, _>>()
            .map(Tree::List)
    }

    /// A tag section, as kafka-protocol's `unknown_tagged_fields` shows it.
    fn tags(&mut self) -> Result<(String, Tree), String> {
        let mut tags = Vec::new();
        for _ in 0..self.uvarint()? {
            let tag = self.uvarint()?;
            let size = self.uvarint()? as usize;
            self.need(size)?;
            tags.push((tag.to_string(), Tree::Bytes(self.0.split_to(size).to_vec())));
        }
        Ok(("unknown_tagged_fields".into(), Tree::Map(tags)))
    }
}

fn fields(list: Vec<(&str, Tree)>, tags: (String, Tree)) -> Tree {
    let mut fields: Vec<(String, Tree)> =
        list.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    fields.push(tags);
    Tree::Struct(fields)
}

fn describe_log_dirs_v5(r: &mut Reader<'_>) -> Result<Tree, String> {
    let throttle = r.int(4)?;
    let error = r.int(2)?;
    let results = r.list(|r| {
        let error = r.int(2)?;
        let log_dir = r.string()?;
        let topics = r.list(|r| {
            let name = r.string()?;
            let partitions = r.list(|r| {
                let list = vec![
                    ("partition_index", r.int(4)?),
                    ("partition_size", r.int(8)?),
                    ("offset_lag", r.int(8)?),
                    ("is_future_key", r.boolean()?),
                ];
                Ok(fields(list, r.tags()?))
            })?;
            Ok(fields(
                vec![("name", name), ("partitions", partitions)],
                r.tags()?,
            ))
        })?;
        let list = vec![
            ("error_code", error),
            ("log_dir", log_dir),
            ("topics", topics),
            ("total_bytes", r.int(8)?),
            ("usable_bytes", r.int(8)?),
            ("is_cordoned", r.boolean()?),
        ];
        Ok(fields(list, r.tags()?))
    })?;
    let list = vec![
        ("throttle_time_ms", throttle),
        ("error_code", error),
        ("results", results),
    ];
    Ok(fields(list, r.tags()?))
}

fn delete_groups_v3(r: &mut Reader<'_>) -> Result<Tree, String> {
    let throttle = r.int(4)?;
    let results = r.list(|r| {
        let list = vec![
            ("group_id", r.string()?),
            ("error_code", r.int(2)?),
            ("error_message", r.string()?),
        ];
        Ok(fields(list, r.tags()?))
    })?;
    Ok(fields(
        vec![("throttle_time_ms", throttle), ("results", results)],
        r.tags()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::offset_commit_request::{
        OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    };
    use kafka_protocol::protocol::Encodable;
    use kafka_protocol::protocol::StrBytes;

    #[test]
    fn v10_requests_carry_topic_ids_where_v9_has_names() {
        let id = uuid::Uuid::from_u128(5);
        let request = OffsetCommitRequest::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")))
            .with_topics(vec![OffsetCommitRequestTopic::default()
                .with_topic_id(id)
                .with_partitions(vec![OffsetCommitRequestPartition::default()])]);
        let v10 = encode(&request, 10).expect("v10");
        let v9 = encode(&request, 9).expect("v9");
        // v9 writes the empty name in 1 byte where v10 writes 16 of id.
        assert_eq!(v10.len(), v9.len() + 15);
        assert!(v10.windows(16).any(|w| w == id.as_bytes()));
        let lo = encode(&ListOffsetsRequest::default(), 11).expect("v11");
        assert_eq!(lo, encode(&ListOffsetsRequest::default(), 10).expect("v10"));
    }

    #[test]
    fn hand_decoded_responses_look_like_kafka_protocols() {
        // DeleteGroups v3: throttle 0, one result ("g", 69, null message).
        let mut body = Bytes::from_static(&[0, 0, 0, 0, 2, 2, b'g', 0, 69, 0, 0, 0]);
        let tree = decode::<DeleteGroupsResponse>(&mut body, 3).expect("decodes");
        assert!(body.is_empty());
        assert_eq!(tree.at("results.0.error_code"), Some(&Tree::Int(69)));
        assert_eq!(tree.at("results.0.error_message"), Some(&Tree::Null));
        let mut v2 = BytesMut::new();
        DeleteGroupsResponse::default()
            .encode(&mut v2, 2)
            .expect("encodes");
        let codec = decode::<DeleteGroupsResponse>(&mut v2.freeze(), 2).expect("decodes");
        assert_eq!(codec.at("results"), Some(&Tree::List(Vec::new())));
    }
}
