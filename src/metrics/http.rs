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
use tracing::debug;

use crate::state::BrokerState;

/// Serves until the broker shuts down.
pub(crate) async fn serve(state: Arc<BrokerState>, listener: TcpListener) {
    let mut shutdown = state.shutdown_signal();
    let app = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/conformance", get(conformance))
        .fallback(not_found)
        .with_state(state);
    let stopped = async move { crate::state::stopped(&mut shutdown).await };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(stopped)
        .await
    {
        debug!(error = %e, "http server stopped");
    }
}

async fn health(State(state): State<Arc<BrokerState>>) -> Response {
    if state.is_shutting_down() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
    } else {
        (StatusCode::OK, "ok\n").into_response()
    }
}

async fn metrics(State(state): State<Arc<BrokerState>>) -> Response {
    let text = super::render::render(&state, state.connections.open()).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn conformance(State(state): State<Arc<BrokerState>>) -> Response {
    Json(state.conformance.view()).into_response()
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        "try /health, /metrics or /conformance\n",
    )
        .into_response()
}
