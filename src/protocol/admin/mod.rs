//! The admin client's calls: topics and partitions (CreateTopics,
//! DeleteTopics, CreatePartitions), configs (DescribeConfigs, AlterConfigs,
//! IncrementalAlterConfigs) and log directories (DescribeLogDirs).

pub(crate) mod alter_configs;
pub(crate) mod config_resource;
pub(crate) mod create_partitions;
pub(crate) mod create_topics;
pub(crate) mod delete_topics;
pub(crate) mod describe_configs;
pub(crate) mod describe_log_dirs;
pub(crate) mod incremental_alter_configs;
