//! The broker's side of InitProducerId for idempotent producers: a new
//! producer id, or the same id with the next epoch.
//!
//! A producer that asks again with the id and epoch it holds (KIP-360, which
//! librdkafka does after a sequence error) gets its epoch bumped, so its
//! partitions accept it again from sequence 0; a new id once the epoch would
//! overflow. Kafka's broker answers every non-transactional request with a
//! fresh id; bumping instead keeps the id a client already knows, and both
//! are what a KIP-360 client expects. Epochs are kept for the most recently
//! issued ids only, in memory: an id the broker no longer remembers (evicted,
//! or issued before a restart) simply gets a fresh id, as Kafka would give.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use thiserror::Error;

use crate::storage::producer_ids::ProducerIdBlocks;
use crate::storage::StorageError;

/// Ids whose epoch is remembered; the oldest (lowest) are forgotten first.
const REMEMBERED_IDS: usize = 100_000;

/// A producer id and the epoch the producer is to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProducerIdAndEpoch {
    pub producer_id: i64,
    pub epoch: i16,
}

#[derive(Debug, Error)]
pub enum ProducerError {
    #[error("producer {producer_id} asked with epoch {epoch}, but its current epoch is {current}")]
    Fenced {
        producer_id: i64,
        epoch: i16,
        current: i16,
    },
    #[error("producer id {producer_id} and epoch {epoch} must both be -1 or both be set")]
    HalfClaim { producer_id: i64, epoch: i16 },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

#[derive(Clone, Copy)]
struct Epochs {
    current: i16,
    /// The epoch before the last bump: asking with it again is a retry of
    /// that bump whose answer was lost.
    previous: Option<i16>,
}

struct Inner {
    ids: ProducerIdBlocks,
    epochs: BTreeMap<i64, Epochs>,
}

pub struct Producers {
    inner: Mutex<Inner>,
}

impl Producers {
    pub fn new(ids: ProducerIdBlocks) -> Self {
        Self {
            inner: Mutex::new(Inner {
                ids,
                epochs: BTreeMap::new(),
            }),
        }
    }

    /// Answers an InitProducerId of an idempotent producer that holds
    /// `producer_id` and `epoch` (both -1 for a producer that holds none).
    pub fn init(&self, producer_id: i64, epoch: i16) -> Result<ProducerIdAndEpoch, ProducerError> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match (producer_id, epoch) {
            (-1, -1) => return inner.fresh(),
            (-1, _) | (_, -1) => return Err(ProducerError::HalfClaim { producer_id, epoch }),
            _ => {}
        }
        let Some(known) = inner.epochs.get_mut(&producer_id) else {
            return inner.fresh();
        };
        if known.current == epoch {
            let Some(next) = epoch.checked_add(1) else {
                inner.epochs.remove(&producer_id);
                return inner.fresh();
            };
            *known = Epochs {
                current: next,
                previous: Some(epoch),
            };
            return Ok(ProducerIdAndEpoch {
                producer_id,
                epoch: next,
            });
        }
        if known.previous == Some(epoch) {
            return Ok(ProducerIdAndEpoch {
                producer_id,
                epoch: known.current,
            });
        }
        Err(ProducerError::Fenced {
            producer_id,
            epoch,
            current: known.current,
        })
    }
}

impl Inner {
    fn fresh(&mut self) -> Result<ProducerIdAndEpoch, ProducerError> {
        let producer_id = self.ids.next_id()?;
        self.epochs.insert(
            producer_id,
            Epochs {
                current: 0,
                previous: None,
            },
        );
        if self.epochs.len() > REMEMBERED_IDS {
            self.epochs.pop_first();
        }
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
    fn asking_with_the_current_epoch_bumps_it() {
        let producers = producers();
        producers.init(-1, -1).unwrap();
        assert_eq!(producers.init(0, 0).unwrap(), id(0, 1));
        assert_eq!(producers.init(0, 1).unwrap(), id(0, 2));
    }

    #[test]
    fn a_retried_bump_gets_the_same_answer() {
        let producers = producers();
        producers.init(-1, -1).unwrap();
        assert_eq!(producers.init(0, 0).unwrap(), id(0, 1));
        assert_eq!(producers.init(0, 0).unwrap(), id(0, 1));
    }

    #[test]
    fn an_epoch_that_is_neither_current_nor_previous_is_fenced() {
        let producers = producers();
        producers.init(-1, -1).unwrap();
        producers.init(0, 0).unwrap();
        producers.init(0, 1).unwrap();
        assert!(matches!(
            producers.init(0, 0),
            Err(ProducerError::Fenced { current: 2, .. })
        ));
        assert!(matches!(
            producers.init(0, 7),
            Err(ProducerError::Fenced { .. })
        ));
    }

    #[test]
    fn an_exhausted_epoch_gets_a_new_id() {
        let producers = producers();
        producers.init(-1, -1).unwrap();
        producers.inner.lock().unwrap().epochs.insert(
            0,
            Epochs {
                current: i16::MAX,
                previous: None,
            },
        );
        assert_eq!(producers.init(0, i16::MAX).unwrap(), id(1, 0));
    }

    #[test]
    fn an_unknown_id_gets_a_fresh_one_and_half_a_claim_is_refused() {
        let producers = producers();
        assert_eq!(producers.init(500, 3).unwrap(), id(0, 0));
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
