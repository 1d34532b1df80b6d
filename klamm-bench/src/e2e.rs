//! `e2e`: produce to one partition at a fixed rate while a consumer long-
//! polls it, and measure how long each record took from the producer's
//! send to the consumer's hands. Each value starts with its send time in
//! nanoseconds on this process's monotonic clock, so producer and consumer
//! need no shared wall clock and the resolution is far below a millisecond.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, FetchRequest, ProduceRequest};
use kafka_protocol::records::RecordBatchDecoder;
use serde_json::json;
use tokio::sync::watch;

use crate::cluster::{self, Layout, Versions};
use crate::connection::{encode, Connection, Frame};
use crate::consume::fetch_request;
use crate::error::{check, BenchError};
use crate::records::{batch, produce_frame, scan_batches, Codec};
use crate::report::{histogram, latency_fields, ProcSample, Report};

#[derive(Clone, Debug, clap::Args)]
pub struct E2eArgs {
    #[command(flatten)]
    pub common: crate::Common,
    /// Records per second to produce.
    #[arg(long, default_value_t = 10_000)]
    pub rate: u64,
    /// Records per produce request.
    #[arg(long, short = 'b', default_value_t = 10)]
    pub batch_records: usize,
    /// Bytes per record value (at least 8: the send time).
    #[arg(long, short = 's', default_value_t = 100)]
    pub record_size: usize,
    #[arg(long, default_value_t = 1, allow_hyphen_values = true)]
    pub acks: i16,
    /// How long to produce.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Latencies of the first this many seconds are not counted.
    #[arg(long, default_value_t = 1.0)]
    pub warmup_seconds: f64,
}

const PARTITION: i32 = 0;

fn stamped_values(epoch: Instant, count: usize, size: usize) -> Vec<Bytes> {
    let sent = epoch.elapsed().as_nanos() as u64;
    (0..count)
        .map(|_| {
            let mut value = BytesMut::with_capacity(size.max(8));
            value.put_u64(sent);
            value.resize(size.max(8), b'x');
            value.freeze()
        })
        .collect()
}

/// Sends batches on schedule until `seconds` passed; the records sent.
async fn produce(
    args: E2eArgs,
    versions: Versions,
    layout: Layout,
    leader: String,
    epoch: Instant,
) -> Result<u64, BenchError> {
    let (mut sender, mut receiver) = Connection::connect(&leader).await?.split();
    let interval = Duration::from_secs_f64(args.batch_records as f64 / args.rate.max(1) as f64);
    let batches = (args.seconds / interval.as_secs_f64()).ceil() as u64;
    let version = versions.of(ApiKey::Produce);
    let acks = args.acks;
    let template = produce_frame(version, &layout.topic, PARTITION, acks, Bytes::new())?;
    let reader = tokio::spawn(async move {
        if acks == 0 {
            return Ok(());
        }
        for _ in 0..batches {
            let answer = receiver.read::<ProduceRequest>(&template).await?;
            for p in answer.responses.iter().flat_map(|t| &t.partition_responses) {
                check(p.error_code, || "Produce".into())?;
            }
        }
        Ok::<(), BenchError>(())
    });
    let start = tokio::time::Instant::now();
    for i in 0..batches {
        tokio::time::sleep_until(start + interval.mul_f64(i as f64)).await;
        let values = stamped_values(epoch, args.batch_records, args.record_size);
        let encoded = batch(&values, crate::now_ms(), Codec::None)?;
        let frame: Frame = produce_frame(version, &layout.topic, PARTITION, acks, encoded)?;
        sender.write(&frame).await?;
        sender.flush().await?;
    }
    reader
        .await
        .map_err(|e| BenchError::Protocol(format!("the produce reader failed: {e}")))??;
    Ok(batches * args.batch_records as u64)
}

pub async fn run(args: E2eArgs) -> Result<Report, BenchError> {
    if args.batch_records == 0 || args.rate == 0 {
        return Err(BenchError::Usage(
            "--rate and --batch-records must be at least 1".into(),
        ));
    }
    let (versions, layout) = cluster::prepare(&args.common).await?;
    let leader = layout
        .leaders
        .iter()
        .find(|(p, _)| *p == PARTITION)
        .map(|(_, l)| l.clone())
        .ok_or_else(|| BenchError::Protocol("the topic has no partition 0".into()))?;
    let start_offset = cluster::end_offsets(&layout, &versions)
        .await?
        .get(&PARTITION)
        .copied()
        .unwrap_or(0);

    let epoch = Instant::now();
    let warmup_nanos = (args.warmup_seconds * 1e9) as u64;
    let before = args.common.broker_pid.and_then(ProcSample::take);
    let (done_tx, done) = watch::channel(None::<u64>);
    let producer = tokio::spawn({
        let (args, versions, layout, leader) = (
            args.clone(),
            versions.clone(),
            layout.clone(),
            leader.clone(),
        );
        async move {
            let sent = produce(args, versions, layout, leader, epoch).await;
            let _ = done_tx.send(Some(*sent.as_ref().unwrap_or(&0)));
            sent
        }
    });

    let mut consumer = Connection::connect(&leader).await?;
    let mut latencies = histogram();
    let mut offsets = BTreeMap::from([(PARTITION, start_offset)]);
    let (mut received, mut bytes) = (0u64, 0u64);
    let give_up = Instant::now() + Duration::from_secs_f64(args.seconds + 30.0);
    loop {
        let produced = *done.borrow();
        if produced.is_some_and(|n| received >= n) || Instant::now() > give_up {
            break;
        }
        let request = fetch_request(&layout, &offsets, 16 << 20, 16 << 20, 100);
        let frame = encode(versions.of(ApiKey::Fetch), &request)?;
        consumer.write(&frame).await?;
        consumer.flush().await?;
        let answer = consumer.read::<FetchRequest>(&frame).await?;
        let arrived = epoch.elapsed().as_nanos() as u64;
        for p in answer.responses.iter().flat_map(|t| &t.partitions) {
            check(p.error_code, || "Fetch".into())?;
            let Some(data) = &p.records else { continue };
            let (_, whole, next) = scan_batches(data);
            let mut complete = data.slice(..whole as usize);
            let sets = RecordBatchDecoder::decode_all(&mut complete)
                .map_err(|e| BenchError::Protocol(format!("decoding fetched batches: {e}")))?;
            for record in sets.iter().flat_map(|s| &s.records) {
                received += 1;
                let sent = record
                    .value
                    .as_ref()
                    .and_then(|v| v.get(..8))
                    .map_or(arrived, |b| {
                        u64::from_be_bytes(b.try_into().unwrap_or_default())
                    });
                if sent >= warmup_nanos {
                    let micros = (arrived.saturating_sub(sent) / 1000).max(1);
                    let _ = latencies.record(micros.min(latencies.high()));
                }
            }
            bytes += whole;
            if let Some(next) = next {
                offsets.insert(PARTITION, next);
            }
        }
    }
    let produced = producer
        .await
        .map_err(|e| BenchError::Protocol(format!("the producer failed: {e}")))??;
    let elapsed = epoch.elapsed();
    let mut report = Report::new("e2e");
    report.set("topic", json!(layout.topic));
    report.set("rate", json!(args.rate));
    report.set("batch_records", json!(args.batch_records));
    report.set("record_size", json!(args.record_size));
    report.set("acks", json!(args.acks));
    report.set("produced", json!(produced));
    report.throughput(received, bytes, elapsed);
    report.extend(latency_fields("e2e", &latencies));
    report.broker(args.common.broker_pid, before, bytes);
    if received < produced {
        return Err(BenchError::Protocol(format!(
            "only {received} of {produced} records came back"
        )));
    }
    Ok(report)
}
