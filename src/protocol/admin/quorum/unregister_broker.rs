//! UnregisterBroker (key 64): removes a broker's registration (KIP-631),
//! what an operator does after decommissioning one for good. A broker id
//! klamm does not simulate is BROKER_ID_NOT_REGISTERED, as in Kafka. A
//! simulated broker is running: in Kafka it would be fenced and register
//! again with its next heartbeat; klamm's brokers are never fenced, so the
//! request succeeds and changes nothing.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{ApiKey, UnregisterBrokerRequest, UnregisterBrokerResponse};
use kafka_protocol::protocol::StrBytes;
use tracing::info;

use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::UnregisterBroker;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 0;
    type Request = UnregisterBrokerRequest;
    type Response = UnregisterBrokerResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: UnregisterBrokerRequest,
    ) -> Outcome<UnregisterBrokerResponse> {
        let id = request.broker_id.0;
        if !ctx.state.cluster.is_broker(id) {
            let message = format!("Broker ID {id} is not currently registered");
            return Outcome::Respond(
                UnregisterBrokerResponse::default()
                    .with_error_code(ResponseError::BrokerIdNotRegistered.code())
                    .with_error_message(Some(StrBytes::from_string(message))),
            );
        }
        info!(
            broker = id,
            "unregistered a running broker; it registers again at once"
        );
        Outcome::Respond(UnregisterBrokerResponse::default())
    }
}
