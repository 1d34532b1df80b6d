//! Record batches built by kafka-protocol's encoder (not klamm's code), so
//! hand-made requests check klamm against an independent implementation.

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

pub fn record(offset: i64, timestamp: i64, key: Option<&str>, value: &str) -> Record {
    Record {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: -1,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: TimestampType::Creation,
        offset,
        // kafka-protocol batches records while offset - sequence stays the
        // same; this keeps the batch's base sequence at -1 (no producer id).
        sequence: offset as i32 - 1,
        timestamp,
        key: key.map(|k| Bytes::copy_from_slice(k.as_bytes())),
        value: Some(Bytes::copy_from_slice(value.as_bytes())),
        headers: IndexMap::<StrBytes, Option<Bytes>>::new(),
    }
}

/// One uncompressed magic v2 batch of `values`, timestamps from `timestamp`.
pub fn batch(values: &[&str], timestamp: i64) -> Bytes {
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, v)| record(i as i64, timestamp + i as i64, Some(&format!("key-{i}")), v))
        .collect();
    encode(&records)
}

/// One batch of `values` from idempotent producer `producer_id` at `epoch`,
/// its records numbered from `first_sequence`.
pub fn idempotent_batch(
    values: &[&str],
    producer_id: i64,
    epoch: i16,
    first_sequence: i32,
) -> Bytes {
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Record {
            producer_id,
            producer_epoch: epoch,
            sequence: first_sequence.wrapping_add(i as i32),
            ..record(i as i64, 1_700_000_000_000 + i as i64, None, v)
        })
        .collect();
    encode(&records)
}

fn encode(records: &[Record]) -> Bytes {
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .expect("batch encodes");
    buf.freeze()
}
