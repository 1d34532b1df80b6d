//! Record batches on the tools' side: building one from lines to produce,
//! and reading fetched batches back, compressed ones included.
//!
//! Decompression uses the codecs the broker already links for validating
//! batches (`storage::compression`) instead of kafka-protocol's optional
//! codec features, which would add a second copy of gzip/snappy/zstd and a
//! C build of lz4 to the binary.

use std::io::Read;

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions,
    TimestampType, NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE,
};

use crate::storage::batch::{BatchHeader, Compression as Codec, LOG_OVERHEAD};
use crate::storage::compression::decompressor;

use super::error::ToolError;

/// A record to produce.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutgoingRecord {
    pub key: Option<Bytes>,
    pub value: Bytes,
    pub headers: Vec<(String, Bytes)>,
}

impl OutgoingRecord {
    /// Roughly what the record takes in a batch, to keep batches under the
    /// broker's size limit.
    pub fn size_estimate(&self) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(k, v)| k.len() + v.len() + 10)
            .sum();
        self.key.as_ref().map_or(0, Bytes::len) + self.value.len() + headers + 24
    }
}

/// A fetched record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedRecord {
    pub offset: i64,
    pub timestamp: i64,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<(String, Option<Bytes>)>,
}

/// One uncompressed v2 batch holding `records`, timestamped `now_ms`.
pub fn encode_batch(records: &[OutgoingRecord], now_ms: i64) -> Result<Bytes, ToolError> {
    let records: Vec<Record> = records
        .iter()
        .enumerate()
        .map(|(i, r)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: NO_PARTITION_LEADER_EPOCH,
            producer_id: NO_PRODUCER_ID,
            producer_epoch: NO_PRODUCER_EPOCH,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // The encoder starts a new batch wherever offset - sequence
            // changes; only the first record's sequence is written, as the
            // batch's base sequence, which must be -1 without a producer id.
            sequence: NO_SEQUENCE + i as i32,
            timestamp: now_ms,
            key: r.key.clone(),
            value: Some(r.value.clone()),
            headers: r
                .headers
                .iter()
                .map(|(k, v)| (StrBytes::from_string(k.clone()), Some(v.clone())))
                .collect::<IndexMap<_, _>>(),
        })
        .collect();
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: Compression::None,
    };
    RecordBatchEncoder::encode(&mut buf, &records, &options)
        .map_err(|e| ToolError::Failed(format!("cannot encode a record batch: {e}")))?;
    Ok(buf.freeze())
}

/// Decompressed sizes above this are refused (a corrupt or hostile batch).
const MAX_DECOMPRESSED: u64 = 1 << 30;

fn codec(compression: Compression) -> Codec {
    match compression {
        Compression::None => Codec::None,
        Compression::Gzip => Codec::Gzip,
        Compression::Snappy => Codec::Snappy,
        Compression::Lz4 => Codec::Lz4,
        Compression::Zstd => Codec::Zstd,
    }
}

fn decompress(data: &[u8], compression: Compression) -> std::io::Result<Bytes> {
    let mut out = Vec::with_capacity(data.len().saturating_mul(4));
    decompressor(codec(compression), data, MAX_DECOMPRESSED)?
        .take(MAX_DECOMPRESSED)
        .read_to_end(&mut out)?;
    Ok(Bytes::from(out))
}

/// Every record at or after `from` in the complete batches of a fetch
/// response's records; a batch cut off at the end (the fetch size limit) is
/// skipped — the next fetch starts at it. Transaction markers are skipped.
/// Returns the records and the offset to fetch next.
pub fn decode_fetched(mut data: Bytes, from: i64) -> Result<(Vec<FetchedRecord>, i64), ToolError> {
    let mut records = Vec::new();
    let mut next = from;
    while let Some(header) = BatchHeader::parse(&data) {
        let Some(size) = header
            .total_size()
            .filter(|&s| s >= LOG_OVERHEAD && s <= data.len())
        else {
            break;
        };
        let mut batch = data.split_to(size);
        next = next.max(header.next_offset());
        if header.is_control() {
            continue;
        }
        let set = RecordBatchDecoder::decode_with_custom_compression(
            &mut batch,
            // The decoder's error type comes from its own error crate; `into` reaches it.
            Some(|data: &mut Bytes, compression| decompress(data, compression).map_err(Into::into)),
        )
        .map_err(|e| {
            ToolError::Failed(format!(
                "a fetched batch at offset {} does not decode: {e}",
                header.base_offset
            ))
        })?;
        records.extend(
            set.records
                .into_iter()
                .filter(|r| r.offset >= from && !r.control)
                .map(|r| FetchedRecord {
                    offset: r.offset,
                    timestamp: r.timestamp,
                    key: r.key,
                    value: r.value,
                    headers: r
                        .headers
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                }),
        );
    }
    Ok((records, next))
}
