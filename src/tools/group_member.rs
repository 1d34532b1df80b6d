//! `klamm consume --group`: membership of a consumer group with the classic
//! protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) and committed
//! offsets (OffsetFetch, OffsetCommit). When this member leads the group it
//! assigns partitions with the range assignor, so it can share a group with
//! Java or librdkafka consumers that also offer `range`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, OffsetCommitRequest, OffsetFetchRequest,
    SyncGroupRequest,
};
use kafka_protocol::protocol::StrBytes;

use super::assignor::{
    assigned_partitions, assignment, range_assign, subscribed_topics, subscription,
};
use super::client::{group_id, str_bytes, topic_name, Client};
use super::error::ToolError;

const SESSION_TIMEOUT_MS: i32 = 10_000;
const REBALANCE_TIMEOUT_MS: i32 = 30_000;
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(3);
/// Join attempts before giving up (each may wait for a rebalance).
const JOIN_ATTEMPTS: usize = 20;

const UNKNOWN_MEMBER_ID: i16 = 25;
const ILLEGAL_GENERATION: i16 = 22;
const REBALANCE_IN_PROGRESS: i16 = 27;
const MEMBER_ID_REQUIRED: i16 = 79;

pub struct GroupMember {
    group: String,
    topic: String,
    member_id: String,
    generation: i32,
    /// Partitions of `topic` this member was given.
    pub assigned: Vec<i32>,
    last_heartbeat: Instant,
}

impl GroupMember {
    /// Joins `group` subscribed to `topic` and waits for an assignment.
    pub async fn join(
        client: &mut Client,
        group: &str,
        topic: &str,
    ) -> Result<GroupMember, ToolError> {
        let mut member = GroupMember {
            group: group.to_string(),
            topic: topic.to_string(),
            member_id: String::new(),
            generation: -1,
            assigned: Vec::new(),
            last_heartbeat: Instant::now(),
        };
        member.rejoin(client).await?;
        Ok(member)
    }

    fn what(&self, action: &str) -> String {
        format!("cannot {action} group {}", self.group)
    }

    /// JoinGroup and SyncGroup until this member has an assignment.
    pub async fn rejoin(&mut self, client: &mut Client) -> Result<(), ToolError> {
        let metadata = subscription(std::slice::from_ref(&self.topic))?;
        for _ in 0..JOIN_ATTEMPTS {
            let request = JoinGroupRequest::default()
                .with_group_id(group_id(&self.group))
                .with_session_timeout_ms(SESSION_TIMEOUT_MS)
                .with_rebalance_timeout_ms(REBALANCE_TIMEOUT_MS)
                .with_member_id(str_bytes(&self.member_id))
                .with_protocol_type(StrBytes::from_static_str("consumer"))
                .with_protocols(vec![JoinGroupRequestProtocol::default()
                    .with_name(StrBytes::from_static_str("range"))
                    .with_metadata(metadata.clone())]);
            let (joined, _) = client
                .group_call(&self.group, 2, 5, &request, |r| r.error_code)
                .await?;
            match joined.error_code {
                MEMBER_ID_REQUIRED => {
                    self.member_id = joined.member_id.to_string();
                    continue;
                }
                UNKNOWN_MEMBER_ID => {
                    self.member_id.clear();
                    continue;
                }
                REBALANCE_IN_PROGRESS => continue,
                code => ToolError::check(code, None, || self.what("join"))?,
            }
            self.member_id = joined.member_id.to_string();
            self.generation = joined.generation_id;
            let assignments = if joined.leader == joined.member_id {
                self.assign(client, &joined.members).await?
            } else {
                Vec::new()
            };
            let request = SyncGroupRequest::default()
                .with_group_id(group_id(&self.group))
                .with_generation_id(self.generation)
                .with_member_id(str_bytes(&self.member_id))
                .with_assignments(assignments);
            let (synced, _) = client
                .group_call(&self.group, 0, 3, &request, |r| r.error_code)
                .await?;
            match synced.error_code {
                REBALANCE_IN_PROGRESS => continue,
                UNKNOWN_MEMBER_ID | ILLEGAL_GENERATION => {
                    self.member_id.clear();
                    continue;
                }
                code => ToolError::check(code, None, || self.what("sync with"))?,
            }
            self.assigned = assigned_partitions(synced.assignment)
                .remove(&self.topic)
                .unwrap_or_default();
            self.assigned.sort_unstable();
            self.last_heartbeat = Instant::now();
            return Ok(());
        }
        Err(ToolError::Failed(format!(
            "group {} kept rebalancing; gave up after {JOIN_ATTEMPTS} attempts to join",
            self.group
        )))
    }

    /// The leader's job: a range assignment over every member's topics.
    async fn assign(
        &self,
        client: &mut Client,
        members: &[kafka_protocol::messages::join_group_response::JoinGroupResponseMember],
    ) -> Result<Vec<SyncGroupRequestAssignment>, ToolError> {
        let subscriptions: BTreeMap<String, Vec<String>> = members
            .iter()
            .map(|m| {
                (
                    m.member_id.to_string(),
                    subscribed_topics(m.metadata.clone()),
                )
            })
            .collect();
        let mut counts = BTreeMap::new();
        for topic in subscriptions.values().flatten() {
            if !counts.contains_key(topic) {
                // A topic another member wants but that does not exist gets nothing.
                if let Ok(info) = client.topic(topic).await {
                    counts.insert(topic.clone(), info.partitions.len() as i32);
                }
            }
        }
        range_assign(&subscriptions, &counts)
            .into_iter()
            .map(|(member, partitions)| {
                Ok(SyncGroupRequestAssignment::default()
                    .with_member_id(str_bytes(&member))
                    .with_assignment(assignment(&partitions)?))
            })
            .collect()
    }

    pub fn heartbeat_due(&self) -> bool {
        self.last_heartbeat.elapsed() >= HEARTBEAT_INTERVAL
    }

    /// Sends a heartbeat; `true` if the group is rebalancing and this
    /// member must join again.
    pub async fn heartbeat(&mut self, client: &mut Client) -> Result<bool, ToolError> {
        let request = HeartbeatRequest::default()
            .with_group_id(group_id(&self.group))
            .with_generation_id(self.generation)
            .with_member_id(str_bytes(&self.member_id));
        let (response, _) = client
            .group_call(&self.group, 0, 3, &request, |r| r.error_code)
            .await?;
        self.last_heartbeat = Instant::now();
        match response.error_code {
            REBALANCE_IN_PROGRESS => Ok(true),
            UNKNOWN_MEMBER_ID | ILLEGAL_GENERATION => {
                self.member_id.clear();
                Ok(true)
            }
            code => ToolError::check(code, None, || self.what("heartbeat to")).map(|()| false),
        }
    }

    /// Committed offsets of the assigned partitions; partitions without
    /// one are left out.
    pub async fn committed(&self, client: &mut Client) -> Result<BTreeMap<i32, i64>, ToolError> {
        committed_offsets(client, &self.group, Some((&self.topic, &self.assigned)))
            .await
            .map(|mut all| all.remove(&self.topic).unwrap_or_default())
    }

    /// Commits positions (the offset of the next record to read).
    pub async fn commit(
        &self,
        client: &mut Client,
        positions: &BTreeMap<i32, i64>,
    ) -> Result<(), ToolError> {
        commit_offsets(
            client,
            &self.group,
            self.generation,
            &self.member_id,
            &self.topic,
            positions,
        )
        .await
    }

    /// Leaves the group so the others get its partitions at once.
    pub async fn leave(&self, client: &mut Client) -> Result<(), ToolError> {
        let request = LeaveGroupRequest::default()
            .with_group_id(group_id(&self.group))
            .with_members(vec![
                MemberIdentity::default().with_member_id(str_bytes(&self.member_id))
            ]);
        // v3+ names members in a list (KIP-345); every broker since Kafka 2.4 has it.
        let (response, _) = client
            .group_call(&self.group, 3, 3, &request, |r| r.error_code)
            .await?;
        ToolError::check(response.error_code, None, || self.what("leave"))
    }
}

/// A group's committed offsets, by topic and partition: of one topic's
/// partitions, or (`None`) of everything the group committed.
pub async fn committed_offsets(
    client: &mut Client,
    group: &str,
    only: Option<(&str, &[i32])>,
) -> Result<BTreeMap<String, BTreeMap<i32, i64>>, ToolError> {
    let request = OffsetFetchRequest::default()
        .with_group_id(group_id(group))
        .with_topics(only.map(|(topic, partitions)| {
            vec![OffsetFetchRequestTopic::default()
                .with_name(topic_name(topic))
                .with_partition_indexes(partitions.to_vec())]
        }));
    let (response, _) = client
        .group_call(group, 2, 6, &request, |r| r.error_code)
        .await?;
    ToolError::check(response.error_code, None, || {
        format!("cannot fetch the offsets of group {group}")
    })?;
    let mut offsets: BTreeMap<String, BTreeMap<i32, i64>> = BTreeMap::new();
    for topic in &response.topics {
        for p in &topic.partitions {
            ToolError::check(p.error_code, None, || {
                format!(
                    "cannot fetch group {group}'s offset of {}-{}",
                    &*topic.name.0, p.partition_index
                )
            })?;
            if p.committed_offset >= 0 {
                offsets
                    .entry(topic.name.0.to_string())
                    .or_default()
                    .insert(p.partition_index, p.committed_offset);
            }
        }
    }
    Ok(offsets)
}

/// OffsetCommit; generation -1 and no member id commit for a group
/// without active members (what `groups reset-offsets` does).
pub async fn commit_offsets(
    client: &mut Client,
    group: &str,
    generation: i32,
    member_id: &str,
    topic: &str,
    positions: &BTreeMap<i32, i64>,
) -> Result<(), ToolError> {
    if positions.is_empty() {
        return Ok(());
    }
    let request = OffsetCommitRequest::default()
        .with_group_id(group_id(group))
        .with_generation_id_or_member_epoch(generation)
        .with_member_id(str_bytes(member_id))
        .with_retention_time_ms(-1)
        .with_topics(vec![OffsetCommitRequestTopic::default()
            .with_name(topic_name(topic))
            .with_partitions(
                positions
                    .iter()
                    .map(|(&p, &offset)| {
                        OffsetCommitRequestPartition::default()
                            .with_partition_index(p)
                            .with_committed_offset(offset)
                            .with_committed_leader_epoch(-1)
                    })
                    .collect(),
            )]);
    let first_error = |r: &kafka_protocol::messages::OffsetCommitResponse| {
        r.topics
            .iter()
            .flat_map(|t| &t.partitions)
            .map(|p| p.error_code)
            .find(|&c| c != 0)
            .unwrap_or(0)
    };
    let (response, _) = client
        .group_call(group, 2, 7, &request, first_error)
        .await?;
    ToolError::check(first_error(&response), None, || {
        format!("cannot commit offsets of group {group} on {topic}")
    })
}
