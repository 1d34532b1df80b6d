//! The metadata quorum as DescribeQuorum shows it. A KRaft cluster keeps
//! its metadata in a replicated log led by one controller; klamm's
//! equivalent is `cluster.json`, kept by broker `controller_id` alone. So
//! klamm reports a one-voter quorum: that broker leads, its epoch grows by
//! one at every start (a lone voter elects itself anew each time it starts),
//! and the high watermark counts the metadata changes written so far. The
//! other simulated brokers are the observers Kafka's brokers would be.

use std::sync::atomic::{AtomicI64, Ordering};

use super::metadata_file::StoredMetadataLog;

/// Where the metadata log stands.
#[derive(Debug)]
pub struct MetadataLog {
    epoch: i32,
    end_offset: AtomicI64,
}

impl MetadataLog {
    /// The log of a broker starting now: the stored epoch plus one.
    pub fn starting(stored: StoredMetadataLog) -> Self {
        Self {
            epoch: stored.epoch.saturating_add(1),
            end_offset: AtomicI64::new(stored.end_offset.max(0)),
        }
    }

    pub fn epoch(&self) -> i32 {
        self.epoch
    }

    /// The offset the next metadata record gets; every record is committed
    /// at once (one voter), so this is also the high watermark.
    pub fn end_offset(&self) -> i64 {
        self.end_offset.load(Ordering::Acquire)
    }

    /// What the record of the change about to be written says.
    pub fn next(&self) -> StoredMetadataLog {
        StoredMetadataLog {
            epoch: self.epoch,
            end_offset: self.end_offset() + 1,
        }
    }

    /// Counts a change that was written (the caller holds the metadata lock).
    pub fn advance(&self) {
        self.end_offset.fetch_add(1, Ordering::AcqRel);
    }
}

/// The quorum's state for DescribeQuorum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quorum {
    pub leader_id: i32,
    pub epoch: i32,
    pub high_watermark: i64,
    pub voters: Vec<i32>,
    pub observers: Vec<i32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_start_is_a_new_epoch_and_changes_advance_the_log() {
        let log = MetadataLog::starting(StoredMetadataLog {
            epoch: 4,
            end_offset: 10,
        });
        assert_eq!((log.epoch(), log.end_offset()), (5, 10));
        assert_eq!(log.next().end_offset, 11);
        log.advance();
        assert_eq!(log.end_offset(), 11);
    }
}
