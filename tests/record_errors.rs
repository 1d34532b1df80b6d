//! A batch with invalid records is refused naming every one of them
//! (KIP-467), and record timestamps are held to the topic's
//! `message.timestamp.before.max.ms` / `.after.max.ms` (Kafka 4: at most an
//! hour ahead of the broker's clock), as Kafka's log validator does.

mod common;

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use common::batch::record;
use common::raw::{produce_request, RawClient};
use common::{client_config, create_topic, futures_executor, TestBroker};
use kafka_protocol::records::{Compression, RecordBatchEncoder, RecordEncodeOptions};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord};

const HOUR_MS: i64 = 3_600_000;

fn now_ms() -> i64 {
    klamm::storage::now_ms()
}

/// One batch of (key, timestamp) records.
fn batch(records: &[(Option<&str>, i64)]) -> Bytes {
    let records: Vec<_> = records
        .iter()
        .enumerate()
        .map(|(i, (key, timestamp))| record(i as i64, *timestamp, *key, "v"))
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .expect("batch encodes");
    buf.freeze()
}

#[test]
fn every_keyless_record_of_a_batch_to_a_compacted_topic_is_named() {
    let broker = TestBroker::in_memory();
    create_topic(
        &broker.bootstrap,
        "compacted",
        1,
        &[("cleanup.policy", "compact")],
    );
    let mut client = RawClient::connect(&broker.bootstrap);
    let t = now_ms();
    let records = batch(&[(Some("a"), t), (None, t), (None, t), (Some("d"), t)]);
    let response = client.send(9, &produce_request("compacted", records));
    let partition = &response.responses[0].partition_responses[0];
    assert_eq!(partition.error_code, 87, "INVALID_RECORD");
    assert_eq!(partition.base_offset, -1);
    assert_eq!(
        partition.log_start_offset, 0,
        "the log start, as Kafka reports it"
    );
    let named: Vec<(i32, &str)> = partition
        .record_errors
        .iter()
        .map(|e| {
            (
                e.batch_index,
                e.batch_index_error_message.as_deref().unwrap_or(""),
            )
        })
        .collect();
    let why = "Compacted topic cannot accept message without key in topic partition compacted-0";
    assert_eq!(named, vec![(1, why), (2, why)]);
    let message = partition.error_message.as_deref().unwrap_or("");
    assert!(
        message.starts_with("One or more records have been rejected due to 2 record errors"),
        "{message}"
    );
    // Nothing of the batch was written.
    let good = client.send(9, &produce_request("compacted", batch(&[(Some("a"), t)])));
    assert_eq!(good.responses[0].partition_responses[0].base_offset, 0);
}

#[test]
fn a_bad_timestamp_makes_the_whole_batch_invalid_timestamp() {
    let broker = TestBroker::in_memory();
    create_topic(
        &broker.bootstrap,
        "mixed",
        1,
        &[("cleanup.policy", "compact")],
    );
    let mut client = RawClient::connect(&broker.bootstrap);
    let (t, ahead) = (now_ms(), now_ms() + 2 * HOUR_MS);
    // Record 0 has no key and a bad timestamp: the key is what Kafka names.
    let records = batch(&[(None, ahead), (Some("b"), ahead), (Some("c"), t)]);
    let response = client.send(9, &produce_request("mixed", records));
    let partition = &response.responses[0].partition_responses[0];
    assert_eq!(partition.error_code, 32, "INVALID_TIMESTAMP");
    assert_eq!(
        partition.error_message.as_deref(),
        Some("One or more records have been rejected due to invalid timestamp")
    );
    let indexes: Vec<i32> = partition
        .record_errors
        .iter()
        .map(|e| e.batch_index)
        .collect();
    assert_eq!(indexes, vec![0, 1]);
    let second = partition.record_errors[1]
        .batch_index_error_message
        .as_deref()
        .unwrap_or("");
    assert!(
        second.starts_with(&format!(
            "Timestamp {ahead} of message with offset 1 is out of range"
        )),
        "{second}"
    );
    // Before v8 there is no list to name records in, only the error.
    let old = client.send(7, &produce_request("mixed", batch(&[(Some("a"), ahead)])));
    assert_eq!(old.responses[0].partition_responses[0].error_code, 32);
}

/// What librdkafka reports for one record stamped `timestamp`.
fn deliver(bootstrap: &str, topic: &str, timestamp: i64) -> Result<(), RDKafkaErrorCode> {
    let producer: FutureProducer = client_config(bootstrap)
        .set("message.timeout.ms", "10000")
        .create()
        .expect("producer");
    let record = FutureRecord::to(topic)
        .key("k")
        .payload("v")
        .timestamp(timestamp);
    match futures_executor(producer.send(record, Duration::from_secs(10))) {
        Ok(_) => Ok(()),
        Err((KafkaError::MessageProduction(code), _)) => Err(code),
        Err((other, _)) => panic!("unexpected: {other}"),
    }
}

#[test]
fn records_more_than_an_hour_ahead_are_refused_as_kafka_4_refuses_them() {
    let broker = TestBroker::in_memory();
    let b = &broker.bootstrap;
    create_topic(b, "clock", 1, &[]);
    assert_eq!(deliver(b, "clock", now_ms() + HOUR_MS / 2), Ok(()));
    assert_eq!(
        deliver(b, "clock", now_ms() + 2 * HOUR_MS),
        Err(RDKafkaErrorCode::InvalidTimestamp)
    );
    // Old records are fine by default (before.max.ms is unbounded) ...
    assert_eq!(deliver(b, "clock", 1_000_000_000_000), Ok(()));
    // ... and each topic can move both bounds.
    create_topic(
        b,
        "strict",
        1,
        &[
            ("message.timestamp.before.max.ms", "60000"),
            ("message.timestamp.after.max.ms", "86400000"),
        ],
    );
    assert_eq!(deliver(b, "strict", now_ms() + 2 * HOUR_MS), Ok(()));
    assert_eq!(
        deliver(b, "strict", now_ms() - HOUR_MS),
        Err(RDKafkaErrorCode::InvalidTimestamp)
    );
    // LogAppendTime topics take the broker's clock: nothing to refuse.
    create_topic(
        b,
        "appended",
        1,
        &[("message.timestamp.type", "LogAppendTime")],
    );
    assert_eq!(deliver(b, "appended", now_ms() + 2 * HOUR_MS), Ok(()));
}
