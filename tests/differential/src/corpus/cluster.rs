//! The cluster as a client sees it: DescribeCluster (60) and DescribeLogDirs
//! (35).

use kafka_protocol::messages::describe_log_dirs_request::DescribableLogDirTopic;
use kafka_protocol::messages::{ApiKey, DescribeClusterRequest, DescribeLogDirsRequest};

use super::ctx::name;
use super::fixtures::*;
use super::{case, Case};
use crate::versions::Versions;

fn log_dirs(topics: Option<&[(&str, &[i32])]>) -> DescribeLogDirsRequest {
    DescribeLogDirsRequest::default().with_topics(topics.map(|ts| {
        ts.iter()
            .map(|(t, ps)| {
                DescribableLogDirTopic::default()
                    .with_topic(name(t))
                    .with_partitions(ps.to_vec())
            })
            .collect()
    }))
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    for version in v.compared(ApiKey::DescribeCluster) {
        cases.push(case("ordinary", version, |_| {
            DescribeClusterRequest::default()
        }));
        cases.push(case("authorized-operations", version, |_| {
            DescribeClusterRequest::default().with_include_cluster_authorized_operations(true)
        }));
        cases.push(
            case("trailing-bytes", version, |_| {
                DescribeClusterRequest::default()
            })
            .trailing(&[0, 0, 0]),
        );
        cases.push(
            case("unknown-tagged-field", version, |_| {
                DescribeClusterRequest::default()
            })
            .body_tag(),
        );
        if version >= 1 {
            cases.push(case("brokers-endpoint", version, |_| {
                DescribeClusterRequest::default().with_endpoint_type(1)
            }));
            cases.push(case("controllers-endpoint", version, |_| {
                DescribeClusterRequest::default().with_endpoint_type(2)
            }));
            cases.push(case("unknown-endpoint-type", version, |_| {
                DescribeClusterRequest::default().with_endpoint_type(9)
            }));
        }
        if version >= 2 {
            cases.push(case("fenced-brokers", version, |_| {
                DescribeClusterRequest::default().with_include_fenced_brokers(true)
            }));
        }
    }
    for version in v.compared(ApiKey::DescribeLogDirs) {
        let d = move |label: &str, build: fn() -> DescribeLogDirsRequest| {
            case(label.to_string(), version, move |_| build())
        };
        cases.push(d("fixture-partitions", || {
            log_dirs(Some(&[
                (TOPIC_A, &[0, 1, 2]),
                (TOPIC_B, &[0]),
                (TOPIC_EMPTY, &[0]),
            ]))
        }));
        cases.push(d("unknown-topic", || {
            log_dirs(Some(&[(UNKNOWN_TOPIC, &[0])]))
        }));
        cases.push(d("unknown-partition", || {
            log_dirs(Some(&[(TOPIC_A, &[7])]))
        }));
        cases.push(d("no-topics", || log_dirs(Some(&[]))));
        cases.push(d("duplicate-partition", || {
            log_dirs(Some(&[(TOPIC_B, &[0, 0])]))
        }));
        cases.push(d("trailing-bytes", || log_dirs(Some(&[(TOPIC_B, &[0])]))).trailing(&[0, 0, 0]));
        if version >= 2 {
            cases.push(
                d("unknown-tagged-field", || {
                    log_dirs(Some(&[(TOPIC_B, &[0])]))
                })
                .body_tag(),
            );
        }
    }
    // All topics once, at the newest version (the answer names every topic
    // the corpus created so far).
    if let Some(version) = v.newest(ApiKey::DescribeLogDirs) {
        cases.push(case("all-topics", version, |_| log_dirs(None)));
    }
    cases
}
