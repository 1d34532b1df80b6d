//! Retention deletes whole old segments and moves the log start offset.

mod common;

use std::time::{Duration, Instant};

use common::{consume, consumer, create_topic, producer, TestBroker};
use klamm::Broker;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, Producer};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn produce(bootstrap: &str, topic: &str, count: usize, timestamp: i64) {
    let producer = producer(bootstrap, &[("linger.ms", "0")]);
    for i in 0..count {
        let value = format!("record {i} {}", "x".repeat(200));
        producer
            .send(
                BaseRecord::to(topic)
                    .key("k")
                    .payload(&value)
                    .timestamp(timestamp),
            )
            .map_err(|(e, _)| e)
            .unwrap();
        producer.flush(Duration::from_secs(10)).unwrap();
    }
}

/// Polls the watermarks until `until` holds (bounded at 15 s).
fn watermarks_until(
    consumer: &BaseConsumer,
    topic: &str,
    until: impl Fn(i64, i64) -> bool,
) -> (i64, i64) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (low, high) = consumer
            .fetch_watermarks(topic, 0, Duration::from_secs(5))
            .unwrap();
        if until(low, high) || Instant::now() > deadline {
            return (low, high);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn retention_by_time_removes_old_segments_and_moves_the_log_start() {
    let dir = tempfile::tempdir().unwrap();
    let broker = TestBroker::start(
        Broker::builder()
            .data_dir(dir.path())
            .retention_check_interval(Duration::from_millis(100)),
    );
    create_topic(
        &broker.bootstrap,
        "aging",
        1,
        &[("segment.bytes", "1024"), ("retention.ms", "3600000")],
    );
    // Two hours old: every segment is past the one-hour retention.
    produce(&broker.bootstrap, "aging", 30, now_ms() - 2 * 3_600_000);
    let segments = || {
        std::fs::read_dir(dir.path().join("aging-0"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".log")
            })
            .count()
    };

    let consumer = consumer(&broker.bootstrap, "aging", 1, &[]);
    let (low, high) = watermarks_until(&consumer, "aging", |low, _| low == 30);
    assert_eq!(
        (low, high),
        (30, 30),
        "everything expired, the log end stays"
    );
    assert_eq!(segments(), 1, "only the new empty active segment is left");

    produce(&broker.bootstrap, "aging", 1, now_ms());
    let received = consume(&consumer, 1, Duration::from_secs(10));
    assert_eq!(
        received.iter().map(|r| r.offset).collect::<Vec<_>>(),
        vec![30]
    );
}

#[test]
fn retention_by_size_keeps_the_newest_segments() {
    let broker =
        TestBroker::start(Broker::builder().retention_check_interval(Duration::from_millis(100)));
    create_topic(
        &broker.bootstrap,
        "bounded",
        1,
        &[
            ("segment.bytes", "1024"),
            ("retention.bytes", "2048"),
            ("retention.ms", "-1"),
        ],
    );
    produce(&broker.bootstrap, "bounded", 40, now_ms());
    let consumer = consumer(&broker.bootstrap, "bounded", 1, &[]);
    let (low, high) = watermarks_until(&consumer, "bounded", |low, _| low > 0);
    assert_eq!(high, 40);
    assert!(
        low > 20 && low < 40,
        "old segments deleted, newest kept: log start {low}"
    );
    let kept = consume(&consumer, (high - low) as usize, Duration::from_secs(10));
    assert_eq!(
        kept.first().map(|r| r.offset),
        Some(low),
        "reading starts at the new log start"
    );
}

#[test]
fn compacted_topics_are_not_deleted_by_retention() {
    let broker =
        TestBroker::start(Broker::builder().retention_check_interval(Duration::from_millis(100)));
    create_topic(
        &broker.bootstrap,
        "compacted",
        1,
        &[
            ("cleanup.policy", "compact"),
            ("segment.bytes", "1024"),
            ("retention.ms", "1000"),
        ],
    );
    produce(&broker.bootstrap, "compacted", 10, now_ms() - 3_600_000);
    std::thread::sleep(Duration::from_millis(500));
    let consumer = consumer(&broker.bootstrap, "compacted", 1, &[]);
    let (low, high) = consumer
        .fetch_watermarks("compacted", 0, Duration::from_secs(5))
        .unwrap();
    assert_eq!((low, high), (0, 10));
}
