//! The one place where klamm's errors become Kafka error codes.
//!
//! Clients decide what to do from the code alone (retry, refresh metadata,
//! reset offsets, give up), so each mapping follows what Kafka's broker
//! returns in the same situation.

use kafka_protocol::error::ResponseError;

use super::admin::config_resource::ResourceError;
use crate::cluster::dynamic_configs::DynamicConfigError;
use crate::cluster::features::FeatureError;
use crate::cluster::quotas::QuotaError;
use crate::cluster::topic_config::ConfigError;
use crate::cluster::ClusterError;
use crate::group::GroupError;
use crate::producers::ProducerError;
use crate::storage::producer_state::SequenceError;
use crate::storage::{BatchError, StorageError};

pub fn for_batch(error: &BatchError) -> ResponseError {
    match error {
        // Damaged in transit: retriable for the client.
        BatchError::Truncated { .. }
        | BatchError::LengthTooSmall(_)
        | BatchError::CrcMismatch { .. } => ResponseError::CorruptMessage,
        BatchError::TooLarge { .. } => ResponseError::MessageTooLarge,
        BatchError::UnknownCompression(_) | BatchError::ZstdNeedsNewerProduce => {
            ResponseError::UnsupportedCompressionType
        }
        // Well delivered but invalid: retrying cannot help.
        BatchError::Missing
        | BatchError::UnsupportedMagic(_)
        | BatchError::MoreThanOneBatch { .. }
        | BatchError::ControlBatch
        | BatchError::InvalidCount(_)
        | BatchError::OffsetRangeMismatch { .. }
        | BatchError::InvalidSequence { .. }
        | BatchError::Decompression { .. }
        | BatchError::Record(_) => ResponseError::InvalidRecord,
        // Kafka names the batch after its worst record: a bad timestamp.
        BatchError::InvalidRecords(problems) if problems.any_timestamp => {
            ResponseError::InvalidTimestamp
        }
        BatchError::InvalidRecords(_) => ResponseError::InvalidRecord,
    }
}

pub fn for_storage(error: &StorageError) -> ResponseError {
    match error {
        StorageError::Io { .. } | StorageError::Flush { .. } => ResponseError::KafkaStorageError,
        StorageError::OffsetOutOfRange { .. } => ResponseError::OffsetOutOfRange,
        StorageError::BatchLargerThanSegment { .. } => ResponseError::RecordListTooLarge,
        StorageError::Deleted(_) => ResponseError::UnknownTopicOrPartition,
        StorageError::Locked { .. } | StorageError::BadMetadata { .. } => {
            ResponseError::UnknownServerError
        }
        StorageError::Sequence(e) => for_sequence(e),
    }
}

/// Kafka answers a stale epoch with INVALID_PRODUCER_EPOCH (since 2.7, not
/// PRODUCER_FENCED, so a client can recover) and any sequence it cannot
/// accept, including a new epoch that does not start at 0, with
/// OUT_OF_ORDER_SEQUENCE_NUMBER.
pub fn for_sequence(error: &SequenceError) -> ResponseError {
    match error {
        SequenceError::StaleEpoch { .. } => ResponseError::InvalidProducerEpoch,
        SequenceError::OutOfOrder { .. } | SequenceError::NewEpochNotAtZero { .. } => {
            ResponseError::OutOfOrderSequenceNumber
        }
    }
}

pub fn for_config(_: &ConfigError) -> ResponseError {
    ResponseError::InvalidConfig
}

/// Kafka answers a refused dynamic broker config change with
/// INVALID_REQUEST (read-only names, bad values), except the cluster-wide
/// min.insync.replicas it must keep (INVALID_CONFIG).
pub fn for_broker_config(error: &DynamicConfigError) -> ResponseError {
    match error {
        DynamicConfigError::MinInsyncReplicasRequired => ResponseError::InvalidConfig,
        DynamicConfigError::ReadOnly(_)
        | DynamicConfigError::InvalidValue { .. }
        | DynamicConfigError::Null(_)
        | DynamicConfigError::NotList(_)
        | DynamicConfigError::TooMany => ResponseError::InvalidRequest,
    }
}

pub fn for_cluster(error: &ClusterError) -> ResponseError {
    match error {
        ClusterError::InvalidTopicName(_)
        | ClusterError::TopicCollision { .. }
        | ClusterError::InternalTopic(_) => ResponseError::InvalidTopicException,
        ClusterError::TopicExists(_) => ResponseError::TopicAlreadyExists,
        ClusterError::UnknownTopic(_) => ResponseError::UnknownTopicOrPartition,
        ClusterError::UnknownTopicId(_) => ResponseError::UnknownTopicId,
        ClusterError::InvalidPartitions(_) => ResponseError::InvalidPartitions,
        ClusterError::InvalidReplicationFactor(_) => ResponseError::InvalidReplicationFactor,
        ClusterError::InvalidReplicaAssignment(_) => ResponseError::InvalidReplicaAssignment,
        ClusterError::InvalidRequest(_) => ResponseError::InvalidRequest,
        ClusterError::NotFound(_) => ResponseError::UnknownTopicOrPartition,
        ClusterError::NoReassignmentInProgress(_) => ResponseError::NoReassignmentInProgress,
        ClusterError::Config(e) => for_config(e),
        ClusterError::BrokerConfig(e) => for_broker_config(e),
        ClusterError::Storage(e) => for_storage(e),
    }
}

/// A refused quota alteration or filter.
pub fn for_quota(error: &QuotaError) -> ResponseError {
    match error {
        QuotaError::InvalidRequest(_) => ResponseError::InvalidRequest,
        QuotaError::Unsupported(_) => ResponseError::UnsupportedVersion,
    }
}

pub fn for_feature(_: &FeatureError) -> ResponseError {
    ResponseError::InvalidUpdateVersion
}

pub fn for_resource(error: &ResourceError) -> ResponseError {
    match error {
        ResourceError::Cluster(e) => for_cluster(e),
        ResourceError::OtherBroker { .. }
        | ResourceError::BrokerLogger
        | ResourceError::UnsupportedType(_)
        | ResourceError::DuplicateResource
        | ResourceError::DuplicateKeys(_)
        | ResourceError::UnknownOperation(_)
        | ResourceError::NullValue(_) => ResponseError::InvalidRequest,
    }
}

pub fn for_group(error: &GroupError) -> ResponseError {
    match error {
        GroupError::InvalidGroupId => ResponseError::InvalidGroupId,
        GroupError::UnknownMemberId => ResponseError::UnknownMemberId,
        GroupError::IllegalGeneration => ResponseError::IllegalGeneration,
        GroupError::RebalanceInProgress => ResponseError::RebalanceInProgress,
        GroupError::MemberIdRequired => ResponseError::MemberIdRequired,
        GroupError::FencedInstanceId => ResponseError::FencedInstanceId,
        GroupError::InconsistentGroupProtocol => ResponseError::InconsistentGroupProtocol,
        GroupError::InvalidSessionTimeout => ResponseError::InvalidSessionTimeout,
        GroupError::GroupIdNotFound => ResponseError::GroupIdNotFound,
        GroupError::NonEmptyGroup => ResponseError::NonEmptyGroup,
        GroupError::OffsetMetadataTooLarge(_) => ResponseError::OffsetMetadataTooLarge,
        GroupError::GroupSubscribedToTopic => ResponseError::GroupSubscribedToTopic,
        // Retriable for the client: it finds the coordinator again and retries.
        GroupError::NotCoordinator => ResponseError::NotCoordinator,
        GroupError::CoordinatorNotAvailable | GroupError::Storage(_) => {
            ResponseError::CoordinatorNotAvailable
        }
    }
}

/// InitProducerId errors.
pub fn for_producer(error: &ProducerError) -> ResponseError {
    match error {
        ProducerError::HalfClaim { .. } => ResponseError::InvalidRequest,
        ProducerError::Storage(e) => for_storage(e),
    }
}

/// The code of an optional group error (0 for none).
pub fn group_code(error: Option<&GroupError>) -> i16 {
    error.map_or(0, |e| for_group(e).code())
}

/// The error for a request that names a leader epoch other than ours.
pub fn for_leader_epoch(requested: i32, ours: i32) -> Option<ResponseError> {
    match requested {
        e if e < 0 || e == ours => None,
        e if e < ours => Some(ResponseError::FencedLeaderEpoch),
        _ => Some(ResponseError::UnknownLeaderEpoch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_damage_is_retriable_and_bad_content_is_not() {
        let crc = for_batch(&BatchError::CrcMismatch {
            stored: 1,
            computed: 2,
        });
        assert_eq!(crc, ResponseError::CorruptMessage);
        assert!(crc.is_retriable());
        let invalid = for_batch(&BatchError::ControlBatch);
        assert_eq!(invalid, ResponseError::InvalidRecord);
        assert!(!invalid.is_retriable());
    }

    #[test]
    fn leader_epochs_are_fenced_or_unknown() {
        assert_eq!(for_leader_epoch(-1, 0), None);
        assert_eq!(for_leader_epoch(0, 0), None);
        assert_eq!(
            for_leader_epoch(3, 0),
            Some(ResponseError::UnknownLeaderEpoch)
        );
        assert_eq!(
            for_leader_epoch(1, 2),
            Some(ResponseError::FencedLeaderEpoch)
        );
    }
}
