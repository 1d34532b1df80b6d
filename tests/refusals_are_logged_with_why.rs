//! Every INVALID_REQUEST or unsupported-feature answer of the discovery,
//! group and topic APIs is logged at info with its reason, once per
//! connection and API: a client's error (franz-go's, for one) tells its user
//! to read the broker's log, which must then say why.

mod common;

use common::process::KlammProcess;
use common::raw::RawClient;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

fn text(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

fn refusals(klamm: &KlammProcess, api: &str) -> Vec<String> {
    klamm
        .log()
        .into_iter()
        .filter(|line| line.contains("request refused") && line.contains(&format!("api={api}")))
        .collect()
}

/// Waits (bounded) until the log has `count` refusals of `api`.
fn wait_for(klamm: &KlammProcess, api: &str, count: usize) -> Vec<String> {
    for _ in 0..100 {
        let lines = refusals(klamm, api);
        if lines.len() >= count {
            return lines;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    refusals(klamm, api)
}

#[test]
fn refusals_are_logged_with_their_reason_once_per_connection_and_api() {
    let dir = tempfile::tempdir().unwrap();
    let klamm = KlammProcess::start(dir.path(), &["--in-memory"]);
    let mut first = RawClient::connect(&klamm.bootstrap);
    let transactional = FindCoordinatorRequest::default()
        .with_key(text("txn"))
        .with_key_type(1);
    for _ in 0..3 {
        assert_eq!(first.send(3, &transactional).error_code, 42);
    }
    let controllers = DescribeClusterRequest::default().with_endpoint_type(2);
    assert_eq!(first.send(1, &controllers).error_code, 114);
    let twice = CreateTopicsRequest::default().with_topics(vec![
        CreatableTopic::default()
            .with_name(TopicName(text("logged-twice")))
            .with_num_partitions(1)
            .with_replication_factor(1);
        2
    ]);
    assert_eq!(first.send(7, &twice).topics[0].error_code, 42);
    let delete_twice =
        DeleteTopicsRequest::default().with_topic_names(vec![TopicName(text("logged-gone")); 2]);
    assert_eq!(first.send(5, &delete_twice).responses[0].error_code, 42);

    let lines = wait_for(&klamm, "FindCoordinator", 1);
    assert_eq!(lines.len(), 1, "once per connection and API: {lines:?}");
    assert!(
        lines[0].contains("transactions are not implemented"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("INVALID_REQUEST"), "{}", lines[0]);
    let lines = wait_for(&klamm, "DescribeCluster", 1);
    assert!(
        lines.len() == 1 && lines[0].contains("MISMATCHED_ENDPOINT_TYPE"),
        "{lines:?}"
    );
    let lines = wait_for(&klamm, "CreateTopics", 1);
    assert!(
        lines.len() == 1 && lines[0].contains("multiple entries for topic logged-twice"),
        "{lines:?}"
    );
    let lines = wait_for(&klamm, "DeleteTopics", 1);
    assert!(
        lines.len() == 1 && lines[0].contains("Duplicate topic name"),
        "{lines:?}"
    );

    // A new connection logs its own first refusal.
    let mut second = RawClient::connect(&klamm.bootstrap);
    assert_eq!(second.send(3, &transactional).error_code, 42);
    assert_eq!(wait_for(&klamm, "FindCoordinator", 2).len(), 2);
    assert!(klamm.stop().success());
}
