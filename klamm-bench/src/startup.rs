//! `startup`: spawn a broker command again and again and time, from exec,
//! the first answered ApiVersions and the first answered Metadata. The
//! broker is stopped by its own process id after each run: with SIGTERM
//! (then SIGKILL if it lingers), or with `--stop kill` by SIGKILL at once,
//! so that each following run starts from a crash and has to recover its
//! data directory.

use std::process::Stdio;
use std::time::{Duration, Instant};

use kafka_protocol::messages::{ApiVersionsRequest, MetadataRequest};
use serde_json::json;

use crate::connection::Connection;
use crate::error::BenchError;
use crate::report::{round, Report};

#[derive(Clone, Debug, clap::Args)]
pub struct StartupArgs {
    /// Where the spawned broker listens.
    #[arg(long, default_value = "127.0.0.1:19092")]
    pub bootstrap: String,
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    /// How each run's broker is stopped.
    #[arg(long, value_enum, default_value_t = Stop::Term)]
    pub stop: Stop,
    /// Append the broker's output (both streams) of every run to this file,
    /// e.g. to see what its recovery logged; by default it is discarded.
    #[arg(long)]
    pub broker_log: Option<std::path::PathBuf>,
    /// The broker command and its arguments (after `--`).
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

/// The signal that ends each run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Stop {
    /// SIGTERM: a clean shutdown.
    Term,
    /// SIGKILL: a crash; the next start recovers.
    Kill,
}

/// How long one run may take to answer before it counts as failed.
const PATIENCE: Duration = Duration::from_secs(60);

async fn first_answer(
    address: &str,
    started: Instant,
) -> Result<(Connection, Duration), BenchError> {
    loop {
        if started.elapsed() > PATIENCE {
            return Err(BenchError::Protocol(format!(
                "nothing answered on {address} within {PATIENCE:?}"
            )));
        }
        if let Ok(mut connection) = Connection::connect(address).await {
            if connection
                .call(0, &ApiVersionsRequest::default())
                .await
                .is_ok()
            {
                return Ok((connection, started.elapsed()));
            }
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

fn stop(child: &mut tokio::process::Child, how: Stop) {
    let signal = match how {
        Stop::Term => libc::SIGTERM,
        Stop::Kill => libc::SIGKILL,
    };
    if let Some(pid) = child.id() {
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(pid as i32, signal) };
    }
}

/// Where the broker's stdout and stderr go: the log file, or nowhere.
fn output(log: Option<&std::path::Path>) -> Result<(Stdio, Stdio), BenchError> {
    let Some(path) = log else {
        return Ok((Stdio::null(), Stdio::null()));
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| BenchError::Usage(format!("cannot open {}: {e}", path.display())))?;
    Ok((Stdio::from(file.try_clone()?), Stdio::from(file)))
}

async fn one_run(args: &StartupArgs) -> Result<(Duration, Duration), BenchError> {
    let (stdout, stderr) = output(args.broker_log.as_deref())?;
    let started = Instant::now();
    let mut child = tokio::process::Command::new(&args.command[0])
        .args(&args.command[1..])
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| BenchError::Usage(format!("cannot run {}: {e}", args.command[0])))?;
    let measured = async {
        let (mut connection, versions) = first_answer(&args.bootstrap, started).await?;
        connection
            .call(1, &MetadataRequest::default().with_topics(None))
            .await?;
        Ok::<_, BenchError>((versions, started.elapsed()))
    }
    .await;
    stop(&mut child, args.stop);
    if tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
    measured
}

fn stats(name: &str, samples: &mut [Duration], report: &mut Report) {
    samples.sort();
    let ms = |d: Duration| round(d.as_secs_f64() * 1000.0, 2);
    if let (Some(min), Some(max)) = (samples.first(), samples.last()) {
        report.set(&format!("{name}_min_ms"), json!(ms(*min)));
        report.set(
            &format!("{name}_median_ms"),
            json!(ms(samples[samples.len() / 2])),
        );
        report.set(&format!("{name}_max_ms"), json!(ms(*max)));
    }
}

pub async fn run(args: StartupArgs) -> Result<Report, BenchError> {
    let mut to_versions = Vec::with_capacity(args.runs);
    let mut to_metadata = Vec::with_capacity(args.runs);
    for _ in 0..args.runs.max(1) {
        let (versions, metadata) = one_run(&args).await?;
        to_versions.push(versions);
        to_metadata.push(metadata);
    }
    let mut report = Report::new("startup");
    report.set("command", json!(args.command.join(" ")));
    report.set("runs", json!(to_versions.len()));
    report.set("stop", json!(format!("{:?}", args.stop).to_lowercase()));
    stats("api_versions", &mut to_versions, &mut report);
    stats("metadata", &mut to_metadata, &mut report);
    Ok(report)
}
