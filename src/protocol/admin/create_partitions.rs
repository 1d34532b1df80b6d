//! CreatePartitions (key 37): grows topics to a new partition count, with
//! replicas placed by klamm or given per new partition; `validate_only`
//! checks without creating. A topic named twice in one request is refused
//! (INVALID_REQUEST), once, as Kafka does.

use std::collections::{HashMap, HashSet};

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{ApiKey, CreatePartitionsRequest, CreatePartitionsResponse};
use kafka_protocol::protocol::StrBytes;

use crate::protocol::error_codes::for_cluster;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::CreatePartitions;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 3;
    type Request = CreatePartitionsRequest;
    type Response = CreatePartitionsResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: CreatePartitionsRequest,
    ) -> Outcome<CreatePartitionsResponse> {
        let cluster = &ctx.state.cluster;
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for topic in &request.topics {
            *counts.entry(&topic.name.0).or_default() += 1;
        }
        let mut reported_duplicates = HashSet::new();
        let mut results = Vec::with_capacity(request.topics.len());
        for topic in &request.topics {
            let name: &str = &topic.name.0;
            let result = CreatePartitionsTopicResult::default().with_name(topic.name.clone());
            if counts.get(name).copied().unwrap_or(0) > 1 {
                if reported_duplicates.insert(name) {
                    ctx.refused(
                        Self::KEY,
                        ResponseError::InvalidRequest,
                        &format!("topic {name} is named more than once"),
                    );
                    results.push(
                        result
                            .with_error_code(ResponseError::InvalidRequest.code())
                            .with_error_message(Some(StrBytes::from_static_str(
                                "Duplicate topic in request.",
                            ))),
                    );
                }
                continue;
            }
            let assignments: Option<Vec<Vec<i32>>> = topic.assignments.as_ref().map(|a| {
                a.iter()
                    .map(|a| a.broker_ids.iter().map(|b| b.0).collect())
                    .collect()
            });
            let outcome = cluster.create_partitions(
                name,
                topic.count,
                assignments.as_deref(),
                request.validate_only,
            );
            results.push(match outcome {
                Ok(()) => result.with_error_message(None),
                Err(e) => {
                    let error = for_cluster(&e);
                    if error == ResponseError::InvalidRequest {
                        ctx.refused(Self::KEY, error, &format!("topic {name}: {e}"));
                    }
                    result
                        .with_error_code(error.code())
                        .with_error_message(Some(StrBytes::from_string(e.to_string())))
                }
            });
        }
        Outcome::Respond(CreatePartitionsResponse::default().with_results(results))
    }
}
