//! The group coordinator: Kafka's classic consumer-group protocol and the
//! committed offsets of every group.
//!
//! Each group is owned by a task of its own (`actor`) that runs the state
//! machine in `state`; the coordinator only routes requests to it, creating
//! groups when Kafka would. Committed offsets and each group's last stable
//! membership are durable in the group store (`store`), replayed at start-up.
//! Nothing here knows about sockets or the wire format.

mod actor;
mod error;
mod member;
mod state;
pub mod store;
mod subscription;
pub mod types;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use tokio::sync::{mpsc, oneshot, watch};
use tracing::warn;

use actor::Command;
pub use error::GroupError;
use state::Group;
pub use state::GroupConfig;
use store::{Committed, GroupStore};
use types::*;

use crate::storage::Durable;

struct Handle {
    commands: mpsc::UnboundedSender<Command>,
    listing: Arc<Mutex<GroupListing>>,
}

struct Inner {
    groups: Mutex<HashMap<String, Handle>>,
    store: Arc<GroupStore>,
    config: GroupConfig,
    shutdown: watch::Receiver<bool>,
}

/// Routes group requests to the task that owns each group.
pub struct GroupCoordinator {
    inner: Arc<Inner>,
}

/// Which groups a request may bring into existence.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Create {
    Yes,
    No,
}

impl GroupCoordinator {
    /// Starts the coordinator with the groups found in the store.
    pub fn start(store: GroupStore, config: GroupConfig, shutdown: watch::Receiver<bool>) -> Self {
        let store = Arc::new(store);
        let inner = Arc::new(Inner {
            groups: Mutex::new(HashMap::new()),
            store: Arc::clone(&store),
            config,
            shutdown,
        });
        let coordinator = Self { inner };
        let mut groups = coordinator.lock();
        for (id, record) in store.groups() {
            let group = match &record.group {
                Some(stored) => Group::restore(id.clone(), stored, config, Arc::clone(&store)),
                None => Group::new(id.clone(), config, Arc::clone(&store)),
            };
            let handle = coordinator.spawn(group);
            groups.insert(id, handle);
        }
        drop(groups);
        coordinator
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Handle>> {
        self.inner
            .groups
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn spawn(&self, group: Group) -> Handle {
        let (commands, receiver) = mpsc::unbounded_channel();
        let listing = Arc::new(Mutex::new(group.listing()));
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let retire: actor::Retire = Box::new(move |id, receiver| {
            let Some(inner) = weak.upgrade() else {
                return true;
            };
            // Commands are only sent while this lock is held, so an empty
            // queue here stays empty once the group is gone from the map.
            let mut groups = inner.groups.lock().unwrap_or_else(PoisonError::into_inner);
            if !receiver.is_empty() {
                return false;
            }
            groups.remove(id);
            true
        });
        tokio::spawn(actor::run(
            group,
            receiver,
            Arc::clone(&listing),
            self.inner.shutdown.clone(),
            retire,
        ));
        Handle { commands, listing }
    }

    /// Sends a command to a group's task (starting one if `create`);
    /// `false` if the group does not exist.
    fn send(&self, group_id: &str, create: Create, command: Command) -> bool {
        let mut groups = self.lock();
        let command = match groups.get(group_id) {
            Some(handle) => match handle.commands.send(command) {
                Ok(()) => return true,
                // The task has stopped: its group is gone.
                Err(mpsc::error::SendError(command)) => {
                    groups.remove(group_id);
                    command
                }
            },
            None => command,
        };
        if create == Create::No {
            return false;
        }
        let group = Group::new(
            group_id.to_string(),
            self.inner.config,
            Arc::clone(&self.inner.store),
        );
        let handle = self.spawn(group);
        let sent = handle.commands.send(command).is_ok();
        groups.insert(group_id.to_string(), handle);
        sent
    }

    /// Sends a command and waits for its answer; `None` if the group does not
    /// exist (and `create` is No) or its task went away.
    async fn ask<T>(
        &self,
        group_id: &str,
        create: Create,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        if !self.send(group_id, create, make(tx)) {
            return None;
        }
        rx.await.ok()
    }

    pub async fn join(&self, request: JoinRequest) -> JoinResponse {
        if request.group_id.is_empty() {
            return JoinResponse::error(GroupError::InvalidGroupId, &request.member_id);
        }
        // Checked before the group is looked up, as Kafka does, so a refused
        // join leaves no empty group behind.
        let config = &self.inner.config;
        if request.session_timeout < config.min_session_timeout
            || request.session_timeout > config.max_session_timeout
        {
            return JoinResponse::error(GroupError::InvalidSessionTimeout, &request.member_id);
        }
        let member_id = request.member_id.clone();
        let group_id = request.group_id.clone();
        // Only a new member (no member id yet) brings a group into being; a
        // member id for a group that does not exist is an unknown member.
        let (create, missing) = if member_id.is_empty() {
            (Create::Yes, GroupError::CoordinatorNotAvailable)
        } else {
            (Create::No, GroupError::UnknownMemberId)
        };
        self.ask(&group_id, create, |tx| Command::Join(request, tx))
            .await
            .unwrap_or_else(|| JoinResponse::error(missing, &member_id))
    }

    pub async fn sync(&self, request: SyncRequest) -> SyncResponse {
        if request.group_id.is_empty() {
            return SyncResponse::error(GroupError::InvalidGroupId);
        }
        let group_id = request.group_id.clone();
        self.ask(&group_id, Create::No, |tx| Command::Sync(request, tx))
            .await
            .unwrap_or_else(|| SyncResponse::error(GroupError::UnknownMemberId))
    }

    pub async fn heartbeat(
        &self,
        group_id: &str,
        member_id: &str,
        instance_id: Option<&str>,
        generation: i32,
    ) -> Result<(), GroupError> {
        if group_id.is_empty() {
            return Err(GroupError::InvalidGroupId);
        }
        self.ask(group_id, Create::No, |reply| Command::Heartbeat {
            member_id: member_id.to_string(),
            instance_id: instance_id.map(str::to_string),
            generation,
            reply,
        })
        .await
        .unwrap_or(Err(GroupError::UnknownMemberId))
    }

    /// LeaveGroup: one result per leaving member.
    pub async fn leave(
        &self,
        group_id: &str,
        members: Vec<LeavingMember>,
    ) -> Result<Vec<Result<(), GroupError>>, GroupError> {
        if group_id.is_empty() {
            return Err(GroupError::InvalidGroupId);
        }
        let count = members.len();
        Ok(self
            .ask(group_id, Create::No, |tx| Command::Leave(members, tx))
            .await
            .unwrap_or_else(|| vec![Err(GroupError::UnknownMemberId); count]))
    }

    /// OffsetCommit for partitions the caller has checked exist. A group that
    /// does not exist is created for a commit with generation -1 (a client
    /// that only stores offsets); otherwise the commit is from a stale member.
    pub async fn commit(
        &self,
        group_id: &str,
        author: CommitAuthor,
        offsets: Vec<OffsetCommit>,
    ) -> Result<Option<Durable>, GroupError> {
        let create = if author.generation < 0 {
            Create::Yes
        } else {
            Create::No
        };
        self.ask(group_id, create, |reply| Command::Commit {
            author,
            offsets,
            reply,
        })
        .await
        .unwrap_or(Err(GroupError::IllegalGeneration))
    }

    /// OffsetFetch: the committed offsets asked for, or all of the group's.
    pub fn committed(&self, group_id: &str) -> BTreeMap<(String, i32), Committed> {
        self.inner.store.offsets(group_id)
    }

    pub fn offset_metadata_max_bytes(&self) -> usize {
        self.inner.config.offset_metadata_max_bytes
    }

    pub async fn describe(&self, group_id: &str) -> GroupDescription {
        self.ask(group_id, Create::No, Command::Describe)
            .await
            .unwrap_or_else(|| GroupDescription {
                group_id: group_id.to_string(),
                state: "Dead",
                protocol_type: String::new(),
                protocol: String::new(),
                members: Vec::new(),
            })
    }

    /// ListGroups: every live group, optionally only in some states.
    pub fn list(&self, states: &[String]) -> Vec<GroupListing> {
        let mut listings: Vec<GroupListing> = self
            .lock()
            .values()
            .map(|h| {
                h.listing
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone()
            })
            .filter(|l| l.state != "Dead")
            .filter(|l| states.is_empty() || states.iter().any(|s| s.eq_ignore_ascii_case(l.state)))
            .collect();
        listings.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        listings
    }

    pub async fn delete(&self, group_id: &str) -> Result<(), GroupError> {
        self.ask(group_id, Create::No, Command::Delete)
            .await
            .unwrap_or(Err(GroupError::GroupIdNotFound))
    }

    pub async fn delete_offsets(
        &self,
        group_id: &str,
        partitions: Vec<(String, i32)>,
    ) -> Result<Vec<Result<(), GroupError>>, GroupError> {
        self.ask(group_id, Create::No, |tx| {
            Command::DeleteOffsets(partitions, tx)
        })
        .await
        .ok_or(GroupError::GroupIdNotFound)
    }

    /// Closes the group log (at shutdown, after the group tasks stopped).
    pub fn close(&self) {
        self.inner.store.close();
    }

    /// Runs offset expiry in every group (`offsets.retention.minutes`).
    pub fn expire_offsets(&self, now_ms: i64) {
        let groups = self.lock();
        for handle in groups.values() {
            if handle
                .commands
                .send(Command::ExpireOffsets { now_ms })
                .is_err()
            {
                warn!("a group task stopped unexpectedly");
            }
        }
    }
}

#[cfg(test)]
mod tests;
