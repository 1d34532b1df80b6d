//! The `klamm` command: run a Kafka-compatible broker, or with a subcommand
//! one of klamm's Kafka tools (`topics`, `produce`, `consume`, `groups`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use klamm::config::{Config, Settings};
use klamm::Broker;
use tracing::{error, info};
use tracing_subscriber::EnvFilter;

/// A single-node broker that speaks the Apache Kafka protocol.
///
/// With no flags it listens on 0.0.0.0:9092, advertises localhost:9092 and
/// keeps its data in ./klamm-data. Every flag can also be set in a TOML file
/// (--config), as KLAMM_<NAME> in the environment, or through the KAFKA_*
/// variables of Kafka's docker images.
///
/// With a subcommand it is a Kafka client instead: `klamm topics`, `klamm
/// produce`, `klamm consume` and `klamm groups` work against any broker.
#[derive(Debug, Parser)]
#[command(
    name = "klamm",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    after_help = "Tools (see `klamm <COMMAND> --help`):\n  klamm topics create my-first-topic --partitions 3\n  echo 'Hello Kafka' | klamm produce my-first-topic\n  klamm consume my-first-topic --from-beginning"
)]
struct Cli {
    /// A TOML settings file (see config/klamm.toml for every key).
    #[arg(long, env = "KLAMM_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    tool: Option<klamm::tools::Tool>,
}

fn init_logging(filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Listens for SIGINT and SIGTERM from the moment it is called, not from
/// the first poll: a stop request that arrives while the broker starts must
/// not meet the signals' default action, which kills the process without a
/// clean shutdown (and makes the next start recover every log).
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        signal(SignalKind::interrupt()).and_then(|i| Ok((i, signal(SignalKind::terminate())?)))
    };
    async move {
        #[cfg(unix)]
        if let Ok((mut interrupt, mut terminate)) = signals {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn main() -> ExitCode {
    let started = Instant::now();
    let cli = Cli::parse();
    if let Some(tool) = cli.tool {
        return klamm::tools::run(tool);
    }
    let vars: Vec<(String, String)> = std::env::vars().collect();
    let (config, notes) = match Config::load(cli.config.as_deref(), &vars, cli.settings) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("klamm: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config.log_level);
    for note in notes {
        info!(variable = %note.variable, "ignoring {}: it {}", note.variable, note.reason);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("klamm: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let data = if config.in_memory {
            "memory (nothing is kept)".to_string()
        } else {
            config.data_dir.display().to_string()
        };
        let stop = stop_signal();
        let broker = match Broker::start(config).await {
            Ok(broker) => broker,
            Err(e) => {
                error!("cannot start: {e}");
                eprintln!("klamm: cannot start: {e}");
                return ExitCode::FAILURE;
            }
        };
        let listening: Vec<String> = broker.listeners().iter().map(|(_, _, addr)| addr.to_string()).collect();
        info!(
            "klamm {} listening on {} (advertised {}), data in {data}, cluster {}, started in {:.1} ms",
            env!("CARGO_PKG_VERSION"),
            listening.join(", "),
            broker.advertised().join(", "),
            broker.cluster_id(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        if let Some(http) = broker.http_addr() {
            info!("http endpoints /health, /metrics and /conformance on http://{http}");
        }
        stop.await;
        info!("shutting down");
        broker.shutdown().await;
        ExitCode::SUCCESS
    })
}
