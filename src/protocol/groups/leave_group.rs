//! LeaveGroup (key 13): members leave so the group rebalances at once
//! instead of waiting for their sessions to time out. From v3 many members
//! (by member id or static instance id) leave in one request.

use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{ApiKey, LeaveGroupRequest, LeaveGroupResponse};

use crate::group::types::LeavingMember;
use crate::protocol::error_codes::{for_group, group_code};
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::LeaveGroup;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 5;
    type Request = LeaveGroupRequest;
    type Response = LeaveGroupResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: LeaveGroupRequest,
    ) -> Outcome<LeaveGroupResponse> {
        let batched = ctx.api_version >= 3;
        let leaving: Vec<LeavingMember> = if batched {
            request
                .members
                .iter()
                .map(|m| LeavingMember {
                    member_id: m.member_id.to_string(),
                    instance_id: m.group_instance_id.as_ref().map(|i| i.to_string()),
                })
                .collect()
        } else {
            vec![LeavingMember {
                member_id: request.member_id.to_string(),
                instance_id: None,
            }]
        };
        let left = match ctx.groups() {
            Ok(groups) => groups.leave(&request.group_id.0, leaving.clone()).await,
            Err(e) => Err(e),
        };
        let results = match left {
            Ok(results) => results,
            Err(error) => {
                return Outcome::Respond(
                    LeaveGroupResponse::default().with_error_code(for_group(&error).code()),
                )
            }
        };
        if !batched {
            let error = results.first().and_then(|r| r.as_ref().err());
            return Outcome::Respond(
                LeaveGroupResponse::default().with_error_code(group_code(error)),
            );
        }
        let members = leaving
            .into_iter()
            .zip(results)
            .map(|(member, result)| {
                MemberResponse::default()
                    .with_member_id(member.member_id.into())
                    .with_group_instance_id(member.instance_id.map(Into::into))
                    .with_error_code(group_code(result.err().as_ref()))
            })
            .collect();
        Outcome::Respond(LeaveGroupResponse::default().with_members(members))
    }
}
