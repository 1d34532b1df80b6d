//! One consumer group: Kafka's classic group protocol as a state machine.
//!
//! Empty → PreparingRebalance (members join) → CompletingRebalance (the
//! leader computes the assignment) → Stable (everyone has it), and back to
//! PreparingRebalance whenever a member joins, leaves, changes its protocols
//! or times out. The broker never assigns partitions itself: it picks the
//! protocol every member supports, hands the leader every member's metadata
//! and relays the leader's assignment, so any client-side assignor
//! (range, roundrobin, sticky, cooperative-sticky) works unchanged.
//!
//! Everything here runs on the group's own task (see `actor`), so no locks.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use indexmap::IndexMap;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::error::GroupError;
use super::member::Member;
use super::store::{Committed, GroupStore, StoredGroup};
use super::types::*;
use crate::storage::{now_ms, Durable};

/// Kafka's group states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            Self::Empty => "Empty",
            Self::PreparingRebalance => "PreparingRebalance",
            Self::CompletingRebalance => "CompletingRebalance",
            Self::Stable => "Stable",
            Self::Dead => "Dead",
        }
    }
}

/// Coordinator settings (Kafka's `group.*` and `offsets.*` broker configs).
#[derive(Clone, Copy, Debug)]
pub struct GroupConfig {
    pub initial_rebalance_delay: Duration,
    pub min_session_timeout: Duration,
    pub max_session_timeout: Duration,
    pub offsets_retention: Duration,
    pub offset_metadata_max_bytes: usize,
}

impl Default for GroupConfig {
    fn default() -> Self {
        Self {
            initial_rebalance_delay: Duration::ZERO,
            min_session_timeout: Duration::from_millis(6_000),
            max_session_timeout: Duration::from_millis(1_800_000),
            offsets_retention: Duration::from_secs(7 * 24 * 3600),
            offset_metadata_max_bytes: 4096,
        }
    }
}

/// What the group is waiting for while it prepares a rebalance.
#[derive(Clone, Copy, Debug)]
enum Rebalance {
    /// An empty group waits `group.initial.rebalance.delay.ms` for more
    /// members, extending while new ones arrive, within the rebalance timeout.
    Initial {
        next: Instant,
        remaining: Duration,
        new_member_added: bool,
    },
    /// Waiting for every member to rejoin, at most until the deadline.
    Join { deadline: Instant },
}

pub struct Group {
    pub id: String,
    state: GroupState,
    /// Wall-clock time of the last state change (offsets of an empty group
    /// expire counting from it).
    state_since_ms: i64,
    generation: i32,
    protocol_type: Option<String>,
    protocol: Option<String>,
    leader: Option<String>,
    members: IndexMap<String, Member>,
    /// group.instance.id → member id of static members.
    static_members: HashMap<String, String>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, and when they lapse.
    pending_members: HashMap<String, Instant>,
    /// Members that have not yet sent SyncGroup for this generation.
    pending_sync: HashSet<String>,
    sync_deadline: Option<Instant>,
    rebalance: Option<Rebalance>,
    /// An empty group without offsets is kept (and listed as Empty, as in
    /// Kafka) until the next expiry sweep finds it so.
    swept: bool,
    config: GroupConfig,
    store: Arc<GroupStore>,
}

fn send<T>(tx: Option<oneshot::Sender<T>>, value: T) {
    if let Some(tx) = tx {
        let _ = tx.send(value);
    }
}

impl Group {
    pub fn new(id: String, config: GroupConfig, store: Arc<GroupStore>) -> Self {
        Self {
            id,
            state: GroupState::Empty,
            state_since_ms: now_ms(),
            generation: 0,
            protocol_type: None,
            protocol: None,
            leader: None,
            members: IndexMap::new(),
            static_members: HashMap::new(),
            pending_members: HashMap::new(),
            pending_sync: HashSet::new(),
            sync_deadline: None,
            rebalance: None,
            swept: false,
            config,
            store,
        }
    }

    /// A group as it was stored at its last stable point; members get a
    /// fresh session, so clients that come back carry on without a rebalance.
    pub fn restore(
        id: String,
        stored: &StoredGroup,
        config: GroupConfig,
        store: Arc<GroupStore>,
    ) -> Self {
        let mut group = Self::new(id, config, store);
        let now = Instant::now();
        group.generation = stored.generation;
        group.protocol_type = Some(stored.protocol_type.clone()).filter(|t| !t.is_empty());
        if stored.protocol.is_some() && !stored.members.is_empty() {
            for stored_member in &stored.members {
                let member = Member::from_stored(stored_member, now);
                if let Some(instance) = &member.instance_id {
                    group
                        .static_members
                        .insert(instance.clone(), member.id.clone());
                }
                group.members.insert(member.id.clone(), member);
            }
            group.protocol = stored.protocol.clone();
            group.leader = stored
                .leader
                .clone()
                .filter(|l| group.members.contains_key(l));
            group.state = GroupState::Stable;
        }
        group
    }

    fn transition(&mut self, state: GroupState) {
        self.swept = false;
        debug!(group = %self.id, from = self.state.name(), to = state.name(), generation = self.generation, "group state");
        self.state = state;
        self.state_since_ms = now_ms();
    }

    /// Deleted, or empty with nothing left to keep when the last sweep ran.
    pub fn is_disposable(&self) -> bool {
        self.state == GroupState::Dead || (self.swept && self.is_unused())
    }

    fn is_unused(&self) -> bool {
        self.state == GroupState::Empty
            && self.members.is_empty()
            && self.pending_members.is_empty()
            && !self.store.has_offsets(&self.id)
    }

    fn new_member_id(&self, prefix: &str) -> String {
        format!("{prefix}-{}", uuid::Uuid::new_v4())
    }

    fn is_leader(&self, member_id: &str) -> bool {
        self.leader.as_deref() == Some(member_id)
    }

    fn max_rebalance_timeout(&self) -> Duration {
        self.members
            .values()
            .map(|m| m.rebalance_timeout)
            .max()
            .unwrap_or(Duration::ZERO)
    }

    /// Whether a member with these protocols could be in this group.
    fn protocols_fit(
        &self,
        member_id: &str,
        protocol_type: &str,
        protocols: &[(String, Bytes)],
    ) -> bool {
        if protocol_type.is_empty() || protocols.is_empty() {
            return false;
        }
        let others: Vec<&Member> = self
            .members
            .values()
            .filter(|m| m.id != member_id)
            .collect();
        if others.is_empty() {
            return true;
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols
                .iter()
                .any(|(name, _)| others.iter().all(|m| m.supports(name)))
    }

    /// Kafka's member check (`ClassicGroup.validateMember`): a request
    /// naming a group.instance.id speaks for that static member, so the
    /// instance must be known to the group (else UNKNOWN_MEMBER_ID) and held
    /// by this member id (else another incarnation took it over:
    /// FENCED_INSTANCE_ID); without one, the member id must be a member.
    fn check_member(&self, member_id: &str, instance_id: Option<&str>) -> Result<(), GroupError> {
        if let Some(instance) = instance_id {
            match self.static_members.get(instance) {
                None => return Err(GroupError::UnknownMemberId),
                Some(known) if known != member_id => return Err(GroupError::FencedInstanceId),
                Some(_) => {}
            }
        }
        if !self.members.contains_key(member_id) {
            return Err(GroupError::UnknownMemberId);
        }
        Ok(())
    }

    fn join_response(
        &self,
        member_id: &str,
        with_members: bool,
        skip_assignment: bool,
    ) -> JoinResponse {
        let protocol = self.protocol.clone().unwrap_or_default();
        JoinResponse {
            error: None,
            generation: self.generation,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol.clone(),
            leader: self.leader.clone().unwrap_or_default(),
            member_id: member_id.to_string(),
            members: if with_members {
                self.members
                    .values()
                    .map(|m| JoinedMember {
                        member_id: m.id.clone(),
                        instance_id: m.instance_id.clone(),
                        metadata: m.metadata(&protocol),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            skip_assignment,
        }
    }

    // ----- JoinGroup -------------------------------------------------------

    pub fn join(
        &mut self,
        request: JoinRequest,
        reply: oneshot::Sender<JoinResponse>,
        now: Instant,
    ) {
        let fail = |reply: oneshot::Sender<JoinResponse>, error: GroupError| {
            let _ = reply.send(JoinResponse::error(error, &request.member_id));
        };
        if self.state == GroupState::Dead {
            return fail(reply, GroupError::CoordinatorNotAvailable);
        }
        if !self.protocols_fit(
            &request.member_id,
            &request.protocol_type,
            &request.protocols,
        ) {
            return fail(reply, GroupError::InconsistentGroupProtocol);
        }
        if request.member_id.is_empty() {
            self.join_new_member(request, reply, now);
        } else {
            self.join_known_member(request, reply, now);
        }
    }

    fn join_new_member(
        &mut self,
        request: JoinRequest,
        reply: oneshot::Sender<JoinResponse>,
        now: Instant,
    ) {
        if let Some(instance) = request.instance_id.clone() {
            let new_id = self.new_member_id(&instance);
            match self.static_members.get(&instance).cloned() {
                Some(old_id) => self.replace_static_member(&old_id, new_id, request, reply, now),
                None => self.add_member_and_rebalance(new_id, request, reply, now),
            }
            return;
        }
        let new_id = self.new_member_id(&request.client.client_id);
        if request.require_known_member_id {
            // KIP-394: the member must come back with this id before it
            // counts, so a client that retries never leaves a ghost behind.
            self.pending_members
                .insert(new_id.clone(), now + request.session_timeout);
            let _ = reply.send(JoinResponse::error(GroupError::MemberIdRequired, &new_id));
            return;
        }
        self.add_member_and_rebalance(new_id, request, reply, now);
    }

    fn join_known_member(
        &mut self,
        request: JoinRequest,
        reply: oneshot::Sender<JoinResponse>,
        now: Instant,
    ) {
        let id = request.member_id.clone();
        if self.pending_members.remove(&id).is_some() {
            return self.add_member_and_rebalance(id, request, reply, now);
        }
        if let Err(error) = self.check_member(&id, request.instance_id.as_deref()) {
            let _ = reply.send(JoinResponse::error(error, &id));
            return;
        }
        match self.state {
            GroupState::PreparingRebalance => self.update_member_and_rebalance(request, reply, now),
            GroupState::CompletingRebalance => {
                let same = self
                    .members
                    .get(&id)
                    .is_some_and(|m| m.same_protocols(&request.protocols));
                if same {
                    // The member lost the JoinGroup response: send it again.
                    let response = self.join_response(&id, self.is_leader(&id), false);
                    let _ = reply.send(response);
                } else {
                    self.update_member_and_rebalance(request, reply, now);
                }
            }
            GroupState::Stable => {
                let same = self
                    .members
                    .get(&id)
                    .is_some_and(|m| m.same_protocols(&request.protocols));
                if self.is_leader(&id) || !same {
                    self.update_member_and_rebalance(request, reply, now);
                } else {
                    let response = self.join_response(&id, false, false);
                    let _ = reply.send(response);
                }
            }
            GroupState::Empty | GroupState::Dead => {
                let _ = reply.send(JoinResponse::error(GroupError::UnknownMemberId, &id));
            }
        }
    }

    fn add_member_and_rebalance(
        &mut self,
        id: String,
        request: JoinRequest,
        reply: oneshot::Sender<JoinResponse>,
        now: Instant,
    ) {
        if self.protocol_type.is_none() || self.members.is_empty() {
            self.protocol_type = Some(request.protocol_type.clone());
        }
        if let Some(instance) = &request.instance_id {
            self.static_members.insert(instance.clone(), id.clone());
        }
        let member = Member {
            id: id.clone(),
            instance_id: request.instance_id,
            client_id: request.client.client_id,
            client_host: request.client.client_host,
            session_timeout: request.session_timeout,
            rebalance_timeout: request.rebalance_timeout,
            protocols: request.protocols,
            assignment: Bytes::new(),
            awaiting_join: Some(reply),
            awaiting_sync: None,
            last_heartbeat: now,
            is_new: true,
        };
        if self.leader.is_none() {
            self.leader = Some(id.clone());
        }
        self.members.insert(id, member);
        if let Some(Rebalance::Initial {
            new_member_added, ..
        }) = &mut self.rebalance
        {
            *new_member_added = true;
        }
        self.maybe_prepare_rebalance(now);
    }

    fn update_member_and_rebalance(
        &mut self,
        request: JoinRequest,
        reply: oneshot::Sender<JoinResponse>,
        now: Instant,
    ) {
        if let Some(member) = self.members.get_mut(&request.member_id) {
            member.protocols = request.protocols;
            member.session_timeout = request.session_timeout;
            member.rebalance_timeout = request.rebalance_timeout;
            member.last_heartbeat = now;
            // A JoinGroup retried while one is parked answers the old one
            // with an error; the client only waits for the newest.
            send(
                member.awaiting_join.replace(reply),
                JoinResponse::error(GroupError::UnknownMemberId, &member.id),
            );
        }
        self.maybe_prepare_rebalance(now);
    }

    /// KIP-345: a restarted static member takes over its old member id's
    /// place without a rebalance, unless the protocol would change.
    fn replace_static_member(
        &mut self,
        old_id: &str,
        new_id: String,
        request: JoinRequest,
        reply: oneshot::Sender<JoinResponse>,
        now: Instant,
    ) {
        let Some(mut member) = self.members.shift_remove(old_id) else {
            return self.add_member_and_rebalance(new_id, request, reply, now);
        };
        // Whatever the old incarnation was waiting for is over.
        send(
            member.awaiting_join.take(),
            JoinResponse::error(GroupError::FencedInstanceId, old_id),
        );
        send(
            member.awaiting_sync.take(),
            SyncResponse::error(GroupError::FencedInstanceId),
        );
        let was_leader = self.is_leader(old_id);
        let leader_before = self.leader.clone().unwrap_or_default();
        member.id = new_id.clone();
        member.protocols = request.protocols;
        member.client_id = request.client.client_id;
        member.client_host = request.client.client_host;
        member.session_timeout = request.session_timeout;
        member.rebalance_timeout = request.rebalance_timeout;
        member.last_heartbeat = now;
        if was_leader {
            self.leader = Some(new_id.clone());
        }
        if let Some(instance) = &request.instance_id {
            self.static_members.insert(instance.clone(), new_id.clone());
        }
        if self.pending_sync.remove(old_id) {
            self.pending_sync.insert(new_id.clone());
        }
        self.members.insert(new_id.clone(), member);
        // As in Kafka, only a change of the protocol the group would select
        // needs a rebalance; the member's metadata may differ between
        // incarnations (clients put their generation in it).
        let protocol_unchanged = self.protocol.is_some() && self.select_protocol() == self.protocol;
        match self.state {
            GroupState::Stable if protocol_unchanged => {
                self.persist();
                // A stable group keeps its assignment. A leader that can skip
                // the assignment (v9+, KIP-814) gets the members and is told
                // to; otherwise, as Kafka does, the reply names the previous
                // leader id, so the new incarnation does not think it leads
                // and does not recompute (and rejoin over) the assignment.
                let skip = was_leader && request.supports_skip_assignment;
                let mut response = self.join_response(&new_id, skip, skip);
                if !skip {
                    response.leader = leader_before;
                }
                let _ = reply.send(response);
            }
            GroupState::CompletingRebalance => {
                let response = self.join_response(&new_id, was_leader, false);
                let _ = reply.send(response);
            }
            _ => {
                if let Some(m) = self.members.get_mut(&new_id) {
                    m.awaiting_join = Some(reply);
                }
                self.maybe_prepare_rebalance(now);
            }
        }
    }

    fn maybe_prepare_rebalance(&mut self, now: Instant) {
        match self.state {
            GroupState::Empty | GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(now)
            }
            GroupState::PreparingRebalance => self.try_complete_join(now),
            GroupState::Dead => {}
        }
    }

    fn prepare_rebalance(&mut self, now: Instant) {
        if self.state == GroupState::CompletingRebalance {
            // Syncs parked for the old generation cannot be answered with it.
            for member in self.members.values_mut() {
                member.assignment = Bytes::new();
                send(
                    member.awaiting_sync.take(),
                    SyncResponse::error(GroupError::RebalanceInProgress),
                );
            }
        }
        self.pending_sync.clear();
        self.sync_deadline = None;
        let was_empty = self.state == GroupState::Empty;
        self.transition(GroupState::PreparingRebalance);
        let rebalance_timeout = self.max_rebalance_timeout();
        let delay = self.config.initial_rebalance_delay;
        self.rebalance = Some(if was_empty && !delay.is_zero() {
            Rebalance::Initial {
                next: now + delay,
                remaining: rebalance_timeout.saturating_sub(delay),
                new_member_added: false,
            }
        } else {
            Rebalance::Join {
                deadline: now + rebalance_timeout,
            }
        });
        self.try_complete_join(now);
    }

    fn all_joined(&self) -> bool {
        self.pending_members.is_empty() && self.members.values().all(|m| m.awaiting_join.is_some())
    }

    fn try_complete_join(&mut self, now: Instant) {
        if self.state == GroupState::PreparingRebalance
            && matches!(self.rebalance, Some(Rebalance::Join { .. }))
            && self.all_joined()
        {
            self.complete_join(now);
        }
    }

    /// The protocol most members prefer among those all of them support.
    fn select_protocol(&self) -> Option<String> {
        let first = self.members.values().next()?;
        let candidates: Vec<String> = first
            .protocols
            .iter()
            .map(|(name, _)| name.clone())
            .filter(|name| self.members.values().all(|m| m.supports(name)))
            .collect();
        let mut votes: Vec<(&String, usize)> = candidates.iter().map(|c| (c, 0)).collect();
        for member in self.members.values() {
            if let Some(choice) = member.vote(&candidates) {
                if let Some(entry) = votes.iter_mut().find(|(c, _)| *c == choice) {
                    entry.1 += 1;
                }
            }
        }
        // Most votes; ties go to the earliest candidate.
        let best = votes.iter().map(|(_, n)| *n).max()?;
        votes
            .iter()
            .find(|(_, n)| *n == best)
            .map(|(c, _)| (*c).clone())
    }

    fn complete_join(&mut self, now: Instant) {
        // Dynamic members that did not rejoin are out; static members keep
        // their place until their session runs out.
        let gone: Vec<String> = self
            .members
            .values()
            .filter(|m| m.awaiting_join.is_none() && m.instance_id.is_none())
            .map(|m| m.id.clone())
            .collect();
        for id in gone {
            self.remove_member(&id, GroupError::UnknownMemberId);
        }
        if !self.members.is_empty() && !self.members.values().any(|m| m.awaiting_join.is_some()) {
            // Only static members that have not rejoined: wait for them (or
            // for their sessions to end).
            self.rebalance = Some(Rebalance::Join {
                deadline: now + self.max_rebalance_timeout(),
            });
            return;
        }
        let leader_rejoined = self
            .leader
            .as_ref()
            .and_then(|l| self.members.get(l))
            .is_some_and(|m| m.awaiting_join.is_some());
        if !leader_rejoined {
            self.leader = self
                .members
                .values()
                .find(|m| m.awaiting_join.is_some())
                .map(|m| m.id.clone());
        }
        self.rebalance = None;
        self.generation += 1;
        if self.members.is_empty() {
            self.protocol = None;
            self.leader = None;
            self.transition(GroupState::Empty);
            self.persist();
            return;
        }
        self.protocol = self.select_protocol();
        self.transition(GroupState::CompletingRebalance);
        let ids: Vec<String> = self.members.keys().cloned().collect();
        for id in &ids {
            let response = self.join_response(id, self.is_leader(id), false);
            if let Some(member) = self.members.get_mut(id) {
                send(member.awaiting_join.take(), response);
                member.is_new = false;
                member.last_heartbeat = now;
            }
        }
        self.pending_sync = ids.into_iter().collect();
        self.sync_deadline = Some(now + self.max_rebalance_timeout());
        debug!(group = %self.id, generation = self.generation, protocol = ?self.protocol, members = self.members.len(), "rebalance joined");
    }

    // ----- SyncGroup -------------------------------------------------------

    pub fn sync(
        &mut self,
        request: SyncRequest,
        reply: oneshot::Sender<SyncResponse>,
        now: Instant,
    ) {
        let check = || -> Result<(), GroupError> {
            if self.state == GroupState::Dead {
                return Err(GroupError::CoordinatorNotAvailable);
            }
            self.check_member(&request.member_id, request.instance_id.as_deref())?;
            if request.generation != self.generation {
                return Err(GroupError::IllegalGeneration);
            }
            let type_mismatch = request
                .protocol_type
                .as_ref()
                .is_some_and(|t| Some(t) != self.protocol_type.as_ref());
            let name_mismatch = request
                .protocol_name
                .as_ref()
                .is_some_and(|n| Some(n) != self.protocol.as_ref());
            if type_mismatch || name_mismatch {
                return Err(GroupError::InconsistentGroupProtocol);
            }
            Ok(())
        };
        if let Err(error) = check() {
            let _ = reply.send(SyncResponse::error(error));
            return;
        }
        let id = request.member_id.clone();
        match self.state {
            GroupState::Empty | GroupState::Dead => {
                let _ = reply.send(SyncResponse::error(GroupError::UnknownMemberId));
            }
            GroupState::PreparingRebalance => {
                let _ = reply.send(SyncResponse::error(GroupError::RebalanceInProgress));
            }
            GroupState::CompletingRebalance => {
                self.pending_sync.remove(&id);
                if let Some(member) = self.members.get_mut(&id) {
                    member.last_heartbeat = now;
                    send(
                        member.awaiting_sync.replace(reply),
                        SyncResponse::error(GroupError::RebalanceInProgress),
                    );
                }
                if self.is_leader(&id) {
                    self.complete_sync(request.assignments, now);
                }
            }
            GroupState::Stable => {
                self.pending_sync.remove(&id);
                let assignment = self.members.get_mut(&id).map(|member| {
                    member.last_heartbeat = now;
                    member.assignment.clone()
                });
                let _ = reply.send(self.sync_response(&assignment.unwrap_or_default()));
            }
        }
    }

    fn sync_response(&self, assignment: &Bytes) -> SyncResponse {
        SyncResponse {
            error: None,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol.clone(),
            assignment: assignment.clone(),
        }
    }

    fn complete_sync(&mut self, assignments: Vec<(String, Bytes)>, now: Instant) {
        let mut assignments: HashMap<String, Bytes> = assignments.into_iter().collect();
        for member in self.members.values_mut() {
            member.assignment = assignments.remove(&member.id).unwrap_or_default();
        }
        self.transition(GroupState::Stable);
        self.persist();
        let ids: Vec<String> = self.members.keys().cloned().collect();
        for id in ids {
            let response = self
                .members
                .get(&id)
                .map(|m| self.sync_response(&m.assignment));
            if let (Some(member), Some(response)) = (self.members.get_mut(&id), response) {
                if let Some(tx) = member.awaiting_sync.take() {
                    member.last_heartbeat = now;
                    let _ = tx.send(response);
                }
            }
        }
        debug!(group = %self.id, generation = self.generation, "group is stable");
    }

    // ----- Heartbeat, LeaveGroup, timeouts ----------------------------------

    pub fn heartbeat(
        &mut self,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
        now: Instant,
    ) -> Result<(), GroupError> {
        if self.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable);
        }
        if self.state == GroupState::Empty {
            return Err(GroupError::UnknownMemberId);
        }
        self.check_member(member_id, instance_id)?;
        if generation != self.generation {
            return Err(GroupError::IllegalGeneration);
        }
        if let Some(member) = self.members.get_mut(member_id) {
            member.last_heartbeat = now;
        }
        match self.state {
            GroupState::PreparingRebalance => Err(GroupError::RebalanceInProgress),
            _ => Ok(()),
        }
    }

    fn remove_member(&mut self, id: &str, error: GroupError) {
        let Some(mut member) = self.members.shift_remove(id) else {
            return;
        };
        send(
            member.awaiting_join.take(),
            JoinResponse::error(error.clone(), id),
        );
        send(member.awaiting_sync.take(), SyncResponse::error(error));
        if let Some(instance) = &member.instance_id {
            if self.static_members.get(instance).map(String::as_str) == Some(id) {
                self.static_members.remove(instance);
            }
        }
        self.pending_sync.remove(id);
        if self.is_leader(id) {
            self.leader = self.members.keys().next().cloned();
        }
    }

    fn after_removal(&mut self, now: Instant) {
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => self.prepare_rebalance(now),
            GroupState::PreparingRebalance => self.try_complete_join(now),
            GroupState::Empty | GroupState::Dead => {}
        }
    }

    pub fn leave(
        &mut self,
        leaving: &[LeavingMember],
        now: Instant,
    ) -> Vec<Result<(), GroupError>> {
        let mut removed_any = false;
        let results = leaving
            .iter()
            .map(|l| {
                if self.state == GroupState::Dead {
                    return Err(GroupError::CoordinatorNotAvailable);
                }
                let id = match &l.instance_id {
                    Some(instance) => match self.static_members.get(instance) {
                        None => return Err(GroupError::UnknownMemberId),
                        Some(known) if !l.member_id.is_empty() && *known != l.member_id => {
                            return Err(GroupError::FencedInstanceId)
                        }
                        Some(known) => known.clone(),
                    },
                    None => {
                        if self.pending_members.remove(&l.member_id).is_some() {
                            removed_any = true;
                            return Ok(());
                        }
                        if !self.members.contains_key(&l.member_id) {
                            return Err(GroupError::UnknownMemberId);
                        }
                        l.member_id.clone()
                    }
                };
                self.remove_member(&id, GroupError::UnknownMemberId);
                removed_any = true;
                Ok(())
            })
            .collect();
        if removed_any {
            self.after_removal(now);
        }
        results
    }

    /// The next moment a timer has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let rebalance = self.rebalance.map(|r| match r {
            Rebalance::Initial { next, .. } => next,
            Rebalance::Join { deadline } => deadline,
        });
        let sessions = self
            .members
            .values()
            .filter(|m| m.awaiting_join.is_none() && !self.pending_sync.contains(&m.id))
            .map(Member::session_deadline);
        rebalance
            .into_iter()
            .chain(self.sync_deadline)
            .chain(self.pending_members.values().copied())
            .chain(sessions)
            .min()
    }

    pub fn on_timer(&mut self, now: Instant) {
        let lapsed: Vec<String> = self
            .pending_members
            .iter()
            .filter(|(_, expiry)| **expiry <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &lapsed {
            self.pending_members.remove(id);
        }

        let expired: Vec<String> = self
            .members
            .values()
            .filter(|m| {
                m.awaiting_join.is_none()
                    && !self.pending_sync.contains(&m.id)
                    && m.session_deadline() <= now
            })
            .map(|m| m.id.clone())
            .collect();
        for id in &expired {
            debug!(group = %self.id, member = %id, "member session expired");
            self.remove_member(id, GroupError::UnknownMemberId);
        }

        if self.state == GroupState::CompletingRebalance
            && self.sync_deadline.is_some_and(|d| d <= now)
        {
            let missing: Vec<String> = self.pending_sync.iter().cloned().collect();
            for id in &missing {
                debug!(group = %self.id, member = %id, "member did not sync in time");
                self.remove_member(id, GroupError::UnknownMemberId);
            }
            self.sync_deadline = None;
            if !missing.is_empty() {
                self.prepare_rebalance(now);
            }
        }
        if !expired.is_empty() {
            self.after_removal(now);
        } else if !lapsed.is_empty() {
            self.try_complete_join(now);
        }

        match self.rebalance {
            Some(Rebalance::Initial {
                next,
                remaining,
                new_member_added,
            }) if next <= now => {
                if new_member_added && !remaining.is_zero() {
                    let delay = self.config.initial_rebalance_delay.min(remaining);
                    self.rebalance = Some(Rebalance::Initial {
                        next: now + delay,
                        remaining: remaining - delay,
                        new_member_added: false,
                    });
                } else {
                    self.rebalance = Some(Rebalance::Join { deadline: now });
                    self.complete_join(now);
                }
            }
            Some(Rebalance::Join { deadline })
                if deadline <= now && self.state == GroupState::PreparingRebalance =>
            {
                self.complete_join(now);
            }
            _ => {}
        }
    }

    // ----- Offsets ----------------------------------------------------------

    /// Kafka's checks on who may commit: members of the current generation,
    /// or anyone while the group is empty (generation -1).
    pub fn validate_commit(
        &mut self,
        author: &CommitAuthor,
        now: Instant,
    ) -> Result<(), GroupError> {
        if self.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable);
        }
        if author.generation < 0 && self.state == GroupState::Empty {
            return Ok(());
        }
        if author.generation >= 0 || !author.member_id.is_empty() || author.instance_id.is_some() {
            self.check_member(&author.member_id, author.instance_id.as_deref())?;
            if author.generation != self.generation {
                return Err(GroupError::IllegalGeneration);
            }
        } else if self.state != GroupState::Empty {
            return Err(GroupError::UnknownMemberId);
        }
        if self.state == GroupState::CompletingRebalance {
            return Err(GroupError::RebalanceInProgress);
        }
        if let Some(member) = self.members.get_mut(&author.member_id) {
            member.last_heartbeat = now;
        }
        Ok(())
    }

    pub fn commit(
        &mut self,
        author: &CommitAuthor,
        offsets: &[OffsetCommit],
        now: Instant,
    ) -> Result<Option<Durable>, GroupError> {
        self.validate_commit(author, now)?;
        let timestamp = now_ms();
        let entries: Vec<(String, i32, Committed)> = offsets
            .iter()
            .map(|o| {
                (
                    o.topic.clone(),
                    o.partition,
                    Committed {
                        offset: o.offset,
                        leader_epoch: o.leader_epoch,
                        metadata: o.metadata.clone(),
                        commit_timestamp: timestamp,
                    },
                )
            })
            .collect();
        Ok(self.store.commit(&self.id, &entries)?)
    }

    /// Drops offsets of an empty group once `offsets.retention.minutes`
    /// passed since both the commit and the group becoming empty.
    pub fn expire_offsets(&mut self, now_ms: i64) {
        if self.state != GroupState::Empty {
            return;
        }
        self.swept = true;
        let retention = self.config.offsets_retention.as_millis() as i64;
        let expired: Vec<(String, i32)> = self
            .store
            .offsets(&self.id)
            .into_iter()
            .filter(|(_, c)| {
                c.commit_timestamp
                    .max(self.state_since_ms)
                    .saturating_add(retention)
                    < now_ms
            })
            .map(|(key, _)| key)
            .collect();
        if expired.is_empty() {
            return;
        }
        debug!(group = %self.id, partitions = expired.len(), "expiring committed offsets");
        if let Err(e) = self.store.delete_offsets(&self.id, &expired) {
            warn!(group = %self.id, error = %e, "could not expire offsets");
        }
        if !self.store.has_offsets(&self.id) {
            if let Err(e) = self.store.store_group(&self.id, None) {
                warn!(group = %self.id, error = %e, "could not forget an expired group");
            }
        }
    }

    /// Whether a member subscribes to `topic` (OffsetDelete must not delete
    /// offsets still in use). Unknown metadata counts as subscribed.
    fn subscribed_to(&self, topic: &str) -> bool {
        if self.members.is_empty() {
            return false;
        }
        if self.protocol_type.as_deref() != Some("consumer") {
            return true;
        }
        let protocol = self.protocol.clone().unwrap_or_default();
        self.members.values().any(|m| {
            super::subscription::topics(&m.metadata(&protocol))
                .is_none_or(|topics| topics.iter().any(|t| t == topic))
        })
    }

    pub fn delete_offsets(&mut self, partitions: &[(String, i32)]) -> Vec<Result<(), GroupError>> {
        let results: Vec<Result<(), GroupError>> = partitions
            .iter()
            .map(|(topic, _)| {
                if self.subscribed_to(topic) {
                    Err(GroupError::GroupSubscribedToTopic)
                } else {
                    Ok(())
                }
            })
            .collect();
        let deletable: Vec<(String, i32)> = partitions
            .iter()
            .zip(&results)
            .filter(|(_, r)| r.is_ok())
            .map(|(p, _)| p.clone())
            .collect();
        if let Err(e) = self.store.delete_offsets(&self.id, &deletable) {
            let error = GroupError::from(e);
            return partitions.iter().map(|_| Err(error.clone())).collect();
        }
        results
    }

    /// DeleteGroups: only a group without members can go.
    pub fn delete(&mut self) -> Result<(), GroupError> {
        match self.state {
            GroupState::Dead => Err(GroupError::GroupIdNotFound),
            GroupState::Empty => {
                self.store.delete_group(&self.id)?;
                self.pending_members.clear();
                self.transition(GroupState::Dead);
                Ok(())
            }
            _ => Err(GroupError::NonEmptyGroup),
        }
    }

    /// Coordinator shutting down: answer whoever is waiting.
    pub fn shut_down(&mut self) {
        for member in self.members.values_mut() {
            let id = member.id.clone();
            send(
                member.awaiting_join.take(),
                JoinResponse::error(GroupError::CoordinatorNotAvailable, &id),
            );
            send(
                member.awaiting_sync.take(),
                SyncResponse::error(GroupError::CoordinatorNotAvailable),
            );
        }
    }

    // ----- Describing -------------------------------------------------------

    pub fn describe(&self) -> GroupDescription {
        let stable = self.state == GroupState::Stable;
        let protocol = self.protocol.clone().unwrap_or_default();
        GroupDescription {
            group_id: self.id.clone(),
            state: self.state.name(),
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            protocol: if stable {
                protocol.clone()
            } else {
                String::new()
            },
            members: self
                .members
                .values()
                .map(|m| MemberDescription {
                    member_id: m.id.clone(),
                    instance_id: m.instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    metadata: if stable {
                        m.metadata(&protocol)
                    } else {
                        Bytes::new()
                    },
                    assignment: if stable {
                        m.assignment.clone()
                    } else {
                        Bytes::new()
                    },
                })
                .collect(),
        }
    }

    pub fn listing(&self) -> GroupListing {
        GroupListing {
            group_id: self.id.clone(),
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            state: self.state.name(),
        }
    }

    fn persist(&self) {
        let stored = StoredGroup {
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            generation: self.generation,
            protocol: self.protocol.clone(),
            leader: self.leader.clone(),
            members: self.members.values().map(Member::to_stored).collect(),
        };
        if let Err(e) = self.store.store_group(&self.id, Some(&stored)) {
            warn!(group = %self.id, error = %e, "could not store the group's membership");
        }
    }
}
