//! Metadata (key 3): brokers, cluster id, controller, topics and partitions.
//!
//! Every client starts here and comes back whenever something moves. Broker
//! addresses are those of the listener the request arrived on. Unknown topics
//! are created when the broker allows it and the client asks for it (always
//! before v4, by `allow_auto_topic_creation` from v4), as Kafka does; a name
//! that is not a legal topic name is INVALID_TOPIC_EXCEPTION.
//!
//! Topics may be named by id from v12: if any entry carries an id, the ids
//! are answered and the names ignored, an unknown id with UNKNOWN_TOPIC_ID
//! and a null name. v10 and v11 carry the id field but Kafka refuses ids
//! (and null names) in them: the whole request gets INVALID_REQUEST, each
//! entry echoed, no brokers, as Kafka's error response has it.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{ApiKey, BrokerId, MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use crate::cluster::{names, Cluster, Topic};
use crate::protocol::error_codes::for_cluster;
use crate::protocol::{Handler, Outcome, RequestContext, OPERATIONS_NOT_REQUESTED};
use crate::storage::LEADER_EPOCH;

pub struct Api;

/// Operations on a topic with no authorizer: all of them (READ, WRITE,
/// CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS).
const TOPIC_OPERATIONS: i32 = bits(&[3, 4, 5, 6, 7, 8, 10, 11]);
/// Cluster operations (CREATE, ALTER, DESCRIBE, CLUSTER_ACTION,
/// DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE).
pub(crate) const CLUSTER_OPERATIONS: i32 = bits(&[5, 7, 8, 9, 10, 11, 12]);

const fn bits(operations: &[i32]) -> i32 {
    let mut mask = 0;
    let mut i = 0;
    while i < operations.len() {
        mask |= 1 << operations[i];
        i += 1;
    }
    mask
}

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

/// A topic the way Metadata describes it.
pub(crate) fn describe_topic(
    cluster: &Cluster,
    topic: &Topic,
    operations: i32,
) -> MetadataResponseTopic {
    let partitions = (0..topic.partition_count())
        .map(|p| {
            let replicas: Vec<BrokerId> = cluster
                .partition_replicas(topic, p)
                .into_iter()
                .map(BrokerId)
                .collect();
            MetadataResponsePartition::default()
                .with_partition_index(p)
                .with_leader_id(replicas.first().copied().unwrap_or(BrokerId(-1)))
                .with_leader_epoch(LEADER_EPOCH)
                .with_isr_nodes(replicas.clone())
                .with_replica_nodes(replicas)
        })
        .collect();
    MetadataResponseTopic::default()
        .with_name(Some(name(&topic.name)))
        .with_topic_id(topic.id)
        .with_is_internal(topic.internal)
        .with_partitions(partitions)
        .with_topic_authorized_operations(operations)
}

fn topic_error(topic: Option<&str>, id: Uuid, error: ResponseError) -> MetadataResponseTopic {
    MetadataResponseTopic::default()
        .with_name(topic.map(name))
        .with_topic_id(id)
        .with_error_code(error.code())
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::Metadata;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 13;
    type Request = MetadataRequest;
    type Response = MetadataResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: MetadataRequest,
    ) -> Outcome<MetadataResponse> {
        let state = ctx.state;
        let cluster = &state.cluster;
        let version = ctx.api_version;
        if let Some(refusal) = ids_before_v12(ctx, &request) {
            return Outcome::Respond(refusal);
        }
        let topic_ops = if request.include_topic_authorized_operations {
            TOPIC_OPERATIONS
        } else {
            OPERATIONS_NOT_REQUESTED
        };
        let brokers = cluster
            .endpoints(ctx.listener)
            .map(|(node_id, e)| {
                MetadataResponseBroker::default()
                    .with_node_id(BrokerId(node_id))
                    .with_host(StrBytes::from_string(e.host.clone()))
                    .with_port(i32::from(e.port))
            })
            .collect();

        let all_topics = match &request.topics {
            None => true,
            // v0 had no null: an empty list meant every topic.
            Some(list) => list.is_empty() && version == 0,
        };
        let by_id = request
            .topics
            .iter()
            .flatten()
            .any(|t| !t.topic_id.is_nil());
        let topics = if all_topics {
            cluster
                .topics()
                .iter()
                .map(|t| describe_topic(cluster, t, topic_ops))
                .collect()
        } else if by_id {
            let mut seen = std::collections::HashSet::new();
            request
                .topics
                .iter()
                .flatten()
                .map(|t| t.topic_id)
                .filter(|id| !id.is_nil() && seen.insert(*id))
                .map(|id| match cluster.topic_by_id(&id) {
                    Some(t) => describe_topic(cluster, &t, topic_ops),
                    None => topic_error(None, id, ResponseError::UnknownTopicId),
                })
                .collect()
        } else {
            let auto_create = state
                .config
                .auto_create_topics
                .for_metadata(version < 4 || request.allow_auto_topic_creation);
            let mut seen = std::collections::HashSet::new();
            let mut topics = Vec::new();
            for wanted in request.topics.iter().flatten() {
                let Some(topic) = &wanted.name else { continue };
                if seen.insert(topic.0.to_string()) {
                    topics.push(lookup_by_name(cluster, topic, auto_create, topic_ops));
                }
            }
            topics
        };

        // Cluster operations moved to DescribeCluster after v10.
        let cluster_ops =
            if request.include_cluster_authorized_operations && (8..=10).contains(&version) {
                CLUSTER_OPERATIONS
            } else {
                OPERATIONS_NOT_REQUESTED
            };
        Outcome::Respond(
            MetadataResponse::default()
                .with_brokers(brokers)
                .with_cluster_id(Some(StrBytes::from_string(
                    cluster.cluster_id().to_string(),
                )))
                .with_controller_id(BrokerId(cluster.controller_id()))
                .with_topics(topics)
                .with_cluster_authorized_operations(cluster_ops),
        )
    }
}

/// Kafka's answer to topic ids or null names before v12: INVALID_REQUEST
/// for the whole request, every entry echoed with the error.
fn ids_before_v12(ctx: &RequestContext<'_>, request: &MetadataRequest) -> Option<MetadataResponse> {
    if ctx.api_version >= 12 {
        return None;
    }
    let topics = request.topics.as_ref()?;
    let offending = topics
        .iter()
        .any(|t| !t.topic_id.is_nil() || t.name.is_none());
    if !offending {
        return None;
    }
    let reason = format!(
        "Topic IDs are not supported in requests for version {}",
        ctx.api_version
    );
    ctx.refused(Api::KEY, ResponseError::InvalidRequest, &reason);
    let topics = topics
        .iter()
        .map(|t| {
            let echoed = t.name.clone().unwrap_or_default();
            topic_error(Some(&echoed.0), t.topic_id, ResponseError::InvalidRequest)
        })
        .collect();
    Some(
        MetadataResponse::default()
            .with_controller_id(BrokerId(-1))
            .with_cluster_id(None)
            .with_topics(topics),
    )
}

fn lookup_by_name(
    cluster: &Cluster,
    topic: &TopicName,
    auto_create: bool,
    ops: i32,
) -> MetadataResponseTopic {
    let topic_name: &str = &topic.0;
    if let Some(t) = cluster.topic(topic_name) {
        return describe_topic(cluster, &t, ops);
    }
    if names::invalid_reason(topic_name).is_some() {
        return topic_error(
            Some(topic_name),
            Uuid::nil(),
            ResponseError::InvalidTopicException,
        );
    }
    if !auto_create {
        return topic_error(
            Some(topic_name),
            Uuid::nil(),
            ResponseError::UnknownTopicOrPartition,
        );
    }
    match cluster.auto_create(topic_name) {
        Ok(t) => describe_topic(cluster, &t, ops),
        Err(e) => topic_error(Some(topic_name), Uuid::nil(), for_cluster(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_masks_match_kafkas_acl_codes() {
        assert_eq!(TOPIC_OPERATIONS, 0b1101_1111_1000);
        assert_eq!(CLUSTER_OPERATIONS, 0b1_1111_1010_0000);
    }
}
