//! The admin API end to end: rdkafka's admin client where it has the call
//! (create_partitions, describe_configs, alter_configs, delete_records), raw
//! requests for the rest (IncrementalAlterConfigs, DescribeLogDirs,
//! synonyms). Every broker binds 127.0.0.1 on a free port; waits are bounded.

mod common;

use std::time::Duration;

use common::configs::{
    alter_incrementally, alter_legacy, describe, value_of, BROKER, INVALID_CONFIG, INVALID_REQUEST,
    TOPIC,
};
use common::raw::RawClient;
use common::{
    admin, consume, consumer, create_topic, futures_executor, keyed, produce_all, producer,
    TestBroker,
};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use klamm::{Broker, Config};
use rdkafka::admin::{AdminOptions, AlterConfig, ConfigSource, NewPartitions, ResourceSpecifier};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

fn options() -> AdminOptions {
    AdminOptions::new().request_timeout(Some(Duration::from_secs(10)))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn on_disk(dir: &std::path::Path) -> TestBroker {
    TestBroker::start(Broker::builder().data_dir(dir))
}

fn segment_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".log"))
        })
        .count()
}

fn low_watermark(bootstrap: &str, topic: &str) -> i64 {
    let consumer: BaseConsumer = common::client_config(bootstrap).create().unwrap();
    consumer
        .fetch_watermarks(topic, 0, Duration::from_secs(10))
        .unwrap()
        .0
}

#[test]
fn added_partitions_take_records_at_once() {
    let broker = TestBroker::in_memory();
    create_topic(&broker.bootstrap, "growing", 1, &[]);
    let results = futures_executor(
        admin(&broker.bootstrap).create_partitions([&NewPartitions::new("growing", 3)], &options()),
    )
    .unwrap();
    assert_eq!(results, vec![Ok("growing".to_string())]);

    let producer = producer(&broker.bootstrap, &[]);
    producer
        .send(
            BaseRecord::to("growing")
                .partition(2)
                .key("k")
                .payload("on the new partition"),
        )
        .map_err(|(e, _)| e)
        .unwrap();
    producer.flush(Duration::from_secs(20)).unwrap();
    let consumer = consumer(&broker.bootstrap, "growing", 3, &[]);
    let received = consume(&consumer, 1, Duration::from_secs(15));
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].partition, 2);

    let shrink = futures_executor(
        admin(&broker.bootstrap).create_partitions([&NewPartitions::new("growing", 2)], &options()),
    )
    .unwrap();
    assert!(matches!(
        &shrink[0],
        Err((_, RDKafkaErrorCode::InvalidPartitions))
    ));
}

#[test]
fn described_configs_carry_defaults_sources_and_synonyms() {
    let settings = klamm::config::Settings {
        listeners: Some("PLAINTEXT://127.0.0.1:0".into()),
        in_memory: Some(true),
        log_segment_bytes: Some(1 << 20),
        num_partitions: Some(2),
        ..Default::default()
    };
    let config = Config::resolve(settings, "test").unwrap();
    let broker = TestBroker::start(klamm::BrokerBuilder::config(config));
    create_topic(
        &broker.bootstrap,
        "described",
        1,
        &[("retention.ms", "1000")],
    );

    let described = futures_executor(admin(&broker.bootstrap).describe_configs(
        [
            &ResourceSpecifier::Topic("described"),
            &ResourceSpecifier::Broker(1),
        ],
        &options(),
    ))
    .unwrap();
    let topic = described[0].as_ref().unwrap();
    let retention = topic.get("retention.ms").unwrap();
    assert_eq!(retention.value.as_deref(), Some("1000"));
    assert_eq!(retention.source, ConfigSource::DynamicTopic);
    let segment = topic.get("segment.bytes").unwrap();
    assert_eq!(
        (segment.value.as_deref(), &segment.source),
        (Some("1048576"), &ConfigSource::StaticBroker)
    );
    let policy = topic.get("cleanup.policy").unwrap();
    assert_eq!(
        (policy.value.as_deref(), &policy.source),
        (Some("delete"), &ConfigSource::Default)
    );
    assert!(topic
        .entries
        .iter()
        .all(|e| !e.is_read_only && !e.is_sensitive));

    let broker_configs = described[1].as_ref().unwrap();
    let partitions = broker_configs.get("num.partitions").unwrap();
    assert_eq!(partitions.value.as_deref(), Some("2"));
    assert_eq!(partitions.source, ConfigSource::StaticBroker);
    assert!(partitions.is_read_only);
    assert_eq!(
        broker_configs
            .get("auto.create.topics.enable")
            .unwrap()
            .source,
        ConfigSource::Default
    );

    let raw = describe(
        &broker.bootstrap,
        TOPIC,
        "described",
        Some(&["retention.ms", "segment.bytes", "no.such"]),
    );
    assert_eq!(
        raw.configs.len(),
        2,
        "filtered by key, unknown keys left out"
    );
    let synonyms = |name: &str| -> Vec<(String, Option<String>, i8)> {
        raw.configs
            .iter()
            .find(|c| &*c.name == name)
            .unwrap()
            .synonyms
            .iter()
            .map(|s| {
                (
                    s.name.to_string(),
                    s.value.as_deref().map(str::to_string),
                    s.source,
                )
            })
            .collect()
    };
    // As Kafka: no `log.retention.hours` synonym, although the default
    // lives there.
    assert_eq!(
        synonyms("retention.ms"),
        [("retention.ms".to_string(), Some("1000".to_string()), 1)]
    );
    assert_eq!(
        synonyms("segment.bytes"),
        [
            (
                "log.segment.bytes".to_string(),
                Some("1048576".to_string()),
                4
            ),
            (
                "log.segment.bytes".to_string(),
                Some("1073741824".to_string()),
                5
            ),
        ]
    );
    let unknown = describe(&broker.bootstrap, TOPIC, "never-created", None);
    assert_eq!(unknown.error_code, 3, "UNKNOWN_TOPIC_OR_PARTITION");
}

#[test]
fn alter_configs_replaces_every_config_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let broker = on_disk(dir.path());
    create_topic(
        &broker.bootstrap,
        "replaced",
        1,
        &[("segment.bytes", "4096")],
    );
    let alter =
        AlterConfig::new(ResourceSpecifier::Topic("replaced")).set("retention.ms", "86400000");
    let results =
        futures_executor(admin(&broker.bootstrap).alter_configs([&alter], &options())).unwrap();
    assert!(results[0].is_ok(), "{results:?}");
    let check = |bootstrap: &str| {
        let described = describe(bootstrap, TOPIC, "replaced", None);
        assert_eq!(value_of(&described, "retention.ms"), "86400000");
        assert_eq!(
            value_of(&described, "segment.bytes"),
            "1073741824",
            "not listed: back to default"
        );
    };
    check(&broker.bootstrap);
    broker.stop();
    let broker = on_disk(dir.path());
    check(&broker.bootstrap);
}

#[test]
fn lowered_retention_takes_effect_live() {
    let dir = tempfile::tempdir().unwrap();
    // The periodic check is far away: only the config change can delete.
    let broker = TestBroker::start(
        Broker::builder()
            .data_dir(dir.path())
            .retention_check_interval(Duration::from_secs(3600)),
    );
    create_topic(
        &broker.bootstrap,
        "shrinking",
        1,
        &[("segment.bytes", "1024")],
    );
    let two_hours_ago = now_ms() - 2 * 3_600_000;
    let producer = producer(&broker.bootstrap, &[("linger.ms", "0")]);
    for i in 0..30 {
        let value = format!("record {i} {}", "x".repeat(200));
        producer
            .send(
                BaseRecord::to("shrinking")
                    .key("k")
                    .payload(&value)
                    .timestamp(two_hours_ago),
            )
            .map_err(|(e, _)| e)
            .unwrap();
        producer.flush(Duration::from_secs(10)).unwrap();
    }
    let partition_dir = dir.path().join("shrinking-0");
    let before = segment_files(&partition_dir);
    assert!(before > 3, "{before} segments");
    assert_eq!(low_watermark(&broker.bootstrap, "shrinking"), 0);

    let response = alter_incrementally(
        &broker.bootstrap,
        TOPIC,
        "shrinking",
        "retention.ms",
        0,
        Some("3600000"),
    );
    assert_eq!(response.error_code, 0, "{:?}", response.error_message);
    assert!(segment_files(&partition_dir) < before);
    assert_eq!(low_watermark(&broker.bootstrap, "shrinking"), 30);
}

#[test]
fn unknown_config_names_and_bad_values_are_invalid_config() {
    let broker = TestBroker::in_memory();
    create_topic(&broker.bootstrap, "strict", 1, &[]);
    // rdkafka 0.38's alter_configs drops per-resource errors (it returns
    // Ok for every resource), so the refusal is checked on the wire.
    let typo = alter_legacy(
        &broker.bootstrap,
        TOPIC,
        "strict",
        ("retention.msec", "1000"),
    );
    assert_eq!(typo.error_code, INVALID_CONFIG);
    assert_eq!(
        typo.error_message.as_deref(),
        Some("Unknown topic config name: retention.msec")
    );

    let response = alter_incrementally(
        &broker.bootstrap,
        TOPIC,
        "strict",
        "retention.ms",
        0,
        Some("soon"),
    );
    assert_eq!(response.error_code, INVALID_CONFIG);
    let message = response
        .error_message
        .as_deref()
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("retention.ms") && message.contains("soon"),
        "{message}"
    );

    let deleted_typo =
        alter_incrementally(&broker.bootstrap, TOPIC, "strict", "segment.bites", 1, None);
    assert_eq!(
        deleted_typo.error_code, INVALID_CONFIG,
        "unknown names are never silently ignored"
    );

    let broker_change = alter_legacy(&broker.bootstrap, BROKER, "1", ("num.partitions", "3"));
    assert_eq!(
        broker_change.error_code, INVALID_REQUEST,
        "read-only broker configs"
    );
    assert!(broker_change
        .error_message
        .as_deref()
        .unwrap_or_default()
        .contains("num.partitions"));
    assert_eq!(
        value_of(
            &describe(&broker.bootstrap, TOPIC, "strict", None),
            "retention.ms"
        ),
        "604800000"
    );
}

#[test]
fn incremental_append_and_subtract_edit_list_configs() {
    let broker = TestBroker::in_memory();
    create_topic(&broker.bootstrap, "listed", 1, &[]);
    let policy = || {
        value_of(
            &describe(&broker.bootstrap, TOPIC, "listed", None),
            "cleanup.policy",
        )
    };

    let appended = alter_incrementally(
        &broker.bootstrap,
        TOPIC,
        "listed",
        "cleanup.policy",
        2,
        Some("compact"),
    );
    assert_eq!(appended.error_code, 0, "{:?}", appended.error_message);
    assert_eq!(policy(), "delete,compact");
    let subtracted = alter_incrementally(
        &broker.bootstrap,
        TOPIC,
        "listed",
        "cleanup.policy",
        3,
        Some("delete"),
    );
    assert_eq!(subtracted.error_code, 0, "{:?}", subtracted.error_message);
    assert_eq!(policy(), "compact");

    let not_a_list = alter_incrementally(
        &broker.bootstrap,
        TOPIC,
        "listed",
        "retention.ms",
        2,
        Some("5"),
    );
    assert_eq!(not_a_list.error_code, INVALID_CONFIG);
    let deleted = alter_incrementally(
        &broker.bootstrap,
        TOPIC,
        "listed",
        "cleanup.policy",
        1,
        None,
    );
    assert_eq!(deleted.error_code, 0);
    assert_eq!(policy(), "delete");

    let unknown_op = alter_incrementally(
        &broker.bootstrap,
        TOPIC,
        "listed",
        "cleanup.policy",
        9,
        Some("x"),
    );
    assert_eq!(unknown_op.error_code, INVALID_REQUEST);
}

/// A raw fetch of partition 0 at `offset`: its error code.
fn fetch_error(bootstrap: &str, topic: &str, offset: i64) -> i16 {
    let partition = FetchPartition::default()
        .with_partition(0)
        .with_fetch_offset(offset)
        .with_partition_max_bytes(1 << 20);
    let request = FetchRequest::default()
        .with_max_wait_ms(0)
        .with_max_bytes(1 << 20)
        .with_topics(vec![FetchTopic::default()
            .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
            .with_partitions(vec![partition])]);
    RawClient::connect(bootstrap).send(12, &request).responses[0].partitions[0].error_code
}

#[test]
fn deleted_records_stay_deleted_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let broker = on_disk(dir.path());
    create_topic(&broker.bootstrap, "trimmed", 1, &[]);
    produce_all(&producer(&broker.bootstrap, &[]), "trimmed", &keyed(10));

    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset("trimmed", 0, Offset::Offset(4))
        .unwrap();
    let deleted =
        futures_executor(admin(&broker.bootstrap).delete_records(&offsets, &options())).unwrap();
    let element = deleted.find_partition("trimmed", 0).unwrap();
    assert_eq!(element.offset(), Offset::Offset(4));
    assert!(element.error().is_ok(), "{:?}", element.error());

    let check = |bootstrap: &str| {
        assert_eq!(low_watermark(bootstrap, "trimmed"), 4);
        assert_eq!(
            fetch_error(bootstrap, "trimmed", 2),
            1,
            "OFFSET_OUT_OF_RANGE below the start"
        );
        assert_eq!(fetch_error(bootstrap, "trimmed", 4), 0);
    };
    check(&broker.bootstrap);

    let mut too_far = TopicPartitionList::new();
    too_far
        .add_partition_offset("trimmed", 0, Offset::Offset(11))
        .unwrap();
    let refused = futures_executor(admin(&broker.bootstrap).delete_records(&too_far, &options()));
    let refused_code = match refused {
        Ok(list) => list.find_partition("trimmed", 0).unwrap().error().err(),
        Err(e) => Some(e),
    };
    assert!(
        refused_code
            .as_ref()
            .is_some_and(|e| e.to_string().contains("out of range")),
        "{refused_code:?}"
    );

    broker.stop();
    let broker = on_disk(dir.path());
    check(&broker.bootstrap);
    // The produce response reports the moved start too.
    let producer = producer(&broker.bootstrap, &[]);
    produce_all(&producer, "trimmed", &keyed(1));
    let received = consume(
        &consumer(&broker.bootstrap, "trimmed", 1, &[]),
        7,
        Duration::from_secs(15),
    );
    assert_eq!(received.first().map(|r| r.offset), Some(4));
}

fn log_dir_size(bootstrap: &str, topic: &str) -> (String, i64, i64) {
    let request = DescribeLogDirsRequest::default().with_topics(Some(vec![
        kafka_protocol::messages::describe_log_dirs_request::DescribableLogDirTopic::default()
            .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
            .with_partitions(vec![0]),
    ]));
    let response = RawClient::connect(bootstrap).send(4, &request);
    let dir = &response.results[0];
    let size = dir.topics[0].partitions[0].partition_size;
    (dir.log_dir.to_string(), size, dir.total_bytes)
}

#[test]
fn log_dir_sizes_grow_after_produce() {
    let dir = tempfile::tempdir().unwrap();
    let broker = on_disk(dir.path());
    create_topic(&broker.bootstrap, "sized", 1, &[]);
    let (log_dir, empty, total) = log_dir_size(&broker.bootstrap, "sized");
    assert_eq!(
        std::path::Path::new(&log_dir),
        std::path::absolute(dir.path()).unwrap()
    );
    assert_eq!(empty, 0);
    assert!(total > 0, "statvfs of the data dir");
    produce_all(&producer(&broker.bootstrap, &[]), "sized", &keyed(20));
    let (_, grown, _) = log_dir_size(&broker.bootstrap, "sized");
    assert!(grown > 20 * 8, "{grown} bytes");
}
