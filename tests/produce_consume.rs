//! Producing and consuming with librdkafka (the rdkafka crate), no groups.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{consume, consumer, create_topic, keyed, produce_all, producer, TestBroker};
use rdkafka::consumer::Consumer;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

#[test]
fn keyed_messages_round_trip_over_several_partitions() {
    let broker = TestBroker::in_memory();
    create_topic(&broker.bootstrap, "orders", 4, &[]);
    let records = keyed(2_000);
    produce_all(&producer(&broker.bootstrap, &[]), "orders", &records);

    let received = consume(
        &consumer(&broker.bootstrap, "orders", 4, &[]),
        records.len(),
        Duration::from_secs(30),
    );
    assert_eq!(received.len(), records.len());

    let mut partition_of_key = HashMap::new();
    let mut next_offset = HashMap::new();
    for r in &received {
        let key = String::from_utf8(r.key.clone().unwrap()).unwrap();
        let index: usize = key[1..].parse().unwrap();
        assert_eq!(r.value.as_deref(), Some(records[index].1.as_bytes()));
        // The same key always lands in the same partition...
        assert_eq!(
            *partition_of_key.entry(key).or_insert(r.partition),
            r.partition
        );
        // ...and each partition's offsets count up from 0 without gaps.
        let expected = next_offset.entry(r.partition).or_insert(0);
        assert_eq!(r.offset, *expected, "partition {}", r.partition);
        *expected += 1;
    }
    assert_eq!(next_offset.len(), 4, "keys spread over every partition");
}

#[test]
fn headers_and_timestamps_arrive_as_sent() {
    let broker = TestBroker::in_memory();
    let producer = producer(&broker.bootstrap, &[]);
    let headers = OwnedHeaders::new()
        .insert(Header {
            key: "trace",
            value: Some("abc".as_bytes()),
        })
        .insert(Header {
            key: "empty",
            value: None::<&[u8]>,
        });
    producer
        .send(
            BaseRecord::to("stamped")
                .key("k")
                .payload("v")
                .timestamp(1_600_000_000_123)
                .headers(headers),
        )
        .map_err(|(e, _)| e)
        .unwrap();
    producer.flush(Duration::from_secs(20)).unwrap();
    let received = consume(
        &consumer(&broker.bootstrap, "stamped", 1, &[]),
        1,
        Duration::from_secs(20),
    );
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].timestamp, Some(1_600_000_000_123));
    assert_eq!(
        received[0].headers,
        vec![("trace".into(), b"abc".to_vec()), ("empty".into(), vec![])]
    );
}

#[test]
fn compressed_batches_of_every_codec_round_trip() {
    let broker = TestBroker::in_memory();
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let topic = format!("compressed-{codec}");
        let records: Vec<(String, String)> = (0..500)
            .map(|i| {
                (
                    format!("k{i}"),
                    format!("{codec} value {i} {}", "x".repeat(i % 50)),
                )
            })
            .collect();
        let producer = producer(
            &broker.bootstrap,
            &[("compression.type", codec), ("linger.ms", "50")],
        );
        produce_all(&producer, &topic, &records);
        let received = consume(
            &consumer(&broker.bootstrap, &topic, 1, &[]),
            records.len(),
            Duration::from_secs(30),
        );
        let values: Vec<_> = received
            .iter()
            .map(|r| String::from_utf8(r.value.clone().unwrap()).unwrap())
            .collect();
        let expected: Vec<_> = records.iter().map(|(_, v)| v.clone()).collect();
        assert_eq!(values, expected, "{codec}");
    }
}

#[test]
fn a_long_polling_consumer_gets_a_new_message_promptly() {
    let broker = TestBroker::in_memory();
    create_topic(&broker.bootstrap, "quiet", 1, &[]);
    // The broker may hold each fetch for 10 s; only a wake-up on new data
    // can deliver the record sooner.
    let consumer = consumer(
        &broker.bootstrap,
        "quiet",
        1,
        &[("fetch.wait.max.ms", "10000")],
    );
    assert!(consume(&consumer, 1, Duration::from_millis(1500)).is_empty());
    let producer = producer(&broker.bootstrap, &[("linger.ms", "0")]);
    producer
        .send(BaseRecord::to("quiet").key("k").payload("wake up"))
        .map_err(|(e, _)| e)
        .unwrap();
    producer.flush(Duration::from_secs(10)).unwrap();
    let acked = Instant::now();
    let received = consume(&consumer, 1, Duration::from_secs(15));
    let latency = acked.elapsed();
    assert_eq!(received.len(), 1);
    assert!(
        latency < Duration::from_secs(5),
        "the waiting fetch was not woken by the new record ({latency:?} with a 10 s max wait)"
    );
}

#[test]
fn list_offsets_earliest_latest_and_by_time() {
    let broker = TestBroker::in_memory();
    create_topic(&broker.bootstrap, "timed", 1, &[]);
    let producer = producer(&broker.bootstrap, &[("linger.ms", "0")]);
    let base = 1_700_000_000_000i64;
    for i in 0..10i64 {
        producer
            .send(
                BaseRecord::to("timed")
                    .key("k")
                    .payload("v")
                    .timestamp(base + i * 1_000),
            )
            .map_err(|(e, _)| e)
            .unwrap();
        producer.flush(Duration::from_secs(10)).unwrap();
    }
    let consumer = consumer(&broker.bootstrap, "timed", 1, &[]);
    let (low, high) = consumer
        .fetch_watermarks("timed", 0, Duration::from_secs(10))
        .unwrap();
    assert_eq!((low, high), (0, 10), "latest is the last offset + 1");

    let at = |timestamp: i64| {
        let mut query = TopicPartitionList::new();
        query
            .add_partition_offset("timed", 0, Offset::Offset(timestamp))
            .unwrap();
        let found = consumer
            .offsets_for_times(query, Duration::from_secs(10))
            .unwrap();
        found.find_partition("timed", 0).unwrap().offset()
    };
    assert_eq!(at(base), Offset::Offset(0));
    assert_eq!(
        at(base + 4_500),
        Offset::Offset(5),
        "first record at or after the time"
    );
    assert_eq!(at(base + 9_000), Offset::Offset(9));
    assert_eq!(at(base + 60_000), Offset::End, "nothing that late");
}

#[test]
fn a_batch_with_many_records_keeps_every_offset_of_it() {
    // The high watermark is the last batch's base offset + last offset delta
    // + 1, not its base offset + 1.
    let broker = TestBroker::in_memory();
    let producer = producer(
        &broker.bootstrap,
        &[("linger.ms", "100"), ("batch.num.messages", "1000")],
    );
    produce_all(&producer, "batched", &keyed(777));
    let consumer = consumer(&broker.bootstrap, "batched", 1, &[]);
    let (_, high) = consumer
        .fetch_watermarks("batched", 0, Duration::from_secs(10))
        .unwrap();
    assert_eq!(high, 777);
    assert_eq!(consume(&consumer, 777, Duration::from_secs(20)).len(), 777);
}

#[test]
fn megabytes_fetched_from_disk_arrive_byte_for_byte() {
    // Record sets this large go to the socket straight from the segment
    // mapping, several partitions per response; the bytes must be the log's.
    let dir = tempfile::tempdir().unwrap();
    let broker = TestBroker::start(klamm::Broker::builder().data_dir(dir.path()));
    create_topic(&broker.bootstrap, "bulk", 3, &[]);
    let records: Vec<(String, String)> = (0..12_000)
        .map(|i| (format!("k{i}"), format!("{i:06}-").repeat(80)))
        .collect();
    let producer = producer(&broker.bootstrap, &[("linger.ms", "50")]);
    produce_all(&producer, "bulk", &records);
    let consumer = consumer(
        &broker.bootstrap,
        "bulk",
        3,
        &[("max.partition.fetch.bytes", "4194304")],
    );
    let received = consume(&consumer, records.len(), Duration::from_secs(60));
    assert_eq!(received.len(), records.len());
    for r in &received {
        let key = String::from_utf8(r.key.clone().unwrap()).unwrap();
        let index: usize = key[1..].parse().unwrap();
        assert_eq!(
            r.value.as_deref(),
            Some(records[index].1.as_bytes()),
            "{key}"
        );
    }
}
