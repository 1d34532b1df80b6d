//! OffsetFetch (key 9): a group's committed offsets, for the partitions asked
//! for or (topics = null, v2+) all of them; from v8 for many groups at once.
//! A partition without a committed offset gets offset -1 and no error.
//! From v10 topics are named by id (the request read in `protocol/newer`);
//! an id the cluster does not know is UNKNOWN_TOPIC_ID.

use std::collections::BTreeMap;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopics;
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{ApiKey, OffsetFetchRequest, OffsetFetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use crate::cluster::Cluster;
use crate::group::store::Committed;
use crate::protocol::error_codes::for_group;
use crate::protocol::newer::Newer;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

/// (partition, committed) rows per topic, in request order or sorted.
type Rows = Vec<(String, Vec<(i32, Option<Committed>)>)>;

fn rows(
    committed: BTreeMap<(String, i32), Committed>,
    wanted: Option<Vec<(String, Vec<i32>)>>,
) -> Rows {
    match wanted {
        Some(topics) => topics
            .into_iter()
            .map(|(topic, partitions)| {
                let found = partitions
                    .into_iter()
                    .map(|p| (p, committed.get(&(topic.clone(), p)).cloned()))
                    .collect();
                (topic, found)
            })
            .collect(),
        None => {
            let mut by_topic: Rows = Vec::new();
            for ((topic, partition), c) in committed {
                match by_topic.last_mut() {
                    Some((t, parts)) if *t == topic => parts.push((partition, Some(c))),
                    _ => by_topic.push((topic, vec![(partition, Some(c))])),
                }
            }
            by_topic
        }
    }
}

/// (offset, leader epoch, metadata) as the response carries them.
fn values(committed: Option<Committed>) -> (i64, i32, StrBytes) {
    match committed {
        Some(c) => (
            c.offset,
            c.leader_epoch,
            StrBytes::from_string(c.metadata.unwrap_or_default()),
        ),
        None => (-1, -1, StrBytes::default()),
    }
}

/// The response topics in either shape (v1-7 and v8+ use different types
/// with the same fields).
macro_rules! response_topics {
    ($rows:expr, $topic:ident, $partition:ident) => {
        $rows
            .into_iter()
            .map(|(topic, partitions)| {
                let partitions = partitions
                    .into_iter()
                    .map(|(p, c)| {
                        let (offset, epoch, metadata) = values(c);
                        $partition::default()
                            .with_partition_index(p)
                            .with_committed_offset(offset)
                            .with_committed_leader_epoch(epoch)
                            .with_metadata(Some(metadata))
                    })
                    .collect();
                $topic::default()
                    .with_name(TopicName(StrBytes::from_string(topic)))
                    .with_partitions(partitions)
            })
            .collect()
    };
}

/// The requested (topic, partitions), or `None` for all of them.
macro_rules! wanted {
    ($topics:expr) => {
        $topics.map(|topics| {
            topics
                .into_iter()
                .map(|t| (t.name.0.to_string(), t.partition_indexes))
                .collect()
        })
    };
}

/// A v10 group's topics, named by id: the ids are resolved to names to read
/// the committed offsets and written back as they came; an id the cluster
/// does not know gets UNKNOWN_TOPIC_ID for each partition asked for.
fn topics_by_id(
    cluster: &Cluster,
    committed: BTreeMap<(String, i32), Committed>,
    wanted: Option<Vec<OffsetFetchRequestTopics>>,
) -> Vec<OffsetFetchResponseTopics> {
    let Some(wanted) = wanted else {
        let rows = rows(committed, None);
        let ids: Vec<Uuid> = rows
            .iter()
            .map(|(name, _)| cluster.topic(name).map_or(Uuid::nil(), |t| t.id))
            .collect();
        let topics: Vec<OffsetFetchResponseTopics> = response_topics!(
            rows,
            OffsetFetchResponseTopics,
            OffsetFetchResponsePartitions
        );
        return topics
            .into_iter()
            .zip(ids)
            .map(|(topic, id)| topic.with_name(TopicName::default()).with_topic_id(id))
            .collect();
    };
    wanted
        .into_iter()
        .map(|wanted| {
            let id = wanted.topic_id;
            let Some(topic) = cluster.topic_by_id(&id) else {
                let partitions = wanted
                    .partition_indexes
                    .into_iter()
                    .map(|p| {
                        let (offset, epoch, metadata) = values(None);
                        OffsetFetchResponsePartitions::default()
                            .with_partition_index(p)
                            .with_committed_offset(offset)
                            .with_committed_leader_epoch(epoch)
                            .with_metadata(Some(metadata))
                            .with_error_code(ResponseError::UnknownTopicId.code())
                    })
                    .collect();
                return OffsetFetchResponseTopics::default()
                    .with_topic_id(id)
                    .with_partitions(partitions);
            };
            let rows = rows(
                committed.clone(),
                Some(vec![(topic.name.clone(), wanted.partition_indexes)]),
            );
            let topics: Vec<OffsetFetchResponseTopics> = response_topics!(
                rows,
                OffsetFetchResponseTopics,
                OffsetFetchResponsePartitions
            );
            topics
                .into_iter()
                .next()
                .unwrap_or_default()
                .with_name(TopicName::default())
                .with_topic_id(id)
        })
        .collect()
}

/// The answer of a broker that does not coordinate groups: the error where
/// each version carries it (per partition in v1, per request in v2-7, per
/// group from v8).
fn not_coordinator(
    version: i16,
    request: OffsetFetchRequest,
    error: ResponseError,
) -> OffsetFetchResponse {
    if version >= 8 {
        let groups = request
            .groups
            .into_iter()
            .map(|g| {
                OffsetFetchResponseGroup::default()
                    .with_group_id(g.group_id)
                    .with_error_code(error.code())
            })
            .collect();
        return OffsetFetchResponse::default().with_groups(groups);
    }
    if version >= 2 {
        return OffsetFetchResponse::default().with_error_code(error.code());
    }
    let topics = request
        .topics
        .unwrap_or_default()
        .into_iter()
        .map(|t| {
            let partitions = t
                .partition_indexes
                .into_iter()
                .map(|p| {
                    OffsetFetchResponsePartition::default()
                        .with_partition_index(p)
                        .with_committed_offset(-1)
                        .with_error_code(error.code())
                })
                .collect();
            OffsetFetchResponseTopic::default()
                .with_name(t.name)
                .with_partitions(partitions)
        })
        .collect();
    OffsetFetchResponse::default().with_topics(topics)
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::OffsetFetch;
    const MIN_VERSION: i16 = 1;
    const MAX_VERSION: i16 = 10;
    type Request = Newer<OffsetFetchRequest>;
    type Response = OffsetFetchResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        Newer(request): Newer<OffsetFetchRequest>,
    ) -> Outcome<OffsetFetchResponse> {
        let groups = match ctx.groups() {
            Ok(groups) => groups,
            Err(e) => {
                return Outcome::Respond(not_coordinator(ctx.api_version, request, for_group(&e)))
            }
        };
        if ctx.api_version < 8 {
            let rows = rows(
                groups.committed(&request.group_id.0),
                wanted!(request.topics),
            );
            let topics =
                response_topics!(rows, OffsetFetchResponseTopic, OffsetFetchResponsePartition);
            return Outcome::Respond(OffsetFetchResponse::default().with_topics(topics));
        }
        let results = request
            .groups
            .into_iter()
            .map(|group| {
                if ctx.api_version >= 10 {
                    let committed = groups.committed(&group.group_id.0);
                    let topics = topics_by_id(&ctx.state.cluster, committed, group.topics);
                    return OffsetFetchResponseGroup::default()
                        .with_group_id(group.group_id)
                        .with_topics(topics);
                }
                let rows = rows(groups.committed(&group.group_id.0), wanted!(group.topics));
                let topics = response_topics!(
                    rows,
                    OffsetFetchResponseTopics,
                    OffsetFetchResponsePartitions
                );
                OffsetFetchResponseGroup::default()
                    .with_group_id(group.group_id)
                    .with_topics(topics)
            })
            .collect();
        Outcome::Respond(OffsetFetchResponse::default().with_groups(results))
    }
}
