//! klamm-bench: a load tool for any broker that speaks the Kafka protocol,
//! so the same run can be pointed at klamm, Kafka, Redpanda or Tansu.
//!
//! `produce`, `consume`, `e2e` (produce-to-consume latency at a fixed rate)
//! and `startup`; `rdkafka-produce` and `rdkafka-consume` do the same
//! through librdkafka. Every report ends with one JSON line; with
//! `--broker-pid` it includes the broker's CPU time and RSS read from /proc.

mod cluster;
mod connection;
mod consume;
mod e2e;
mod error;
mod librdkafka;
mod produce;
mod records;
mod report;
mod startup;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Where to run and what to watch.
#[derive(Clone, Debug, clap::Args)]
pub struct Common {
    /// A broker to start from (host:port).
    #[arg(long, default_value = "127.0.0.1:9092")]
    pub bootstrap: String,
    /// The topic; created if missing.
    #[arg(long, default_value = "klamm-bench")]
    pub topic: String,
    /// Partitions of the topic when it is created.
    #[arg(long, default_value_t = 1)]
    pub partitions: i32,
    /// A topic config for when the topic is created (repeatable), e.g.
    /// `--topic-config segment.bytes=2147483647`. An existing topic keeps
    /// its own.
    #[arg(long = "topic-config", value_name = "KEY=VALUE", value_parser = key_value)]
    pub topic_configs: Vec<(String, String)>,
    /// The broker's process id: report its CPU time and memory.
    #[arg(long)]
    pub broker_pid: Option<u32>,
}

/// Parses `key=value` (the value may itself hold `=`).
pub fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

#[derive(Parser)]
#[command(version, about = "Load tool for Kafka-protocol brokers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Produce pre-encoded batches as fast as the broker takes them.
    Produce(produce::ProduceArgs),
    /// Fetch a topic from its start to its end.
    Consume(consume::ConsumeArgs),
    /// Produce at a fixed rate and time each record to the consumer.
    E2e(e2e::E2eArgs),
    /// Time a broker command from exec to its first answers.
    Startup(startup::StartupArgs),
    /// Produce through librdkafka (a BaseProducer) with throughput settings.
    RdkafkaProduce(librdkafka::produce::RdkafkaProduceArgs),
    /// Read a topic from its start to its end through librdkafka.
    RdkafkaConsume(librdkafka::consume::RdkafkaConsumeArgs),
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("klamm-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Produce(args) => produce::run(args).await,
            Command::Consume(args) => consume::run(args).await,
            Command::E2e(args) => e2e::run(args).await,
            Command::Startup(args) => startup::run(args).await,
            Command::RdkafkaProduce(args) => librdkafka::produce::run(args).await,
            Command::RdkafkaConsume(args) => librdkafka::consume::run(args).await,
        }
    });
    match result {
        Ok(report) => {
            report.print();
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("klamm-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
