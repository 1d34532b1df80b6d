//! Where a partition's replicas live: klamm's own placement (consecutive
//! brokers from one that rotates with the partition index), or lists placed
//! by hand with CreateTopics, CreatePartitions or AlterPartitionReassignments.
//!
//! Replicas are bookkeeping in a simulated cluster (the data is stored
//! once, every replica is in sync), so a reassignment completes the moment
//! it is accepted: no reassignment is ever in progress, and the new first
//! replica leads at once, as Kafka's preferred-leader election would make
//! it do a little later.

use std::sync::PoisonError;

use tracing::info;

use super::{Cluster, ClusterError, Topic};

impl Topic {
    /// The replica lists placed by hand, by partition (empty: none).
    pub fn assignment(&self) -> Vec<Vec<i32>> {
        self.assignment
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// What a reassignment did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reassigned {
    /// The partition already had exactly these replicas.
    Unchanged,
    Moved {
        from: Vec<i32>,
        to: Vec<i32>,
    },
}

impl Cluster {
    pub fn is_broker(&self, node_id: i32) -> bool {
        self.settings.brokers.iter().any(|b| b.node_id == node_id)
    }

    /// The replicas of a partition. A list placed by hand loses the brokers
    /// this run does not simulate (a topic placed when more brokers were);
    /// if none is left, klamm's placement applies.
    pub fn partition_replicas(&self, topic: &Topic, partition: i32) -> Vec<i32> {
        let placed: Vec<i32> = usize::try_from(partition)
            .ok()
            .and_then(|p| {
                topic
                    .assignment
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(p)
                    .cloned()
            })
            .unwrap_or_default()
            .into_iter()
            .filter(|id| self.is_broker(*id))
            .collect();
        if placed.is_empty() {
            self.replicas(partition, topic.replication_factor)
        } else {
            placed
        }
    }

    /// Checks a replica list a client placed, as Kafka's controller does.
    pub(super) fn check_replica_list(&self, replicas: &[i32]) -> Result<(), ClusterError> {
        let invalid = |m: String| Err(ClusterError::InvalidReplicaAssignment(m));
        if replicas.is_empty() {
            return invalid(
                "The manual partition assignment includes an empty replica list.".into(),
            );
        }
        let mut sorted = replicas.to_vec();
        sorted.sort_unstable();
        for pair in sorted.windows(2) {
            if pair[0] == pair[1] {
                return invalid(format!(
                    "The manual partition assignment includes the broker {} more than once.",
                    pair[0]
                ));
            }
        }
        if let Some(unknown) = sorted.iter().find(|id| !self.is_broker(**id)) {
            return invalid(format!(
                "The manual partition assignment includes broker {unknown}, but no such broker is registered."
            ));
        }
        Ok(())
    }

    /// Moves a partition to `replicas` (AlterPartitionReassignments). With
    /// `allow_rf_change` false the replica count must stay.
    pub fn reassign(
        &self,
        topic: &str,
        partition: i32,
        replicas: &[i32],
        allow_rf_change: bool,
    ) -> Result<Reassigned, ClusterError> {
        self.check_partition(topic, partition)?;
        let map = self.write();
        // Deleted meanwhile: gone as far as this request is concerned.
        let t = map.by_name.get(topic).cloned().ok_or_else(|| {
            ClusterError::NotFound(format!("Unable to find a topic named {topic}."))
        })?;
        self.check_replica_list(replicas)?;
        let current = self.partition_replicas(&t, partition);
        if !allow_rf_change && current.len() != replicas.len() {
            return Err(ClusterError::InvalidReplicationFactor(format!(
                "The replication factor is changed from {} to {}",
                current.len(),
                replicas.len()
            )));
        }
        if current == replicas {
            return Ok(Reassigned::Unchanged);
        }
        let index = partition as usize;
        let previous = {
            let mut assignment = t.assignment.write().unwrap_or_else(PoisonError::into_inner);
            let previous = assignment.clone();
            if assignment.len() <= index {
                assignment.resize(index + 1, Vec::new());
            }
            assignment[index] = replicas.to_vec();
            previous
        };
        if let Err(e) = self.persist(&map) {
            *t.assignment.write().unwrap_or_else(PoisonError::into_inner) = previous;
            return Err(e.into());
        }
        info!(topic, partition, from = ?current, to = ?replicas, "reassigned partition");
        Ok(Reassigned::Moved {
            from: current,
            to: replicas.to_vec(),
        })
    }

    /// Cancels a partition's reassignment: klamm's complete at once, so
    /// there is never one to cancel.
    pub fn cancel_reassignment(&self, topic: &str, partition: i32) -> Result<(), ClusterError> {
        self.check_partition(topic, partition)?;
        Err(ClusterError::NoReassignmentInProgress(
            "No partition reassignment is in progress.".into(),
        ))
    }

    /// Whether `topic` has partition `partition`, with Kafka's reassignment
    /// wording when not.
    pub fn check_partition(&self, topic: &str, partition: i32) -> Result<(), ClusterError> {
        let t = self.topic(topic).ok_or_else(|| {
            ClusterError::NotFound(format!("Unable to find a topic named {topic}."))
        })?;
        if partition < 0 || partition >= t.partition_count() {
            return Err(ClusterError::NotFound(format!(
                "Unable to find partition {topic}:{partition}."
            )));
        }
        Ok(())
    }

    /// Records the lists placed by hand for partitions `from..` (added by
    /// CreatePartitions); the caller holds the metadata lock and persists.
    pub(super) fn place_new_partitions(&self, topic: &Topic, from: i32, placed: &[Vec<i32>]) {
        let mut assignment = topic
            .assignment
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let from = from.max(0) as usize;
        if assignment.len() < from {
            assignment.resize(from, Vec::new());
        }
        assignment.truncate(from);
        assignment.extend(placed.iter().cloned());
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{create, settings};
    use super::*;
    use crate::storage::Storage;

    #[test]
    fn a_reassignment_moves_leadership_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let open =
            || Cluster::open(Storage::open(dir.path(), false).unwrap(), settings(3)).unwrap();
        {
            let cluster = open();
            let topic = create(&cluster, "t", 2);
            assert_eq!(cluster.leader(&topic, 0), 1);
            assert_eq!(
                cluster.reassign("t", 0, &[3, 2], true).unwrap(),
                Reassigned::Moved {
                    from: vec![1],
                    to: vec![3, 2]
                }
            );
            assert_eq!(cluster.leader(&topic, 0), 3);
            assert_eq!(cluster.partition_replicas(&topic, 1), vec![2]);
            cluster.shutdown();
        }
        let cluster = open();
        let topic = cluster.topic("t").unwrap();
        assert_eq!(cluster.partition_replicas(&topic, 0), vec![3, 2]);
        assert_eq!(
            cluster.reassign("t", 0, &[3, 2], false).unwrap(),
            Reassigned::Unchanged
        );
    }

    #[test]
    fn bad_reassignments_are_refused() {
        let cluster = Cluster::open(Storage::in_memory(), settings(2)).unwrap();
        create(&cluster, "t", 1);
        for (topic, partition, replicas, allow) in [
            ("nope", 0, vec![1], true),
            ("t", 1, vec![1], true),
            ("t", -1, vec![1], true),
        ] {
            assert!(matches!(
                cluster.reassign(topic, partition, &replicas, allow),
                Err(ClusterError::NotFound(_))
            ));
        }
        for replicas in [vec![], vec![1, 1], vec![9]] {
            assert!(matches!(
                cluster.reassign("t", 0, &replicas, true),
                Err(ClusterError::InvalidReplicaAssignment(_))
            ));
        }
        assert!(matches!(
            cluster.reassign("t", 0, &[2, 1], false),
            Err(ClusterError::InvalidReplicationFactor(_))
        ));
    }

    #[test]
    fn a_placed_broker_this_run_does_not_simulate_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        {
            let cluster =
                Cluster::open(Storage::open(dir.path(), false).unwrap(), settings(3)).unwrap();
            create(&cluster, "t", 1);
            cluster.reassign("t", 0, &[3], true).unwrap();
            cluster.shutdown();
        }
        let cluster =
            Cluster::open(Storage::open(dir.path(), false).unwrap(), settings(1)).unwrap();
        let topic = cluster.topic("t").unwrap();
        assert_eq!(cluster.partition_replicas(&topic, 0), vec![1]);
    }
}
