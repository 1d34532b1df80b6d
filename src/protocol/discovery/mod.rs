//! What a client asks before anything else: which APIs and versions the
//! broker serves (ApiVersions), which brokers, topics and partitions exist
//! (Metadata, DescribeCluster), and which broker coordinates a group or
//! transactional id (FindCoordinator).

pub(crate) mod api_versions;
pub(crate) mod describe_cluster;
pub(crate) mod find_coordinator;
pub(crate) mod metadata;
