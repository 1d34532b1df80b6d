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

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::select_all;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::{ApiKey, FetchRequest, FetchResponse};
use tokio::sync::futures::Notified;
use tokio::time::Instant;

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
}

/// A response built from one pass over the targets.
struct Pass {
    topics: Vec<FetchableTopicResponse>,
    bytes: usize,
    errors: bool,
}

fn failed(partition: i32, error: ResponseError) -> PartitionData {
    PartitionData::default()
        .with_partition_index(partition)
        .with_error_code(error.code())
        .with_high_watermark(-1)
}

fn read_partition(
    target: &Target,
    budget: &mut usize,
    min_one: &mut bool,
) -> (PartitionData, bool) {
    let log = match &target.log {
        Ok(log) => log,
        Err(error) => return (failed(target.partition, *error), true),
    };
    if let Some(error) = target.leader_epoch_error {
        return (failed(target.partition, error), true);
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
                .with_records(Some(read.records));
            (data, false)
        }
        Err(e) => (failed(target.partition, for_storage(&e)), true),
    }
}

fn read_all(
    topics: &[(kafka_protocol::messages::TopicName, Vec<Target>)],
    max_bytes: usize,
) -> Pass {
    let mut budget = max_bytes;
    let mut min_one = true;
    let mut pass = Pass {
        topics: Vec::with_capacity(topics.len()),
        bytes: 0,
        errors: false,
    };
    for (name, targets) in topics {
        let mut partitions = Vec::with_capacity(targets.len());
        for target in targets {
            let (data, error) = read_partition(target, &mut budget, &mut min_one);
            pass.bytes += data.records.as_ref().map_or(0, |r| r.len());
            pass.errors |= error;
            partitions.push(data);
        }
        pass.topics.push(
            FetchableTopicResponse::default()
                .with_topic(name.clone())
                .with_partitions(partitions),
        );
    }
    pass
}

/// Counts what the response carries on each topic, for `/metrics`.
fn count_fetched(
    topics: &[Option<Arc<crate::cluster::Topic>>],
    responses: &[FetchableTopicResponse],
) {
    for (topic, response) in topics.iter().zip(responses) {
        let Some(topic) = topic else { continue };
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
    const MAX_VERSION: i16 = 12;
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
        let cluster = &ctx.state.cluster;
        let mut counted = Vec::with_capacity(request.topics.len());
        let topics: Vec<_> = request
            .topics
            .iter()
            .map(|t| {
                let topic = cluster.topic(&t.topic.0);
                counted.push(topic.clone());
                let targets: Vec<Target> = t
                    .partitions
                    .iter()
                    .map(|p| Target {
                        partition: p.partition,
                        log: ctx.led_partition(topic.as_deref(), p.partition),
                        fetch_offset: p.fetch_offset,
                        partition_max_bytes: p.partition_max_bytes.max(0) as usize,
                        leader_epoch_error: for_leader_epoch(p.current_leader_epoch, LEADER_EPOCH),
                    })
                    .collect();
                (t.topic.clone(), targets)
            })
            .collect();
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
            .flat_map(|(_, targets)| targets.iter().filter_map(|t| t.log.as_ref().ok()))
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
            let pass = read_all(&topics, max_bytes);
            let done = pass.bytes >= min_bytes.max(1)
                || pass.errors
                || waits.is_empty()
                || Instant::now() >= deadline
                || ctx.state.is_shutting_down();
            if done || min_bytes == 0 {
                count_fetched(&counted, &pass.topics);
                return Outcome::Respond(FetchResponse::default().with_responses(pass.topics));
            }
            tokio::select! {
                _ = select_all(waits) => {}
                _ = tokio::time::sleep_until(deadline) => {}
                _ = crate::state::stopped(&mut shutdown) => {}
            }
        }
    }
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
