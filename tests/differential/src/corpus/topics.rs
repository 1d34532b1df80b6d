//! Topics and their data as an administrator changes them: CreateTopics
//! (19), CreatePartitions (37), DeleteRecords (21), DeleteTopics (20). Each
//! version works on topics of its own; the family waits until Kafka's
//! asynchronous creations and deletions are visible before it ends.

use kafka_protocol::messages::create_partitions_request::{
    CreatePartitionsAssignment, CreatePartitionsTopic,
};
use kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use kafka_protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{
    ApiKey, BrokerId, CreatePartitionsRequest, CreateTopicsRequest, DeleteRecordsRequest,
    DeleteTopicsRequest, MetadataRequest,
};

use super::ctx::{name, text, Ctx};
use super::fixtures::*;
use super::setup::topic;
use super::{case, list_offsets, produce, Case};
use crate::tree::Tree;
use crate::versions::Versions;
use uuid::Uuid;

fn create(topics: Vec<CreatableTopic>) -> CreateTopicsRequest {
    CreateTopicsRequest::default()
        .with_timeout_ms(30_000)
        .with_topics(topics)
}

fn metadata(topics: &[String]) -> MetadataRequest {
    MetadataRequest::default()
        .with_topics(Some(
            topics
                .iter()
                .map(|t| MetadataRequestTopic::default().with_name(Some(name(t))))
                .collect(),
        ))
        .with_allow_auto_topic_creation(false)
}

/// Every topic of a Metadata answer is unknown: deletions are visible.
fn topics_gone(answer: &Tree) -> bool {
    matches!(answer.at("topics"), Some(Tree::List(ts)) if ts.iter().all(|t| t.at("error_code").and_then(Tree::as_int) == Some(3)))
}

fn create_partitions(parts: &[(String, i32, Option<&[i32]>)]) -> CreatePartitionsRequest {
    CreatePartitionsRequest::default()
        .with_timeout_ms(30_000)
        .with_topics(
            parts
                .iter()
                .map(|(t, count, brokers)| {
                    CreatePartitionsTopic::default()
                        .with_name(name(t))
                        .with_count(*count)
                        .with_assignments(brokers.map(|bs| {
                            bs.iter()
                                .map(|b| {
                                    CreatePartitionsAssignment::default()
                                        .with_broker_ids(vec![BrokerId(*b)])
                                })
                                .collect()
                        }))
                })
                .collect(),
        )
}

fn delete_records(parts: &[(String, i32, i64)]) -> DeleteRecordsRequest {
    DeleteRecordsRequest::default()
        .with_timeout_ms(30_000)
        .with_topics(
            parts
                .iter()
                .map(|(t, p, offset)| {
                    DeleteRecordsTopic::default()
                        .with_name(name(t))
                        .with_partitions(vec![DeleteRecordsPartition::default()
                            .with_partition_index(*p)
                            .with_offset(*offset)])
                })
                .collect(),
        )
}

fn delete_topics(ctx: &Ctx, version: i16, names: &[&str], ids: &[&str]) -> DeleteTopicsRequest {
    let request = DeleteTopicsRequest::default().with_timeout_ms(30_000);
    if version >= 6 {
        let by_name = names
            .iter()
            .map(|t| DeleteTopicState::default().with_name(Some(name(t))));
        let by_id = ids
            .iter()
            .map(|t| DeleteTopicState::default().with_topic_id(ctx.topic_id(t)));
        request.with_topics(by_name.chain(by_id).collect())
    } else {
        request.with_topic_names(names.iter().map(|t| name(t)).collect())
    }
}

fn created(version: i16) -> String {
    format!("diff-ct-v{version}")
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    let Some(newest_create) = v.newest(ApiKey::CreateTopics) else {
        return cases;
    };
    let newest_meta = v.newest(ApiKey::Metadata);
    let settle =
        |cases: &mut Vec<Case>, label: &str, topics: Vec<String>, done: fn(&Tree) -> bool| {
            if let Some(mv) = newest_meta {
                cases.push(
                    case(format!("settle: {label}"), mv, move |_| metadata(&topics)).until(done),
                );
            }
        };

    // Topics for the CreatePartitions and DeleteRecords cases, with records.
    let cp: Vec<String> = v
        .compared(ApiKey::CreatePartitions)
        .iter()
        .map(|v| format!("diff-cp-v{v}"))
        .collect();
    let dr: Vec<String> = v
        .compared(ApiKey::DeleteRecords)
        .iter()
        .map(|v| format!("diff-dr-v{v}"))
        .collect();
    let both: Vec<String> = cp.iter().chain(&dr).cloned().collect();
    let names = both.clone();
    cases.push(case("setup-topics", newest_create, move |_| {
        create(names.iter().map(|t| topic(t, 1, &[])).collect())
    }));
    settle(
        &mut cases,
        "admin topics have leaders",
        both.clone(),
        topics_ready,
    );
    cases.extend(partitions_served(
        v,
        "admin partitions are served",
        both.into_iter().map(|t| (t, 1)).collect(),
    ));
    if let Some(pv) = v.newest(ApiKey::Produce) {
        for t in dr.clone() {
            cases.push(case("setup-records", pv, move |ctx| {
                produce::request(ctx, pv, -1, &[(t.as_str(), 0, Some(batch(4, t0(), None)))])
            }));
        }
    }

    let mut made = Vec::new();
    for version in v.compared(ApiKey::CreateTopics) {
        let c = move |label: &str, build: Box<dyn Fn() -> Vec<CreatableTopic> + Send + Sync>| {
            case(label.to_string(), version, move |_| create(build()))
        };
        let own = created(version);
        made.push(own.clone());
        let t = own.clone();
        cases.push(c(
            "ordinary",
            Box::new(move || vec![topic(&t, 2, &[("retention.ms", "600000")])]),
        ));
        cases.push(c(
            "already-exists",
            Box::new(|| vec![topic(TOPIC_A, 1, &[])]),
        ));
        cases.push(c(
            "invalid-config-value",
            Box::new(|| vec![topic("diff-ct-bad", 1, &[("retention.ms", "soon")])]),
        ));
        cases.push(c(
            "unknown-config",
            Box::new(|| vec![topic("diff-ct-bad", 1, &[("no.such.config", "1")])]),
        ));
        cases.push(c(
            "zero-partitions",
            Box::new(|| vec![topic("diff-ct-bad", 0, &[])]),
        ));
        cases.push(c(
            "replication-factor-3",
            Box::new(|| vec![topic("diff-ct-bad", 1, &[]).with_replication_factor(3)]),
        ));
        cases.push(c(
            "invalid-name",
            Box::new(|| vec![topic("bad/name", 1, &[])]),
        ));
        cases.push(c(
            "name-too-long",
            Box::new(|| vec![topic(&"x".repeat(250), 1, &[])]),
        ));
        // Validate-only: a broker that would create it must not.
        cases.push(case("internal-topic-name", version, |_| {
            create(vec![topic("__consumer_offsets", 1, &[])]).with_validate_only(true)
        }));
        let t = format!("diff-ct-dup-v{version}");
        cases.push(c(
            "duplicate-topic",
            Box::new(move || vec![topic(&t, 1, &[]), topic(&t, 1, &[])]),
        ));
        let t = format!("diff-ct-validate-v{version}");
        cases.push(case("validate-only", version, move |_| {
            create(vec![topic(&t, 1, &[])]).with_validate_only(true)
        }));
        let (a, b) = (
            format!("diff_col-v{version}"),
            format!("diff.col-v{version}"),
        );
        made.push(a.clone());
        cases.push(c(
            "collision-setup",
            Box::new(move || vec![topic(&a, 1, &[])]),
        ));
        cases.push(c(
            "collides-with-existing",
            Box::new(move || vec![topic(&b, 1, &[])]),
        ));
        cases.push(c(
            "null-config-value",
            Box::new(|| {
                vec![topic("diff-ct-bad", 1, &[]).with_configs(vec![
                    CreatableTopicConfig::default()
                        .with_name(text("retention.ms"))
                        .with_value(None),
                ])]
            }),
        ));
        cases.push(c(
            "bad-assignment",
            Box::new(|| {
                vec![topic("diff-ct-bad", -1, &[])
                    .with_replication_factor(-1)
                    .with_assignments(vec![CreatableReplicaAssignment::default()
                        .with_partition_index(0)
                        .with_broker_ids(vec![BrokerId(7)])])]
            }),
        ));
        cases.push(c("no-topics", Box::new(Vec::new)));
        cases.push(
            c(
                "trailing-bytes",
                Box::new(|| vec![topic("diff-ct-bad", 0, &[])]),
            )
            .trailing(&[0, 0, 0]),
        );
        if version >= 4 {
            let t = format!("diff-ct-default-v{version}");
            made.push(t.clone());
            cases.push(c(
                "broker-defaults",
                Box::new(move || vec![topic(&t, -1, &[]).with_replication_factor(-1)]),
            ));
            let t = format!("diff-ct-assign-v{version}");
            made.push(t.clone());
            cases.push(c(
                "manual-assignment",
                Box::new(move || {
                    vec![topic(&t, -1, &[])
                        .with_replication_factor(-1)
                        .with_assignments(vec![
                            CreatableReplicaAssignment::default()
                                .with_partition_index(0)
                                .with_broker_ids(vec![BrokerId(1)]),
                            CreatableReplicaAssignment::default()
                                .with_partition_index(1)
                                .with_broker_ids(vec![BrokerId(1)]),
                        ])]
                }),
            ));
        }
        if version >= 5 {
            cases.push(
                c(
                    "unknown-tagged-field",
                    Box::new(|| vec![topic("diff-ct-bad", 0, &[])]),
                )
                .body_tag(),
            );
        }
    }
    settle(
        &mut cases,
        "created topics have leaders",
        made,
        topics_ready,
    );

    for version in v.compared(ApiKey::CreatePartitions) {
        let own = format!("diff-cp-v{version}");
        let t = own.as_str();
        let p = move |label: &str, parts: Vec<(&str, i32, Option<&'static [i32]>)>| {
            let parts: Vec<(String, i32, Option<&'static [i32]>)> = parts
                .into_iter()
                .map(|(t, n, a)| (t.to_string(), n, a))
                .collect();
            case(label.to_string(), version, move |_| {
                create_partitions(&parts)
            })
        };
        cases.push(p("grow-to-3", vec![(t, 3, None)]));
        cases.push(p("same-count", vec![(t, 3, None)]));
        cases.push(p("shrink", vec![(t, 2, None)]));
        let t2 = own.clone();
        cases.push(case("validate-only", version, move |_| {
            create_partitions(&[(t2.clone(), 4, None)]).with_validate_only(true)
        }));
        cases.push(p("with-assignment", vec![(t, 4, Some(&[1]))]));
        cases.push(p("bad-assignment", vec![(t, 5, Some(&[7]))]));
        cases.push(p("wrong-assignment-count", vec![(t, 6, Some(&[1]))]));
        cases.push(p("unknown-topic", vec![(UNKNOWN_TOPIC, 3, None)]));
        cases.push(case("internal-topic", version, |_| {
            create_partitions(&[("__consumer_offsets".to_string(), 60, None)])
                .with_validate_only(true)
        }));
        cases.push(p("duplicate-topic", vec![(t, 5, None), (t, 5, None)]));
        cases.push(p("no-topics", vec![]));
        cases.push(p("trailing-bytes", vec![(UNKNOWN_TOPIC, 3, None)]).trailing(&[0, 0, 0]));
        if version >= 2 {
            cases.push(p("unknown-tagged-field", vec![(UNKNOWN_TOPIC, 3, None)]).body_tag());
        }
    }
    settle(&mut cases, "new partitions have leaders", cp, topics_ready);

    for version in v.compared(ApiKey::DeleteRecords) {
        let own = format!("diff-dr-v{version}");
        let t = own.as_str();
        let d = move |label: &str, parts: Vec<(&str, i32, i64)>| {
            let parts: Vec<(String, i32, i64)> = parts
                .into_iter()
                .map(|(t, p, o)| (t.to_string(), p, o))
                .collect();
            case(label.to_string(), version, move |_| delete_records(&parts))
        };
        cases.push(d("to-offset-2", vec![(t, 0, 2)]));
        cases.push(d("backwards", vec![(t, 0, 1)]));
        cases.push(d("to-high-watermark", vec![(t, 0, -1)]));
        cases.push(d("beyond-end", vec![(t, 0, 10)]));
        cases.push(d("invalid-offset", vec![(t, 0, -7)]));
        cases.push(d("unknown-topic", vec![(UNKNOWN_TOPIC, 0, 1)]));
        cases.push(d("unknown-partition", vec![(t, 4, 1)]));
        cases.push(d("duplicate-partition", vec![(t, 0, 4), (t, 0, 4)]));
        cases.push(d("no-topics", vec![]));
        cases.push(d("trailing-bytes", vec![(UNKNOWN_TOPIC, 0, 1)]).trailing(&[0, 0, 0]));
        if version >= 2 {
            cases.push(d("unknown-tagged-field", vec![(UNKNOWN_TOPIC, 0, 1)]).body_tag());
        }
        cases.extend(list_offsets::earliest_and_latest(
            &format!("after DeleteRecords v{version}"),
            v,
            t,
        ));
    }

    let mut deleted = Vec::new();
    for version in v.compared(ApiKey::DeleteTopics) {
        // Each version deletes the topic CreateTopics made one version up
        // (v6 by id: CreateTopics v7 answers with the id).
        let target = created(version + 1);
        deleted.push(target.clone());
        let d = move |label: &str, names: &'static [&'static str], ids: &'static [&'static str]| {
            case(label.to_string(), version, move |ctx| {
                delete_topics(ctx, version, names, ids)
            })
        };
        if version >= 6 {
            let t = target.clone();
            cases.push(case("by-id", version, move |ctx| {
                delete_topics(ctx, version, &[], &[&t])
            }));
            cases.push(d("no-name-no-id", &[], &[UNKNOWN_TOPIC]));
            let by_ids = move |label: &str, ids: &'static [Uuid]| {
                case(label.to_string(), version, move |_| {
                    DeleteTopicsRequest::default()
                        .with_timeout_ms(30_000)
                        .with_topics(
                            ids.iter()
                                .map(|id| DeleteTopicState::default().with_topic_id(*id))
                                .collect(),
                        )
                })
            };
            cases.push(by_ids("unknown-id", &[UNKNOWN_TOPIC_ID]));
            cases.push(by_ids(
                "duplicate-id",
                &[UNKNOWN_TOPIC_ID, UNKNOWN_TOPIC_ID],
            ));
            cases.push(case("name-and-id", version, move |ctx| {
                let mut r = delete_topics(ctx, version, &[], &[TOPIC_EMPTY]);
                r.topics[0].name = Some(name(TOPIC_EMPTY));
                r
            }));
        } else {
            let t = target.clone();
            cases.push(case("by-name", version, move |ctx| {
                delete_topics(ctx, version, &[&t], &[])
            }));
        }
        cases.push(case("already-deleted", version, move |ctx| {
            delete_topics(ctx, version, &[&target], &[])
        }));
        cases.push(d("unknown-topic", &[UNKNOWN_TOPIC], &[]));
        cases.push(d("duplicate-topic", &[UNKNOWN_TOPIC, UNKNOWN_TOPIC], &[]));
        cases.push(d("no-topics", &[], &[]));
        cases.push(d("trailing-bytes", &[UNKNOWN_TOPIC], &[]).trailing(&[0, 0, 0]));
        if version >= 4 {
            cases.push(d("unknown-tagged-field", &[UNKNOWN_TOPIC], &[]).body_tag());
        }
    }
    settle(&mut cases, "deleted topics are gone", deleted, topics_gone);
    cases
}

/// DeleteTopics of `__consumer_offsets`: Kafka 4.4 without an authorizer
/// deletes it, so this runs last of all, at one version.
pub fn delete_internal_topic(v: &Versions) -> Vec<Case> {
    v.newest(ApiKey::DeleteTopics)
        .map(|version| {
            case("internal-topic", version, move |ctx| {
                delete_topics(ctx, version, &["__consumer_offsets"], &[])
            })
        })
        .into_iter()
        .collect()
}
