//! What can go wrong below the protocol: disks, offsets, and logs that are
//! gone. The protocol layer maps these to Kafka error codes in one place.

use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::producer_state::SequenceError;

#[derive(Debug, Error)]
pub enum StorageError {
    #[error("{op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("offset {requested} is outside the log [{log_start}, {log_end}]")]
    OffsetOutOfRange {
        requested: i64,
        log_start: i64,
        log_end: i64,
    },
    #[error("batch of {size} bytes is larger than segment.bytes ({segment_bytes})")]
    BatchLargerThanSegment { size: usize, segment_bytes: u64 },
    #[error("partition {0} was deleted")]
    Deleted(String),
    #[error("data directory {} is in use by another process", path.display())]
    Locked { path: PathBuf },
    #[error("fsync of {} failed: {source}", path.display())]
    Flush {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("stored metadata {} is unreadable: {reason}", path.display())]
    BadMetadata { path: PathBuf, reason: String },
    #[error(transparent)]
    Sequence(#[from] SequenceError),
}

impl StorageError {
    /// Wraps an I/O error with what was being done to which path.
    pub fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StorageError + 'a {
        move |source| StorageError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }
}
