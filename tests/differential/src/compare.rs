//! Two normalised answers compared field by field; each difference carries
//! its path (`topics[name=foo].partitions[0].leader_epoch`).
//!
//! Lists whose elements all carry a key field (a topic's name, a
//! partition's index, a group id, ...) are matched by key, so a broker
//! listing topics in another order is not a difference (no client relies on
//! the order of these lists); other lists are matched by position (`[#2]`).
//! Error messages (and config documentation) that differ only in wording
//! are a softer class: clients show them, none branches on them. A message that is null on one side and
//! not on the other is an ordinary difference: clients do check that.

use std::collections::HashSet;

use crate::tree::Tree;

#[derive(Clone, Debug, PartialEq)]
pub struct Diff {
    pub path: String,
    pub klamm: String,
    pub kafka: String,
    /// Both sides have an error message and the wording differs.
    pub soft: bool,
}

/// Fields that identify an element of a list, most specific first.
const KEYS: &[&str] = &[
    "partition_index",
    "index",
    "partition",
    "partition_id",
    "name",
    "topic",
    "topic_name",
    "topic_id",
    "group_id",
    "member_id",
    "api_key",
    "resource_name",
    "key",
    "entity_type",
    "node_id",
    "broker_id",
    "transactional_id",
    "log_dir",
];

/// Keys of elements no single field identifies: two fields together
/// (`a+b`: ListConfigResources names broker 1 and its logger "1"), or a list
/// field whose elements, in any order, make the key (a quota entity).
const COMPOSITE_KEYS: &[&str] = &["resource_type+resource_name", "entity"];

/// Keys shown as a bare index (`partitions[0]`).
const INDEX_KEYS: &[&str] = &["partition_index", "index", "partition", "partition_id"];

pub fn diff(klamm: &Tree, kafka: &Tree) -> Vec<Diff> {
    let mut out = Vec::new();
    walk("", klamm, kafka, &mut out);
    out
}

/// How one side renders in the report: `absent` when the element or field
/// is missing there.
pub fn show(path: &str, value: Option<&Tree>) -> String {
    match value {
        None => "absent".into(),
        Some(Tree::Int(code)) if path.ends_with("error_code") => error_name(*code as i16)
            .map(|name| format!("{code} {name}"))
            .unwrap_or_else(|| code.to_string()),
        Some(value) => value.render(),
    }
}

/// Kafka's name of an error code (`UNKNOWN_TOPIC_OR_PARTITION`).
pub fn error_name(code: i16) -> Option<String> {
    if code == 0 {
        return Some("NONE".into());
    }
    let error = kafka_protocol::error::ResponseError::try_from_code(code)?;
    let camel = format!("{error:?}");
    if camel.contains('(') {
        return None;
    }
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    Some(out)
}

fn push(out: &mut Vec<Diff>, path: &str, klamm: Option<&Tree>, kafka: Option<&Tree>) {
    let soft = (path.ends_with("error_message") || path.ends_with("documentation"))
        && matches!((klamm, kafka), (Some(Tree::Str(_)), Some(Tree::Str(_))));
    out.push(Diff {
        path: if path.is_empty() {
            "(answer)".into()
        } else {
            path.to_string()
        },
        klamm: show(path, klamm),
        kafka: show(path, kafka),
        soft,
    });
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

fn walk(path: &str, klamm: &Tree, kafka: &Tree, out: &mut Vec<Diff>) {
    match (klamm, kafka) {
        (Tree::Struct(a), Tree::Struct(b)) | (Tree::Map(a), Tree::Map(b)) => {
            fields(path, a, b, out)
        }
        (Tree::List(a), Tree::List(b)) => list(path, a, b, out),
        _ if klamm == kafka => {}
        _ => push(out, path, Some(klamm), Some(kafka)),
    }
}

fn fields(path: &str, a: &[(String, Tree)], b: &[(String, Tree)], out: &mut Vec<Diff>) {
    for (name, value) in a {
        let here = join(path, name);
        match b.iter().find(|(n, _)| n == name) {
            Some((_, other)) => walk(&here, value, other, out),
            None => push(out, &here, Some(value), None),
        }
    }
    for (name, value) in b {
        if !a.iter().any(|(n, _)| n == name) {
            push(out, &join(path, name), None, Some(value));
        }
    }
}

fn list(path: &str, a: &[Tree], b: &[Tree], out: &mut Vec<Diff>) {
    // Elements only one side has: (label, element).
    let mut only_klamm = Vec::new();
    let mut only_kafka = Vec::new();
    match key_of(a, b) {
        None => {
            for i in 0..a.len().max(b.len()) {
                let here = format!("{path}[#{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => walk(&here, x, y, out),
                    (Some(x), None) => only_klamm.push((here, x)),
                    (None, Some(y)) => only_kafka.push((here, y)),
                    (None, None) => {}
                }
            }
        }
        Some(key) => {
            let label = |item: &Tree| {
                let value = key_value(item, key).unwrap_or_default();
                if INDEX_KEYS.contains(&key) {
                    format!("{path}[{value}]")
                } else {
                    format!("{path}[{key}={}]", value.replace('"', ""))
                }
            };
            for x in a {
                match b.iter().find(|y| key_value(y, key) == key_value(x, key)) {
                    Some(y) => walk(&label(x), x, y, out),
                    None => only_klamm.push((label(x), x)),
                }
            }
            for y in b {
                if !a.iter().any(|x| key_value(x, key) == key_value(y, key)) {
                    only_kafka.push((label(y), y));
                }
            }
        }
    }
    one_sided(path, only_klamm, true, out);
    one_sided(path, only_kafka, false, out);
}

/// Elements one side lacks: each its own difference, or, beyond a few, one
/// difference that counts and names them (a topic's 50 partitions).
fn one_sided(path: &str, items: Vec<(String, &Tree)>, klamm_has: bool, out: &mut Vec<Diff>) {
    const FEW: usize = 3;
    if items.len() <= FEW {
        for (label, item) in items {
            let (k, f) = if klamm_has {
                (Some(item), None)
            } else {
                (None, Some(item))
            };
            push(out, &label, k, f);
        }
        return;
    }
    let labels: Vec<&str> = items.iter().map(|(l, _)| &l[path.len()..]).collect();
    let mut named = labels.iter().take(8).copied().collect::<Vec<_>>().join(" ");
    if labels.len() > 8 {
        named.push_str(" ...");
    }
    let present = format!("{} elements: {named}", items.len());
    let (klamm, kafka) = if klamm_has {
        (present, "absent".into())
    } else {
        ("absent".into(), present)
    };
    out.push(Diff {
        path: format!("{path}[...]"),
        klamm,
        kafka,
        soft: false,
    });
}

/// The key field both lists can be matched by: present in every element of
/// both, and unique within each.
fn key_of(a: &[Tree], b: &[Tree]) -> Option<&'static str> {
    if a.is_empty() && b.is_empty() {
        return None;
    }
    KEYS.iter().chain(COMPOSITE_KEYS).copied().find(|key| {
        [a, b].iter().all(|items| {
            let mut seen = HashSet::new();
            items.iter().all(|item| match key_value(item, key) {
                Some(value) => seen.insert(value),
                None => false,
            })
        })
    })
}

/// An element's key: a scalar field, two of them (`a+b`), or a list field
/// of the composite keys rendered in a canonical order.
fn key_value(item: &Tree, key: &str) -> Option<String> {
    if let Some((first, second)) = key.split_once('+') {
        return Some(format!(
            "{}/{}",
            key_value(item, first)?,
            key_value(item, second)?
        ));
    }
    match item.field(key)? {
        Tree::List(elements) if COMPOSITE_KEYS.contains(&key) => {
            let mut rendered: Vec<String> = elements.iter().map(Tree::render).collect();
            rendered.sort();
            Some(format!("[{}]", rendered.join(", ")))
        }
        Tree::Struct(_) | Tree::List(_) => None,
        value => Some(value.render()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::parse;

    fn d(a: &str, b: &str) -> Vec<Diff> {
        diff(&parse(a).expect("a parses"), &parse(b).expect("b parses"))
    }

    #[test]
    fn equal_answers_have_no_difference() {
        assert!(d("R { a: 1, b: [1, 2] }", "R { a: 1, b: [1, 2] }").is_empty());
    }

    #[test]
    fn keyed_lists_match_by_key_whatever_the_order() {
        let a = "R { topics: [T { name: \"a\", partitions: [P { partition_index: 0, leader_epoch: 0 }] }, T { name: \"b\", partitions: [] }] }";
        let b = "R { topics: [T { name: \"b\", partitions: [] }, T { name: \"a\", partitions: [P { partition_index: 0, leader_epoch: 1 }] }, T { name: \"c\", partitions: [] }] }";
        let diffs = d(a, b);
        assert_eq!(diffs.len(), 2, "{diffs:?}");
        assert_eq!(diffs[0].path, "topics[name=a].partitions[0].leader_epoch");
        assert_eq!(
            (diffs[0].klamm.as_str(), diffs[0].kafka.as_str()),
            ("0", "1")
        );
        assert_eq!(diffs[1].path, "topics[name=c]");
        assert_eq!(diffs[1].klamm, "absent");
    }

    #[test]
    fn composite_keys_match_elements_no_single_field_names() {
        let a = "R { rs: [C { resource_name: \"1\", resource_type: 8 }, C { resource_name: \"1\", resource_type: 4 }] }";
        let b = "R { rs: [C { resource_name: \"1\", resource_type: 4 }, C { resource_name: \"1\", resource_type: 8 }] }";
        assert!(d(a, b).is_empty());
        let a = "R { es: [E { entity: [D { entity_type: \"user\" }, D { entity_type: \"client-id\" }], v: 1 }, E { entity: [D { entity_type: \"ip\" }], v: 2 }] }";
        let b = "R { es: [E { entity: [D { entity_type: \"ip\" }], v: 2 }, E { entity: [D { entity_type: \"client-id\" }, D { entity_type: \"user\" }], v: 1 }] }";
        assert!(d(a, b).is_empty(), "{:?}", d(a, b));
    }

    #[test]
    fn unkeyed_lists_match_by_position() {
        let diffs = d("R { x: [1, 2, 3] }", "R { x: [1, 5] }");
        let paths: Vec<_> = diffs.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["x[#1]", "x[#2]"]);
        assert_eq!(diffs[1].kafka, "absent");
        // A key that repeats cannot match elements.
        let diffs = d(
            "R { x: [E { name: \"a\", v: 1 }, E { name: \"a\", v: 2 }] }",
            "R { x: [E { name: \"a\", v: 1 }, E { name: \"a\", v: 3 }] }",
        );
        assert_eq!(diffs[0].path, "x[#1].v");
    }

    #[test]
    fn many_missing_elements_are_one_difference() {
        let parts = |n: i64| {
            let items: Vec<String> = (0..n)
                .map(|i| format!("P {{ partition_index: {i} }}"))
                .collect();
            format!("R {{ partitions: [{}] }}", items.join(", "))
        };
        let diffs = d(&parts(1), &parts(50));
        assert_eq!(diffs.len(), 1, "{diffs:?}");
        assert_eq!(diffs[0].path, "partitions[...]");
        assert_eq!(diffs[0].klamm, "absent");
        assert!(
            diffs[0].kafka.starts_with("49 elements: [1] [2] [3]"),
            "{}",
            diffs[0].kafka
        );
        assert_eq!(d(&parts(1), &parts(3)).len(), 2);
    }

    #[test]
    fn error_codes_are_named_and_messages_are_soft_only_when_both_exist() {
        let diffs = d(
            "R { error_code: 0, error_message: Some(\"a\"), e2: None, m: T { error_message: Some(\"\") } }",
            "R { error_code: 3, error_message: Some(\"b\"), e2: None, m: T { error_message: None } }",
        );
        assert_eq!(diffs[0].klamm, "0 NONE");
        assert_eq!(diffs[0].kafka, "3 UNKNOWN_TOPIC_OR_PARTITION");
        assert!(diffs[1].soft);
        assert_eq!(diffs[2].path, "m.error_message");
        assert!(!diffs[2].soft, "null against empty is a real difference");
    }

    #[test]
    fn a_different_kind_of_answer_is_one_difference_at_the_root() {
        let diffs = diff(
            &Tree::Atom("connection closed".into()),
            &parse("R { a: 1 }").expect("parses"),
        );
        assert_eq!(diffs.len(), 1);
        assert_eq!(diffs[0].path, "(answer)");
    }

    #[test]
    fn error_names_follow_kafka() {
        assert_eq!(error_name(79).as_deref(), Some("MEMBER_ID_REQUIRED"));
        assert_eq!(error_name(-1).as_deref(), Some("UNKNOWN_SERVER_ERROR"));
        assert_eq!(error_name(9999), None);
    }
}
