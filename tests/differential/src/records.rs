//! Fetched record batches as a tree, so a difference names the batch and
//! field (`records[#0].records[#1].key`) instead of "the bytes differ".
//!
//! Written against the v2 batch layout (the only one Kafka 4 serves); the
//! records of compressed batches are left as their length.

use bytes::Buf;

use crate::tree::Tree;

/// The tree of a `records` field; a batch cut short by the fetch size
/// shows as `<partial batch of N bytes>`, as Kafka may send one.
pub fn tree(mut data: &[u8]) -> Tree {
    let mut batches = Vec::new();
    while !data.is_empty() {
        let Some(length) = batch_length(data) else {
            batches.push(Tree::Atom(format!(
                "<partial batch of {} bytes>",
                data.len()
            )));
            break;
        };
        let (batch, rest) = data.split_at(length);
        batches.push(batch_tree(batch).unwrap_or_else(|e| Tree::Atom(format!("<bad batch: {e}>"))));
        data = rest;
    }
    Tree::List(batches)
}

/// The length of the whole batch at the front of `data`, if it is all there.
fn batch_length(data: &[u8]) -> Option<usize> {
    let header = data.get(8..12)?;
    let length = i32::from_be_bytes(header.try_into().ok()?);
    let total = 12usize.checked_add(usize::try_from(length).ok()?)?;
    (total <= data.len()).then_some(total)
}

fn batch_tree(mut b: &[u8]) -> Result<Tree, String> {
    if b.len() < 61 {
        return Err(format!("{} bytes is shorter than a batch header", b.len()));
    }
    let base_offset = b.get_i64();
    let _length = b.get_i32();
    let partition_leader_epoch = b.get_i32();
    let magic = b.get_i8();
    if magic != 2 {
        return Err(format!("magic {magic}"));
    }
    let crc = b.get_u32();
    let attributes = b.get_i16();
    let last_offset_delta = b.get_i32();
    let base_timestamp = b.get_i64();
    let max_timestamp = b.get_i64();
    let producer_id = b.get_i64();
    let producer_epoch = b.get_i16();
    let base_sequence = b.get_i32();
    let count = b.get_i32();
    let records = if attributes & 0x07 != 0 {
        Tree::Atom(format!("<{} compressed bytes>", b.len()))
    } else {
        let mut records = Vec::new();
        for _ in 0..count.clamp(0, 100_000) {
            records.push(record(&mut b)?);
        }
        if !b.is_empty() {
            return Err(format!("{} bytes after the records", b.len()));
        }
        Tree::List(records)
    };
    let log_append_time = attributes & 0x08 != 0;
    let time = |t: i64| {
        if log_append_time {
            Tree::Atom("<log-append-time>".into())
        } else {
            Tree::Int(t)
        }
    };
    Ok(Tree::Struct(vec![
        ("base_offset".into(), Tree::Int(base_offset)),
        (
            "partition_leader_epoch".into(),
            Tree::Int(partition_leader_epoch.into()),
        ),
        ("magic".into(), Tree::Int(magic.into())),
        (
            "crc".into(),
            // The CRC covers the broker's append time when it sets one, and
            // the producer id the broker handed out.
            if log_append_time || producer_id >= 0 {
                Tree::Atom("<crc>".into())
            } else {
                Tree::Int(crc.into())
            },
        ),
        ("attributes".into(), Tree::Int(attributes.into())),
        (
            "last_offset_delta".into(),
            Tree::Int(last_offset_delta.into()),
        ),
        ("base_timestamp".into(), time(base_timestamp)),
        ("max_timestamp".into(), time(max_timestamp)),
        ("producer_id".into(), Tree::Int(producer_id)),
        ("producer_epoch".into(), Tree::Int(producer_epoch.into())),
        ("base_sequence".into(), Tree::Int(base_sequence.into())),
        ("record_count".into(), Tree::Int(count.into())),
        ("records".into(), records),
    ]))
}

fn record(b: &mut &[u8]) -> Result<Tree, String> {
    let length = varint(b)?;
    let length = usize::try_from(length).map_err(|_| format!("record length {length}"))?;
    if b.len() < length {
        return Err(format!("record of {length} bytes, {} left", b.len()));
    }
    let (mut r, rest) = b.split_at(length);
    *b = rest;
    if r.is_empty() {
        return Err("empty record".into());
    }
    let attributes = r.get_i8();
    let timestamp_delta = varint(&mut r)?;
    let offset_delta = varint(&mut r)?;
    let key = bytes_field(&mut r)?;
    let value = bytes_field(&mut r)?;
    let header_count = varint(&mut r)?;
    let mut headers = Vec::new();
    for _ in 0..header_count.clamp(0, 10_000) {
        let key = bytes_field(&mut r)?;
        let value = bytes_field(&mut r)?;
        headers.push(Tree::Struct(vec![
            ("key".into(), key),
            ("value".into(), value),
        ]));
    }
    if !r.is_empty() {
        return Err(format!("{} bytes after a record", r.len()));
    }
    Ok(Tree::Struct(vec![
        ("attributes".into(), Tree::Int(attributes.into())),
        ("timestamp_delta".into(), Tree::Int(timestamp_delta)),
        ("offset_delta".into(), Tree::Int(offset_delta)),
        ("key".into(), key),
        ("value".into(), value),
        ("headers".into(), Tree::List(headers)),
    ]))
}

fn bytes_field(b: &mut &[u8]) -> Result<Tree, String> {
    let length = varint(b)?;
    if length < 0 {
        return Ok(Tree::Null);
    }
    let length = length as usize;
    if b.len() < length {
        return Err(format!("field of {length} bytes, {} left", b.len()));
    }
    let (field, rest) = b.split_at(length);
    *b = rest;
    Ok(Tree::Bytes(field.to_vec()))
}

/// A zigzag varint (record fields).
fn varint(b: &mut &[u8]) -> Result<i64, String> {
    let mut value: u64 = 0;
    for shift in (0..64).step_by(7) {
        let Some((&byte, rest)) = b.split_first() else {
            return Err("varint cut short".into());
        };
        *b = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
        }
    }
    Err("varint longer than 10 bytes".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::{Bytes, BytesMut};
    use indexmap::IndexMap;
    use kafka_protocol::protocol::StrBytes;
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    fn batch(timestamp_type: TimestampType) -> Vec<u8> {
        let mut headers = IndexMap::new();
        headers.insert(
            StrBytes::from_static_str("h"),
            Some(Bytes::from_static(b"v")),
        );
        let records: Vec<Record> = (0..2)
            .map(|i| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: 0,
                producer_id: 7,
                producer_epoch: 1,
                timestamp_type,
                offset: i,
                sequence: i as i32,
                timestamp: 1_700_000_000_000 + i,
                key: (i == 0).then(|| Bytes::from_static(b"k")),
                value: Some(Bytes::from_static(b"val")),
                headers: if i == 1 {
                    headers.clone()
                } else {
                    IndexMap::new()
                },
            })
            .collect();
        let mut out = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut out,
            &records,
            &RecordEncodeOptions {
                version: 2,
                compression: Compression::None,
            },
        )
        .expect("encodes");
        out.to_vec()
    }

    #[test]
    fn batches_and_records_become_fields() {
        let mut data = batch(TimestampType::Creation);
        data.extend_from_slice(&data.clone());
        let tree = tree(&data);
        assert_eq!(tree.at("0.producer_id"), Some(&Tree::Int(7)));
        assert_eq!(tree.at("1.record_count"), Some(&Tree::Int(2)));
        assert_eq!(
            tree.at("0.base_timestamp"),
            Some(&Tree::Int(1_700_000_000_000))
        );
        assert_eq!(
            tree.at("0.records.0.key"),
            Some(&Tree::Bytes(b"k".to_vec()))
        );
        assert_eq!(tree.at("0.records.1.key"), Some(&Tree::Null));
        assert_eq!(tree.at("0.records.1.offset_delta"), Some(&Tree::Int(1)));
        assert_eq!(
            tree.at("0.records.1.headers.0.key"),
            Some(&Tree::Bytes(b"h".to_vec()))
        );
    }

    #[test]
    fn log_append_times_are_placeholders_and_partial_batches_are_named() {
        let mut data = batch(TimestampType::LogAppend);
        // The encoder leaves the timestamp type out of the attributes: set
        // it (the low byte of the attributes is byte 22).
        data[22] |= 0x08;
        let full = data.len();
        data.extend_from_slice(&batch(TimestampType::Creation)[..20]);
        let tree = tree(&data);
        assert_eq!(
            tree.at("0.max_timestamp"),
            Some(&Tree::Atom("<log-append-time>".into()))
        );
        assert_eq!(tree.at("0.crc"), Some(&Tree::Atom("<crc>".into())));
        assert_eq!(
            tree.at("1"),
            Some(&Tree::Atom("<partial batch of 20 bytes>".into()))
        );
        assert!(full > 61);
    }

    #[test]
    fn garbage_is_a_named_bad_batch_not_a_panic() {
        let mut data = batch(TimestampType::Creation);
        data[70] = 0xff;
        let _ = tree(&data);
        let mut short = vec![0u8; 12];
        short[11] = 2;
        short.extend_from_slice(&[2, 2]);
        assert!(matches!(tree(&short).at("0"), Some(Tree::Atom(a)) if a.starts_with("<bad batch")));
        assert_eq!(varint(&mut &[0x01][..]), Ok(-1));
        assert_eq!(varint(&mut &[0x96, 0x01][..]), Ok(75));
        assert!(varint(&mut &[0x80][..]).is_err());
    }
}
