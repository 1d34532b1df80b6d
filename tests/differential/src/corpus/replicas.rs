//! Replica placement: ElectLeaders (43), AlterReplicaLogDirs (34),
//! ListPartitionReassignments (46), AlterPartitionReassignments (45). On a
//! one-broker cluster every valid reassignment keeps the replicas where
//! they are, so nothing here changes what later cases see.

use kafka_protocol::messages::alter_partition_reassignments_request::{
    ReassignablePartition, ReassignableTopic,
};
use kafka_protocol::messages::alter_replica_log_dirs_request::{
    AlterReplicaLogDir, AlterReplicaLogDirTopic,
};
use kafka_protocol::messages::elect_leaders_request::TopicPartitions;
use kafka_protocol::messages::list_partition_reassignments_request::ListPartitionReassignmentsTopics;
use kafka_protocol::messages::*;

use super::ctx::{name, Ctx};
use super::fixtures::*;
use super::{case, Case};
use crate::versions::Versions;

type Parts<'a> = &'a [(&'a str, &'a [i32])];

fn elect(election_type: i8, topics: Option<Parts>) -> ElectLeadersRequest {
    ElectLeadersRequest::default()
        .with_election_type(election_type)
        .with_timeout_ms(10_000)
        .with_topic_partitions(topics.map(|ts| {
            ts.iter()
                .map(|(t, ps)| {
                    TopicPartitions::default()
                        .with_topic(name(t))
                        .with_partitions(ps.to_vec())
                })
                .collect()
        }))
}

fn move_dirs(ctx: &Ctx, dirs: &[(Option<&str>, Parts)]) -> AlterReplicaLogDirsRequest {
    AlterReplicaLogDirsRequest::default().with_dirs(
        dirs.iter()
            .map(|(path, topics)| {
                // `None`: the broker's own log dir, as DescribeLogDirs named it.
                let path = match path {
                    Some(p) => super::ctx::text(p),
                    None => ctx.text("log.dir"),
                };
                AlterReplicaLogDir::default().with_path(path).with_topics(
                    topics
                        .iter()
                        .map(|(t, ps)| {
                            AlterReplicaLogDirTopic::default()
                                .with_name(name(t))
                                .with_partitions(ps.to_vec())
                        })
                        .collect(),
                )
            })
            .collect(),
    )
}

fn list(topics: Option<Parts>) -> ListPartitionReassignmentsRequest {
    ListPartitionReassignmentsRequest::default()
        .with_timeout_ms(10_000)
        .with_topics(topics.map(|ts| {
            ts.iter()
                .map(|(t, ps)| {
                    ListPartitionReassignmentsTopics::default()
                        .with_name(name(t))
                        .with_partition_indexes(ps.to_vec())
                })
                .collect()
        }))
}

/// (topic, [(partition, replicas or null)]).
type Moves<'a> = &'a [(&'a str, &'a [(i32, Option<&'a [i32]>)])];

fn reassign(allow_rf_change: bool, moves: Moves) -> AlterPartitionReassignmentsRequest {
    AlterPartitionReassignmentsRequest::default()
        .with_timeout_ms(10_000)
        .with_allow_replication_factor_change(allow_rf_change)
        .with_topics(
            moves
                .iter()
                .map(|(t, ps)| {
                    ReassignableTopic::default()
                        .with_name(name(t))
                        .with_partitions(
                            ps.iter()
                                .map(|(p, replicas)| {
                                    ReassignablePartition::default()
                                        .with_partition_index(*p)
                                        .with_replicas(
                                            replicas
                                                .map(|r| r.iter().map(|b| BrokerId(*b)).collect()),
                                        )
                                })
                                .collect(),
                        )
                })
                .collect(),
        )
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    for version in v.compared(ApiKey::ElectLeaders) {
        let e = move |label: &str, build: fn() -> ElectLeadersRequest| {
            case(label.to_string(), version, move |_| build())
        };
        cases.push(e("ordinary", || elect(0, Some(&[(TOPIC_A, &[0])]))));
        cases.push(e("several-partitions", || {
            elect(0, Some(&[(TOPIC_A, &[0, 1, 2]), (TOPIC_B, &[0])]))
        }));
        cases.push(e("all-partitions", || elect(0, None)));
        cases.push(e("no-partitions", || elect(0, Some(&[]))));
        cases.push(e("unknown-topic", || {
            elect(0, Some(&[(UNKNOWN_TOPIC, &[0])]))
        }));
        cases.push(e("unknown-partition", || {
            elect(0, Some(&[(TOPIC_A, &[7, -1])]))
        }));
        cases.push(e("duplicate-partition", || {
            elect(0, Some(&[(TOPIC_B, &[0, 0])]))
        }));
        cases.push(e("duplicate-topic", || {
            elect(0, Some(&[(TOPIC_B, &[0]), (TOPIC_B, &[0])]))
        }));
        cases.push(e("trailing-bytes", || elect(0, Some(&[(TOPIC_B, &[0])]))).trailing(&[0, 0, 0]));
        if version >= 1 {
            cases.push(e("unclean", || elect(1, Some(&[(TOPIC_A, &[0])]))));
            cases.push(e("unclean-all-partitions", || elect(1, None)));
            cases.push(e("unknown-election-type", || {
                elect(5, Some(&[(TOPIC_A, &[0])]))
            }));
        }
        if version >= 2 {
            cases.push(
                e("unknown-tagged-field", || {
                    elect(0, Some(&[(TOPIC_B, &[0])]))
                })
                .body_tag(),
            );
        }
    }
    if let Some(version) = v.newest(ApiKey::DescribeLogDirs) {
        cases.push(
            case("log-dir-for-moves", version, |_| {
                DescribeLogDirsRequest::default().with_topics(Some(vec![]))
            })
            .capture("results.0.log_dir", "log.dir"),
        );
    }
    for version in v.compared(ApiKey::AlterReplicaLogDirs) {
        cases.push(case("own-dir", version, |ctx| {
            move_dirs(ctx, &[(None, &[(TOPIC_A, &[0, 1])])])
        }));
        cases.push(case("unknown-dir", version, |ctx| {
            move_dirs(ctx, &[(Some("/diff/no/such/dir"), &[(TOPIC_A, &[0])])])
        }));
        cases.push(case("relative-dir", version, |ctx| {
            move_dirs(ctx, &[(Some("data"), &[(TOPIC_B, &[0])])])
        }));
        cases.push(case("unknown-topic", version, |ctx| {
            move_dirs(ctx, &[(None, &[(UNKNOWN_TOPIC, &[0])])])
        }));
        cases.push(case("unknown-partition", version, |ctx| {
            move_dirs(ctx, &[(None, &[(TOPIC_B, &[3])])])
        }));
        cases.push(case("unknown-topic-unknown-dir", version, |ctx| {
            move_dirs(
                ctx,
                &[(Some("/diff/no/such/dir"), &[(UNKNOWN_TOPIC, &[0])])],
            )
        }));
        cases.push(case("no-dirs", version, |ctx| move_dirs(ctx, &[])));
        cases.push(case("no-topics", version, |ctx| {
            move_dirs(ctx, &[(None, &[])])
        }));
        cases.push(case("partition-in-two-dirs", version, |ctx| {
            move_dirs(
                ctx,
                &[
                    (None, &[(TOPIC_B, &[0])]),
                    (Some("/diff/no/such/dir"), &[(TOPIC_B, &[0])]),
                ],
            )
        }));
        cases.push(case("duplicate-partition", version, |ctx| {
            move_dirs(ctx, &[(None, &[(TOPIC_B, &[0, 0])])])
        }));
        if version >= 2 {
            cases.push(
                case("unknown-tagged-field", version, |ctx| {
                    move_dirs(ctx, &[(None, &[(TOPIC_B, &[0])])])
                })
                .body_tag(),
            );
        }
    }
    for version in v.compared(ApiKey::ListPartitionReassignments) {
        let l = move |label: &str, build: fn() -> ListPartitionReassignmentsRequest| {
            case(label.to_string(), version, move |_| build())
        };
        cases.push(l("ordinary", || list(None)));
        cases.push(l("named-partitions", || {
            list(Some(&[(TOPIC_A, &[0, 1, 2])]))
        }));
        cases.push(l("unknown-topic", || list(Some(&[(UNKNOWN_TOPIC, &[0])]))));
        cases.push(l("unknown-partition", || list(Some(&[(TOPIC_A, &[9])]))));
        cases.push(l("no-topics", || list(Some(&[]))));
        cases.push(l("unknown-tagged-field", || list(None)).body_tag());
    }
    for version in v.compared(ApiKey::AlterPartitionReassignments) {
        let r = move |label: &str, build: fn() -> AlterPartitionReassignmentsRequest| {
            case(label.to_string(), version, move |_| build())
        };
        cases.push(r("same-replicas", || {
            reassign(true, &[(TOPIC_A, &[(0, Some(&[1])), (1, Some(&[1]))])])
        }));
        cases.push(r("unknown-broker", || {
            reassign(true, &[(TOPIC_A, &[(0, Some(&[2]))])])
        }));
        cases.push(r("added-unknown-broker", || {
            reassign(true, &[(TOPIC_A, &[(0, Some(&[1, 7]))])])
        }));
        cases.push(r("no-replicas", || {
            reassign(true, &[(TOPIC_A, &[(0, Some(&[]))])])
        }));
        cases.push(r("duplicate-broker", || {
            reassign(true, &[(TOPIC_A, &[(0, Some(&[1, 1]))])])
        }));
        cases.push(r("cancel", || reassign(true, &[(TOPIC_A, &[(0, None)])])));
        cases.push(r("unknown-topic", || {
            reassign(true, &[(UNKNOWN_TOPIC, &[(0, Some(&[1]))])])
        }));
        cases.push(r("unknown-partition", || {
            reassign(true, &[(TOPIC_B, &[(4, Some(&[1]))])])
        }));
        cases.push(r("cancel-unknown-partition", || {
            reassign(true, &[(TOPIC_B, &[(4, None)])])
        }));
        cases.push(r("no-topics", || reassign(true, &[])));
        cases.push(r("no-partitions", || reassign(true, &[(TOPIC_A, &[])])));
        cases.push(r("duplicate-partition", || {
            reassign(true, &[(TOPIC_B, &[(0, Some(&[1])), (0, Some(&[1]))])])
        }));
        if version >= 1 {
            cases.push(r("replication-factor-kept", || {
                reassign(false, &[(TOPIC_A, &[(2, Some(&[1]))])])
            }));
            cases.push(r("replication-factor-change-refused", || {
                reassign(false, &[(TOPIC_A, &[(2, Some(&[1, 2]))])])
            }));
        }
        cases.push(r("unknown-tagged-field", || reassign(true, &[])).body_tag());
    }
    cases
}
