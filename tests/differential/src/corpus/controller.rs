//! What a cluster's controller answers beside topics: DescribeQuorum (55),
//! UpdateFeatures (57, only requests that change nothing: validate-only or
//! refused), AddRaftVoter (80) and RemoveRaftVoter (81) (refused on a
//! static quorum), UnregisterBroker (64, only for a broker id that does not
//! exist) and ListConfigResources (74), plus DescribeProducers (61).

use kafka_protocol::messages::add_raft_voter_request::Listener;
use kafka_protocol::messages::describe_quorum_request::{PartitionData, TopicData};
use kafka_protocol::messages::update_features_request::FeatureUpdateKey;
use kafka_protocol::messages::*;
use uuid::Uuid;

use super::ctx::{name, text, Ctx};
use super::fixtures::*;
use super::{case, Case};
use crate::versions::Versions;

const METADATA_TOPIC: &str = "__cluster_metadata";

fn quorum(topics: &[(&str, &[i32])]) -> DescribeQuorumRequest {
    DescribeQuorumRequest::default().with_topics(
        topics
            .iter()
            .map(|(t, ps)| {
                TopicData::default()
                    .with_topic_name(name(t))
                    .with_partitions(
                        ps.iter()
                            .map(|p| PartitionData::default().with_partition_index(*p))
                            .collect(),
                    )
            })
            .collect(),
    )
}

/// (feature, level, upgrade type; v0: downgrade allowed when the type is not 1).
fn features(
    version: i16,
    updates: &[(&str, i16, i8)],
    validate_only: bool,
) -> UpdateFeaturesRequest {
    UpdateFeaturesRequest::default()
        .with_timeout_ms(10_000)
        .with_validate_only(validate_only && version >= 1)
        .with_feature_updates(
            updates
                .iter()
                .map(|(f, level, ty)| {
                    let update = FeatureUpdateKey::default()
                        .with_feature(text(f))
                        .with_max_version_level(*level);
                    if version == 0 {
                        update.with_allow_downgrade(*ty != 1)
                    } else {
                        update.with_upgrade_type(*ty)
                    }
                })
                .collect(),
        )
}

/// The cluster id to send: captured (`Some(None)`), absent (`None`), or given.
fn add_voter(ctx: &Ctx, cluster_id: Option<Option<&str>>) -> AddRaftVoterRequest {
    AddRaftVoterRequest::default()
        .with_cluster_id(cluster_id.map(|id| id.map_or_else(|| ctx.text("cluster.id"), text)))
        .with_timeout_ms(10_000)
        .with_voter_id(9)
        .with_voter_directory_id(Uuid::from_u128(0xd1ff))
        .with_listeners(vec![Listener::default()
            .with_name(text("CONTROLLER"))
            .with_host(text("127.0.0.1"))
            .with_port(1)])
}

fn remove_voter(ctx: &Ctx, cluster_id: Option<Option<&str>>, voter: i32) -> RemoveRaftVoterRequest {
    RemoveRaftVoterRequest::default()
        .with_cluster_id(cluster_id.map(|id| id.map_or_else(|| ctx.text("cluster.id"), text)))
        .with_voter_id(voter)
        .with_voter_directory_id(Uuid::from_u128(0xd1ff))
}

fn producers(topics: &[(&str, &[i32])]) -> DescribeProducersRequest {
    use kafka_protocol::messages::describe_producers_request::TopicRequest;
    DescribeProducersRequest::default().with_topics(
        topics
            .iter()
            .map(|(t, ps)| {
                TopicRequest::default()
                    .with_name(name(t))
                    .with_partition_indexes(ps.to_vec())
            })
            .collect(),
    )
}

const ELR: &str = "eligible.leader.replicas.version";
const MV: &str = "metadata.version";

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    for version in v.compared(ApiKey::DescribeQuorum) {
        let q = move |label: &str, build: fn() -> DescribeQuorumRequest| {
            case(label.to_string(), version, move |_| build())
        };
        cases.push(q("ordinary", || quorum(&[(METADATA_TOPIC, &[0])])));
        cases.push(q("unknown-topic", || quorum(&[(TOPIC_A, &[0])])));
        cases.push(q("unknown-partition", || quorum(&[(METADATA_TOPIC, &[1])])));
        cases.push(q("two-partitions", || quorum(&[(METADATA_TOPIC, &[0, 1])])));
        cases.push(q("two-topics", || {
            quorum(&[(METADATA_TOPIC, &[0]), (TOPIC_A, &[0])])
        }));
        cases.push(q("no-topics", || quorum(&[])));
        cases.push(q("unknown-tagged-field", || quorum(&[(METADATA_TOPIC, &[0])])).body_tag());
    }
    for version in v.compared(ApiKey::UpdateFeatures) {
        let f = move |label: &str, updates: &'static [(&'static str, i16, i8)], validate: bool| {
            case(label.to_string(), version, move |_| {
                features(version, updates, validate)
            })
        };
        cases.push(f("no-updates", &[], false));
        // The current level again: accepted, nothing changes.
        cases.push(f("same-level", &[(ELR, 1, 1)], false));
        cases.push(f("downgrade-without-downgrade-type", &[(ELR, 0, 1)], false));
        cases.push(f(
            "unknown-feature",
            &[("diff.no.such.feature", 1, 1)],
            false,
        ));
        cases.push(f("negative-level", &[(ELR, -1, 1)], false));
        cases.push(f("above-supported", &[(ELR, 9, 1)], false));
        cases.push(f("metadata-version-above-supported", &[(MV, 99, 1)], false));
        cases.push(f("one-good-one-bad", &[(ELR, 1, 1), (ELR, 0, 1)], false));
        if version >= 1 {
            cases.push(f("safe-downgrade-validated", &[(ELR, 0, 2)], true));
            cases.push(f("unsafe-downgrade-validated", &[(ELR, 0, 3)], true));
            cases.push(f("unknown-upgrade-type", &[(ELR, 1, 7)], true));
            cases.push(f("downgrade-type-for-upgrade", &[(MV, 33, 2)], true));
            cases.push(f(
                "unknown-feature-level-0",
                &[("diff.no.such.feature", 0, 1)],
                true,
            ));
            cases.push(f("metadata-version-safe-downgrade", &[(MV, 32, 2)], true));
            cases.push(f("metadata-version-unsafe-downgrade", &[(MV, 7, 3)], true));
            cases.push(f("metadata-version-below-minimum", &[(MV, 1, 2)], true));
            cases.push(f("group-version-upgrade", &[("group.version", 1, 1)], true));
            cases.push(f("duplicate-feature", &[(ELR, 1, 1), (ELR, 1, 1)], true));
        }
        cases.push(f("unknown-tagged-field", &[], false).body_tag());
    }
    for version in v.compared(ApiKey::AddRaftVoter) {
        cases.push(case("other-cluster-id", version, |ctx| {
            add_voter(ctx, Some(Some("")))
        }));
        cases.push(case("null-cluster-id", version, |ctx| add_voter(ctx, None)));
        cases.push(case("this-cluster-id", version, |ctx| {
            add_voter(ctx, Some(None))
        }));
    }
    for version in v.compared(ApiKey::RemoveRaftVoter) {
        cases.push(case("other-cluster-id", version, |ctx| {
            remove_voter(ctx, Some(Some("")), 9)
        }));
        cases.push(case("null-cluster-id-unknown-voter", version, |ctx| {
            remove_voter(ctx, None, 9)
        }));
        cases.push(case("this-cluster-id-unknown-voter", version, |ctx| {
            remove_voter(ctx, Some(None), 9)
        }));
    }
    for version in v.compared(ApiKey::UnregisterBroker) {
        cases.push(case("unknown-broker", version, |_| {
            UnregisterBrokerRequest::default().with_broker_id(BrokerId(99))
        }));
        cases.push(case("negative-broker", version, |_| {
            UnregisterBrokerRequest::default().with_broker_id(BrokerId(-1))
        }));
    }
    for version in v.compared(ApiKey::ListConfigResources) {
        let l = move |label: &str, types: &'static [i8]| {
            case(label.to_string(), version, move |_| {
                ListConfigResourcesRequest::default().with_resource_types(types.to_vec())
            })
        };
        cases.push(l("ordinary", &[]));
        if version >= 1 {
            cases.push(l("topics", &[2]));
            cases.push(l("brokers-and-loggers", &[4, 8]));
            cases.push(l("client-metrics", &[16]));
            cases.push(l("groups", &[32]));
            cases.push(l("unknown-type", &[2, 99]));
            cases.push(l("duplicate-type", &[4, 4]));
        }
        cases.push(l("unknown-tagged-field", &[]).body_tag());
    }
    for version in v.compared(ApiKey::DescribeProducers) {
        let p = move |label: &str, build: fn() -> DescribeProducersRequest| {
            case(label.to_string(), version, move |_| build())
        };
        cases.push(p("ordinary", || producers(&[(TOPIC_PRODUCE, &[0, 1])])));
        cases.push(p("no-idempotent-producers", || {
            producers(&[(TOPIC_A, &[0, 1, 2])])
        }));
        cases.push(p("unknown-topic", || producers(&[(UNKNOWN_TOPIC, &[0])])));
        cases.push(p("invalid-topic-name", || producers(&[("diff/bad", &[0])])));
        cases.push(p("unknown-partition", || producers(&[(TOPIC_B, &[5, -1])])));
        cases.push(p("duplicate-partition", || {
            producers(&[(TOPIC_PRODUCE, &[1, 1])])
        }));
        cases.push(p("duplicate-topic", || {
            producers(&[(TOPIC_B, &[0]), (TOPIC_B, &[0])])
        }));
        cases.push(p("no-topics", || producers(&[])));
        cases.push(p("no-partitions", || producers(&[(TOPIC_A, &[])])));
        cases.push(p("unknown-tagged-field", || producers(&[(TOPIC_B, &[0])])).body_tag());
    }
    cases
}

/// The cluster id, for the voter cases (captured before they run).
pub fn capture_cluster_id(v: &Versions) -> Vec<Case> {
    v.newest(ApiKey::DescribeCluster)
        .map(|version| {
            case("cluster-id-for-voters", version, |_| {
                DescribeClusterRequest::default()
            })
            .capture("cluster_id", "cluster.id")
        })
        .into_iter()
        .collect()
}
