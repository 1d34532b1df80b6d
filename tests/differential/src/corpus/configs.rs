//! Configs: DescribeConfigs (32) of topics, the broker, the cluster default,
//! loggers and groups; AlterConfigs (33) and IncrementalAlterConfigs (44)
//! with valid and invalid values, unknown names, every operation. Each
//! alteration is followed by a describe showing what it left.

use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::{
    alter_configs_request, incremental_alter_configs_request, AlterConfigsRequest, ApiKey,
    DescribeConfigsRequest, IncrementalAlterConfigsRequest,
};

use super::ctx::text;
use super::fixtures::*;
use super::{case, Case};
use crate::versions::Versions;

pub(super) const TOPIC: i8 = 2;
pub(super) const BROKER: i8 = 4;
const BROKER_LOGGER: i8 = 8;
const GROUP_CONFIG: i8 = 32;

pub(super) type Resource = (i8, &'static str, Option<&'static [&'static str]>);

pub(super) fn describe(resources: &[Resource]) -> DescribeConfigsRequest {
    DescribeConfigsRequest::default().with_resources(
        resources
            .iter()
            .map(|(kind, name, keys)| {
                DescribeConfigsResource::default()
                    .with_resource_type(*kind)
                    .with_resource_name(text(name))
                    .with_configuration_keys(keys.map(|ks| ks.iter().map(|k| text(k)).collect()))
            })
            .collect(),
    )
}

/// (resource type, name, [(config, value)]): the whole new config set.
/// (resource type, name, configs): one resource of an alteration.
pub(super) type Altered<'a, C> = (i8, &'a str, &'a [C]);

pub(super) fn alter(resources: &[Altered<(&str, Option<&str>)>]) -> AlterConfigsRequest {
    use alter_configs_request::{AlterConfigsResource, AlterableConfig};
    AlterConfigsRequest::default().with_resources(
        resources
            .iter()
            .map(|(kind, name, configs)| {
                AlterConfigsResource::default()
                    .with_resource_type(*kind)
                    .with_resource_name(text(name))
                    .with_configs(
                        configs
                            .iter()
                            .map(|(k, v)| {
                                AlterableConfig::default()
                                    .with_name(text(k))
                                    .with_value(v.map(text))
                            })
                            .collect(),
                    )
            })
            .collect(),
    )
}

/// Operations: 0 set, 1 delete, 2 append, 3 subtract.
pub(super) fn incremental(
    resources: &[Altered<(&str, i8, Option<&str>)>],
) -> IncrementalAlterConfigsRequest {
    use incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
    IncrementalAlterConfigsRequest::default().with_resources(
        resources
            .iter()
            .map(|(kind, name, configs)| {
                AlterConfigsResource::default()
                    .with_resource_type(*kind)
                    .with_resource_name(text(name))
                    .with_configs(
                        configs
                            .iter()
                            .map(|(k, op, v)| {
                                AlterableConfig::default()
                                    .with_name(text(k))
                                    .with_config_operation(*op)
                                    .with_value(v.map(text))
                            })
                            .collect(),
                    )
            })
            .collect(),
    )
}

/// A metadata barrier: Kafka's controller applies config changes and its
/// broker serves them a moment later, in order. Setting a marker value on
/// another topic and waiting until DescribeConfigs shows it means every
/// earlier change is visible too, so the describe after it is not a race.
pub(super) fn barrier(v: &Versions, n: usize) -> Vec<Case> {
    let (Some(iv), Some(dv)) = (
        v.newest(ApiKey::IncrementalAlterConfigs),
        v.newest(ApiKey::DescribeConfigs),
    ) else {
        return Vec::new();
    };
    let marker = (86_400_000 + n).to_string();
    let value = marker.clone();
    vec![
        case(format!("barrier {n}"), iv, move |_| {
            incremental(&[(
                TOPIC,
                TOPIC_BARRIER,
                &[("segment.ms", 0, Some(value.as_str()))],
            )])
        }),
        case(format!("settle: barrier {n}"), dv, |_| {
            describe(&[(TOPIC, TOPIC_BARRIER, Some(&["segment.ms"]))])
        })
        .until(move |answer| {
            answer
                .at("results.0.configs.0.value")
                .and_then(crate::tree::Tree::as_text)
                == Some(marker.as_str())
        }),
    ]
}

/// Removes the dynamic broker config the "broker" cases set (with
/// IncrementalAlterConfigs: Kafka 4 ignores a legacy AlterConfigs without
/// configs).
fn reset_broker(v: &Versions) -> Option<Case> {
    let version = v.newest(ApiKey::IncrementalAlterConfigs)?;
    Some(case("reset-broker", version, |_| {
        incremental(&[(BROKER, "1", &[("log.retention.ms", 1, None)])])
    }))
}

/// The configs the alteration cases touch, as a describe after each shows.
const WATCHED: &[&str] = &[
    "retention.ms",
    "cleanup.policy",
    "segment.bytes",
    "max.message.bytes",
];

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    for version in v.compared(ApiKey::DescribeConfigs) {
        let d = move |label: &str, resources: Vec<Resource>| {
            case(label.to_string(), version, move |_| describe(&resources))
        };
        cases.push(d("topic-all", vec![(TOPIC, TOPIC_A, None)]));
        cases.push(d(
            "topic-set-config",
            vec![(TOPIC, TOPIC_CONF, Some(&["retention.ms", "cleanup.policy"]))],
        ));
        cases.push(d(
            "topic-unknown-key",
            vec![(TOPIC, TOPIC_A, Some(&["no.such.config"]))],
        ));
        cases.push(d("topic-no-keys", vec![(TOPIC, TOPIC_A, Some(&[]))]));
        cases.push(d("unknown-topic", vec![(TOPIC, UNKNOWN_TOPIC, None)]));
        cases.push(d(
            "broker-keys",
            vec![(
                BROKER,
                "1",
                Some(&[
                    "num.partitions",
                    "log.retention.ms",
                    "auto.create.topics.enable",
                    "message.max.bytes",
                    "default.replication.factor",
                ]),
            )],
        ));
        cases.push(d("broker-all", vec![(BROKER, "1", None)]));
        cases.push(d(
            "cluster-default",
            vec![(BROKER, "", Some(&["log.retention.ms", "num.partitions"]))],
        ));
        cases.push(d(
            "unknown-broker",
            vec![(BROKER, "7", Some(&["num.partitions"]))],
        ));
        cases.push(d(
            "broker-logger",
            vec![(BROKER_LOGGER, "1", Some(&["kafka.server.KafkaApis"]))],
        ));
        cases.push(d("group-config", vec![(GROUP_CONFIG, GROUP, None)]));
        cases.push(d("unknown-resource-type", vec![(99, "x", None)]));
        cases.push(d(
            "topic-and-broker",
            vec![
                (TOPIC, TOPIC_B, Some(&["retention.ms"])),
                (BROKER, "1", Some(&["num.partitions"])),
            ],
        ));
        cases.push(d(
            "duplicate-resources",
            vec![
                (TOPIC, TOPIC_B, Some(&["retention.ms"])),
                (TOPIC, TOPIC_B, Some(&["segment.bytes"])),
            ],
        ));
        cases.push(d("no-resources", vec![]));
        cases.push(
            d(
                "trailing-bytes",
                vec![(TOPIC, TOPIC_B, Some(&["retention.ms"]))],
            )
            .trailing(&[0, 0, 0]),
        );
        cases.push(case("synonyms", version, |_| {
            describe(&[(TOPIC, TOPIC_CONF, Some(&["retention.ms", "segment.bytes"]))])
                .with_include_synonyms(true)
        }));
        if version >= 3 {
            cases.push(case("documentation", version, |_| {
                describe(&[(TOPIC, TOPIC_CONF, Some(&["retention.ms"]))])
                    .with_include_documentation(true)
            }));
        }
        if version >= 4 {
            cases.push(
                d(
                    "unknown-tagged-field",
                    vec![(TOPIC, TOPIC_B, Some(&["retention.ms"]))],
                )
                .body_tag(),
            );
        }
    }
    let Some(dv) = v.newest(ApiKey::DescribeConfigs) else {
        return cases;
    };
    let mut barriers = 0;
    let mut show = move |label: &str| {
        barriers += 1;
        let mut cases = barrier(v, barriers);
        cases.push(case(format!("{label}: result"), dv, |_| {
            describe(&[(TOPIC, TOPIC_CONF, Some(WATCHED))])
        }));
        cases
    };
    for version in v.compared(ApiKey::AlterConfigs) {
        type Build = fn() -> AlterConfigsRequest;
        let a = move |label: &str, build: Build| case(label.to_string(), version, move |_| build());
        let steps: Vec<(&str, Build)> = vec![
            ("set-two", || {
                alter(&[(
                    TOPIC,
                    TOPIC_CONF,
                    &[
                        ("retention.ms", Some("3600000")),
                        ("cleanup.policy", Some("compact")),
                    ],
                )])
            }),
            ("replace-with-one", || {
                alter(&[(TOPIC, TOPIC_CONF, &[("segment.bytes", Some("1048576"))])])
            }),
            ("invalid-value", || {
                alter(&[(TOPIC, TOPIC_CONF, &[("retention.ms", Some("soon"))])])
            }),
            ("unknown-config", || {
                alter(&[(TOPIC, TOPIC_CONF, &[("no.such.config", Some("1"))])])
            }),
            ("null-value", || {
                alter(&[(TOPIC, TOPIC_CONF, &[("retention.ms", None)])])
            }),
            ("duplicate-config", || {
                alter(&[(
                    TOPIC,
                    TOPIC_CONF,
                    &[
                        ("retention.ms", Some("1000")),
                        ("retention.ms", Some("2000")),
                    ],
                )])
            }),
            ("validate-only", || {
                alter(&[(TOPIC, TOPIC_CONF, &[("retention.ms", Some("5000"))])])
                    .with_validate_only(true)
            }),
            ("unknown-topic", || {
                alter(&[(TOPIC, UNKNOWN_TOPIC, &[("retention.ms", Some("1000"))])])
            }),
            ("broker", || {
                alter(&[(BROKER, "1", &[("log.retention.ms", Some("3600000"))])])
            }),
            ("empty", || alter(&[(TOPIC, TOPIC_CONF, &[])])),
        ];
        for (label, build) in steps {
            cases.push(a(label, build));
            cases.extend(show(&format!("AlterConfigs v{version} {label}")));
            if label == "broker" {
                // Later topics' defaults would change: put the broker back.
                cases.extend(reset_broker(v));
            }
        }
        cases.push(
            a("trailing-bytes", || alter(&[(TOPIC, UNKNOWN_TOPIC, &[])])).trailing(&[0, 0, 0]),
        );
        if version >= 2 {
            cases.push(
                a("unknown-tagged-field", || {
                    alter(&[(TOPIC, UNKNOWN_TOPIC, &[])])
                })
                .body_tag(),
            );
        }
    }
    for version in v.compared(ApiKey::IncrementalAlterConfigs) {
        type Build = fn() -> IncrementalAlterConfigsRequest;
        let a = move |label: &str, build: Build| case(label.to_string(), version, move |_| build());
        let steps: Vec<(&str, Build)> = vec![
            ("set", || {
                incremental(&[(
                    TOPIC,
                    TOPIC_CONF,
                    &[
                        ("retention.ms", 0, Some("7200000")),
                        ("max.message.bytes", 0, Some("500000")),
                    ],
                )])
            }),
            ("delete", || {
                incremental(&[(TOPIC, TOPIC_CONF, &[("max.message.bytes", 1, None)])])
            }),
            ("append", || {
                incremental(&[(TOPIC, TOPIC_CONF, &[("cleanup.policy", 2, Some("compact"))])])
            }),
            ("append-again", || {
                incremental(&[(TOPIC, TOPIC_CONF, &[("cleanup.policy", 2, Some("compact"))])])
            }),
            ("subtract", || {
                incremental(&[(TOPIC, TOPIC_CONF, &[("cleanup.policy", 3, Some("compact"))])])
            }),
            ("append-to-scalar", || {
                incremental(&[(TOPIC, TOPIC_CONF, &[("retention.ms", 2, Some("1"))])])
            }),
            ("unknown-operation", || {
                incremental(&[(TOPIC, TOPIC_CONF, &[("retention.ms", 7, Some("1"))])])
            }),
            ("invalid-value", || {
                incremental(&[(TOPIC, TOPIC_CONF, &[("retention.ms", 0, Some("soon"))])])
            }),
            ("unknown-config", || {
                incremental(&[(TOPIC, TOPIC_CONF, &[("no.such.config", 0, Some("1"))])])
            }),
            ("duplicate-config", || {
                incremental(&[(
                    TOPIC,
                    TOPIC_CONF,
                    &[("retention.ms", 0, Some("1000")), ("retention.ms", 1, None)],
                )])
            }),
            ("validate-only", || {
                incremental(&[(TOPIC, TOPIC_CONF, &[("retention.ms", 0, Some("5000"))])])
                    .with_validate_only(true)
            }),
            ("unknown-topic", || {
                incremental(&[(TOPIC, UNKNOWN_TOPIC, &[("retention.ms", 0, Some("1000"))])])
            }),
            ("broker", || {
                incremental(&[(BROKER, "1", &[("log.retention.ms", 0, Some("3600000"))])])
            }),
            ("broker-reset", || {
                incremental(&[(BROKER, "1", &[("log.retention.ms", 1, None)])])
            }),
            ("cluster-default", || {
                incremental(&[(BROKER, "", &[("log.retention.ms", 0, Some("3600000"))])])
            }),
            ("cluster-default-reset", || {
                incremental(&[(BROKER, "", &[("log.retention.ms", 1, None)])])
            }),
            ("broker-read-only", || {
                incremental(&[(BROKER, "1", &[("node.id", 0, Some("5"))])])
            }),
            ("two-resources", || {
                incremental(&[
                    (TOPIC, TOPIC_CONF, &[("retention.ms", 0, Some("86400000"))]),
                    (TOPIC, UNKNOWN_TOPIC, &[("retention.ms", 0, Some("1000"))]),
                ])
            }),
        ];
        for (label, build) in steps {
            cases.push(a(label, build));
            cases.extend(show(&format!("IncrementalAlterConfigs v{version} {label}")));
        }
        cases.push(
            a("trailing-bytes", || {
                incremental(&[(TOPIC, UNKNOWN_TOPIC, &[])])
            })
            .trailing(&[0, 0, 0]),
        );
        if version >= 1 {
            cases.push(
                a("unknown-tagged-field", || {
                    incremental(&[(TOPIC, UNKNOWN_TOPIC, &[])])
                })
                .body_tag(),
            );
        }
    }
    cases
}
