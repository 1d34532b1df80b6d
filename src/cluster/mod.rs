//! Cluster metadata: the cluster id, the brokers and their addresses, and
//! the topics with their ids, partitions, replica placement and configs.
//!
//! This is what Metadata, CreateTopics and DeleteTopics read and change. It
//! owns the partition logs (opened through storage) and keeps the durable
//! record of topics in step with them: a topic exists once its record is on
//! disk, and is gone once its removal is. Beside the topics it keeps what a
//! KRaft controller would: client quotas, finalized features and the
//! metadata log's position.

mod admin;
mod controller;
pub mod dynamic_configs;
mod error;
pub mod features;
mod metadata_file;
pub mod names;
pub mod placement;
pub mod quorum;
pub mod quotas;
pub mod topic_config;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tracing::{info, warn};
use uuid::Uuid;

use dynamic_configs::DynamicConfigs;
pub use error::ClusterError;
use features::FinalizedFeatures;
use metadata_file::{new_topic_id, StoredBrokerConfigs, StoredCluster, StoredQuota, StoredTopic};
use quorum::MetadataLog;
use quotas::ClientQuotas;
use topic_config::{BrokerDefaults, TopicConfigs, TopicSettings};

use crate::storage::{PartitionLog, Storage, StorageError};

/// Kafka has no hard limit; klamm refuses absurd counts (a typo should not
/// create a million directories).
pub const MAX_PARTITIONS_PER_TOPIC: i32 = 100_000;

/// Kafka's internal topic of committed offsets. klamm keeps committed
/// offsets in a log of its own (`group::store`), in its own format, and
/// shows this topic as Kafka does (Metadata, DescribeLogDirs, DescribeConfigs)
/// so that tools which list or skip internal topics behave as on Kafka. Its
/// partitions are empty and in memory: a client that fetches from it reads
/// nothing, a producer is refused, and it is never persisted, created or
/// deleted as a user topic.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";
/// Kafka's default `offsets.topic.num.partitions`.
pub const OFFSETS_TOPIC_PARTITIONS: i32 = 50;
/// The configs Kafka's group coordinator sets on the offsets topic.
const OFFSETS_TOPIC_CONFIGS: [(&str, &str); 3] = [
    ("cleanup.policy", "compact"),
    ("compression.type", "producer"),
    ("segment.bytes", "104857600"),
];

/// Where clients reach a broker on one listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub listener: String,
    pub host: String,
    pub port: u16,
}

/// A broker of the cluster as clients see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerNode {
    pub node_id: i32,
    pub endpoints: Vec<Endpoint>,
}

impl BrokerNode {
    /// The address to give a client that came in on `listener`.
    pub fn endpoint(&self, listener: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.listener == listener)
    }
}

/// A topic and its partition logs.
pub struct Topic {
    pub name: String,
    pub id: Uuid,
    pub replication_factor: i16,
    /// Kafka's internal topic (`OFFSETS_TOPIC`): shown, not stored.
    pub internal: bool,
    /// Bytes and records in and out, for `/metrics`.
    pub traffic: crate::metrics::TopicTraffic,
    partitions: RwLock<Vec<Arc<PartitionLog>>>,
    configs: RwLock<Arc<(TopicConfigs, TopicSettings)>>,
    /// Replica lists placed by hand, by partition; empty: klamm's placement.
    assignment: RwLock<Vec<Vec<i32>>>,
}

impl Topic {
    pub fn partition(&self, index: i32) -> Option<Arc<PartitionLog>> {
        let partitions = self
            .partitions
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        usize::try_from(index)
            .ok()
            .and_then(|i| partitions.get(i).cloned())
    }

    pub fn partition_count(&self) -> i32 {
        self.partitions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len() as i32
    }

    pub fn partitions(&self) -> Vec<Arc<PartitionLog>> {
        self.partitions
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The configs set on the topic.
    pub fn configs(&self) -> TopicConfigs {
        self.configs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .clone()
    }

    /// The effective settings in typed form.
    pub fn settings(&self) -> TopicSettings {
        self.configs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .1
    }
}

/// A topic as a client asks for it (CreateTopics or auto-creation).
#[derive(Clone, Debug, Default)]
pub struct NewTopic {
    pub name: String,
    /// `-1`: the broker's default.
    pub num_partitions: i32,
    /// `-1`: the broker's default.
    pub replication_factor: i16,
    /// Manual replica assignment: (partition, broker ids).
    pub assignments: Vec<(i32, Vec<i32>)>,
    pub configs: Vec<(String, Option<String>)>,
}

/// A checked topic, ready to be created.
#[derive(Clone, Debug)]
pub struct TopicPlan {
    pub name: String,
    pub partitions: i32,
    pub replication_factor: i16,
    pub configs: TopicConfigs,
    /// The manual assignment, by partition (empty: klamm places replicas).
    pub assignment: Vec<Vec<i32>>,
}

/// Cluster-wide settings that shape topics.
#[derive(Clone, Debug)]
pub struct ClusterSettings {
    pub brokers: Vec<BrokerNode>,
    pub controller_id: i32,
    pub default_partitions: i32,
    pub default_replication_factor: i16,
    pub defaults: BrokerDefaults,
}

#[derive(Default)]
struct TopicMap {
    by_name: HashMap<String, Arc<Topic>>,
    by_id: HashMap<Uuid, Arc<Topic>>,
}

pub struct Cluster {
    cluster_id: String,
    settings: ClusterSettings,
    storage: Storage,
    /// Also the lock every `cluster.json` write holds, so writes never
    /// interleave.
    topics: RwLock<TopicMap>,
    quotas: RwLock<ClientQuotas>,
    features: RwLock<FinalizedFeatures>,
    metadata_log: MetadataLog,
    /// Dynamic broker configs, and the topic defaults they make with the
    /// static ones (what every topic's settings are computed from).
    dynamic: RwLock<DynamicConfigs>,
    defaults: RwLock<Arc<BrokerDefaults>>,
}

impl Cluster {
    /// Loads the cluster record and opens every partition (recovering them
    /// if the last shutdown was not clean). A new data directory gets a new
    /// cluster id.
    pub fn open(storage: Storage, settings: ClusterSettings) -> Result<Self, ClusterError> {
        let stored = match storage.root() {
            Some(root) => match StoredCluster::load(root)? {
                Some(stored) => stored,
                None => {
                    let fresh = StoredCluster::new_with(&settings.defaults);
                    fresh.save(root)?;
                    info!(cluster_id = %fresh.cluster_id, dir = %root.display(), "created a new cluster");
                    fresh
                }
            },
            None => StoredCluster::new_with(&settings.defaults),
        };
        let dynamic = DynamicConfigs::from_stored(
            stored.broker_configs.cluster.clone(),
            stored.broker_configs.brokers.clone(),
        );
        let defaults = Arc::new(combined_defaults(&settings, &dynamic));
        let metadata_log = MetadataLog::starting(stored.metadata_log, storage.root());
        let cluster = Self {
            cluster_id: stored.cluster_id.clone(),
            settings,
            storage,
            topics: RwLock::new(TopicMap::default()),
            quotas: RwLock::new(ClientQuotas::from_stored(
                stored
                    .client_quotas
                    .iter()
                    .map(|q| (q.entity.iter().cloned().collect(), q.values.clone())),
            )),
            features: RwLock::new(FinalizedFeatures::from_stored(stored.features.clone())),
            metadata_log,
            dynamic: RwLock::new(dynamic),
            defaults: RwLock::new(defaults),
        };
        let mut map = TopicMap::default();
        for stored_topic in stored.topics {
            let configs = TopicConfigs::from_stored(stored_topic.configs.clone());
            let topic = cluster.open_topic(
                &stored_topic.name,
                stored_topic.id,
                stored_topic.partitions,
                stored_topic.replication_factor,
                configs,
                stored_topic.replicas.clone(),
            )?;
            map.by_id.insert(topic.id, Arc::clone(&topic));
            map.by_name.insert(topic.name.clone(), topic);
        }
        cluster
            .storage
            .remove_orphans(&|dir| is_partition_of(&map, dir));
        if map.by_name.contains_key(OFFSETS_TOPIC) {
            warn!(
                topic = OFFSETS_TOPIC,
                "a user topic has the internal offsets topic's name (created by an older klamm); it is kept as it is"
            );
        } else {
            let topic = cluster.offsets_topic()?;
            map.by_id.insert(topic.id, Arc::clone(&topic));
            map.by_name.insert(topic.name.clone(), topic);
        }
        *cluster.write() = map;
        Ok(cluster)
    }

    /// The internal offsets topic: empty partitions in memory, an id that
    /// stays the same across restarts of the cluster (clients cache ids).
    fn offsets_topic(&self) -> Result<Arc<Topic>, StorageError> {
        let overrides = OFFSETS_TOPIC_CONFIGS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let configs = TopicConfigs::from_stored(overrides);
        let settings = configs.settings(&self.defaults());
        let logs = (0..OFFSETS_TOPIC_PARTITIONS)
            .map(|p| self.storage.open_in_memory(OFFSETS_TOPIC, p, settings.log))
            .collect::<Result<Vec<_>, _>>()?;
        let mut seed = [0u8; 16];
        for (i, byte) in self
            .cluster_id
            .bytes()
            .chain(OFFSETS_TOPIC.bytes())
            .enumerate()
        {
            seed[i % 16] = seed[i % 16].rotate_left(3) ^ byte;
        }
        Ok(Arc::new(Topic {
            name: OFFSETS_TOPIC.to_string(),
            id: uuid::Builder::from_random_bytes(seed).into_uuid(),
            replication_factor: 1,
            internal: true,
            traffic: crate::metrics::TopicTraffic::default(),
            partitions: RwLock::new(logs),
            configs: RwLock::new(Arc::new((configs, settings))),
            assignment: RwLock::new(Vec::new()),
        }))
    }

    fn read(&self) -> RwLockReadGuard<'_, TopicMap> {
        self.topics.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, TopicMap> {
        self.topics.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    pub fn settings(&self) -> &ClusterSettings {
        &self.settings
    }

    pub fn brokers(&self) -> &[BrokerNode] {
        &self.settings.brokers
    }

    /// Each broker's node id and address on `listener`.
    pub fn endpoints<'a>(
        &'a self,
        listener: &'a str,
    ) -> impl Iterator<Item = (i32, &'a Endpoint)> + 'a {
        self.settings
            .brokers
            .iter()
            .filter_map(move |b| b.endpoint(listener).map(|e| (b.node_id, e)))
    }

    pub fn controller_id(&self) -> i32 {
        self.settings.controller_id
    }

    /// The topic defaults in force: static settings under dynamic broker
    /// configs.
    pub fn defaults(&self) -> Arc<BrokerDefaults> {
        Arc::clone(&self.defaults.read().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn data_dir(&self) -> Option<PathBuf> {
        self.storage.root().map(PathBuf::from)
    }

    /// The replicas of a partition: consecutive brokers starting at one that
    /// rotates with the partition index, so leadership spreads evenly. A
    /// replication factor above the broker count (a topic created when more
    /// brokers were simulated) is cut to the brokers there are.
    pub fn replicas(&self, partition: i32, replication_factor: i16) -> Vec<i32> {
        let brokers = &self.settings.brokers;
        let n = brokers.len();
        let count = (replication_factor.max(1) as usize).min(n);
        (0..count)
            .map(|i| brokers[(partition.max(0) as usize + i) % n].node_id)
            .collect()
    }

    /// The broker that leads a partition: its first replica (klamm elects
    /// the preferred leader at once, every replica being in sync).
    pub fn leader(&self, topic: &Topic, partition: i32) -> i32 {
        self.partition_replicas(topic, partition)
            .first()
            .copied()
            .unwrap_or(-1)
    }

    /// The broker that coordinates every group: the controller. (Kafka
    /// spreads groups over brokers; clients find the coordinator either way.)
    pub fn coordinator_id(&self) -> i32 {
        self.settings.controller_id
    }

    pub fn topic(&self, name: &str) -> Option<Arc<Topic>> {
        self.read().by_name.get(name).cloned()
    }

    pub fn topic_by_id(&self, id: &Uuid) -> Option<Arc<Topic>> {
        self.read().by_id.get(id).cloned()
    }

    /// All topics, sorted by name.
    pub fn topics(&self) -> Vec<Arc<Topic>> {
        let mut topics: Vec<_> = self.read().by_name.values().cloned().collect();
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        topics
    }

    pub fn partition(&self, topic: &str, partition: i32) -> Option<Arc<PartitionLog>> {
        self.topic(topic).and_then(|t| t.partition(partition))
    }

    /// Checks a topic request the way Kafka's controller does, in its order:
    /// name, existence, partitions and replicas, then configs.
    pub fn plan_topic(&self, request: &NewTopic) -> Result<TopicPlan, ClusterError> {
        if let Some(reason) = names::invalid_reason(&request.name) {
            return Err(ClusterError::InvalidTopicName(reason));
        }
        {
            let map = self.read();
            if map.by_name.contains_key(&request.name) {
                return Err(ClusterError::TopicExists(request.name.clone()));
            }
            if let Some(existing) = map
                .by_name
                .keys()
                .find(|e| names::collides(&request.name, e))
            {
                return Err(ClusterError::TopicCollision {
                    name: request.name.clone(),
                    existing: existing.clone(),
                });
            }
        }
        let brokers = self.settings.brokers.len();
        let mut assignment = Vec::new();
        let (partitions, replication_factor) = if request.assignments.is_empty() {
            let partitions = match request.num_partitions {
                -1 => self.settings.default_partitions,
                n => n,
            };
            let replication_factor = match request.replication_factor {
                -1 => self.settings.default_replication_factor,
                n => n,
            };
            (partitions, replication_factor)
        } else {
            let mut sorted = request.assignments.clone();
            sorted.sort_by_key(|(p, _)| *p);
            assignment = sorted.into_iter().map(|(_, replicas)| replicas).collect();
            self.check_assignments(request)?
        };
        if partitions <= 0 {
            return Err(ClusterError::InvalidPartitions(
                "Number of partitions was set to an invalid non-positive value.".into(),
            ));
        }
        if partitions > MAX_PARTITIONS_PER_TOPIC {
            return Err(ClusterError::InvalidPartitions(format!(
                "Number of partitions {partitions} is above klamm's limit of {MAX_PARTITIONS_PER_TOPIC} per topic."
            )));
        }
        if replication_factor <= 0 {
            return Err(ClusterError::InvalidReplicationFactor(
                "Replication factor must be larger than 0, or -1 to use the default value.".into(),
            ));
        }
        if replication_factor as usize > brokers {
            return Err(ClusterError::InvalidReplicationFactor(format!(
                "Unable to replicate the partition {replication_factor} time(s): The target replication factor of {replication_factor} cannot be reached because only {brokers} broker(s) are registered."
            )));
        }
        let configs = TopicConfigs::from_entries(
            request
                .configs
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_deref())),
        )?;
        Ok(TopicPlan {
            name: request.name.clone(),
            partitions,
            replication_factor,
            configs,
            assignment,
        })
    }

    fn check_assignments(&self, request: &NewTopic) -> Result<(i32, i16), ClusterError> {
        if request.num_partitions != -1 || request.replication_factor != -1 {
            return Err(ClusterError::InvalidRequest(
                "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.".into(),
            ));
        }
        let mut sorted = request.assignments.clone();
        sorted.sort_by_key(|(p, _)| *p);
        let mut replication_factor = None;
        for (expected, (partition, replicas)) in sorted.iter().enumerate() {
            if *partition != expected as i32 {
                return Err(ClusterError::InvalidReplicaAssignment(
                    "Partitions should be consecutive and start from 0.".into(),
                ));
            }
            if replicas.is_empty() {
                return Err(ClusterError::InvalidReplicaAssignment(format!(
                    "The manual partition assignment includes an empty replica list for partition {partition}."
                )));
            }
            let mut unique = replicas.clone();
            unique.sort_unstable();
            unique.dedup();
            if unique.len() != replicas.len() {
                return Err(ClusterError::InvalidReplicaAssignment(format!(
                    "The manual partition assignment includes the broker(s) more than once for partition {partition}."
                )));
            }
            if let Some(unknown) = replicas
                .iter()
                .find(|id| !self.settings.brokers.iter().any(|b| b.node_id == **id))
            {
                return Err(ClusterError::InvalidReplicaAssignment(format!(
                    "The manual partition assignment includes broker {unknown}, but no such broker is registered."
                )));
            }
            match replication_factor {
                None => replication_factor = Some(replicas.len()),
                Some(rf) if rf != replicas.len() => {
                    return Err(ClusterError::InvalidReplicaAssignment(
                        "All partitions should have the same number of replicas.".into(),
                    ))
                }
                Some(_) => {}
            }
        }
        Ok((sorted.len() as i32, replication_factor.unwrap_or(1) as i16))
    }

    fn open_topic(
        &self,
        name: &str,
        id: Uuid,
        partitions: i32,
        replication_factor: i16,
        configs: TopicConfigs,
        assignment: Vec<Vec<i32>>,
    ) -> Result<Arc<Topic>, StorageError> {
        let settings = configs.settings(&self.defaults());
        let mut logs = Vec::with_capacity(partitions.max(0) as usize);
        for p in 0..partitions {
            logs.push(self.storage.open_partition(name, p, settings.log)?);
        }
        Ok(Arc::new(Topic {
            name: name.to_string(),
            id,
            replication_factor,
            internal: false,
            traffic: crate::metrics::TopicTraffic::default(),
            partitions: RwLock::new(logs),
            configs: RwLock::new(Arc::new((configs, settings))),
            assignment: RwLock::new(assignment),
        }))
    }

    /// Creates a planned topic: logs first, then the durable record. If the
    /// record cannot be written the logs are removed again.
    pub fn create_topic(&self, plan: TopicPlan) -> Result<Arc<Topic>, ClusterError> {
        let mut map = self.write();
        if map.by_name.contains_key(&plan.name) {
            return Err(ClusterError::TopicExists(plan.name));
        }
        let topic = self.open_topic(
            &plan.name,
            new_topic_id(),
            plan.partitions,
            plan.replication_factor,
            plan.configs,
            plan.assignment,
        )?;
        map.by_name.insert(topic.name.clone(), Arc::clone(&topic));
        map.by_id.insert(topic.id, Arc::clone(&topic));
        if let Err(e) = self.persist(&map) {
            map.by_name.remove(&topic.name);
            map.by_id.remove(&topic.id);
            for log in topic.partitions() {
                let _ = self.storage.remove_partition(&log);
            }
            return Err(e.into());
        }
        info!(topic = %topic.name, partitions = plan.partitions, id = %topic.id, "created topic");
        Ok(topic)
    }

    /// Creates a topic with the broker's defaults unless it exists (Metadata
    /// auto-creation); a concurrent creation of the same topic is success.
    pub fn auto_create(&self, name: &str) -> Result<Arc<Topic>, ClusterError> {
        let request = NewTopic {
            name: name.to_string(),
            num_partitions: -1,
            replication_factor: -1,
            ..NewTopic::default()
        };
        match self
            .plan_topic(&request)
            .and_then(|plan| self.create_topic(plan))
        {
            Err(ClusterError::TopicExists(_)) => self
                .topic(name)
                .ok_or_else(|| ClusterError::UnknownTopic(name.to_string())),
            other => other,
        }
    }

    /// Deletes a topic: the record first, then the data. The internal
    /// offsets topic is klamm's view of its own offsets log and stays.
    pub fn delete_topic(&self, name: &str) -> Result<Arc<Topic>, ClusterError> {
        let mut map = self.write();
        if map.by_name.get(name).is_some_and(|t| t.internal) {
            return Err(ClusterError::InternalTopic(name.to_string()));
        }
        let topic = map
            .by_name
            .remove(name)
            .ok_or_else(|| ClusterError::UnknownTopic(name.to_string()))?;
        map.by_id.remove(&topic.id);
        if let Err(e) = self.persist(&map) {
            map.by_name.insert(topic.name.clone(), Arc::clone(&topic));
            map.by_id.insert(topic.id, Arc::clone(&topic));
            return Err(e.into());
        }
        drop(map);
        for log in topic.partitions() {
            if let Err(e) = self.storage.remove_partition(&log) {
                warn!(log = log.name(), error = %e, "could not remove a deleted partition");
            }
        }
        info!(topic = %topic.name, id = %topic.id, "deleted topic");
        Ok(topic)
    }

    /// Writes `cluster.json` after a change (the caller holds the topic
    /// map's write lock) and counts the change in the metadata log.
    fn persist(&self, map: &TopicMap) -> Result<(), StorageError> {
        if let Some(root) = self.storage.root() {
            self.stored(map).save(root)?;
        }
        self.metadata_log.advance();
        Ok(())
    }

    /// The cluster record with the change about to be counted.
    fn stored(&self, map: &TopicMap) -> StoredCluster {
        let mut topics: Vec<StoredTopic> = map
            .by_name
            .values()
            .filter(|t| !t.internal)
            .map(|t| StoredTopic {
                name: t.name.clone(),
                id: t.id,
                partitions: t.partition_count(),
                replication_factor: t.replication_factor,
                configs: t.configs().overrides().clone(),
                replicas: t.assignment(),
            })
            .collect();
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        let client_quotas = self
            .quotas
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .entities()
            .iter()
            .map(|(entity, values)| StoredQuota {
                entity: entity.clone().into_iter().collect(),
                values: values.clone(),
            })
            .collect();
        let features = self
            .features
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .changed()
            .clone();
        let dynamic = self.dynamic.read().unwrap_or_else(PoisonError::into_inner);
        StoredCluster {
            version: 1,
            cluster_id: self.cluster_id.clone(),
            topics,
            client_quotas,
            features,
            metadata_log: self.metadata_log.next(),
            broker_configs: StoredBrokerConfigs {
                cluster: dynamic.cluster().clone(),
                brokers: dynamic.brokers().clone(),
            },
        }
    }

    /// Runs retention over every partition.
    pub fn apply_retention(&self, now_ms: i64) {
        for topic in self.topics() {
            for log in topic.partitions() {
                if let Err(e) = log.apply_retention(now_ms) {
                    warn!(log = log.name(), error = %e, "retention failed");
                }
            }
        }
    }

    /// The highest producer id any partition holds a batch of.
    pub fn max_producer_id(&self) -> Option<i64> {
        self.topics()
            .iter()
            .flat_map(|topic| topic.partitions())
            .filter_map(|log| log.max_producer_id())
            .max()
    }

    /// Closes every log and records a clean shutdown.
    pub fn shutdown(&self) {
        for topic in self.topics() {
            for log in topic.partitions() {
                log.close();
            }
        }
        self.storage.mark_clean_shutdown();
    }
}

/// The topic defaults a cluster runs with: the static settings under the
/// cluster-wide dynamic defaults under the first broker's own dynamic
/// configs. (In a simulated cluster the data is stored once, so the first
/// broker's configs stand for all; the others' are kept and described.)
fn combined_defaults(settings: &ClusterSettings, dynamic: &DynamicConfigs) -> BrokerDefaults {
    let first = settings
        .brokers
        .first()
        .map_or(settings.controller_id, |b| b.node_id);
    settings.defaults.with_dynamic(
        dynamic.cluster(),
        dynamic.get(dynamic_configs::Scope::Broker(first)),
    )
}

fn is_partition_of(map: &TopicMap, dir: &str) -> bool {
    dir.rsplit_once('-').is_some_and(|(topic, p)| {
        map.by_name
            .get(topic)
            .zip(p.parse::<i32>().ok())
            .is_some_and(|(t, p)| p < t.partition_count())
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn settings(brokers: i32) -> ClusterSettings {
        ClusterSettings {
            brokers: (1..=brokers)
                .map(|id| BrokerNode {
                    node_id: id,
                    endpoints: vec![],
                })
                .collect(),
            controller_id: 1,
            default_partitions: 1,
            default_replication_factor: 1,
            defaults: BrokerDefaults::default(),
        }
    }

    fn new_topic(name: &str, partitions: i32, rf: i16) -> NewTopic {
        NewTopic {
            name: name.into(),
            num_partitions: partitions,
            replication_factor: rf,
            ..NewTopic::default()
        }
    }

    pub(crate) fn create(cluster: &Cluster, name: &str, partitions: i32) -> Arc<Topic> {
        let plan = cluster
            .plan_topic(&new_topic(name, partitions, -1))
            .unwrap();
        cluster.create_topic(plan).unwrap()
    }

    #[test]
    fn topics_and_their_ids_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let (cluster_id, topic_id) = {
            let cluster =
                Cluster::open(Storage::open(dir.path(), false).unwrap(), settings(1)).unwrap();
            let topic = create(&cluster, "orders", 3);
            cluster.shutdown();
            (cluster.cluster_id().to_string(), topic.id)
        };
        let cluster =
            Cluster::open(Storage::open(dir.path(), false).unwrap(), settings(1)).unwrap();
        assert_eq!(cluster.cluster_id(), cluster_id);
        let topic = cluster.topic("orders").unwrap();
        assert_eq!(topic.id, topic_id);
        assert_eq!(topic.partition_count(), 3);
        assert!(cluster.topic_by_id(&topic_id).is_some());
    }

    #[test]
    fn creation_errors_come_in_kafkas_order() {
        let cluster = Cluster::open(Storage::in_memory(), settings(1)).unwrap();
        create(&cluster, "a.b", 1);
        let plan = |t: NewTopic| cluster.plan_topic(&t);
        assert!(matches!(
            plan(new_topic("bad/name", 0, 9)),
            Err(ClusterError::InvalidTopicName(_))
        ));
        assert!(matches!(
            plan(new_topic("a.b", 0, 9)),
            Err(ClusterError::TopicExists(_))
        ));
        assert!(matches!(
            plan(new_topic("a_b", 1, 1)),
            Err(ClusterError::TopicCollision { .. })
        ));
        assert!(matches!(
            plan(new_topic("x", 0, 1)),
            Err(ClusterError::InvalidPartitions(_))
        ));
        assert!(matches!(
            plan(new_topic("x", 1, 2)),
            Err(ClusterError::InvalidReplicationFactor(_))
        ));
        let mut with_config = new_topic("x", 1, 1);
        with_config.configs = vec![("no.such.config".into(), Some("1".into()))];
        assert!(matches!(plan(with_config), Err(ClusterError::Config(_))));
    }

    #[test]
    fn manual_assignments_are_checked() {
        let cluster = Cluster::open(Storage::in_memory(), settings(3)).unwrap();
        let mut request = new_topic("t", -1, -1);
        request.assignments = vec![(0, vec![1, 2]), (1, vec![2, 3])];
        let plan = cluster.plan_topic(&request).unwrap();
        assert_eq!((plan.partitions, plan.replication_factor), (2, 2));
        request.assignments = vec![(0, vec![1, 9])];
        assert!(matches!(
            cluster.plan_topic(&request),
            Err(ClusterError::InvalidReplicaAssignment(_))
        ));
        request.assignments = vec![(1, vec![1])];
        assert!(matches!(
            cluster.plan_topic(&request),
            Err(ClusterError::InvalidReplicaAssignment(_))
        ));
    }

    #[test]
    fn deleting_a_topic_removes_its_data_and_frees_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let cluster =
            Cluster::open(Storage::open(dir.path(), false).unwrap(), settings(1)).unwrap();
        let first = create(&cluster, "gone", 2);
        assert!(dir.path().join("gone-1").is_dir());
        cluster.delete_topic("gone").unwrap();
        assert!(!dir.path().join("gone-1").exists());
        assert!(cluster.topic("gone").is_none());
        let second = create(&cluster, "gone", 1);
        assert_ne!(first.id, second.id);
        assert!(matches!(
            cluster.delete_topic("never"),
            Err(ClusterError::UnknownTopic(_))
        ));
    }

    #[test]
    fn leadership_rotates_over_the_brokers() {
        let cluster = Cluster::open(Storage::in_memory(), settings(3)).unwrap();
        assert_eq!(cluster.replicas(0, 2), vec![1, 2]);
        assert_eq!(cluster.replicas(1, 2), vec![2, 3]);
        assert_eq!(cluster.replicas(2, 2), vec![3, 1]);
    }
}
