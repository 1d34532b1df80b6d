//! The classic group protocol: JoinGroup (11), SyncGroup (14), Heartbeat
//! (12), LeaveGroup (13). Each JoinGroup and LeaveGroup version forms and
//! leaves a group of its own; Heartbeat and SyncGroup cases talk to the
//! fixture group (one member, stable) with right and wrong generations and
//! member ids, none of which starts a rebalance.

use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ApiKey, GroupId, HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, SyncGroupRequest,
};
use kafka_protocol::protocol::StrBytes;

use super::ctx::{text, Ctx};
use super::fixtures::*;
use super::{case, Case};
use crate::normalise::CORPUS_PREFIX;
use crate::versions::Versions;

/// Long enough that no member expires during a run; no case starts a
/// rebalance of a group with members, so the rebalance timeout never runs.
const SESSION_TIMEOUT: i32 = 300_000;

/// The variables the fixture group's member id and generation are kept in.
pub const MEMBER: &str = "group.member";
pub const GENERATION: &str = "group.generation";

fn group(id: &str) -> GroupId {
    GroupId(text(id))
}

/// A join as a Java consumer sends it: protocol "consumer", assignor
/// "range", subscribed to `TOPIC_A`.
pub fn join(version: i16, group_id: &str, member: StrBytes) -> JoinGroupRequest {
    let request = JoinGroupRequest::default()
        .with_group_id(group(group_id))
        .with_session_timeout_ms(SESSION_TIMEOUT)
        .with_member_id(member)
        .with_protocol_type(text("consumer"))
        .with_protocols(vec![JoinGroupRequestProtocol::default()
            .with_name(text("range"))
            .with_metadata(subscription(&[TOPIC_A]))]);
    if version >= 1 {
        request.with_rebalance_timeout_ms(SESSION_TIMEOUT)
    } else {
        request
    }
}

pub fn sync(
    version: i16,
    group_id: &str,
    generation: i64,
    member: StrBytes,
    assign: bool,
) -> SyncGroupRequest {
    let assignments = if assign {
        vec![SyncGroupRequestAssignment::default()
            .with_member_id(member.clone())
            .with_assignment(assignment(TOPIC_A, &[0, 1, 2]))]
    } else {
        Vec::new()
    };
    let request = SyncGroupRequest::default()
        .with_group_id(group(group_id))
        .with_generation_id(generation as i32)
        .with_member_id(member)
        .with_assignments(assignments);
    if version >= 5 {
        request
            .with_protocol_type(Some(text("consumer")))
            .with_protocol_name(Some(text("range")))
    } else {
        request
    }
}

pub fn leave(
    version: i16,
    group_id: &str,
    members: Vec<(StrBytes, Option<StrBytes>)>,
) -> LeaveGroupRequest {
    let request = LeaveGroupRequest::default().with_group_id(group(group_id));
    if version >= 3 {
        request.with_members(
            members
                .into_iter()
                .map(|(id, instance)| {
                    MemberIdentity::default()
                        .with_member_id(id)
                        .with_group_instance_id(instance)
                })
                .collect(),
        )
    } else {
        request.with_member_id(members.into_iter().next().map(|m| m.0).unwrap_or_default())
    }
}

fn heartbeat(group_id: &str, generation: i64, member: StrBytes) -> HeartbeatRequest {
    HeartbeatRequest::default()
        .with_group_id(group(group_id))
        .with_generation_id(generation as i32)
        .with_member_id(member)
}

fn corpus_member(what: &str) -> StrBytes {
    text(&format!("{CORPUS_PREFIX}{what}"))
}

/// Joins `group_id` at `version` as a new member (in two steps from v4 on,
/// as Kafka asks), keeping the member id and generation in `var.member`
/// and `var.generation`; then the leader's sync at the newest version.
fn form(v: &Versions, version: i16, group_id: &str, var: &str, label: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let (member, generation) = (format!("{var}.member"), format!("{var}.generation"));
    let g = group_id.to_string();
    cases.push(
        case(format!("{label}new-member"), version, move |_| {
            join(version, &g, StrBytes::default())
        })
        .capture("member_id", &member)
        .capture("generation_id", &generation),
    );
    if version >= 4 {
        let (g, m) = (group_id.to_string(), member.clone());
        cases.push(
            case(format!("{label}with-member-id"), version, move |ctx| {
                join(version, &g, ctx.text(&m))
            })
            .capture("member_id", &member)
            .capture("generation_id", &generation),
        );
    }
    if let Some(sv) = v.newest(ApiKey::SyncGroup) {
        let (g, m, gen) = (group_id.to_string(), member.clone(), generation.clone());
        cases.push(case(format!("{label}leader-sync"), sv, move |ctx| {
            sync(sv, &g, ctx.int(&gen), ctx.text(&m), true)
        }));
    }
    cases
}

/// The fixture group: one member of `GROUP`, assigned all of `TOPIC_A`.
pub fn form_fixture_group(v: &Versions) -> Vec<Case> {
    match v.newest(ApiKey::JoinGroup) {
        Some(version) => form(v, version, GROUP, "group", "fixture-group-"),
        None => Vec::new(),
    }
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    let newest_leave = v.newest(ApiKey::LeaveGroup);
    for version in v.compared(ApiKey::JoinGroup) {
        let g = join_group(version);
        let var = format!("join.v{version}");
        cases.extend(form(v, version, &g, &var, ""));
        if let Some(lv) = newest_leave {
            let m = format!("{var}.member");
            cases.push(case("leave-after-join", lv, move |ctx| {
                leave(lv, &g, vec![(ctx.text(&m), None)])
            }));
        }
        let j = move |label: &str, build: fn(i16, &Ctx) -> JoinGroupRequest| {
            case(label.to_string(), version, move |ctx| build(version, ctx))
        };
        cases.push(j("unknown-member-id", |v, _| {
            join(v, GROUP, corpus_member("unknown"))
        }));
        cases.push(j("member-id-for-missing-group", |v, _| {
            join(v, GHOST_JOIN_GROUP, corpus_member("unknown"))
        }));
        cases.push(j("invalid-session-timeout", |v, _| {
            join(v, BAD_JOIN_GROUP, StrBytes::default()).with_session_timeout_ms(1000)
        }));
        cases.push(j("inconsistent-protocol-type", |v, _| {
            join(v, GROUP, StrBytes::default()).with_protocol_type(text("connect"))
        }));
        cases.push(j("no-protocols", |v, _| {
            join(v, EMPTY_JOIN_GROUP, StrBytes::default()).with_protocols(vec![])
        }));
        cases.push(j("empty-group-id", |v, _| join(v, "", StrBytes::default())));
        cases.push(
            j("trailing-bytes", |v, _| {
                join(v, BAD_JOIN_GROUP, StrBytes::default()).with_session_timeout_ms(1000)
            })
            .trailing(&[0, 0, 0]),
        );
        if version >= 6 {
            cases.push(
                j("unknown-tagged-field", |v, _| {
                    join(v, BAD_JOIN_GROUP, StrBytes::default()).with_session_timeout_ms(1000)
                })
                .body_tag(),
            );
        }
        if version >= 5 {
            // A static member: no MEMBER_ID_REQUIRED round; left by instance id.
            let g = static_group(version);
            let (member, generation) = (
                format!("static.v{version}.member"),
                format!("static.v{version}.generation"),
            );
            let g2 = g.clone();
            cases.push(
                case("static-member", version, move |_| {
                    join(version, &g2, StrBytes::default())
                        .with_group_instance_id(Some(corpus_member("static")))
                })
                .capture("member_id", &member)
                .capture("generation_id", &generation),
            );
            if let Some(lv) = newest_leave.filter(|lv| *lv >= 3) {
                cases.push(case("leave-static-member", lv, move |_| {
                    leave(
                        lv,
                        &g,
                        vec![(StrBytes::default(), Some(corpus_member("static")))],
                    )
                }));
            }
        }
    }
    for version in v.compared(ApiKey::SyncGroup) {
        let s = move |label: &str, build: fn(i16, &Ctx) -> SyncGroupRequest| {
            case(label.to_string(), version, move |ctx| build(version, ctx))
        };
        cases.push(s("follower", |v, ctx| {
            sync(v, GROUP, ctx.int(GENERATION), ctx.text(MEMBER), false)
        }));
        cases.push(s("leader-again", |v, ctx| {
            sync(v, GROUP, ctx.int(GENERATION), ctx.text(MEMBER), true)
        }));
        cases.push(s("wrong-generation", |v, ctx| {
            sync(v, GROUP, ctx.int(GENERATION) + 1, ctx.text(MEMBER), false)
        }));
        cases.push(s("unknown-member", |v, ctx| {
            sync(
                v,
                GROUP,
                ctx.int(GENERATION),
                corpus_member("unknown"),
                false,
            )
        }));
        cases.push(s("unknown-group", |v, _| {
            sync(v, UNKNOWN_GROUP, 1, corpus_member("unknown"), false)
        }));
        cases.push(
            s("trailing-bytes", |v, ctx| {
                sync(v, GROUP, ctx.int(GENERATION), ctx.text(MEMBER), false)
            })
            .trailing(&[0, 0, 0]),
        );
        if version >= 5 {
            cases.push(s("wrong-protocol-type", |v, ctx| {
                sync(v, GROUP, ctx.int(GENERATION), ctx.text(MEMBER), false)
                    .with_protocol_type(Some(text("connect")))
            }));
        }
    }
    for version in v.compared(ApiKey::Heartbeat) {
        let h = move |label: &str, build: fn(&Ctx) -> HeartbeatRequest| {
            case(label.to_string(), version, build)
        };
        cases.push(h("ordinary", |ctx| {
            heartbeat(GROUP, ctx.int(GENERATION), ctx.text(MEMBER))
        }));
        cases.push(h("wrong-generation", |ctx| {
            heartbeat(GROUP, ctx.int(GENERATION) + 1, ctx.text(MEMBER))
        }));
        cases.push(h("unknown-member", |ctx| {
            heartbeat(GROUP, ctx.int(GENERATION), corpus_member("unknown"))
        }));
        cases.push(h("unknown-group", |_| {
            heartbeat(UNKNOWN_GROUP, 1, corpus_member("unknown"))
        }));
        cases.push(h("empty-group-id", |_| {
            heartbeat("", 1, corpus_member("unknown"))
        }));
        cases.push(h("memberless-group", |_| {
            heartbeat(SIMPLE_GROUP, -1, corpus_member("unknown"))
        }));
        cases.push(
            h("trailing-bytes", |ctx| {
                heartbeat(GROUP, ctx.int(GENERATION), ctx.text(MEMBER))
            })
            .trailing(&[0, 0, 0]),
        );
        if version >= 3 {
            cases.push(h("unknown-instance-id", |ctx| {
                heartbeat(GROUP, ctx.int(GENERATION), ctx.text(MEMBER))
                    .with_group_instance_id(Some(corpus_member("nobody")))
            }));
        }
        if version >= 4 {
            cases.push(
                h("unknown-tagged-field", |ctx| {
                    heartbeat(GROUP, ctx.int(GENERATION), ctx.text(MEMBER))
                })
                .body_tag(),
            );
        }
    }
    for version in v.compared(ApiKey::LeaveGroup) {
        // A group of its own to leave at this version.
        let g = leave_group(version);
        let var = format!("leave.v{version}");
        if let Some(jv) = v.newest(ApiKey::JoinGroup) {
            cases.extend(form(v, jv, &g, &var, "setup-"));
        }
        let m = format!("{var}.member");
        let g2 = g.clone();
        cases.push(case("ordinary", version, move |ctx| {
            leave(version, &g2, vec![(ctx.text(&m), None)])
        }));
        cases.push(case("unknown-member", version, move |_| {
            leave(version, GROUP, vec![(corpus_member("unknown"), None)])
        }));
        cases.push(case("unknown-group", version, move |_| {
            leave(
                version,
                UNKNOWN_GROUP,
                vec![(corpus_member("unknown"), None)],
            )
        }));
        cases.push(
            case("trailing-bytes", version, move |_| {
                leave(
                    version,
                    UNKNOWN_GROUP,
                    vec![(corpus_member("unknown"), None)],
                )
            })
            .trailing(&[0, 0, 0]),
        );
        if version >= 3 {
            cases.push(case("no-members", version, move |_| {
                leave(version, GROUP, vec![])
            }));
            cases.push(case("two-unknown-members", version, move |_| {
                leave(
                    version,
                    GROUP,
                    vec![
                        (corpus_member("a"), None),
                        (StrBytes::default(), Some(corpus_member("nobody"))),
                    ],
                )
            }));
        }
    }
    cases
}
