//! Changes to existing topics that admin tools make: more partitions, new
//! topic configs, and new dynamic broker configs (the defaults every topic
//! inherits). A change reaches the running logs and the durable record
//! together, under the topic map's write lock so that concurrent changes
//! and `cluster.json` writes never interleave; if the record cannot be
//! written, the change is undone.

use std::sync::{Arc, PoisonError};

use tracing::{info, warn};

use super::dynamic_configs::{DynamicConfigError, DynamicConfigs};
use super::topic_config::{ConfigError, TopicConfigs};
use super::{combined_defaults, Cluster, ClusterError, Topic, MAX_PARTITIONS_PER_TOPIC};

/// The feature whose level decides whether the cluster-wide
/// min.insync.replicas must stay (KIP-966).
const ELR_FEATURE: &str = "eligible.leader.replicas.version";
use crate::storage::now_ms;

impl Cluster {
    /// Grows `name` to `count` partitions (CreatePartitions). `assignments`,
    /// if given, holds one replica list per new partition. With
    /// `validate_only` everything is checked and nothing changes.
    pub fn create_partitions(
        &self,
        name: &str,
        count: i32,
        assignments: Option<&[Vec<i32>]>,
        validate_only: bool,
    ) -> Result<(), ClusterError> {
        let map = self.write();
        let topic = map
            .by_name
            .get(name)
            .cloned()
            .ok_or_else(|| ClusterError::UnknownTopic(name.to_string()))?;
        let current = topic.partition_count();
        if count < current {
            return Err(ClusterError::InvalidPartitions(format!(
                "The topic {name} currently has {current} partition(s); {count} would not be an increase."
            )));
        }
        if count == current {
            return Err(ClusterError::InvalidPartitions(format!(
                "Topic already has {current} partition(s)."
            )));
        }
        if count > MAX_PARTITIONS_PER_TOPIC {
            return Err(ClusterError::InvalidPartitions(format!(
                "Number of partitions {count} is above klamm's limit of {MAX_PARTITIONS_PER_TOPIC} per topic."
            )));
        }
        if let Some(assignments) = assignments {
            self.check_new_assignments(&topic, count - current, assignments)?;
        }
        if validate_only {
            return Ok(());
        }
        if topic.internal {
            return Err(ClusterError::InternalTopic(name.to_string()));
        }
        let log_config = topic.settings().log;
        let mut opened = Vec::with_capacity((count - current) as usize);
        for p in current..count {
            match self.storage.open_partition(name, p, log_config) {
                Ok(log) => opened.push(log),
                Err(e) => {
                    self.remove_logs(&opened);
                    return Err(e.into());
                }
            }
        }
        topic
            .partitions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(opened.iter().cloned());
        let placed_before = topic.assignment();
        if let Some(assignments) = assignments {
            self.place_new_partitions(&topic, current, assignments);
        }
        if let Err(e) = self.persist(&map) {
            topic
                .partitions
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .truncate(current as usize);
            *topic
                .assignment
                .write()
                .unwrap_or_else(PoisonError::into_inner) = placed_before;
            self.remove_logs(&opened);
            return Err(e.into());
        }
        info!(topic = name, from = current, to = count, "added partitions");
        Ok(())
    }

    fn check_new_assignments(
        &self,
        topic: &Topic,
        added: i32,
        assignments: &[Vec<i32>],
    ) -> Result<(), ClusterError> {
        let invalid = |message: String| Err(ClusterError::InvalidReplicaAssignment(message));
        if assignments.len() != added as usize {
            return invalid(format!(
                "Attempted to add {added} additional partition(s), but only {} assignment(s) were specified.",
                assignments.len()
            ));
        }
        let replication_factor = usize::try_from(topic.replication_factor).unwrap_or(0);
        for replicas in assignments {
            if replicas.is_empty() {
                return invalid(
                    "The manual partition assignment includes an empty replica list.".into(),
                );
            }
            let mut unique = replicas.clone();
            unique.sort_unstable();
            unique.dedup();
            if unique.len() != replicas.len() {
                return invalid(format!(
                    "The manual partition assignment includes the broker(s) more than once: {replicas:?}."
                ));
            }
            if let Some(unknown) = replicas
                .iter()
                .find(|id| !self.settings.brokers.iter().any(|b| b.node_id == **id))
            {
                return invalid(format!(
                    "The manual partition assignment includes broker {unknown}, but no such broker is registered."
                ));
            }
            if replicas.len() != replication_factor {
                return invalid(format!(
                    "The manual partition assignment includes a partition with {} replica(s), but this is not consistent with previous partitions, which have {replication_factor} replica(s).",
                    replicas.len()
                ));
            }
        }
        Ok(())
    }

    fn remove_logs(&self, logs: &[Arc<crate::storage::PartitionLog>]) {
        for log in logs {
            if let Err(e) = self.storage.remove_partition(log) {
                warn!(log = log.name(), error = %e, "could not remove a partition that was not added");
            }
        }
    }

    /// Replaces the configs of topic `name` with what `change` makes of the
    /// current ones (AlterConfigs, IncrementalAlterConfigs). Applied live:
    /// the logs get the new settings and a retention pass runs at once, so
    /// a lowered `retention.ms` deletes old segments now rather than at the
    /// next periodic check. With `validate_only` nothing changes.
    pub fn alter_topic_configs(
        &self,
        name: &str,
        change: impl FnOnce(&TopicConfigs) -> Result<TopicConfigs, ConfigError>,
        validate_only: bool,
    ) -> Result<(), ClusterError> {
        let map = self.write();
        let topic = map
            .by_name
            .get(name)
            .cloned()
            .ok_or_else(|| ClusterError::UnknownTopic(name.to_string()))?;
        let configs = change(&topic.configs())?;
        if validate_only {
            return Ok(());
        }
        if topic.internal {
            return Err(ClusterError::InternalTopic(name.to_string()));
        }
        let settings = configs.settings(&self.settings.defaults);
        let previous = std::mem::replace(
            &mut *topic
                .configs
                .write()
                .unwrap_or_else(PoisonError::into_inner),
            Arc::new((configs, settings)),
        );
        if let Err(e) = self.persist(&map) {
            *topic
                .configs
                .write()
                .unwrap_or_else(PoisonError::into_inner) = previous;
            return Err(e.into());
        }
        let logs = topic.partitions();
        for log in &logs {
            // A log deleted meanwhile has nothing left to configure.
            let _ = log.set_config(settings.log);
        }
        drop(map);
        let now = now_ms();
        for log in &logs {
            if let Err(e) = log.apply_retention(now) {
                warn!(log = log.name(), error = %e, "retention after a config change failed");
            }
        }
        info!(topic = name, "changed topic configs");
        Ok(())
    }
    /// Changes dynamic broker configs (`change` makes the new set from the
    /// current one) and applies the resulting topic defaults to every topic
    /// at once, as Kafka does: a lowered `log.retention.ms` deletes old
    /// segments of every topic that does not set its own.
    pub fn alter_broker_configs(
        &self,
        change: impl FnOnce(&DynamicConfigs, bool) -> Result<DynamicConfigs, DynamicConfigError>,
        validate_only: bool,
    ) -> Result<(), ClusterError> {
        let map = self.write();
        let elr = self.features().level(ELR_FEATURE) >= 1;
        let before = self
            .dynamic
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let after = change(&before, elr)?;
        if validate_only || after == before {
            return Ok(());
        }
        *self.dynamic.write().unwrap_or_else(PoisonError::into_inner) = after.clone();
        if let Err(e) = self.persist(&map) {
            *self.dynamic.write().unwrap_or_else(PoisonError::into_inner) = before;
            return Err(e.into());
        }
        let defaults = Arc::new(combined_defaults(&self.settings, &after));
        *self
            .defaults
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::clone(&defaults);
        let mut logs = Vec::new();
        for topic in map.by_name.values() {
            let mut configs = topic
                .configs
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            let settings = configs.0.settings(&defaults);
            if settings != configs.1 {
                *configs = Arc::new((configs.0.clone(), settings));
                for log in topic.partitions() {
                    let _ = log.set_config(settings.log);
                    logs.push(log);
                }
            }
        }
        drop(map);
        let now = now_ms();
        for log in &logs {
            if let Err(e) = log.apply_retention(now) {
                warn!(log = log.name(), error = %e, "retention after a broker config change failed");
            }
        }
        info!(partitions = logs.len(), "changed dynamic broker configs");
        Ok(())
    }

    /// The dynamic broker configs now in force.
    pub fn dynamic_configs(&self) -> DynamicConfigs {
        self.dynamic
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{create, settings};
    use super::*;
    use crate::storage::Storage;

    fn reopen(dir: &std::path::Path) -> Cluster {
        Cluster::open(Storage::open(dir, false).unwrap(), settings(1)).unwrap()
    }

    #[test]
    fn added_partitions_and_changed_configs_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        {
            let cluster = reopen(dir.path());
            create(&cluster, "grow", 1);
            cluster.create_partitions("grow", 3, None, false).unwrap();
            cluster
                .alter_topic_configs(
                    "grow",
                    |_| TopicConfigs::from_entries([("retention.ms", Some("1000"))]),
                    false,
                )
                .unwrap();
            cluster.shutdown();
        }
        let cluster = reopen(dir.path());
        let topic = cluster.topic("grow").unwrap();
        assert_eq!(topic.partition_count(), 3);
        assert_eq!(topic.settings().log.retention_ms, 1000);
        assert_eq!(
            topic.partition(2).unwrap().config().unwrap().retention_ms,
            1000
        );
    }

    #[test]
    fn partition_counts_only_grow_and_assignments_must_fit() {
        let cluster = Cluster::open(Storage::in_memory(), settings(2)).unwrap();
        create(&cluster, "t", 2);
        let grow = |count, assignments: Option<&[Vec<i32>]>| {
            cluster.create_partitions("t", count, assignments, false)
        };
        assert!(matches!(
            grow(1, None),
            Err(ClusterError::InvalidPartitions(_))
        ));
        assert!(matches!(
            grow(2, None),
            Err(ClusterError::InvalidPartitions(_))
        ));
        assert!(matches!(
            cluster.create_partitions("nope", 3, None, false),
            Err(ClusterError::UnknownTopic(_))
        ));
        for bad in [
            vec![vec![1], vec![2]],
            vec![vec![9]],
            vec![vec![]],
            vec![vec![1, 2]],
        ] {
            assert!(
                matches!(
                    grow(3, Some(&bad)),
                    Err(ClusterError::InvalidReplicaAssignment(_))
                ),
                "{bad:?}"
            );
        }
        cluster.create_partitions("t", 4, None, true).unwrap();
        assert_eq!(
            cluster.topic("t").unwrap().partition_count(),
            2,
            "validate only"
        );
        grow(3, Some(&[vec![2]])).unwrap();
        assert_eq!(cluster.topic("t").unwrap().partition_count(), 3);
    }

    #[test]
    fn a_refused_config_change_changes_nothing() {
        let cluster = Cluster::open(Storage::in_memory(), settings(1)).unwrap();
        create(&cluster, "t", 1);
        let result = cluster.alter_topic_configs(
            "t",
            |_| TopicConfigs::from_entries([("retention.ms", Some("-5"))]),
            false,
        );
        assert!(matches!(result, Err(ClusterError::Config(_))));
        cluster
            .alter_topic_configs(
                "t",
                |_| TopicConfigs::from_entries([("retention.ms", Some("5"))]),
                true,
            )
            .unwrap();
        assert!(cluster.topic("t").unwrap().configs().overrides().is_empty());
    }
}
