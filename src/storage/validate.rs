//! Checking a produced batch before anything of it reaches the log.
//!
//! The rules are Kafka's: exactly one magic v2 batch per partition, a length
//! that matches the bytes, a CRC-32C that matches the content, a record count
//! that matches the records (compressed ones are decompressed to check), and
//! no control batches from clients. The batch's max timestamp is recomputed
//! and, for `LogAppendTime` topics, replaced by the broker's clock.
//!
//! Then each record is checked as Kafka's log validator checks it: a key on
//! a compacted topic, a CreateTime timestamp within
//! `message.timestamp.before.max.ms` and `.after.max.ms` of the broker's
//! clock. Every record is checked, not only up to the first bad one, and
//! the batch is refused naming each bad record (KIP-467).

use bytes::Bytes;
use thiserror::Error;

use super::batch::{
    compute_crc, compute_crc_split, BatchHeader, Compression, HeaderPatch, ValidatedBatch,
    HEADER_LEN, MIN_BATCH_LENGTH,
};
use super::compression::decompressor;
use super::records::{walk_records, RecordError, SliceInput, StreamInput};

/// Decompressed records may be at most this many times `max.message.bytes`:
/// far beyond what real data compresses to (text and JSON shrink 5-10x),
/// while a few hundred bytes of zstd cannot make a produce request walk a
/// gigabyte of records.
const MAX_INFLATION: u64 = 64;
/// And never more than this, whatever `max.message.bytes` is.
const MAX_DECOMPRESSED_BYTES: u64 = 1 << 30;

/// How many invalid records of one batch are named. Kafka names them all;
/// a batch of millions of tiny invalid records would make that a response
/// of hundreds of megabytes, so klamm counts the rest without naming them.
pub const MAX_RECORD_PROBLEMS: usize = 10_000;

/// How many decompressed bytes a batch may hold under `max.message.bytes`.
fn decompression_limit(max_message_bytes: usize) -> u64 {
    (max_message_bytes as u64)
        .saturating_mul(MAX_INFLATION)
        .min(MAX_DECOMPRESSED_BYTES)
}

/// What a topic demands of the batches written to it.
#[derive(Clone, Copy, Debug)]
pub struct ValidationRules {
    pub max_message_bytes: usize,
    /// `message.timestamp.type=LogAppendTime`: the broker's clock wins.
    pub log_append_time: bool,
    /// Compacted topics need a key on every record.
    pub require_keys: bool,
    /// zstd needs Produce v7 or later.
    pub allow_zstd: bool,
    /// How far before and after `now_ms` a CreateTime timestamp may be
    /// (`message.timestamp.before.max.ms`, `.after.max.ms`).
    pub timestamp_before_max_ms: i64,
    pub timestamp_after_max_ms: i64,
    pub now_ms: i64,
}

/// A record the log validator refuses, by its index in the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordProblem {
    /// A compacted topic's record without a key.
    MissingKey { index: u32 },
    /// A CreateTime timestamp outside the topic's window; `offset` is the
    /// record's offset as the producer numbered it.
    Timestamp {
        index: u32,
        timestamp: i64,
        offset: i64,
    },
}

/// The refused records of a batch: the first `MAX_RECORD_PROBLEMS`, how
/// many in all, and the timestamp window they were held to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordProblems {
    pub listed: Vec<RecordProblem>,
    pub total: usize,
    /// Whether any record's timestamp was refused (Kafka then answers
    /// INVALID_TIMESTAMP for the batch, else INVALID_RECORD).
    pub any_timestamp: bool,
    /// (earliest, latest) allowed timestamp, computed as Kafka computes it
    /// (wrapping, as Java's long arithmetic does).
    pub window: (i64, i64),
}

/// Why a produced batch was refused.
#[derive(Debug, Error)]
pub enum BatchError {
    #[error("no record batch in the produce request")]
    Missing,
    #[error("record batch is truncated: {available} bytes for a batch of {declared}")]
    Truncated { declared: usize, available: usize },
    #[error("batch length {0} is smaller than a batch header")]
    LengthTooSmall(i32),
    #[error("magic {0} is not supported, only record batch format v2 (magic 2)")]
    UnsupportedMagic(i8),
    #[error(
        "produce requests carry exactly one record batch per partition; {extra} bytes follow it"
    )]
    MoreThanOneBatch { extra: usize },
    #[error("batch of {size} bytes exceeds max.message.bytes {max}")]
    TooLarge { size: usize, max: usize },
    #[error("CRC mismatch: batch says {stored:#010x}, content is {computed:#010x}")]
    CrcMismatch { stored: u32, computed: u32 },
    #[error("unknown compression codec {0}")]
    UnknownCompression(i16),
    #[error("zstd compression needs Produce v7 or later")]
    ZstdNeedsNewerProduce,
    #[error("clients may not write control batches")]
    ControlBatch,
    #[error("invalid record count {0}")]
    InvalidCount(i32),
    #[error("last offset delta {last_offset_delta} does not match record count {count}")]
    OffsetRangeMismatch { last_offset_delta: i32, count: i32 },
    #[error("producer id {producer_id} with invalid base sequence {base_sequence}")]
    InvalidSequence {
        producer_id: i64,
        base_sequence: i32,
    },
    #[error("{codec} records do not decompress: {source}")]
    Decompression {
        codec: &'static str,
        source: std::io::Error,
    },
    #[error("invalid record: {0}")]
    Record(RecordError),
    #[error("{} of the batch's records are invalid, the first: {:?}", .0.total, .0.listed.first())]
    InvalidRecords(RecordProblems),
}

/// Validates the records of one partition in a produce request.
pub fn validate_batch(
    records: Bytes,
    rules: &ValidationRules,
) -> Result<ValidatedBatch, BatchError> {
    if records.is_empty() {
        return Err(BatchError::Missing);
    }
    // Magic sits at the same place in every message format, so old formats are
    // named as such even when their header is shorter than ours.
    if let Some(&magic) = records.get(16) {
        if magic != 2 {
            return Err(BatchError::UnsupportedMagic(magic as i8));
        }
    }
    let header = BatchHeader::parse(&records).ok_or(BatchError::Truncated {
        declared: HEADER_LEN,
        available: records.len(),
    })?;
    let size = header
        .total_size()
        .filter(|_| header.batch_length as usize >= MIN_BATCH_LENGTH)
        .ok_or(BatchError::LengthTooSmall(header.batch_length))?;
    if size > records.len() {
        return Err(BatchError::Truncated {
            declared: size,
            available: records.len(),
        });
    }
    if size < records.len() {
        return Err(BatchError::MoreThanOneBatch {
            extra: records.len() - size,
        });
    }
    if size > rules.max_message_bytes {
        return Err(BatchError::TooLarge {
            size,
            max: rules.max_message_bytes,
        });
    }
    let computed = compute_crc(&records);
    if computed != header.crc {
        return Err(BatchError::CrcMismatch {
            stored: header.crc,
            computed,
        });
    }
    let codec = header
        .compression()
        .ok_or(BatchError::UnknownCompression(header.attributes & 0x07))?;
    if codec == Compression::Zstd && !rules.allow_zstd {
        return Err(BatchError::ZstdNeedsNewerProduce);
    }
    if header.is_control() {
        return Err(BatchError::ControlBatch);
    }
    if header.records_count <= 0 {
        return Err(BatchError::InvalidCount(header.records_count));
    }
    if header.last_offset_delta != header.records_count - 1 {
        return Err(BatchError::OffsetRangeMismatch {
            last_offset_delta: header.last_offset_delta,
            count: header.records_count,
        });
    }
    if header.producer_id >= 0 && header.base_sequence < 0 {
        return Err(BatchError::InvalidSequence {
            producer_id: header.producer_id,
            base_sequence: header.base_sequence,
        });
    }

    let body = records.slice(HEADER_LEN..);
    let limit = decompression_limit(rules.max_message_bytes);
    let stats = scan_records(&header, codec, &body, rules, limit)?;

    let mut patch = HeaderPatch::new(&records).ok_or(BatchError::Truncated {
        declared: HEADER_LEN,
        available: records.len(),
    })?;
    let (log_append, max_timestamp) = if rules.log_append_time {
        (true, rules.now_ms)
    } else {
        (false, stats.max_timestamp)
    };
    if header.is_log_append_time() != log_append || header.max_timestamp != max_timestamp {
        patch.set_timestamps(log_append, max_timestamp);
        patch.set_crc(compute_crc_split(patch.bytes(), &body));
    }
    Ok(ValidatedBatch {
        header: patch,
        records: body,
        record_count: header.records_count as u32,
        max_timestamp,
        offset_delta_of_max_timestamp: if log_append {
            0
        } else {
            stats.offset_delta_of_max
        },
    })
}

struct RecordStats {
    max_timestamp: i64,
    offset_delta_of_max: i32,
}

/// Whether Kafka's validator refuses a CreateTime `timestamp` (-1 is "no
/// timestamp" and never refused).
fn timestamp_out_of_range(timestamp: i64, rules: &ValidationRules) -> bool {
    if rules.log_append_time || timestamp == -1 {
        return false;
    }
    let behind = i128::from(rules.now_ms) - i128::from(timestamp);
    behind > i128::from(rules.timestamp_before_max_ms)
        || -behind > i128::from(rules.timestamp_after_max_ms)
}

fn scan_records(
    header: &BatchHeader,
    codec: Compression,
    body: &[u8],
    rules: &ValidationRules,
    limit: u64,
) -> Result<RecordStats, BatchError> {
    let mut stats = RecordStats {
        max_timestamp: i64::MIN,
        offset_delta_of_max: 0,
    };
    let mut problems = RecordProblems {
        listed: Vec::new(),
        total: 0,
        any_timestamp: false,
        window: (
            rules.now_ms.wrapping_sub(rules.timestamp_before_max_ms),
            rules.now_ms.wrapping_add(rules.timestamp_after_max_ms),
        ),
    };
    let mut visit = |r: &super::records::RecordInfo| {
        let timestamp = header.base_timestamp.saturating_add(r.timestamp_delta);
        if timestamp > stats.max_timestamp {
            stats.max_timestamp = timestamp;
            stats.offset_delta_of_max = r.index as i32;
        }
        // One problem per record, the key's first, as Kafka's validator has it.
        let problem = if rules.require_keys && r.key_is_null {
            Some(RecordProblem::MissingKey { index: r.index })
        } else if timestamp_out_of_range(timestamp, rules) {
            problems.any_timestamp = true;
            Some(RecordProblem::Timestamp {
                index: r.index,
                timestamp,
                offset: header.base_offset.saturating_add(i64::from(r.offset_delta)),
            })
        } else {
            None
        };
        if let Some(problem) = problem {
            problems.total += 1;
            if problems.listed.len() < MAX_RECORD_PROBLEMS {
                problems.listed.push(problem);
            }
        }
        true
    };
    let count = header.records_count as u32;
    let walked = if codec == Compression::None {
        walk_records(&mut SliceInput::new(body), count, &mut visit)
    } else {
        let reader =
            decompressor(codec, body, limit).map_err(|source| BatchError::Decompression {
                codec: codec.name(),
                source,
            })?;
        walk_records(&mut StreamInput::new(reader, limit), count, &mut visit)
    };
    walked.map_err(|e| match e {
        RecordError::Decompress(source) => BatchError::Decompression {
            codec: codec.name(),
            source,
        },
        other => BatchError::Record(other),
    })?;
    if problems.total > 0 {
        return Err(BatchError::InvalidRecords(problems));
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::batch::tests::build_batch;

    fn rules() -> ValidationRules {
        ValidationRules {
            max_message_bytes: 1_048_588,
            log_append_time: false,
            require_keys: false,
            allow_zstd: true,
            timestamp_before_max_ms: i64::MAX,
            timestamp_after_max_ms: i64::MAX,
            now_ms: 5_000,
        }
    }

    #[test]
    fn a_good_batch_passes_untouched() {
        let batch = build_batch(1_000, &[b"a", b"b"]);
        let validated = validate_batch(Bytes::from(batch.clone()), &rules()).unwrap();
        assert_eq!(validated.record_count, 2);
        assert_eq!(validated.max_timestamp, 1_001);
        assert_eq!(validated.offset_delta_of_max_timestamp, 1);
        assert_eq!(&validated.to_contiguous()[..], &batch[..]);
    }

    #[test]
    fn a_flipped_bit_is_a_crc_mismatch() {
        let mut batch = build_batch(1_000, &[b"hello"]);
        let last = batch.len() - 2;
        batch[last] ^= 0x01;
        assert!(matches!(
            validate_batch(Bytes::from(batch), &rules()),
            Err(BatchError::CrcMismatch { .. })
        ));
    }

    #[test]
    fn old_message_formats_are_named() {
        let mut batch = build_batch(0, &[b"x"]);
        batch[16] = 1;
        assert!(matches!(
            validate_batch(Bytes::from(batch), &rules()),
            Err(BatchError::UnsupportedMagic(1))
        ));
    }

    #[test]
    fn two_batches_in_one_partition_are_refused() {
        let mut batch = build_batch(0, &[b"x"]);
        batch.extend_from_slice(&build_batch(0, &[b"y"]));
        assert!(matches!(
            validate_batch(Bytes::from(batch), &rules()),
            Err(BatchError::MoreThanOneBatch { .. })
        ));
    }

    #[test]
    fn a_batch_above_max_message_bytes_is_too_large() {
        let batch = build_batch(0, &[&[0u8; 600]]);
        let mut small = rules();
        small.max_message_bytes = 500;
        assert!(matches!(
            validate_batch(Bytes::from(batch), &small),
            Err(BatchError::TooLarge { max: 500, .. })
        ));
    }

    #[test]
    fn log_append_time_rewrites_timestamp_and_crc() {
        let batch = build_batch(1_000, &[b"a"]);
        let mut lat = rules();
        lat.log_append_time = true;
        let validated = validate_batch(Bytes::from(batch), &lat).unwrap();
        let stored = validated.to_contiguous();
        let header = BatchHeader::parse(&stored).unwrap();
        assert!(header.is_log_append_time());
        assert_eq!(header.max_timestamp, 5_000);
        assert_eq!(header.crc, compute_crc(&stored));
    }

    #[test]
    fn compacted_topics_need_keys_on_every_record() {
        let batch = build_batch(0, &[b"a", b"b"]);
        let mut compact = rules();
        compact.require_keys = true;
        let Err(BatchError::InvalidRecords(problems)) =
            validate_batch(Bytes::from(batch), &compact)
        else {
            panic!("refused");
        };
        assert_eq!(
            problems.listed,
            vec![
                RecordProblem::MissingKey { index: 0 },
                RecordProblem::MissingKey { index: 1 }
            ]
        );
        assert!(!problems.any_timestamp);
    }

    #[test]
    fn timestamps_outside_the_window_are_named_record_by_record() {
        // Record 1 is an hour and a millisecond ahead of the clock.
        let mut ahead = rules();
        ahead.timestamp_after_max_ms = 3_600_000;
        ahead.now_ms = 1_000 - 3_600_001;
        let batch = build_batch(1_000 - 1, &[b"ok", b"ahead"]);
        let Err(BatchError::InvalidRecords(problems)) = validate_batch(Bytes::from(batch), &ahead)
        else {
            panic!("refused");
        };
        assert_eq!(
            problems.listed,
            vec![RecordProblem::Timestamp {
                index: 1,
                timestamp: 1_000,
                offset: 1
            }]
        );
        assert!(problems.any_timestamp);
        assert_eq!(problems.window, (ahead.now_ms.wrapping_sub(i64::MAX), 999));
        // Behind the clock counts from before.max.ms, and LogAppendTime
        // topics take the broker's clock instead.
        let mut behind = rules();
        behind.timestamp_before_max_ms = 10;
        behind.now_ms = 2_000;
        let batch = build_batch(1_000, &[b"old"]);
        assert!(validate_batch(Bytes::from(batch.clone()), &behind).is_err());
        behind.log_append_time = true;
        assert!(validate_batch(Bytes::from(batch), &behind).is_ok());
    }

    #[test]
    fn decompression_stops_at_a_multiple_of_max_message_bytes() {
        let zeros = vec![0u8; 2 << 20];
        let records = [(None, Some(&zeros[..]))];
        let mut small = rules();
        small.max_message_bytes = 16 * 1024;
        for codec in [Compression::Gzip, Compression::Lz4, Compression::Zstd] {
            let batch = crate::storage::seeds::batch_with(&records, codec, |r| {
                crate::storage::seeds::compress(codec, r)
            });
            assert!(batch.len() < small.max_message_bytes, "{codec:?}");
            assert!(
                matches!(
                    validate_batch(Bytes::from(batch.clone()), &small),
                    Err(BatchError::Record(RecordError::TooLarge {
                        limit: 1_048_576
                    }))
                ),
                "{codec:?}"
            );
            assert!(
                validate_batch(Bytes::from(batch), &rules()).is_ok(),
                "{codec:?}"
            );
        }
    }

    #[test]
    fn a_count_that_lies_is_invalid() {
        let mut batch = build_batch(0, &[b"a", b"b"]);
        // Claim one record (and a matching offset range), then fix the CRC.
        batch[57..61].copy_from_slice(&1i32.to_be_bytes());
        batch[23..27].copy_from_slice(&0i32.to_be_bytes());
        let crc = compute_crc(&batch);
        batch[17..21].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(
            validate_batch(Bytes::from(batch), &rules()),
            Err(BatchError::Record(RecordError::TrailingData {
                declared: 1
            }))
        ));
    }
}
