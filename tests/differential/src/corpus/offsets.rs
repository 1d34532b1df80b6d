//! Committed offsets: OffsetCommit (8), OffsetFetch (9), OffsetDelete (47),
//! against the fixture group (a member, generation checks), the memberless
//! group (simple commits), and groups and topics that do not exist. From
//! v10 OffsetCommit and OffsetFetch name topics by id: the same cases, with
//! each topic's id as the broker gave it (an unknown topic's is nil).

use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::{
    ApiKey, GroupId, OffsetCommitRequest, OffsetDeleteRequest, OffsetFetchRequest,
};
use kafka_protocol::protocol::StrBytes;

use super::ctx::{name, text, Ctx};
use super::fixtures::*;
use super::groups::{GENERATION, MEMBER};
use super::{case, Case};
use crate::versions::Versions;

/// (topic, partition, offset) triples, grouped by topic in order.
pub fn commit(
    group: &str,
    generation: i64,
    member: &str,
    parts: &[(&str, i32, i64)],
) -> OffsetCommitRequest {
    commit_as(group, generation, text(member), parts)
}

fn commit_as(
    group: &str,
    generation: i64,
    member: StrBytes,
    parts: &[(&str, i32, i64)],
) -> OffsetCommitRequest {
    let mut topics: Vec<OffsetCommitRequestTopic> = Vec::new();
    for (topic, partition, offset) in parts {
        let p = OffsetCommitRequestPartition::default()
            .with_partition_index(*partition)
            .with_committed_offset(*offset)
            .with_committed_metadata(Some(text("m")));
        match topics.last_mut() {
            Some(t) if t.name.0.as_str() == *topic => t.partitions.push(p),
            _ => topics.push(
                OffsetCommitRequestTopic::default()
                    .with_name(name(topic))
                    .with_partitions(vec![p]),
            ),
        }
    }
    OffsetCommitRequest::default()
        .with_group_id(GroupId(text(group)))
        .with_generation_id_or_member_epoch(generation as i32)
        .with_member_id(member)
        .with_topics(topics)
}

/// OffsetFetch of one group; `None` topics is "all" (v2+).
fn fetch(version: i16, group: &str, topics: Topics) -> OffsetFetchRequest {
    fetch_groups(version, &[(group, topics)])
}

/// Topics and their partitions; `None` is "all".
type Topics<'a> = Option<&'a [(&'a str, &'a [i32])]>;

fn fetch_groups(version: i16, groups: &[(&str, Topics)]) -> OffsetFetchRequest {
    if version >= 8 {
        OffsetFetchRequest::default().with_groups(
            groups
                .iter()
                .map(|(group, topics)| {
                    OffsetFetchRequestGroup::default()
                        .with_group_id(GroupId(text(group)))
                        .with_topics(topics.map(|ts| {
                            ts.iter()
                                .map(|(t, ps)| {
                                    OffsetFetchRequestTopics::default()
                                        .with_name(name(t))
                                        .with_partition_indexes(ps.to_vec())
                                })
                                .collect()
                        }))
                })
                .collect(),
        )
    } else {
        let (group, topics) = groups.first().copied().unwrap_or(("", None));
        OffsetFetchRequest::default()
            .with_group_id(GroupId(text(group)))
            .with_topics(topics.map(|ts| {
                ts.iter()
                    .map(|(t, ps)| {
                        OffsetFetchRequestTopic::default()
                            .with_name(name(t))
                            .with_partition_indexes(ps.to_vec())
                    })
                    .collect()
            }))
    }
}

/// From v10 topics go by id: each name becomes the broker's id for it.
fn commit_by_id(ctx: &Ctx, version: i16, mut request: OffsetCommitRequest) -> OffsetCommitRequest {
    if version >= 10 {
        for topic in &mut request.topics {
            topic.topic_id = ctx.topic_id(&topic.name);
        }
    }
    request
}

fn fetch_by_id(ctx: &Ctx, version: i16, mut request: OffsetFetchRequest) -> OffsetFetchRequest {
    if version >= 10 {
        for topic in request
            .groups
            .iter_mut()
            .flat_map(|g| g.topics.iter_mut().flatten())
        {
            topic.topic_id = ctx.topic_id(&topic.name);
        }
    }
    request
}

fn delete(group: &str, parts: &[(&str, i32)]) -> OffsetDeleteRequest {
    OffsetDeleteRequest::default()
        .with_group_id(GroupId(text(group)))
        .with_topics(
            parts
                .iter()
                .map(|(t, p)| {
                    OffsetDeleteRequestTopic::default()
                        .with_name(name(t))
                        .with_partitions(vec![
                            OffsetDeleteRequestPartition::default().with_partition_index(*p)
                        ])
                })
                .collect(),
        )
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    for version in v.compared(ApiKey::OffsetCommit) {
        let c = move |label: &str, build: fn(&Ctx) -> OffsetCommitRequest| {
            case(label.to_string(), version, move |ctx| {
                commit_by_id(ctx, version, build(ctx))
            })
        };
        cases.push(c("member-commit", |ctx| {
            commit_as(
                GROUP,
                ctx.int(GENERATION),
                ctx.text(MEMBER),
                &[(TOPIC_A, 0, 2), (TOPIC_A, 1, 1)],
            )
        }));
        cases.push(c("wrong-generation", |ctx| {
            commit_as(
                GROUP,
                ctx.int(GENERATION) + 1,
                ctx.text(MEMBER),
                &[(TOPIC_A, 0, 1)],
            )
        }));
        cases.push(c("unknown-member", |ctx| {
            commit(
                GROUP,
                ctx.int(GENERATION),
                "corpus-unknown",
                &[(TOPIC_A, 0, 1)],
            )
        }));
        cases.push(c("simple-commit-to-group-with-members", |_| {
            commit(GROUP, -1, "", &[(TOPIC_A, 0, 1)])
        }));
        cases.push(c("simple-commit", |_| {
            commit(
                SIMPLE_GROUP,
                -1,
                "",
                &[(TOPIC_B, 0, 3), (TOPIC_EMPTY, 1, 0)],
            )
        }));
        cases.push(c("unknown-topic", |_| {
            commit(SIMPLE_GROUP, -1, "", &[(UNKNOWN_TOPIC, 0, 1)])
        }));
        cases.push(c("unknown-partition", |_| {
            commit(SIMPLE_GROUP, -1, "", &[(TOPIC_B, 7, 1)])
        }));
        cases.push(c("offset-beyond-end", |_| {
            commit(SIMPLE_GROUP, -1, "", &[(TOPIC_EMPTY, 0, 1_000)])
        }));
        cases.push(c("new-group", |_| {
            commit(NEW_COMMIT_GROUP, -1, "", &[(TOPIC_B, 0, 1)])
        }));
        cases.push(c("no-topics", |_| commit(SIMPLE_GROUP, -1, "", &[])));
        cases.push(c("duplicate-partition", |_| {
            commit(SIMPLE_GROUP, -1, "", &[(TOPIC_B, 0, 1), (TOPIC_B, 0, 2)])
        }));
        cases.push(c("empty-group-id", |_| {
            commit("", -1, "", &[(TOPIC_B, 0, 1)])
        }));
        cases.push(c("long-metadata", |_| {
            let mut r = commit(SIMPLE_GROUP, -1, "", &[(TOPIC_B, 0, 2)]);
            r.topics[0].partitions[0].committed_metadata =
                Some(StrBytes::from_string("m".repeat(5000)));
            r
        }));
        cases.push(c("null-metadata", |_| {
            let mut r = commit(SIMPLE_GROUP, -1, "", &[(TOPIC_B, 0, 2)]);
            r.topics[0].partitions[0].committed_metadata = None;
            r
        }));
        cases.push(
            c("trailing-bytes", |_| {
                commit(SIMPLE_GROUP, -1, "", &[(TOPIC_B, 0, 2)])
            })
            .trailing(&[0, 0, 0]),
        );
        if version >= 8 {
            cases.push(
                c("unknown-tagged-field", |_| {
                    commit(SIMPLE_GROUP, -1, "", &[(TOPIC_B, 0, 2)])
                })
                .body_tag(),
            );
        }
        if version >= 6 {
            cases.push(c("leader-epoch", |_| {
                let mut r = commit(SIMPLE_GROUP, -1, "", &[(TOPIC_B, 0, 2)]);
                r.topics[0].partitions[0].committed_leader_epoch = 0;
                r
            }));
        }
        if version >= 7 {
            cases.push(c("unknown-instance-id", |ctx| {
                commit_as(
                    GROUP,
                    ctx.int(GENERATION),
                    ctx.text(MEMBER),
                    &[(TOPIC_A, 0, 2)],
                )
                .with_group_instance_id(Some(text("corpus-nobody")))
            }));
        }
    }
    for version in v.compared(ApiKey::OffsetFetch) {
        let f = move |label: &str, build: fn(i16) -> OffsetFetchRequest| {
            case(label.to_string(), version, move |ctx| {
                fetch_by_id(ctx, version, build(version))
            })
        };
        cases.push(f("member-group", |v| {
            fetch(v, GROUP, Some(&[(TOPIC_A, &[0, 1, 2])]))
        }));
        cases.push(f("memberless-group", |v| {
            fetch(
                v,
                SIMPLE_GROUP,
                Some(&[(TOPIC_B, &[0]), (TOPIC_EMPTY, &[0, 1])]),
            )
        }));
        cases.push(f("unknown-group", |v| {
            fetch(v, UNKNOWN_GROUP, Some(&[(TOPIC_A, &[0])]))
        }));
        cases.push(f("unknown-topic", |v| {
            fetch(v, SIMPLE_GROUP, Some(&[(UNKNOWN_TOPIC, &[0])]))
        }));
        cases.push(f("unknown-partition", |v| {
            fetch(v, SIMPLE_GROUP, Some(&[(TOPIC_B, &[5])]))
        }));
        cases.push(f("no-topics", |v| fetch(v, SIMPLE_GROUP, Some(&[]))));
        cases.push(f("duplicate-partition", |v| {
            fetch(v, SIMPLE_GROUP, Some(&[(TOPIC_B, &[0, 0])]))
        }));
        cases.push(f("empty-group-id", |v| {
            fetch(v, "", Some(&[(TOPIC_B, &[0])]))
        }));
        cases.push(
            f("trailing-bytes", |v| {
                fetch(v, SIMPLE_GROUP, Some(&[(TOPIC_B, &[0])]))
            })
            .trailing(&[0, 0, 0]),
        );
        if version >= 2 {
            cases.push(f("all-topics", |v| fetch(v, GROUP, None)));
            cases.push(f("all-topics-unknown-group", |v| {
                fetch(v, UNKNOWN_GROUP, None)
            }));
        }
        if version >= 6 {
            cases.push(
                f("unknown-tagged-field", |v| {
                    fetch(v, SIMPLE_GROUP, Some(&[(TOPIC_B, &[0])]))
                })
                .body_tag(),
            );
        }
        if version >= 7 {
            cases.push(f("require-stable", |v| {
                fetch(v, GROUP, None).with_require_stable(true)
            }));
        }
        if version >= 8 {
            cases.push(f("three-groups", |v| {
                fetch_groups(
                    v,
                    &[
                        (GROUP, None),
                        (SIMPLE_GROUP, Some(&[(TOPIC_B, &[0])])),
                        (UNKNOWN_GROUP, None),
                    ],
                )
            }));
            cases.push(f("duplicate-groups", |v| {
                fetch_groups(v, &[(SIMPLE_GROUP, None), (SIMPLE_GROUP, None)])
            }));
            cases.push(f("no-groups", |v| fetch_groups(v, &[])));
        }
    }
    for version in v.compared(ApiKey::OffsetDelete) {
        let d = move |label: &str, build: fn() -> OffsetDeleteRequest| {
            case(label.to_string(), version, move |_| build())
        };
        cases.push(d("subscribed-topic", || delete(GROUP, &[(TOPIC_A, 0)])));
        cases.push(d("unsubscribed-topic", || delete(GROUP, &[(TOPIC_B, 0)])));
        cases.push(d("memberless-group", || {
            delete(NEW_COMMIT_GROUP, &[(TOPIC_B, 0)])
        }));
        cases.push(d("unknown-group", || {
            delete(UNKNOWN_GROUP, &[(TOPIC_B, 0)])
        }));
        cases.push(d("unknown-topic", || {
            delete(SIMPLE_GROUP, &[(UNKNOWN_TOPIC, 0)])
        }));
        cases.push(d("no-topics", || delete(SIMPLE_GROUP, &[])));
        cases.push(
            d("trailing-bytes", || delete(UNKNOWN_GROUP, &[(TOPIC_B, 0)])).trailing(&[0, 0, 0]),
        );
        cases.push(d("after-delete", || {
            delete(NEW_COMMIT_GROUP, &[(TOPIC_B, 0)])
        }));
    }
    cases
}
