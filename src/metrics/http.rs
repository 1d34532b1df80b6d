//! A minimal HTTP/1.1 server for `/health` and `/metrics`, off the Kafka
//! port. Two GET endpoints do not justify a web framework: each connection
//! sends one request, gets one response and is closed.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tracing::debug;

use crate::state::BrokerState;

/// A request head larger than this is refused; ours are a few dozen bytes.
const MAX_HEAD: usize = 8 * 1024;
/// A client that does not finish its request in this time is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// What the HTTP side needs of the broker.
pub(crate) struct HttpContext {
    pub state: Arc<BrokerState>,
    /// The connection limit's permits: open connections = max - available.
    pub slots: Arc<Semaphore>,
}

/// Serves until the broker shuts down.
pub(crate) async fn serve(context: Arc<HttpContext>, listener: TcpListener) {
    let mut shutdown = context.state.shutdown_signal();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(answer(Arc::clone(&context), stream));
                }
                Err(e) => {
                    debug!(error = %e, "http accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = crate::state::stopped(&mut shutdown) => return,
        }
    }
}

/// Reads the request head; `None` if it is cut off, too large or too slow.
async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    let read = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && !head.ends_with(b"\n\n") {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 || head.len() + n > MAX_HEAD {
                return None;
            }
            head.extend_from_slice(&chunk[..n]);
        }
        Some(())
    };
    tokio::time::timeout(READ_TIMEOUT, read).await.ok()??;
    Some(head)
}

async fn answer(context: Arc<HttpContext>, mut stream: TcpStream) {
    let Some(head) = read_head(&mut stream).await else {
        return;
    };
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let path = target.split('?').next().unwrap_or_default();
    let (status, content_type, body) = match (method, path) {
        ("GET" | "HEAD", "/health") if context.state.is_shutting_down() => (
            "503 Service Unavailable",
            "text/plain",
            "shutting down\n".to_string(),
        ),
        ("GET" | "HEAD", "/health") => ("200 OK", "text/plain", "ok\n".to_string()),
        ("GET" | "HEAD", "/metrics") => {
            let max = context
                .state
                .config
                .max_connections
                .min(Semaphore::MAX_PERMITS);
            let open = max.saturating_sub(context.slots.available_permits());
            let text = super::render::render(&context.state, open).await;
            ("200 OK", "text/plain; version=0.0.4; charset=utf-8", text)
        }
        ("GET" | "HEAD", _) => (
            "404 Not Found",
            "text/plain",
            "try /health or /metrics\n".to_string(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            "GET only\n".to_string(),
        ),
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if method != "HEAD" {
        response.extend_from_slice(body.as_bytes());
    }
    let _ = stream.write_all(&response).await;
    let _ = stream.shutdown().await;
}
