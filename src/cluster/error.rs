//! Why a topic operation failed. The protocol layer maps each case to the
//! Kafka error code a client expects.

use thiserror::Error;
use uuid::Uuid;

use super::topic_config::ConfigError;
use crate::storage::StorageError;

#[derive(Debug, Error)]
pub enum ClusterError {
    #[error("{0}")]
    InvalidTopicName(String),
    #[error("Topic '{0}' already exists.")]
    TopicExists(String),
    #[error("Topic '{name}' collides with existing topic: {existing}")]
    TopicCollision { name: String, existing: String },
    #[error("This server does not host this topic-partition: {0}")]
    UnknownTopic(String),
    #[error("This server does not host topic id {0}")]
    UnknownTopicId(Uuid),
    #[error("{0}")]
    InvalidPartitions(String),
    #[error("{0}")]
    InvalidReplicationFactor(String),
    #[error("{0}")]
    InvalidReplicaAssignment(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0} is Kafka's internal topic of committed offsets; klamm keeps them in a log of its own and shows this topic as Kafka does, but does not delete or change it")]
    InternalTopic(String),
    /// An unknown topic or partition, in the words of the operation.
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    NoReassignmentInProgress(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    BrokerConfig(#[from] super::dynamic_configs::DynamicConfigError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}
