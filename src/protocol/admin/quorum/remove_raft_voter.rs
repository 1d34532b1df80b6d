//! RemoveRaftVoter (key 81): removes a controller from a dynamic KRaft
//! quorum (KIP-853). klamm's one voter is static (kraft.version 0), so
//! after the cluster id check every request is refused as Kafka refuses it
//! on such a quorum.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{ApiKey, RemoveRaftVoterRequest, RemoveRaftVoterResponse};
use kafka_protocol::protocol::StrBytes;

use super::check_cluster_id;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::RemoveRaftVoter;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 0;
    type Request = RemoveRaftVoterRequest;
    type Response = RemoveRaftVoterResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: RemoveRaftVoterRequest,
    ) -> Outcome<RemoveRaftVoterResponse> {
        let (error, message) = match check_cluster_id(
            ctx.state.cluster.cluster_id(),
            request.cluster_id.as_deref(),
        ) {
            Err(refusal) => refusal,
            Ok(()) => (
                ResponseError::UnsupportedVersion,
                "Cluster doesn't support removing voter because the kraft.version feature is 0"
                    .to_string(),
            ),
        };
        ctx.refused(Self::KEY, error, &message);
        Outcome::Respond(
            RemoveRaftVoterResponse::default()
                .with_error_code(error.code())
                .with_error_message(Some(StrBytes::from_string(message))),
        )
    }
}
