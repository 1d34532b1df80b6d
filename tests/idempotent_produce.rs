//! Idempotent producers end to end: InitProducerId, retries that are stored
//! once (also across a restart or a crash), the sequence and epoch errors
//! Kafka gives, and librdkafka's idempotent producer through a proxy that
//! loses produce answers.

mod common;

use std::time::Duration;

use common::batch::idempotent_batch;
use common::process::KlammProcess;
use common::proxy::CuttingProxy;
use common::raw::RawClient;
use common::{consume, consumer, create_topic, producer, TestBroker};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::produce_response::PartitionProduceResponse;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use klamm::Broker;
use rdkafka::producer::{BaseRecord, Producer};

const TOPIC: &str = "idempotent";

fn topic_name() -> TopicName {
    TopicName(StrBytes::from_static_str(TOPIC))
}

/// A new producer id and epoch (or a bump of `current`).
fn init(client: &mut RawClient, current: Option<(i64, i16)>) -> (i64, i16) {
    let (id, epoch) = current.unwrap_or((-1, -1));
    let request = InitProducerIdRequest::default()
        .with_transactional_id(None)
        .with_transaction_timeout_ms(60_000)
        .with_producer_id(ProducerId(id))
        .with_producer_epoch(epoch);
    let response = client.send(4, &request);
    assert_eq!(response.error_code, 0, "InitProducerId");
    (response.producer_id.0, response.producer_epoch)
}

/// Sends one batch of `values` to partition 0 as producer `(id, epoch)`.
fn produce(
    client: &mut RawClient,
    (id, epoch): (i64, i16),
    first_sequence: i32,
    values: &[&str],
) -> PartitionProduceResponse {
    let data = PartitionProduceData::default()
        .with_index(0)
        .with_records(Some(idempotent_batch(values, id, epoch, first_sequence)));
    let request = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(5_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(topic_name())
            .with_partition_data(vec![data])]);
    let response = client.send(9, &request);
    response.responses[0].partition_responses[0].clone()
}

fn log_end(client: &mut RawClient) -> i64 {
    let request = ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_topics(vec![ListOffsetsTopic::default()
            .with_name(topic_name())
            .with_partitions(vec![ListOffsetsPartition::default()
                .with_partition_index(0)
                .with_timestamp(-1)])]);
    let response = client.send(5, &request);
    response.topics[0].partitions[0].offset
}

fn assert_error(response: &PartitionProduceResponse, error: ResponseError) {
    assert_eq!(
        response.error_code,
        error.code(),
        "expected {error:?}, got {:?}",
        response.error_message
    );
    assert_eq!(response.base_offset, -1);
}

fn assert_stored_at(response: &PartitionProduceResponse, offset: i64) {
    assert_eq!(
        (response.error_code, response.base_offset),
        (0, offset),
        "{:?}",
        response.error_message
    );
}

fn fresh_broker() -> (TestBroker, RawClient) {
    let broker = TestBroker::in_memory();
    create_topic(&broker.bootstrap, TOPIC, 1, &[]);
    let client = RawClient::connect(&broker.bootstrap);
    (broker, client)
}

#[test]
fn retried_batch_is_stored_once_and_gets_the_original_offset() {
    let (_broker, mut client) = fresh_broker();
    let producer = init(&mut client, None);
    let first = produce(&mut client, producer, 0, &["a", "b"]);
    assert_stored_at(&first, 0);
    assert_eq!(produce(&mut client, producer, 2, &["c"]).base_offset, 2);

    let retry = produce(&mut client, producer, 0, &["a", "b"]);
    assert_stored_at(&retry, 0);
    assert_eq!(
        retry.log_append_time_ms, 1_700_000_000_001,
        "Kafka reports the original batch's max timestamp for a retry"
    );
    assert_eq!(retry.log_start_offset, 0);
    assert_eq!(log_end(&mut client), 3, "nothing was written twice");
    assert_eq!(produce(&mut client, producer, 3, &["d"]).base_offset, 3);
}

#[test]
fn a_sequence_gap_is_out_of_order() {
    let (_broker, mut client) = fresh_broker();
    let producer = init(&mut client, None);
    produce(&mut client, producer, 0, &["a", "b"]);
    let gap = produce(&mut client, producer, 3, &["d"]);
    assert_error(&gap, ResponseError::OutOfOrderSequenceNumber);
    assert_eq!(log_end(&mut client), 2);
}

#[test]
fn a_stale_epoch_is_refused_and_a_new_epoch_starts_at_zero() {
    let (_broker, mut client) = fresh_broker();
    let old = init(&mut client, None);
    produce(&mut client, old, 0, &["a", "b"]);
    // An idempotent Java producer bumps its own epoch after a sequence
    // error (KIP-360) and starts the new epoch at sequence 0.
    let bumped = (old.0, old.1 + 1);

    let not_at_zero = produce(&mut client, bumped, 2, &["c"]);
    assert_error(&not_at_zero, ResponseError::OutOfOrderSequenceNumber);
    let accepted = produce(&mut client, bumped, 0, &["c"]);
    assert_stored_at(&accepted, 2);

    let stale = produce(&mut client, old, 2, &["zombie"]);
    assert_error(&stale, ResponseError::InvalidProducerEpoch);
    assert_eq!(log_end(&mut client), 3);
}

#[test]
fn an_unknown_producer_is_accepted_at_any_sequence() {
    // Kafka since 2.5 (KIP-360) accepts a producer it has no state for at
    // any sequence; UNKNOWN_PRODUCER_ID would be fatal to librdkafka when
    // the batch is a retry.
    let (_broker, mut client) = fresh_broker();
    let producer = init(&mut client, None);
    let first = produce(&mut client, producer, 41, &["a", "b"]);
    assert_stored_at(&first, 0);
    assert_eq!(produce(&mut client, producer, 43, &["c"]).base_offset, 2);
    let gap = produce(&mut client, producer, 45, &["e"]);
    assert_error(&gap, ResponseError::OutOfOrderSequenceNumber);
}

#[test]
fn asking_again_with_an_id_hands_out_a_new_one_as_kafka_does() {
    let (_broker, mut client) = fresh_broker();
    let first = init(&mut client, None);
    let second = init(&mut client, Some(first));
    assert_ne!(second.0, first.0, "a new producer id");
    assert_eq!(second.1, 0, "at epoch 0");
    // The old id keeps its partitions' state; the new one starts afresh.
    assert_stored_at(&produce(&mut client, first, 0, &["a"]), 0);
    assert_stored_at(&produce(&mut client, second, 0, &["b"]), 1);
    let half = InitProducerIdRequest::default()
        .with_transactional_id(None)
        .with_producer_id(ProducerId(first.0))
        .with_producer_epoch(-1);
    let refused = client.send(4, &half);
    assert_eq!(refused.error_code, ResponseError::InvalidRequest.code());
}

#[test]
fn retried_batch_is_stored_once_when_acks_wait_for_fsync() {
    let dir = tempfile::tempdir().unwrap();
    let broker = TestBroker::start(Broker::builder().data_dir(dir.path()).flush_always());
    create_topic(&broker.bootstrap, TOPIC, 1, &[]);
    let mut client = RawClient::connect(&broker.bootstrap);
    let producer = init(&mut client, None);
    assert_stored_at(&produce(&mut client, producer, 0, &["a", "b"]), 0);
    assert_stored_at(&produce(&mut client, producer, 0, &["a", "b"]), 0);
    assert_stored_at(&produce(&mut client, producer, 2, &["c"]), 2);
    assert_eq!(log_end(&mut client), 3);
}

#[test]
fn retried_batch_after_a_clean_restart_is_still_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let broker = TestBroker::start(Broker::builder().data_dir(dir.path()));
        create_topic(&broker.bootstrap, TOPIC, 1, &[]);
        let mut client = RawClient::connect(&broker.bootstrap);
        let producer = init(&mut client, None);
        produce(&mut client, producer, 0, &["a", "b"]);
        produce(&mut client, producer, 2, &["c"]);
        broker.stop();
        producer
    };
    let broker = TestBroker::start(Broker::builder().data_dir(dir.path()));
    let mut client = RawClient::connect(&broker.bootstrap);
    let retry = produce(&mut client, before, 2, &["c"]);
    assert_stored_at(&retry, 2);
    assert_eq!(log_end(&mut client), 3);
    let (next_id, _) = init(&mut client, None);
    assert!(next_id > before.0, "id {next_id} reused after a restart");
}

#[test]
fn retried_batch_after_a_crash_is_still_stored_once_and_ids_are_not_reused() {
    let dir = tempfile::tempdir().unwrap();
    let broker = KlammProcess::start(dir.path(), &[]);
    create_topic(&broker.bootstrap, TOPIC, 1, &[]);
    let mut client = RawClient::connect(&broker.bootstrap);
    let producer = init(&mut client, None);
    let later = init(&mut client, None);
    produce(&mut client, producer, 0, &["a", "b"]);
    produce(&mut client, later, 0, &["x"]);
    produce(&mut client, producer, 2, &["c"]);
    broker.crash();

    let broker = KlammProcess::start(dir.path(), &[]);
    let mut client = RawClient::connect(&broker.bootstrap);
    let retry = produce(&mut client, producer, 2, &["c"]);
    assert_stored_at(&retry, 3);
    let retry = produce(&mut client, later, 0, &["x"]);
    assert_stored_at(&retry, 2);
    assert_eq!(log_end(&mut client), 4);
    let (next_id, _) = init(&mut client, None);
    assert!(next_id > later.0, "id {next_id} reused after a crash");
    broker.stop();
}

#[test]
fn idempotent_rdkafka_producer_survives_lost_answers_without_duplicates() {
    let (proxy, listener) = CuttingProxy::bind(4, 5);
    let broker = TestBroker::start(Broker::builder().advertise("127.0.0.1", proxy.port));
    let direct = broker.bootstrap.clone();
    proxy.start(listener, direct.clone());
    create_topic(&direct, TOPIC, 1, &[]);

    let through_proxy = format!("127.0.0.1:{}", proxy.port);
    let producer = producer(
        &through_proxy,
        &[
            ("enable.idempotence", "true"),
            ("batch.num.messages", "20"),
            ("linger.ms", "2"),
            ("retry.backoff.ms", "20"),
            ("message.timeout.ms", "60000"),
        ],
    );
    let count = 600;
    for i in 0..count {
        let value = format!("record-{i:04}");
        let mut record = BaseRecord::to(TOPIC).key("k").payload(&value);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((e, r)) => {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "queue stayed full: {e}"
                    );
                    record = r;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
        // Spread the records over many produce requests.
        if i % 20 == 19 {
            std::thread::sleep(Duration::from_millis(3));
        }
    }
    producer
        .flush(Duration::from_secs(60))
        .expect("every record acknowledged");
    assert!(proxy.cuts() > 0, "the proxy lost no answers");

    let mut client = RawClient::connect(&direct);
    assert_eq!(log_end(&mut client), count, "a retry was written twice");
    let received = consume(
        &consumer(&direct, TOPIC, 1, &[]),
        count as usize,
        Duration::from_secs(30),
    );
    let values: Vec<String> = received
        .into_iter()
        .map(|r| String::from_utf8(r.value.unwrap()).unwrap())
        .collect();
    let expected: Vec<String> = (0..count).map(|i| format!("record-{i:04}")).collect();
    assert_eq!(values, expected, "every record once, in order");
}
