//! DescribeGroups (key 15): state, protocol and members of groups; a group
//! that does not exist is described as Dead, as Kafka does, and from v6 is
//! GROUP_ID_NOT_FOUND (KIP-1043). Member metadata and assignments are shown
//! only while the group is Stable.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::{ApiKey, DescribeGroupsRequest, DescribeGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use crate::protocol::error_codes::for_group;
use crate::protocol::{Handler, Outcome, RequestContext, OPERATIONS_NOT_REQUESTED};

pub struct Api;

/// Group operations with no authorizer, as Kafka grants them: READ,
/// DELETE, DESCRIBE, DESCRIBE_CONFIGS and ALTER_CONFIGS (3400).
const GROUP_OPERATIONS: i32 = (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11);

impl Handler for Api {
    const KEY: ApiKey = ApiKey::DescribeGroups;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 6;
    type Request = DescribeGroupsRequest;
    type Response = DescribeGroupsResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: DescribeGroupsRequest,
    ) -> Outcome<DescribeGroupsResponse> {
        let operations = if request.include_authorized_operations && ctx.api_version >= 3 {
            GROUP_OPERATIONS
        } else {
            OPERATIONS_NOT_REQUESTED
        };
        let mut groups = Vec::with_capacity(request.groups.len());
        for group_id in request.groups {
            let coordinator = match ctx.groups() {
                Ok(coordinator) => coordinator,
                Err(e) => {
                    groups.push(
                        DescribedGroup::default()
                            .with_group_id(group_id)
                            .with_error_code(for_group(&e).code())
                            .with_authorized_operations(operations),
                    );
                    continue;
                }
            };
            let description = coordinator.describe(&group_id.0).await;
            if description.state == "Dead" && ctx.api_version >= 6 {
                let message = format!("Group {} not found.", &*group_id);
                groups.push(
                    DescribedGroup::default()
                        .with_group_id(group_id)
                        .with_group_state(StrBytes::from_static_str("Dead"))
                        .with_error_code(ResponseError::GroupIdNotFound.code())
                        .with_error_message(Some(StrBytes::from_string(message)))
                        .with_authorized_operations(operations),
                );
                continue;
            }
            let members = description
                .members
                .into_iter()
                .map(|m| {
                    DescribedGroupMember::default()
                        .with_member_id(StrBytes::from_string(m.member_id))
                        .with_group_instance_id(m.instance_id.map(StrBytes::from_string))
                        .with_client_id(StrBytes::from_string(m.client_id))
                        .with_client_host(StrBytes::from_string(m.client_host))
                        .with_member_metadata(m.metadata)
                        .with_member_assignment(m.assignment)
                })
                .collect();
            groups.push(
                DescribedGroup::default()
                    .with_group_id(group_id)
                    .with_group_state(StrBytes::from_static_str(description.state))
                    .with_protocol_type(StrBytes::from_string(description.protocol_type))
                    .with_protocol_data(StrBytes::from_string(description.protocol))
                    .with_members(members)
                    .with_authorized_operations(operations),
            );
        }
        Outcome::Respond(DescribeGroupsResponse::default().with_groups(groups))
    }
}
