//! The `klamm` command: settings from flags, files and the environment, and
//! the errors it gives for bad ones.

mod common;

use std::process::Command;

use common::process::KlammProcess;
use common::raw::RawClient;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

/// Runs klamm expecting it to refuse its settings; returns its stderr.
fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    refused_with(2, args, env)
}

/// Runs klamm expecting it to exit with `code` (2: bad settings, 1: a
/// failed start); returns its stderr.
fn refused_with(code: i32, args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_klamm"));
    command
        .args(["--listeners", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .args(args)
        .env_remove("KLAMM_CONFIG");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().expect("klamm runs");
    assert_eq!(
        output.status.code(),
        Some(code),
        "klamm should refuse {args:?} {env:?}"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bad_settings_stop_klamm_with_a_message_naming_them() {
    assert!(refused(&[], &[("KLAMM_NUM_PARTITION", "3")]).contains("KLAMM_NUM_PARTITION"));
    assert!(refused(&["--num-partitions", "0"], &[]).contains("num_partitions"));
    assert!(refused(&["--brokers", "0"], &[]).contains("brokers"));
    assert!(refused(&["--max-connections", "0"], &[]).contains("max_connections"));
    assert!(refused(&["--brokers", "65"], &[]).contains("brokers"));
    assert!(refused(&[], &[("KAFKA_LOG_RETENTION_HOURS", "soon")])
        .contains("KAFKA_LOG_RETENTION_HOURS"));
    assert!(refused(&["--log-message-timestamp-type", "WallClock"], &[])
        .contains("log_message_timestamp_type"));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("klamm.toml");
    std::fs::write(&file, "num_partitions = 2\nretention = 5\n").unwrap();
    let message = refused(&["--config", file.to_str().unwrap()], &[]);
    assert!(message.contains("retention"), "{message}");

    let message = refused(
        &[],
        &[("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:SASL_SSL")],
    );
    assert!(message.contains("SASL_SSL"), "{message}");
}

#[test]
fn a_compose_environment_configures_the_broker() {
    let dir = tempfile::tempdir().unwrap();
    let broker = KlammProcess::start_with_env(
        dir.path(),
        &[],
        &[
            (
                "KAFKA_ADVERTISED_LISTENERS",
                "PLAINTEXT://kafka.example:29092",
            ),
            ("KAFKA_NUM_PARTITIONS", "3"),
            ("KAFKA_ZOOKEEPER_CONNECT", "zookeeper:2181"),
            ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1"),
        ],
    );
    let mut client = RawClient::connect(&broker.bootstrap);
    let request = MetadataRequest::default()
        .with_topics(Some(vec![MetadataRequestTopic::default()
            .with_name(Some(TopicName(StrBytes::from_static_str("composed"))))]))
        .with_allow_auto_topic_creation(true);
    let response = client.send(12, &request);
    assert_eq!(&*response.brokers[0].host, "kafka.example");
    assert_eq!(response.brokers[0].port, 29092);
    assert_eq!(
        response.topics[0].partitions.len(),
        3,
        "KAFKA_NUM_PARTITIONS applies to auto-created topics"
    );
    let log = broker.log().join("\n");
    assert!(log.contains("ignoring KAFKA_ZOOKEEPER_CONNECT"), "{log}");
    broker.stop();
}

#[test]
fn help_lists_every_setting() {
    let output = Command::new(env!("CARGO_BIN_EXE_klamm"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--listeners",
        "--advertised-listeners",
        "--data-dir",
        "--in-memory",
        "--log-retention-ms",
        "--flush",
    ] {
        assert!(help.contains(flag), "--help does not mention {flag}");
    }
}

/// A base port whose next two ports are free too (checked, then released).
fn three_free_ports() -> Option<u16> {
    use std::net::TcpListener;
    for _ in 0..20 {
        let base = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        if base > 65_000 {
            continue;
        }
        let held: Vec<_> = (base..base + 3)
            .map_while(|p| TcpListener::bind(("127.0.0.1", p)).ok())
            .collect();
        if held.len() == 3 {
            return Some(base);
        }
    }
    None
}

#[test]
fn brokers_flag_serves_a_cluster_on_consecutive_ports() {
    let dir = tempfile::tempdir().unwrap();
    let base = three_free_ports().expect("three consecutive free ports");
    let listen = format!("127.0.0.1:{base}");
    let broker = KlammProcess::start(dir.path(), &["--listen", &listen, "--brokers", "3"]);
    assert_eq!(broker.bootstrap, listen);
    for port in base..base + 3 {
        let mut client = RawClient::connect(&format!("127.0.0.1:{port}"));
        let response = client.send(12, &MetadataRequest::default().with_topics(None));
        let listed: Vec<(i32, i32)> = response
            .brokers
            .iter()
            .map(|b| (b.node_id.0, b.port))
            .collect();
        let base = i32::from(base);
        assert_eq!(listed, vec![(1, base), (2, base + 1), (3, base + 2)]);
    }
    assert!(broker.stop().success());
}

#[test]
fn a_compose_listener_naming_a_docker_service_is_served_on_every_interface() {
    // Seed 000's environment block as pasted from its compose file, with
    // free ports instead of 29092 and 9092: the PLAINTEXT listener names the
    // compose service, which resolves only inside docker.
    let dir = tempfile::tempdir().unwrap();
    let broker = KlammProcess::start_with_env(
        dir.path(),
        &["--listener-security-protocol-map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT"],
        &[
            ("KAFKA_NODE_ID", "1"),
            (
                "KAFKA_LISTENERS",
                "PLAINTEXT://kafka_cluster:0,CONTROLLER://kafka_cluster:29093,PLAINTEXT_HOST://127.0.0.1:0",
            ),
            (
                "KAFKA_ADVERTISED_LISTENERS",
                "PLAINTEXT://kafka_cluster:29092,PLAINTEXT_HOST://localhost:9092",
            ),
            ("KAFKA_PROCESS_ROLES", "broker,controller"),
            ("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@kafka_cluster:29093"),
            ("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT"),
            ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
        ],
    );
    let log = broker.log().join("\n");
    let warning = log
        .lines()
        .find(|l| l.contains("cannot bind the listener's host as written"))
        .unwrap_or_else(|| panic!("no warning about kafka_cluster:\n{log}"));
    assert!(warning.contains("kafka_cluster:0"), "{warning}");
    assert!(warning.contains("0.0.0.0:"), "{warning}");
    // The start-up line lists PLAINTEXT (every interface) then PLAINTEXT_HOST.
    let line = log.lines().find(|l| l.contains("(advertised")).unwrap();
    let addresses: Vec<&str> = line
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split(" (").next())
        .unwrap()
        .split(", ")
        .collect();
    assert_eq!(addresses.len(), 2, "{line}");
    assert!(addresses[0].starts_with("0.0.0.0:"), "{line}");
    let mut host_client = RawClient::connect(addresses[1]);
    let metadata = host_client.send(12, &MetadataRequest::default().with_topics(None));
    assert_eq!(
        (&*metadata.brokers[0].host, metadata.brokers[0].port),
        ("localhost", 9092),
        "PLAINTEXT_HOST advertises what the compose file says"
    );
    let port = addresses[0].rsplit(':').next().unwrap();
    let mut internal = RawClient::connect(&format!("127.0.0.1:{port}"));
    let metadata = internal.send(12, &MetadataRequest::default().with_topics(None));
    assert_eq!(&*metadata.brokers[0].host, "kafka_cluster");
    broker.stop();
}

#[test]
fn compose_create_topics_exist_before_the_first_request_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let broker = KlammProcess::start_with_env(
        dir.path(),
        &["--create-topics", "orders:3"],
        &[("KAFKA_CREATE_TOPICS", "audit:2:1:compact, orders:3")],
    );
    let mut client = RawClient::connect(&broker.bootstrap);
    // Nothing may create them on request: only the start did.
    let request = MetadataRequest::default()
        .with_topics(None)
        .with_allow_auto_topic_creation(false);
    let names = |response: &kafka_protocol::messages::MetadataResponse| {
        let mut names: Vec<(String, usize)> = response
            .topics
            .iter()
            .filter(|t| !t.is_internal)
            .map(|t| {
                let name = t.name.as_ref().map(|n| n.0.to_string());
                (name.unwrap_or_default(), t.partitions.len())
            })
            .collect();
        names.sort();
        names
    };
    let flag_wins = names(&client.send(12, &request));
    // The flag beats the environment, as for every setting.
    assert_eq!(flag_wins, vec![("orders".to_string(), 3)]);
    broker.stop();

    let broker = KlammProcess::start_with_env(
        dir.path(),
        &[],
        &[("KAFKA_CREATE_TOPICS", "audit:2:1:compact,orders:1")],
    );
    let mut client = RawClient::connect(&broker.bootstrap);
    let listed = names(&client.send(12, &request));
    assert_eq!(
        listed,
        vec![("audit".to_string(), 2), ("orders".to_string(), 3)],
        "an existing topic is kept as it is"
    );
    broker.stop();
}

#[test]
fn create_topics_that_cannot_be_created_stop_klamm_naming_them() {
    assert!(refused(&["--create-topics", "orders:zero"], &[]).contains("create_topics"));
    let message = refused_with(1, &["--create-topics", "orders:1:3"], &[]);
    assert!(message.contains("replication"), "{message}");
}
