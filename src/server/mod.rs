//! The network edge: one accept loop per listener, one task per connection.

mod connection;
pub(crate) mod frame;

use std::sync::Arc;

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

/// Accepts connections until shutdown, then waits for them to finish.
pub async fn accept_loop(
    state: Arc<BrokerState>,
    listener: TcpListener,
    identity: ListenerIdentity,
) {
    let name = Arc::clone(&identity.name);
    let mut connections = JoinSet::new();
    let mut shutdown = state.shutdown_signal();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(connection::serve(Arc::clone(&state), stream, identity.clone(), peer));
                }
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
