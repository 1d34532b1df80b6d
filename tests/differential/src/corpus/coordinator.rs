//! FindCoordinator (10): groups, transactional ids, several keys at once,
//! and key types no broker knows.

use kafka_protocol::messages::{ApiKey, FindCoordinatorRequest};

use super::ctx::text;
use super::fixtures::*;
use super::{case, Case};
use crate::versions::Versions;

/// A request for `keys` of `key_type` (0 group, 1 transaction, 2 share).
fn find(version: i16, key_type: i8, keys: &[&str]) -> FindCoordinatorRequest {
    let request = if version >= 4 {
        FindCoordinatorRequest::default()
            .with_coordinator_keys(keys.iter().map(|k| text(k)).collect())
    } else {
        FindCoordinatorRequest::default().with_key(text(keys.first().copied().unwrap_or_default()))
    };
    if version >= 1 {
        request.with_key_type(key_type)
    } else {
        request
    }
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    for version in v.compared(ApiKey::FindCoordinator) {
        let f = move |label: &str, key_type: i8, keys: &'static [&'static str]| {
            case(label.to_string(), version, move |_| {
                find(version, key_type, keys)
            })
        };
        cases.push(f("group", 0, &[GROUP]));
        cases.push(f("new-group", 0, &[UNUSED_GROUP]));
        cases.push(f("empty-group-id", 0, &[""]));
        cases.push(f("trailing-bytes", 0, &[GROUP]).trailing(&[0, 0, 0]));
        if version >= 1 {
            cases.push(f("unknown-key-type", 7, &[GROUP]));
        }
        if version >= 3 {
            cases.push(f("unknown-tagged-field", 0, &[GROUP]).body_tag());
        }
        if version >= 4 {
            cases.push(f("two-groups", 0, &[GROUP, SIMPLE_GROUP]));
            cases.push(f("no-keys", 0, &[]));
            cases.push(f("duplicate-keys", 0, &[GROUP, GROUP]));
        }
        if version >= 6 {
            cases.push(f("share-group", 2, &["diff-share:diff-a:0"]));
        }
    }
    cases
}
