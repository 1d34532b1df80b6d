//! The task that owns one group. Requests for the group arrive as commands
//! and are handled one at a time; timers (sessions, rebalance and sync
//! deadlines, the initial delay) fire in the same loop. Groups therefore
//! never wait on each other, and a group needs no lock.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::error::GroupError;
use super::state::Group;
use super::types::*;
use crate::storage::Durable;

pub enum Command {
    Join(JoinRequest, oneshot::Sender<JoinResponse>),
    Sync(SyncRequest, oneshot::Sender<SyncResponse>),
    Heartbeat {
        member_id: String,
        instance_id: Option<String>,
        generation: i32,
        reply: oneshot::Sender<Result<(), GroupError>>,
    },
    Leave(
        Vec<LeavingMember>,
        oneshot::Sender<Vec<Result<(), GroupError>>>,
    ),
    Commit {
        author: CommitAuthor,
        offsets: Vec<OffsetCommit>,
        reply: oneshot::Sender<Result<Option<Durable>, GroupError>>,
    },
    DeleteOffsets(
        Vec<(String, i32)>,
        oneshot::Sender<Vec<Result<(), GroupError>>>,
    ),
    Describe(oneshot::Sender<GroupDescription>),
    Delete(oneshot::Sender<Result<(), GroupError>>),
    ExpireOffsets {
        now_ms: i64,
    },
}

/// Called when the group has nothing left to keep; returns whether the
/// task may stop (no command is waiting for it).
pub type Retire = Box<dyn Fn(&str, &mpsc::UnboundedReceiver<Command>) -> bool + Send>;

pub async fn run(
    mut group: Group,
    mut commands: mpsc::UnboundedReceiver<Command>,
    listing: Arc<Mutex<GroupListing>>,
    mut shutdown: watch::Receiver<bool>,
    retire: Retire,
) {
    loop {
        let deadline = group.next_deadline();
        tokio::select! {
            command = commands.recv() => match command {
                Some(command) => handle(&mut group, command),
                None => break,
            },
            _ = sleep_until(deadline) => group.on_timer(Instant::now()),
            _ = crate::state::stopped(&mut shutdown) => break,
        }
        *listing.lock().unwrap_or_else(PoisonError::into_inner) = group.listing();
        if group.is_disposable() && retire(&group.id, &commands) {
            return;
        }
    }
    group.shut_down();
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn handle(group: &mut Group, command: Command) {
    let now = Instant::now();
    match command {
        Command::Join(request, reply) => group.join(request, reply, now),
        Command::Sync(request, reply) => group.sync(request, reply, now),
        Command::Heartbeat {
            member_id,
            instance_id,
            generation,
            reply,
        } => {
            let _ =
                reply.send(group.heartbeat(&member_id, instance_id.as_deref(), generation, now));
        }
        Command::Leave(members, reply) => {
            let _ = reply.send(group.leave(&members, now));
        }
        Command::Commit {
            author,
            offsets,
            reply,
        } => {
            let _ = reply.send(group.commit(&author, &offsets, now));
        }
        Command::DeleteOffsets(partitions, reply) => {
            let _ = reply.send(group.delete_offsets(&partitions));
        }
        Command::Describe(reply) => {
            let _ = reply.send(group.describe());
        }
        Command::Delete(reply) => {
            let _ = reply.send(group.delete());
        }
        Command::ExpireOffsets { now_ms } => group.expire_offsets(now_ms),
    }
}
