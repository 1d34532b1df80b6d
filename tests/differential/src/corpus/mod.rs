//! The corpus: every API and version both brokers serve, each with the
//! ordinary case and its edge cases, one file per API family. The cases run
//! in this order on both brokers, so the state each case meets (topics,
//! records, groups) is the same on both.
//!
//! To add a case, add one `case(...)` to its family's list; to add a family
//! (transactions, KIP-848 groups, ACLs, ...), add a file and a line to
//! `FAMILIES`. A family gets the versions to cover from `Versions::compared`.

mod api_versions;
mod broker_configs;
mod case;
mod cluster;
mod configs;
mod controller;
mod coordinator;
mod ctx;
mod fetch;
mod fixtures;
mod group_admin;
mod groups;
mod list_offsets;
mod metadata;
mod offsets;
mod produce;
mod producer_ids;
mod quotas;
mod replicas;
mod setup;
mod topic_partitions;
mod topics;
mod unsupported;

pub use case::{bytes_case, case, raw_case, Case, Mutation};
pub use ctx::Ctx;

use crate::versions::Versions;

/// The families in the order they run: the shared state first, what only
/// reads it next, what changes topics and groups last, then the APIs klamm
/// does not serve, then what may create or delete `__consumer_offsets`
/// (and so change every answer after it).
const FAMILIES: &[fn(&Versions) -> Vec<Case>] = &[
    setup::cases,
    api_versions::cases,
    metadata::cases,
    produce::cases,
    fetch::cases,
    list_offsets::cases,
    cluster::cases,
    coordinator::cases,
    groups::cases,
    offsets::cases,
    group_admin::cases,
    producer_ids::cases,
    configs::cases,
    broker_configs::cases,
    topics::cases,
    topic_partitions::cases,
    replicas::cases,
    controller::capture_cluster_id,
    controller::cases,
    quotas::cases,
    unsupported::cases,
    metadata::internal_topic_early_versions,
    topics::delete_internal_topic,
];

pub fn all(versions: &Versions) -> Vec<Case> {
    FAMILIES
        .iter()
        .flat_map(|family| family(versions))
        .collect()
}
