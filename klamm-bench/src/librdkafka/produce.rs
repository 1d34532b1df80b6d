//! `rdkafka-produce`: a librdkafka BaseProducer sending records as fast as
//! its queue takes them, with the settings a user would pick for
//! throughput; records/s and MB/s of delivered record values, and the
//! delivery latency of each record (from `send` to its delivery report,
//! so time spent in librdkafka's queue and linger counts).

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::ClientContext;
use serde_json::json;

use super::{client_config, on_thread, print_error, print_log, report, ClientArgs};
use crate::cluster::Layout;
use crate::error::BenchError;
use crate::records::{values, Codec};
use crate::report::{histogram, latency_fields, ProcSample, Report};

#[derive(Clone, Debug, clap::Args)]
pub struct RdkafkaProduceArgs {
    #[command(flatten)]
    pub common: crate::Common,
    /// Bytes per record value.
    #[arg(long, short = 's', default_value_t = 100)]
    pub record_size: usize,
    /// 0 (no answer), 1 or -1 (all in-sync replicas).
    #[arg(long, default_value_t = 1, allow_hyphen_values = true)]
    pub acks: i16,
    /// librdkafka's linger.ms: how long a batch waits for more records.
    #[arg(long, default_value_t = 5.0)]
    pub linger_ms: f64,
    /// librdkafka's batch.size: most bytes in one partition's batch.
    #[arg(long, default_value_t = 1 << 20)]
    pub batch_size: u32,
    #[arg(long, value_enum, default_value_t = Codec::None)]
    pub compression: Codec,
    /// enable.idempotence (needs --acks -1).
    #[arg(long)]
    pub idempotence: bool,
    /// Stop after this many records (default: run for --seconds).
    #[arg(long)]
    pub records: Option<u64>,
    /// Stop after this long if --records is not given.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// How long to wait for the last delivery reports.
    #[arg(long, default_value_t = 60.0)]
    pub flush_seconds: f64,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// What the delivery reports said.
struct Delivered {
    records: u64,
    bytes: u64,
    failed: u64,
    first_error: Option<String>,
    latencies: Histogram<u64>,
    last: Option<Instant>,
}

/// Counts delivery reports. Each record carries its send time (µs since
/// `epoch`) as its delivery opaque, so nothing is kept per record in flight.
struct Deliveries {
    epoch: Instant,
    delivered: Mutex<Delivered>,
}

impl Deliveries {
    fn micros(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    fn delivered(&self) -> std::sync::MutexGuard<'_, Delivered> {
        self.delivered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl ClientContext for Deliveries {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        print_log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        print_error(error, reason);
    }
}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, sent_micros: usize) {
        let now = self.micros();
        let mut delivered = self.delivered();
        match result {
            Ok(message) => {
                delivered.records += 1;
                delivered.bytes += (message.payload_len() + message.key_len()) as u64;
                let micros = now.saturating_sub(sent_micros as u64).max(1);
                let high = delivered.latencies.high();
                let _ = delivered.latencies.record(micros.min(high));
                delivered.last = Some(Instant::now());
            }
            Err((error, _)) => {
                delivered.failed += 1;
                if delivered.first_error.is_none() {
                    delivered.first_error = Some(error.to_string());
                }
            }
        }
    }
}

/// Records sent between two polls for delivery reports while the queue
/// has room.
const POLL_EVERY: u64 = 1024;

pub(super) fn validate(args: &RdkafkaProduceArgs) -> Result<(), BenchError> {
    if ![0, 1, -1].contains(&args.acks) {
        return Err(BenchError::Usage("--acks must be 0, 1 or -1".into()));
    }
    if args.idempotence && args.acks != -1 {
        return Err(BenchError::Usage("--idempotence needs --acks -1".into()));
    }
    Ok(())
}

/// Sends until the budget is spent, then waits for every delivery report.
fn produce(args: &RdkafkaProduceArgs, layout: &Layout) -> Result<Report, BenchError> {
    let broker_pid = args.common.broker_pid;
    let ours = [
        ("acks", args.acks.to_string()),
        ("linger.ms", args.linger_ms.to_string()),
        ("batch.size", args.batch_size.to_string()),
        // A batch may not be larger than a request librdkafka will send.
        (
            "message.max.bytes",
            args.batch_size.max(1_000_000).to_string(),
        ),
        ("compression.type", args.compression.name().to_string()),
        ("enable.idempotence", args.idempotence.to_string()),
    ];
    let config = client_config(&args.common.bootstrap, &ours, &args.client);
    let context = Deliveries {
        epoch: Instant::now(),
        delivered: Mutex::new(Delivered {
            records: 0,
            bytes: 0,
            failed: 0,
            first_error: None,
            latencies: histogram(),
            last: None,
        }),
    };
    let producer: BaseProducer<Deliveries> = config.create_with_context(context)?;
    let payloads = values(64, args.record_size, 1);
    let before = broker_pid.and_then(ProcSample::take);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.seconds);
    let mut sent = 0u64;
    loop {
        let more = match args.records {
            Some(total) => sent < total,
            None => !sent.is_multiple_of(256) || Instant::now() < deadline,
        };
        if !more {
            break;
        }
        let payload = &payloads[(sent % payloads.len() as u64) as usize];
        let stamp = producer.context().micros() as usize;
        let record = BaseRecord::with_opaque_to(&layout.topic, stamp).payload(payload.as_ref());
        match producer.send::<[u8], [u8]>(record) {
            Ok(()) => {
                sent += 1;
                if sent.is_multiple_of(POLL_EVERY) {
                    producer.poll(Duration::ZERO);
                }
            }
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                producer.poll(Duration::from_millis(1));
            }
            Err((error, _)) => return Err(error.into()),
        }
    }
    // rdkafka's flush polls in 100 ms steps; this waits in 1 ms steps so a
    // short run's time is not rounded up.
    let give_up = Instant::now() + Duration::from_secs_f64(args.flush_seconds);
    while producer.in_flight_count() > 0 {
        if Instant::now() > give_up {
            return Err(BenchError::Protocol(format!(
                "{} records still undelivered after {} s",
                producer.in_flight_count(),
                args.flush_seconds
            )));
        }
        producer.poll(Duration::from_millis(1));
    }
    let delivered = producer.context().delivered();
    if let Some(error) = &delivered.first_error {
        return Err(BenchError::Protocol(format!(
            "{} of {sent} records failed; the first: {error}",
            delivered.failed
        )));
    }
    let elapsed = delivered.last.unwrap_or(started).duration_since(started);
    let mut report = report(
        "rdkafka-produce",
        layout,
        json!({
            "record_size": args.record_size,
            "acks": args.acks,
            "linger_ms": args.linger_ms,
            "batch_size": args.batch_size,
            "compression": args.compression.name(),
            "idempotence": args.idempotence,
        }),
    );
    report.throughput(delivered.records, delivered.bytes, elapsed);
    report.extend(latency_fields("delivery", &delivered.latencies));
    report.broker(broker_pid, before, delivered.bytes);
    Ok(report)
}

pub async fn run(args: RdkafkaProduceArgs) -> Result<Report, BenchError> {
    validate(&args)?;
    let common = args.common.clone();
    on_thread(&common, move |layout| produce(&args, &layout)).await
}
