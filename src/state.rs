//! What every request handler can reach: the cluster, the configuration, and
//! the shutdown signal that ends long polls.

use std::sync::Arc;

use tokio::sync::watch;

use crate::cluster::dynamic_configs::{Scope, MAX_CONNECTIONS};
use crate::cluster::Cluster;
use crate::config::Config;
use crate::conformance::ConformanceReport;
use crate::group::GroupCoordinator;
use crate::metrics::RequestMetrics;
use crate::producers::Producers;
use crate::server::limit::ConnectionLimit;

pub struct BrokerState {
    pub cluster: Cluster,
    pub groups: GroupCoordinator,
    pub producers: Producers,
    pub config: Config,
    /// Requests and errors by API, for `/metrics`.
    pub metrics: RequestMetrics,
    /// Deviations from the protocol spec that klamm tolerates, by client
    /// (`protocol_conformance = "report"`).
    pub conformance: ConformanceReport,
    /// Open connections against `max_connections` (or the dynamic
    /// `max.connections`).
    pub connections: Arc<ConnectionLimit>,
    shutdown: watch::Sender<bool>,
}

impl BrokerState {
    /// `shutdown` is the sender whose receivers the coordinator already holds.
    pub fn new(
        cluster: Cluster,
        groups: GroupCoordinator,
        producers: Producers,
        config: Config,
        shutdown: watch::Sender<bool>,
    ) -> Self {
        let state = Self {
            connections: ConnectionLimit::new(config.max_connections),
            conformance: ConformanceReport::new(config.protocol_conformance_report),
            cluster,
            groups,
            producers,
            config,
            metrics: RequestMetrics::default(),
            shutdown,
        };
        state.apply_broker_configs();
        state
    }

    /// Applies the dynamic broker configs that the broker itself (not the
    /// topics) runs with: today `max.connections`. Called at start and
    /// after every change of them.
    pub fn apply_broker_configs(&self) {
        let dynamic = self.cluster.dynamic_configs();
        let first = self.config.node_id;
        let max = [
            dynamic.get(Scope::Broker(first)).get(MAX_CONNECTIONS),
            dynamic.cluster().get(MAX_CONNECTIONS),
        ]
        .into_iter()
        .flatten()
        .find_map(|v| v.parse::<usize>().ok())
        .unwrap_or(self.config.max_connections);
        self.connections.set_max(max);
    }

    /// Resolves once the broker begins to shut down.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

/// Waits until `signal` says the broker is shutting down (at once if it
/// already is); holds no guard across the wait, so callers stay `Send`.
pub async fn stopped(signal: &mut watch::Receiver<bool>) {
    let _ = signal.wait_for(|&down| down).await;
}
