//! The shared state, built on both brokers by the same requests: the
//! fixture topics, their records, a consumer group with one member and
//! committed offsets, and a memberless group with offsets. These requests
//! are cases too, compared like any other.

use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use kafka_protocol::messages::{
    ApiKey, CreateTopicsRequest, FindCoordinatorRequest, GroupId, InitProducerIdRequest,
    MetadataRequest, OffsetFetchRequest,
};

use super::ctx::{name, text};
use super::fixtures::*;
use super::{case, groups, offsets, produce, Case};
use crate::versions::Versions;

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    if let Some(version) = v.newest(ApiKey::CreateTopics) {
        cases.push(case("fixture-topics", version, |_| {
            CreateTopicsRequest::default()
                .with_timeout_ms(30_000)
                .with_topics(
                    TOPICS
                        .iter()
                        .map(|(t, n, configs)| topic(t, *n, configs))
                        .collect(),
                )
        }));
    }
    if let Some(version) = v.newest(ApiKey::Metadata) {
        cases.push(
            case("settle: fixture topics have leaders", version, move |_| {
                MetadataRequest::default().with_topics(Some(
                    TOPICS
                        .iter()
                        .map(|(t, _, _)| MetadataRequestTopic::default().with_name(Some(name(t))))
                        .collect(),
                ))
            })
            .until(topics_ready),
        );
    }
    cases.extend(partitions_served(
        v,
        "fixture partitions are served",
        TOPICS.iter().map(|(t, n, _)| (t.to_string(), *n)).collect(),
    ));
    if let Some(version) = v.newest(ApiKey::Produce) {
        let records = [
            (TOPIC_A, 0, batch(3, t0(), None)),
            (TOPIC_A, 1, batch(1, t0() + 10, None)),
            (TOPIC_B, 0, batch(2, t0() + 20, None)),
            (TOPIC_B, 0, batch(2, t0() + 30, None)),
            (TOPIC_APPEND_TIME, 0, batch(2, t0(), None)),
        ];
        for (i, (topic, partition, data)) in records.into_iter().enumerate() {
            cases.push(case(format!("fixture-records-{i}"), version, move |ctx| {
                produce::request(ctx, version, -1, &[(topic, partition, Some(data.clone()))])
            }));
        }
    }
    if let Some(version) = v.newest(ApiKey::FindCoordinator) {
        cases.push(
            case("settle: group coordinator", version, move |_| {
                let request = FindCoordinatorRequest::default();
                if version >= 4 {
                    request.with_coordinator_keys(vec![text(GROUP)])
                } else {
                    request.with_key(text(GROUP))
                }
            })
            .until(coordinator_found),
        );
    }
    if let Some(version) = v.newest(ApiKey::OffsetFetch).filter(|v| *v >= 8) {
        cases.push(
            case(
                "settle: every group's coordinator is loaded",
                version,
                |_| {
                    OffsetFetchRequest::default().with_groups(
                        all_groups()
                            .into_iter()
                            .map(|g| {
                                OffsetFetchRequestGroup::default()
                                    .with_group_id(GroupId(text(&g)))
                                    .with_topics(None)
                            })
                            .collect(),
                    )
                },
            )
            .until(no_error_anywhere),
        );
    }
    // Kafka hands out producer ids in blocks it asks its controller for;
    // until the first block arrives it answers COORDINATOR_LOAD_IN_PROGRESS.
    if let Some(version) = v.newest(ApiKey::InitProducerId) {
        cases.push(
            case("settle: producer ids are handed out", version, |_| {
                InitProducerIdRequest::default()
                    .with_transactional_id(None)
                    .with_transaction_timeout_ms(60_000)
            })
            .until(no_error),
        );
    }
    cases.extend(groups::form_fixture_group(v));
    if let Some(version) = v.newest(ApiKey::OffsetCommit) {
        cases.push(case("fixture-simple-commit", version, move |_| {
            offsets::commit(SIMPLE_GROUP, -1, "", &[(TOPIC_B, 0, 2)])
        }));
    }
    cases
}

pub fn topic(name_: &str, partitions: i32, configs: &[(&str, &str)]) -> CreatableTopic {
    CreatableTopic::default()
        .with_name(name(name_))
        .with_num_partitions(partitions)
        .with_replication_factor(1)
        .with_configs(
            configs
                .iter()
                .map(|(k, v)| {
                    CreatableTopicConfig::default()
                        .with_name(text(k))
                        .with_value(Some(text(v)))
                })
                .collect(),
        )
}

/// FindCoordinator answered without error, in the v0-3 or the v4+ form.
fn coordinator_found(answer: &crate::tree::Tree) -> bool {
    use crate::tree::Tree;
    if let Some(Tree::List(coordinators)) = answer.at("coordinators") {
        if !coordinators.is_empty() {
            return coordinators.iter().all(no_error);
        }
    }
    no_error(answer)
}
