//! Heartbeat (key 12): a member says it is alive; the answer tells it when
//! the group is rebalancing and it must rejoin.

use kafka_protocol::messages::{ApiKey, HeartbeatRequest, HeartbeatResponse};

use crate::protocol::error_codes::group_code;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::Heartbeat;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 4;
    type Request = HeartbeatRequest;
    type Response = HeartbeatResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: HeartbeatRequest,
    ) -> Outcome<HeartbeatResponse> {
        let result = match ctx.groups() {
            Ok(groups) => {
                groups
                    .heartbeat(
                        &request.group_id.0,
                        &request.member_id,
                        request.group_instance_id.as_deref(),
                        request.generation_id,
                    )
                    .await
            }
            Err(e) => Err(e),
        };
        Outcome::Respond(
            HeartbeatResponse::default().with_error_code(group_code(result.err().as_ref())),
        )
    }
}
