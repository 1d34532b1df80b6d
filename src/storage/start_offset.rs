//! The log start offset that DeleteRecords set, kept in a small file in the
//! partition's directory so a restart does not bring deleted records back
//! (Kafka keeps the same fact in its log-start-offset checkpoint).
//!
//! Retention needs no checkpoint: it deletes whole segments, so the first
//! segment left says where the log starts. DeleteRecords can move the start
//! into the middle of a segment, which only this file remembers.

use std::path::Path;

use super::error::StorageError;
use super::write_atomically;

const FILE_NAME: &str = "log-start-offset.checkpoint";
/// The first line of the file; a later format gets a new number.
const FORMAT_VERSION: &str = "0";

/// The checkpointed log start offset, `None` if none was ever written.
pub fn read(dir: &Path) -> Result<Option<i64>, StorageError> {
    let path = dir.join(FILE_NAME);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StorageError::io("reading", &path)(e)),
    };
    let mut lines = text.lines();
    let bad = |reason: &str| StorageError::BadMetadata {
        path: path.clone(),
        reason: reason.to_string(),
    };
    if lines.next() != Some(FORMAT_VERSION) {
        return Err(bad("unknown checkpoint format"));
    }
    let offset = lines
        .next()
        .and_then(|l| l.trim().parse::<i64>().ok())
        .filter(|o| *o >= 0)
        .ok_or_else(|| bad("no log start offset"))?;
    Ok(Some(offset))
}

/// Replaces the checkpoint atomically and durably.
pub fn write(dir: &Path, offset: i64) -> Result<(), StorageError> {
    write_atomically(
        &dir.join(FILE_NAME),
        format!("{FORMAT_VERSION}\n{offset}\n").as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_round_trips_and_its_absence_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
        write(dir.path(), 42).unwrap();
        write(dir.path(), 97).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Some(97));
    }

    #[test]
    fn a_damaged_checkpoint_is_an_error_not_offset_zero() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "0\nlots\n").unwrap();
        assert!(matches!(
            read(dir.path()),
            Err(StorageError::BadMetadata { .. })
        ));
    }
}
