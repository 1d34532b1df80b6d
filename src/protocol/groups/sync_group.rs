//! SyncGroup (key 14): the leader hands in the assignment, every member
//! waits for its share of it.

use kafka_protocol::messages::{ApiKey, SyncGroupRequest, SyncGroupResponse};
use kafka_protocol::protocol::StrBytes;

use crate::group::types::{SyncRequest, SyncResponse};
use crate::protocol::error_codes::group_code;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::SyncGroup;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 5;
    const MAY_WAIT: bool = true;
    type Request = SyncGroupRequest;
    type Response = SyncGroupResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: SyncGroupRequest,
    ) -> Outcome<SyncGroupResponse> {
        let sync = SyncRequest {
            group_id: request.group_id.0.to_string(),
            generation: request.generation_id,
            member_id: request.member_id.to_string(),
            instance_id: request.group_instance_id.map(|i| i.to_string()),
            protocol_type: request.protocol_type.map(|p| p.to_string()),
            protocol_name: request.protocol_name.map(|p| p.to_string()),
            assignments: request
                .assignments
                .into_iter()
                .map(|a| (a.member_id.to_string(), a.assignment))
                .collect(),
        };
        let synced = match ctx.groups() {
            Ok(groups) => groups.sync(sync).await,
            Err(e) => SyncResponse::error(e),
        };
        Outcome::Respond(
            SyncGroupResponse::default()
                .with_error_code(group_code(synced.error.as_ref()))
                .with_protocol_type(synced.protocol_type.map(StrBytes::from_string))
                .with_protocol_name(synced.protocol_name.map(StrBytes::from_string))
                .with_assignment(synced.assignment),
        )
    }
}
