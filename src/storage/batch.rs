//! Record batches (magic v2) as the log stores them.
//!
//! The log keeps batches byte for byte as producers sent them; the broker
//! only rewrites the fields Kafka's broker owns (base offset, partition leader
//! epoch, and for `LogAppendTime` topics the timestamps, which forces a new
//! CRC). Everything here works on the fixed 61-byte header; the records inside
//! are walked by [`super::records`].

use bytes::Bytes;

/// Bytes before `batch_length` counts: base offset (8) and the length (4).
pub const LOG_OVERHEAD: usize = 12;
/// The fixed header of a magic v2 batch, up to and including the record count.
pub const HEADER_LEN: usize = 61;
/// The smallest legal `batch_length` (a header with no records).
pub const MIN_BATCH_LENGTH: usize = HEADER_LEN - LOG_OVERHEAD;

const BASE_OFFSET: usize = 0;
const BATCH_LENGTH: usize = 8;
const LEADER_EPOCH: usize = 12;
const MAGIC: usize = 16;
const CRC: usize = 17;
const ATTRIBUTES: usize = 21;
const LAST_OFFSET_DELTA: usize = 23;
const BASE_TIMESTAMP: usize = 27;
const MAX_TIMESTAMP: usize = 35;
const PRODUCER_ID: usize = 43;
const PRODUCER_EPOCH: usize = 51;
const BASE_SEQUENCE: usize = 53;
const RECORDS_COUNT: usize = 57;

const COMPRESSION_MASK: i16 = 0x07;
const TIMESTAMP_TYPE_BIT: i16 = 0x08;
const TRANSACTIONAL_BIT: i16 = 0x10;
const CONTROL_BIT: i16 = 0x20;

/// The codec a batch's records are compressed with (attributes bits 0-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Compression {
    pub fn from_attributes(attributes: i16) -> Option<Self> {
        match attributes & COMPRESSION_MASK {
            0 => Some(Self::None),
            1 => Some(Self::Gzip),
            2 => Some(Self::Snappy),
            3 => Some(Self::Lz4),
            4 => Some(Self::Zstd),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Gzip => "gzip",
            Self::Snappy => "snappy",
            Self::Lz4 => "lz4",
            Self::Zstd => "zstd",
        }
    }
}

/// The decoded fixed header of a record batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    pub batch_length: i32,
    pub partition_leader_epoch: i32,
    pub magic: i8,
    pub crc: u32,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records_count: i32,
}

fn i64_at(buf: &[u8], at: usize) -> i64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[at..at + 8]);
    i64::from_be_bytes(b)
}

fn i32_at(buf: &[u8], at: usize) -> i32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&buf[at..at + 4]);
    i32::from_be_bytes(b)
}

fn i16_at(buf: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([buf[at], buf[at + 1]])
}

impl BatchHeader {
    /// Parses the first [`HEADER_LEN`] bytes of `buf`; `None` if there are fewer.
    pub fn parse(buf: &[u8]) -> Option<Self> {
        let buf = buf.get(..HEADER_LEN)?;
        Some(Self {
            base_offset: i64_at(buf, BASE_OFFSET),
            batch_length: i32_at(buf, BATCH_LENGTH),
            partition_leader_epoch: i32_at(buf, LEADER_EPOCH),
            magic: buf[MAGIC] as i8,
            crc: i32_at(buf, CRC) as u32,
            attributes: i16_at(buf, ATTRIBUTES),
            last_offset_delta: i32_at(buf, LAST_OFFSET_DELTA),
            base_timestamp: i64_at(buf, BASE_TIMESTAMP),
            max_timestamp: i64_at(buf, MAX_TIMESTAMP),
            producer_id: i64_at(buf, PRODUCER_ID),
            producer_epoch: i16_at(buf, PRODUCER_EPOCH),
            base_sequence: i32_at(buf, BASE_SEQUENCE),
            records_count: i32_at(buf, RECORDS_COUNT),
        })
    }

    /// Bytes the whole batch occupies in the log, `None` if the length is negative.
    /// The batch's size on disk, if its length could hold a batch header:
    /// a shorter one (possible past a trusted index, where recovery did not
    /// look) must never be taken for a batch.
    pub fn total_size(&self) -> Option<usize> {
        usize::try_from(self.batch_length)
            .ok()
            .filter(|&len| len >= MIN_BATCH_LENGTH)
            .map(|len| len + LOG_OVERHEAD)
    }

    pub fn last_offset(&self) -> i64 {
        self.base_offset + i64::from(self.last_offset_delta)
    }

    pub fn next_offset(&self) -> i64 {
        self.last_offset() + 1
    }

    pub fn compression(&self) -> Option<Compression> {
        Compression::from_attributes(self.attributes)
    }

    pub fn is_log_append_time(&self) -> bool {
        self.attributes & TIMESTAMP_TYPE_BIT != 0
    }

    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_BIT != 0
    }

    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_BIT != 0
    }
}

/// CRC-32C over everything the batch CRC covers (attributes to the end).
pub fn compute_crc(batch: &[u8]) -> u32 {
    batch.get(ATTRIBUTES..).map(crc32c::crc32c).unwrap_or(0)
}

/// The CRC of a whole batch whose header is `header` and records area `records`,
/// without concatenating them.
pub fn compute_crc_split(header: &[u8; HEADER_LEN], records: &[u8]) -> u32 {
    let head = crc32c::crc32c(&header[ATTRIBUTES..]);
    crc32c::crc32c_append(head, records)
}

/// A copy of a batch's 61-byte header that the broker rewrites before the
/// batch is appended; the records stay in the producer's buffer.
#[derive(Clone, Debug)]
pub struct HeaderPatch {
    bytes: [u8; HEADER_LEN],
}

impl HeaderPatch {
    pub fn new(header: &[u8]) -> Option<Self> {
        let mut bytes = [0u8; HEADER_LEN];
        bytes.copy_from_slice(header.get(..HEADER_LEN)?);
        Some(Self { bytes })
    }

    pub fn bytes(&self) -> &[u8; HEADER_LEN] {
        &self.bytes
    }

    pub fn set_base_offset(&mut self, offset: i64) {
        self.bytes[BASE_OFFSET..BASE_OFFSET + 8].copy_from_slice(&offset.to_be_bytes());
    }

    pub fn set_partition_leader_epoch(&mut self, epoch: i32) {
        self.bytes[LEADER_EPOCH..LEADER_EPOCH + 4].copy_from_slice(&epoch.to_be_bytes());
    }

    /// Rewrites the timestamp type and max timestamp; the caller must call
    /// [`HeaderPatch::set_crc`] afterwards because both are CRC-covered.
    pub fn set_timestamps(&mut self, log_append_time: bool, max_timestamp: i64) {
        let mut attributes = i16_at(&self.bytes, ATTRIBUTES);
        if log_append_time {
            attributes |= TIMESTAMP_TYPE_BIT;
        } else {
            attributes &= !TIMESTAMP_TYPE_BIT;
        }
        self.bytes[ATTRIBUTES..ATTRIBUTES + 2].copy_from_slice(&attributes.to_be_bytes());
        self.bytes[MAX_TIMESTAMP..MAX_TIMESTAMP + 8].copy_from_slice(&max_timestamp.to_be_bytes());
    }

    pub fn set_crc(&mut self, crc: u32) {
        self.bytes[CRC..CRC + 4].copy_from_slice(&crc.to_be_bytes());
    }

    pub fn header(&self) -> BatchHeader {
        // A patch always holds HEADER_LEN bytes, so parsing cannot fail.
        BatchHeader::parse(&self.bytes)
            .unwrap_or_else(|| unreachable!("header is HEADER_LEN bytes"))
    }
}

/// A batch that passed validation, ready to be given offsets and appended:
/// the (patched) header and the untouched records area.
#[derive(Clone, Debug)]
pub struct ValidatedBatch {
    pub header: HeaderPatch,
    pub records: Bytes,
    pub record_count: u32,
    /// Largest record timestamp and the offset delta of its first occurrence.
    pub max_timestamp: i64,
    pub offset_delta_of_max_timestamp: i32,
}

impl ValidatedBatch {
    pub fn size(&self) -> usize {
        HEADER_LEN + self.records.len()
    }

    pub fn last_offset_delta(&self) -> i32 {
        self.header.header().last_offset_delta
    }

    /// Gives the batch its place in the log.
    pub fn assign(&mut self, base_offset: i64, leader_epoch: i32) {
        self.header.set_base_offset(base_offset);
        self.header.set_partition_leader_epoch(leader_epoch);
    }

    /// The batch as one contiguous buffer (used by the in-memory store).
    pub fn to_contiguous(&self) -> Bytes {
        let mut out = Vec::with_capacity(self.size());
        out.extend_from_slice(self.header.bytes());
        out.extend_from_slice(&self.records);
        Bytes::from(out)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An uncompressed batch of `values` (null keys), record `i` at
    /// `base_timestamp + i`, the way a producer would build it.
    pub(crate) fn build_batch(base_timestamp: i64, values: &[&[u8]]) -> Vec<u8> {
        let records: Vec<_> = values.iter().map(|v| (None, Some(*v))).collect();
        crate::storage::builder::build_batch_timed(&records, base_timestamp, |i| i as i64).to_vec()
    }

    #[test]
    fn header_fields_round_trip_through_patch() {
        let batch = build_batch(1_000, &[b"a", b"b", b"c"]);
        let header = BatchHeader::parse(&batch).unwrap();
        assert_eq!(header.records_count, 3);
        assert_eq!(header.last_offset_delta, 2);
        assert_eq!(header.total_size(), Some(batch.len()));
        assert_eq!(header.crc, compute_crc(&batch));

        let mut patch = HeaderPatch::new(&batch).unwrap();
        patch.set_base_offset(42);
        patch.set_partition_leader_epoch(7);
        let patched = patch.header();
        assert_eq!(patched.base_offset, 42);
        assert_eq!(patched.partition_leader_epoch, 7);
        assert_eq!(patched.last_offset(), 44);
        // Neither field is covered by the CRC.
        assert_eq!(
            patched.crc,
            compute_crc_split(patch.bytes(), &batch[HEADER_LEN..])
        );
    }

    #[test]
    fn log_append_time_patch_needs_a_new_crc() {
        let batch = build_batch(1_000, &[b"x"]);
        let mut patch = HeaderPatch::new(&batch).unwrap();
        patch.set_timestamps(true, 99_999);
        let crc = compute_crc_split(patch.bytes(), &batch[HEADER_LEN..]);
        assert_ne!(crc, patch.header().crc);
        patch.set_crc(crc);
        let header = patch.header();
        assert!(header.is_log_append_time());
        assert_eq!(header.max_timestamp, 99_999);
        assert_eq!(header.crc, crc);
    }

    #[test]
    fn short_buffers_do_not_parse() {
        assert!(BatchHeader::parse(&[0u8; HEADER_LEN - 1]).is_none());
    }
}
