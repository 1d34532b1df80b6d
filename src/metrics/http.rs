//! The HTTP endpoints, off the Kafka port: `/health` for compose
//! healthchecks, `/metrics` for Prometheus and `/conformance` for client
//! authors (the protocol conformance report as JSON). axum does the HTTP.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tracing::debug;

use crate::state::BrokerState;

/// What the HTTP side needs of the broker.
pub(crate) struct HttpContext {
    pub state: Arc<BrokerState>,
    /// The connection limit's permits: open connections = max - available.
    pub slots: Arc<Semaphore>,
}

/// Serves until the broker shuts down.
pub(crate) async fn serve(context: Arc<HttpContext>, listener: TcpListener) {
    let mut shutdown = context.state.shutdown_signal();
    let app = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/conformance", get(conformance))
        .fallback(not_found)
        .with_state(context);
    let stopped = async move { crate::state::stopped(&mut shutdown).await };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(stopped)
        .await
    {
        debug!(error = %e, "http server stopped");
    }
}

async fn health(State(context): State<Arc<HttpContext>>) -> Response {
    if context.state.is_shutting_down() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
    } else {
        (StatusCode::OK, "ok\n").into_response()
    }
}

async fn metrics(State(context): State<Arc<HttpContext>>) -> Response {
    let max = context
        .state
        .config
        .max_connections
        .min(Semaphore::MAX_PERMITS);
    let open = max.saturating_sub(context.slots.available_permits());
    let text = super::render::render(&context.state, open).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn conformance(State(context): State<Arc<HttpContext>>) -> Response {
    Json(context.state.conformance.view()).into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        "try /health, /metrics or /conformance\n",
    )
        .into_response()
}
