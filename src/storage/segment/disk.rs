//! A segment on disk: `<base>.log` with `<base>.index` and `<base>.timeindex`.
//!
//! Batches are appended with plain writes (the page cache carries them, as in
//! Kafka) and read back through a read-only memory map, so a fetch hands the
//! socket writer a slice of the page cache without copying it first.

use std::fs::{self, File, OpenOptions};
use std::io::{self, IoSlice, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use memmap2::{Mmap, MmapOptions};
use tracing::warn;

use super::{first_record_at_or_after, SegmentParams, SegmentRead, SegmentStats, TimestampMatch};
use crate::storage::batch::{compute_crc, BatchHeader, ValidatedBatch, MIN_BATCH_LENGTH};
use crate::storage::faults::DiskFaults;
use crate::storage::index::{OffsetEntry, OffsetIndex, TimeEntry, TimeIndex};

/// Kafka's file name for a segment: the base offset, zero-padded to 20 digits.
pub fn file_stem(base_offset: i64) -> String {
    format!("{base_offset:020}")
}

/// A slice of a mapping that keeps the mapping alive (the owner behind the
/// `Bytes` handed to fetch responses).
struct MapSlice {
    map: Arc<Mmap>,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for MapSlice {
    fn as_ref(&self) -> &[u8] {
        &self.map[self.start..self.end]
    }
}

/// The committed bytes of the file. The mapping behind them may run further
/// (it is made ahead for a growing segment) and touching its pages past the
/// end of the file is SIGBUS, so only the committed bytes are reachable.
struct View {
    map: Arc<Mmap>,
    len: usize,
}

impl std::ops::Deref for View {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map[..self.len]
    }
}

/// How far a scan of the log file got.
struct ScanOutcome {
    valid_bytes: u64,
    stats: SegmentStats,
    damage: Option<String>,
}

pub struct DiskSegment {
    dir: PathBuf,
    file: Arc<File>,
    map: Option<Arc<Mmap>>,
    map_hint: u64,
    offset_index: OffsetIndex,
    time_index: TimeIndex,
    params: SegmentParams,
    bytes_since_index: u64,
    stats: SegmentStats,
    /// A write failed and what it left could not be cut off yet.
    failed_write: bool,
}

impl DiskSegment {
    fn paths(dir: &Path, base_offset: i64) -> (PathBuf, PathBuf, PathBuf) {
        let stem = file_stem(base_offset);
        (
            dir.join(format!("{stem}.log")),
            dir.join(format!("{stem}.index")),
            dir.join(format!("{stem}.timeindex")),
        )
    }

    /// Creates an empty segment (replacing any leftover files of that name).
    pub fn create(
        dir: &Path,
        base_offset: i64,
        params: SegmentParams,
        now_ms: i64,
    ) -> io::Result<Self> {
        let (log, index, timeindex) = Self::paths(dir, base_offset);
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&log)?;
        file.set_len(0)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            file: Arc::new(file),
            map: None,
            map_hint: params.segment_bytes,
            offset_index: OffsetIndex::open(&index, params.index_bytes, false)?,
            time_index: TimeIndex::open(&timeindex, params.index_bytes, false)?,
            params,
            bytes_since_index: 0,
            stats: SegmentStats::new(base_offset, now_ms),
            failed_write: false,
        })
    }

    /// Opens an existing segment. With `recover`, every batch is checked
    /// (CRC included), the file is cut at the first damaged one and the
    /// indexes are rebuilt; without, the indexes are trusted if they agree
    /// with the file, and the segment falls back to recovery if they do not.
    pub fn open(
        dir: &Path,
        base_offset: i64,
        params: SegmentParams,
        recover: bool,
        active: bool,
        now_ms: i64,
    ) -> io::Result<Self> {
        let (log, index, timeindex) = Self::paths(dir, base_offset);
        let file = OpenOptions::new().read(true).append(true).open(&log)?;
        let created_ms = file
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(now_ms, |d| d.as_millis() as i64);
        let mut segment = Self {
            dir: dir.to_path_buf(),
            file: Arc::new(file),
            map: None,
            map_hint: if active { params.segment_bytes } else { 0 },
            offset_index: OffsetIndex::open(&index, params.index_bytes, !recover)?,
            time_index: TimeIndex::open(&timeindex, params.index_bytes, !recover)?,
            params,
            bytes_since_index: 0,
            stats: SegmentStats::new(base_offset, created_ms),
            failed_write: false,
        };
        if recover || !segment.load_from_indexes()? {
            segment.recover()?;
        }
        if !active {
            segment.seal()?;
        }
        Ok(segment)
    }

    pub fn stats(&self) -> &SegmentStats {
        &self.stats
    }

    pub fn file(&self) -> Arc<File> {
        Arc::clone(&self.file)
    }

    pub fn indexes_full(&self) -> bool {
        self.offset_index.is_full() || self.time_index.is_full()
    }

    fn relative(&self, offset: i64) -> u32 {
        (offset - self.stats.base_offset).clamp(0, i64::from(u32::MAX)) as u32
    }

    /// The committed bytes of the file, from a mapping kept for later reads.
    fn view(&mut self) -> io::Result<Option<View>> {
        let size = self.stats.size as usize;
        if size == 0 {
            return Ok(None);
        }
        if let Some(map) = &self.map {
            if map.len() >= size {
                return Ok(Some(View {
                    map: Arc::clone(map),
                    len: size,
                }));
            }
        }
        // Map ahead to the expected segment size so a growing active segment
        // is mapped once; bytes past the end of the file are never touched.
        let len = size.max(self.map_hint as usize);
        // SAFETY: the segment file is only ever appended to while mapped; it
        // is truncated only during recovery, before any mapping exists, or
        // back to `size` after a failed append, which never cuts into bytes a
        // reader can see.
        let map = Arc::new(unsafe { MmapOptions::new().len(len).map(&*self.file)? });
        self.map = Some(Arc::clone(&map));
        Ok(Some(View { map, len: size }))
    }

    /// Writes a batch at the end. A write that fails part-way is cut back
    /// so the file ends on a batch boundary again; if even the cut fails,
    /// it is retried before the next write, which is refused until it works
    /// (the file is opened for appending, so a tail left behind would shift
    /// every later batch away from the position the indexes record).
    pub fn append(
        &mut self,
        batch: &ValidatedBatch,
        faults: Option<&DiskFaults>,
    ) -> io::Result<()> {
        self.cut_failed_write(faults)?;
        let position = self.stats.size;
        let header = batch.header.header();
        let mut slices = [
            IoSlice::new(batch.header.bytes()),
            IoSlice::new(&batch.records),
        ];
        let written = match faults.and_then(|f| f.check(batch.size())) {
            None => write_all_vectored(&self.file, &mut slices),
            Some((partial, error)) => write_prefix(&self.file, &slices, partial).and(Err(error)),
        };
        if let Err(e) = written {
            self.failed_write = true;
            if let Err(cut) = self.cut_failed_write(faults) {
                warn!(dir = %self.dir.display(), error = %cut, "could not cut a failed append; retrying before the next one");
            }
            return Err(e);
        }
        let size = batch.size() as u64;
        let max_ts_offset = header.base_offset + i64::from(batch.offset_delta_of_max_timestamp);
        self.index_batch(&header, position, size, batch.max_timestamp, max_ts_offset);
        Ok(())
    }

    /// Cuts what a failed write left after the last whole batch.
    fn cut_failed_write(&mut self, faults: Option<&DiskFaults>) -> io::Result<()> {
        if !self.failed_write {
            return Ok(());
        }
        if let Some(error) = faults.and_then(DiskFaults::check_cut) {
            return Err(error);
        }
        self.file.set_len(self.stats.size)?;
        self.failed_write = false;
        Ok(())
    }

    /// Updates stats and indexes for a batch now at `position`.
    fn index_batch(
        &mut self,
        header: &BatchHeader,
        position: u64,
        size: u64,
        max_ts: i64,
        max_ts_offset: i64,
    ) {
        self.stats
            .record_append(header, size, max_ts, max_ts_offset);
        if self.bytes_since_index >= self.params.index_interval_bytes && position > 0 {
            self.offset_index.append(OffsetEntry {
                relative_offset: self.relative(header.base_offset),
                position: position as u32,
            });
            self.maybe_append_time_entry();
            self.bytes_since_index = 0;
        }
        self.bytes_since_index += size;
    }

    fn maybe_append_time_entry(&mut self) {
        let newer = self
            .time_index
            .last()
            .is_none_or(|last| self.stats.max_timestamp > last.timestamp);
        if newer && self.stats.max_timestamp >= 0 {
            self.time_index.append(TimeEntry {
                timestamp: self.stats.max_timestamp,
                relative_offset: self.relative(self.stats.offset_of_max_timestamp),
            });
        }
    }

    /// Position of the batch holding `offset`, or `None` if it is past the end.
    fn locate(&self, map: &[u8], offset: i64) -> Option<(usize, BatchHeader)> {
        let size = self.stats.size as usize;
        let entry = self
            .offset_index
            .floor(i64::from(self.relative(offset)), false);
        let mut pos = entry.map_or(0, |e| e.position as usize);
        // An entry must point at the batch it names; one that does not (a
        // damaged index that looked sound) costs a scan, never a wrong read.
        let points_at_its_batch = entry.is_none_or(|e| {
            let base = self.stats.base_offset + i64::from(e.relative_offset);
            map.get(pos..size)
                .and_then(BatchHeader::parse)
                .is_some_and(|h| h.base_offset == base)
        });
        if !points_at_its_batch {
            pos = 0;
        }
        while pos < size {
            let header = BatchHeader::parse(map.get(pos..size)?)?;
            let batch_size = header.total_size()?;
            if header.last_offset() >= offset {
                return Some((pos, header));
            }
            pos += batch_size;
        }
        None
    }

    pub fn read(
        &mut self,
        offset: i64,
        max_bytes: usize,
        min_one: bool,
        upto: i64,
    ) -> io::Result<SegmentRead> {
        let Some(map) = self.view()? else {
            return Ok(SegmentRead::NotHere);
        };
        let size = self.stats.size as usize;
        let Some((start, _)) = self.locate(&map, offset) else {
            return Ok(SegmentRead::NotHere);
        };
        let mut end = start;
        while end < size {
            let Some(header) = map.get(end..size).and_then(BatchHeader::parse) else {
                break;
            };
            // A length that runs past the file (trusted indexes skip the
            // check recovery makes) ends the read: never half a batch.
            let Some(batch_size) = header
                .total_size()
                .filter(|&batch_size| header.base_offset < upto && batch_size <= size - end)
            else {
                break;
            };
            let fits = end - start + batch_size <= max_bytes;
            let must_take_first = min_one && end == start;
            if !(fits || must_take_first) {
                break;
            }
            end += batch_size;
        }
        if end == start {
            return Ok(SegmentRead::NoRoom);
        }
        Ok(SegmentRead::Data(Bytes::from_owner(MapSlice {
            map: map.map,
            start,
            end,
        })))
    }

    pub fn find_by_timestamp(&mut self, target: i64) -> io::Result<Option<TimestampMatch>> {
        let Some(map) = self.view()? else {
            return Ok(None);
        };
        let size = self.stats.size as usize;
        // Everything up to an entry below the target is below it too.
        let start_offset = self
            .time_index
            .floor(target, true)
            .map_or(self.stats.base_offset, |e| {
                self.stats.base_offset + i64::from(e.relative_offset)
            });
        let mut pos = self.locate(&map, start_offset).map_or(size, |(p, _)| p);
        while pos < size {
            let Some(header) = map.get(pos..size).and_then(BatchHeader::parse) else {
                break;
            };
            let Some(batch_size) = header.total_size() else {
                break;
            };
            if header.max_timestamp >= target {
                let batch = map.get(pos..pos + batch_size).unwrap_or_default();
                return Ok(first_record_at_or_after(batch, target));
            }
            pos += batch_size;
        }
        Ok(None)
    }

    /// Calls `visit` with the header of every batch, reading only the
    /// headers: each one says how far to jump to the next.
    pub fn visit_headers(&mut self, mut visit: impl FnMut(&BatchHeader)) -> io::Result<()> {
        let Some(map) = self.view()? else {
            return Ok(());
        };
        let size = self.stats.size as usize;
        let mut pos = 0;
        while pos < size {
            let Some(header) = map.get(pos..size).and_then(BatchHeader::parse) else {
                break;
            };
            let Some(batch_size) = plausible_size(&header, size - pos) else {
                break;
            };
            visit(&header);
            pos += batch_size;
        }
        Ok(())
    }

    /// Loads state from trusted indexes; `false` if they disagree with the
    /// file and the segment must be recovered instead.
    fn load_from_indexes(&mut self) -> io::Result<bool> {
        let file_size = self.file.metadata()?.len() as usize;
        self.stats.size = file_size as u64;
        let (start, start_rel) = match self.offset_index.last() {
            Some(e) if (e.position as usize) < file_size => {
                (e.position as usize, e.relative_offset)
            }
            Some(_) => return Ok(false),
            None => (0, 0),
        };
        let Some(map) = self.view()? else {
            return Ok(self.offset_index.is_empty() && self.time_index.is_empty());
        };
        self.stats.roll_timestamp = BatchHeader::parse(&map).map(|h| h.max_timestamp);
        // Walk the headers after the last index entry to find the end.
        let mut pos = start;
        let mut expected = self.stats.base_offset + i64::from(start_rel);
        let mut tail_max = (-1i64, self.stats.base_offset);
        while pos < file_size {
            let Some(header) = map.get(pos..file_size).and_then(BatchHeader::parse) else {
                return Ok(false);
            };
            let Some(size) = plausible_size(&header, file_size - pos) else {
                return Ok(false);
            };
            if header.base_offset != expected || header.last_offset() < header.base_offset {
                return Ok(false);
            }
            expected = header.next_offset();
            if header.max_timestamp > tail_max.0 {
                tail_max = (header.max_timestamp, header.base_offset);
            }
            pos += size;
        }
        self.stats.next_offset = expected;
        if !self.entries_fit(file_size) {
            return Ok(false);
        }
        match self.time_index.last() {
            Some(e) => {
                self.stats.max_timestamp = e.timestamp;
                self.stats.offset_of_max_timestamp =
                    self.stats.base_offset + i64::from(e.relative_offset);
            }
            // Without time entries only the tail's timestamps are known, and
            // the tail is the whole segment only if there are no offset entries.
            None if start > 0 => return Ok(false),
            None => {}
        }
        if tail_max.0 > self.stats.max_timestamp {
            self.stats.max_timestamp = tail_max.0;
            self.stats.offset_of_max_timestamp = tail_max.1;
        }
        Ok(true)
    }

    /// Whether every index entry could have been written for this file:
    /// offsets and positions strictly increasing and inside the segment,
    /// time entries pointing at offsets it holds. This reads only the
    /// indexes; that an entry points at the start of its batch is checked
    /// where it is used (see `locate`).
    fn entries_fit(&self, file_size: usize) -> bool {
        let end = self.stats.next_offset - self.stats.base_offset;
        let mut previous: Option<OffsetEntry> = None;
        for i in 0..self.offset_index.len() {
            let entry = self.offset_index.entry(i);
            let after_previous = previous.is_none_or(|p| {
                entry.relative_offset > p.relative_offset && entry.position > p.position
            });
            if !after_previous
                || i64::from(entry.relative_offset) >= end
                || entry.position as usize >= file_size
            {
                return false;
            }
            previous = Some(entry);
        }
        let mut previous: Option<TimeEntry> = None;
        for i in 0..self.time_index.len() {
            let entry = self.time_index.entry(i);
            let after_previous =
                previous.is_none_or(|p| entry.relative_offset >= p.relative_offset);
            if !after_previous || i64::from(entry.relative_offset) >= end {
                return false;
            }
            previous = Some(entry);
        }
        true
    }

    /// Scans the whole file, cuts it at the first damaged batch and rebuilds
    /// the indexes. Returns the number of bytes cut.
    pub fn recover(&mut self) -> io::Result<u64> {
        self.map = None;
        self.offset_index.clear();
        self.time_index.clear();
        let file_size = self.file.metadata()?.len();
        let outcome = if file_size == 0 {
            ScanOutcome {
                valid_bytes: 0,
                stats: SegmentStats::new(self.stats.base_offset, self.stats.created_ms),
                damage: None,
            }
        } else {
            // SAFETY: recovery runs before the segment is shared; nothing
            // else maps or resizes the file while this mapping is alive.
            let map = unsafe { Mmap::map(&*self.file)? };
            self.scan(&map)
        };
        let cut = file_size - outcome.valid_bytes;
        if let Some(damage) = &outcome.damage {
            warn!(
                segment = %self.dir.join(file_stem(self.stats.base_offset)).display(),
                kept_bytes = outcome.valid_bytes,
                cut_bytes = cut,
                next_offset = outcome.stats.next_offset,
                "recovery cut a damaged tail of {cut} bytes; the log now ends at offset {}: {damage}",
                outcome.stats.next_offset
            );
            self.file.set_len(outcome.valid_bytes)?;
        }
        self.stats = outcome.stats;
        Ok(cut)
    }

    fn scan(&mut self, map: &[u8]) -> ScanOutcome {
        self.stats = SegmentStats::new(self.stats.base_offset, self.stats.created_ms);
        self.bytes_since_index = 0;
        let mut pos = 0usize;
        let mut damage = None;
        let mut max_batch_at = None;
        while pos < map.len() {
            let rest = &map[pos..];
            let Some(header) = BatchHeader::parse(rest) else {
                damage = Some(format!("{} stray bytes at position {pos}", rest.len()));
                break;
            };
            let Some(size) = plausible_size(&header, rest.len()) else {
                damage = Some(format!("batch at position {pos} has an impossible length"));
                break;
            };
            if compute_crc(&rest[..size]) != header.crc {
                damage = Some(format!("batch at position {pos} fails its CRC"));
                break;
            }
            // klamm never leaves gaps inside a segment (nothing compacts),
            // so a batch that does not start where the last one ended has a
            // damaged base offset, a field the CRC does not cover.
            if header.base_offset != self.stats.next_offset
                || header.last_offset() < header.base_offset
            {
                damage = Some(format!("batch at position {pos} has out-of-order offsets"));
                break;
            }
            if header.max_timestamp > self.stats.max_timestamp {
                max_batch_at = Some(pos..pos + size);
            }
            // The batch's base offset stands in for the exact record while
            // scanning; only the segment's overall maximum is refined below.
            self.index_batch(
                &header,
                pos as u64,
                size as u64,
                header.max_timestamp,
                header.base_offset,
            );
            pos += size;
        }
        if let Some(found) = max_batch_at
            .and_then(|range| map.get(range))
            .and_then(|batch| first_record_at_or_after(batch, self.stats.max_timestamp))
        {
            self.stats.offset_of_max_timestamp = found.offset;
        }
        ScanOutcome {
            valid_bytes: pos as u64,
            stats: self.stats,
            damage,
        }
    }

    /// Stops appends: writes the final time index entry and trims the indexes.
    pub fn seal(&mut self) -> io::Result<()> {
        self.maybe_append_time_entry();
        self.map_hint = 0;
        self.offset_index.trim()?;
        self.time_index.trim()
    }

    pub fn delete(self) -> io::Result<()> {
        let (log, index, timeindex) = Self::paths(&self.dir, self.stats.base_offset);
        drop(self);
        for path in [log, index, timeindex] {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The size of a batch whose header says it fits in `available` bytes.
fn plausible_size(header: &BatchHeader, available: usize) -> Option<usize> {
    if header.magic != 2 || (header.batch_length as i64) < MIN_BATCH_LENGTH as i64 {
        return None;
    }
    header.total_size().filter(|&size| size <= available)
}

/// A failing disk's partial write: the first `len` bytes of `slices`.
fn write_prefix(mut file: &File, slices: &[IoSlice<'_>], len: usize) -> io::Result<()> {
    let bytes: Vec<u8> = slices
        .iter()
        .flat_map(|s| s.iter().copied())
        .take(len)
        .collect();
    file.write_all(&bytes)
}

fn write_all_vectored(mut file: &File, slices: &mut [IoSlice<'_>]) -> io::Result<()> {
    let mut slices: &mut [IoSlice<'_>] = slices;
    while !slices.is_empty() {
        match file.write_vectored(slices) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "segment write returned 0",
                ))
            }
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::storage::batch::{tests::build_batch, HeaderPatch, HEADER_LEN};

    pub(in crate::storage) const PARAMS: SegmentParams = SegmentParams {
        index_interval_bytes: 100,
        index_bytes: 4096,
        segment_bytes: 1 << 20,
    };

    pub(in crate::storage) fn batch(base: i64, ts: i64, values: &[&[u8]]) -> ValidatedBatch {
        let raw = build_batch(ts, values);
        let mut header = HeaderPatch::new(&raw).unwrap();
        header.set_base_offset(base);
        ValidatedBatch {
            header,
            records: Bytes::copy_from_slice(&raw[HEADER_LEN..]),
            record_count: values.len() as u32,
            max_timestamp: ts + values.len() as i64 - 1,
            offset_delta_of_max_timestamp: values.len() as i32 - 1,
        }
    }

    pub(in crate::storage) fn filled(dir: &Path, batches: i64) -> DiskSegment {
        let mut segment = DiskSegment::create(dir, 0, PARAMS, 0).unwrap();
        for i in 0..batches {
            segment
                .append(
                    &batch(i * 2, 1_000 + i * 10, &[b"value-one", b"value-two"]),
                    None,
                )
                .unwrap();
        }
        segment
    }

    pub(in crate::storage) fn data(read: SegmentRead) -> Bytes {
        match read {
            SegmentRead::Data(b) => b,
            other => panic!("expected data, got {other:?}"),
        }
    }

    #[test]
    fn reads_start_at_the_batch_holding_the_offset() {
        let dir = tempfile::tempdir().unwrap();
        let mut segment = filled(dir.path(), 20);
        let bytes = data(segment.read(13, 1 << 20, true, i64::MAX).unwrap());
        let first = BatchHeader::parse(&bytes).unwrap();
        assert_eq!(first.base_offset, 12);
        assert_eq!(segment.stats().next_offset, 40);
        assert!(matches!(
            segment.read(40, 1 << 20, true, i64::MAX).unwrap(),
            SegmentRead::NotHere
        ));
    }

    #[test]
    fn min_one_returns_a_batch_larger_than_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let mut segment = filled(dir.path(), 3);
        assert!(matches!(
            segment.read(0, 10, false, i64::MAX).unwrap(),
            SegmentRead::NoRoom
        ));
        let one = data(segment.read(0, 10, true, i64::MAX).unwrap());
        assert_eq!(
            BatchHeader::parse(&one).unwrap().total_size(),
            Some(one.len())
        );
    }

    #[test]
    fn timestamps_find_the_first_record_at_or_after() {
        let dir = tempfile::tempdir().unwrap();
        let mut segment = filled(dir.path(), 20);
        // Batch i holds offsets 2i, 2i+1 with timestamps 1000+10i, 1001+10i.
        let hit = segment.find_by_timestamp(1_051).unwrap().unwrap();
        assert_eq!(
            hit,
            TimestampMatch {
                timestamp: 1_051,
                offset: 11
            }
        );
        let hit = segment.find_by_timestamp(1_055).unwrap().unwrap();
        assert_eq!(
            hit,
            TimestampMatch {
                timestamp: 1_060,
                offset: 12
            }
        );
        assert!(segment.find_by_timestamp(5_000).unwrap().is_none());
    }

    #[test]
    fn a_clean_reopen_trusts_the_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let mut segment = filled(dir.path(), 20);
        segment.seal().unwrap();
        let before = *segment.stats();
        drop(segment);
        let mut reopened = DiskSegment::open(dir.path(), 0, PARAMS, false, false, 0).unwrap();
        assert_eq!(reopened.stats().next_offset, before.next_offset);
        assert_eq!(reopened.stats().max_timestamp, before.max_timestamp);
        let bytes = data(reopened.read(33, 1 << 20, true, i64::MAX).unwrap());
        assert_eq!(BatchHeader::parse(&bytes).unwrap().base_offset, 32);
    }

    #[test]
    fn a_trusted_batch_longer_than_the_file_is_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut segment = filled(dir.path(), 20);
        segment.seal().unwrap();
        let batch_size = segment.stats().size as usize / 20;
        drop(segment);
        // Batch 5, which lies before the last index entry and so is trusted
        // after a clean shutdown, claims 10 KB: pages past the end of a 2 KB
        // file, which the active segment's mapping covers but must not touch.
        let path = dir.path().join(format!("{}.log", file_stem(0)));
        let mut bytes = fs::read(&path).unwrap();
        let length = 5 * batch_size + 8;
        bytes[length..length + 4].copy_from_slice(&10_000i32.to_be_bytes());
        fs::write(&path, bytes).unwrap();
        let mut reopened = DiskSegment::open(dir.path(), 0, PARAMS, false, true, 0).unwrap();
        assert!(reopened.find_by_timestamp(1_050).unwrap().is_none());
    }

    #[test]
    fn recovery_cuts_a_torn_tail_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let segment = filled(dir.path(), 5);
        let full = segment.stats().size;
        drop(segment);
        let path = dir.path().join(format!("{}.log", file_stem(0)));
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(full - 7).unwrap();
        let reopened = DiskSegment::open(dir.path(), 0, PARAMS, true, true, 0).unwrap();
        assert_eq!(reopened.stats().next_offset, 8);
        assert_eq!(reopened.stats().size, full / 5 * 4);
        assert_eq!(fs::metadata(&path).unwrap().len(), full / 5 * 4);
    }

    #[test]
    fn a_failed_index_check_falls_back_to_recovery() {
        let dir = tempfile::tempdir().unwrap();
        let mut segment = filled(dir.path(), 20);
        segment.seal().unwrap();
        drop(segment);
        // An index entry pointing past the end of the file.
        let index = dir.path().join(format!("{}.index", file_stem(0)));
        let mut bytes = fs::read(&index).unwrap();
        bytes.extend_from_slice(&100u32.to_be_bytes());
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        fs::write(&index, bytes).unwrap();
        let reopened = DiskSegment::open(dir.path(), 0, PARAMS, false, false, 0).unwrap();
        assert_eq!(reopened.stats().next_offset, 40);
    }
}
