//! FindCoordinator (key 10): which broker coordinates a group — always the
//! cluster's coordinator, node 1 of a simulated cluster. From v4 many keys are asked at once.
//!
//! klamm coordinates consumer groups only; a transaction or share-group key
//! gets INVALID_REQUEST with a message rather than a retriable error that
//! would leave a transactional producer waiting for minutes.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{ApiKey, BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;

use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

const GROUP_KEY: i8 = 0;

/// The coordinator for one key: (error, message, node id, host, port).
fn locate(
    ctx: &RequestContext<'_>,
    key: &str,
    key_type: i8,
) -> (i16, Option<String>, i32, String, i32) {
    let fail = |error: ResponseError, message: &str| {
        (
            error.code(),
            Some(message.to_string()),
            -1,
            String::new(),
            -1,
        )
    };
    if key_type != GROUP_KEY {
        return fail(
            ResponseError::InvalidRequest,
            "klamm coordinates consumer groups only",
        );
    }
    if key.is_empty() {
        return fail(ResponseError::InvalidRequest, "the group id is empty");
    }
    let cluster = &ctx.state.cluster;
    let node = cluster
        .endpoints(ctx.listener)
        .find(|(id, _)| *id == cluster.coordinator_id());
    match node {
        Some((id, endpoint)) => (0, None, id, endpoint.host.clone(), i32::from(endpoint.port)),
        None => fail(
            ResponseError::CoordinatorNotAvailable,
            "no coordinator on this listener",
        ),
    }
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::FindCoordinator;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 6;
    type Request = FindCoordinatorRequest;
    type Response = FindCoordinatorResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: FindCoordinatorRequest,
    ) -> Outcome<FindCoordinatorResponse> {
        if ctx.api_version < 4 {
            let (error, message, node, host, port) = locate(ctx, &request.key, request.key_type);
            return Outcome::Respond(
                FindCoordinatorResponse::default()
                    .with_error_code(error)
                    .with_error_message(message.map(StrBytes::from_string))
                    .with_node_id(BrokerId(node))
                    .with_host(StrBytes::from_string(host))
                    .with_port(port),
            );
        }
        let coordinators = request
            .coordinator_keys
            .iter()
            .map(|key| {
                let (error, message, node, host, port) = locate(ctx, key, request.key_type);
                Coordinator::default()
                    .with_key(key.clone())
                    .with_error_code(error)
                    .with_error_message(message.map(StrBytes::from_string))
                    .with_node_id(BrokerId(node))
                    .with_host(StrBytes::from_string(host))
                    .with_port(port)
            })
            .collect();
        Outcome::Respond(FindCoordinatorResponse::default().with_coordinators(coordinators))
    }
}
