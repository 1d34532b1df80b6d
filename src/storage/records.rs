//! Walking the records inside a batch.
//!
//! Kafka's broker looks at every record of a produced batch before it accepts
//! it, so a batch whose record count, lengths or varints lie never reaches the
//! log and never reaches a consumer. The walk reads from either the batch's
//! own bytes or a decompressing stream, and never allocates from a length it
//! read: fields are skipped, not copied.

use std::io::{BufRead, ErrorKind};

use thiserror::Error;

/// What is wrong with the records area of a batch.
#[derive(Debug, Error)]
pub enum RecordError {
    #[error("record {index}: data ends before the record does")]
    Truncated { index: u32 },
    #[error("record {index}: varint is longer than {max} bytes")]
    VarintTooLong { index: u32, max: usize },
    #[error("record {index}: invalid {field} length {value}")]
    InvalidLength {
        index: u32,
        field: &'static str,
        value: i64,
    },
    #[error("record {index}: declared size {declared} but its fields take {actual} bytes")]
    SizeMismatch {
        index: u32,
        declared: u64,
        actual: u64,
    },
    #[error("batch declares {declared} records but more data follows the last one")]
    TrailingData { declared: u32 },
    #[error("decompressed data exceeds {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("records do not decompress: {0}")]
    Decompress(std::io::Error),
}

/// What the walk learned about one record.
#[derive(Clone, Copy, Debug)]
pub struct RecordInfo {
    /// Position of the record in its batch (0-based).
    pub index: u32,
    pub offset_delta: i32,
    pub timestamp_delta: i64,
    pub key_is_null: bool,
}

/// A source of record bytes with a running count of what was consumed.
pub trait RecordInput {
    /// `Ok(None)` at the end of input.
    fn next_byte(&mut self) -> Result<Option<u8>, RecordError>;
    /// Skips exactly `n` bytes; `Ok(false)` if the input ends first.
    fn skip(&mut self, n: u64) -> Result<bool, RecordError>;
    fn consumed(&self) -> u64;
}

/// Records that are stored uncompressed, walked in place.
pub struct SliceInput<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> SliceInput<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }
}

impl RecordInput for SliceInput<'_> {
    fn next_byte(&mut self) -> Result<Option<u8>, RecordError> {
        let byte = self.data.get(self.pos).copied();
        if byte.is_some() {
            self.pos += 1;
        }
        Ok(byte)
    }

    fn skip(&mut self, n: u64) -> Result<bool, RecordError> {
        let remaining = (self.data.len() - self.pos) as u64;
        if n > remaining {
            self.pos = self.data.len();
            return Ok(false);
        }
        self.pos += n as usize;
        Ok(true)
    }

    fn consumed(&self) -> u64 {
        self.pos as u64
    }
}

/// Records behind a decompressor, with a cap on how much may come out.
pub struct StreamInput<R> {
    reader: R,
    consumed: u64,
    limit: u64,
}

impl<R: BufRead> StreamInput<R> {
    pub fn new(reader: R, limit: u64) -> Self {
        Self {
            reader,
            consumed: 0,
            limit,
        }
    }

    /// How many buffered bytes are ready (0 at the end of input).
    fn fill(&mut self) -> Result<usize, RecordError> {
        loop {
            match self.reader.fill_buf() {
                Ok(buf) => return Ok(buf.len()),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(RecordError::Decompress(e)),
            }
        }
    }

    fn account(&mut self, n: u64) -> Result<(), RecordError> {
        self.consumed += n;
        if self.consumed > self.limit {
            return Err(RecordError::TooLarge { limit: self.limit });
        }
        Ok(())
    }
}

impl<R: BufRead> RecordInput for StreamInput<R> {
    fn next_byte(&mut self) -> Result<Option<u8>, RecordError> {
        if self.fill()? == 0 {
            return Ok(None);
        }
        let byte = self.reader.fill_buf().ok().and_then(|b| b.first().copied());
        if byte.is_some() {
            self.reader.consume(1);
            self.account(1)?;
        }
        Ok(byte)
    }

    fn skip(&mut self, mut n: u64) -> Result<bool, RecordError> {
        while n > 0 {
            let available = self.fill()? as u64;
            if available == 0 {
                return Ok(false);
            }
            let step = available.min(n);
            self.reader.consume(step as usize);
            self.account(step)?;
            n -= step;
        }
        Ok(true)
    }

    fn consumed(&self) -> u64 {
        self.consumed
    }
}

fn read_varlong<I: RecordInput>(
    input: &mut I,
    index: u32,
    max_bytes: usize,
) -> Result<i64, RecordError> {
    let mut raw: u64 = 0;
    for i in 0..max_bytes {
        let byte = input.next_byte()?.ok_or(RecordError::Truncated { index })?;
        raw |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64));
        }
    }
    Err(RecordError::VarintTooLong {
        index,
        max: max_bytes,
    })
}

fn read_varint<I: RecordInput>(input: &mut I, index: u32) -> Result<i64, RecordError> {
    let value = read_varlong(input, index, 5)?;
    Ok(i64::from(value as i32))
}

/// Skips a length-prefixed field; `-1` (null) is allowed when `nullable`.
/// Returns whether the field was null.
fn skip_field<I: RecordInput>(
    input: &mut I,
    index: u32,
    field: &'static str,
    nullable: bool,
) -> Result<bool, RecordError> {
    let len = read_varint(input, index)?;
    if len == -1 && nullable {
        return Ok(true);
    }
    if len < 0 {
        return Err(RecordError::InvalidLength {
            index,
            field,
            value: len,
        });
    }
    if !input.skip(len as u64)? {
        return Err(RecordError::Truncated { index });
    }
    Ok(false)
}

fn walk_one<I: RecordInput>(input: &mut I, index: u32) -> Result<RecordInfo, RecordError> {
    let declared = read_varint(input, index)?;
    if declared < 0 {
        return Err(RecordError::InvalidLength {
            index,
            field: "record",
            value: declared,
        });
    }
    let start = input.consumed();
    input.next_byte()?.ok_or(RecordError::Truncated { index })?; // attributes, unused since v2
    let timestamp_delta = read_varlong(input, index, 10)?;
    let offset_delta = read_varint(input, index)? as i32;
    let key_is_null = skip_field(input, index, "key", true)?;
    skip_field(input, index, "value", true)?;
    let headers = read_varint(input, index)?;
    if headers < 0 {
        return Err(RecordError::InvalidLength {
            index,
            field: "header count",
            value: headers,
        });
    }
    for _ in 0..headers {
        skip_field(input, index, "header key", false)?;
        skip_field(input, index, "header value", true)?;
        // A record cannot hold more headers than its own bytes allow.
        if input.consumed() - start > declared as u64 {
            break;
        }
    }
    let actual = input.consumed() - start;
    if actual != declared as u64 {
        return Err(RecordError::SizeMismatch {
            index,
            declared: declared as u64,
            actual,
        });
    }
    Ok(RecordInfo {
        index,
        offset_delta,
        timestamp_delta,
        key_is_null,
    })
}

/// Walks exactly `count` records and checks that nothing follows them.
/// `visit` sees each record in order and may stop the walk early by
/// returning `false` (then the trailing-data check is skipped).
pub fn walk_records<I: RecordInput>(
    input: &mut I,
    count: u32,
    mut visit: impl FnMut(&RecordInfo) -> bool,
) -> Result<(), RecordError> {
    for index in 0..count {
        let info = walk_one(input, index)?;
        if !visit(&info) {
            return Ok(());
        }
    }
    if input.next_byte()?.is_some() {
        return Err(RecordError::TrailingData { declared: count });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::batch::{tests::build_batch, HEADER_LEN};

    fn walk(data: &[u8], count: u32) -> Result<Vec<RecordInfo>, RecordError> {
        let mut seen = Vec::new();
        walk_records(&mut SliceInput::new(data), count, |r| {
            seen.push(*r);
            true
        })?;
        Ok(seen)
    }

    #[test]
    fn walks_every_record_of_a_well_formed_batch() {
        let batch = build_batch(0, &[b"one", b"two", b"three"]);
        let seen = walk(&batch[HEADER_LEN..], 3).unwrap();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[2].offset_delta, 2);
        assert!(seen.iter().all(|r| r.key_is_null));
    }

    #[test]
    fn a_count_larger_than_the_records_is_truncation() {
        let batch = build_batch(0, &[b"one"]);
        assert!(matches!(
            walk(&batch[HEADER_LEN..], 2),
            Err(RecordError::Truncated { index: 1 })
        ));
    }

    #[test]
    fn a_count_smaller_than_the_records_is_trailing_data() {
        let batch = build_batch(0, &[b"one", b"two"]);
        assert!(matches!(
            walk(&batch[HEADER_LEN..], 1),
            Err(RecordError::TrailingData { declared: 1 })
        ));
    }

    #[test]
    fn a_record_length_that_lies_is_rejected() {
        let batch = build_batch(0, &[b"one"]);
        let mut records = batch[HEADER_LEN..].to_vec();
        records[0] += 2; // claim two more bytes than the fields take
        records.extend_from_slice(&[0, 0]);
        assert!(matches!(
            walk(&records, 1),
            Err(RecordError::SizeMismatch { .. })
        ));
    }

    #[test]
    fn a_huge_header_count_does_not_loop_for_long() {
        // length=10, attributes, ts delta, offset delta, null key, null value,
        // then a header count of i32::MAX with nothing behind it.
        let records = [
            20u8, 0, 0, 0, 1, 1, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0, 0, 0,
        ];
        assert!(walk(&records, 1).is_err());
    }

    #[test]
    fn stream_input_enforces_its_limit() {
        let batch = build_batch(0, &[&[7u8; 100]]);
        let data = &batch[HEADER_LEN..];
        let mut input = StreamInput::new(data, 50);
        let result = walk_records(&mut input, 1, |_| true);
        assert!(matches!(result, Err(RecordError::TooLarge { limit: 50 })));
    }
}
