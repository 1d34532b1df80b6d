//! FindCoordinator (key 10): which broker coordinates a group — always the
//! cluster's coordinator, node 1 of a simulated cluster. From v4 many keys are asked at once.
//!
//! klamm coordinates consumer groups only; a transaction or share-group key
//! gets INVALID_REQUEST with a message rather than a retriable error that
//! would leave a transactional producer waiting for minutes, and the
//! refusal is logged with its reason. The empty group id is a key like any
//! other, as in Kafka (its JoinGroup is then INVALID_GROUP_ID).

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{ApiKey, BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;

use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

const GROUP_KEY: i8 = 0;
const TRANSACTION_KEY: i8 = 1;
const SHARE_KEY: i8 = 2;

/// Why klamm refuses a key type, or `None` for group keys.
fn refusal(key_type: i8) -> Option<&'static str> {
    match key_type {
        GROUP_KEY => None,
        TRANSACTION_KEY => {
            Some("transactions are not implemented yet: klamm coordinates consumer groups only")
        }
        SHARE_KEY => {
            Some("share groups are not implemented yet: klamm coordinates consumer groups only")
        }
        _ => Some("unknown coordinator key type: klamm coordinates consumer groups only"),
    }
}

/// One key's answer: (error code, error message, node id, host, port).
type Answer = (i16, String, i32, String, i32);

/// The coordinator for a key of `key_type`, with the error and message as
/// Kafka writes them: on success the message is "NONE" before v4 (the
/// error's name) and "" from v4.
fn locate(ctx: &RequestContext<'_>, key_type: i8) -> Answer {
    let fail = |error: ResponseError, message: &str| {
        (error.code(), message.to_string(), -1, String::new(), -1)
    };
    if let Some(reason) = refusal(key_type) {
        ctx.refused(
            Api::KEY,
            ResponseError::InvalidRequest,
            &format!("key type {key_type}: {reason}"),
        );
        return fail(ResponseError::InvalidRequest, reason);
    }
    let cluster = &ctx.state.cluster;
    let node = cluster
        .endpoints(ctx.listener)
        .find(|(id, _)| *id == cluster.coordinator_id());
    let Some((id, endpoint)) = node else {
        return fail(
            ResponseError::CoordinatorNotAvailable,
            "no coordinator on this listener",
        );
    };
    let message = if ctx.api_version >= 4 { "" } else { "NONE" };
    (
        0,
        message.to_string(),
        id,
        endpoint.host.clone(),
        i32::from(endpoint.port),
    )
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
            let (error, message, node, host, port) = locate(ctx, request.key_type);
            return Outcome::Respond(
                FindCoordinatorResponse::default()
                    .with_error_code(error)
                    .with_error_message(Some(StrBytes::from_string(message)))
                    .with_node_id(BrokerId(node))
                    .with_host(StrBytes::from_string(host))
                    .with_port(port),
            );
        }
        let coordinators = request
            .coordinator_keys
            .iter()
            .map(|key| {
                let (error, message, node, host, port) = locate(ctx, request.key_type);
                Coordinator::default()
                    .with_key(key.clone())
                    .with_error_code(error)
                    .with_error_message(Some(StrBytes::from_string(message)))
                    .with_node_id(BrokerId(node))
                    .with_host(StrBytes::from_string(host))
                    .with_port(port)
            })
            .collect();
        Outcome::Respond(FindCoordinatorResponse::default().with_coordinators(coordinators))
    }
}
