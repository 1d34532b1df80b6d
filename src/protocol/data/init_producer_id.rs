//! InitProducerId (key 22): an id and epoch for an idempotent producer,
//! which Java (3.0+), franz-go and kafka-python 3.x ask for before their
//! first produce: a new id at epoch 0 every time, as Kafka's answer to a
//! request without a transactional id (`producers.rs`).
//!
//! klamm does not implement transactions. A request with a transactional id
//! gets INVALID_REQUEST, as FindCoordinator does for a transaction key: a
//! non-retriable answer that a transactional producer reports at once,
//! rather than a retriable one that would leave it waiting for minutes.
//! `transaction_timeout_ms` means nothing without a transactional id and is
//! ignored, as Kafka ignores it.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{ApiKey, InitProducerIdRequest, InitProducerIdResponse, ProducerId};
use tracing::warn;

use crate::protocol::error_codes::for_producer;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

fn failure(error: ResponseError) -> InitProducerIdResponse {
    InitProducerIdResponse::default()
        .with_error_code(error.code())
        .with_producer_id(ProducerId(-1))
        .with_producer_epoch(-1)
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::InitProducerId;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 5;
    type Request = InitProducerIdRequest;
    type Response = InitProducerIdResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: InitProducerIdRequest,
    ) -> Outcome<InitProducerIdResponse> {
        if let Some(transactional_id) = &request.transactional_id {
            warn!(
                client = ctx.client_id,
                transactional_id = &***transactional_id,
                "refused a transactional producer: klamm does not implement transactions"
            );
            return Outcome::Respond(failure(ResponseError::InvalidRequest));
        }
        let response = match ctx
            .state
            .producers
            .init(request.producer_id.0, request.producer_epoch)
        {
            Ok(granted) => InitProducerIdResponse::default()
                .with_producer_id(ProducerId(granted.producer_id))
                .with_producer_epoch(granted.epoch),
            Err(e) => failure(for_producer(&e)),
        };
        Outcome::Respond(response)
    }
}
