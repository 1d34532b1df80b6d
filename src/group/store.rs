//! The durable record of consumer groups: committed offsets and each group's
//! last stable membership, in a log of their own (Kafka's
//! `__consumer_offsets` idea) that is replayed at start-up.
//!
//! Every change is one record batch: a key naming what changed and a JSON
//! value (or no value, a tombstone, for a deletion). The latest record per
//! key wins on replay. When the log has grown well past what is still live,
//! a snapshot of the live state is appended to a fresh segment and the older
//! segments are dropped, so the log stays small however often offsets are
//! committed.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::storage::batch::BatchHeader;
use crate::storage::builder::{build_batch, read_records, KeyValue};
use crate::storage::{
    now_ms, validate_batch, Durable, PartitionLog, StorageError, ValidationRules,
};

/// Snapshots happen once the log holds this much more than the live state.
const MIN_COMPACTION_BYTES: u64 = 16 << 20;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Hash, PartialOrd, Ord)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum RecordKey {
    Offset {
        group: String,
        topic: String,
        partition: i32,
    },
    Group {
        group: String,
    },
}

/// A committed offset as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Committed {
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: Option<String>,
    pub commit_timestamp: i64,
}

mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}

/// A member as stored with its group's stable generation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMember {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: u64,
    pub rebalance_timeout_ms: u64,
    pub protocols: Vec<StoredProtocol>,
    #[serde(with = "base64_bytes")]
    pub assignment: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredProtocol {
    pub name: String,
    #[serde(with = "base64_bytes")]
    pub metadata: Vec<u8>,
}

/// A group at its last stable (or empty) point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredGroup {
    pub protocol_type: String,
    pub generation: i32,
    pub protocol: Option<String>,
    pub leader: Option<String>,
    pub members: Vec<StoredMember>,
}

/// What the store knows about one group.
#[derive(Clone, Debug, Default)]
pub struct GroupRecord {
    pub offsets: BTreeMap<(String, i32), Committed>,
    pub group: Option<StoredGroup>,
}

impl GroupRecord {
    fn is_empty(&self) -> bool {
        self.group.is_none() && self.offsets.is_empty()
    }
}

impl RecordKey {
    fn group(&self) -> &str {
        match self {
            RecordKey::Offset { group, .. } | RecordKey::Group { group } => group,
        }
    }
}

struct Inner {
    groups: HashMap<String, GroupRecord>,
    appended_since_snapshot: u64,
}

/// Committed offsets and group state for every group, kept in memory and in
/// their log.
pub struct GroupStore {
    inner: Mutex<Inner>,
    log: Arc<PartitionLog>,
}

fn encode_key(key: &RecordKey) -> Vec<u8> {
    serde_json::to_vec(key).unwrap_or_default()
}

fn rules() -> ValidationRules {
    ValidationRules {
        max_message_bytes: usize::MAX,
        log_append_time: false,
        require_keys: true,
        allow_zstd: false,
        timestamp_before_max_ms: i64::MAX,
        timestamp_after_max_ms: i64::MAX,
        now_ms: 0,
    }
}

impl GroupStore {
    /// Opens the store on its log and replays every record in it.
    pub fn open(log: Arc<PartitionLog>) -> Result<Self, StorageError> {
        let mut groups: HashMap<String, GroupRecord> = HashMap::new();
        let offsets = log.offsets()?;
        let mut position = offsets.log_start_offset;
        let mut replayed = 0usize;
        while position < offsets.high_watermark {
            let read = log.read(position, 1 << 20, true)?;
            if read.records.is_empty() {
                break;
            }
            let mut rest = &read.records[..];
            while let Some(header) = BatchHeader::parse(rest) {
                let Some(size) = header.total_size().filter(|&s| s <= rest.len()) else {
                    break;
                };
                match read_records(&rest[..size]) {
                    Ok(records) => {
                        for record in records {
                            replayed += 1;
                            apply(&mut groups, record.key, record.value);
                        }
                    }
                    Err(e) => {
                        warn!(offset = header.base_offset, error = %e, "skipping an unreadable group record batch")
                    }
                }
                position = header.next_offset();
                rest = &rest[size..];
            }
        }
        groups.retain(|_, g| !g.is_empty());
        if replayed > 0 {
            info!(
                groups = groups.len(),
                records = replayed,
                "loaded committed offsets and groups"
            );
        }
        Ok(Self {
            inner: Mutex::new(Inner {
                groups,
                appended_since_snapshot: 0,
            }),
            log,
        })
    }

    /// Trims the log's indexes for a clean restart.
    pub fn close(&self) {
        self.log.close();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every group the store knows, with what it knows of it.
    pub fn groups(&self) -> HashMap<String, GroupRecord> {
        self.lock().groups.clone()
    }

    pub fn has_offsets(&self, group: &str) -> bool {
        self.lock()
            .groups
            .get(group)
            .is_some_and(|g| !g.offsets.is_empty())
    }

    /// The committed offsets of a group: all of them, or those asked for.
    pub fn offsets(&self, group: &str) -> BTreeMap<(String, i32), Committed> {
        self.lock()
            .groups
            .get(group)
            .map(|g| g.offsets.clone())
            .unwrap_or_default()
    }

    /// Appends records and applies them once they are in the log.
    fn write(
        &self,
        records: Vec<(RecordKey, Option<Vec<u8>>)>,
    ) -> Result<Option<Durable>, StorageError> {
        if records.is_empty() {
            return Ok(None);
        }
        let mut inner = self.lock();
        let encoded: Vec<(Vec<u8>, Option<Vec<u8>>)> = records
            .iter()
            .map(|(k, v)| (encode_key(k), v.clone()))
            .collect();
        let durable = self.append(&encoded).inspect_err(|e| {
            warn!(error = %e, "could not store a group change; the request is refused");
        })?;
        for ((key, value), (raw_key, _)) in records.into_iter().zip(&encoded) {
            inner.appended_since_snapshot +=
                (raw_key.len() + value.as_ref().map_or(0, Vec::len)) as u64;
            let group = key.group().to_string();
            apply_record(&mut inner.groups, key, value.as_deref());
            // Only the groups a write touched can have become empty.
            if inner.groups.get(&group).is_some_and(GroupRecord::is_empty) {
                inner.groups.remove(&group);
            }
        }
        // Estimating the live state walks every group: do it only once
        // enough was appended for a snapshot to be possible.
        if inner.appended_since_snapshot > MIN_COMPACTION_BYTES
            && inner.appended_since_snapshot > 4 * estimate_live_bytes(&inner.groups)
        {
            if let Err(e) = self.snapshot(&mut inner) {
                warn!(error = %e, "could not compact the group log; it keeps growing until the next try");
            }
        }
        Ok(durable)
    }

    fn append(
        &self,
        records: &[(Vec<u8>, Option<Vec<u8>>)],
    ) -> Result<Option<Durable>, StorageError> {
        let borrowed: Vec<KeyValue<'_>> = records
            .iter()
            .map(|(k, v)| (Some(k.as_slice()), v.as_deref()))
            .collect();
        let now = now_ms();
        let mut durable = None;
        // Keep batches well below a segment: a snapshot of many groups is
        // written in chunks.
        for chunk in borrowed.chunks(1_000) {
            let batch = validate_batch(build_batch(chunk, now), &rules()).map_err(|e| {
                StorageError::BadMetadata {
                    path: self.log.name().into(),
                    reason: format!("built an invalid group record batch: {e}"),
                }
            })?;
            durable = self.log.append(batch, now)?.durable;
        }
        Ok(durable)
    }

    /// Rewrites the live state into a fresh segment and drops the older ones.
    fn snapshot(&self, inner: &mut Inner) -> Result<(), StorageError> {
        let start = self.log.roll_now(now_ms())?;
        let mut records = Vec::new();
        for (group, record) in &inner.groups {
            if let Some(stored) = &record.group {
                records.push((
                    encode_key(&RecordKey::Group {
                        group: group.clone(),
                    }),
                    serde_json::to_vec(stored).ok(),
                ));
            }
            for ((topic, partition), committed) in &record.offsets {
                let key = RecordKey::Offset {
                    group: group.clone(),
                    topic: topic.clone(),
                    partition: *partition,
                };
                records.push((encode_key(&key), serde_json::to_vec(committed).ok()));
            }
        }
        self.append(&records)?;
        let removed = self.log.delete_segments_below(start)?;
        inner.appended_since_snapshot = 0;
        info!(
            records = records.len(),
            freed_bytes = removed.bytes,
            "compacted the group log"
        );
        Ok(())
    }

    /// Stores committed offsets for a group.
    pub fn commit(
        &self,
        group: &str,
        offsets: &[(String, i32, Committed)],
    ) -> Result<Option<Durable>, StorageError> {
        let records = offsets
            .iter()
            .map(|(topic, partition, committed)| {
                let key = RecordKey::Offset {
                    group: group.to_string(),
                    topic: topic.clone(),
                    partition: *partition,
                };
                (key, serde_json::to_vec(committed).ok())
            })
            .collect();
        self.write(records)
    }

    /// Deletes committed offsets (tombstones).
    pub fn delete_offsets(
        &self,
        group: &str,
        partitions: &[(String, i32)],
    ) -> Result<(), StorageError> {
        let records = partitions
            .iter()
            .map(|(topic, partition)| {
                let key = RecordKey::Offset {
                    group: group.to_string(),
                    topic: topic.clone(),
                    partition: *partition,
                };
                (key, None)
            })
            .collect();
        self.write(records).map(|_| ())
    }

    /// Records a group's stable membership, or forgets it.
    pub fn store_group(
        &self,
        group: &str,
        stored: Option<&StoredGroup>,
    ) -> Result<(), StorageError> {
        let value = stored.and_then(|s| serde_json::to_vec(s).ok());
        self.write(vec![(
            RecordKey::Group {
                group: group.to_string(),
            },
            value,
        )])
        .map(|_| ())
    }

    /// Forgets a group and all its offsets.
    pub fn delete_group(&self, group: &str) -> Result<(), StorageError> {
        let mut records: Vec<(RecordKey, Option<Vec<u8>>)> = self
            .offsets(group)
            .into_keys()
            .map(|(topic, partition)| {
                (
                    RecordKey::Offset {
                        group: group.to_string(),
                        topic,
                        partition,
                    },
                    None,
                )
            })
            .collect();
        records.push((
            RecordKey::Group {
                group: group.to_string(),
            },
            None,
        ));
        self.write(records).map(|_| ())
    }
}

fn estimate_live_bytes(groups: &HashMap<String, GroupRecord>) -> u64 {
    groups
        .iter()
        .map(|(name, g)| {
            let offsets = g.offsets.len() as u64 * (120 + name.len() as u64);
            let group = g.group.as_ref().map_or(0, |s| {
                200 + s
                    .members
                    .iter()
                    .map(|m| {
                        200 + m.assignment.len()
                            + m.protocols.iter().map(|p| p.metadata.len()).sum::<usize>()
                    })
                    .sum::<usize>() as u64
            });
            offsets + group
        })
        .sum()
}

/// Applies one stored record at replay (the latest per key wins).
fn apply(groups: &mut HashMap<String, GroupRecord>, key: Option<&[u8]>, value: Option<&[u8]>) {
    match key.and_then(|k| serde_json::from_slice::<RecordKey>(k).ok()) {
        Some(key) => apply_record(groups, key, value),
        None => warn!("skipping a group record with an unreadable key"),
    }
}

fn apply_record(groups: &mut HashMap<String, GroupRecord>, key: RecordKey, value: Option<&[u8]>) {
    match key {
        RecordKey::Offset {
            group,
            topic,
            partition,
        } => {
            let entry = groups.entry(group).or_default();
            match value.and_then(|v| serde_json::from_slice::<Committed>(v).ok()) {
                Some(committed) => {
                    entry.offsets.insert((topic, partition), committed);
                }
                None => {
                    entry.offsets.remove(&(topic, partition));
                }
            }
        }
        RecordKey::Group { group } => {
            let entry = groups.entry(group).or_default();
            entry.group = value.and_then(|v| serde_json::from_slice::<StoredGroup>(v).ok());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{LogConfig, Storage};

    fn committed(offset: i64) -> Committed {
        Committed {
            offset,
            leader_epoch: 0,
            metadata: Some("meta".into()),
            commit_timestamp: 1,
        }
    }

    fn open(storage: &Storage, config: LogConfig) -> GroupStore {
        GroupStore::open(storage.open_internal("group-state", config).unwrap()).unwrap()
    }

    #[test]
    fn offsets_and_groups_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path(), false).unwrap();
        let store = open(&storage, LogConfig::default());
        store
            .commit(
                "g",
                &[("t".into(), 0, committed(5)), ("t".into(), 1, committed(7))],
            )
            .unwrap();
        store.commit("g", &[("t".into(), 0, committed(6))]).unwrap();
        store.delete_offsets("g", &[("t".into(), 1)]).unwrap();
        let group = StoredGroup {
            protocol_type: "consumer".into(),
            generation: 3,
            protocol: Some("range".into()),
            leader: Some("m-1".into()),
            members: vec![],
        };
        store.store_group("g", Some(&group)).unwrap();
        store
            .commit("gone", &[("t".into(), 0, committed(1))])
            .unwrap();
        store.delete_group("gone").unwrap();
        drop(store);

        let store = open(&storage, LogConfig::default());
        let offsets = store.offsets("g");
        assert_eq!(offsets.len(), 1);
        assert_eq!(offsets[&("t".to_string(), 0)].offset, 6);
        assert_eq!(store.groups()["g"].group, Some(group));
        assert!(!store.groups().contains_key("gone"));
    }

    #[test]
    fn the_log_is_compacted_into_a_snapshot() {
        let storage = Storage::in_memory();
        let config = LogConfig {
            segment_bytes: 1 << 20,
            ..LogConfig::default()
        };
        let store = open(&storage, config);
        // Enough commits of the same key to pass the compaction threshold.
        for i in 0..150_000 {
            store
                .commit("g", &[("topic".into(), 0, committed(i))])
                .unwrap();
        }
        let size = store.log.size_bytes().unwrap();
        assert!(size < 8 << 20, "the log was compacted: {size} bytes");
        assert!(store.log.offsets().unwrap().log_start_offset > 0);
        assert_eq!(
            store.offsets("g")[&("topic".to_string(), 0)].offset,
            149_999
        );
    }
}
