//! A segment held in memory: the library's test mode, where a broker must
//! start with no directory and vanish without a trace. Each batch is kept as
//! its own buffer, so the batch list is its own index.

use bytes::{Bytes, BytesMut};

use super::{first_record_at_or_after, SegmentRead, SegmentStats, TimestampMatch};
use crate::storage::batch::{BatchHeader, ValidatedBatch};

struct StoredBatch {
    base_offset: i64,
    last_offset: i64,
    max_timestamp: i64,
    bytes: Bytes,
}

pub struct MemorySegment {
    batches: Vec<StoredBatch>,
    stats: SegmentStats,
}

impl MemorySegment {
    pub fn new(base_offset: i64, now_ms: i64) -> Self {
        Self {
            batches: Vec::new(),
            stats: SegmentStats::new(base_offset, now_ms),
        }
    }

    pub fn stats(&self) -> &SegmentStats {
        &self.stats
    }

    pub fn append(&mut self, batch: &ValidatedBatch) {
        let header = batch.header.header();
        let bytes = batch.to_contiguous();
        let max_ts_offset = header.base_offset + i64::from(batch.offset_delta_of_max_timestamp);
        self.stats.record_append(
            &header,
            bytes.len() as u64,
            batch.max_timestamp,
            max_ts_offset,
        );
        self.batches.push(StoredBatch {
            base_offset: header.base_offset,
            last_offset: header.last_offset(),
            max_timestamp: batch.max_timestamp,
            bytes,
        });
    }

    fn first_holding(&self, offset: i64) -> usize {
        self.batches.partition_point(|b| b.last_offset < offset)
    }

    pub fn read(&self, offset: i64, max_bytes: usize, min_one: bool, upto: i64) -> SegmentRead {
        let start = self.first_holding(offset);
        let mut end = start;
        let mut total = 0usize;
        while let Some(batch) = self.batches.get(end).filter(|b| b.base_offset < upto) {
            let fits = total + batch.bytes.len() <= max_bytes;
            let must_take_first = min_one && end == start;
            if !(fits || must_take_first) {
                break;
            }
            total += batch.bytes.len();
            end += 1;
        }
        match &self.batches[start.min(self.batches.len())..end] {
            [] if start >= self.batches.len() => SegmentRead::NotHere,
            [] => SegmentRead::NoRoom,
            [one] => SegmentRead::Data(one.bytes.clone()),
            many => {
                let mut out = BytesMut::with_capacity(total);
                for batch in many {
                    out.extend_from_slice(&batch.bytes);
                }
                SegmentRead::Data(out.freeze())
            }
        }
    }

    pub fn visit_headers(&self, mut visit: impl FnMut(&BatchHeader)) {
        for header in self
            .batches
            .iter()
            .filter_map(|b| BatchHeader::parse(&b.bytes))
        {
            visit(&header);
        }
    }

    pub fn find_by_timestamp(&self, target: i64) -> Option<TimestampMatch> {
        self.batches
            .iter()
            .find(|b| b.max_timestamp >= target)
            .and_then(|b| first_record_at_or_after(&b.bytes, target))
    }
}
