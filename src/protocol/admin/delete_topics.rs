//! DeleteTopics (key 20): remove topics and their data, by name (up to v5)
//! or by name or id (v6). A topic named (or given by id) more than once is
//! not deleted: it gets INVALID_REQUEST once, as in Kafka.

use std::collections::{HashMap, HashSet};

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
                "You may not specify both topic name and topic id.".into(),
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
                "Neither topic name nor id were specified.".into(),
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

/// How a request names one topic.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Named {
    Name(String),
    Id(Uuid),
}

/// The name or id of each entry, if it names one exactly (an entry with
/// both or neither is refused on its own in `delete`).
fn named(name: Option<&TopicName>, id: Uuid) -> Option<Named> {
    match (name, id.is_nil()) {
        (Some(name), true) => Some(Named::Name(name.0.to_string())),
        (None, false) => Some(Named::Id(id)),
        _ => None,
    }
}

/// The answer, once, to a topic named more than once: Kafka deletes none
/// of it and answers INVALID_REQUEST.
fn duplicate(named: &Named) -> DeletableTopicResult {
    let (name, id, message) = match named {
        Named::Name(name) => (
            Some(TopicName(StrBytes::from_string(name.clone()))),
            Uuid::nil(),
            "Duplicate topic name.",
        ),
        Named::Id(id) => (None, *id, "Duplicate topic id."),
    };
    DeletableTopicResult::default()
        .with_name(name)
        .with_topic_id(id)
        .with_error_code(ResponseError::InvalidRequest.code())
        .with_error_message(Some(StrBytes::from_static_str(message)))
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
        let entries: Vec<(Option<TopicName>, Uuid)> = if ctx.api_version >= 6 {
            request
                .topics
                .into_iter()
                .map(|t| (t.name, t.topic_id))
                .collect()
        } else {
            request
                .topic_names
                .into_iter()
                .map(|name| (Some(name), Uuid::nil()))
                .collect()
        };
        let mut times: HashMap<Named, usize> = HashMap::new();
        for (name, id) in &entries {
            if let Some(named) = named(name.as_ref(), *id) {
                *times.entry(named).or_default() += 1;
            }
        }
        let mut answered = HashSet::new();
        let mut responses = Vec::with_capacity(entries.len());
        for (name, id) in &entries {
            let named = named(name.as_ref(), *id);
            let result = match &named {
                Some(named) if times.get(named).copied().unwrap_or(0) > 1 => {
                    if !answered.insert(named.clone()) {
                        continue;
                    }
                    duplicate(named)
                }
                _ => delete(cluster, name.as_ref(), *id),
            };
            if result.error_code == ResponseError::InvalidRequest.code() {
                let reason = result.error_message.as_deref().unwrap_or_default();
                ctx.refused(Self::KEY, ResponseError::InvalidRequest, reason);
            }
            responses.push(result);
        }
        Outcome::Respond(DeleteTopicsResponse::default().with_responses(responses))
    }
}
