//! A partition's log: ordered segments, the offsets that bound them, and the
//! "new data" signal that long-polling fetches wait on.
//!
//! One lock guards a partition's state; appends and reads both finish in
//! microseconds under it (a read only slices a memory map), so producers and
//! consumers of one partition do not wait on each other for long, and
//! different partitions never share a lock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use bytes::Bytes;
use tokio::sync::Notify;
use tracing::{debug, info, warn};

use super::batch::ValidatedBatch;
use super::error::StorageError;
use super::faults::DiskFaults;
use super::flush::{Durable, GroupCommit};
use super::producer_snapshot;
use super::producer_state::{
    ActiveProducer, ProducerBatch, ProducerStates, SequenceCheck, StoredBatch,
};
use super::segment::{
    DiskSegment, MemorySegment, Segment, SegmentParams, SegmentRead, TimestampMatch,
};
use super::start_offset;

/// The leader epoch of every partition: klamm is the only replica and never
/// changes leaders, so the first epoch is the only one.
pub const LEADER_EPOCH: i32 = 0;

/// How long a producer's state outlives its newest batch: Kafka's default
/// `producer.id.expiration.ms` (one day). Without it every producer that
/// ever wrote would be remembered for the life of the partition.
const PRODUCER_ID_EXPIRATION_MS: i64 = 24 * 3600 * 1000;

/// Per-topic settings that shape the log on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogConfig {
    pub segment_bytes: u64,
    pub segment_ms: i64,
    /// `-1` keeps data forever.
    pub retention_ms: i64,
    /// `-1` means no size limit.
    pub retention_bytes: i64,
    pub index_interval_bytes: u64,
    pub segment_index_bytes: usize,
    /// `cleanup.policy` includes `delete`.
    pub delete_enabled: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            segment_bytes: 1 << 30,
            segment_ms: 7 * 24 * 3600 * 1000,
            retention_ms: 7 * 24 * 3600 * 1000,
            retention_bytes: -1,
            index_interval_bytes: 4096,
            segment_index_bytes: 10 * 1024 * 1024,
            delete_enabled: true,
        }
    }
}

impl LogConfig {
    fn segment_params(&self) -> SegmentParams {
        SegmentParams {
            index_interval_bytes: self.index_interval_bytes,
            index_bytes: self.segment_index_bytes,
            segment_bytes: self.segment_bytes,
        }
    }
}

/// Where the log's bytes live.
#[derive(Clone, Debug)]
pub enum LogLocation {
    Disk(PathBuf),
    Memory,
}

/// The result of an append.
pub struct Appended {
    pub base_offset: i64,
    pub log_start_offset: i64,
    /// Set when the broker fsyncs before acknowledging.
    pub durable: Option<Durable>,
    /// Set when the batch was a producer's retry of one the log already
    /// holds: nothing was written, `base_offset` is the original's, and this
    /// is the original's max timestamp (which Kafka reports as the append
    /// time of a retried batch).
    pub duplicate_timestamp: Option<i64>,
}

/// Batches read from the log and the offsets a fetch response reports.
#[derive(Debug)]
pub struct LogRead {
    pub records: Bytes,
    pub high_watermark: i64,
    pub log_start_offset: i64,
}

/// The offsets that bound a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogOffsets {
    pub log_start_offset: i64,
    pub high_watermark: i64,
    pub log_end_offset: i64,
}

/// What a retention pass removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Removed {
    pub segments: usize,
    pub bytes: u64,
}

struct State {
    segments: BTreeMap<i64, Segment>,
    log_start_offset: i64,
    /// Last offset + 1 of what consumers may see: the log end, or with
    /// fsync-before-ack, the end of what is already on disk.
    high_watermark: i64,
    config: LogConfig,
    deleted: bool,
    /// Idempotent producers' epochs and last batches (empty for klamm's
    /// own logs, whose batches carry no producer id).
    producers: ProducerStates,
}

impl State {
    fn active(&mut self) -> &mut Segment {
        self.segments
            .values_mut()
            .next_back()
            .unwrap_or_else(|| unreachable!("a log always has an active segment"))
    }

    fn log_end_offset(&self) -> i64 {
        self.segments
            .values()
            .next_back()
            .map_or(0, Segment::next_offset)
    }

    fn size(&self) -> u64 {
        self.segments.values().map(Segment::size).sum()
    }
}

pub struct PartitionLog {
    name: String,
    location: LogLocation,
    state: Mutex<State>,
    new_data: Notify,
    group_commit: Option<Arc<GroupCommit>>,
    track_producers: bool,
    /// Test seam: segment writes fail on demand.
    faults: OnceLock<DiskFaults>,
}

impl PartitionLog {
    /// Opens a log, recovering it if `recover` (the last shutdown was not
    /// clean): the newest segment is scanned and cut at its first damaged
    /// batch. A missing directory is created with one empty segment. With
    /// `track_producers` (topic partitions, not klamm's own logs) the
    /// idempotent producers' state comes from the snapshot of a clean
    /// shutdown, or else is rebuilt from the batch headers.
    pub fn open(
        name: String,
        location: LogLocation,
        config: LogConfig,
        group_commit: Option<Arc<GroupCommit>>,
        recover: bool,
        track_producers: bool,
        now_ms: i64,
    ) -> Result<Arc<Self>, StorageError> {
        let mut segments = match &location {
            LogLocation::Memory => {
                let mut segments = BTreeMap::new();
                segments.insert(0, Segment::Memory(MemorySegment::new(0, now_ms)));
                segments
            }
            LogLocation::Disk(dir) => open_segments(dir, &config, recover, now_ms)?,
        };
        let producers = match &location {
            LogLocation::Disk(dir) if track_producers => {
                let log_end = segments
                    .values()
                    .next_back()
                    .map_or(0, Segment::next_offset);
                match producer_snapshot::take(dir, log_end) {
                    Some(saved) => saved,
                    None => rebuild_producer_states(&mut segments)
                        .map_err(StorageError::io("reading producer state from", dir))?,
                }
            }
            _ => ProducerStates::default(),
        };
        let mut log_start_offset = segments.keys().next().copied().unwrap_or(0);
        if let LogLocation::Disk(dir) = &location {
            if let Some(checkpointed) = start_offset::read(dir)? {
                log_start_offset = log_start_offset.max(checkpointed);
            }
        }
        let mut state = State {
            segments,
            log_start_offset,
            high_watermark: 0,
            config,
            deleted: false,
            producers,
        };
        state.high_watermark = state.log_end_offset();
        // A recovery that cut the log short cannot leave its start past its end.
        state.log_start_offset = state.log_start_offset.min(state.high_watermark);
        let log = Self {
            name,
            location,
            state: Mutex::new(state),
            new_data: Notify::new(),
            group_commit,
            track_producers,
            faults: OnceLock::new(),
        };
        // Segments that a DeleteRecords emptied before a crash could delete them.
        let mut state = log.lock()?;
        log.remove_below_start(&mut state, now_ms)?;
        drop(state);
        Ok(Arc::new(log))
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, StorageError> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.deleted {
            return Err(StorageError::Deleted(self.name.clone()));
        }
        Ok(state)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Makes this log's segment writes consult `faults` (a test seam; the
    /// first call wins).
    pub fn inject_faults(&self, faults: DiskFaults) {
        let _ = self.faults.set(faults);
    }

    /// Wakes fetches waiting on this partition.
    pub fn new_data(&self) -> &Notify {
        &self.new_data
    }

    pub fn set_config(&self, config: LogConfig) -> Result<(), StorageError> {
        self.lock()?.config = config;
        Ok(())
    }

    pub fn config(&self) -> Result<LogConfig, StorageError> {
        Ok(self.lock()?.config)
    }

    pub fn offsets(&self) -> Result<LogOffsets, StorageError> {
        let state = self.lock()?;
        Ok(LogOffsets {
            log_start_offset: state.log_start_offset,
            high_watermark: state.high_watermark,
            log_end_offset: state.log_end_offset(),
        })
    }

    /// The highest producer id with state in this partition.
    pub fn max_producer_id(&self) -> Option<i64> {
        self.lock().ok()?.producers.max_producer_id()
    }

    /// The idempotent producers with state in this partition.
    pub fn active_producers(&self) -> Result<Vec<ActiveProducer>, StorageError> {
        Ok(self.lock()?.producers.active())
    }

    pub fn size_bytes(&self) -> Result<u64, StorageError> {
        Ok(self.lock()?.size())
    }

    /// Appends a validated batch at the end of the log and assigns its offsets.
    /// A batch with a producer id is checked against that producer's
    /// sequence first; a retry of a batch the log holds is not written again.
    pub fn append(
        self: &Arc<Self>,
        mut batch: ValidatedBatch,
        now_ms: i64,
    ) -> Result<Appended, StorageError> {
        let mut state = self.lock()?;
        if let Some(producer) = ProducerBatch::from_header(&batch.header.header()) {
            if let SequenceCheck::Duplicate(original) = state.producers.check(&producer)? {
                return Ok(self.answer_retry(state, original));
            }
        }
        let size = batch.size();
        if size as u64 > state.config.segment_bytes {
            return Err(StorageError::BatchLargerThanSegment {
                size,
                segment_bytes: state.config.segment_bytes,
            });
        }
        self.maybe_roll(&mut state, &batch, now_ms)?;
        let base_offset = state.log_end_offset();
        batch.assign(base_offset, LEADER_EPOCH);
        let active = state.active();
        let faults = self.faults.get();
        active
            .append(&batch, faults)
            .map_err(|source| StorageError::Io {
                op: "appending to",
                path: self.segment_path(base_offset),
                source,
            })?;
        let end = active.next_offset();
        let file = active.file();
        if let Some(producer) = ProducerBatch::from_header(&batch.header.header()) {
            state.producers.record(&producer);
        }
        let log_start_offset = state.log_start_offset;
        let durable = match (&self.group_commit, file) {
            (Some(commit), Some(file)) => {
                drop(state);
                let log = Arc::clone(self);
                Some(commit.request(
                    file,
                    Box::new(move |result| {
                        if result.is_ok() {
                            log.advance_high_watermark(end);
                        }
                    }),
                ))
            }
            _ => {
                state.high_watermark = end;
                drop(state);
                self.new_data.notify_waiters();
                None
            }
        };
        Ok(Appended {
            base_offset,
            log_start_offset,
            durable,
            duplicate_timestamp: None,
        })
    }

    /// The answer to a retried batch: the original's place in the log. When
    /// acks wait for an fsync, so does the retry if the original may not be
    /// on disk yet (its own request may still be waiting).
    fn answer_retry(&self, state: MutexGuard<'_, State>, original: StoredBatch) -> Appended {
        let unsynced_file = if original.last_offset >= state.high_watermark {
            state
                .segments
                .range(..=original.base_offset)
                .next_back()
                .and_then(|(_, segment)| segment.file())
        } else {
            None
        };
        let log_start_offset = state.log_start_offset;
        drop(state);
        let durable = match (&self.group_commit, unsynced_file) {
            (Some(commit), Some(file)) => Some(commit.request(file, Box::new(|_| {}))),
            _ => None,
        };
        Appended {
            base_offset: original.base_offset,
            log_start_offset,
            durable,
            duplicate_timestamp: Some(original.max_timestamp),
        }
    }

    fn advance_high_watermark(&self, to: i64) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if to > state.high_watermark {
            state.high_watermark = to;
        }
        drop(state);
        self.new_data.notify_waiters();
    }

    fn segment_path(&self, base_offset: i64) -> PathBuf {
        match &self.location {
            LogLocation::Disk(dir) => dir.join(format!("{base_offset:020}.log")),
            LogLocation::Memory => PathBuf::from(format!("<memory>/{}", self.name)),
        }
    }

    fn maybe_roll(
        &self,
        state: &mut State,
        batch: &ValidatedBatch,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        let config = state.config;
        let active = state.active();
        if active.is_empty() {
            return Ok(());
        }
        let stats = *active.stats();
        let too_big = stats.size + batch.size() as u64 > config.segment_bytes;
        let too_old = now_ms.saturating_sub(stats.created_ms) >= config.segment_ms;
        let offsets_overflow = stats.next_offset + i64::from(batch.last_offset_delta())
            - stats.base_offset
            >= i64::from(u32::MAX);
        if too_big || too_old || offsets_overflow || active.is_full() {
            self.roll(state, now_ms)?;
        }
        Ok(())
    }

    /// Seals the active segment and starts a new one at the log end.
    fn roll(&self, state: &mut State, now_ms: i64) -> Result<(), StorageError> {
        let base = state.log_end_offset();
        let params = state.config.segment_params();
        let path = self.segment_path(base);
        if let Err(e) = state.active().seal() {
            warn!(log = %self.name, error = %e, "could not trim indexes of a sealed segment");
        }
        let segment = match &self.location {
            LogLocation::Memory => Segment::Memory(MemorySegment::new(base, now_ms)),
            LogLocation::Disk(dir) => {
                let segment = DiskSegment::create(dir, base, params, now_ms)
                    .map_err(StorageError::io("creating segment", &path))?;
                if self.group_commit.is_some() {
                    sync_dir(dir)?;
                }
                Segment::Disk(segment)
            }
        };
        debug!(log = %self.name, base_offset = base, "rolled a new segment");
        state.segments.insert(base, segment);
        Ok(())
    }

    /// Starts a new segment at the log end now (unless the active one is
    /// empty) and returns its base offset.
    pub fn roll_now(&self, now_ms: i64) -> Result<i64, StorageError> {
        let mut state = self.lock()?;
        if !state.active().is_empty() {
            self.roll(&mut state, now_ms)?;
        }
        Ok(state.log_end_offset())
    }

    /// Deletes every segment that ends at or below `offset` and moves the
    /// log start offset there (never past the high watermark).
    pub fn delete_segments_below(&self, offset: i64) -> Result<Removed, StorageError> {
        let mut state = self.lock()?;
        let target = offset.min(state.high_watermark);
        let doomed: Vec<i64> = state
            .segments
            .iter()
            .take(state.segments.len().saturating_sub(1))
            .filter(|(_, s)| s.next_offset() <= target)
            .map(|(&base, _)| base)
            .collect();
        let removed = self.remove_segments(&mut state, doomed);
        state.log_start_offset = state.log_start_offset.max(target);
        Ok(removed)
    }

    /// DeleteRecords: moves the log start offset up to `offset` (`-1`: the
    /// high watermark), so readers no longer see what lies below it, deletes
    /// the segments that end at or below it, and checkpoints it so a restart
    /// keeps it. An offset at or below the current start changes nothing.
    /// Returns the log start offset now in force.
    pub fn delete_records(&self, offset: i64, now_ms: i64) -> Result<i64, StorageError> {
        let mut state = self.lock()?;
        let target = if offset == -1 {
            state.high_watermark
        } else {
            offset
        };
        if target < 0 || target > state.high_watermark {
            return Err(StorageError::OffsetOutOfRange {
                requested: offset,
                log_start: state.log_start_offset,
                log_end: state.high_watermark,
            });
        }
        if target <= state.log_start_offset {
            return Ok(state.log_start_offset);
        }
        // Durable first: once a client hears of the new start, it stays.
        if let LogLocation::Disk(dir) = &self.location {
            start_offset::write(dir, target)?;
        }
        state.log_start_offset = target;
        let removed = self.remove_below_start(&mut state, now_ms)?;
        info!(
            log = %self.name,
            log_start_offset = target,
            segments = removed.segments,
            "records deleted below the new log start offset"
        );
        Ok(target)
    }

    /// Whole batches starting with the one that holds `offset`, at most
    /// `max_bytes` of them unless `min_one` and the first is larger.
    pub fn read(
        &self,
        offset: i64,
        max_bytes: usize,
        min_one: bool,
    ) -> Result<LogRead, StorageError> {
        let mut state = self.lock()?;
        let high_watermark = state.high_watermark;
        let log_start_offset = state.log_start_offset;
        let log_end = state.log_end_offset();
        if offset < log_start_offset || offset > log_end {
            return Err(StorageError::OffsetOutOfRange {
                requested: offset,
                log_start: log_start_offset,
                log_end,
            });
        }
        let empty = LogRead {
            records: Bytes::new(),
            high_watermark,
            log_start_offset,
        };
        if offset >= high_watermark {
            return Ok(empty);
        }
        let first = state
            .segments
            .range(..=offset)
            .next_back()
            .map_or(log_start_offset, |(&base, _)| base);
        for (&base, segment) in state.segments.range_mut(first..) {
            let read = segment
                .read(offset, max_bytes, min_one, high_watermark)
                .map_err(|source| StorageError::Io {
                    op: "reading",
                    path: self.segment_path(base),
                    source,
                })?;
            match read {
                SegmentRead::Data(records) => {
                    return Ok(LogRead { records, ..empty });
                }
                SegmentRead::NoRoom => return Ok(empty),
                SegmentRead::NotHere => continue,
            }
        }
        Ok(empty)
    }

    /// The first record at or after `timestamp`, among what consumers may see.
    pub fn find_by_timestamp(
        &self,
        timestamp: i64,
    ) -> Result<Option<TimestampMatch>, StorageError> {
        let mut state = self.lock()?;
        let high_watermark = state.high_watermark;
        let log_start = state.log_start_offset;
        for (&base, segment) in state.segments.iter_mut() {
            let found =
                segment
                    .find_by_timestamp(timestamp)
                    .map_err(|source| StorageError::Io {
                        op: "searching",
                        path: self.segment_path(base),
                        source,
                    })?;
            if let Some(found) = found {
                if found.offset >= high_watermark {
                    return Ok(None);
                }
                return Ok(Some(TimestampMatch {
                    offset: found.offset.max(log_start),
                    ..found
                }));
            }
        }
        Ok(None)
    }

    /// The record with the largest timestamp (the earliest one on ties).
    pub fn max_timestamp(&self) -> Result<Option<TimestampMatch>, StorageError> {
        let state = self.lock()?;
        let mut best: Option<TimestampMatch> = None;
        for segment in state.segments.values().filter(|s| !s.is_empty()) {
            let stats = segment.stats();
            if best.is_none_or(|b| stats.max_timestamp > b.timestamp) {
                best = Some(TimestampMatch {
                    timestamp: stats.max_timestamp,
                    offset: stats.offset_of_max_timestamp,
                });
            }
        }
        Ok(best)
    }

    /// Deletes whole segments that fell out of `retention.ms` (by their
    /// largest timestamp) or `retention.bytes`, oldest first; the log start
    /// offset moves with them. A fully expired log keeps an empty segment at
    /// its end offset. Producers idle for a day are forgotten on the way.
    pub fn apply_retention(&self, now_ms: i64) -> Result<Removed, StorageError> {
        let mut state = self.lock()?;
        let expired = state
            .producers
            .expire(now_ms.saturating_sub(PRODUCER_ID_EXPIRATION_MS));
        if expired > 0 {
            debug!(log = %self.name, producers = expired, "forgot idle producers");
        }
        let config = state.config;
        if !config.delete_enabled || (config.retention_ms < 0 && config.retention_bytes < 0) {
            return Ok(Removed::default());
        }
        let high_watermark = state.high_watermark;
        let mut remaining = state.size();
        let mut doomed = Vec::new();
        for (&base, segment) in &state.segments {
            let stats = segment.stats();
            if segment.is_empty() || stats.next_offset > high_watermark {
                break;
            }
            let newest = if stats.max_timestamp >= 0 {
                stats.max_timestamp
            } else {
                stats.created_ms
            };
            let expired =
                config.retention_ms >= 0 && now_ms.saturating_sub(newest) > config.retention_ms;
            let oversized = config.retention_bytes >= 0
                && remaining.saturating_sub(stats.size) >= config.retention_bytes as u64;
            if !expired && !oversized {
                break;
            }
            remaining -= stats.size;
            doomed.push(base);
        }
        if doomed.is_empty() {
            return Ok(Removed::default());
        }
        if doomed.len() == state.segments.len() {
            self.roll(&mut state, now_ms)?;
        }
        let removed = self.remove_segments(&mut state, doomed);
        let first = state.segments.keys().next().copied().unwrap_or(0);
        state.log_start_offset = state.log_start_offset.max(first);
        info!(
            log = %self.name,
            segments = removed.segments,
            bytes = removed.bytes,
            log_start_offset = state.log_start_offset,
            "retention deleted old segments"
        );
        Ok(removed)
    }

    /// Deletes the segments whose every record lies below the log start
    /// offset; if that is all of them, a new empty one starts at the end.
    fn remove_below_start(&self, state: &mut State, now_ms: i64) -> Result<Removed, StorageError> {
        let doomed: Vec<i64> = state
            .segments
            .iter()
            .filter(|(_, s)| !s.is_empty() && s.next_offset() <= state.log_start_offset)
            .map(|(&base, _)| base)
            .collect();
        if doomed.len() == state.segments.len() {
            self.roll(state, now_ms)?;
        }
        Ok(self.remove_segments(state, doomed))
    }

    /// Drops the segments with these base offsets and deletes their files.
    fn remove_segments(&self, state: &mut State, bases: Vec<i64>) -> Removed {
        let mut removed = Removed::default();
        for base in bases {
            if let Some(segment) = state.segments.remove(&base) {
                removed.segments += 1;
                removed.bytes += segment.size();
                if let Err(e) = segment.delete() {
                    warn!(log = %self.name, base_offset = base, error = %e, "could not delete a segment file");
                }
            }
        }
        removed
    }

    /// Trims the active segment's indexes so a clean restart can trust them.
    pub fn close(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.deleted {
            return;
        }
        if let Err(e) = state.active().seal() {
            warn!(log = %self.name, error = %e, "could not trim indexes at shutdown");
        }
        if let (true, LogLocation::Disk(dir)) = (self.track_producers, &self.location) {
            // Saved even without producers: with no snapshot the next start
            // reads every batch header to learn that there are none. A log
            // without batches has nothing to read, so it needs none.
            let has_batches = state.segments.values().any(|s| !s.is_empty());
            if has_batches || !state.producers.is_empty() {
                let saved = producer_snapshot::save(dir, &state.producers, state.log_end_offset());
                if let Err(e) = saved {
                    warn!(log = %self.name, error = %e, "could not save producer state; the next start scans the log");
                }
            }
        }
    }

    /// Marks the log deleted; later calls fail with `Deleted`. The files are
    /// removed by the caller (they may be renamed away first).
    pub fn mark_deleted(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.deleted = true;
        state.segments.clear();
        drop(state);
        self.new_data.notify_waiters();
    }

    pub fn location(&self) -> &LogLocation {
        &self.location
    }
}

/// Replays the headers of every batch in the log into a fresh producer
/// state; only the 61-byte headers are read, jumping from batch to batch.
fn rebuild_producer_states(
    segments: &mut BTreeMap<i64, Segment>,
) -> std::io::Result<ProducerStates> {
    let mut states = ProducerStates::default();
    for segment in segments.values_mut() {
        segment.visit_headers(|header| {
            if let Some(producer) = ProducerBatch::from_header(header) {
                states.record(&producer);
            }
        })?;
    }
    Ok(states)
}

fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StorageError::io("syncing directory", dir))
}

/// Loads the segments of a partition directory (creating it if needed).
fn open_segments(
    dir: &Path,
    config: &LogConfig,
    recover: bool,
    now_ms: i64,
) -> Result<BTreeMap<i64, Segment>, StorageError> {
    std::fs::create_dir_all(dir).map_err(StorageError::io("creating partition directory", dir))?;
    let mut bases = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(StorageError::io("listing", dir))?;
    for entry in entries {
        let entry = entry.map_err(StorageError::io("listing", dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(base) = name
            .strip_suffix(".log")
            .and_then(|b| b.parse::<i64>().ok())
        {
            bases.push(base);
        }
    }
    bases.sort_unstable();
    let params = config.segment_params();
    let mut segments = BTreeMap::new();
    let last = bases.len().saturating_sub(1);
    for (i, &base) in bases.iter().enumerate() {
        let active = i == last;
        let path = dir.join(format!("{base:020}.log"));
        let segment = DiskSegment::open(dir, base, params, recover && active, active, now_ms)
            .map_err(StorageError::io("opening segment", &path))?;
        segments.insert(base, Segment::Disk(segment));
    }
    drop_overlapping_segments(dir, params, &mut segments, recover, now_ms)?;
    if segments.is_empty() {
        let segment = DiskSegment::create(dir, 0, params, now_ms)
            .map_err(StorageError::io("creating segment", dir))?;
        segments.insert(0, Segment::Disk(segment));
    } else if let Some(active) = segments.values_mut().next_back() {
        if !active.is_empty() && active.is_full() {
            // Reopened full: the next append rolls.
            debug!(dir = %dir.display(), "active segment's indexes are full");
        }
    }
    Ok(segments)
}

/// A segment that starts below its predecessor's end is evidence of damage,
/// and the damage is as likely in the predecessor (a last batch claiming
/// offsets it does not hold) as in the later segment. The predecessor is
/// scanned first, so a damaged tail is cut rather than trusted; only if the
/// two still overlap is the later segment dropped. Whatever ends up newest
/// has then been scanned whenever `recover` asked for it.
fn drop_overlapping_segments(
    dir: &Path,
    params: SegmentParams,
    segments: &mut BTreeMap<i64, Segment>,
    recover: bool,
    now_ms: i64,
) -> Result<(), StorageError> {
    let bases: Vec<i64> = segments.keys().copied().collect();
    let mut scanned: Vec<i64> = bases
        .last()
        .copied()
        .filter(|_| recover)
        .into_iter()
        .collect();
    let mut previous: Option<i64> = None;
    for base in bases {
        let Some(prev) = previous else {
            previous = Some(base);
            continue;
        };
        let overlaps = |segments: &BTreeMap<i64, Segment>| {
            segments.get(&prev).is_some_and(|s| base < s.next_offset())
        };
        if overlaps(segments) && !scanned.contains(&prev) {
            warn!(dir = %dir.display(), base_offset = prev, next_base_offset = base, "a segment ends past the start of the next one; scanning it");
            let path = dir.join(format!("{prev:020}.log"));
            segments.remove(&prev);
            let rescanned = DiskSegment::open(dir, prev, params, true, false, now_ms)
                .map_err(StorageError::io("opening segment", &path))?;
            segments.insert(prev, Segment::Disk(rescanned));
            scanned.push(prev);
        }
        if overlaps(segments) {
            if let Some(segment) = segments.remove(&base) {
                warn!(dir = %dir.display(), base_offset = base, "dropping a segment that overlaps the one before it");
                let _ = segment.delete();
            }
            continue;
        }
        previous = Some(base);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::storage::batch::{tests::build_batch, BatchHeader, HeaderPatch, HEADER_LEN};

    pub(crate) fn batch(ts: i64, values: &[&[u8]]) -> ValidatedBatch {
        let raw = build_batch(ts, values);
        ValidatedBatch {
            header: HeaderPatch::new(&raw).unwrap(),
            records: Bytes::copy_from_slice(&raw[HEADER_LEN..]),
            record_count: values.len() as u32,
            max_timestamp: ts + values.len() as i64 - 1,
            offset_delta_of_max_timestamp: values.len() as i32 - 1,
        }
    }

    /// A batch from idempotent producer `producer_id`.
    pub(crate) fn idempotent(
        producer_id: i64,
        epoch: i16,
        first_seq: i32,
        values: &[&[u8]],
    ) -> ValidatedBatch {
        let mut raw = build_batch(1_000, values);
        raw[43..51].copy_from_slice(&producer_id.to_be_bytes());
        raw[51..53].copy_from_slice(&epoch.to_be_bytes());
        raw[53..57].copy_from_slice(&first_seq.to_be_bytes());
        let crc = crate::storage::batch::compute_crc(&raw);
        raw[17..21].copy_from_slice(&crc.to_be_bytes());
        ValidatedBatch {
            header: HeaderPatch::new(&raw).unwrap(),
            records: Bytes::copy_from_slice(&raw[HEADER_LEN..]),
            record_count: values.len() as u32,
            max_timestamp: 1_000 + values.len() as i64 - 1,
            offset_delta_of_max_timestamp: values.len() as i32 - 1,
        }
    }

    pub(crate) fn small_segments() -> LogConfig {
        LogConfig {
            segment_bytes: 400,
            index_interval_bytes: 100,
            ..LogConfig::default()
        }
    }

    fn open(location: LogLocation, config: LogConfig, recover: bool) -> Arc<PartitionLog> {
        PartitionLog::open("t-0".into(), location, config, None, recover, true, 0).unwrap()
    }

    fn fill(log: &Arc<PartitionLog>, batches: i64, ts: i64) {
        for i in 0..batches {
            log.append(batch(ts + i, &[b"aaaaaaaaaa", b"bbbbbbbbbb"]), ts)
                .unwrap();
        }
    }

    /// A log of small segments holding 30 batches of two records, closed.
    fn closed_log_of_30_batches() -> (tempfile::TempDir, LogLocation) {
        let dir = tempfile::tempdir().unwrap();
        let location = LogLocation::Disk(dir.path().to_path_buf());
        let log = open(location.clone(), small_segments(), false);
        fill(&log, 30, 1_000);
        log.close();
        (dir, location)
    }

    fn first_offset(read: &LogRead) -> i64 {
        BatchHeader::parse(&read.records).unwrap().base_offset
    }

    #[test]
    fn offsets_count_every_record_of_the_last_batch() {
        for location in [
            LogLocation::Memory,
            LogLocation::Disk(tempfile::tempdir().unwrap().keep()),
        ] {
            let log = open(location, small_segments(), false);
            fill(&log, 10, 1_000);
            let offsets = log.offsets().unwrap();
            assert_eq!(offsets.high_watermark, 20);
            assert_eq!(offsets.log_end_offset, 20);
            assert_eq!(first_offset(&log.read(15, 1 << 20, true).unwrap()), 14);
            assert!(log.read(20, 1 << 20, true).unwrap().records.is_empty());
            assert!(matches!(
                log.read(21, 1 << 20, true),
                Err(StorageError::OffsetOutOfRange { .. })
            ));
        }
    }

    #[test]
    fn segments_roll_by_size_and_reads_cross_them() {
        let dir = tempfile::tempdir().unwrap();
        let log = open(
            LogLocation::Disk(dir.path().to_path_buf()),
            small_segments(),
            false,
        );
        fill(&log, 30, 1_000);
        let state = log.state.lock().unwrap();
        assert!(
            state.segments.len() > 5,
            "{} segments",
            state.segments.len()
        );
        drop(state);
        let mut offset = 0;
        let mut batches = 0;
        while offset < 60 {
            let read = log.read(offset, 150, true).unwrap();
            let header = BatchHeader::parse(&read.records).unwrap();
            assert!(header.base_offset <= offset && header.last_offset() >= offset);
            offset = header.next_offset();
            batches += 1;
        }
        assert_eq!(batches, 30);
    }

    #[test]
    fn an_older_segment_claiming_offsets_of_the_next_is_scanned_not_trusted() {
        for recover in [false, true] {
            let (dir, location) = closed_log_of_30_batches();
            // The first segment's last batch now claims a million offsets
            // (its CRC no longer matches), running into the next segment.
            let first = dir.path().join(format!("{:020}.log", 0));
            let mut bytes = std::fs::read(&first).unwrap();
            let mut last = 0;
            while let Some(size) = BatchHeader::parse(&bytes[last..]).and_then(|h| h.total_size()) {
                if last + size == bytes.len() {
                    break;
                }
                last += size;
            }
            let delta = last + 23;
            bytes[delta..delta + 4].copy_from_slice(&1_000_000i32.to_be_bytes());
            std::fs::write(&first, &bytes).unwrap();

            let log = open(location, small_segments(), recover);
            let offsets = log.offsets().unwrap();
            assert_eq!(offsets.log_end_offset, 60, "recover {recover}");
            let cut = BatchHeader::parse(&bytes[last..]).unwrap().base_offset;
            assert_eq!(first_offset(&log.read(0, 1 << 20, true).unwrap()), 0);
            // The damaged batch is gone; reading there finds the next segment.
            assert!(first_offset(&log.read(cut, 1 << 20, true).unwrap()) > cut);
            assert_eq!(first_offset(&log.read(59, 1 << 20, true).unwrap()), 58);
        }
    }

    #[test]
    fn a_clean_shutdown_of_a_log_with_batches_saves_producer_state_even_without_producers() {
        let (dir, _) = closed_log_of_30_batches();
        assert!(dir.path().join("producer-state.json").exists());
        let empty = tempfile::tempdir().unwrap();
        open(
            LogLocation::Disk(empty.path().to_path_buf()),
            small_segments(),
            false,
        )
        .close();
        assert!(!empty.path().join("producer-state.json").exists());
    }

    #[test]
    fn retention_by_time_moves_the_log_start() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = small_segments();
        config.retention_ms = 1_000;
        let log = open(LogLocation::Disk(dir.path().to_path_buf()), config, false);
        fill(&log, 30, 1_000);
        let removed = log.apply_retention(1_000_000).unwrap();
        assert!(removed.segments > 5);
        let offsets = log.offsets().unwrap();
        assert_eq!(offsets.log_start_offset, 60);
        assert_eq!(offsets.log_end_offset, 60);
        assert!(matches!(
            log.read(0, 100, true),
            Err(StorageError::OffsetOutOfRange { .. })
        ));
        log.append(batch(2_000_000, &[b"new"]), 2_000_000).unwrap();
        assert_eq!(first_offset(&log.read(60, 1 << 20, true).unwrap()), 60);
    }

    #[test]
    fn retention_by_size_keeps_the_newest_segments() {
        let mut config = small_segments();
        config.retention_ms = -1;
        config.retention_bytes = 800;
        let log = open(LogLocation::Memory, config, false);
        fill(&log, 30, 1_000);
        log.apply_retention(0).unwrap();
        assert!(log.size_bytes().unwrap() <= 800 + 400);
        assert!(log.offsets().unwrap().log_start_offset > 0);
    }

    #[test]
    fn deleted_records_stay_deleted_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let location = LogLocation::Disk(dir.path().to_path_buf());
        let log = open(location.clone(), small_segments(), false);
        fill(&log, 30, 1_000);
        let segments_before = log.state.lock().unwrap().segments.len();
        assert_eq!(log.delete_records(25, 0).unwrap(), 25);
        assert!(log.state.lock().unwrap().segments.len() < segments_before);
        assert!(matches!(
            log.read(24, 1 << 20, true),
            Err(StorageError::OffsetOutOfRange { .. })
        ));
        // A batch that straddles the new start is returned whole, as in Kafka.
        assert_eq!(first_offset(&log.read(25, 1 << 20, true).unwrap()), 24);
        assert_eq!(log.delete_records(3, 0).unwrap(), 25, "never moves back");
        assert!(matches!(
            log.delete_records(61, 0),
            Err(StorageError::OffsetOutOfRange { .. })
        ));
        drop(log);
        let log = open(location, small_segments(), true);
        assert_eq!(log.offsets().unwrap().log_start_offset, 25);
    }

    #[test]
    fn deleting_up_to_the_high_watermark_empties_the_log() {
        for location in [
            LogLocation::Memory,
            LogLocation::Disk(tempfile::tempdir().unwrap().keep()),
        ] {
            let log = open(location, small_segments(), false);
            fill(&log, 30, 1_000);
            assert_eq!(log.delete_records(-1, 0).unwrap(), 60);
            assert_eq!(log.size_bytes().unwrap(), 0);
            log.append(batch(5_000, &[b"after"]), 5_000).unwrap();
            assert_eq!(first_offset(&log.read(60, 1 << 20, true).unwrap()), 60);
        }
    }

    #[test]
    fn a_restart_without_recovery_finds_the_same_log() {
        let (_dir, location) = closed_log_of_30_batches();
        let log = open(location, small_segments(), false);
        assert_eq!(log.offsets().unwrap().log_end_offset, 60);
        assert_eq!(log.max_timestamp().unwrap().unwrap().timestamp, 1_030);
        assert_eq!(first_offset(&log.read(33, 1 << 20, true).unwrap()), 32);
        let hit = log.find_by_timestamp(1_016).unwrap().unwrap();
        assert_eq!(hit.offset, 31);
    }

    #[test]
    fn a_retried_batch_is_answered_with_the_original_offset_even_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let location = LogLocation::Disk(dir.path().to_path_buf());
        let log = open(location.clone(), small_segments(), false);
        fill(&log, 3, 1_000);
        let first = log.append(idempotent(7, 0, 0, &[b"a", b"b"]), 0).unwrap();
        assert_eq!((first.base_offset, first.duplicate_timestamp), (6, None));
        log.append(idempotent(7, 0, 2, &[b"c"]), 0).unwrap();
        let retry = log.append(idempotent(7, 0, 0, &[b"a", b"b"]), 0).unwrap();
        assert_eq!(
            (retry.base_offset, retry.duplicate_timestamp),
            (6, Some(1_001))
        );
        assert_eq!(log.offsets().unwrap().log_end_offset, 9);
        log.close();
        drop(log);
        // From the snapshot of the clean close, then from the batch headers
        // (as after a crash), with or without recovery.
        for (recover, scan) in [(false, false), (false, true), (true, true)] {
            if scan {
                let _ = std::fs::remove_file(dir.path().join("producer-state.json"));
            }
            let log = open(location.clone(), small_segments(), recover);
            assert_eq!(log.max_producer_id(), Some(7));
            let retry = log.append(idempotent(7, 0, 2, &[b"c"]), 0).unwrap();
            assert_eq!(retry.base_offset, 8);
            assert!(matches!(
                log.append(idempotent(7, 0, 4, &[b"e"]), 0),
                Err(StorageError::Sequence(_))
            ));
            assert_eq!(log.offsets().unwrap().log_end_offset, 9);
            log.close();
        }
    }

    #[test]
    fn idle_producers_are_forgotten_after_a_day() {
        let log = open(LogLocation::Memory, small_segments(), false);
        log.append(idempotent(7, 0, 0, &[b"a"]), 0).unwrap();
        log.apply_retention(1_000 + PRODUCER_ID_EXPIRATION_MS)
            .unwrap();
        assert_eq!(log.max_producer_id(), Some(7), "not idle for a day yet");
        log.apply_retention(1_001 + PRODUCER_ID_EXPIRATION_MS)
            .unwrap();
        assert_eq!(log.max_producer_id(), None);
        // Unknown again: any sequence is accepted, as in Kafka.
        assert_eq!(
            log.append(idempotent(7, 0, 9, &[b"b"]), 0)
                .unwrap()
                .base_offset,
            1
        );
    }
}
