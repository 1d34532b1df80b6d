//! Fetch (key 1): whole batches from each requested partition, long-polled.
//!
//! A fetch that finds fewer than `min_bytes` waits on the "new data"
//! notification of every partition it asked for, until enough arrived or
//! `max_wait_ms` passed — never in a sleep loop. `max_bytes` bounds the
//! response and `partition_max_bytes` each partition, except that the first
//! batch found is always returned so a consumer can get past a large one.
//!
//! Fetch sessions (KIP-227) are declined: every response carries session id
//! 0, so clients keep sending full fetch requests. A single local broker
//! gains little from incremental fetches, and a declined session is a path
//! every client implements. A request naming a session klamm never created
//! gets FETCH_SESSION_ID_NOT_FOUND, and the client starts over.
//!
//! From v13 topics are named by id (an id the cluster does not know is
//! UNKNOWN_TOPIC_ID); from v16 a partition led by another broker of a
//! simulated cluster is answered with its leader (KIP-951). A partition
//! named twice is fetched once, with the last entry's position, as Kafka's
//! request map keeps it. klamm has no transactions, so there are never
//! aborted transactions to list: the list is null under read_uncommitted
//! and empty under read_committed, as Kafka sends them.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::select_all;
use indexmap::IndexMap;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::fetch_request::FetchPartition;
use kafka_protocol::messages::fetch_response::{
    FetchableTopicResponse, LeaderIdAndEpoch, NodeEndpoint, PartitionData,
};
use kafka_protocol::messages::{ApiKey, BrokerId, FetchRequest, FetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::futures::Notified;
use tokio::time::Instant;
use uuid::Uuid;

use super::leader_hints::LeaderHints;
use crate::cluster::Topic;
use crate::protocol::error_codes::{for_leader_epoch, for_storage};
use crate::protocol::{Handler, Outcome, RequestContext};
use crate::storage::{PartitionLog, LEADER_EPOCH};

pub struct Api;

/// One requested partition, resolved to its log.
struct Target {
    partition: i32,
    log: Result<Arc<PartitionLog>, ResponseError>,
    fetch_offset: i64,
    partition_max_bytes: usize,
    leader_epoch_error: Option<ResponseError>,
    /// KIP-951: the leader, when this broker is not it.
    current_leader: Option<(i32, i32)>,
}

/// A requested topic: how the request named it and what it names.
struct Requested {
    name: TopicName,
    id: Uuid,
    topic: Option<Arc<Topic>>,
    targets: Vec<Target>,
}

/// A response built from one pass over the targets.
struct Pass {
    topics: Vec<FetchableTopicResponse>,
    bytes: usize,
    errors: bool,
}

fn failed(target: &Target, error: ResponseError) -> PartitionData {
    // Kafka answers a partition its metadata does not know before reading,
    // with the field's default (an empty list), and read errors with null.
    let unknown = matches!(
        error,
        ResponseError::UnknownTopicOrPartition | ResponseError::UnknownTopicId
    );
    let data = PartitionData::default()
        .with_partition_index(target.partition)
        .with_error_code(error.code())
        .with_high_watermark(-1)
        .with_aborted_transactions(unknown.then(Vec::new));
    match target.current_leader {
        Some((leader, epoch)) => data.with_current_leader(
            LeaderIdAndEpoch::default()
                .with_leader_id(BrokerId(leader))
                .with_leader_epoch(epoch),
        ),
        None => data,
    }
}

fn read_partition(
    target: &Target,
    budget: &mut usize,
    min_one: &mut bool,
    read_committed: bool,
) -> (PartitionData, bool) {
    let log = match &target.log {
        Ok(log) => log,
        Err(error) => return (failed(target, *error), true),
    };
    if let Some(error) = target.leader_epoch_error {
        return (failed(target, error), true);
    }
    let limit = target.partition_max_bytes.min(*budget);
    match log.read(target.fetch_offset, limit, *min_one) {
        Ok(read) => {
            if !read.records.is_empty() {
                *min_one = false;
                *budget = budget.saturating_sub(read.records.len());
            }
            let data = PartitionData::default()
                .with_partition_index(target.partition)
                .with_high_watermark(read.high_watermark)
                .with_last_stable_offset(read.high_watermark)
                .with_log_start_offset(read.log_start_offset)
                .with_aborted_transactions(read_committed.then(Vec::new))
                .with_records(Some(read.records));
            (data, false)
        }
        Err(e) => (failed(target, for_storage(&e)), true),
    }
}

fn read_all(topics: &[Requested], max_bytes: usize, by_id: bool, read_committed: bool) -> Pass {
    let mut budget = max_bytes;
    let mut min_one = true;
    let mut pass = Pass {
        topics: Vec::with_capacity(topics.len()),
        bytes: 0,
        errors: false,
    };
    for requested in topics {
        let mut partitions = Vec::with_capacity(requested.targets.len());
        for target in &requested.targets {
            let (data, error) = read_partition(target, &mut budget, &mut min_one, read_committed);
            pass.bytes += data.records.as_ref().map_or(0, |r| r.len());
            pass.errors |= error;
            partitions.push(data);
        }
        let response = FetchableTopicResponse::default().with_partitions(partitions);
        pass.topics.push(if by_id {
            response.with_topic_id(requested.id)
        } else {
            response.with_topic(requested.name.clone())
        });
    }
    pass
}

/// Counts what the response carries on each topic, for `/metrics`.
fn count_fetched(topics: &[Requested], responses: &[FetchableTopicResponse]) {
    for (requested, response) in topics.iter().zip(responses) {
        let Some(topic) = &requested.topic else {
            continue;
        };
        for partition in &response.partitions {
            if let Some(records) = &partition.records {
                topic.traffic.fetched(records);
            }
        }
    }
}

fn session_error(request: &FetchRequest) -> Option<ResponseError> {
    if request.session_id != 0 {
        return Some(ResponseError::FetchSessionIdNotFound);
    }
    // Epoch 0 asks for a new session (declined); -1 fetches without one.
    if request.session_epoch != 0 && request.session_epoch != -1 {
        return Some(ResponseError::InvalidFetchSessionEpoch);
    }
    None
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::Fetch;
    const MIN_VERSION: i16 = 4;
    const MAX_VERSION: i16 = 18;
    const MAY_WAIT: bool = true;
    type Request = FetchRequest;
    type Response = FetchResponse;

    fn payloads(response: &FetchResponse) -> Vec<Bytes> {
        response
            .responses
            .iter()
            .flat_map(|topic| &topic.partitions)
            .filter_map(|partition| partition.records.clone())
            .collect()
    }

    async fn handle(ctx: &RequestContext<'_>, request: FetchRequest) -> Outcome<FetchResponse> {
        if let Some(error) = session_error(&request) {
            return Outcome::Respond(FetchResponse::default().with_error_code(error.code()));
        }
        let by_id = ctx.api_version >= 13;
        let read_committed = request.isolation_level == 1;
        let mut hints = LeaderHints::default();
        let topics = targets(ctx, request.topics, by_id, &mut hints);
        let max_bytes: usize = if request.max_bytes > 0 {
            request.max_bytes as usize
        } else {
            usize::MAX
        };
        let min_bytes = request.min_bytes.max(0) as usize;
        let deadline = Instant::now() + Duration::from_millis(request.max_wait_ms.max(0) as u64);
        let mut shutdown = ctx.state.shutdown_signal();
        let logs: Vec<&Arc<PartitionLog>> = topics
            .iter()
            .flat_map(|t| t.targets.iter().filter_map(|t| t.log.as_ref().ok()))
            .collect();
        let node_endpoints: Vec<NodeEndpoint> = hints
            .into_nodes()
            .map(|(id, host, port)| {
                NodeEndpoint::default()
                    .with_node_id(BrokerId(id))
                    .with_host(StrBytes::from_string(host))
                    .with_port(port)
            })
            .collect();
        loop {
            // Listen before looking, so data appended in between still wakes us.
            let mut waits: Vec<Pin<Box<Notified<'_>>>> = logs
                .iter()
                .map(|log| Box::pin(log.new_data().notified()))
                .collect();
            for wait in &mut waits {
                wait.as_mut().enable();
            }
            let pass = read_all(&topics, max_bytes, by_id, read_committed);
            let done = pass.bytes >= min_bytes.max(1)
                || pass.errors
                || waits.is_empty()
                || Instant::now() >= deadline
                || ctx.state.is_shutting_down();
            if done || min_bytes == 0 {
                count_fetched(&topics, &pass.topics);
                return Outcome::Respond(
                    FetchResponse::default()
                        .with_responses(pass.topics)
                        .with_node_endpoints(node_endpoints),
                );
            }
            tokio::select! {
                _ = select_all(waits) => {}
                _ = tokio::time::sleep_until(deadline) => {}
                _ = crate::state::stopped(&mut shutdown) => {}
            }
        }
    }
}

/// The requested partitions, resolved to their logs once for the whole
/// long poll. Entries for the same topic and partition collapse into one,
/// with the last entry's fields, where the first stood.
fn targets(
    ctx: &RequestContext<'_>,
    requested: Vec<kafka_protocol::messages::fetch_request::FetchTopic>,
    by_id: bool,
    hints: &mut LeaderHints,
) -> Vec<Requested> {
    let cluster = &ctx.state.cluster;
    let mut wanted: IndexMap<(TopicName, Uuid), IndexMap<i32, FetchPartition>> = IndexMap::new();
    for topic in requested {
        let partitions = wanted.entry((topic.topic, topic.topic_id)).or_default();
        for p in topic.partitions {
            partitions.insert(p.partition, p);
        }
    }
    wanted
        .into_iter()
        .map(|((name, id), partitions)| {
            let topic = if by_id {
                cluster.topic_by_id(&id)
            } else {
                cluster.topic(&name.0)
            };
            let targets = partitions
                .into_values()
                .map(|p| {
                    let log = match (&topic, by_id) {
                        (None, true) => Err(ResponseError::UnknownTopicId),
                        _ => ctx.led_partition(topic.as_deref(), p.partition),
                    };
                    let leader_epoch_error = for_leader_epoch(p.current_leader_epoch, LEADER_EPOCH);
                    let moved = matches!(log, Err(ResponseError::NotLeaderOrFollower))
                        || leader_epoch_error == Some(ResponseError::FencedLeaderEpoch);
                    let current_leader = match &topic {
                        Some(topic) if moved && ctx.api_version >= 16 => {
                            Some(hints.leader(ctx, topic, p.partition))
                        }
                        _ => None,
                    };
                    Target {
                        partition: p.partition,
                        log,
                        fetch_offset: p.fetch_offset,
                        partition_max_bytes: p.partition_max_bytes.max(0) as usize,
                        leader_epoch_error,
                        current_leader,
                    }
                })
                .collect();
            Requested {
                name,
                id,
                topic,
                targets,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_declined_and_unknown_ones_reported() {
        let mut request = FetchRequest::default();
        request.session_epoch = 0;
        assert_eq!(session_error(&request), None);
        request.session_epoch = -1;
        assert_eq!(session_error(&request), None);
        request.session_epoch = 5;
        assert_eq!(
            session_error(&request),
            Some(ResponseError::InvalidFetchSessionEpoch)
        );
        request.session_id = 77;
        assert_eq!(
            session_error(&request),
            Some(ResponseError::FetchSessionIdNotFound)
        );
    }
}
