//! Record batches as a producer sends them, and the little a consumer needs
//! to read back from fetched batches without decoding every record: the
//! batch headers carry the count and the offsets.

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::ProduceRequest;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use crate::cluster::topic_name;
use crate::connection::{encode, Frame};
use crate::error::BenchError;

/// The `--compression` choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Codec {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Codec {
    /// The name Kafka clients and configs use (`compression.type`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::None => "none",
            Codec::Gzip => "gzip",
            Codec::Snappy => "snappy",
            Codec::Lz4 => "lz4",
            Codec::Zstd => "zstd",
        }
    }

    fn compression(self) -> Compression {
        match self {
            Codec::None => Compression::None,
            Codec::Gzip => Compression::Gzip,
            Codec::Snappy => Compression::Snappy,
            Codec::Lz4 => Compression::Lz4,
            Codec::Zstd => Compression::Zstd,
        }
    }
}

/// One batch of `values`, stamped `timestamp`.
pub fn batch(values: &[Bytes], timestamp: i64, codec: Codec) -> Result<Bytes, BenchError> {
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, value)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // The encoder keeps records in one batch while offset - sequence
            // is constant; this keeps the base sequence at -1.
            sequence: i as i32 - 1,
            timestamp,
            key: None,
            value: Some(value.clone()),
            headers: IndexMap::new(),
        })
        .collect();
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: codec.compression(),
    };
    RecordBatchEncoder::encode(&mut buf, &records, &options)
        .map_err(|e| BenchError::Protocol(format!("encoding a batch: {e}")))?;
    Ok(buf.freeze())
}

/// Values of `size` bytes that do not compress to nothing (so that a
/// compressed run still moves data): a cheap pseudo-random fill.
pub fn values(count: usize, size: usize, seed: u64) -> Vec<Bytes> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    (0..count)
        .map(|_| {
            let mut value = Vec::with_capacity(size);
            while value.len() < size {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Printable bytes, a quarter of them varying: compresses about
                // 2:1, like typical JSON payloads.
                let b = if state & 3 == 0 {
                    b'a' + (state >> 8) as u8 % 26
                } else {
                    b'x'
                };
                value.push(b);
            }
            Bytes::from(value)
        })
        .collect()
}

/// A Produce request of one batch to one partition, encoded once.
pub fn produce_frame(
    version: i16,
    topic: &str,
    partition: i32,
    acks: i16,
    batch: Bytes,
) -> Result<Frame, BenchError> {
    let request = ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(30_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(topic_name(topic))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(partition)
                .with_records(Some(batch))])]);
    encode(version, &request)
}

/// What the headers of the complete batches in `records` say: (records,
/// bytes, the offset after the last batch). A partial batch at the end
/// (brokers may cut one off at the size limit) is left for the next fetch.
pub fn scan_batches(records: &[u8]) -> (u64, u64, Option<i64>) {
    const HEADER: usize = 61;
    let (mut count, mut bytes, mut next) = (0u64, 0u64, None);
    let mut at = 0;
    while records.len() - at >= HEADER {
        let field = |from: usize, len: usize| &records[at + from..at + from + len];
        let base = i64::from_be_bytes(field(0, 8).try_into().unwrap_or_default());
        let length = i32::from_be_bytes(field(8, 4).try_into().unwrap_or_default());
        let Some(total) = usize::try_from(length).ok().map(|l| l + 12) else {
            break;
        };
        if total < HEADER || records.len() - at < total {
            break;
        }
        let last_delta = i32::from_be_bytes(field(23, 4).try_into().unwrap_or_default());
        let in_batch = i32::from_be_bytes(field(57, 4).try_into().unwrap_or_default());
        count += u64::try_from(in_batch).unwrap_or(0);
        bytes += total as u64;
        next = Some(base + i64::from(last_delta) + 1);
        at += total;
    }
    (count, bytes, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_headers_give_counts_and_the_next_offset() {
        let one = batch(&values(3, 10, 1), 0, Codec::None).expect("batch");
        let mut two = batch(&values(2, 10, 2), 0, Codec::Lz4)
            .expect("batch")
            .to_vec();
        // The second batch as a broker would number it: from offset 3.
        two[..8].copy_from_slice(&3i64.to_be_bytes());
        let mut fetched = one.to_vec();
        fetched.extend_from_slice(&two);
        let whole = fetched.len() as u64;
        fetched.extend_from_slice(&[0, 0, 0]); // a cut-off batch
        assert_eq!(scan_batches(&fetched), (5, whole, Some(5)));
    }

    #[test]
    fn values_have_the_asked_size() {
        let v = values(4, 100, 7);
        assert_eq!(v.len(), 4);
        assert!(v.iter().all(|v| v.len() == 100));
        assert_ne!(v[0], v[1]);
    }
}
