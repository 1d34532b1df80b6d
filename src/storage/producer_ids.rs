//! Where producer ids come from, so that no id is ever handed out twice, not
//! even across restarts.
//!
//! Ids are taken from blocks (as Kafka's controller hands them to brokers):
//! the end of a block is written to the data directory, atomically, before
//! the first id of the block is used, so after a crash the next start begins
//! at the next block and never reuses an id it may have given away. An id
//! costs one file write per [`BLOCK_SIZE`] ids.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{read_json, write_json, StorageError};

pub const FILE_NAME: &str = "producer-ids.json";
const FORMAT_VERSION: u32 = 1;
/// Ids per durable block.
pub const BLOCK_SIZE: i64 = 1000;

#[derive(Serialize, Deserialize)]
struct StoredBlock {
    version: u32,
    /// No id below this was ever handed out by a later block.
    next_block_start: i64,
}

/// Allocates producer ids; in memory, or durable in a data directory.
pub struct ProducerIdBlocks {
    path: Option<PathBuf>,
    next: i64,
    block_end: i64,
}

impl ProducerIdBlocks {
    /// Ids from `floor` on, forgotten with the process.
    pub fn in_memory(floor: i64) -> Self {
        Self {
            path: None,
            next: floor.max(0),
            block_end: i64::MAX,
        }
    }

    /// Ids above every block already taken in `dir` and at least `floor`
    /// (one more than the highest producer id found in the logs).
    pub fn open(dir: &Path, floor: i64) -> Result<Self, StorageError> {
        let path = dir.join(FILE_NAME);
        let stored = match read_json::<StoredBlock>(&path)? {
            Some(stored) if stored.version == FORMAT_VERSION => stored.next_block_start,
            Some(stored) => {
                return Err(StorageError::BadMetadata {
                    path,
                    reason: format!("format version {} is not {FORMAT_VERSION}", stored.version),
                })
            }
            None => 0,
        };
        let next = stored.max(floor).max(0);
        Ok(Self {
            path: Some(path),
            next,
            // Nothing of a new block is taken until its end is on disk.
            block_end: next,
        })
    }

    /// The next unused id.
    pub fn next_id(&mut self) -> Result<i64, StorageError> {
        if self.next >= self.block_end {
            let end = self.next.saturating_add(BLOCK_SIZE);
            if let Some(path) = &self.path {
                let stored = StoredBlock {
                    version: FORMAT_VERSION,
                    next_block_start: end,
                };
                write_json(path, &stored)?;
            }
            self.block_end = end;
        }
        let id = self.next;
        self.next += 1;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_never_reused_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut blocks = ProducerIdBlocks::open(dir.path(), 0).unwrap();
        let first: Vec<i64> = (0..3).map(|_| blocks.next_id().unwrap()).collect();
        assert_eq!(first, vec![0, 1, 2]);
        drop(blocks);
        let mut blocks = ProducerIdBlocks::open(dir.path(), 0).unwrap();
        assert_eq!(blocks.next_id().unwrap(), BLOCK_SIZE);
    }

    #[test]
    fn ids_stay_above_those_found_in_the_logs() {
        let dir = tempfile::tempdir().unwrap();
        let mut blocks = ProducerIdBlocks::open(dir.path(), 5_000).unwrap();
        assert_eq!(blocks.next_id().unwrap(), 5_000);
        assert_eq!(ProducerIdBlocks::in_memory(42).next_id().unwrap(), 42);
    }

    #[test]
    fn a_new_block_is_written_before_its_first_id_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let mut blocks = ProducerIdBlocks::open(dir.path(), 0).unwrap();
        for _ in 0..=BLOCK_SIZE {
            blocks.next_id().unwrap();
        }
        let stored: StoredBlock =
            serde_json::from_slice(&std::fs::read(dir.path().join(FILE_NAME)).unwrap()).unwrap();
        assert_eq!(stored.next_block_start, 2 * BLOCK_SIZE);
    }

    #[test]
    fn a_damaged_id_file_is_an_error_not_a_restart_from_zero() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), b"{\"version\":1,\"next_blo").unwrap();
        assert!(matches!(
            ProducerIdBlocks::open(dir.path(), 0),
            Err(StorageError::BadMetadata { .. })
        ));
    }
}
