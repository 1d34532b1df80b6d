//! The durable record of the cluster: its id, its topics (names, ids,
//! partition counts, replication factors, replica placements, configs), the
//! client quotas, the finalized feature levels and the metadata log's
//! position (what DescribeQuorum reports). Written atomically on every
//! change; partition data lives in the log directories beside it. Fields
//! added after the first format default when absent, so older files load.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::topic_config::BrokerDefaults;
use crate::storage::{read_json, write_atomically, StorageError};

pub const FILE_NAME: &str = "cluster.json";
const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredTopic {
    pub name: String,
    pub id: Uuid,
    pub partitions: i32,
    pub replication_factor: i16,
    #[serde(default)]
    pub configs: BTreeMap<String, String>,
    /// Replica lists placed by hand (CreateTopics, CreatePartitions,
    /// AlterPartitionReassignments), by partition index; an empty list (or
    /// none) is klamm's own placement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<Vec<i32>>,
}

/// One client quota entity and its values (AlterClientQuotas).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StoredQuota {
    /// (entity type, entity name); a null name is the type's default.
    pub entity: Vec<(String, Option<String>)>,
    pub values: BTreeMap<String, f64>,
}

/// Where the metadata log stands: the quorum's epoch (one more at every
/// start, as a one-voter KRaft quorum elects itself anew) and the offset of
/// its next record (one per metadata change).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredMetadataLog {
    pub epoch: i32,
    pub end_offset: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StoredCluster {
    pub version: u32,
    pub cluster_id: String,
    pub topics: Vec<StoredTopic>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_quotas: Vec<StoredQuota>,
    /// Feature levels finalized by UpdateFeatures that differ from klamm's
    /// defaults.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub features: BTreeMap<String, i16>,
    #[serde(default)]
    pub metadata_log: StoredMetadataLog,
    /// Dynamic broker configs (IncrementalAlterConfigs on a BROKER).
    #[serde(default, skip_serializing_if = "StoredBrokerConfigs::is_empty")]
    pub broker_configs: StoredBrokerConfigs,
}

/// Dynamic broker configs: the cluster-wide defaults, and each broker's own
/// (by node id).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredBrokerConfigs {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cluster: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub brokers: BTreeMap<i32, BTreeMap<String, String>>,
}

impl StoredBrokerConfigs {
    fn is_empty(&self) -> bool {
        self.cluster.is_empty() && self.brokers.is_empty()
    }
}

impl StoredCluster {
    /// A new cluster's record, with the cluster-wide min.insync.replicas
    /// Kafka writes when it formats a cluster with eligible leader replicas
    /// on (see `dynamic_configs::MIN_INSYNC_REPLICAS`).
    pub fn new_with(defaults: &BrokerDefaults) -> Self {
        let mut fresh = Self::new();
        let min_isr = defaults.get("min.insync.replicas").unwrap_or("1");
        fresh.broker_configs.cluster.insert(
            super::dynamic_configs::MIN_INSYNC_REPLICAS.to_string(),
            min_isr.to_string(),
        );
        fresh
    }

    pub fn new() -> Self {
        Self {
            version: FORMAT_VERSION,
            cluster_id: new_cluster_id(),
            topics: Vec::new(),
            client_quotas: Vec::new(),
            features: BTreeMap::new(),
            metadata_log: StoredMetadataLog::default(),
            broker_configs: StoredBrokerConfigs::default(),
        }
    }

    /// Reads the file; `Ok(None)` if there is none yet.
    pub fn load(dir: &Path) -> Result<Option<Self>, StorageError> {
        let path = dir.join(FILE_NAME);
        let Some(stored) = read_json::<Self>(&path)? else {
            return Ok(None);
        };
        if stored.version != FORMAT_VERSION {
            return Err(StorageError::BadMetadata {
                path,
                reason: format!("format version {} is not {FORMAT_VERSION}", stored.version),
            });
        }
        Ok(Some(stored))
    }

    pub fn save(&self, dir: &Path) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| StorageError::BadMetadata {
            path: dir.join(FILE_NAME),
            reason: e.to_string(),
        })?;
        write_atomically(&dir.join(FILE_NAME), &bytes)
    }
}

/// A cluster id in Kafka's form: a random UUID in URL-safe base64 without
/// padding (22 characters), never starting with '-' (which command-line
/// tools would read as a flag).
pub fn new_cluster_id() -> String {
    loop {
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Uuid::new_v4().as_bytes());
        if !id.starts_with('-') {
            return id;
        }
    }
}

/// A random topic id; Kafka reserves the all-zero UUID for "no id".
pub fn new_topic_id() -> Uuid {
    loop {
        let id = Uuid::new_v4();
        if !id.is_nil() {
            return id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_ids_look_like_kafkas() {
        let id = new_cluster_id();
        assert_eq!(id.len(), 22);
        assert!(!id.starts_with('-'));
    }

    #[test]
    fn the_file_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        assert!(StoredCluster::load(dir.path()).unwrap().is_none());
        let mut cluster = StoredCluster::new();
        cluster.topics.push(StoredTopic {
            name: "orders".into(),
            id: new_topic_id(),
            partitions: 3,
            replication_factor: 1,
            configs: BTreeMap::from([("retention.ms".to_string(), "1000".to_string())]),
            replicas: vec![vec![1], vec![]],
        });
        cluster.client_quotas.push(StoredQuota {
            entity: vec![("user".into(), None)],
            values: BTreeMap::from([("producer_byte_rate".to_string(), 1024.0)]),
        });
        cluster.features.insert("group.version".into(), 0);
        cluster.metadata_log = StoredMetadataLog {
            epoch: 3,
            end_offset: 17,
        };
        cluster.save(dir.path()).unwrap();
        assert_eq!(StoredCluster::load(dir.path()).unwrap(), Some(cluster));
    }

    #[test]
    fn a_file_of_the_first_format_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        let old = r#"{"version":1,"cluster_id":"abc","topics":[{"name":"t","id":"6f1c1c59-7a8e-4c55-9a55-0c1fbd7c7a01","partitions":1,"replication_factor":1}]}"#;
        std::fs::write(dir.path().join(FILE_NAME), old).unwrap();
        let loaded = StoredCluster::load(dir.path()).unwrap().unwrap();
        assert!(loaded.topics[0].replicas.is_empty());
        assert!(loaded.client_quotas.is_empty());
        assert_eq!(loaded.metadata_log, StoredMetadataLog::default());
    }

    #[test]
    fn a_damaged_file_is_an_error_not_an_empty_cluster() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), b"{ not json").unwrap();
        assert!(matches!(
            StoredCluster::load(dir.path()),
            Err(StorageError::BadMetadata { .. })
        ));
    }
}
