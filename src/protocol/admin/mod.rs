//! The admin client's calls: topics and partitions (CreateTopics,
//! DeleteTopics, CreatePartitions, DescribeTopicPartitions), configs
//! (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs,
//! ListConfigResources), log directories (DescribeLogDirs), idempotent
//! producers (DescribeProducers); replica placement in `replicas/`, the
//! controller's quorum, features and registrations in `quorum/`, client
//! quotas in `quotas/`. The sub-families' modules are re-exported so the
//! API list names every handler as `admin::module`.

pub(crate) mod alter_configs;
pub(crate) mod config_resource;
pub(crate) mod create_partitions;
pub(crate) mod create_topics;
pub(crate) mod delete_topics;
pub(crate) mod describe_configs;
pub(crate) mod describe_log_dirs;
pub(crate) mod describe_producers;
pub(crate) mod describe_topic_partitions;
pub(crate) mod incremental_alter_configs;
pub(crate) mod list_config_resources;
mod quorum;
mod quotas;
mod replicas;

pub(crate) use quorum::{
    add_raft_voter, describe_quorum, remove_raft_voter, unregister_broker, update_features,
};
pub(crate) use quotas::{alter_client_quotas, describe_client_quotas};
pub(crate) use replicas::{
    alter_partition_reassignments, alter_replica_log_dirs, elect_leaders,
    list_partition_reassignments,
};
