//! OffsetCommit (key 8): store a group's consumed positions. Partitions that
//! do not exist and metadata that is too large are refused one by one; the
//! rest is committed together, by a current member of the group or, while
//! the group has no members, by any client (generation -1). From v10 topics
//! are named by id (the request read in `protocol/newer`); an id the cluster
//! does not know is UNKNOWN_TOPIC_ID.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::{ApiKey, OffsetCommitRequest, OffsetCommitResponse};

use crate::group::types::{CommitAuthor, OffsetCommit};
use crate::protocol::error_codes::for_group;
use crate::protocol::newer::Newer;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::OffsetCommit;
    const MIN_VERSION: i16 = 2;
    const MAX_VERSION: i16 = 10;
    type Request = Newer<OffsetCommitRequest>;
    type Response = OffsetCommitResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        Newer(request): Newer<OffsetCommitRequest>,
    ) -> Outcome<OffsetCommitResponse> {
        let cluster = &ctx.state.cluster;
        let by_id = ctx.api_version >= 10;
        let max_metadata = ctx.state.groups.offset_metadata_max_bytes();
        // Per partition: Some(error) already decided, None = to be committed.
        let mut decided: Vec<Vec<Option<ResponseError>>> = Vec::with_capacity(request.topics.len());
        let mut offsets = Vec::new();
        for topic in &request.topics {
            let (known, unknown) = if by_id {
                (
                    cluster.topic_by_id(&topic.topic_id),
                    ResponseError::UnknownTopicId,
                )
            } else {
                (
                    cluster.topic(&topic.name.0),
                    ResponseError::UnknownTopicOrPartition,
                )
            };
            let row = topic
                .partitions
                .iter()
                .map(|p| {
                    let Some(known) = &known else {
                        return Some(unknown);
                    };
                    if !(0..known.partition_count()).contains(&p.partition_index) {
                        return Some(ResponseError::UnknownTopicOrPartition);
                    }
                    if p.committed_metadata
                        .as_ref()
                        .is_some_and(|m| m.len() > max_metadata)
                    {
                        return Some(ResponseError::OffsetMetadataTooLarge);
                    }
                    offsets.push(OffsetCommit {
                        topic: known.name.to_string(),
                        partition: p.partition_index,
                        offset: p.committed_offset,
                        leader_epoch: p.committed_leader_epoch,
                        metadata: p.committed_metadata.as_ref().map(|m| m.to_string()),
                    });
                    None
                })
                .collect();
            decided.push(row);
        }
        let outcome = if offsets.is_empty() {
            None
        } else {
            let author = CommitAuthor {
                generation: request.generation_id_or_member_epoch,
                member_id: request.member_id.to_string(),
                instance_id: request.group_instance_id.as_ref().map(|i| i.to_string()),
            };
            let committed = match ctx.groups() {
                Ok(groups) => groups.commit(&request.group_id.0, author, offsets).await,
                Err(e) => Err(e),
            };
            let result = match committed {
                Ok(Some(durable)) => match durable.await {
                    Ok(Ok(())) => Ok(()),
                    _ => Err(ResponseError::CoordinatorNotAvailable),
                },
                Ok(None) => Ok(()),
                Err(e) => Err(for_group(&e)),
            };
            Some(result)
        };
        let topics = request
            .topics
            .into_iter()
            .zip(decided)
            .map(|(topic, row)| {
                let partitions = topic
                    .partitions
                    .iter()
                    .zip(row)
                    .map(|(p, early)| {
                        let error = early.or(outcome.and_then(Result::err));
                        OffsetCommitResponsePartition::default()
                            .with_partition_index(p.partition_index)
                            .with_error_code(error.map_or(0, |e| e.code()))
                    })
                    .collect();
                let response = OffsetCommitResponseTopic::default().with_partitions(partitions);
                if by_id {
                    response.with_topic_id(topic.topic_id)
                } else {
                    response.with_name(topic.name)
                }
            })
            .collect();
        Outcome::Respond(OffsetCommitResponse::default().with_topics(topics))
    }
}
