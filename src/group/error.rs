//! Why a group operation failed; mapped to Kafka codes by the protocol layer.

use thiserror::Error;

use crate::storage::StorageError;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum GroupError {
    #[error("the group id is not valid")]
    InvalidGroupId,
    #[error("the member id is not known to the group")]
    UnknownMemberId,
    #[error("the generation id is not the group's current one")]
    IllegalGeneration,
    #[error("the group is rebalancing")]
    RebalanceInProgress,
    #[error("a member id is required to join; rejoin with the one given")]
    MemberIdRequired,
    #[error("another member with the same group.instance.id has joined")]
    FencedInstanceId,
    #[error("the protocol type or protocols do not match the group's")]
    InconsistentGroupProtocol,
    #[error("the session timeout is outside the broker's allowed range")]
    InvalidSessionTimeout,
    #[error("the group coordinator is not available")]
    CoordinatorNotAvailable,
    #[error("this broker is not the group coordinator")]
    NotCoordinator,
    #[error("the group does not exist")]
    GroupIdNotFound,
    #[error("the group has members")]
    NonEmptyGroup,
    #[error("the offset metadata is larger than {0} bytes")]
    OffsetMetadataTooLarge(usize),
    #[error("the group is subscribed to the topic")]
    GroupSubscribedToTopic,
    #[error("committed offsets could not be stored: {0}")]
    Storage(String),
}

impl From<StorageError> for GroupError {
    fn from(e: StorageError) -> Self {
        GroupError::Storage(e.to_string())
    }
}
