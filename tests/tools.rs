//! klamm's own Kafka tools (`klamm topics|produce|consume|groups`) end to
//! end: the built binary against an in-process broker over TCP, checked
//! against what librdkafka writes and reads.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::tools::{ok, run};
use common::{consume, consumer, create_topic, produce_all, producer, TestBroker};
use klamm::Broker;
use rdkafka::producer::Producer;

fn broker() -> TestBroker {
    TestBroker::start(Broker::builder())
}

/// A broker with one topic created through librdkafka's admin client.
fn with_topic(topic: &str, partitions: i32) -> TestBroker {
    let broker = broker();
    create_topic(&broker.bootstrap, topic, partitions, &[]);
    broker
}

#[test]
fn topics_are_created_described_altered_listed_and_deleted() {
    let broker = broker();
    let b = broker.bootstrap.as_str();
    let created = ok(
        b,
        &[
            "topics",
            "create",
            "orders",
            "--partitions",
            "3",
            "--config",
            "retention.ms=3600000",
        ],
        "",
    );
    assert_eq!(created.trim(), "Created topic orders.");
    // Internal topics are listed, as kafka-topics.sh --list lists them.
    assert_eq!(
        ok(b, &["topics", "list"], "").trim(),
        "__consumer_offsets\norders"
    );

    let described = ok(b, &["topics", "describe", "orders"], "");
    assert!(described.contains("PartitionCount: 3"), "{described}");
    assert!(
        described.contains("Configs: retention.ms=3600000"),
        "{described}"
    );
    assert_eq!(described.matches("\tPartition: ").count(), 3, "{described}");
    assert!(
        described.contains("Leader: 1\tReplicas: 1\tIsr: 1"),
        "{described}"
    );

    ok(
        b,
        &[
            "topics",
            "alter",
            "orders",
            "--config",
            "cleanup.policy=compact",
            "--delete-config",
            "retention.ms",
        ],
        "",
    );
    let described = ok(b, &["topics", "describe", "orders"], "");
    assert!(
        described.contains("Configs: cleanup.policy=compact\n"),
        "{described}"
    );

    assert_eq!(
        ok(b, &["topics", "delete", "orders"], "").trim(),
        "Deleted topic orders."
    );
    assert_eq!(ok(b, &["topics", "list"], "").trim(), "__consumer_offsets");
}

#[test]
fn produced_lines_are_read_back_by_rdkafka_with_keys_where_librdkafka_puts_them() {
    let broker = with_topic("by-tool", 3);
    let b = broker.bootstrap.as_str();
    create_topic(b, "by-librdkafka", 3, &[]);
    let keys: Vec<String> = (0..40).map(|i| format!("user-{i}")).collect();
    let input: String = keys.iter().map(|k| format!("{k}|value of {k}\n")).collect();
    let produce = run(
        &[
            "produce",
            "by-tool",
            "--key-separator",
            "|",
            "--header",
            "source=tool",
            "--bootstrap-server",
            b,
        ],
        &input,
    );
    assert!(produce.status.success(), "{}", produce.stderr);
    assert!(
        produce.stderr.contains("40 records acknowledged"),
        "{}",
        produce.stderr
    );

    let records: Vec<(String, String)> = keys
        .iter()
        .map(|k| (k.clone(), format!("value of {k}")))
        .collect();
    let librdkafka = producer(b, &[("partitioner", "murmur2_random")]);
    produce_all(&librdkafka, "by-librdkafka", &records);
    librdkafka.flush(Duration::from_secs(10)).expect("flushed");

    let partition_of = |topic: &str| -> BTreeMap<String, i32> {
        let consumer = consumer(b, topic, 3, &[]);
        consume(&consumer, 40, Duration::from_secs(20))
            .into_iter()
            .map(|r| {
                let key = String::from_utf8(r.key.clone().expect("keyed")).expect("utf-8");
                if topic == "by-tool" {
                    assert_eq!(
                        r.value.as_deref(),
                        Some(format!("value of {key}").as_bytes())
                    );
                    assert_eq!(r.headers, vec![("source".to_string(), b"tool".to_vec())]);
                }
                (key, r.partition)
            })
            .collect()
    };
    let by_tool = partition_of("by-tool");
    assert_eq!(by_tool.len(), 40);
    assert_eq!(by_tool, partition_of("by-librdkafka"));
    assert!(
        by_tool
            .values()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            == 3,
        "keys spread over every partition"
    );
}

#[test]
fn consume_prints_records_librdkafka_wrote_in_every_compression() {
    let broker = with_topic("codecs", 1);
    let b = broker.bootstrap.as_str();
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"] {
        let p = producer(b, &[("compression.codec", codec)]);
        let records: Vec<(String, String)> = (0..3)
            .map(|i| {
                (
                    format!("{codec}-{i}"),
                    format!("{codec} value {i} {}", "x".repeat(200)),
                )
            })
            .collect();
        produce_all(&p, "codecs", &records);
    }
    let out = ok(
        b,
        &[
            "consume",
            "codecs",
            "--from-beginning",
            "--max-messages",
            "15",
            "--output",
            "json",
        ],
        "",
    );
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 15, "{out}");
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["offset"], i as i64);
        assert_eq!(line["partition"], 0);
        let key = line["key"].as_str().expect("key");
        let (codec, n) = key.rsplit_once('-').expect("codec-n");
        assert!(line["value"]
            .as_str()
            .expect("value")
            .starts_with(&format!("{codec} value {n} ")));
    }
    let text = ok(
        b,
        &[
            "consume",
            "codecs",
            "--offset",
            "14",
            "--print-key",
            "--print-offset",
            "--timeout",
            "1000",
        ],
        "",
    );
    assert!(
        text.starts_with("Offset:14\tzstd-2\tzstd value 2 "),
        "{text}"
    );
}

#[test]
fn a_group_consumer_commits_and_the_next_one_resumes_where_it_stopped() {
    let broker = with_topic("jobs", 2);
    let b = broker.bootstrap.as_str();
    let input: String = (0..6).map(|i| format!("job-{i}\n")).collect();
    ok(b, &["produce", "jobs", "--partition", "1"], &input);

    let first = ok(
        b,
        &[
            "consume",
            "jobs",
            "--group",
            "workers",
            "--from-beginning",
            "--max-messages",
            "4",
        ],
        "",
    );
    assert_eq!(
        first.lines().collect::<Vec<_>>(),
        vec!["job-0", "job-1", "job-2", "job-3"]
    );

    let described = ok(b, &["groups", "describe", "workers"], "");
    assert!(
        described.contains("Group workers is Empty with 0 member(s)."),
        "{described}"
    );
    assert!(described.contains("jobs\t1\t4\t6\t2\t-"), "{described}");
    assert!(ok(b, &["groups", "list"], "").contains("workers\tEmpty"));

    let rest = ok(
        b,
        &[
            "consume",
            "jobs",
            "--group",
            "workers",
            "--max-messages",
            "2",
            "--timeout",
            "10000",
        ],
        "",
    );
    assert_eq!(rest.lines().collect::<Vec<_>>(), vec!["job-4", "job-5"]);
}

#[test]
fn group_offsets_are_reset_and_groups_deleted() {
    let broker = with_topic("ledger", 1);
    let b = broker.bootstrap.as_str();
    ok(b, &["produce", "ledger"], "a\nb\nc\nd\n");
    ok(
        b,
        &[
            "consume",
            "ledger",
            "--group",
            "audit",
            "--from-beginning",
            "--max-messages",
            "4",
        ],
        "",
    );

    let reset = ok(
        b,
        &[
            "groups",
            "reset-offsets",
            "audit",
            "--topic",
            "ledger",
            "--to-offset",
            "2",
        ],
        "",
    );
    assert!(reset.contains("ledger\t0\t2"), "{reset}");
    let again = ok(
        b,
        &[
            "consume",
            "ledger",
            "--group",
            "audit",
            "--max-messages",
            "2",
            "--timeout",
            "10000",
        ],
        "",
    );
    assert_eq!(again, "c\nd\n");

    // (target, the describe row after it: committed, end, lag)
    for (target, row) in [
        ("--to-earliest", "ledger\t0\t0\t4\t4"),
        ("--to-latest", "ledger\t0\t4\t4\t0"),
    ] {
        ok(
            b,
            &[
                "groups",
                "reset-offsets",
                "audit",
                "--topic",
                "ledger",
                target,
            ],
            "",
        );
        let described = ok(b, &["groups", "describe", "audit"], "");
        assert!(described.contains(row), "after {target}: {described}");
    }

    assert_eq!(
        ok(b, &["groups", "delete", "audit"], "").trim(),
        "Deleted group audit."
    );
    assert!(!ok(b, &["groups", "list"], "").contains("audit"));
}

#[test]
fn the_tools_follow_leaders_and_the_coordinator_of_a_three_broker_cluster() {
    let broker = TestBroker::start(Broker::builder().brokers(3));
    let addrs = broker.broker_addrs();
    // Bootstrap from broker 3 only: it leads a third of the partitions and
    // is not the group coordinator, so every other request must be routed.
    let b = addrs[2].as_str();
    ok(
        b,
        &[
            "topics",
            "create",
            "spread",
            "--partitions",
            "6",
            "--replication-factor",
            "2",
        ],
        "",
    );
    let described = ok(b, &["topics", "describe", "spread"], "");
    for leader in 1..=3 {
        assert!(
            described.contains(&format!("Leader: {leader}\t")),
            "{described}"
        );
    }
    let input: String = (0..60).map(|i| format!("k{i}:v{i}\n")).collect();
    let produced = run(
        &[
            "produce",
            "spread",
            "--key-separator",
            ":",
            "--bootstrap-server",
            b,
        ],
        &input,
    );
    assert!(
        produced.stderr.contains("60 records acknowledged"),
        "{}",
        produced.stderr
    );

    let out = ok(
        b,
        &[
            "consume",
            "spread",
            "--group",
            "g",
            "--from-beginning",
            "--max-messages",
            "60",
            "--print-key",
        ],
        "",
    );
    let mut seen: Vec<&str> = out.lines().collect();
    seen.sort_unstable();
    let mut expected: Vec<String> = (0..60).map(|i| format!("k{i}\tv{i}")).collect();
    expected.sort_unstable();
    assert_eq!(seen, expected);
    let described = ok(b, &["groups", "describe", "g"], "");
    assert_eq!(
        described.matches("\t0\t-").count(),
        6,
        "no lag on any of the 6 partitions: {described}"
    );
    let all_addrs = addrs.join(",");
    assert!(ok(&all_addrs, &["groups", "list"], "").contains("g\tEmpty"));
}

#[test]
fn errors_are_one_line_naming_the_problem_with_a_failing_exit_code() {
    let broker = with_topic("exists", 1);
    let b = broker.bootstrap.as_str();
    let cases: [(&[&str], &str); 5] = [
        (
            &["topics", "list", "--bootstrap-server", "127.0.0.1:1"],
            "cannot reach any broker of 127.0.0.1:1",
        ),
        (
            &["consume", "missing", "--bootstrap-server", b],
            "topic missing: UNKNOWN_TOPIC_OR_PARTITION",
        ),
        (
            &[
                "topics",
                "alter",
                "exists",
                "--config",
                "retention.msx=1",
                "--bootstrap-server",
                b,
            ],
            "cannot alter topic exists: INVALID_CONFIG (",
        ),
        (
            &["topics", "create", "exists", "--bootstrap-server", b],
            "cannot create topic exists: TOPIC_ALREADY_EXISTS",
        ),
        (
            &[
                "produce",
                "exists",
                "--key-separator",
                ":",
                "--bootstrap-server",
                b,
            ],
            "line 1 has no key separator `:`",
        ),
    ];
    for (args, expected) in cases {
        let result = run(args, "no separator here\n");
        assert_eq!(result.status.code(), Some(1), "{args:?}: {}", result.stderr);
        let last = result.stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("klamm: ") && last.contains(expected),
            "{args:?}: {}",
            result.stderr
        );
    }
}

#[test]
fn every_tool_has_help_with_an_example() {
    for command in [
        &["topics", "list"][..],
        &["topics", "create"],
        &["topics", "describe"],
        &["topics", "delete"],
        &["topics", "alter"],
        &["produce"],
        &["consume"],
        &["groups", "list"],
        &["groups", "describe"],
        &["groups", "reset-offsets"],
        &["groups", "delete"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = run(&args, "");
        assert!(help.status.success(), "{args:?}");
        assert!(
            help.stdout.contains("Example"),
            "{args:?} has no example:\n{}",
            help.stdout
        );
        assert!(help.stdout.contains("--bootstrap-server"), "{args:?}");
    }
}
