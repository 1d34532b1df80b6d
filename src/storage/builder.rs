//! Record batches for klamm's own logs (committed offsets, group state):
//! building them, and reading their records back at start-up.
//!
//! Only uncompressed magic v2 batches are built here; the reader refuses
//! anything else, since these logs only ever hold what this module wrote.

use bytes::Bytes;

use super::batch::{compute_crc, BatchHeader, HEADER_LEN, MIN_BATCH_LENGTH};
use super::records::RecordError;

fn put_varint(out: &mut Vec<u8>, value: i64) {
    let mut z = ((value << 1) ^ (value >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn put_bytes(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        Some(b) => {
            put_varint(out, b.len() as i64);
            out.extend_from_slice(b);
        }
        None => put_varint(out, -1),
    }
}

/// A record's key and value, either of which may be null.
pub type KeyValue<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// One uncompressed batch of `(key, value)` records, all at `timestamp`.
pub fn build_batch(records: &[KeyValue<'_>], timestamp: i64) -> Bytes {
    build_batch_timed(records, timestamp, |_| 0)
}

/// One uncompressed batch whose record `i` is at `base_timestamp + delta(i)`.
pub fn build_batch_timed(
    records: &[KeyValue<'_>],
    base_timestamp: i64,
    delta: impl Fn(usize) -> i64,
) -> Bytes {
    let mut body = Vec::new();
    let mut record = Vec::new();
    let mut max_timestamp = base_timestamp;
    for (i, (key, value)) in records.iter().enumerate() {
        max_timestamp = max_timestamp.max(base_timestamp + delta(i));
        record.clear();
        record.push(0); // attributes
        put_varint(&mut record, delta(i)); // timestamp delta
        put_varint(&mut record, i as i64); // offset delta
        put_bytes(&mut record, *key);
        put_bytes(&mut record, *value);
        put_varint(&mut record, 0); // headers
        put_varint(&mut body, record.len() as i64);
        body.extend_from_slice(&record);
    }
    let count = records.len() as i32;
    let mut batch = Vec::with_capacity(HEADER_LEN + body.len());
    batch.extend_from_slice(&0i64.to_be_bytes());
    batch.extend_from_slice(&((MIN_BATCH_LENGTH + body.len()) as i32).to_be_bytes());
    batch.extend_from_slice(&(-1i32).to_be_bytes());
    batch.push(2);
    batch.extend_from_slice(&0u32.to_be_bytes());
    batch.extend_from_slice(&0i16.to_be_bytes());
    batch.extend_from_slice(&(count - 1).to_be_bytes());
    batch.extend_from_slice(&base_timestamp.to_be_bytes());
    batch.extend_from_slice(&max_timestamp.to_be_bytes());
    batch.extend_from_slice(&(-1i64).to_be_bytes());
    batch.extend_from_slice(&(-1i16).to_be_bytes());
    batch.extend_from_slice(&(-1i32).to_be_bytes());
    batch.extend_from_slice(&count.to_be_bytes());
    batch.extend_from_slice(&body);
    let crc = compute_crc(&batch);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
    Bytes::from(batch)
}

/// A record's key and value, borrowed from its batch.
#[derive(Debug, PartialEq, Eq)]
pub struct StoredRecord<'a> {
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    index: u32,
}

impl<'a> Cursor<'a> {
    fn varint(&mut self) -> Result<i64, RecordError> {
        let mut raw: u64 = 0;
        for i in 0..10 {
            let byte = *self
                .data
                .get(self.pos)
                .ok_or(RecordError::Truncated { index: self.index })?;
            self.pos += 1;
            raw |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64));
            }
        }
        Err(RecordError::VarintTooLong {
            index: self.index,
            max: 10,
        })
    }

    fn bytes(&mut self, field: &'static str) -> Result<Option<&'a [u8]>, RecordError> {
        let len = self.varint()?;
        if len == -1 {
            return Ok(None);
        }
        let index = self.index;
        let len = usize::try_from(len).map_err(|_| RecordError::InvalidLength {
            index,
            field,
            value: len,
        })?;
        let bytes = self
            .data
            .get(self.pos..self.pos.saturating_add(len))
            .ok_or(RecordError::Truncated { index })?;
        self.pos += len;
        Ok(Some(bytes))
    }
}

/// The records of one stored, uncompressed batch.
pub fn read_records(batch: &[u8]) -> Result<Vec<StoredRecord<'_>>, RecordError> {
    let header = BatchHeader::parse(batch).ok_or(RecordError::Truncated { index: 0 })?;
    let count = u32::try_from(header.records_count).map_err(|_| RecordError::InvalidLength {
        index: 0,
        field: "record count",
        value: i64::from(header.records_count),
    })?;
    if header.compression() != Some(super::batch::Compression::None) {
        return Err(RecordError::InvalidLength {
            index: 0,
            field: "compression",
            value: 1,
        });
    }
    let end = header
        .total_size()
        .filter(|&s| s <= batch.len())
        .ok_or(RecordError::Truncated { index: 0 })?;
    let mut cursor = Cursor {
        data: &batch[..end],
        pos: HEADER_LEN,
        index: 0,
    };
    let mut records = Vec::new();
    for index in 0..count {
        cursor.index = index;
        let len = cursor.varint()?;
        let start = cursor.pos;
        cursor.pos += 1; // attributes
        cursor.varint()?; // timestamp delta
        cursor.varint()?; // offset delta
        let key = cursor.bytes("key")?;
        let value = cursor.bytes("value")?;
        let headers = cursor.varint()?;
        for _ in 0..headers.max(0) {
            cursor.bytes("header key")?;
            cursor.bytes("header value")?;
        }
        if (cursor.pos - start) as i64 != len {
            return Err(RecordError::SizeMismatch {
                index,
                declared: len as u64,
                actual: (cursor.pos - start) as u64,
            });
        }
        records.push(StoredRecord { key, value });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{validate_batch, ValidationRules};

    #[test]
    fn built_batches_are_valid_and_read_back() {
        let batch = build_batch(&[(Some(b"k1"), Some(b"v1")), (Some(b"k2"), None)], 1_000);
        let rules = ValidationRules {
            max_message_bytes: 1 << 20,
            log_append_time: false,
            require_keys: false,
            allow_zstd: false,
            timestamp_before_max_ms: i64::MAX,
            timestamp_after_max_ms: i64::MAX,
            now_ms: 0,
        };
        validate_batch(batch.clone(), &rules).unwrap();
        let records = read_records(&batch).unwrap();
        assert_eq!(
            records,
            vec![
                StoredRecord {
                    key: Some(b"k1"),
                    value: Some(b"v1")
                },
                StoredRecord {
                    key: Some(b"k2"),
                    value: None
                },
            ]
        );
    }

    #[test]
    fn a_truncated_batch_is_an_error() {
        let batch = build_batch(&[(Some(b"key"), Some(b"value"))], 1_000);
        assert!(read_records(&batch[..batch.len() - 3]).is_err());
    }
}
