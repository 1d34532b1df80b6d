//! Where replicas live and who leads: leader elections, reassignments
//! between the simulated brokers, and moves between log directories.

pub(crate) mod alter_partition_reassignments;
pub(crate) mod alter_replica_log_dirs;
pub(crate) mod elect_leaders;
pub(crate) mod list_partition_reassignments;
