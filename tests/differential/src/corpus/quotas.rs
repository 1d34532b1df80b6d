//! Client quotas: AlterClientQuotas (49) sets and removes them, then
//! DescribeClientQuotas (48) reads them back with every kind of filter.
//! Entity names carry the version so each version's cases see their own.

use kafka_protocol::messages::alter_client_quotas_request::{EntityData, EntryData, OpData};
use kafka_protocol::messages::describe_client_quotas_request::ComponentData;
use kafka_protocol::messages::*;

use super::ctx::text;
use super::{case, Case};
use crate::versions::Versions;

/// (type, name); a `None` name is the default entity.
type Entity = Vec<(String, Option<String>)>;
/// (key, value, remove).
type Ops = Vec<(String, f64, bool)>;

fn entity(pairs: &[(&str, Option<&str>)]) -> Entity {
    pairs
        .iter()
        .map(|(t, n)| (t.to_string(), n.map(str::to_string)))
        .collect()
}

fn set(key: &str, value: f64) -> (String, f64, bool) {
    (key.to_string(), value, false)
}

fn remove(key: &str) -> (String, f64, bool) {
    (key.to_string(), 0.0, true)
}

fn alter(entries: &[(Entity, Ops)], validate_only: bool) -> AlterClientQuotasRequest {
    AlterClientQuotasRequest::default()
        .with_validate_only(validate_only)
        .with_entries(
            entries
                .iter()
                .map(|(entity, ops)| {
                    EntryData::default()
                        .with_entity(
                            entity
                                .iter()
                                .map(|(t, n)| {
                                    EntityData::default()
                                        .with_entity_type(text(t))
                                        .with_entity_name(n.as_deref().map(text))
                                })
                                .collect(),
                        )
                        .with_ops(
                            ops.iter()
                                .map(|(k, value, remove)| {
                                    OpData::default()
                                        .with_key(text(k))
                                        .with_value(*value)
                                        .with_remove(*remove)
                                })
                                .collect(),
                        )
                })
                .collect(),
        )
}

/// (type, match type, match).
fn describe(components: &[(&str, i8, Option<&str>)], strict: bool) -> DescribeClientQuotasRequest {
    DescribeClientQuotasRequest::default()
        .with_strict(strict)
        .with_components(
            components
                .iter()
                .map(|(t, m, name)| {
                    ComponentData::default()
                        .with_entity_type(text(t))
                        .with_match_type(*m)
                        .with_match(name.map(text))
                })
                .collect(),
        )
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    for version in v.compared(ApiKey::AlterClientQuotas) {
        let user = format!("diff-user-v{version}");
        let client = format!("diff-client-v{version}");
        let gone = format!("diff-gone-v{version}");
        let (u, c, g) = (
            Some(user.as_str()),
            Some(client.as_str()),
            Some(gone.as_str()),
        );
        let ip = Some("127.0.0.7");
        let mut a = |label: &str, entries: Vec<(Entity, Ops)>, validate_only: bool| {
            cases.push(case(label.to_string(), version, move |_| {
                alter(&entries, validate_only)
            }));
        };
        a(
            "user",
            vec![(
                entity(&[("user", u)]),
                vec![set("producer_byte_rate", 1024.0)],
            )],
            false,
        );
        a(
            "user-and-client",
            vec![(
                entity(&[("user", u), ("client-id", c)]),
                vec![
                    set("request_percentage", 12.5),
                    set("consumer_byte_rate", 2048.0),
                ],
            )],
            false,
        );
        a(
            "default-user",
            vec![(
                entity(&[("user", None)]),
                vec![set("controller_mutation_rate", 5.0)],
            )],
            false,
        );
        a(
            "client",
            vec![(
                entity(&[("client-id", c)]),
                vec![set("consumer_byte_rate", 4096.0)],
            )],
            false,
        );
        a(
            "ip",
            vec![(
                entity(&[("ip", ip)]),
                vec![set("connection_creation_rate", 10.0)],
            )],
            false,
        );
        a(
            "set-then-removed",
            vec![(
                entity(&[("user", g)]),
                vec![set("producer_byte_rate", 10.0)],
            )],
            false,
        );
        a(
            "removed",
            vec![(entity(&[("user", g)]), vec![remove("producer_byte_rate")])],
            false,
        );
        a(
            "remove-absent-key",
            vec![(entity(&[("user", u)]), vec![remove("diff_no_such_key")])],
            false,
        );
        a(
            "validate-only",
            vec![(
                entity(&[("client-id", g)]),
                vec![set("producer_byte_rate", 10.0)],
            )],
            true,
        );
        a(
            "several-entities",
            vec![
                (
                    entity(&[("client-id", Some("diff-c1"))]),
                    vec![set("producer_byte_rate", 100.0)],
                ),
                (
                    entity(&[("client-id", Some("diff-c2"))]),
                    vec![set("producer_byte_rate", 0.5)],
                ),
            ],
            false,
        );
        a(
            "unresolvable-ip",
            vec![(
                entity(&[("ip", Some("diff-no-such-host.invalid"))]),
                vec![set("connection_creation_rate", 10.0)],
            )],
            false,
        );
        a(
            "ip-with-user",
            vec![(
                entity(&[("ip", Some("127.0.0.1")), ("user", u)]),
                vec![set("connection_creation_rate", 10.0)],
            )],
            false,
        );
        a(
            "unknown-entity-type",
            vec![(
                entity(&[("group", u)]),
                vec![set("producer_byte_rate", 10.0)],
            )],
            false,
        );
        a(
            "unknown-key",
            vec![(entity(&[("user", u)]), vec![set("diff_no_such_key", 10.0)])],
            false,
        );
        a(
            "ip-key-on-user",
            vec![(
                entity(&[("user", u)]),
                vec![set("connection_creation_rate", 10.0)],
            )],
            false,
        );
        a(
            "user-key-on-ip",
            vec![(entity(&[("ip", ip)]), vec![set("producer_byte_rate", 10.0)])],
            false,
        );
        a(
            "scram-key-on-user",
            vec![(entity(&[("user", u)]), vec![set("SCRAM-SHA-256", 4096.0)])],
            false,
        );
        a(
            "fractional-rate",
            vec![(entity(&[("user", u)]), vec![set("producer_byte_rate", 1.5)])],
            false,
        );
        a(
            "zero-rate",
            vec![(entity(&[("user", u)]), vec![set("producer_byte_rate", 0.0)])],
            false,
        );
        a(
            "negative-rate",
            vec![(
                entity(&[("user", u)]),
                vec![set("request_percentage", -1.0)],
            )],
            false,
        );
        a(
            "too-large-for-int",
            vec![(
                entity(&[("ip", ip)]),
                vec![set("connection_creation_rate", 3e9)],
            )],
            false,
        );
        a(
            "empty-entity",
            vec![(entity(&[]), vec![set("producer_byte_rate", 10.0)])],
            false,
        );
        a(
            "empty-name",
            vec![(
                entity(&[("user", Some(""))]),
                vec![set("producer_byte_rate", 10.0)],
            )],
            false,
        );
        a(
            "duplicate-key",
            vec![(
                entity(&[("user", u)]),
                vec![
                    set("producer_byte_rate", 10.0),
                    set("producer_byte_rate", 20.0),
                ],
            )],
            false,
        );
        a(
            "duplicate-entity",
            vec![
                (
                    entity(&[("user", u)]),
                    vec![set("producer_byte_rate", 30.0)],
                ),
                (
                    entity(&[("user", u)]),
                    vec![set("producer_byte_rate", 40.0)],
                ),
            ],
            false,
        );
        a(
            "duplicate-entity-type",
            vec![(
                entity(&[("user", g), ("user", u)]),
                vec![set("consumer_byte_rate", 50.0)],
            )],
            false,
        );
        a("no-ops", vec![(entity(&[("user", u)]), vec![])], false);
        a("no-entries", vec![], false);
        if version >= 1 {
            cases.push(case("unknown-tagged-field", version, |_| alter(&[], false)).body_tag());
        }
    }
    for version in v.compared(ApiKey::DescribeClientQuotas) {
        let d = move |label: &str,
                      components: &'static [(&'static str, i8, Option<&'static str>)],
                      strict: bool| {
            case(label.to_string(), version, move |_| {
                describe(components, strict)
            })
        };
        cases.push(d("everything", &[], false));
        cases.push(d("everything-strict", &[], true));
        cases.push(d("exact-user", &[("user", 0, Some("diff-user-v1"))], false));
        cases.push(d(
            "exact-user-strict",
            &[("user", 0, Some("diff-user-v1"))],
            true,
        ));
        cases.push(d("default-user", &[("user", 1, None)], false));
        cases.push(d("any-client", &[("client-id", 2, None)], false));
        cases.push(d("any-client-strict", &[("client-id", 2, None)], true));
        cases.push(d(
            "user-and-any-client",
            &[("user", 0, Some("diff-user-v1")), ("client-id", 2, None)],
            true,
        ));
        cases.push(d("any-ip", &[("ip", 2, None)], false));
        cases.push(d(
            "unknown-user",
            &[("user", 0, Some("diff-nobody"))],
            false,
        ));
        cases.push(d("exact-without-name", &[("user", 0, None)], false));
        cases.push(d("default-with-name", &[("user", 1, Some("x"))], false));
        cases.push(d("any-with-name", &[("user", 2, Some("x"))], false));
        cases.push(d("unknown-match-type", &[("user", 5, None)], false));
        cases.push(d(
            "duplicate-type",
            &[("user", 2, None), ("user", 1, None)],
            false,
        ));
        cases.push(d("unknown-entity-type", &[("group", 2, None)], false));
        cases.push(d("empty-entity-type", &[("", 2, None)], false));
        cases.push(d(
            "ip-with-user",
            &[("ip", 2, None), ("user", 2, None)],
            false,
        ));
        if version >= 1 {
            cases.push(d("unknown-tagged-field", &[], false).body_tag());
        }
    }
    cases
}
