//! `produce`: pre-encoded batches over C connections per leader with up to
//! K requests in flight each, until a record count or a duration is
//! reached; records/s, MB/s and per-request latency.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use kafka_protocol::messages::{ApiKey, ProduceRequest};
use serde_json::json;

use crate::cluster::{self, Layout, Versions};
use crate::connection::{Connection, Frame};
use crate::error::{check, BenchError};
use crate::records::{batch, produce_frame, values, Codec};
use crate::report::{histogram, latency_fields, ProcSample, Report};

#[derive(Clone, Debug, clap::Args)]
pub struct ProduceArgs {
    #[command(flatten)]
    pub common: crate::Common,
    /// Connections per leader broker.
    #[arg(long, short = 'c', default_value_t = 4)]
    pub connections: usize,
    /// Produce requests in flight per connection.
    #[arg(long, short = 'k', default_value_t = 4)]
    pub in_flight: usize,
    /// Bytes per record value.
    #[arg(long, short = 's', default_value_t = 100)]
    pub record_size: usize,
    /// Records per batch (one batch per request).
    #[arg(long, short = 'b', default_value_t = 1000)]
    pub batch_records: usize,
    /// 0 (no answer), 1 or -1 (all in-sync replicas).
    #[arg(long, default_value_t = 1, allow_hyphen_values = true)]
    pub acks: i16,
    #[arg(long, value_enum, default_value_t = Codec::None)]
    pub compression: Codec,
    /// Stop after this many records (default: run for --seconds).
    #[arg(long)]
    pub records: Option<u64>,
    /// Stop after this long if --records is not given.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
}

/// How much of the run is left, shared by every connection.
struct Budget {
    records: Option<u64>,
    deadline: Instant,
    claimed: AtomicU64,
}

impl Budget {
    /// Claims one batch of `n` records, if the run is not over.
    fn claim(&self, n: u64) -> bool {
        match self.records {
            Some(total) => self.claimed.fetch_add(n, Ordering::Relaxed) < total,
            None => Instant::now() < self.deadline,
        }
    }
}

/// What one connection did.
struct Sent {
    records: u64,
    bytes: u64,
    latencies: Histogram<u64>,
}

async fn run_connection(
    leader: String,
    frames: Vec<(Frame, u64, u64)>,
    in_flight: usize,
    acks: i16,
    budget: Arc<Budget>,
) -> Result<Sent, BenchError> {
    let mut connection = Connection::connect(&leader).await?;
    let mut sent = Sent {
        records: 0,
        bytes: 0,
        latencies: histogram(),
    };
    let mut waiting: std::collections::VecDeque<(Instant, u64, u64)> = Default::default();
    let mut next = 0usize;
    let mut more = true;
    while more || !waiting.is_empty() {
        while more && waiting.len() < in_flight.max(1) {
            let (frame, records, bytes) = &frames[next % frames.len()];
            next += 1;
            if !budget.claim(*records) {
                more = false;
                break;
            }
            connection.write(frame).await?;
            if acks == 0 {
                sent.records += records;
                sent.bytes += bytes;
            } else {
                waiting.push_back((Instant::now(), *records, *bytes));
            }
        }
        connection.flush().await?;
        let Some((started, records, bytes)) = waiting.pop_front() else {
            continue;
        };
        let frame = &frames[0].0;
        let answer = connection.read::<ProduceRequest>(frame).await?;
        for topic in &answer.responses {
            for p in &topic.partition_responses {
                check(p.error_code, || format!("Produce to partition {}", p.index))?;
            }
        }
        let micros = started.elapsed().as_micros().max(1) as u64;
        let _ = sent.latencies.record(micros.min(sent.latencies.high()));
        sent.records += records;
        sent.bytes += bytes;
    }
    Ok(sent)
}

/// Pre-encodes one request per partition of `partitions`.
fn frames(
    args: &ProduceArgs,
    versions: &Versions,
    layout: &Layout,
    partitions: &[i32],
) -> Result<Vec<(Frame, u64, u64)>, BenchError> {
    partitions
        .iter()
        .map(|p| {
            let records = values(args.batch_records, args.record_size, *p as u64 + 1);
            let encoded = batch(&records, crate::now_ms(), args.compression)?;
            let bytes = encoded.len() as u64;
            let frame = produce_frame(
                versions.of(ApiKey::Produce),
                &layout.topic,
                *p,
                args.acks,
                encoded,
            )?;
            Ok((frame, args.batch_records as u64, bytes))
        })
        .collect()
}

pub async fn run(args: ProduceArgs) -> Result<Report, BenchError> {
    if args.batch_records == 0 || args.connections == 0 {
        return Err(BenchError::Usage(
            "--batch-records and --connections must be at least 1".into(),
        ));
    }
    let (versions, layout) = cluster::prepare(&args.common).await?;
    let budget = Arc::new(Budget {
        records: args.records,
        deadline: Instant::now() + Duration::from_secs_f64(args.seconds),
        claimed: AtomicU64::new(0),
    });
    let before = args.common.broker_pid.and_then(ProcSample::take);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (leader, partitions) in layout.by_leader() {
        for c in 0..args.connections {
            // Each connection takes every C-th partition, or shares them
            // all when there are fewer partitions than connections.
            let mine: Vec<i32> = partitions
                .iter()
                .copied()
                .skip(c % partitions.len())
                .step_by(args.connections)
                .collect();
            let mine = if mine.is_empty() {
                partitions.clone()
            } else {
                mine
            };
            let frames = frames(&args, &versions, &layout, &mine)?;
            tasks.spawn(run_connection(
                leader.clone(),
                frames,
                args.in_flight,
                args.acks,
                Arc::clone(&budget),
            ));
        }
    }
    let mut latencies = histogram();
    let (mut records, mut bytes) = (0, 0);
    while let Some(done) = tasks.join_next().await {
        let sent =
            done.map_err(|e| BenchError::Protocol(format!("a connection task failed: {e}")))??;
        records += sent.records;
        bytes += sent.bytes;
        let _ = latencies.add(&sent.latencies);
    }
    let elapsed = started.elapsed();
    let mut report = Report::new("produce");
    report.set("topic", json!(layout.topic));
    report.set("partitions", json!(layout.leaders.len()));
    report.set("connections", json!(args.connections));
    report.set("in_flight", json!(args.in_flight));
    report.set("record_size", json!(args.record_size));
    report.set("batch_records", json!(args.batch_records));
    report.set("acks", json!(args.acks));
    report.set("compression", json!(args.compression.name()));
    report.throughput(records, bytes, elapsed);
    report.extend(latency_fields("request", &latencies));
    report.broker(args.common.broker_pid, before, bytes);
    Ok(report)
}
