//! The coordinator's behaviour, driven through its API on a paused clock.

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;

use super::*;
use crate::storage::{LogConfig, Storage};

fn coordinator(config: GroupConfig) -> (GroupCoordinator, watch::Sender<bool>) {
    let storage = Storage::in_memory();
    let log = storage
        .open_internal("group-state", LogConfig::default())
        .unwrap();
    let store = GroupStore::open(log).unwrap();
    let (tx, rx) = watch::channel(false);
    (GroupCoordinator::start(store, config, rx), tx)
}

fn join_request(member_id: &str, protocols: &[&str]) -> JoinRequest {
    JoinRequest {
        group_id: "g".into(),
        member_id: member_id.into(),
        instance_id: None,
        client: ClientInfo {
            client_id: "client".into(),
            client_host: "/127.0.0.1".into(),
        },
        session_timeout: Duration::from_secs(10),
        rebalance_timeout: Duration::from_secs(30),
        protocol_type: "consumer".into(),
        protocols: protocols
            .iter()
            .map(|p| (p.to_string(), Bytes::from(format!("{p}-metadata"))))
            .collect(),
        require_known_member_id: true,
        supports_skip_assignment: false,
    }
}

fn sync_request(member_id: &str, generation: i32, assignments: &[(&str, &str)]) -> SyncRequest {
    SyncRequest {
        group_id: "g".into(),
        generation,
        member_id: member_id.into(),
        instance_id: None,
        protocol_type: None,
        protocol_name: None,
        assignments: assignments
            .iter()
            .map(|(m, a)| (m.to_string(), Bytes::from(a.to_string())))
            .collect(),
    }
}

/// Joins as a new member the KIP-394 way; returns the response.
async fn join_new(c: &GroupCoordinator, mut request: JoinRequest) -> JoinResponse {
    let first = c.join(request.clone()).await;
    assert_eq!(first.error, Some(GroupError::MemberIdRequired));
    request.member_id = first.member_id;
    c.join(request).await
}

#[tokio::test(start_paused = true)]
async fn a_first_member_gets_its_id_then_leads_a_stable_group() {
    let (c, _stop) = coordinator(GroupConfig::default());
    let joined = join_new(&c, join_request("", &["range"])).await;
    assert_eq!(joined.error, None);
    assert_eq!(joined.generation, 1);
    assert_eq!(joined.leader, joined.member_id);
    assert_eq!(joined.protocol_name.as_deref(), Some("range"));
    assert_eq!(joined.members.len(), 1);
    assert_eq!(&joined.members[0].metadata[..], b"range-metadata");

    let synced = c
        .sync(sync_request(
            &joined.member_id,
            1,
            &[(&joined.member_id, "p0,p1")],
        ))
        .await;
    assert_eq!(synced.error, None);
    assert_eq!(&synced.assignment[..], b"p0,p1");
    assert_eq!(c.heartbeat("g", &joined.member_id, None, 1).await, Ok(()));
    let description = c.describe("g").await;
    assert_eq!(description.state, "Stable");
    assert_eq!(&description.members[0].assignment[..], b"p0,p1");
}

#[tokio::test(start_paused = true)]
async fn old_join_versions_get_a_member_id_without_member_id_required() {
    let (c, _stop) = coordinator(GroupConfig::default());
    let mut request = join_request("", &["range"]);
    request.require_known_member_id = false;
    let joined = c.join(request).await;
    assert_eq!(joined.error, None);
    assert!(!joined.member_id.is_empty());
    assert_eq!(joined.generation, 1);
}

#[tokio::test(start_paused = true)]
async fn a_second_member_triggers_a_rebalance_that_both_complete() {
    let (c, _stop) = coordinator(GroupConfig::default());
    let first = join_new(&c, join_request("", &["range"])).await;
    c.sync(sync_request(&first.member_id, 1, &[])).await;

    let second = {
        let c2 = &c;
        let join_second = async move { join_new(c2, join_request("", &["range"])).await };
        let rejoin_first = async {
            // The first member learns of the rebalance from its heartbeat.
            loop {
                match c.heartbeat("g", &first.member_id, None, 1).await {
                    Err(GroupError::RebalanceInProgress) => break,
                    other => {
                        assert_eq!(other, Ok(()));
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
            c.join(join_request(&first.member_id, &["range"])).await
        };
        let (second, first_again) = tokio::join!(join_second, rejoin_first);
        assert_eq!(first_again.generation, 2);
        assert_eq!(first_again.members.len(), 2, "the leader sees both members");
        second
    };
    assert_eq!(second.generation, 2);
    assert!(second.members.is_empty(), "followers get no member list");
    assert_eq!(second.leader, first.member_id);
}

#[tokio::test(start_paused = true)]
async fn the_protocol_every_member_supports_and_most_prefer_wins() {
    let (c, _stop) = coordinator(GroupConfig::default());
    let a = join_new(&c, join_request("", &["range", "roundrobin"])).await;
    c.sync(sync_request(&a.member_id, 1, &[])).await;
    let (b, a2) = tokio::join!(
        join_new(&c, join_request("", &["roundrobin"])),
        c.join(join_request(&a.member_id, &["range", "roundrobin"]))
    );
    assert_eq!(b.protocol_name.as_deref(), Some("roundrobin"));
    assert_eq!(a2.protocol_name.as_deref(), Some("roundrobin"));
    let stranger = c.join(join_request("", &["sticky"])).await;
    assert_eq!(stranger.error, Some(GroupError::InconsistentGroupProtocol));
}

#[tokio::test(start_paused = true)]
async fn a_silent_member_is_expelled_after_its_session_timeout() {
    let (c, _stop) = coordinator(GroupConfig::default());
    let joined = join_new(&c, join_request("", &["range"])).await;
    c.sync(sync_request(&joined.member_id, 1, &[])).await;
    tokio::time::sleep(Duration::from_secs(9)).await;
    assert_eq!(c.describe("g").await.state, "Stable");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let description = c.describe("g").await;
    assert_eq!(description.state, "Empty");
    assert!(description.members.is_empty());
    assert_eq!(
        c.heartbeat("g", &joined.member_id, None, 1).await,
        Err(GroupError::UnknownMemberId)
    );
}

#[tokio::test(start_paused = true)]
async fn a_static_member_rejoins_without_a_rebalance_and_fences_its_old_self() {
    let (c, _stop) = coordinator(GroupConfig::default());
    let mut request = join_request("", &["range"]);
    request.instance_id = Some("pod-1".into());
    let first = c.join(request.clone()).await;
    assert_eq!(
        first.error, None,
        "static members need no member id round trip"
    );
    c.sync(sync_request(
        &first.member_id,
        1,
        &[(&first.member_id, "assigned")],
    ))
    .await;

    let again = c.join(request).await;
    assert_eq!(again.error, None);
    assert_eq!(again.generation, 1, "no new generation");
    assert_ne!(again.member_id, first.member_id);
    assert_eq!(
        again.leader, first.member_id,
        "before JoinGroup v9 the reply names the previous leader, so the new incarnation does not reassign"
    );
    assert!(again.members.is_empty());
    let synced = c
        .sync(SyncRequest {
            instance_id: Some("pod-1".into()),
            ..sync_request(&again.member_id, 1, &[])
        })
        .await;
    assert_eq!(
        &synced.assignment[..],
        b"assigned",
        "the assignment carries over"
    );
    assert_eq!(
        c.heartbeat("g", &first.member_id, Some("pod-1"), 1).await,
        Err(GroupError::FencedInstanceId)
    );
}

#[tokio::test(start_paused = true)]
async fn commits_follow_kafkas_membership_rules() {
    let (c, _stop) = coordinator(GroupConfig::default());
    let offset = |o| OffsetCommit {
        topic: "t".into(),
        partition: 0,
        offset: o,
        leader_epoch: -1,
        metadata: Some("m".into()),
    };
    let outsider = CommitAuthor {
        generation: -1,
        member_id: String::new(),
        instance_id: None,
    };
    // A client that only stores offsets creates the group.
    assert!(c
        .commit("simple", outsider.clone(), vec![offset(5)])
        .await
        .is_ok());
    assert_eq!(c.committed("simple")[&("t".to_string(), 0)].offset, 5);
    assert_eq!(
        c.commit(
            "nobody",
            CommitAuthor {
                generation: 3,
                ..outsider.clone()
            },
            vec![offset(1)]
        )
        .await
        .err(),
        Some(GroupError::IllegalGeneration)
    );

    let joined = join_new(&c, join_request("", &["range"])).await;
    c.sync(sync_request(&joined.member_id, 1, &[])).await;
    let member = CommitAuthor {
        generation: 1,
        member_id: joined.member_id.clone(),
        instance_id: None,
    };
    assert!(c.commit("g", member.clone(), vec![offset(7)]).await.is_ok());
    assert_eq!(
        c.commit(
            "g",
            CommitAuthor {
                generation: 0,
                ..member
            },
            vec![offset(8)]
        )
        .await
        .err(),
        Some(GroupError::IllegalGeneration)
    );
    assert_eq!(
        c.commit("g", outsider, vec![offset(9)]).await.err(),
        Some(GroupError::UnknownMemberId),
        "an outsider cannot commit while the group has members"
    );
    assert_eq!(c.committed("g")[&("t".to_string(), 0)].offset, 7);
}

#[tokio::test(start_paused = true)]
async fn leaving_empties_the_group_which_can_then_be_deleted() {
    let (c, _stop) = coordinator(GroupConfig::default());
    let joined = join_new(&c, join_request("", &["range"])).await;
    c.sync(sync_request(&joined.member_id, 1, &[])).await;
    c.commit(
        "g",
        CommitAuthor {
            generation: 1,
            member_id: joined.member_id.clone(),
            instance_id: None,
        },
        vec![OffsetCommit {
            topic: "t".into(),
            partition: 0,
            offset: 3,
            leader_epoch: -1,
            metadata: None,
        }],
    )
    .await
    .unwrap();
    assert_eq!(c.delete("g").await, Err(GroupError::NonEmptyGroup));
    let left = c
        .leave(
            "g",
            vec![LeavingMember {
                member_id: joined.member_id.clone(),
                instance_id: None,
            }],
        )
        .await
        .unwrap();
    assert_eq!(left, vec![Ok(())]);
    assert_eq!(c.describe("g").await.state, "Empty");
    assert_eq!(
        c.list(&[]).len(),
        1,
        "an empty group with offsets is listed"
    );
    assert_eq!(c.delete("g").await, Ok(()));
    assert!(c.committed("g").is_empty());
    assert_eq!(c.describe("g").await.state, "Dead");
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(c.list(&[]).is_empty());
    assert_eq!(c.delete("g").await, Err(GroupError::GroupIdNotFound));
}

#[tokio::test(start_paused = true)]
async fn the_initial_delay_gathers_members_into_one_generation() {
    let config = GroupConfig {
        initial_rebalance_delay: Duration::from_secs(3),
        ..GroupConfig::default()
    };
    let (c, _stop) = coordinator(config);
    let started = tokio::time::Instant::now();
    let (a, b) = tokio::join!(join_new(&c, join_request("", &["range"])), async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        join_new(&c, join_request("", &["range"])).await
    });
    assert_eq!(
        (a.generation, b.generation),
        (1, 1),
        "one generation for both"
    );
    assert!(started.elapsed() >= Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn an_empty_group_without_offsets_is_listed_until_the_next_sweep() {
    let (c, _stop) = coordinator(GroupConfig::default());
    let joined = join_new(&c, join_request("", &["range"])).await;
    c.leave(
        "g",
        vec![LeavingMember {
            member_id: joined.member_id,
            instance_id: None,
        }],
    )
    .await
    .unwrap();
    assert_eq!(c.list(&["empty".to_string()]).len(), 1);
    c.expire_offsets(crate::storage::now_ms());
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(c.list(&[]).is_empty());
    assert_eq!(c.describe("g").await.state, "Dead");
}

#[tokio::test(start_paused = true)]
async fn session_timeouts_outside_the_allowed_range_are_refused_without_creating_the_group() {
    let (c, _stop) = coordinator(GroupConfig::default());
    let mut request = join_request("", &["range"]);
    request.session_timeout = Duration::from_millis(100);
    assert_eq!(
        c.join(request).await.error,
        Some(GroupError::InvalidSessionTimeout)
    );
    assert!(c.list(&[]).is_empty(), "Kafka creates no group");
    assert_eq!(c.describe("g").await.state, "Dead");
}

#[tokio::test(start_paused = true)]
async fn a_member_id_for_a_group_that_does_not_exist_is_unknown_and_creates_nothing() {
    let (c, _stop) = coordinator(GroupConfig::default());
    let joined = c.join(join_request("ghost-member", &["range"])).await;
    assert_eq!(joined.error, Some(GroupError::UnknownMemberId));
    assert!(c.list(&[]).is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_instance_id_must_belong_to_the_member_that_names_it() {
    // A dynamic member and a static one, gathered into one generation by
    // the initial delay, in a stable group.
    let (c, _stop) = coordinator(GroupConfig {
        initial_rebalance_delay: Duration::from_secs(3),
        ..GroupConfig::default()
    });
    let first = c.join(join_request("", &["range"])).await;
    let mut static_request = join_request("", &["range"]);
    static_request.instance_id = Some("pod-1".into());
    let (dynamic, fixed) = tokio::join!(
        c.join(join_request(&first.member_id, &["range"])),
        c.join(static_request)
    );
    assert_eq!((dynamic.error, fixed.error), (None, None));
    assert_eq!(dynamic.generation, fixed.generation);
    let generation = fixed.generation;
    let (a, b) = tokio::join!(
        c.sync(sync_request(&dynamic.member_id, generation, &[])),
        c.sync(SyncRequest {
            instance_id: Some("pod-1".into()),
            ..sync_request(&fixed.member_id, generation, &[])
        })
    );
    assert_eq!((a.error, b.error), (None, None));
    let commit = |member: &str, instance: Option<&str>| CommitAuthor {
        generation,
        member_id: member.to_string(),
        instance_id: instance.map(str::to_string),
    };
    let offsets = || {
        vec![OffsetCommit {
            topic: "t".into(),
            partition: 0,
            offset: 1,
            leader_epoch: -1,
            metadata: None,
        }]
    };

    // An instance id the group does not know: UNKNOWN_MEMBER_ID, even from
    // a member that is in the group.
    assert_eq!(
        c.heartbeat("g", &dynamic.member_id, Some("pod-9"), generation)
            .await,
        Err(GroupError::UnknownMemberId)
    );
    assert_eq!(
        c.commit("g", commit(&dynamic.member_id, Some("pod-9")), offsets())
            .await
            .err(),
        Some(GroupError::UnknownMemberId)
    );
    // Another member's instance id: FENCED_INSTANCE_ID.
    assert_eq!(
        c.heartbeat("g", &dynamic.member_id, Some("pod-1"), generation)
            .await,
        Err(GroupError::FencedInstanceId)
    );
    assert_eq!(
        c.commit("g", commit(&dynamic.member_id, Some("pod-1")), offsets())
            .await
            .err(),
        Some(GroupError::FencedInstanceId)
    );
    // Its own: fine.
    assert_eq!(
        c.heartbeat("g", &fixed.member_id, Some("pod-1"), generation)
            .await,
        Ok(())
    );
    assert!(c
        .commit("g", commit(&fixed.member_id, Some("pod-1")), offsets())
        .await
        .is_ok());
    assert_eq!(
        c.heartbeat("g", &dynamic.member_id, None, generation).await,
        Ok(())
    );
}

#[tokio::test(start_paused = true)]
async fn a_leader_that_never_syncs_is_removed_after_the_rebalance_timeout() {
    let (c, _stop) = coordinator(GroupConfig::default());
    let joined = join_new(&c, join_request("", &["range"])).await;
    assert_eq!(c.describe("g").await.state, "CompletingRebalance");
    tokio::time::sleep(Duration::from_secs(31)).await;
    assert_eq!(c.describe("g").await.state, "Empty");
    assert_eq!(
        c.heartbeat("g", &joined.member_id, None, 1).await,
        Err(GroupError::UnknownMemberId)
    );
}

#[tokio::test(start_paused = true)]
async fn offsets_of_an_empty_group_expire_after_the_retention() {
    let config = GroupConfig {
        offsets_retention: Duration::from_secs(60),
        ..GroupConfig::default()
    };
    let (c, _stop) = coordinator(config);
    let outsider = CommitAuthor {
        generation: -1,
        member_id: String::new(),
        instance_id: None,
    };
    let offset = OffsetCommit {
        topic: "t".into(),
        partition: 0,
        offset: 1,
        leader_epoch: -1,
        metadata: None,
    };
    c.commit("aging", outsider, vec![offset]).await.unwrap();
    let now = crate::storage::now_ms();
    c.expire_offsets(now + 30_000);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(c.committed("aging").len(), 1, "still within the retention");
    c.expire_offsets(now + 61_000);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(c.committed("aging").is_empty(), "expired");
    c.expire_offsets(now + 62_000);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(c.list(&[]).is_empty(), "and the group with them");
}
