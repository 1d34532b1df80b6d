//! The broker's side of InitProducerId for idempotent producers: a new
//! producer id at epoch 0, every time.
//!
//! This is Kafka's answer to a request without a transactional id, whatever
//! id and epoch the producer says it holds: its coordinator hands out a
//! fresh id and keeps nothing. A producer that wants its partitions to
//! accept it again after a sequence error (KIP-360) either bumps its own
//! epoch (Java) or asks for an id, and gets a new one it starts at sequence
//! 0 with (librdkafka). Naming an id without an epoch, or the reverse, is
//! INVALID_REQUEST, as in Kafka.

use std::sync::{Mutex, PoisonError};

use thiserror::Error;

use crate::storage::producer_ids::ProducerIdBlocks;
use crate::storage::StorageError;

/// A producer id and the epoch the producer is to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProducerIdAndEpoch {
    pub producer_id: i64,
    pub epoch: i16,
}

#[derive(Debug, Error)]
pub enum ProducerError {
    #[error("producer id {producer_id} and epoch {epoch} must both be -1 or both be set")]
    HalfClaim { producer_id: i64, epoch: i16 },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

pub struct Producers {
    ids: Mutex<ProducerIdBlocks>,
}

impl Producers {
    pub fn new(ids: ProducerIdBlocks) -> Self {
        Self {
            ids: Mutex::new(ids),
        }
    }

    /// Answers an InitProducerId of an idempotent producer that holds
    /// `producer_id` and `epoch` (both -1 for a producer that holds none).
    pub fn init(&self, producer_id: i64, epoch: i16) -> Result<ProducerIdAndEpoch, ProducerError> {
        if (producer_id == -1) != (epoch == -1) {
            return Err(ProducerError::HalfClaim { producer_id, epoch });
        }
        let producer_id = self
            .ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next_id()?;
        Ok(ProducerIdAndEpoch {
            producer_id,
            epoch: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn producers() -> Producers {
        Producers::new(ProducerIdBlocks::in_memory(0))
    }

    fn id(producer_id: i64, epoch: i16) -> ProducerIdAndEpoch {
        ProducerIdAndEpoch { producer_id, epoch }
    }

    #[test]
    fn every_new_producer_gets_its_own_id() {
        let producers = producers();
        assert_eq!(producers.init(-1, -1).unwrap(), id(0, 0));
        assert_eq!(producers.init(-1, -1).unwrap(), id(1, 0));
    }

    #[test]
    fn a_producer_asking_with_its_id_gets_a_new_one_as_kafka_gives() {
        let producers = producers();
        producers.init(-1, -1).unwrap();
        assert_eq!(producers.init(0, 0).unwrap(), id(1, 0));
        assert_eq!(producers.init(1, 0).unwrap(), id(2, 0));
        assert_eq!(producers.init(500, 3).unwrap(), id(3, 0));
    }

    #[test]
    fn half_a_claim_is_refused() {
        let producers = producers();
        assert!(matches!(
            producers.init(-1, 0),
            Err(ProducerError::HalfClaim { .. })
        ));
        assert!(matches!(
            producers.init(4, -1),
            Err(ProducerError::HalfClaim { .. })
        ));
    }
}
