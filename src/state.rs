//! What every request handler can reach: the cluster, the configuration, and
//! the shutdown signal that ends long polls.

use tokio::sync::watch;

use crate::cluster::Cluster;
use crate::config::Config;
use crate::conformance::ConformanceReport;
use crate::group::GroupCoordinator;
use crate::metrics::RequestMetrics;
use crate::producers::Producers;

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
        Self {
            conformance: ConformanceReport::new(config.protocol_conformance_report),
            cluster,
            groups,
            producers,
            config,
            metrics: RequestMetrics::default(),
            shutdown,
        }
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
