//! DescribeLogDirs (key 35): klamm's one log directory with each
//! partition's size. Every partition is current (offset lag 0) and none is
//! a future replica being moved. From v4 the filesystem's total and usable
//! bytes are reported (statvfs); from v5 whether the directory is cordoned
//! (never: see `protocol/newer`).
//!
//! A broker that keeps everything in memory has no directory: it reports
//! one named `<in-memory>` with the sizes of its in-memory logs and -1 for
//! the filesystem numbers, which Kafka uses for "unknown".

use std::path::Path;

use kafka_protocol::messages::describe_log_dirs_request::DescribableLogDirTopic;
use kafka_protocol::messages::describe_log_dirs_response::{
    DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic,
};
use kafka_protocol::messages::{
    ApiKey, DescribeLogDirsRequest, DescribeLogDirsResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use crate::cluster::{Cluster, Topic};
use crate::protocol::newer::Newer;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

const IN_MEMORY: &str = "<in-memory>";

/// (total, usable) bytes of the filesystem holding `dir`.
fn filesystem_bytes(dir: &Path) -> Option<(i64, i64)> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `path` is a NUL-terminated string and `stats` is written by
    // statvfs before it is read, which happens only when the call succeeds.
    let stats = unsafe {
        if libc::statvfs(path.as_ptr(), stats.as_mut_ptr()) != 0 {
            return None;
        }
        stats.assume_init()
    };
    let block = stats.f_frsize as u64;
    let total = (stats.f_blocks as u64).saturating_mul(block);
    let usable = (stats.f_bavail as u64).saturating_mul(block);
    Some((i64::try_from(total).ok()?, i64::try_from(usable).ok()?))
}

/// The partitions of `topic` that broker `node_id` holds a replica of (in a
/// simulated cluster each broker reports its own replicas, as Kafka's do).
fn partitions(
    cluster: &Cluster,
    node_id: i32,
    topic: &Topic,
    wanted: Option<&[i32]>,
) -> Vec<DescribeLogDirsPartition> {
    topic
        .partitions()
        .iter()
        .enumerate()
        .filter(|(index, _)| wanted.is_none_or(|w| w.contains(&(*index as i32))))
        .filter(|(index, _)| {
            cluster
                .partition_replicas(topic, *index as i32)
                .contains(&node_id)
        })
        .filter_map(|(index, log)| {
            // A partition deleted meanwhile is simply not there any more.
            let size = log.size_bytes().ok()?;
            Some(
                DescribeLogDirsPartition::default()
                    .with_partition_index(index as i32)
                    .with_partition_size(i64::try_from(size).unwrap_or(i64::MAX))
                    .with_offset_lag(0)
                    .with_is_future_key(false),
            )
        })
        .collect()
}

/// The topics asked for (all when the filter is null); unknown topics and
/// partitions are left out, as Kafka does.
fn topics(
    cluster: &Cluster,
    node_id: i32,
    filter: Option<&[DescribableLogDirTopic]>,
) -> Vec<DescribeLogDirsTopic> {
    let chosen: Vec<_> = match filter {
        None => cluster.topics().into_iter().map(|t| (t, None)).collect(),
        Some(filter) => filter
            .iter()
            .filter_map(|f| {
                cluster
                    .topic(&f.topic.0)
                    .map(|t| (t, Some(f.partitions.as_slice())))
            })
            .collect(),
    };
    chosen
        .into_iter()
        .filter_map(|(topic, wanted)| {
            let partitions = partitions(cluster, node_id, &topic, wanted);
            (!partitions.is_empty()).then(|| {
                DescribeLogDirsTopic::default()
                    .with_name(TopicName(StrBytes::from_string(topic.name.clone())))
                    .with_partitions(partitions)
            })
        })
        .collect()
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::DescribeLogDirs;
    const MIN_VERSION: i16 = 1;
    const MAX_VERSION: i16 = 5;
    type Request = Newer<DescribeLogDirsRequest>;
    type Response = Newer<DescribeLogDirsResponse>;

    async fn handle(
        ctx: &RequestContext<'_>,
        Newer(request): Newer<DescribeLogDirsRequest>,
    ) -> Outcome<Newer<DescribeLogDirsResponse>> {
        let cluster = &ctx.state.cluster;
        let dir = cluster
            .data_dir()
            .map(|d| std::path::absolute(&d).unwrap_or(d));
        let name = dir
            .as_ref()
            .map_or_else(|| IN_MEMORY.to_string(), |d| d.display().to_string());
        let mut result = DescribeLogDirsResult::default()
            .with_log_dir(StrBytes::from_string(name))
            .with_topics(topics(cluster, ctx.node_id, request.topics.as_deref()));
        // The filesystem numbers exist from v4 (-1, their default, before).
        if ctx.api_version >= 4 {
            if let Some((total, usable)) = dir.as_deref().and_then(filesystem_bytes) {
                result = result.with_total_bytes(total).with_usable_bytes(usable);
            }
        }
        Outcome::Respond(Newer(
            DescribeLogDirsResponse::default().with_results(vec![result]),
        ))
    }
}
