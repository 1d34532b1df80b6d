//! `rdkafka-consume`: a librdkafka BaseConsumer assigned every partition
//! from its start (no group join, nothing committed) reads the topic up to
//! the high watermarks it had when the run began, with fetch settings
//! larger than librdkafka's defaults; records/s and MB/s of record values.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use serde_json::json;

use super::{client_config, on_thread, print_error, print_log, report, ClientArgs};
use crate::cluster::Layout;
use crate::error::BenchError;
use crate::report::{ProcSample, Report};

#[derive(Clone, Debug, clap::Args)]
pub struct RdkafkaConsumeArgs {
    #[command(flatten)]
    pub common: crate::Common,
    /// librdkafka's fetch.max.bytes: most bytes per fetch response.
    #[arg(long, default_value_t = 64 << 20)]
    pub fetch_max_bytes: i32,
    /// librdkafka's max.partition.fetch.bytes.
    #[arg(long, default_value_t = 16 << 20)]
    pub max_partition_fetch_bytes: i32,
    /// librdkafka's queued.max.messages.kbytes: how much it prefetches.
    #[arg(long, default_value_t = 256 << 10)]
    pub queued_max_messages_kbytes: i32,
    /// Give up after this long.
    #[arg(long, default_value_t = 300.0)]
    pub timeout_seconds: f64,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Prints librdkafka's warnings; no rebalance or commit handling, as the
/// consumer only assigns.
struct Quiet;

impl ClientContext for Quiet {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        print_log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        print_error(error, reason);
    }
}

impl ConsumerContext for Quiet {}

/// How long a metadata or watermark request may take.
const ASK: Duration = Duration::from_secs(10);

fn consume(args: &RdkafkaConsumeArgs, layout: &Layout) -> Result<Report, BenchError> {
    let broker_pid = args.common.broker_pid;
    // A group id of its own keeps the consumer's queue set-up of a group
    // consumer, but nothing joins it: partitions are assigned directly.
    let group = format!("klamm-bench-{}-{}", std::process::id(), crate::now_ms());
    let ours = [
        ("group.id", group),
        ("enable.auto.commit", "false".to_string()),
        ("enable.auto.offset.store", "false".to_string()),
        ("auto.offset.reset", "earliest".to_string()),
        ("enable.partition.eof", "true".to_string()),
        ("fetch.max.bytes", args.fetch_max_bytes.to_string()),
        (
            "max.partition.fetch.bytes",
            args.max_partition_fetch_bytes.to_string(),
        ),
        // librdkafka insists on room for a whole fetch response.
        (
            "receive.message.max.bytes",
            (i64::from(args.fetch_max_bytes) + 512)
                .max(100_000_000)
                .to_string(),
        ),
        (
            "queued.max.messages.kbytes",
            args.queued_max_messages_kbytes.to_string(),
        ),
        ("queued.min.messages", "1000000".to_string()),
    ];
    let config = client_config(&args.common.bootstrap, &ours, &args.client);
    let consumer: BaseConsumer<Quiet> = config.create_with_context(Quiet)?;
    let topic = layout.topic.as_str();
    // Each non-empty partition's end when the run began.
    let mut ends = BTreeMap::new();
    let mut assignment = TopicPartitionList::new();
    for (partition, _) in &layout.leaders {
        let (low, high) = consumer.fetch_watermarks(topic, *partition, ASK)?;
        if high > low {
            ends.insert(*partition, high);
            assignment.add_partition_offset(topic, *partition, Offset::Beginning)?;
        }
    }
    let before = broker_pid.and_then(ProcSample::take);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.timeout_seconds);
    consumer.assign(&assignment)?;
    let (mut records, mut bytes) = (0u64, 0u64);
    while !ends.is_empty() {
        if Instant::now() > deadline {
            return Err(BenchError::Usage(format!(
                "consume timed out with {} partitions unfinished",
                ends.len()
            )));
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(message)) => {
                let partition = message.partition();
                // Records produced after the run began are not counted.
                let Some(end) = ends.get(&partition).copied() else {
                    continue;
                };
                records += 1;
                bytes += (message.payload_len() + message.key_len()) as u64;
                if message.offset() + 1 >= end {
                    ends.remove(&partition);
                }
            }
            // Caught up with the partition's end (which only grows): done,
            // even if the last offsets were not records (transaction markers).
            Some(Err(KafkaError::PartitionEOF(partition))) => {
                ends.remove(&partition);
            }
            Some(Err(error)) => return Err(error.into()),
        }
    }
    let elapsed = started.elapsed();
    let mut report = report(
        "rdkafka-consume",
        layout,
        json!({
            "fetch_max_bytes": args.fetch_max_bytes,
            "max_partition_fetch_bytes": args.max_partition_fetch_bytes,
            "queued_max_messages_kbytes": args.queued_max_messages_kbytes,
        }),
    );
    report.throughput(records, bytes, elapsed);
    report.broker(broker_pid, before, bytes);
    Ok(report)
}

pub async fn run(args: RdkafkaConsumeArgs) -> Result<Report, BenchError> {
    let common = args.common.clone();
    on_thread(&common, move |layout| consume(&args, &layout)).await
}
