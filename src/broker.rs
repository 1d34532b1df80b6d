//! Starting and stopping a broker: the `klamm` binary and Rust tests alike.
//!
//! Listeners are bound first so that advertised addresses can name the real
//! ports (port 0 picks a free one); then storage and the cluster are opened,
//! recovering logs after an unclean stop; then the accept loops and the
//! retention task start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use thiserror::Error;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::cluster::{BrokerNode, Cluster, ClusterError, ClusterSettings, Endpoint, NewTopic};
use crate::config::{AutoCreateTopics, Config, FlushPolicy, ListenerConfig, StartTopic};
use crate::group::store::GroupStore;
use crate::group::GroupCoordinator;
use crate::producers::Producers;
use crate::state::BrokerState;
use crate::storage::producer_ids::ProducerIdBlocks;
use crate::storage::{now_ms, DiskFaults, LogConfig, Storage, StorageError};

/// The log of committed offsets and group state: never deleted by
/// retention (it compacts itself), in segments of 64 MiB.
fn group_log_config() -> LogConfig {
    LogConfig {
        segment_bytes: 64 << 20,
        retention_ms: -1,
        retention_bytes: -1,
        delete_enabled: false,
        ..LogConfig::default()
    }
}

/// Why a broker could not start.
#[derive(Debug, Error)]
pub enum BrokerError {
    #[error("cannot listen on {address} ({listener}): {source}")]
    Bind {
        listener: String,
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no listeners configured")]
    NoListeners,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
}

/// A running broker. Dropping it stops serving without a clean shutdown
/// (the next start recovers the logs); call [`Broker::shutdown`] instead.
pub struct Broker {
    state: Arc<BrokerState>,
    /// (node id, listener name, bound address), brokers in node id order.
    listeners: Vec<(i32, String, SocketAddr)>,
    /// Where `/health` and `/metrics` are served, if they are.
    http_addr: Option<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
}

/// Builds a broker for tests and embedding: by default it listens on
/// `127.0.0.1` on a free port and keeps everything in memory.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), klamm::BrokerError> {
/// let broker = klamm::Broker::builder().num_partitions(3).start().await?;
/// let bootstrap = broker.addr().to_string(); // e.g. "127.0.0.1:40123"
/// assert!(bootstrap.starts_with("127.0.0.1:"));
/// // ... point a Kafka client at `bootstrap` ...
/// broker.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct BrokerBuilder {
    config: Config,
    faults: Option<DiskFaults>,
}

impl Default for BrokerBuilder {
    fn default() -> Self {
        let config = Config {
            listeners: vec![ListenerConfig {
                name: "PLAINTEXT".into(),
                bind_host: "127.0.0.1".into(),
                bind_port: 0,
                advertised: None,
            }],
            in_memory: true,
            ..Config::default()
        };
        Self {
            config,
            faults: None,
        }
    }
}

impl BrokerBuilder {
    /// Starts from a full configuration instead of the test defaults.
    pub fn config(config: Config) -> Self {
        Self {
            config,
            faults: None,
        }
    }

    /// Keeps data in `dir` (so it survives a restart) instead of memory.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.data_dir = dir.into();
        self.config.in_memory = false;
        self
    }

    /// Listens on `host:port` (port 0 picks a free one).
    pub fn listen(mut self, host: &str, port: u16) -> Self {
        self.config.listeners = vec![ListenerConfig {
            name: "PLAINTEXT".into(),
            bind_host: host.into(),
            bind_port: port,
            advertised: None,
        }];
        self
    }

    /// Simulates a cluster of `n` brokers (node ids 1..=n) from this one
    /// process, each on its own port; see [`Broker::broker_addrs`].
    pub fn brokers(mut self, n: u16) -> Self {
        self.config.brokers = n.clamp(1, crate::config::MAX_BROKERS);
        self
    }

    /// Makes the first listener advertise `host:port` instead of its bound
    /// address (port 0: the bound port), e.g. to put a proxy in front of it.
    pub fn advertise(mut self, host: &str, port: u16) -> Self {
        if let Some(listener) = self.config.listeners.first_mut() {
            listener.advertised = Some((host.into(), port));
        }
        self
    }

    /// When unknown topics are created: `true`/`false` as Kafka's
    /// `auto.create.topics.enable`, or [`AutoCreateTopics::Always`].
    pub fn auto_create_topics(mut self, when: impl Into<AutoCreateTopics>) -> Self {
        self.config.auto_create_topics = when.into();
        self
    }

    pub fn num_partitions(mut self, partitions: i32) -> Self {
        self.config.num_partitions = partitions.max(1);
        self
    }

    /// How often retention deletes old segments (Kafka's default: 5 minutes).
    pub fn retention_check_interval(mut self, interval: std::time::Duration) -> Self {
        self.config.retention_check_interval = interval.max(std::time::Duration::from_millis(1));
        self
    }

    /// Group coordinator settings (initial rebalance delay, session bounds).
    pub fn group_config(mut self, groups: crate::group::GroupConfig) -> Self {
        self.config.groups = groups;
        self
    }

    /// Most connections open at once; further ones are closed at once.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.config.max_connections = n.max(1);
        self
    }

    /// Closes connections that complete no request for this long.
    pub fn connections_max_idle(mut self, idle: std::time::Duration) -> Self {
        self.config.connections_max_idle = idle.max(std::time::Duration::from_millis(1));
        self
    }

    /// Serves `/health` and `/metrics` on `host:port` (port 0 picks a free
    /// one); see [`Broker::http_addr`].
    pub fn http_listen(mut self, host: &str, port: u16) -> Self {
        self.config.http_listen = Some(format!("{host}:{port}"));
        self
    }

    /// Records tolerated protocol deviations per client (shown at
    /// `/conformance` when [`BrokerBuilder::http_listen`] is set too).
    pub fn protocol_conformance_report(mut self, on: bool) -> Self {
        self.config.protocol_conformance_report = on;
        self
    }

    /// fsync before every produce acknowledgement.
    pub fn flush_always(mut self) -> Self {
        self.config.flush = FlushPolicy::Always;
        self
    }

    /// Test seam: segment writes fail whenever `faults` says so, as on a
    /// full or failing disk (see [`DiskFaults`]).
    pub fn disk_faults(mut self, faults: DiskFaults) -> Self {
        self.faults = Some(faults);
        self
    }

    pub async fn start(self) -> Result<Broker, BrokerError> {
        Broker::start_with(self.config, self.faults).await
    }
}

fn is_wildcard(host: &str) -> bool {
    host.is_empty() || host == "0.0.0.0" || host == "::" || host == "[::]"
}

/// Port `base + index`: simulated broker `index` of a listener.
fn offset_port(base: u16, index: u16, listener: &ListenerConfig) -> Result<u16, BrokerError> {
    base.checked_add(index).ok_or_else(|| BrokerError::Bind {
        listener: listener.name.clone(),
        address: format!("port {base} + {index}"),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "port above 65535"),
    })
}

/// Binds simulated broker `index` of a listener: the listener's port +
/// index, or a free port of its own when the port is 0.
async fn bind(
    config: &ListenerConfig,
    index: u16,
) -> Result<(TcpListener, SocketAddr), BrokerError> {
    let host = if config.bind_host.is_empty() {
        "0.0.0.0"
    } else {
        config.bind_host.as_str()
    };
    let port = match config.bind_port {
        0 => 0,
        base => offset_port(base, index, config)?,
    };
    let address = format!("{host}:{port}");
    let failed = |source| BrokerError::Bind {
        listener: config.name.clone(),
        address: address.clone(),
        source,
    };
    // A compose file's listeners name the container's service
    // (`kafka_cluster:29092`), which resolves only inside docker, or an
    // address this machine does not have. Pasted onto the binary, the port
    // is what matters: serve it on every interface and say so.
    let resolves = tokio::net::lookup_host(&address)
        .await
        .is_ok_and(|mut addrs| addrs.next().is_some());
    let bound = if resolves {
        TcpListener::bind(&address).await
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            format!("`{host}` does not resolve on this machine"),
        ))
    };
    let socket = match bound {
        Ok(socket) => socket,
        Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {
            let everywhere = format!("0.0.0.0:{port}");
            warn!(
                listener = %config.name,
                written = %address,
                binding = %everywhere,
                reason = %e,
                "cannot bind the listener's host as written (a docker service name?); binding every interface at its port instead"
            );
            TcpListener::bind(&everywhere).await.map_err(failed)?
        }
        Err(e) => return Err(failed(e)),
    };
    let local = socket.local_addr().map_err(failed)?;
    Ok((socket, local))
}

impl Broker {
    pub fn builder() -> BrokerBuilder {
        BrokerBuilder::default()
    }

    /// Starts a broker with a resolved configuration.
    pub async fn start(config: Config) -> Result<Broker, BrokerError> {
        Self::start_with(config, None).await
    }

    async fn start_with(config: Config, faults: Option<DiskFaults>) -> Result<Broker, BrokerError> {
        if config.listeners.is_empty() {
            return Err(BrokerError::NoListeners);
        }
        let mut bound = Vec::new();
        let mut nodes = Vec::with_capacity(usize::from(config.brokers));
        for index in 0..config.brokers {
            let node_id = config.node_id + i32::from(index);
            let mut endpoints = Vec::with_capacity(config.listeners.len());
            for listener in &config.listeners {
                let (socket, local) = bind(listener, index).await?;
                let (host, port) = match &listener.advertised {
                    Some((host, 0)) => (host.clone(), local.port()),
                    Some((host, port)) => (host.clone(), offset_port(*port, index, listener)?),
                    None if is_wildcard(&listener.bind_host) => {
                        ("localhost".to_string(), local.port())
                    }
                    None => (listener.bind_host.clone(), local.port()),
                };
                endpoints.push(Endpoint {
                    listener: listener.name.clone(),
                    host,
                    port,
                });
                bound.push((node_id, listener.name.clone(), local, socket));
            }
            nodes.push(BrokerNode { node_id, endpoints });
        }

        // Bound with the Kafka listeners, so a taken port fails the start.
        let http = match &config.http_listen {
            Some(address) => {
                let failed = |source| BrokerError::Bind {
                    listener: "http".into(),
                    address: address.clone(),
                    source,
                };
                let socket = TcpListener::bind(address.as_str()).await.map_err(failed)?;
                let local = socket.local_addr().map_err(failed)?;
                Some((socket, local))
            }
            None => None,
        };

        let storage = if config.in_memory {
            Storage::in_memory()
        } else {
            Storage::open(&config.data_dir, config.flush == FlushPolicy::Always)?
        };
        let storage = match faults {
            Some(faults) => storage.with_faults(faults),
            None => storage,
        };
        let settings = ClusterSettings {
            brokers: nodes,
            controller_id: config.node_id,
            default_partitions: config.num_partitions,
            default_replication_factor: config.default_replication_factor,
            defaults: config.topic_defaults.clone(),
        };
        let group_log = storage.open_internal("group-state", group_log_config())?;
        let cluster = Cluster::open(storage, settings)?;
        create_start_topics(&cluster, &config.create_topics)?;
        // Never below an id some log already holds, even if the id file is lost.
        let id_floor = cluster
            .max_producer_id()
            .map_or(0, |id| id.saturating_add(1));
        let producer_ids = match cluster.data_dir() {
            Some(dir) => ProducerIdBlocks::open(&dir, id_floor)?,
            None => ProducerIdBlocks::in_memory(id_floor),
        };
        let (shutdown, shutdown_signal) = tokio::sync::watch::channel(false);
        let groups =
            GroupCoordinator::start(GroupStore::open(group_log)?, config.groups, shutdown_signal);
        let producers = Producers::new(producer_ids);
        let state = Arc::new(BrokerState::new(
            cluster, groups, producers, config, shutdown,
        ));

        let mut tasks = Vec::new();
        let mut listeners = Vec::new();
        for (node_id, name, local, socket) in bound {
            listeners.push((node_id, name.clone(), local));
            tasks.push(tokio::spawn(crate::server::accept_loop(
                Arc::clone(&state),
                socket,
                crate::server::ListenerIdentity {
                    name: Arc::from(name.as_str()),
                    node_id,
                },
            )));
        }
        let http_addr = http.as_ref().map(|(_, addr)| *addr);
        if let Some((socket, _)) = http {
            tasks.push(tokio::spawn(crate::metrics::http::serve(
                Arc::clone(&state),
                socket,
            )));
        }
        tasks.push(tokio::spawn(every(
            Arc::clone(&state),
            state.config.retention_check_interval,
            |state| state.cluster.apply_retention(now_ms()),
        )));
        tasks.push(tokio::spawn(every(
            Arc::clone(&state),
            state.config.offsets_retention_check_interval,
            |state| state.groups.expire_offsets(now_ms()),
        )));
        Ok(Broker {
            state,
            listeners,
            http_addr,
            tasks,
        })
    }

    /// The address of the first listener of the first broker (what a test
    /// gives its client).
    pub fn addr(&self) -> SocketAddr {
        self.listeners[0].2
    }

    /// The first listener's address on every simulated broker, in node id
    /// order: a bootstrap list naming the whole cluster.
    pub fn broker_addrs(&self) -> Vec<SocketAddr> {
        let first = &self.listeners[0].1;
        self.listeners
            .iter()
            .filter(|(_, name, _)| name == first)
            .map(|(_, _, addr)| *addr)
            .collect()
    }

    /// The address of `/health` and `/metrics`, if `http_listen` is set.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http_addr
    }

    /// Every listener's node id, name and bound address.
    pub fn listeners(&self) -> &[(i32, String, SocketAddr)] {
        &self.listeners
    }

    /// The advertised `host:port` of every listener, as Metadata gives them.
    pub fn advertised(&self) -> Vec<String> {
        self.state
            .cluster
            .brokers()
            .iter()
            .flat_map(|b| b.endpoints.iter().map(|e| format!("{}:{}", e.host, e.port)))
            .collect()
    }

    pub fn cluster_id(&self) -> &str {
        self.state.cluster.cluster_id()
    }

    /// What every request handler sees (for `fuzzing`, which runs handlers
    /// without a socket).
    pub(crate) fn state(&self) -> &BrokerState {
        &self.state
    }

    /// Stops accepting, lets open requests finish, closes every log and
    /// records a clean shutdown.
    pub async fn shutdown(mut self) {
        self.state.begin_shutdown();
        for task in self.tasks.drain(..) {
            if let Err(e) = task.await {
                warn!(error = %e, "a broker task ended abnormally");
            }
        }
        let state = Arc::clone(&self.state);
        let closed = tokio::task::spawn_blocking(move || {
            state.groups.close();
            state.cluster.shutdown();
        })
        .await;
        if closed.is_err() {
            warn!("closing the logs failed; the next start will recover them");
        }
        info!("klamm stopped");
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.state.begin_shutdown();
    }
}

/// Runs `work` every `interval` (first after one interval) until shutdown;
/// the work runs on a blocking thread, since it touches files.
async fn every(state: Arc<BrokerState>, interval: std::time::Duration, work: fn(&BrokerState)) {
    let mut shutdown = state.shutdown_signal();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = crate::state::stopped(&mut shutdown) => return,
        }
        let state = Arc::clone(&state);
        let _ = tokio::task::spawn_blocking(move || work(&state)).await;
    }
}

/// Creates the `create_topics` that do not exist yet; one that exists is
/// left as it is (its partitions and configs may have been changed since).
fn create_start_topics(cluster: &Cluster, topics: &[StartTopic]) -> Result<(), ClusterError> {
    for wanted in topics {
        if cluster.topic(&wanted.name).is_some() {
            continue;
        }
        let request = NewTopic {
            name: wanted.name.clone(),
            num_partitions: wanted.partitions.unwrap_or(-1),
            replication_factor: wanted.replication_factor.unwrap_or(-1),
            assignments: Vec::new(),
            configs: wanted
                .cleanup_policy
                .iter()
                .map(|p| ("cleanup.policy".to_string(), Some(p.clone())))
                .collect(),
        };
        cluster.create_topic(cluster.plan_topic(&request)?)?;
    }
    Ok(())
}
