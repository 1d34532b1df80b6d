//! ListPartitionReassignments (key 46): reassignments in progress. klamm's
//! complete the moment they are accepted (every replica is always in sync),
//! so the list is always empty, for any topics asked about, as Kafka's is
//! when nothing is moving.

use kafka_protocol::messages::{
    ApiKey, ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse,
};

use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::ListPartitionReassignments;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 0;
    type Request = ListPartitionReassignmentsRequest;
    type Response = ListPartitionReassignmentsResponse;

    async fn handle(
        _ctx: &RequestContext<'_>,
        _request: ListPartitionReassignmentsRequest,
    ) -> Outcome<ListPartitionReassignmentsResponse> {
        Outcome::Respond(ListPartitionReassignmentsResponse::default().with_error_message(None))
    }
}
