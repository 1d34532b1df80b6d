//! What `flush = "always"` costs, and how group commit keeps the cost down:
//! N connections produce small acks=all batches for a few seconds with
//! fsync-before-ack and without, and the records per second and fsyncs per
//! second are printed. A measurement, not a check (numbers depend on the
//! disk), so it is ignored by default:
//!
//! `cargo test --release --test flush_throughput -- --ignored --nocapture`

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::batch::batch;
use common::raw::{produce_request, RawClient};
use common::{create_topic, TestBroker};
use klamm::storage::fsync_count;
use klamm::Broker;

const TOPIC: &str = "flush";
const RECORDS_PER_BATCH: usize = 10;
const RUN: Duration = Duration::from_secs(3);

/// Records per second and fsyncs per second with `connections` producers.
fn measure(flush_always: bool, connections: usize) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let builder = Broker::builder().data_dir(dir.path());
    let broker = TestBroker::start(if flush_always {
        builder.flush_always()
    } else {
        builder
    });
    create_topic(&broker.bootstrap, TOPIC, 1, &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicU64::new(0));
    let fsyncs_before = fsync_count();
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (bootstrap, stop, acked) = (broker.bootstrap.clone(), stop.clone(), acked.clone());
            std::thread::spawn(move || {
                let mut client = RawClient::connect(&bootstrap);
                let value = "v".repeat(100);
                let records = batch(&[value.as_str(); RECORDS_PER_BATCH], 1_700_000_000_000);
                let request = produce_request(TOPIC, records);
                while !stop.load(Ordering::Relaxed) && started.elapsed() < RUN * 2 {
                    let response = client.send(9, &request);
                    assert_eq!(response.responses[0].partition_responses[0].error_code, 0);
                    acked.fetch_add(RECORDS_PER_BATCH as u64, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(RUN);
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    let fsyncs = fsync_count() - fsyncs_before;
    broker.stop();
    (
        acked.load(Ordering::Relaxed) as f64 / seconds,
        fsyncs as f64 / seconds,
    )
}

#[test]
#[ignore = "a measurement: run with --ignored --nocapture"]
fn flush_always_throughput_with_group_commit() {
    println!("connections  flush    records/s   fsyncs/s  records/fsync");
    for connections in [1, 4, 16, 64] {
        for flush_always in [false, true] {
            let (records, fsyncs) = measure(flush_always, connections);
            let per_fsync = if fsyncs > 0.0 { records / fsyncs } else { 0.0 };
            println!(
                "{connections:>11}  {:<6} {records:>11.0} {fsyncs:>10.0} {per_fsync:>14.1}",
                if flush_always { "always" } else { "never" }
            );
        }
    }
}
