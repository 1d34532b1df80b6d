//! Reading a partition back over the raw client, record by record with its
//! offset, so a test can compare the log with what it was told was stored
//! (no consumer library in between to skip, reorder or retry).

use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{FetchRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::RecordBatchDecoder;

use super::raw::RawClient;

/// One record as the log holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecord {
    pub offset: i64,
    pub value: Option<Bytes>,
}

/// Every record of `topic`-`partition` from `from` up to the high watermark,
/// or the error code of the first fetch that failed.
pub fn fetch_all(
    client: &mut RawClient,
    topic: &str,
    partition: i32,
    from: i64,
) -> Result<Vec<StoredRecord>, i16> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut records = Vec::new();
    let mut position = from;
    loop {
        assert!(Instant::now() < deadline, "reading the log took over 30 s");
        let request = FetchRequest::default()
            .with_max_wait_ms(0)
            .with_max_bytes(4 << 20)
            .with_topics(vec![FetchTopic::default()
                .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
                .with_partitions(vec![FetchPartition::default()
                    .with_partition(partition)
                    .with_fetch_offset(position)
                    .with_partition_max_bytes(4 << 20)])]);
        let response = client.send(12, &request);
        let data = &response.responses[0].partitions[0];
        if data.error_code != 0 {
            return Err(data.error_code);
        }
        let mut bytes = data.records.clone().unwrap_or_default();
        let sets = RecordBatchDecoder::decode_all(&mut bytes).expect("batches decode");
        let before = records.len();
        for record in sets.into_iter().flat_map(|s| s.records) {
            if record.offset >= position {
                records.push(StoredRecord {
                    offset: record.offset,
                    value: record.value,
                });
            }
        }
        match records.last() {
            Some(last) if records.len() > before => position = last.offset + 1,
            _ => return Ok(records),
        }
        if position >= data.high_watermark {
            return Ok(records);
        }
    }
}
