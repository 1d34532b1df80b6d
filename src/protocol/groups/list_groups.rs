//! ListGroups (key 16): every group the coordinator knows, optionally only
//! those in some states (v4+) or of some types (v5+). klamm's groups are all
//! of the classic type.

use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{ApiKey, GroupId, ListGroupsRequest, ListGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

/// The group type of the classic protocol, as Kafka names it.
const CLASSIC: &str = "classic";

impl Handler for Api {
    const KEY: ApiKey = ApiKey::ListGroups;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 5;
    type Request = ListGroupsRequest;
    type Response = ListGroupsResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: ListGroupsRequest,
    ) -> Outcome<ListGroupsResponse> {
        let states: Vec<String> = request
            .states_filter
            .iter()
            .map(|s| s.to_string())
            .collect();
        // Each broker lists the groups it coordinates; admin clients ask
        // every broker and merge.
        let classic_wanted = request.types_filter.is_empty()
            || request
                .types_filter
                .iter()
                .any(|t| t.eq_ignore_ascii_case(CLASSIC));
        let listed = match ctx.groups() {
            Ok(groups) if classic_wanted => groups.list(&states),
            _ => Vec::new(),
        };
        let groups = listed
            .into_iter()
            .map(|g| {
                ListedGroup::default()
                    .with_group_id(GroupId(StrBytes::from_string(g.group_id)))
                    .with_protocol_type(StrBytes::from_string(g.protocol_type))
                    .with_group_state(StrBytes::from_static_str(g.state))
                    .with_group_type(StrBytes::from_static_str(CLASSIC))
            })
            .collect();
        Outcome::Respond(ListGroupsResponse::default().with_groups(groups))
    }
}
