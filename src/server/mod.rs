//! The network edge: one accept loop per listener, one task per connection.
//!
//! Connections are counted against `max_connections` over every listener:
//! one past the limit is closed at once (with a warning, at most one every
//! few seconds) rather than left waiting in the kernel's backlog, so a
//! client sees a closed connection instead of a hang.

mod connection;
pub(crate) mod frame;
pub mod limit;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tracing::{debug, warn};

use crate::state::BrokerState;

/// Which listener of which (simulated) broker a socket is.
#[derive(Clone, Debug)]
pub struct ListenerIdentity {
    pub name: Arc<str>,
    pub node_id: i32,
}

/// How often a refused connection may be logged.
const REFUSAL_WARNING_EVERY: Duration = Duration::from_secs(5);

/// Accepts connections until shutdown, then waits for them to finish.
/// Each connection holds a place of `state.connections` while it is open.
pub async fn accept_loop(
    state: Arc<BrokerState>,
    listener: TcpListener,
    identity: ListenerIdentity,
) {
    let name = Arc::clone(&identity.name);
    let mut refused = 0u64;
    let mut last_warning: Option<Instant> = None;
    let mut connections = JoinSet::new();
    let mut shutdown = state.shutdown_signal();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => match state.connections.try_open() {
                    Some(slot) => {
                        let serve = connection::serve(Arc::clone(&state), stream, identity.clone(), peer);
                        connections.spawn(async move {
                            serve.await;
                            drop(slot);
                        });
                    }
                    None => {
                        drop(stream);
                        refused += 1;
                        if last_warning.is_none_or(|t| t.elapsed() >= REFUSAL_WARNING_EVERY) {
                            warn!(
                                listener = &*name, %peer, refused,
                                max_connections = state.connections.max(),
                                "too many connections: closing new ones until some close"
                            );
                            last_warning = Some(Instant::now());
                        }
                    }
                },
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly
                    // instead of spinning, and keep serving what is open.
                    warn!(listener = &*name, error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            _ = crate::state::stopped(&mut shutdown) => break,
        }
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    debug!(
        listener = &*name,
        open = connections.len(),
        "listener closed; waiting for connections"
    );
    while connections.join_next().await.is_some() {}
}
