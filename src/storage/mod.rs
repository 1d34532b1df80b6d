//! The log store: partitions as directories of segments, or in memory.
//!
//! Storage knows bytes, offsets and files; it knows nothing of sockets or of
//! Kafka's request formats. The protocol layer hands it validated batches
//! and asks it for ranges of batches back.

pub mod batch;
pub mod builder;
pub mod compression;
mod error;
mod faults;
mod flush;
#[cfg(test)]
mod full_disk_tests;
mod index;
mod log;
pub mod producer_ids;
mod producer_snapshot;
pub mod producer_state;
pub mod records;
#[cfg(test)]
mod seeds;
mod segment;
mod start_offset;
mod validate;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tracing::{info, warn};

pub use error::StorageError;
pub use faults::{DiskFault, DiskFaults};
pub use flush::{fsync_count, Durable, GroupCommit};
pub use log::{LogConfig, LogLocation, LogOffsets, LogRead, PartitionLog, Removed, LEADER_EPOCH};
pub use segment::TimestampMatch;
pub use validate::{validate_batch, BatchError, RecordProblem, RecordProblems, ValidationRules};

const LOCK_FILE: &str = ".lock";
const CLEAN_SHUTDOWN_FILE: &str = ".clean-shutdown";
const DELETE_SUFFIX: &str = "-delete";

/// Current wall-clock time in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The broker's store: a locked data directory, or memory.
pub struct Storage {
    root: Option<PathBuf>,
    /// Held for the store's lifetime so two brokers never share a directory.
    _lock: Option<File>,
    recover: bool,
    group_commit: Option<Arc<GroupCommit>>,
    faults: Option<DiskFaults>,
}

impl Storage {
    /// A store that keeps everything in memory.
    pub fn in_memory() -> Self {
        Self {
            root: None,
            _lock: None,
            recover: false,
            group_commit: None,
            faults: None,
        }
    }

    /// Opens (creating if needed) a data directory. `fsync_before_ack` makes
    /// every append wait for a (grouped) fsync.
    pub fn open(root: &Path, fsync_before_ack: bool) -> Result<Self, StorageError> {
        let fresh = fs::read_dir(root).map_or(true, |mut entries| entries.next().is_none());
        fs::create_dir_all(root).map_err(StorageError::io("creating data directory", root))?;
        let lock_path = root.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(StorageError::io("opening", &lock_path))?;
        lock.try_lock().map_err(|_| StorageError::Locked {
            path: root.to_path_buf(),
        })?;
        let marker = root.join(CLEAN_SHUTDOWN_FILE);
        let clean = marker.exists();
        if clean {
            fs::remove_file(&marker).map_err(StorageError::io("removing", &marker))?;
        }
        let group_commit = if fsync_before_ack {
            Some(Arc::new(GroupCommit::start().map_err(StorageError::io(
                "starting fsync thread for",
                root,
            ))?))
        } else {
            None
        };
        let storage = Self {
            root: Some(root.to_path_buf()),
            _lock: Some(lock),
            recover: !clean && !fresh,
            group_commit,
            faults: None,
        };
        storage.remove_leftovers();
        if storage.recover {
            info!(dir = %root.display(), "last shutdown was not clean: newest segments will be checked");
        }
        Ok(storage)
    }

    /// Makes every log opened from now on fail its writes when `faults`
    /// says so (a test seam; see [`DiskFaults`]).
    pub fn with_faults(mut self, faults: DiskFaults) -> Self {
        self.faults = Some(faults);
        self
    }

    fn with_seam(&self, log: Arc<PartitionLog>) -> Arc<PartitionLog> {
        if let Some(faults) = &self.faults {
            log.inject_faults(faults.clone());
        }
        log
    }

    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    pub fn is_in_memory(&self) -> bool {
        self.root.is_none()
    }

    fn partition_dir(root: &Path, topic: &str, partition: i32) -> PathBuf {
        root.join(format!("{topic}-{partition}"))
    }

    /// Opens the log of one partition, creating it if it does not exist.
    pub fn open_partition(
        &self,
        topic: &str,
        partition: i32,
        config: LogConfig,
    ) -> Result<Arc<PartitionLog>, StorageError> {
        let name = format!("{topic}-{partition}");
        let location = match &self.root {
            Some(root) => LogLocation::Disk(Self::partition_dir(root, topic, partition)),
            None => LogLocation::Memory,
        };
        PartitionLog::open(
            name,
            location,
            config,
            self.group_commit.clone(),
            self.recover,
            true,
            now_ms(),
        )
        .map(|log| self.with_seam(log))
    }

    /// An empty partition log that lives in memory whatever the store: for
    /// topics klamm shows but keeps nothing in (`cluster::OFFSETS_TOPIC`).
    pub fn open_in_memory(
        &self,
        topic: &str,
        partition: i32,
        config: LogConfig,
    ) -> Result<Arc<PartitionLog>, StorageError> {
        PartitionLog::open(
            format!("{topic}-{partition}"),
            LogLocation::Memory,
            config,
            None,
            false,
            false,
            now_ms(),
        )
    }

    /// Opens one of klamm's own logs (committed offsets and group state),
    /// kept apart from topic partitions under `internal/`.
    pub fn open_internal(
        &self,
        name: &str,
        config: LogConfig,
    ) -> Result<Arc<PartitionLog>, StorageError> {
        let location = match &self.root {
            Some(root) => LogLocation::Disk(root.join("internal").join(name)),
            None => LogLocation::Memory,
        };
        PartitionLog::open(
            format!("internal/{name}"),
            location,
            config,
            self.group_commit.clone(),
            self.recover,
            false,
            now_ms(),
        )
        .map(|log| self.with_seam(log))
    }

    /// Removes a deleted partition's files. The directory is renamed first so
    /// a topic of the same name can be created at once; the rename is what
    /// must succeed, the removal can be finished at the next start.
    pub fn remove_partition(&self, log: &PartitionLog) -> Result<(), StorageError> {
        log.mark_deleted();
        let LogLocation::Disk(dir) = log.location() else {
            return Ok(());
        };
        let doomed = dir.with_file_name(format!(
            "{}.{}{DELETE_SUFFIX}",
            log.name(),
            uuid::Uuid::new_v4().simple()
        ));
        match fs::rename(dir, &doomed) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StorageError::io("renaming", dir)(e)),
        }
        std::thread::spawn(move || {
            if let Err(e) = fs::remove_dir_all(&doomed) {
                warn!(dir = %doomed.display(), error = %e, "could not remove a deleted partition");
            }
        });
        Ok(())
    }

    /// Partition directories that belong to no known topic (a create or
    /// delete interrupted by a crash) are removed at start-up.
    pub fn remove_orphans(&self, known: &dyn Fn(&str) -> bool) {
        let Some(root) = &self.root else { return };
        let Ok(entries) = fs::read_dir(root) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let is_partition = entry.file_type().is_ok_and(|t| t.is_dir())
                && name
                    .rsplit_once('-')
                    .is_some_and(|(_, p)| p.parse::<u32>().is_ok());
            if is_partition && !known(name) {
                warn!(
                    dir = name,
                    "removing a partition directory that belongs to no topic"
                );
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }

    fn remove_leftovers(&self) {
        let Some(root) = &self.root else { return };
        let Ok(entries) = fs::read_dir(root) else {
            return;
        };
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.ends_with(DELETE_SUFFIX))
            {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }

    /// Records a clean shutdown so the next start trusts the indexes.
    pub fn mark_clean_shutdown(&self) {
        if let Some(commit) = &self.group_commit {
            commit.stop();
        }
        let Some(root) = &self.root else { return };
        let marker = root.join(CLEAN_SHUTDOWN_FILE);
        if let Err(e) = File::create(&marker).and_then(|f| f.sync_all()) {
            warn!(error = %e, "could not record the clean shutdown");
        }
    }
}

/// Reads a JSON record written by [`write_json`]; `Ok(None)` if there is none.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, StorageError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StorageError::io("reading", path)(e)),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| StorageError::BadMetadata {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
}

/// Whether a replaced file must be on disk before the call returns.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync the file and its directory: a crash leaves the old or the new
    /// contents, never a mix.
    Synced,
    /// Renamed into place only: after a power cut the file may be old,
    /// missing or empty. For files whose readers check them before use.
    Unsynced,
}

/// Replaces `path` with `value` as JSON, atomically and synced.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), StorageError> {
    write_json_as(path, value, Durability::Synced)
}

/// Replaces `path` with `value` as JSON.
pub fn write_json_as<T: serde::Serialize>(
    path: &Path,
    value: &T,
    durability: Durability,
) -> Result<(), StorageError> {
    let bytes = serde_json::to_vec(value).map_err(|e| StorageError::BadMetadata {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    replace_file(path, &bytes, durability)
}

/// Replaces `path` with `contents` atomically: a crash leaves either the old
/// or the new file, never a mix.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), StorageError> {
    replace_file(path, contents, Durability::Synced)
}

/// Writes `contents` beside `path` and renames it into place.
fn replace_file(path: &Path, contents: &[u8], durability: Durability) -> Result<(), StorageError> {
    let synced = durability == Durability::Synced;
    let tmp = path.with_extension("tmp");
    let mut file = File::create(&tmp).map_err(StorageError::io("creating", &tmp))?;
    file.write_all(contents)
        .and_then(|()| if synced { file.sync_all() } else { Ok(()) })
        .map_err(StorageError::io("writing", &tmp))?;
    fs::rename(&tmp, path).map_err(StorageError::io("replacing", path))?;
    if let Some(dir) = path.parent().filter(|_| synced) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(StorageError::io("syncing directory", dir))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_directory_is_locked_while_open() {
        let dir = tempfile::tempdir().unwrap();
        let first = Storage::open(dir.path(), false).unwrap();
        assert!(matches!(
            Storage::open(dir.path(), false),
            Err(StorageError::Locked { .. })
        ));
        drop(first);
        Storage::open(dir.path(), false).unwrap();
    }

    #[test]
    fn a_clean_shutdown_is_remembered_once() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path(), false).unwrap();
        assert!(!storage.recover, "a new directory has nothing to recover");
        drop(storage);
        let storage = Storage::open(dir.path(), false).unwrap();
        assert!(storage.recover, "the first run did not shut down cleanly");
        storage.mark_clean_shutdown();
        drop(storage);
        let storage = Storage::open(dir.path(), false).unwrap();
        assert!(!storage.recover);
        drop(storage);
        assert!(Storage::open(dir.path(), false).unwrap().recover);
    }

    #[test]
    fn atomic_writes_replace_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta.json");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert!(!path.with_extension("tmp").exists());
    }
}
