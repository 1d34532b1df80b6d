//! Dynamic broker configs: IncrementalAlterConfigs and AlterConfigs on this
//! broker (resource "1") and on the cluster-wide default (resource ""), and
//! what DescribeConfigs shows of them afterwards, on the broker and on a
//! topic that inherits them. Every change is put back at the end, so the
//! families after this one meet the defaults.

use kafka_protocol::messages::ApiKey;

use super::configs::{alter, barrier, describe, incremental, BROKER, TOPIC};
use super::fixtures::*;
use super::{case, Case};
use crate::versions::Versions;

/// Barrier numbers of this family (configs.rs uses small ones).
const FIRST_BARRIER: usize = 100;

/// Describes, with synonyms, what the steps changed: the cluster default,
/// the broker's own view, and a topic that inherits them.
fn show(v: &Versions, label: &str, n: usize) -> Vec<Case> {
    let Some(version) = v.newest(ApiKey::DescribeConfigs) else {
        return Vec::new();
    };
    let mut cases = barrier(v, n);
    let keys: &'static [&'static str] = &[
        "log.segment.bytes",
        "log.cleanup.policy",
        "log.retention.bytes",
        "leader.replication.throttled.rate",
        "max.connections",
    ];
    cases.push(case(
        format!("{label}: cluster default"),
        version,
        move |_| describe(&[(BROKER, "", Some(keys))]).with_include_synonyms(true),
    ));
    cases.push(case(format!("{label}: broker"), version, move |_| {
        describe(&[(BROKER, "1", Some(keys))]).with_include_synonyms(true)
    }));
    cases.push(case(format!("{label}: topic"), version, |_| {
        describe(&[(
            TOPIC,
            TOPIC_A,
            Some(&["segment.bytes", "cleanup.policy", "retention.bytes"]),
        )])
        .with_include_synonyms(true)
    }));
    cases
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let Some(iv) = v.newest(ApiKey::IncrementalAlterConfigs) else {
        return Vec::new();
    };
    let mut cases = Vec::new();
    let mut barriers = FIRST_BARRIER;
    let mut step = |label: &str, cases: &mut Vec<Case>, build: fn() -> _| {
        cases.push(case(format!("broker-configs {label}"), iv, move |_| {
            build()
        }));
        cases.extend(show(v, &format!("broker-configs {label}"), barriers));
        barriers += 1;
    };
    step("cluster-default-set", &mut cases, || {
        incremental(&[(BROKER, "", &[("log.segment.bytes", 0, Some("536870912"))])])
    });
    step("broker-set", &mut cases, || {
        incremental(&[(BROKER, "1", &[("log.segment.bytes", 0, Some("268435456"))])])
    });
    step("cluster-default-append", &mut cases, || {
        incremental(&[(BROKER, "", &[("log.cleanup.policy", 2, Some("compact"))])])
    });
    step("cluster-default-subtract", &mut cases, || {
        incremental(&[(BROKER, "", &[("log.cleanup.policy", 3, Some("compact"))])])
    });
    step("throttle-rate", &mut cases, || {
        incremental(&[(
            BROKER,
            "1",
            &[("leader.replication.throttled.rate", 0, Some("1000000"))],
        )])
    });
    step("unknown-config", &mut cases, || {
        incremental(&[(BROKER, "1", &[("no.such.config", 0, Some("1"))])])
    });
    step("invalid-value", &mut cases, || {
        incremental(&[(BROKER, "1", &[("log.retention.bytes", 0, Some("lots"))])])
    });
    step("read-only", &mut cases, || {
        incremental(&[(
            BROKER,
            "1",
            &[
                ("auto.create.topics.enable", 0, Some("false")),
                ("num.partitions", 0, Some("3")),
            ],
        )])
    });
    step("read-only-and-dynamic", &mut cases, || {
        incremental(&[(
            BROKER,
            "1",
            &[
                ("log.retention.bytes", 0, Some("1000000")),
                ("num.partitions", 0, Some("3")),
            ],
        )])
    });
    step("max-connections", &mut cases, || {
        incremental(&[(BROKER, "1", &[("max.connections", 0, Some("500"))])])
    });
    step("validate-only", &mut cases, || {
        incremental(&[(BROKER, "1", &[("log.retention.bytes", 0, Some("1000000"))])])
            .with_validate_only(true)
    });
    if let Some(av) = v.newest(ApiKey::AlterConfigs) {
        cases.push(case("broker-configs legacy-cluster-default", av, |_| {
            alter(&[(BROKER, "", &[("log.retention.bytes", Some("2000000"))])])
        }));
        cases.extend(show(v, "broker-configs legacy-cluster-default", barriers));
        barriers += 1;
        cases.push(case("broker-configs legacy-broker", av, |_| {
            alter(&[(BROKER, "1", &[("log.segment.bytes", Some("134217728"))])])
        }));
        cases.extend(show(v, "broker-configs legacy-broker", barriers));
        barriers += 1;
    }
    let mut step = |label: &str, cases: &mut Vec<Case>, build: fn() -> _| {
        cases.push(case(format!("broker-configs {label}"), iv, move |_| {
            build()
        }));
        cases.extend(show(v, &format!("broker-configs {label}"), barriers));
        barriers += 1;
    };
    step("reset-broker", &mut cases, || {
        incremental(&[(
            BROKER,
            "1",
            &[
                ("log.segment.bytes", 1, None),
                ("leader.replication.throttled.rate", 1, None),
                ("max.connections", 1, None),
                ("log.retention.bytes", 1, None),
            ],
        )])
    });
    step("reset-cluster-default", &mut cases, || {
        incremental(&[(
            BROKER,
            "",
            &[
                ("log.segment.bytes", 1, None),
                ("log.retention.bytes", 1, None),
                ("log.cleanup.policy", 1, None),
            ],
        )])
    });
    cases
}
