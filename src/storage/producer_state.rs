//! Per-partition state of idempotent producers: the epoch and the last few
//! batches of every producer id that wrote to the partition.
//!
//! An idempotent producer numbers its records per partition and resends a
//! batch whose answer it did not get. Keeping the sequence ranges of each
//! producer's last [`BATCHES_KEPT`] batches lets the log recognise such a
//! retry and answer with the original offsets instead of writing it twice,
//! and refuse a batch that would leave a gap. The rules are those of Kafka's
//! `ProducerStateManager`; the log checks and updates this state under its
//! own lock, together with the append, so no retry can slip between them.

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::batch::BatchHeader;

/// Batches remembered per producer: a client has at most five requests in
/// flight per partition (`max.in.flight.requests.per.connection` <= 5 for an
/// idempotent producer), so a retry is always of one of its last five.
pub const BATCHES_KEPT: usize = 5;

/// A batch the log already holds, as a retry of it is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBatch {
    pub first_seq: i32,
    pub last_seq: i32,
    pub base_offset: i64,
    pub last_offset: i64,
    pub max_timestamp: i64,
}

/// The producer fields of a batch header and where the batch sits (or would
/// sit) in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProducerBatch {
    pub producer_id: i64,
    pub epoch: i16,
    pub batch: StoredBatch,
}

impl ProducerBatch {
    /// The producer fields of `header`; `None` for a batch without a producer id.
    pub fn from_header(header: &BatchHeader) -> Option<Self> {
        if header.producer_id < 0 {
            return None;
        }
        Some(Self {
            producer_id: header.producer_id,
            epoch: header.producer_epoch,
            batch: StoredBatch {
                first_seq: header.base_sequence,
                last_seq: add_to_sequence(header.base_sequence, header.last_offset_delta),
                base_offset: header.base_offset,
                last_offset: header.last_offset(),
                max_timestamp: header.max_timestamp,
            },
        })
    }
}

/// Why a producer's batch was refused.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum SequenceError {
    #[error("producer {producer_id} sent epoch {epoch}, older than its current epoch {current}")]
    StaleEpoch {
        producer_id: i64,
        epoch: i16,
        current: i16,
    },
    #[error("producer {producer_id} sent sequence {got} where {expected} comes next")]
    OutOfOrder {
        producer_id: i64,
        got: i32,
        expected: i32,
    },
    #[error(
        "producer {producer_id} began epoch {epoch} at sequence {got}; a new epoch begins at 0"
    )]
    NewEpochNotAtZero {
        producer_id: i64,
        epoch: i16,
        got: i32,
    },
}

/// What the log should do with a producer's batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceCheck {
    Append,
    /// A retry of a batch already in the log: nothing is written.
    Duplicate(StoredBatch),
}

#[derive(Clone, Serialize, Deserialize)]
struct ProducerEntry {
    epoch: i16,
    /// Oldest first; never empty.
    batches: VecDeque<StoredBatch>,
}

impl ProducerEntry {
    fn last_seq(&self) -> Option<i32> {
        self.batches.back().map(|b| b.last_seq)
    }
}

/// The state of every producer id seen on one partition.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ProducerStates {
    producers: HashMap<i64, ProducerEntry>,
}

/// A producer as DescribeProducers shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActiveProducer {
    pub producer_id: i64,
    pub epoch: i16,
    pub last_sequence: i32,
    /// The max timestamp of its last batch.
    pub last_timestamp: i64,
}

/// Sequence numbers wrap from `i32::MAX` to 0, as Kafka's do.
pub fn add_to_sequence(sequence: i32, increment: i32) -> i32 {
    let sum = i64::from(sequence) + i64::from(increment);
    if sum > i64::from(i32::MAX) {
        (sum - i64::from(i32::MAX) - 1) as i32
    } else {
        sum as i32
    }
}

impl ProducerStates {
    /// Decides whether `batch` is appended, answered as a retry, or refused.
    ///
    /// A producer id the partition has no state for is accepted at any
    /// sequence. That is what Kafka does since 2.5 (KIP-360: its
    /// `ProducerAppendInfo` accepts any sequence when there is no current
    /// epoch), and what keeps real clients working when the state is gone
    /// (its batches were deleted by retention, or expired): answering
    /// UNKNOWN_PRODUCER_ID instead makes librdkafka bump its epoch and resend
    /// only when the batch is a first attempt, and raise a fatal error when it
    /// is a retry, so one lost state would kill a long-lived producer.
    pub fn check(&self, batch: &ProducerBatch) -> Result<SequenceCheck, SequenceError> {
        let Some(entry) = self.producers.get(&batch.producer_id) else {
            return Ok(SequenceCheck::Append);
        };
        let incoming = &batch.batch;
        if batch.epoch == entry.epoch {
            let retried = entry
                .batches
                .iter()
                .find(|b| b.first_seq == incoming.first_seq && b.last_seq == incoming.last_seq);
            if let Some(original) = retried {
                return Ok(SequenceCheck::Duplicate(*original));
            }
        }
        if batch.epoch < entry.epoch {
            return Err(SequenceError::StaleEpoch {
                producer_id: batch.producer_id,
                epoch: batch.epoch,
                current: entry.epoch,
            });
        }
        if batch.epoch > entry.epoch {
            if incoming.first_seq != 0 {
                return Err(SequenceError::NewEpochNotAtZero {
                    producer_id: batch.producer_id,
                    epoch: batch.epoch,
                    got: incoming.first_seq,
                });
            }
            return Ok(SequenceCheck::Append);
        }
        let expected = entry.last_seq().map_or(0, |last| add_to_sequence(last, 1));
        if incoming.first_seq != expected {
            return Err(SequenceError::OutOfOrder {
                producer_id: batch.producer_id,
                got: incoming.first_seq,
                expected,
            });
        }
        Ok(SequenceCheck::Append)
    }

    /// Remembers a batch now in the log (appended, or found at start-up).
    pub fn record(&mut self, batch: &ProducerBatch) {
        let entry = self
            .producers
            .entry(batch.producer_id)
            .or_insert_with(|| ProducerEntry {
                epoch: batch.epoch,
                batches: VecDeque::with_capacity(BATCHES_KEPT),
            });
        if entry.epoch != batch.epoch {
            entry.epoch = batch.epoch;
            entry.batches.clear();
        }
        if entry.batches.len() == BATCHES_KEPT {
            entry.batches.pop_front();
        }
        entry.batches.push_back(batch.batch);
    }

    /// Forgets producers whose newest batch is older than `before_ms` (by its
    /// max timestamp, as Kafka's `producer.id.expiration.ms` counts).
    pub fn expire(&mut self, before_ms: i64) -> usize {
        let count = self.producers.len();
        self.producers.retain(|_, entry| {
            entry
                .batches
                .back()
                .is_some_and(|b| b.max_timestamp >= before_ms)
        });
        count - self.producers.len()
    }

    pub fn max_producer_id(&self) -> Option<i64> {
        self.producers.keys().copied().max()
    }

    /// Every producer with state here, by producer id.
    pub fn active(&self) -> Vec<ActiveProducer> {
        let mut active: Vec<ActiveProducer> = self
            .producers
            .iter()
            .filter_map(|(id, entry)| {
                let last = entry.batches.back()?;
                Some(ActiveProducer {
                    producer_id: *id,
                    epoch: entry.epoch,
                    last_sequence: last.last_seq,
                    last_timestamp: last.max_timestamp,
                })
            })
            .collect();
        active.sort_by_key(|p| p.producer_id);
        active
    }

    pub fn len(&self) -> usize {
        self.producers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.producers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(epoch: i16, first_seq: i32, records: i32, base_offset: i64) -> ProducerBatch {
        ProducerBatch {
            producer_id: 7,
            epoch,
            batch: StoredBatch {
                first_seq,
                last_seq: add_to_sequence(first_seq, records - 1),
                base_offset,
                last_offset: base_offset + i64::from(records) - 1,
                max_timestamp: 1_000 + base_offset,
            },
        }
    }

    /// Checks and records a batch the way the log does.
    fn append(
        states: &mut ProducerStates,
        b: ProducerBatch,
    ) -> Result<SequenceCheck, SequenceError> {
        let check = states.check(&b)?;
        if check == SequenceCheck::Append {
            states.record(&b);
        }
        Ok(check)
    }

    fn assert_appends(states: &mut ProducerStates, b: ProducerBatch) {
        assert_eq!(append(states, b), Ok(SequenceCheck::Append));
    }

    #[test]
    fn consecutive_batches_are_appended_and_a_gap_is_refused() {
        let mut states = ProducerStates::default();
        assert_appends(&mut states, batch(0, 0, 3, 0));
        assert_appends(&mut states, batch(0, 3, 2, 3));
        assert_eq!(
            append(&mut states, batch(0, 6, 1, 5)),
            Err(SequenceError::OutOfOrder {
                producer_id: 7,
                got: 6,
                expected: 5
            })
        );
    }

    #[test]
    fn a_retry_of_any_of_the_last_five_batches_is_a_duplicate() {
        let mut states = ProducerStates::default();
        for i in 0..7 {
            append(&mut states, batch(0, i * 2, 2, i64::from(i) * 2)).unwrap();
        }
        // Batches 2..=6 are remembered, 0 and 1 have left the window.
        for i in 2..7 {
            let retry = batch(0, i * 2, 2, 999);
            let original = batch(0, i * 2, 2, i64::from(i) * 2).batch;
            assert_eq!(states.check(&retry), Ok(SequenceCheck::Duplicate(original)));
        }
        assert!(matches!(
            states.check(&batch(0, 2, 2, 999)),
            Err(SequenceError::OutOfOrder { .. })
        ));
    }

    #[test]
    fn a_batch_overlapping_a_stored_one_is_not_a_duplicate() {
        let mut states = ProducerStates::default();
        append(&mut states, batch(0, 0, 4, 0)).unwrap();
        assert!(matches!(
            states.check(&batch(0, 0, 2, 4)),
            Err(SequenceError::OutOfOrder { .. })
        ));
    }

    #[test]
    fn sequences_wrap_at_i32_max() {
        assert_eq!(add_to_sequence(i32::MAX, 1), 0);
        assert_eq!(add_to_sequence(i32::MAX - 1, 3), 1);
        let mut states = ProducerStates::default();
        append(&mut states, batch(0, i32::MAX - 1, 2, 0)).unwrap();
        assert_appends(&mut states, batch(0, 0, 2, 2));
        // A batch that itself crosses the wrap ends at a small sequence.
        let mut states = ProducerStates::default();
        append(&mut states, batch(0, i32::MAX - 1, 4, 0)).unwrap();
        assert_appends(&mut states, batch(0, 2, 1, 4));
        assert_eq!(
            states.check(&batch(0, i32::MAX - 1, 4, 9)),
            Ok(SequenceCheck::Duplicate(batch(0, i32::MAX - 1, 4, 0).batch))
        );
    }

    #[test]
    fn an_older_epoch_is_stale() {
        let mut states = ProducerStates::default();
        append(&mut states, batch(3, 0, 1, 0)).unwrap();
        assert_eq!(
            states.check(&batch(2, 1, 1, 1)),
            Err(SequenceError::StaleEpoch {
                producer_id: 7,
                epoch: 2,
                current: 3
            })
        );
        // Even a retry of its own batch: the epoch decides first.
        assert!(matches!(
            states.check(&batch(2, 0, 1, 1)),
            Err(SequenceError::StaleEpoch { .. })
        ));
    }

    #[test]
    fn a_new_epoch_starts_at_zero_and_forgets_the_old_batches() {
        let mut states = ProducerStates::default();
        append(&mut states, batch(0, 0, 5, 0)).unwrap();
        assert_eq!(
            states.check(&batch(1, 5, 1, 5)),
            Err(SequenceError::NewEpochNotAtZero {
                producer_id: 7,
                epoch: 1,
                got: 5
            })
        );
        assert_appends(&mut states, batch(1, 0, 2, 5));
        assert!(matches!(
            states.check(&batch(0, 0, 5, 9)),
            Err(SequenceError::StaleEpoch { .. })
        ));
        assert_appends(&mut states, batch(1, 2, 1, 7));
    }

    #[test]
    fn an_unknown_producer_is_accepted_at_any_sequence() {
        let mut states = ProducerStates::default();
        assert_appends(&mut states, batch(4, 1234, 2, 0));
        assert_appends(&mut states, batch(4, 1236, 1, 2));
    }

    #[test]
    fn producers_expire_by_their_newest_batch() {
        let mut states = ProducerStates::default();
        append(&mut states, batch(0, 0, 1, 0)).unwrap();
        let mut other = batch(0, 0, 1, 50);
        other.producer_id = 9;
        append(&mut states, other).unwrap();
        assert_eq!(states.expire(1_010), 1);
        assert_eq!(states.max_producer_id(), Some(9));
    }
}
