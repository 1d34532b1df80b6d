//! One client connection: requests are read and answered strictly in order,
//! one at a time, as Kafka does; parallelism comes from many connections.
//!
//! Responses are buffered while more complete requests are already waiting,
//! so a pipelining client gets many responses per write; the buffer is always
//! flushed before a request that may wait (a long-poll fetch), so no answer is
//! held back behind it.
//!
//! What a connection can hold is bounded: its read buffer grows only with
//! bytes that arrived, up to one frame of `socket_request_max_bytes`, and
//! shrinks again when idle; responses pass through a 64 KiB write buffer. A
//! connection that completes no request for `connections_max_idle_ms` is
//! closed.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tracing::{debug, warn};

use super::frame::FrameReader;
use crate::protocol::response_frame::ResponseFrame;
use crate::protocol::{handle_frame, may_wait, Connection, Reply};
use crate::state::BrokerState;

const WRITE_BUFFER: usize = 64 * 1024;

/// Serves a connection until the client leaves, breaks the protocol, or
/// the broker shuts down.
pub async fn serve(
    state: Arc<BrokerState>,
    stream: TcpStream,
    identity: super::ListenerIdentity,
    peer: SocketAddr,
) {
    let listener = identity.name;
    let _ = stream.set_nodelay(true);
    let (mut reader, writer) = stream.into_split();
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER, writer);
    let mut frames = FrameReader::new(state.config.socket_request_max_bytes);
    let mut shutdown = state.shutdown_signal();
    debug!(%peer, listener = &*listener, "connection opened");
    let connection = Connection::new(
        Arc::clone(&listener),
        identity.node_id,
        format!("/{}", peer.ip()),
    );
    let idle_limit = state.config.connections_max_idle;
    let reason = loop {
        // The idle clock restarts with each request, so a client that sends
        // half a request and stalls is closed like one that sends nothing.
        let frame = tokio::select! {
            frame = frames.next(&mut reader) => frame,
            _ = tokio::time::sleep(idle_limit) => {
                break format!("no complete request for {} ms (connections_max_idle_ms)", idle_limit.as_millis());
            }
            _ = crate::state::stopped(&mut shutdown) => break "broker shutting down".to_string(),
        };
        let frame = match frame {
            Ok(Some(frame)) => frame,
            Ok(None) => break "client closed the connection".to_string(),
            Err(e) => break e.to_string(),
        };
        match handle_frame(&state, &connection, frame).await {
            Reply::Frame(response) => {
                if let Err(e) = write_frame(&mut writer, &response).await {
                    break format!("writing a response: {e}");
                }
            }
            Reply::Nothing => {}
            Reply::Close(reason) => {
                // The client broke the protocol (or asked for a version klamm
                // does not serve): say so where a user will see it.
                warn!(%peer, listener = &*listener, %reason, "closing the connection");
                let _ = writer.flush().await;
                break reason;
            }
        }
        let more_ready = frames.has_frame() && !frames.next_api_key().is_some_and(may_wait);
        if !more_ready {
            if let Err(e) = writer.flush().await {
                break format!("writing a response: {e}");
            }
        }
    };
    let _ = writer.shutdown().await;
    debug!(%peer, listener = &*listener, %reason, "connection closed");
}

/// Writes a response's chunks in order. A record set as large as the write
/// buffer bypasses it and goes to the socket from the segment mapping.
async fn write_frame(
    writer: &mut BufWriter<tokio::net::tcp::OwnedWriteHalf>,
    frame: &ResponseFrame,
) -> std::io::Result<()> {
    for chunk in frame.chunks() {
        writer.write_all(chunk).await?;
    }
    Ok(())
}
