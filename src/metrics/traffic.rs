//! Bytes and records into and out of one topic, kept on the topic itself so
//! the produce and fetch paths count without looking anything up.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::storage::batch::BatchHeader;

#[derive(Debug, Default)]
pub struct TopicTraffic {
    bytes_in: AtomicU64,
    records_in: AtomicU64,
    bytes_out: AtomicU64,
    records_out: AtomicU64,
}

/// A snapshot of a topic's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrafficCounts {
    pub bytes_in: u64,
    pub records_in: u64,
    pub bytes_out: u64,
    pub records_out: u64,
}

impl TopicTraffic {
    /// A batch appended by a producer.
    pub fn produced(&self, bytes: usize, records: i32) {
        self.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
        self.records_in
            .fetch_add(u64::try_from(records).unwrap_or(0), Ordering::Relaxed);
    }

    /// Record batches sent to a consumer: the records are counted from the
    /// batch headers (a fetch returns whole batches, the last may be cut off).
    pub fn fetched(&self, batches: &[u8]) {
        if batches.is_empty() {
            return;
        }
        self.bytes_out
            .fetch_add(batches.len() as u64, Ordering::Relaxed);
        self.records_out
            .fetch_add(count_records(batches), Ordering::Relaxed);
    }

    pub fn counts(&self) -> TrafficCounts {
        TrafficCounts {
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            records_in: self.records_in.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
            records_out: self.records_out.load(Ordering::Relaxed),
        }
    }
}

/// Records in the complete batches of `data`; a cut-off last batch is not
/// counted (the consumer fetches it again).
fn count_records(mut data: &[u8]) -> u64 {
    let mut records = 0u64;
    while let Some(header) = BatchHeader::parse(data) {
        let Some(size) = header.total_size().filter(|&s| s <= data.len()) else {
            break;
        };
        records += u64::try_from(header.records_count).unwrap_or(0);
        data = &data[size..];
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::batch::HEADER_LEN;

    fn batch(records: i32, body: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; HEADER_LEN + body];
        let length = (HEADER_LEN + body - 12) as i32;
        bytes[8..12].copy_from_slice(&length.to_be_bytes());
        bytes[57..61].copy_from_slice(&records.to_be_bytes());
        bytes
    }

    #[test]
    fn fetched_records_are_counted_from_whole_batches_only() {
        let mut data = batch(3, 10);
        data.extend(batch(2, 0));
        let cut = batch(7, 40);
        data.extend(&cut[..30]);
        let traffic = TopicTraffic::default();
        traffic.fetched(&data);
        let counts = traffic.counts();
        assert_eq!(counts.records_out, 5);
        assert_eq!(counts.bytes_out, data.len() as u64);
    }
}
