//! The metadata quorum as DescribeQuorum shows it. A KRaft cluster keeps
//! its metadata in a replicated log led by one controller; klamm's
//! equivalent is `cluster.json`, kept by broker `controller_id` alone. So
//! klamm reports a one-voter quorum: that broker leads, its epoch grows by
//! one at every start (a lone voter elects itself anew each time it starts),
//! and the high watermark counts the metadata changes written so far. The
//! other simulated brokers are the observers Kafka's brokers would be.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};

use uuid::Uuid;

use super::metadata_file::StoredMetadataLog;

/// Where the metadata log stands.
#[derive(Debug)]
pub struct MetadataLog {
    epoch: i32,
    end_offset: AtomicI64,
}

/// The file that records the epoch of each start. It is written without
/// fsync, so that a start costs no disk flush: a power cut may lose it,
/// and then the epoch `cluster.json` recorded with its last change counts
/// instead (an epoch may repeat; it never goes back below that one).
pub const EPOCH_FILE: &str = "quorum-epoch";

impl MetadataLog {
    /// The log of a broker starting now: the newest epoch recorded (in
    /// `cluster.json` or the epoch file under `dir`) plus one, recorded in
    /// the epoch file at once.
    pub fn starting(stored: StoredMetadataLog, dir: Option<&Path>) -> Self {
        let recorded = dir
            .and_then(|d| std::fs::read_to_string(d.join(EPOCH_FILE)).ok())
            .and_then(|text| text.trim().parse::<i32>().ok())
            .unwrap_or(0);
        let epoch = stored.epoch.max(recorded).saturating_add(1);
        if let Some(dir) = dir {
            let written = crate::storage::write_json_as(
                &dir.join(EPOCH_FILE),
                &epoch,
                crate::storage::Durability::Unsynced,
            );
            if let Err(e) = written {
                tracing::warn!(error = %e, "could not record the metadata quorum's epoch");
            }
        }
        Self {
            epoch,
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

/// The metadata log directory id of an observer (a broker that only reads
/// the log): stable for the cluster and the node, never the nil id Kafka
/// reserves for "none". The voter's is nil, as in a static quorum.
pub fn observer_directory_id(cluster_id: &str, node_id: i32) -> Uuid {
    use base64::Engine;
    let mut bytes = [0u8; 16];
    if let Ok(decoded) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cluster_id) {
        for (b, d) in bytes.iter_mut().zip(decoded) {
            *b = d;
        }
    }
    for (b, n) in bytes[12..].iter_mut().zip(node_id.to_be_bytes()) {
        *b ^= n;
    }
    let id = Uuid::from_bytes(bytes);
    if id.is_nil() {
        Uuid::from_u128(node_id as u128 + 1)
    } else {
        id
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
        let log = MetadataLog::starting(
            StoredMetadataLog {
                epoch: 4,
                end_offset: 10,
            },
            None,
        );
        assert_eq!((log.epoch(), log.end_offset()), (5, 10));
        assert_eq!(log.next().end_offset, 11);
        log.advance();
        assert_eq!(log.end_offset(), 11);
    }

    #[test]
    fn the_epoch_file_counts_starts_without_metadata_changes() {
        let dir = tempfile::tempdir().unwrap();
        let stored = StoredMetadataLog {
            epoch: 2,
            end_offset: 0,
        };
        assert_eq!(MetadataLog::starting(stored, Some(dir.path())).epoch(), 3);
        assert_eq!(MetadataLog::starting(stored, Some(dir.path())).epoch(), 4);
        std::fs::write(dir.path().join(EPOCH_FILE), b"garbage").unwrap();
        assert_eq!(MetadataLog::starting(stored, Some(dir.path())).epoch(), 3);
    }

    #[test]
    fn observers_have_distinct_stable_directory_ids() {
        let cluster = "sUUY4nkrSuumJjC5fQ4Zjw";
        let two = observer_directory_id(cluster, 2);
        assert_eq!(two, observer_directory_id(cluster, 2));
        assert_ne!(two, observer_directory_id(cluster, 3));
        assert!(!two.is_nil());
        assert!(!observer_directory_id("not base64!", 0).is_nil());
    }
}
