//! The walk-through of seed document 002 — create a topic with 3
//! partitions, produce "Hello Kafka", read it back from the beginning —
//! run exactly as the README writes it, against `klamm --brokers 3`.

mod common;

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Duration;

use common::process::KlammProcess;
use common::tools::{run, spawn, wait};

/// The `klamm ...` lines of the README's seed walk-through block, with
/// their trailing comments removed.
fn readme_commands() -> Vec<Vec<String>> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let block = readme
        .split("<!-- seed-002 walk-through -->")
        .nth(1)
        .and_then(|rest| rest.split("```sh\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the README has the seed walk-through block");
    block
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| line.starts_with("klamm "))
        .map(|line| {
            line.split_whitespace()
                .skip(1)
                .map(str::to_string)
                .collect()
        })
        .collect()
}

#[test]
fn the_readmes_three_commands_create_produce_and_read_back_hello_kafka_on_three_brokers() {
    let commands = readme_commands();
    assert_eq!(commands.len(), 3, "{commands:?}");
    let dir = tempfile::tempdir().unwrap();
    let broker = KlammProcess::start(dir.path(), &["--brokers", "3"]);
    // The README uses the default localhost:9092; the test's broker is on a free port.
    let with_bootstrap = |command: &Vec<String>| -> Vec<String> {
        let mut args = command.clone();
        args.extend(["--bootstrap-server".to_string(), broker.bootstrap.clone()]);
        args
    };

    let create = with_bootstrap(&commands[0]);
    assert_eq!(&create[..2], ["topics", "create"]);
    let created = run(&create.iter().map(String::as_str).collect::<Vec<_>>(), "");
    assert!(created.status.success(), "{}", created.stderr);
    assert!(created.stdout.contains("Created topic my-first-topic."));

    let produce = with_bootstrap(&commands[1]);
    assert_eq!(produce[0], "produce");
    let produced = run(
        &produce.iter().map(String::as_str).collect::<Vec<_>>(),
        "Hello Kafka\n",
    );
    assert!(produced.status.success(), "{}", produced.stderr);
    assert!(
        produced.stderr.contains("1 record acknowledged"),
        "{}",
        produced.stderr
    );

    // Like kafka-console-consumer, it keeps waiting for more: read the
    // line, then stop it by its pid as Ctrl-C would.
    let consume = with_bootstrap(&commands[2]);
    assert_eq!(consume[0], "consume");
    let mut consumer = spawn(&consume.iter().map(String::as_str).collect::<Vec<_>>());
    let stdout = consumer.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(30));
    // SAFETY: signalling our own child by its pid.
    unsafe { libc::kill(consumer.id() as i32, libc::SIGTERM) };
    let finished = wait(consumer, Duration::from_secs(20));
    assert_eq!(line.as_deref(), Ok("Hello Kafka"));
    assert!(finished.status.success(), "{}", finished.stderr);
    broker.stop();
}
