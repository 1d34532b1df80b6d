//! Shared helpers for the end-to-end tests: a broker (in-process or as a
//! `klamm` process), real rdkafka clients pointed at it, and a raw protocol
//! client for hand-made requests. Every broker binds 127.0.0.1 on a free port;
//! every wait is bounded.

#![allow(dead_code)]

pub mod batch;
pub mod configs;
pub mod offsets;
pub mod process;
pub mod proxy;
pub mod raw;
pub mod read;
pub mod tools;

use std::time::{Duration, Instant};

use klamm::{Broker, BrokerBuilder};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

/// An in-process broker on a runtime of its own, so tests can use rdkafka's
/// blocking clients freely.
pub struct TestBroker {
    runtime: Option<tokio::runtime::Runtime>,
    broker: Option<Broker>,
    pub bootstrap: String,
}

impl TestBroker {
    pub fn start(builder: BrokerBuilder) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime");
        let broker = runtime.block_on(builder.start()).expect("broker starts");
        let bootstrap = broker.addr().to_string();
        Self {
            runtime: Some(runtime),
            broker: Some(broker),
            bootstrap,
        }
    }

    /// Every simulated broker's address, in node id order.
    pub fn broker_addrs(&self) -> Vec<String> {
        self.broker
            .as_ref()
            .map(|b| b.broker_addrs().iter().map(|a| a.to_string()).collect())
            .unwrap_or_default()
    }

    /// Where `/health` and `/metrics` answer, if the builder asked for them.
    pub fn http_addr(&self) -> Option<String> {
        self.broker.as_ref()?.http_addr().map(|a| a.to_string())
    }

    pub fn in_memory() -> Self {
        Self::start(Broker::builder())
    }

    /// Shuts down cleanly (what a restart test wants before reopening).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let (Some(runtime), Some(broker)) = (self.runtime.take(), self.broker.take()) {
            runtime
                .block_on(async {
                    tokio::time::timeout(Duration::from_secs(10), broker.shutdown()).await
                })
                .expect("broker shuts down within 10 s");
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        self.shutdown();
    }
}

pub fn client_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("socket.timeout.ms", "10000")
        .set("broker.address.family", "v4");
    config
}

pub fn producer(
    bootstrap: &str,
    extra: &[(&str, &str)],
) -> ThreadedProducer<DefaultProducerContext> {
    let mut config = client_config(bootstrap);
    config
        .set("message.timeout.ms", "20000")
        .set("linger.ms", "5");
    for (k, v) in extra {
        config.set(*k, *v);
    }
    config.create().expect("producer")
}

/// A consumer without a group, assigned to every partition from the start.
pub fn consumer(
    bootstrap: &str,
    topic: &str,
    partitions: i32,
    extra: &[(&str, &str)],
) -> BaseConsumer {
    let mut config = client_config(bootstrap);
    // librdkafka's assign() wants a group id even when no group is used.
    config
        .set("group.id", format!("assign-only-{topic}"))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("fetch.wait.max.ms", "200");
    for (k, v) in extra {
        config.set(*k, *v);
    }
    let consumer: BaseConsumer = config.create().expect("consumer");
    let mut assignment = TopicPartitionList::new();
    for p in 0..partitions {
        assignment
            .add_partition_offset(topic, p, Offset::Beginning)
            .expect("assignment");
    }
    consumer.assign(&assignment).expect("assign");
    consumer
}

/// A consumed record, detached from the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub timestamp: Option<i64>,
    pub headers: Vec<(String, Vec<u8>)>,
}

/// Polls until `count` records arrived or `limit` passed.
pub fn consume(consumer: &BaseConsumer, count: usize, limit: Duration) -> Vec<Received> {
    use rdkafka::message::Headers;
    let deadline = Instant::now() + limit;
    let mut out = Vec::new();
    while out.len() < count && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let headers = m
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| {
                                (
                                    h.key.to_string(),
                                    h.value.map(<[u8]>::to_vec).unwrap_or_default(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.push(Received {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec),
                    timestamp: m.timestamp().to_millis(),
                    headers,
                });
            }
            Some(Err(e)) => panic!("consumer error: {e}"),
            None => {}
        }
    }
    out
}

/// Produces `(key, value)` pairs to `topic` and waits until all are acked.
pub fn produce_all(
    producer: &ThreadedProducer<DefaultProducerContext>,
    topic: &str,
    records: &[(String, String)],
) {
    for (key, value) in records {
        let mut record = BaseRecord::to(topic)
            .key(key.as_str())
            .payload(value.as_str());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((e, r)) => {
                    assert!(Instant::now() < deadline, "producer queue stayed full: {e}");
                    record = r;
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
    producer
        .flush(Duration::from_secs(30))
        .expect("every record acknowledged");
}

pub fn admin(bootstrap: &str) -> AdminClient<DefaultClientContext> {
    client_config(bootstrap).create().expect("admin client")
}

/// Creates a topic through the admin API and checks it was created.
pub fn create_topic(bootstrap: &str, topic: &str, partitions: i32, configs: &[(&str, &str)]) {
    let admin = admin(bootstrap);
    let mut new_topic = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    for (k, v) in configs {
        new_topic = new_topic.set(k, v);
    }
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results =
        futures_executor(admin.create_topics([&new_topic], &options)).expect("create_topics");
    for result in results {
        result.expect("topic created");
    }
}

/// Runs a future to completion on a small runtime of its own.
pub fn futures_executor<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// `n` keyed records: key `k<i>`, value `value-<i>`.
pub fn keyed(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("k{i}"), format!("value-{i}")))
        .collect()
}
