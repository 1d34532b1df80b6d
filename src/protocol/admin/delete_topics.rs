//! DeleteTopics (key 20): remove topics and their data, by name (up to v5)
//! or by name or id (v6).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{ApiKey, DeleteTopicsRequest, DeleteTopicsResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use crate::cluster::Cluster;
use crate::protocol::error_codes::for_cluster;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

fn delete(cluster: &Cluster, name: Option<&TopicName>, id: Uuid) -> DeletableTopicResult {
    let result = DeletableTopicResult::default()
        .with_name(name.cloned())
        .with_topic_id(id);
    let fail = |error: ResponseError, message: String| {
        result
            .clone()
            .with_error_code(error.code())
            .with_error_message(Some(StrBytes::from_string(message)))
    };
    let topic_name = match (name, id.is_nil()) {
        (Some(_), false) => {
            return fail(
                ResponseError::InvalidRequest,
                "A topic may be named by name or by id, not both".into(),
            )
        }
        (Some(name), true) => name.0.to_string(),
        (None, false) => match cluster.topic_by_id(&id) {
            Some(topic) => topic.name.clone(),
            None => {
                return fail(
                    ResponseError::UnknownTopicId,
                    format!("Topic id {id} does not exist"),
                )
            }
        },
        (None, true) => {
            return fail(
                ResponseError::InvalidRequest,
                "Neither topic name nor id given".into(),
            )
        }
    };
    match cluster.delete_topic(&topic_name) {
        Ok(topic) => DeletableTopicResult::default()
            .with_name(Some(TopicName(StrBytes::from_string(topic.name.clone()))))
            .with_topic_id(topic.id),
        Err(e) => fail(for_cluster(&e), e.to_string()),
    }
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::DeleteTopics;
    const MIN_VERSION: i16 = 1;
    const MAX_VERSION: i16 = 6;
    type Request = DeleteTopicsRequest;
    type Response = DeleteTopicsResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: DeleteTopicsRequest,
    ) -> Outcome<DeleteTopicsResponse> {
        let cluster = &ctx.state.cluster;
        let responses = if ctx.api_version >= 6 {
            request
                .topics
                .iter()
                .map(|t| delete(cluster, t.name.as_ref(), t.topic_id))
                .collect()
        } else {
            request
                .topic_names
                .iter()
                .map(|name| delete(cluster, Some(name), Uuid::nil()))
                .collect()
        };
        Outcome::Respond(DeleteTopicsResponse::default().with_responses(responses))
    }
}
