//! `/health` and `/metrics` over real HTTP: what a compose healthcheck and
//! a Prometheus scrape see.

mod common;

use common::process::KlammProcess;
use common::tools::{http_get, ok, parse_prometheus, sample};
use common::{create_topic, produce_all, producer, TestBroker};
use klamm::Broker;

#[test]
fn health_answers_200_once_the_broker_accepts_connections() {
    let dir = tempfile::tempdir().unwrap();
    let broker = KlammProcess::start(dir.path(), &["--http-listen", "127.0.0.1:0"]);
    // The http line follows the "listening on" line KlammProcess waits for.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let address = loop {
        let log = broker.log().join("\n");
        let found = log
            .split("on http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_string);
        match found {
            Some(address) => break address,
            None if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            None => panic!("no http address in the log:\n{log}"),
        }
    };
    // The start-up line comes after the Kafka listeners accept connections.
    std::net::TcpStream::connect(&broker.bootstrap).expect("the Kafka port accepts");
    let (status, body) = http_get(&address, "/health");
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    assert_eq!(http_get(&address, "/nowhere").0, 404);
    broker.stop();
}

#[test]
fn the_http_endpoints_are_off_unless_asked_for() {
    let broker = TestBroker::in_memory();
    assert_eq!(broker.http_addr(), None);
}

#[test]
fn metrics_show_traffic_sizes_and_the_lag_of_a_group_that_stopped_consuming() {
    let broker = TestBroker::start(Broker::builder().http_listen("127.0.0.1", 0));
    let http = broker.http_addr().expect("http endpoints on");
    let b = broker.bootstrap.as_str();
    create_topic(b, "payments", 2, &[]);
    let records: Vec<(String, String)> = (0..10)
        .map(|i| (format!("k{i}"), format!("v{i}")))
        .collect();
    produce_all(&producer(b, &[]), "payments", &records);
    // A group that reads 4 records, commits and stops.
    let read = ok(
        b,
        &[
            "consume",
            "payments",
            "--group",
            "settlement",
            "--from-beginning",
            "--max-messages",
            "4",
        ],
        "",
    );
    assert_eq!(read.lines().count(), 4);
    // A request that fails: an unknown topic's offsets.
    let missing = common::tools::run(&["consume", "nope", "--bootstrap-server", b], "");
    assert!(!missing.status.success());

    let (status, text) = http_get(&http, "/metrics");
    assert_eq!(status, 200);
    let samples = parse_prometheus(&text);
    let lag: f64 = ["0", "1"]
        .iter()
        .filter_map(|p| {
            sample(
                &samples,
                "klamm_group_lag",
                &[
                    ("group", "settlement"),
                    ("topic", "payments"),
                    ("partition", p),
                ],
            )
        })
        .sum();
    assert_eq!(lag, 6.0, "{text}");
    let committed: f64 = samples
        .iter()
        .filter(|(n, l, _)| n == "klamm_group_committed_offset" && l["group"] == "settlement")
        .map(|(_, _, v)| v)
        .sum();
    assert_eq!(committed, 4.0);
    assert_eq!(
        sample(
            &samples,
            "klamm_group_members",
            &[("group", "settlement"), ("state", "Empty")]
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &samples,
            "klamm_topic_records_in_total",
            &[("topic", "payments")]
        ),
        Some(10.0)
    );
    assert!(
        sample(
            &samples,
            "klamm_topic_records_out_total",
            &[("topic", "payments")]
        )
        .unwrap_or(0.0)
            >= 4.0
    );
    assert!(
        sample(
            &samples,
            "klamm_topic_bytes_in_total",
            &[("topic", "payments")]
        )
        .unwrap_or(0.0)
            > 0.0
    );
    let log_size: f64 = samples
        .iter()
        .filter(|(n, l, _)| n == "klamm_partition_log_size_bytes" && l["topic"] == "payments")
        .map(|(_, _, v)| v)
        .sum();
    assert!(log_size > 0.0, "{text}");
    assert!(sample(&samples, "klamm_requests_total", &[("api", "Produce")]).unwrap_or(0.0) >= 1.0);
    assert!(
        sample(&samples, "klamm_requests_total", &[("api", "JoinGroup")]).unwrap_or(0.0) >= 1.0
    );
    assert!(
        sample(
            &samples,
            "klamm_request_errors_total",
            &[("api", "Metadata"), ("error", "UNKNOWN_TOPIC_OR_PARTITION")]
        )
        .unwrap_or(0.0)
            >= 1.0,
        "{text}"
    );
    assert!(sample(&samples, "klamm_connections", &[]).is_some());
}
