//! A segment: a contiguous run of batches starting at a base offset.
//!
//! Segments come in two kinds with one interface: files with sparse indexes
//! (the broker's normal store) and vectors of batches (the library's
//! in-memory test mode). The partition log above them decides when to roll,
//! what to delete and which segment an offset lives in.

#[cfg(test)]
mod damage_tests;
mod disk;
mod memory;

use bytes::Bytes;

pub use disk::DiskSegment;
pub use memory::MemorySegment;

use super::batch::{BatchHeader, ValidatedBatch, HEADER_LEN};
use super::compression::decompressor;
use super::faults::DiskFaults;
use super::records::{walk_records, StreamInput};

/// Settings a segment needs from its topic's configuration.
#[derive(Clone, Copy, Debug)]
pub struct SegmentParams {
    pub index_interval_bytes: u64,
    pub index_bytes: usize,
    /// Expected size of a full segment, used to map files once.
    pub segment_bytes: u64,
}

/// What a read found in one segment.
#[derive(Debug)]
pub enum SegmentRead {
    /// The offset is past the last batch of this segment.
    NotHere,
    /// The batch holding the offset exists but does not fit the byte limit.
    NoRoom,
    /// Whole batches, starting with the one that holds the offset.
    Data(Bytes),
}

/// The first record at or after a timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimestampMatch {
    pub timestamp: i64,
    pub offset: i64,
}

/// Bookkeeping shared by both segment kinds, updated on every append.
#[derive(Clone, Copy, Debug)]
pub struct SegmentStats {
    pub base_offset: i64,
    pub next_offset: i64,
    pub size: u64,
    pub max_timestamp: i64,
    pub offset_of_max_timestamp: i64,
    /// Timestamp that `segment.ms` counts from: the first batch's max
    /// timestamp, or the creation time of an empty segment.
    pub roll_timestamp: Option<i64>,
    pub created_ms: i64,
}

impl SegmentStats {
    pub fn new(base_offset: i64, created_ms: i64) -> Self {
        Self {
            base_offset,
            next_offset: base_offset,
            size: 0,
            max_timestamp: -1,
            offset_of_max_timestamp: base_offset,
            roll_timestamp: None,
            created_ms,
        }
    }

    /// Accounts for a batch that was just written at the end.
    pub fn record_append(
        &mut self,
        header: &BatchHeader,
        size: u64,
        max_ts: i64,
        max_ts_offset: i64,
    ) {
        self.next_offset = header.next_offset();
        self.size += size;
        if max_ts > self.max_timestamp {
            self.max_timestamp = max_ts;
            self.offset_of_max_timestamp = max_ts_offset;
        }
        if self.roll_timestamp.is_none() {
            self.roll_timestamp = Some(max_ts);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }
}

/// One segment of either kind.
pub enum Segment {
    Disk(DiskSegment),
    Memory(MemorySegment),
}

impl Segment {
    pub fn stats(&self) -> &SegmentStats {
        match self {
            Self::Disk(s) => s.stats(),
            Self::Memory(s) => s.stats(),
        }
    }

    pub fn next_offset(&self) -> i64 {
        self.stats().next_offset
    }

    pub fn size(&self) -> u64 {
        self.stats().size
    }

    pub fn is_empty(&self) -> bool {
        self.stats().is_empty()
    }

    /// Whether the next append must go to a new segment.
    pub fn is_full(&self) -> bool {
        match self {
            Self::Disk(s) => s.indexes_full(),
            Self::Memory(_) => false,
        }
    }

    /// Appends a batch that already carries its offsets.
    pub fn append(
        &mut self,
        batch: &ValidatedBatch,
        faults: Option<&DiskFaults>,
    ) -> std::io::Result<()> {
        match self {
            Self::Disk(s) => s.append(batch, faults),
            Self::Memory(s) => {
                s.append(batch);
                Ok(())
            }
        }
    }

    /// Whole batches from the one holding `offset`, up to `max_bytes` (at
    /// least one if `min_one`), none starting at or after `upto`.
    pub fn read(
        &mut self,
        offset: i64,
        max_bytes: usize,
        min_one: bool,
        upto: i64,
    ) -> std::io::Result<SegmentRead> {
        match self {
            Self::Disk(s) => s.read(offset, max_bytes, min_one, upto),
            Self::Memory(s) => Ok(s.read(offset, max_bytes, min_one, upto)),
        }
    }

    pub fn find_by_timestamp(&mut self, target: i64) -> std::io::Result<Option<TimestampMatch>> {
        if self.stats().max_timestamp < target || self.is_empty() {
            return Ok(None);
        }
        match self {
            Self::Disk(s) => s.find_by_timestamp(target),
            Self::Memory(s) => Ok(s.find_by_timestamp(target)),
        }
    }

    /// Calls `visit` with the header of every batch, oldest first.
    pub fn visit_headers(&mut self, visit: impl FnMut(&BatchHeader)) -> std::io::Result<()> {
        match self {
            Self::Disk(s) => s.visit_headers(visit),
            Self::Memory(s) => {
                s.visit_headers(visit);
                Ok(())
            }
        }
    }

    /// The segment stops taking appends.
    pub fn seal(&mut self) -> std::io::Result<()> {
        match self {
            Self::Disk(s) => s.seal(),
            Self::Memory(_) => Ok(()),
        }
    }

    /// The file to fsync for durability, if this segment has one.
    pub fn file(&self) -> Option<std::sync::Arc<std::fs::File>> {
        match self {
            Self::Disk(s) => Some(s.file()),
            Self::Memory(_) => None,
        }
    }

    /// Removes the segment's files; its data stays readable by anyone who
    /// still holds a slice of it.
    pub fn delete(self) -> std::io::Result<()> {
        match self {
            Self::Disk(s) => s.delete(),
            Self::Memory(_) => Ok(()),
        }
    }
}

/// Finds the first record of `batch` (a whole stored batch) whose timestamp
/// is at least `target`. Compressed batches are decompressed to look.
pub fn first_record_at_or_after(batch: &[u8], target: i64) -> Option<TimestampMatch> {
    let header = BatchHeader::parse(batch)?;
    if header.max_timestamp < target {
        return None;
    }
    if header.is_log_append_time() {
        // Every record of the batch carries the append time.
        return Some(TimestampMatch {
            timestamp: header.max_timestamp,
            offset: header.base_offset,
        });
    }
    let records = batch.get(HEADER_LEN..)?;
    let reader = decompressor(header.compression()?, records, 1 << 30).ok()?;
    let mut found = None;
    let count = u32::try_from(header.records_count).ok()?;
    let _ = walk_records(&mut StreamInput::new(reader, 1 << 30), count, |r| {
        let timestamp = header.base_timestamp.saturating_add(r.timestamp_delta);
        if timestamp >= target {
            found = Some(TimestampMatch {
                timestamp,
                offset: header.base_offset + i64::from(r.offset_delta),
            });
            return false;
        }
        true
    });
    // The batch's max timestamp promised a match; fall back to its start if
    // the records disagree rather than skipping the batch.
    found.or(Some(TimestampMatch {
        timestamp: header.max_timestamp,
        offset: header.base_offset,
    }))
}
