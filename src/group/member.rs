//! A member of a classic consumer group, as the coordinator tracks it.

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::store::{StoredMember, StoredProtocol};
use super::types::{JoinResponse, SyncResponse};

pub struct Member {
    pub id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub protocols: Vec<(String, Bytes)>,
    pub assignment: Bytes,
    /// The JoinGroup waiting for the rebalance to complete.
    pub awaiting_join: Option<oneshot::Sender<JoinResponse>>,
    /// The SyncGroup waiting for the leader's assignment.
    pub awaiting_sync: Option<oneshot::Sender<SyncResponse>>,
    pub last_heartbeat: Instant,
    /// Joined during the current rebalance (KIP-394 bookkeeping).
    pub is_new: bool,
}

impl Member {
    /// The metadata this member sent for `protocol`.
    pub fn metadata(&self, protocol: &str) -> Bytes {
        self.protocols
            .iter()
            .find(|(name, _)| name == protocol)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }

    pub fn supports(&self, protocol: &str) -> bool {
        self.protocols.iter().any(|(name, _)| name == protocol)
    }

    /// Whether a rejoin brings the same protocols and metadata.
    pub fn same_protocols(&self, protocols: &[(String, Bytes)]) -> bool {
        self.protocols == protocols
    }

    /// The member's preferred protocol among `candidates`.
    pub fn vote<'a>(&self, candidates: &'a [String]) -> Option<&'a String> {
        self.protocols
            .iter()
            .find_map(|(name, _)| candidates.iter().find(|c| *c == name))
    }

    /// When its session ends if nothing is heard from it.
    pub fn session_deadline(&self) -> Instant {
        self.last_heartbeat + self.session_timeout
    }

    pub fn to_stored(&self) -> StoredMember {
        StoredMember {
            member_id: self.id.clone(),
            instance_id: self.instance_id.clone(),
            client_id: self.client_id.clone(),
            client_host: self.client_host.clone(),
            session_timeout_ms: self.session_timeout.as_millis() as u64,
            rebalance_timeout_ms: self.rebalance_timeout.as_millis() as u64,
            protocols: self
                .protocols
                .iter()
                .map(|(name, metadata)| StoredProtocol {
                    name: name.clone(),
                    metadata: metadata.to_vec(),
                })
                .collect(),
            assignment: self.assignment.to_vec(),
        }
    }

    /// A member restored from the store at start-up; its session starts now.
    pub fn from_stored(stored: &StoredMember, now: Instant) -> Self {
        Self {
            id: stored.member_id.clone(),
            instance_id: stored.instance_id.clone(),
            client_id: stored.client_id.clone(),
            client_host: stored.client_host.clone(),
            session_timeout: Duration::from_millis(stored.session_timeout_ms),
            rebalance_timeout: Duration::from_millis(stored.rebalance_timeout_ms),
            protocols: stored
                .protocols
                .iter()
                .map(|p| (p.name.clone(), Bytes::from(p.metadata.clone())))
                .collect(),
            assignment: Bytes::from(stored.assignment.clone()),
            awaiting_join: None,
            awaiting_sync: None,
            last_heartbeat: now,
            is_new: false,
        }
    }
}
