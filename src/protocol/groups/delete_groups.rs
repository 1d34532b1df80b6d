//! DeleteGroups (key 42): remove groups without members, with their
//! committed offsets. A group named more than once is deleted and answered
//! once, as Kafka does.

use std::collections::HashSet;

use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::{ApiKey, DeleteGroupsRequest, DeleteGroupsResponse};

use crate::protocol::error_codes::group_code;
use crate::protocol::newer::Newer;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::DeleteGroups;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 3;
    type Request = Newer<DeleteGroupsRequest>;
    type Response = Newer<DeleteGroupsResponse>;

    async fn handle(
        ctx: &RequestContext<'_>,
        Newer(request): Newer<DeleteGroupsRequest>,
    ) -> Outcome<Newer<DeleteGroupsResponse>> {
        let mut seen = HashSet::new();
        let mut results = Vec::with_capacity(request.groups_names.len());
        for group_id in request.groups_names {
            if !seen.insert(group_id.clone()) {
                continue;
            }
            let result = match ctx.groups() {
                Ok(groups) => groups.delete(&group_id.0).await,
                Err(e) => Err(e),
            };
            results.push(
                DeletableGroupResult::default()
                    .with_group_id(group_id)
                    .with_error_code(group_code(result.err().as_ref())),
            );
        }
        Outcome::Respond(Newer(DeleteGroupsResponse::default().with_results(results)))
    }
}
