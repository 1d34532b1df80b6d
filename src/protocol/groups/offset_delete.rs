//! OffsetDelete (key 47): delete some committed offsets of a group, except
//! for topics its members still subscribe to.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{ApiKey, OffsetDeleteRequest, OffsetDeleteResponse};

use crate::protocol::error_codes::{for_group, group_code};
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::OffsetDelete;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 0;
    type Request = OffsetDeleteRequest;
    type Response = OffsetDeleteResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: OffsetDeleteRequest,
    ) -> Outcome<OffsetDeleteResponse> {
        let cluster = &ctx.state.cluster;
        let mut known = Vec::new();
        for topic in &request.topics {
            let exists = cluster.topic(&topic.name.0);
            for p in &topic.partitions {
                if exists
                    .as_ref()
                    .is_some_and(|t| (0..t.partition_count()).contains(&p.partition_index))
                {
                    known.push((topic.name.0.to_string(), p.partition_index));
                }
            }
        }
        let deleted = match ctx.groups() {
            Ok(groups) => {
                groups
                    .delete_offsets(&request.group_id.0, known.clone())
                    .await
            }
            Err(e) => Err(e),
        };
        let mut results = match deleted {
            Ok(results) => known.into_iter().zip(results).collect::<Vec<_>>(),
            Err(error) => {
                return Outcome::Respond(
                    OffsetDeleteResponse::default().with_error_code(for_group(&error).code()),
                )
            }
        }
        .into_iter();
        let mut next = results.next();
        let topics = request
            .topics
            .into_iter()
            .map(|topic| {
                let partitions = topic
                    .partitions
                    .iter()
                    .map(|p| {
                        let code = match &next {
                            Some(((t, partition), result))
                                if *t == *topic.name.0 && *partition == p.partition_index =>
                            {
                                let code = group_code(result.as_ref().err());
                                next = results.next();
                                code
                            }
                            _ => ResponseError::UnknownTopicOrPartition.code(),
                        };
                        OffsetDeleteResponsePartition::default()
                            .with_partition_index(p.partition_index)
                            .with_error_code(code)
                    })
                    .collect();
                OffsetDeleteResponseTopic::default()
                    .with_name(topic.name)
                    .with_partitions(partitions)
            })
            .collect();
        Outcome::Respond(OffsetDeleteResponse::default().with_topics(topics))
    }
}
