//! Dynamic broker configs, as Kafka has them: IncrementalAlterConfigs on a
//! BROKER resource changes the topic defaults at run time — for one broker
//! or cluster-wide — and every topic without its own setting follows at
//! once; the change survives a restart; read-only configs are refused by
//! name.

mod common;

use std::time::Duration;

use common::configs::{
    alter_incrementally, alter_legacy, describe, value_of, BROKER, INVALID_CONFIG, INVALID_REQUEST,
    TOPIC,
};
use common::{client_config, create_topic, TestBroker};
use klamm::Broker;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;

const SET: i8 = 0;
const DELETE: i8 = 1;

/// Sends one record of `size` bytes and waits for its acknowledgement.
fn send(bootstrap: &str, topic: &str, size: usize) -> Result<(), RDKafkaErrorCode> {
    let producer: FutureProducer = client_config(bootstrap)
        .set("linger.ms", "0")
        .set("message.timeout.ms", "10000")
        .create()
        .expect("producer");
    let value = vec![b'x'; size];
    let delivery = common::futures_executor(producer.send(
        FutureRecord::<(), _>::to(topic).payload(&value),
        Duration::from_secs(10),
    ));
    delivery
        .map(drop)
        .map_err(|(e, _)| e.rdkafka_error_code().unwrap_or(RDKafkaErrorCode::Unknown))
}

fn source_of(bootstrap: &str, resource_type: i8, resource: &str, name: &str) -> i8 {
    describe(bootstrap, resource_type, resource, Some(&[name]))
        .configs
        .first()
        .unwrap_or_else(|| panic!("{name} not described"))
        .config_source
}

#[test]
fn a_dynamic_broker_config_reaches_every_topic_without_its_own_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let broker = TestBroker::start(Broker::builder().data_dir(dir.path()));
    create_topic(&broker.bootstrap, "inherits", 1, &[]);
    create_topic(
        &broker.bootstrap,
        "own",
        1,
        &[("max.message.bytes", "1048588")],
    );
    assert_eq!(send(&broker.bootstrap, "inherits", 4000), Ok(()));

    // This broker's own setting (DYNAMIC_BROKER_CONFIG).
    let set = alter_incrementally(
        &broker.bootstrap,
        BROKER,
        "1",
        "message.max.bytes",
        SET,
        Some("1000"),
    );
    assert_eq!(set.error_code, 0, "{:?}", set.error_message);
    assert_eq!(
        send(&broker.bootstrap, "inherits", 4000),
        Err(RDKafkaErrorCode::MessageSizeTooLarge),
        "the topic follows the broker's new default"
    );
    assert_eq!(
        send(&broker.bootstrap, "own", 4000),
        Ok(()),
        "a topic's own setting wins"
    );
    let topic = describe(
        &broker.bootstrap,
        TOPIC,
        "inherits",
        Some(&["max.message.bytes"]),
    );
    assert_eq!(value_of(&topic, "max.message.bytes"), "1000");
    assert_eq!(topic.configs[0].config_source, 2, "DYNAMIC_BROKER_CONFIG");

    // The cluster-wide default sits under it (DYNAMIC_DEFAULT_BROKER_CONFIG).
    let cluster = alter_incrementally(
        &broker.bootstrap,
        BROKER,
        "",
        "log.retention.ms",
        SET,
        Some("3600000"),
    );
    assert_eq!(cluster.error_code, 0, "{:?}", cluster.error_message);
    assert_eq!(
        source_of(&broker.bootstrap, TOPIC, "inherits", "retention.ms"),
        3
    );
    let defaults = describe(&broker.bootstrap, BROKER, "", None);
    assert_eq!(value_of(&defaults, "log.retention.ms"), "3600000");

    // Both survive a restart.
    broker.stop();
    let broker = TestBroker::start(Broker::builder().data_dir(dir.path()));
    assert_eq!(
        send(&broker.bootstrap, "inherits", 4000),
        Err(RDKafkaErrorCode::MessageSizeTooLarge)
    );
    let on_broker = describe(&broker.bootstrap, BROKER, "1", Some(&["message.max.bytes"]));
    assert_eq!(value_of(&on_broker, "message.max.bytes"), "1000");
    assert!(!on_broker.configs[0].read_only, "dynamic, as in Kafka");
    assert_eq!(
        source_of(&broker.bootstrap, TOPIC, "inherits", "retention.ms"),
        3
    );

    // Deleting it restores the static default at once.
    let deleted = alter_incrementally(
        &broker.bootstrap,
        BROKER,
        "1",
        "message.max.bytes",
        DELETE,
        None,
    );
    assert_eq!(deleted.error_code, 0);
    assert_eq!(send(&broker.bootstrap, "inherits", 4000), Ok(()));
}

#[test]
fn read_only_broker_configs_and_bad_values_are_refused_by_name() {
    let broker = TestBroker::in_memory();
    let read_only = alter_incrementally(
        &broker.bootstrap,
        BROKER,
        "1",
        "auto.create.topics.enable",
        SET,
        Some("false"),
    );
    assert_eq!(read_only.error_code, INVALID_REQUEST);
    assert_eq!(
        read_only.error_message.as_deref(),
        Some("Cannot update these configs dynamically: [auto.create.topics.enable]")
    );
    let described = describe(
        &broker.bootstrap,
        BROKER,
        "1",
        Some(&["auto.create.topics.enable"]),
    );
    assert!(described.configs[0].read_only);

    let bad = alter_incrementally(
        &broker.bootstrap,
        BROKER,
        "1",
        "log.retention.bytes",
        SET,
        Some("lots"),
    );
    assert_eq!(bad.error_code, INVALID_REQUEST);
    assert!(bad
        .error_message
        .as_deref()
        .unwrap_or_default()
        .contains("log.retention.bytes"));

    // Tools clear replication throttles on every broker (kafka-reassign-partitions
    // --verify): accepted and kept, as Kafka does.
    let throttle = alter_legacy(
        &broker.bootstrap,
        BROKER,
        "1",
        ("leader.replication.throttled.rate", "1000000"),
    );
    assert_eq!(throttle.error_code, 0, "{:?}", throttle.error_message);
    let described = describe(
        &broker.bootstrap,
        BROKER,
        "1",
        Some(&["leader.replication.throttled.rate"]),
    );
    assert_eq!(
        value_of(&described, "leader.replication.throttled.rate"),
        "1000000"
    );
}

#[test]
fn the_cluster_wide_min_insync_replicas_stays_while_eligible_leader_replicas_are_on() {
    // Kafka's format writes it as a cluster-wide dynamic default.
    let broker = TestBroker::in_memory();
    assert_eq!(
        source_of(&broker.bootstrap, BROKER, "1", "min.insync.replicas"),
        3
    );
    let removed = alter_incrementally(
        &broker.bootstrap,
        BROKER,
        "",
        "min.insync.replicas",
        DELETE,
        None,
    );
    assert_eq!(removed.error_code, INVALID_CONFIG);
    assert_eq!(
        removed.error_message.as_deref(),
        Some("Cluster-level min.insync.replicas cannot be removed while ELR is enabled.")
    );
    let changed = alter_incrementally(
        &broker.bootstrap,
        BROKER,
        "",
        "min.insync.replicas",
        SET,
        Some("1"),
    );
    assert_eq!(changed.error_code, 0);
}
