//! Groups as an administrator sees them: DescribeGroups (15), ListGroups
//! (16), DeleteGroups (42). By now the corpus has left groups in every
//! state: stable with a member, empty with offsets, never existing.

use kafka_protocol::messages::{
    ApiKey, DeleteGroupsRequest, DescribeGroupsRequest, GroupId, ListGroupsRequest,
};

use super::ctx::text;
use super::fixtures::*;
use super::{case, offsets, Case};
use crate::versions::Versions;

fn ids(groups: &[&str]) -> Vec<GroupId> {
    groups.iter().map(|g| GroupId(text(g))).collect()
}

fn describe(groups: &[&str]) -> DescribeGroupsRequest {
    DescribeGroupsRequest::default().with_groups(ids(groups))
}

fn list(states: &[&str], types: &[&str]) -> ListGroupsRequest {
    ListGroupsRequest::default()
        .with_states_filter(states.iter().map(|s| text(s)).collect())
        .with_types_filter(types.iter().map(|s| text(s)).collect())
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    for version in v.compared(ApiKey::DescribeGroups) {
        let left = join_group(v.newest(ApiKey::JoinGroup).unwrap_or(0));
        let d = move |label: &str, groups: Vec<String>| {
            case(label.to_string(), version, move |_| {
                describe(&groups.iter().map(String::as_str).collect::<Vec<_>>())
            })
        };
        let s = |gs: &[&str]| gs.iter().map(|g| g.to_string()).collect::<Vec<_>>();
        cases.push(d("stable-group", s(&[GROUP])));
        cases.push(d("memberless-group", s(&[SIMPLE_GROUP])));
        cases.push(d("left-group", vec![left]));
        cases.push(d("unknown-group", s(&[UNKNOWN_GROUP])));
        cases.push(d("three-groups", s(&[GROUP, SIMPLE_GROUP, UNKNOWN_GROUP])));
        cases.push(d("no-groups", s(&[])));
        cases.push(d("empty-group-id", s(&[""])));
        cases.push(d("duplicate-groups", s(&[SIMPLE_GROUP, SIMPLE_GROUP])));
        cases.push(d("trailing-bytes", s(&[SIMPLE_GROUP])).trailing(&[0, 0, 0]));
        if version >= 3 {
            cases.push(case("authorized-operations", version, |_| {
                describe(&[GROUP]).with_include_authorized_operations(true)
            }));
        }
        if version >= 5 {
            cases.push(d("unknown-tagged-field", s(&[SIMPLE_GROUP])).body_tag());
        }
    }
    for version in v.compared(ApiKey::ListGroups) {
        let l =
            move |label: &str, states: &'static [&'static str], types: &'static [&'static str]| {
                case(label.to_string(), version, move |_| list(states, types))
            };
        cases.push(l("all", &[], &[]));
        cases.push(l("trailing-bytes", &[], &[]).trailing(&[0, 0, 0]));
        if version >= 3 {
            cases.push(l("unknown-tagged-field", &[], &[]).body_tag());
        }
        if version >= 4 {
            cases.push(l("stable", &["Stable"], &[]));
            cases.push(l("empty-lowercase", &["empty"], &[]));
            cases.push(l("unknown-state", &["NoSuchState"], &[]));
        }
        if version >= 5 {
            cases.push(l("classic", &[], &["classic"]));
            cases.push(l("consumer-type", &[], &["consumer"]));
        }
    }
    let commit_version = v.newest(ApiKey::OffsetCommit);
    for version in v.compared(ApiKey::DeleteGroups) {
        let g = delete_group(version);
        if let Some(cv) = commit_version {
            let g = g.clone();
            cases.push(case("setup-commit", cv, move |_| {
                offsets::commit(&g, -1, "", &[(TOPIC_B, 0, 1)])
            }));
        }
        let d = move |label: &str, groups: Vec<String>| {
            case(label.to_string(), version, move |_| {
                DeleteGroupsRequest::default()
                    .with_groups_names(groups.iter().map(|g| GroupId(text(g))).collect())
            })
        };
        let s = |gs: &[&str]| gs.iter().map(|g| g.to_string()).collect::<Vec<_>>();
        cases.push(d("memberless-group", vec![g.clone()]));
        cases.push(d("deleted-again", vec![g.clone()]));
        cases.push(d("group-with-members", s(&[GROUP])));
        cases.push(d("unknown-group", s(&[UNKNOWN_GROUP])));
        cases.push(d("no-groups", s(&[])));
        cases.push(d("empty-group-id", s(&[""])));
        cases.push(d("duplicate-groups", s(&[UNKNOWN_GROUP, UNKNOWN_GROUP])));
        cases.push(d("trailing-bytes", s(&[UNKNOWN_GROUP])).trailing(&[0, 0, 0]));
        if version >= 2 {
            cases.push(d("unknown-tagged-field", s(&[UNKNOWN_GROUP])).body_tag());
        }
    }
    cases
}
