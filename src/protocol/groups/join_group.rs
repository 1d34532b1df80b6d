//! JoinGroup (key 11): a member joins (or rejoins) a group and waits for the
//! rebalance to complete. The leader gets every member's metadata to compute
//! the assignment with.
//!
//! From v4 a new member first gets MEMBER_ID_REQUIRED with its id (KIP-394);
//! older versions, which clients such as kafka-go still negotiate, get the id
//! and the rebalance in one round trip.

use std::time::Duration;

use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{ApiKey, JoinGroupRequest, JoinGroupResponse};
use kafka_protocol::protocol::StrBytes;

use crate::group::types::{ClientInfo, JoinRequest, JoinResponse};
use crate::protocol::error_codes::group_code;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

fn millis(ms: i32) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::JoinGroup;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 9;
    const MAY_WAIT: bool = true;
    type Request = JoinGroupRequest;
    type Response = JoinGroupResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: JoinGroupRequest,
    ) -> Outcome<JoinGroupResponse> {
        let version = ctx.api_version;
        let session_timeout = millis(request.session_timeout_ms);
        // v0 has no rebalance timeout: the session timeout serves for both.
        let rebalance_timeout = if version == 0 {
            session_timeout
        } else {
            millis(request.rebalance_timeout_ms)
        };
        let join = JoinRequest {
            group_id: request.group_id.0.to_string(),
            member_id: request.member_id.to_string(),
            instance_id: request.group_instance_id.map(|i| i.to_string()),
            client: ClientInfo {
                client_id: ctx.client_id.to_string(),
                client_host: ctx.client_host.to_string(),
            },
            session_timeout,
            rebalance_timeout,
            protocol_type: request.protocol_type.to_string(),
            protocols: request
                .protocols
                .into_iter()
                .map(|p| (p.name.to_string(), p.metadata))
                .collect(),
            require_known_member_id: version >= 4,
            supports_skip_assignment: version >= 9,
        };
        let joined = match ctx.groups() {
            Ok(groups) => groups.join(join).await,
            Err(e) => JoinResponse::error(e, &request.member_id),
        };
        // Before v7 the protocol name cannot be null.
        let protocol_name = match joined.protocol_name {
            None if version < 7 => Some(String::new()),
            name => name,
        };
        let members = joined
            .members
            .into_iter()
            .map(|m| {
                JoinGroupResponseMember::default()
                    .with_member_id(StrBytes::from_string(m.member_id))
                    .with_group_instance_id(m.instance_id.map(StrBytes::from_string))
                    .with_metadata(m.metadata)
            })
            .collect();
        Outcome::Respond(
            JoinGroupResponse::default()
                .with_error_code(group_code(joined.error.as_ref()))
                .with_generation_id(joined.generation)
                .with_protocol_type(joined.protocol_type.map(StrBytes::from_string))
                .with_protocol_name(protocol_name.map(StrBytes::from_string))
                .with_leader(StrBytes::from_string(joined.leader))
                .with_skip_assignment(joined.skip_assignment && version >= 9)
                .with_member_id(StrBytes::from_string(joined.member_id))
                .with_members(members),
        )
    }
}
