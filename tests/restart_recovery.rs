//! Data, topics and their ids survive restarts; a crash that tears the end
//! of a segment costs only the torn batch.

mod common;

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::process::KlammProcess;
use common::raw::RawClient;
use common::{consume, consumer, create_topic, keyed, produce_all, producer, TestBroker};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use klamm::Broker;
use rdkafka::producer::{BaseRecord, Producer};

fn topic_id(bootstrap: &str, topic: &str) -> uuid::Uuid {
    let mut client = RawClient::connect(bootstrap);
    let request = MetadataRequest::default()
        .with_topics(Some(vec![MetadataRequestTopic::default()
            .with_name(Some(TopicName(StrBytes::from_string(topic.into()))))]));
    let response = client.send(12, &request);
    assert_eq!(response.topics[0].error_code, 0);
    response.topics[0].topic_id
}

#[test]
fn data_and_topic_ids_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let records = keyed(1_000);
    let (id, cluster_id) = {
        let broker = TestBroker::start(Broker::builder().data_dir(dir.path()));
        create_topic(&broker.bootstrap, "kept", 3, &[("retention.ms", "-1")]);
        produce_all(&producer(&broker.bootstrap, &[]), "kept", &records);
        let id = topic_id(&broker.bootstrap, "kept");
        let cluster_id = {
            let mut client = RawClient::connect(&broker.bootstrap);
            client
                .send(12, &MetadataRequest::default())
                .cluster_id
                .unwrap()
                .to_string()
        };
        broker.stop();
        (id, cluster_id)
    };
    let broker = TestBroker::start(Broker::builder().data_dir(dir.path()));
    assert_eq!(
        topic_id(&broker.bootstrap, "kept"),
        id,
        "the topic id is durable"
    );
    let mut client = RawClient::connect(&broker.bootstrap);
    let cluster = client
        .send(12, &MetadataRequest::default())
        .cluster_id
        .unwrap()
        .to_string();
    assert_eq!(cluster, cluster_id, "the cluster id is durable");
    let received = consume(
        &consumer(&broker.bootstrap, "kept", 3, &[]),
        records.len(),
        Duration::from_secs(30),
    );
    assert_eq!(received.len(), records.len());
}

fn segment(dir: &Path, topic: &str) -> PathBuf {
    dir.join(format!("{topic}-0"))
        .join(format!("{:020}.log", 0))
}

/// Start positions of every batch in a segment file.
fn batch_starts(path: &Path) -> Vec<u64> {
    let bytes = fs::read(path).unwrap();
    let mut starts = Vec::new();
    let mut pos = 0usize;
    while pos + 12 <= bytes.len() {
        starts.push(pos as u64);
        let len = i32::from_be_bytes(bytes[pos + 8..pos + 12].try_into().unwrap());
        pos += 12 + len as usize;
    }
    starts
}

/// Produces `batches` single-record batches: offsets 0..batches.
fn produce_batches(bootstrap: &str, topic: &str, batches: usize) {
    let producer = producer(bootstrap, &[("linger.ms", "0")]);
    for i in 0..batches {
        producer
            .send(
                BaseRecord::to(topic)
                    .key("k")
                    .payload(&format!("record {i}")),
            )
            .map_err(|(e, _)| e)
            .unwrap();
        producer.flush(Duration::from_secs(10)).unwrap();
    }
}

fn values(bootstrap: &str, topic: &str, expect: usize) -> Vec<String> {
    consume(
        &consumer(bootstrap, topic, 1, &[]),
        expect,
        Duration::from_secs(20),
    )
    .into_iter()
    .map(|r| String::from_utf8(r.value.unwrap()).unwrap())
    .collect()
}

/// Damages the last batch of the segment with `damage`, restarts, and checks
/// that exactly the first nine records are served and offsets continue at 9.
fn damaged_tail_is_cut(damage: impl Fn(&Path, u64)) {
    let dir = tempfile::tempdir().unwrap();
    let broker = KlammProcess::start(dir.path(), &[]);
    create_topic(&broker.bootstrap, "torn", 1, &[]);
    produce_batches(&broker.bootstrap, "torn", 10);
    broker.crash();

    let path = segment(dir.path(), "torn");
    let last = *batch_starts(&path).last().unwrap();
    damage(&path, last);

    let broker = KlammProcess::start(dir.path(), &[]);
    let expected: Vec<String> = (0..9).map(|i| format!("record {i}")).collect();
    let reader = consumer(&broker.bootstrap, "torn", 1, &[]);
    let intact: Vec<String> = consume(&reader, 9, Duration::from_secs(20))
        .into_iter()
        .map(|r| String::from_utf8(r.value.unwrap()).unwrap())
        .collect();
    assert_eq!(intact, expected, "the intact records");
    assert!(
        consume(&reader, 1, Duration::from_secs(1)).is_empty(),
        "nothing of the damaged batch"
    );
    assert!(
        broker
            .log()
            .iter()
            .any(|l| l.contains("recovery cut a damaged tail")
                && l.contains("the log now ends at offset 9")
                && l.contains("cut_bytes=")),
        "recovery says what it cut: {:?}",
        broker.log()
    );
    produce_batches(&broker.bootstrap, "torn", 1);
    let after = consume(
        &consumer(&broker.bootstrap, "torn", 1, &[]),
        10,
        Duration::from_secs(20),
    );
    assert_eq!(
        after.last().map(|r| r.offset),
        Some(9),
        "offsets continue after the cut"
    );
    broker.stop();
}

#[test]
fn recovery_cuts_a_segment_whose_tail_was_cut_mid_batch() {
    damaged_tail_is_cut(|path, last| {
        OpenOptions::new()
            .write(true)
            .open(path)
            .unwrap()
            .set_len(last + 30)
            .unwrap();
    });
}

#[test]
fn recovery_cuts_a_batch_with_a_flipped_byte() {
    damaged_tail_is_cut(|path, last| {
        let mut bytes = fs::read(path).unwrap();
        let target = last as usize + 65;
        bytes[target] ^= 0x40;
        fs::write(path, bytes).unwrap();
    });
}

#[test]
fn a_sigterm_stops_cleanly_and_the_next_start_trusts_the_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let broker = KlammProcess::start(dir.path(), &[]);
    produce_batches(&broker.bootstrap, "clean", 5);
    let status = broker.stop();
    assert!(status.success(), "exit status {status}");
    let broker = KlammProcess::start(dir.path(), &[]);
    assert!(
        !broker.log().iter().any(|l| l.contains("not clean")),
        "a clean stop needs no recovery: {:?}",
        broker.log()
    );
    assert_eq!(values(&broker.bootstrap, "clean", 5).len(), 5);
    broker.stop();
}

#[test]
fn with_flush_always_acked_records_are_readable_and_durable() {
    let dir = tempfile::tempdir().unwrap();
    let records = keyed(2_000);
    {
        let broker = TestBroker::start(Broker::builder().data_dir(dir.path()).flush_always());
        create_topic(&broker.bootstrap, "synced", 2, &[]);
        // Many producers at once share fsyncs (group commit).
        let handles: Vec<_> = records
            .chunks(500)
            .map(|chunk| {
                let bootstrap = broker.bootstrap.clone();
                let chunk = chunk.to_vec();
                std::thread::spawn(move || {
                    produce_all(
                        &producer(&bootstrap, &[("linger.ms", "0")]),
                        "synced",
                        &chunk,
                    )
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        let received = consume(
            &consumer(&broker.bootstrap, "synced", 2, &[]),
            records.len(),
            Duration::from_secs(30),
        );
        assert_eq!(received.len(), records.len());
        broker.stop();
    }
    let broker = TestBroker::start(Broker::builder().data_dir(dir.path()));
    let received = consume(
        &consumer(&broker.bootstrap, "synced", 2, &[]),
        records.len(),
        Duration::from_secs(30),
    );
    assert_eq!(received.len(), records.len());
}

#[test]
fn a_sigterm_right_after_start_is_a_clean_stop() {
    let dir = tempfile::tempdir().unwrap();
    // The signal handlers are in place before the broker says it listens.
    for _ in 0..5 {
        let broker = KlammProcess::start(dir.path(), &[]);
        let status = broker.stop();
        assert!(status.success(), "exit status {status}");
    }
}
