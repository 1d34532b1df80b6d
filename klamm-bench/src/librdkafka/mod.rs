//! The same runs through librdkafka (the `rdkafka` crate), the client most
//! applications use: what the raw `produce` and `consume` show is what a
//! broker can take, these show what a user with typical throughput
//! settings gets from it, client overhead and batching decisions included.

pub mod consume;
pub mod produce;

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::ClientConfig;
use serde_json::{json, Value};

use crate::cluster::{self, Layout};
use crate::error::BenchError;
use crate::report::Report;

/// librdkafka properties given on the command line.
#[derive(Clone, Debug, clap::Args)]
pub struct ClientArgs {
    /// Any librdkafka property (repeatable), set after the tool's own so it
    /// can override them, e.g. `--set queue.buffering.max.messages=1000000`.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = crate::key_value)]
    pub properties: Vec<(String, String)>,
}

/// A client config for `bootstrap` with `ours` and then the user's
/// properties.
fn client_config(bootstrap: &str, ours: &[(&str, String)], args: &ClientArgs) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("client.id", "klamm-bench");
    for (key, value) in ours {
        config.set(*key, value);
    }
    for (key, value) in &args.properties {
        config.set(key, value);
    }
    config
}

/// Prepares the topic, then runs `client` (librdkafka's clients block) on a
/// thread of its own.
async fn on_thread(
    common: &crate::Common,
    client: impl FnOnce(Layout) -> Result<Report, BenchError> + Send + 'static,
) -> Result<Report, BenchError> {
    let (_, layout) = cluster::prepare(common).await?;
    tokio::task::spawn_blocking(move || client(layout))
        .await
        .map_err(|e| BenchError::Protocol(format!("the librdkafka client's thread failed: {e}")))?
}

/// A report of `mode` on `layout`'s topic with the run's `settings` (a JSON
/// object). Its bytes are record values and keys, not batches on the wire.
fn report(mode: &str, layout: &Layout, settings: Value) -> Report {
    let mut report = Report::new(mode);
    report.merge(json!({
        "topic": layout.topic,
        "partitions": layout.leaders.len(),
        "bytes_counted": "record values and keys",
    }));
    report.merge(settings);
    report
}

/// librdkafka's warnings and errors go to stderr: a run that stalls on an
/// unreachable broker should say why.
fn print_log(level: RDKafkaLogLevel, facility: &str, message: &str) {
    if level as i32 <= RDKafkaLogLevel::Warning as i32 {
        eprintln!("librdkafka {facility}: {message}");
    }
}

fn print_error(error: KafkaError, reason: &str) {
    // The end of a partition is news to the consume loop, not an error.
    if error.rdkafka_error_code() != Some(RDKafkaErrorCode::PartitionEOF) {
        eprintln!("librdkafka: {error}: {reason}");
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::report::Report;
    use crate::{Cli, Command};

    async fn run(args: &[&str]) -> Result<Report, crate::error::BenchError> {
        let cli = Cli::try_parse_from(std::iter::once("klamm-bench").chain(args.iter().copied()))
            .expect("valid arguments");
        match cli.command {
            Command::RdkafkaProduce(args) => super::produce::run(args).await,
            Command::RdkafkaConsume(args) => super::consume::run(args).await,
            Command::Produce(args) => crate::produce::run(args).await,
            _ => panic!("not a command these tests run"),
        }
    }

    /// An in-memory klamm on 127.0.0.1 and a free port, and its address.
    async fn broker() -> (klamm::Broker, String) {
        let broker = klamm::Broker::builder()
            .start()
            .await
            .expect("broker starts");
        let bootstrap = broker.addr().to_string();
        (broker, bootstrap)
    }

    fn count(report: &Report, key: &str) -> u64 {
        report.field(key).and_then(|v| v.as_u64()).unwrap_or(0)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn what_librdkafka_produces_it_consumes_again() {
        let (broker, bootstrap) = broker().await;
        let common = [
            "--bootstrap",
            &bootstrap,
            "--topic",
            "rd",
            "--partitions",
            "3",
        ];
        let produce = [
            &[
                "rdkafka-produce",
                "--records",
                "5000",
                "--record-size",
                "50",
            ][..],
            &common,
            &["--acks", "-1", "--idempotence", "--compression", "zstd"],
        ]
        .concat();
        let produced = run(&produce).await.expect("produce");
        assert_eq!(count(&produced, "records"), 5000);
        assert_eq!(count(&produced, "bytes"), 5000 * 50);
        assert!(produced.field("delivery_p50_ms").is_some());

        let consumed = run(&[&["rdkafka-consume"][..], &common].concat())
            .await
            .expect("consume");
        assert_eq!(count(&consumed, "records"), 5000);
        assert_eq!(count(&consumed, "bytes"), 5000 * 50);
        broker.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn topic_configs_go_with_the_topic_creation() {
        let (broker, bootstrap) = broker().await;
        // Below klamm's smallest segment.bytes: the creation must be refused,
        // which it can only be if the config was sent.
        let refused = run(&[
            "produce",
            "--bootstrap",
            &bootstrap,
            "--topic",
            "small",
            "--topic-config",
            "segment.bytes=1",
            "--records",
            "10",
        ])
        .await;
        assert!(
            matches!(&refused, Err(crate::error::BenchError::Broker { .. })),
            "{:?}",
            refused.err()
        );
        let accepted = run(&[
            "produce",
            "--bootstrap",
            &bootstrap,
            "--topic",
            "large",
            "--topic-config",
            "segment.bytes=2147483647",
            "--records",
            "10",
            "--batch-records",
            "10",
        ])
        .await
        .expect("produce");
        assert_eq!(count(&accepted, "records"), 10);
        broker.shutdown().await;
    }

    #[test]
    fn idempotence_needs_acks_all() {
        let cli = Cli::try_parse_from(["klamm-bench", "rdkafka-produce", "--idempotence"])
            .expect("valid arguments");
        let Command::RdkafkaProduce(args) = cli.command else {
            panic!("rdkafka-produce")
        };
        assert!(super::produce::validate(&args).is_err());
    }
}
