//! The controller's own business: the metadata quorum and its voters,
//! cluster features, and broker registrations. klamm's controller is broker
//! `controller_id` (node 1 unless `node_id` says otherwise), a one-voter
//! quorum with a static voter set (see `cluster/quorum.rs`).

pub(crate) mod add_raft_voter;
pub(crate) mod describe_quorum;
pub(crate) mod remove_raft_voter;
pub(crate) mod unregister_broker;
pub(crate) mod update_features;

use kafka_protocol::error::ResponseError;

/// Checks the cluster id a voter change names, as Kafka's quorum does: a
/// null id is not checked, any other must be this cluster's.
pub(crate) fn check_cluster_id(
    ours: &str,
    given: Option<&str>,
) -> Result<(), (ResponseError, String)> {
    match given {
        Some(id) if id != ours => Err((
            ResponseError::InconsistentClusterId,
            format!("The given id \"{id}\" doesn't match the cluster id \"{ours}\""),
        )),
        _ => Ok(()),
    }
}
