//! The shared state the corpus sets up on both brokers (topics, records,
//! groups), named once here, and the record batches it produces.

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use uuid::Uuid;

use crate::tree::Tree;

/// Three partitions; p0 holds 3 records (offsets 0-2), p1 one.
pub const TOPIC_A: &str = "diff-a";
/// One partition, two batches of 2 records each.
pub const TOPIC_B: &str = "diff-b";
/// Two partitions, never written.
pub const TOPIC_EMPTY: &str = "diff-empty";
/// One partition with `message.timestamp.type=LogAppendTime`.
pub const TOPIC_APPEND_TIME: &str = "diff-append-time";
/// The topic the config cases alter.
pub const TOPIC_CONF: &str = "diff-conf";
/// The topic the produce cases append to (so the fetch cases' view of the
/// others stays put).
pub const TOPIC_PRODUCE: &str = "diff-produce";
/// The topic whose config the metadata barrier sets (see `configs.rs`).
pub const TOPIC_BARRIER: &str = "diff-barrier";
/// A compacted topic: every record needs a key.
pub const TOPIC_COMPACT: &str = "diff-compact";
/// Never created anywhere.
pub const UNKNOWN_TOPIC: &str = "diff-nope";
pub const UNKNOWN_TOPIC_ID: Uuid = Uuid::from_u128(0x0d1f_f000_0000_4000_8000_0000_0000_0001);

/// A consumer group with one member, formed in setup and kept alive by the
/// heartbeat cases.
pub const GROUP: &str = "diff-group";
/// A group with committed offsets and no members.
pub const SIMPLE_GROUP: &str = "diff-simple";
pub const UNKNOWN_GROUP: &str = "diff-no-group";
/// Groups of the JoinGroup and LeaveGroup cases, one per version.
pub fn join_group(version: i16) -> String {
    format!("diff-join-v{version}")
}
pub fn static_group(version: i16) -> String {
    format!("diff-static-v{version}")
}
pub fn leave_group(version: i16) -> String {
    format!("diff-leave-v{version}")
}
pub fn delete_group(version: i16) -> String {
    format!("diff-delete-v{version}")
}
/// Groups a few cases create in passing.
pub const BAD_JOIN_GROUP: &str = "diff-join-bad";
pub const EMPTY_JOIN_GROUP: &str = "diff-join-empty";
pub const NEW_COMMIT_GROUP: &str = "diff-commit-new";
/// A group only ever joined with a member id it never gave out.
pub const GHOST_JOIN_GROUP: &str = "diff-join-ghost";
/// Groups of other protocols (KIP-848, share groups) and one FindCoordinator
/// asks about without ever using.
pub const CONSUMER_GROUP: &str = "diff-848";
pub const SHARE_GROUP: &str = "diff-share";
pub const UNUSED_GROUP: &str = "diff-never-used";

/// Every group id the corpus uses: their coordinators must be ready before
/// the first group case (Kafka loads its offsets partitions in the
/// background after FindCoordinator first answers).
pub fn all_groups() -> Vec<String> {
    let mut groups: Vec<String> = [
        GROUP,
        SIMPLE_GROUP,
        UNKNOWN_GROUP,
        BAD_JOIN_GROUP,
        EMPTY_JOIN_GROUP,
        NEW_COMMIT_GROUP,
        GHOST_JOIN_GROUP,
        CONSUMER_GROUP,
        SHARE_GROUP,
        UNUSED_GROUP,
    ]
    .iter()
    .map(|g| g.to_string())
    .collect();
    for version in 0..=12 {
        groups.extend([
            join_group(version),
            static_group(version),
            leave_group(version),
            delete_group(version),
        ]);
    }
    groups
}

/// The timestamp of the first produced record: one hour before the run
/// started, whole seconds, the same for both brokers, so answers carrying
/// timestamps match. Recent on purpose: Kafka's retention pass (30 s after
/// it starts) deletes records older than retention.ms (7 days), which would
/// move log start offsets halfway through a run.
pub fn t0() -> i64 {
    static T0: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *T0.get_or_init(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(1_700_000_000);
        (now - 3600) * 1000
    })
}

/// A topic to create: (name, partitions, configs).
pub type TopicSpec = (&'static str, i32, &'static [(&'static str, &'static str)]);

/// The fixture topics.
pub const TOPICS: &[TopicSpec] = &[
    (TOPIC_A, 3, &[]),
    (TOPIC_B, 1, &[]),
    (TOPIC_EMPTY, 2, &[]),
    (
        TOPIC_APPEND_TIME,
        1,
        &[("message.timestamp.type", "LogAppendTime")],
    ),
    (TOPIC_CONF, 1, &[("retention.ms", "86400000")]),
    (TOPIC_PRODUCE, 2, &[]),
    (TOPIC_BARRIER, 1, &[]),
    (TOPIC_COMPACT, 1, &[("cleanup.policy", "compact")]),
];

/// Who produced a batch: (producer id, epoch, base sequence); `None` for a
/// plain producer.
pub type Producer = Option<(i64, i16, i32)>;

/// A v2 batch of `count` records from `first_timestamp` on, keyed `k0..`,
/// valued `v0..`, the first with a header.
pub fn batch(count: i64, first_timestamp: i64, producer: Producer) -> Bytes {
    let (producer_id, producer_epoch, sequence) = producer.unwrap_or((-1, -1, -1));
    let records: Vec<Record> = (0..count)
        .map(|i| {
            let mut headers = IndexMap::new();
            if i == 0 {
                headers.insert(
                    StrBytes::from_static_str("h"),
                    Some(Bytes::from_static(b"1")),
                );
            }
            Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id,
                producer_epoch,
                timestamp_type: TimestampType::Creation,
                offset: i,
                // The encoder starts a new batch where offset minus
                // sequence changes; a plain producer's base sequence is -1.
                sequence: if sequence < 0 {
                    i as i32 - 1
                } else {
                    sequence + i as i32
                },
                timestamp: first_timestamp + i,
                key: Some(Bytes::from(format!("k{i}"))),
                value: Some(Bytes::from(format!("v{i}"))),
                headers,
            }
        })
        .collect();
    let mut out = BytesMut::new();
    // Encoding records we built ourselves cannot fail; an empty batch shows
    // up as a difference if it ever did.
    let _ = RecordBatchEncoder::encode(
        &mut out,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    );
    out.freeze()
}

/// A v2 batch of one record per (key, timestamp), for what a broker
/// checks record by record (KIP-467); `log_append_time` sets the batch's
/// timestamp type as only a broker should.
pub fn records_batch(records: &[(Option<&str>, i64)], log_append_time: bool) -> Bytes {
    let records: Vec<Record> = records
        .iter()
        .enumerate()
        .map(|(i, (key, timestamp))| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: if log_append_time {
                TimestampType::LogAppend
            } else {
                TimestampType::Creation
            },
            offset: i as i64,
            sequence: i as i32 - 1,
            timestamp: *timestamp,
            key: key.map(|k| Bytes::from(k.to_string())),
            value: Some(Bytes::from(format!("v{i}"))),
            headers: IndexMap::new(),
        })
        .collect();
    let mut out = BytesMut::new();
    let _ = RecordBatchEncoder::encode(
        &mut out,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    );
    out.freeze()
}

/// A batch whose CRC does not match its contents.
pub fn corrupt_batch() -> Bytes {
    let mut data = batch(1, t0(), None).to_vec();
    // The CRC is bytes 17..21 of the batch.
    data[17] ^= 0xff;
    Bytes::from(data)
}

/// Whether every topic of a Metadata answer has no error and every
/// partition a leader: what "created" means to a client.
pub fn topics_ready(answer: &Tree) -> bool {
    let Some(Tree::List(topics)) = answer.at("topics") else {
        return false;
    };
    !topics.is_empty()
        && topics.iter().all(|t| {
            t.at("error_code").and_then(Tree::as_int) == Some(0)
                && matches!(t.at("partitions"), Some(Tree::List(ps)) if !ps.is_empty()
                    && ps.iter().all(|p| p.at("leader_id").and_then(Tree::as_int).unwrap_or(-1) >= 0))
        })
}

/// Whether an answer's top-level error code is 0.
pub fn no_error(answer: &Tree) -> bool {
    answer.at("error_code").and_then(Tree::as_int) == Some(0)
}

/// Whether an answer is one (not a placeholder) and every error code in it is 0.
pub fn no_error_anywhere(answer: &Tree) -> bool {
    fn clean(tree: &Tree) -> bool {
        match tree {
            Tree::Struct(fields) => fields.iter().all(|(name, value)| match value {
                Tree::Int(code) if name == "error_code" => *code == 0,
                other => clean(other),
            }),
            Tree::List(items) => items.iter().all(clean),
            _ => true,
        }
    }
    matches!(answer, Tree::Struct(_)) && clean(answer)
}

/// The consumer protocol's subscription to `topics` (what a Java consumer
/// puts in JoinGroup's protocol metadata), version 0.
pub fn subscription(topics: &[&str]) -> Bytes {
    use kafka_protocol::messages::ConsumerProtocolSubscription;
    use kafka_protocol::protocol::Encodable;
    let subscription = ConsumerProtocolSubscription::default().with_topics(
        topics
            .iter()
            .map(|t| StrBytes::from_string(t.to_string()))
            .collect(),
    );
    let mut out = BytesMut::new();
    out.extend_from_slice(&0i16.to_be_bytes());
    let _ = subscription.encode(&mut out, 0);
    out.freeze()
}

/// The consumer protocol's assignment of `partitions` of `topic`, version 0.
pub fn assignment(topic: &str, partitions: &[i32]) -> Bytes {
    use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition;
    use kafka_protocol::messages::ConsumerProtocolAssignment;
    use kafka_protocol::protocol::Encodable;
    let assignment = ConsumerProtocolAssignment::default().with_assigned_partitions(vec![
        TopicPartition::default()
            .with_topic(super::ctx::name(topic))
            .with_partitions(partitions.to_vec()),
    ]);
    let mut out = BytesMut::new();
    out.extend_from_slice(&0i16.to_be_bytes());
    let _ = assignment.encode(&mut out, 0);
    out.freeze()
}

/// A settling step: ListOffsets (latest) of every partition of `topics`
/// answers without error. Kafka's metadata names a leader a moment before
/// the leader serves the partition; this is when produce will work.
pub fn partitions_served(
    v: &crate::versions::Versions,
    label: &str,
    topics: Vec<(String, i32)>,
) -> Option<super::Case> {
    use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
    use kafka_protocol::messages::{ApiKey, ListOffsetsRequest};
    let version = v.newest(ApiKey::ListOffsets)?;
    Some(
        super::case(format!("settle: {label}"), version, move |_| {
            ListOffsetsRequest::default()
                .with_replica_id((-1).into())
                .with_topics(
                    topics
                        .iter()
                        .map(|(t, n)| {
                            ListOffsetsTopic::default()
                                .with_name(super::ctx::name(t))
                                .with_partitions(
                                    (0..*n)
                                        .map(|p| {
                                            ListOffsetsPartition::default()
                                                .with_partition_index(p)
                                                .with_timestamp(-1)
                                        })
                                        .collect(),
                                )
                        })
                        .collect(),
                )
        })
        .until(no_error_anywhere),
    )
}
