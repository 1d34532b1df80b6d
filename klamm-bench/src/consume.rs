//! `consume`: fetch a topic from its start to the end offsets it had when
//! the run began, as fast as the broker gives it; records/s, MB/s. Batches
//! are counted from their headers, not decoded, so the tool stays cheap.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{ApiKey, BrokerId, FetchRequest};
use serde_json::json;

use crate::cluster::{self, topic_name, Layout, Versions};
use crate::connection::{encode, Connection};
use crate::error::{check, BenchError};
use crate::records::scan_batches;
use crate::report::{ProcSample, Report};

#[derive(Clone, Debug, clap::Args)]
pub struct ConsumeArgs {
    #[command(flatten)]
    pub common: crate::Common,
    /// Most bytes per fetch response.
    #[arg(long, default_value_t = 64 << 20)]
    pub fetch_max_bytes: i32,
    /// Most bytes per partition per fetch.
    #[arg(long, default_value_t = 16 << 20)]
    pub partition_max_bytes: i32,
    /// Give up after this long.
    #[arg(long, default_value_t = 300.0)]
    pub timeout_seconds: f64,
}

pub fn fetch_request(
    layout: &Layout,
    offsets: &BTreeMap<i32, i64>,
    max_bytes: i32,
    partition_max_bytes: i32,
    max_wait_ms: i32,
) -> FetchRequest {
    FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(max_wait_ms)
        .with_min_bytes(1)
        .with_max_bytes(max_bytes)
        .with_session_epoch(-1)
        .with_topics(vec![FetchTopic::default()
            .with_topic(topic_name(&layout.topic))
            .with_partitions(
                offsets
                    .iter()
                    .map(|(p, offset)| {
                        FetchPartition::default()
                            .with_partition(*p)
                            .with_fetch_offset(*offset)
                            .with_partition_max_bytes(partition_max_bytes)
                    })
                    .collect(),
            )])
}

/// Reads `partitions` of one leader up to `ends`; (records, bytes).
async fn drain(
    leader: String,
    layout: Layout,
    versions: Versions,
    ends: BTreeMap<i32, i64>,
    args: ConsumeArgs,
    deadline: Instant,
) -> Result<(u64, u64), BenchError> {
    let mut connection = Connection::connect(&leader).await?;
    let mut offsets: BTreeMap<i32, i64> = ends.keys().map(|p| (*p, 0)).collect();
    let (mut records, mut bytes) = (0u64, 0u64);
    loop {
        offsets.retain(|p, offset| *offset < ends[p]);
        if offsets.is_empty() {
            return Ok((records, bytes));
        }
        if Instant::now() > deadline {
            return Err(BenchError::Usage("consume timed out".into()));
        }
        let request = fetch_request(
            &layout,
            &offsets,
            args.fetch_max_bytes,
            args.partition_max_bytes,
            500,
        );
        let frame = encode(versions.of(ApiKey::Fetch), &request)?;
        connection.write(&frame).await?;
        connection.flush().await?;
        let answer = connection.read::<FetchRequest>(&frame).await?;
        check(answer.error_code, || "Fetch".into())?;
        for topic in &answer.responses {
            for p in &topic.partitions {
                check(p.error_code, || {
                    format!("Fetch partition {}", p.partition_index)
                })?;
                let Some(data) = &p.records else { continue };
                let (n, b, next) = scan_batches(data);
                records += n;
                bytes += b;
                if let (Some(next), Some(offset)) = (next, offsets.get_mut(&p.partition_index)) {
                    *offset = next.max(*offset);
                } else if let Some(offset) = offsets.get_mut(&p.partition_index) {
                    // Nothing readable here (e.g. the start was deleted):
                    // go on from the partition's start.
                    *offset = (*offset).max(p.log_start_offset);
                }
            }
        }
    }
}

pub async fn run(args: ConsumeArgs) -> Result<Report, BenchError> {
    let (versions, layout) = cluster::prepare(&args.common).await?;
    let ends = cluster::end_offsets(&layout, &versions).await?;
    let before = args.common.broker_pid.and_then(ProcSample::take);
    let deadline = Instant::now() + Duration::from_secs_f64(args.timeout_seconds);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (leader, partitions) in layout.by_leader() {
        let mine = partitions
            .iter()
            .map(|p| (*p, ends.get(p).copied().unwrap_or(0)))
            .collect();
        tasks.spawn(drain(
            leader,
            layout.clone(),
            versions.clone(),
            mine,
            args.clone(),
            deadline,
        ));
    }
    let (mut records, mut bytes) = (0, 0);
    while let Some(done) = tasks.join_next().await {
        let (r, b) =
            done.map_err(|e| BenchError::Protocol(format!("a fetch task failed: {e}")))??;
        records += r;
        bytes += b;
    }
    let elapsed = started.elapsed();
    let mut report = Report::new("consume");
    report.set("topic", json!(layout.topic));
    report.set("partitions", json!(layout.leaders.len()));
    report.throughput(records, bytes, elapsed);
    report.broker(args.common.broker_pid, before, bytes);
    Ok(report)
}
