//! AddRaftVoter (key 80): adds a controller to a dynamic KRaft quorum
//! (KIP-853). klamm's quorum is a static one-voter quorum (kraft.version 0,
//! as a Kafka cluster formatted with `controller.quorum.voters`), so after
//! the cluster id check every request is refused as Kafka refuses it on
//! such a quorum.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{AddRaftVoterRequest, AddRaftVoterResponse, ApiKey};
use kafka_protocol::protocol::StrBytes;

use super::check_cluster_id;
use crate::protocol::{Handler, Outcome, RequestContext};

pub struct Api;

impl Handler for Api {
    const KEY: ApiKey = ApiKey::AddRaftVoter;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 0;
    type Request = AddRaftVoterRequest;
    type Response = AddRaftVoterResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: AddRaftVoterRequest,
    ) -> Outcome<AddRaftVoterResponse> {
        let (error, message) = match check_cluster_id(
            ctx.state.cluster.cluster_id(),
            request.cluster_id.as_deref(),
        ) {
            Err(refusal) => refusal,
            Ok(()) => (
                ResponseError::UnsupportedVersion,
                "Cluster doesn't support adding voter because the kraft.version feature is 0"
                    .to_string(),
            ),
        };
        ctx.refused(Self::KEY, error, &message);
        Outcome::Respond(
            AddRaftVoterResponse::default()
                .with_error_code(error.code())
                .with_error_message(Some(StrBytes::from_string(message))),
        )
    }
}
