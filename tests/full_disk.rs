//! A full (or failing) disk: produce requests are refused with
//! KAFKA_STORAGE_ERROR and offset commits with a retriable coordinator
//! error, everything already stored stays readable and intact, and writes
//! resume once there is room again.
//!
//! Two ways to fill the disk: an injected write error (always runs, the
//! same on every machine), and a real, size-limited tmpfs (needs root and
//! `mount`; skipped with a printed reason where that is not allowed).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::batch::batch;
use common::offsets::{commit, committed};
use common::process::KlammProcess;
use common::raw::{produce_request, RawClient};
use common::read::fetch_all;
use common::{create_topic, TestBroker};
use kafka_protocol::error::ResponseError;
use klamm::storage::{DiskFault, DiskFaults};
use klamm::Broker;

const TOPIC: &str = "full";
const GROUP: &str = "full-disk-group";

/// Produces one batch of `values`; (error code, base offset).
fn produce(client: &mut RawClient, values: &[&str]) -> (i16, i64) {
    let request = produce_request(TOPIC, batch(values, 1_700_000_000_000));
    let response = client.send(9, &request);
    let partition = &response.responses[0].partition_responses[0];
    (partition.error_code, partition.base_offset)
}

fn values(client: &mut RawClient) -> Vec<(i64, String)> {
    fetch_all(client, TOPIC, 0, 0)
        .expect("fetch works")
        .into_iter()
        .map(|r| {
            let value = String::from_utf8(r.value.unwrap_or_default().to_vec()).unwrap();
            (r.offset, value)
        })
        .collect()
}

const STORAGE_ERROR: i16 = ResponseError::KafkaStorageError.code();

#[test]
fn a_failing_disk_refuses_produce_keeps_serving_reads_and_recovers() {
    for fault in [DiskFault::NoSpace, DiskFault::Io] {
        let dir = tempfile::tempdir().unwrap();
        let faults = DiskFaults::new();
        let builder = Broker::builder().data_dir(dir.path());
        let broker = TestBroker::start(builder.disk_faults(faults.clone()));
        create_topic(&broker.bootstrap, TOPIC, 1, &[]);
        let mut client = RawClient::connect(&broker.bootstrap);
        assert_eq!(produce(&mut client, &["a", "b"]), (0, 0));
        assert_eq!(commit(&mut client, GROUP, TOPIC, 2), 0);
        let stored = values(&mut client);

        faults.fail_writes(fault, 25);
        assert_eq!(
            produce(&mut client, &["lost"]).0,
            STORAGE_ERROR,
            "{fault:?}"
        );
        assert_eq!(produce(&mut client, &["lost"]).0, STORAGE_ERROR);
        assert_eq!(
            values(&mut client),
            stored,
            "reads go on, nothing half-written"
        );
        let refused = commit(&mut client, GROUP, TOPIC, 7);
        assert_eq!(refused, ResponseError::CoordinatorNotAvailable.code());
        assert_eq!(
            committed(&mut client, GROUP, TOPIC),
            2,
            "the old commit stands"
        );
        assert!(faults.failed_writes() >= 3);

        faults.heal();
        assert_eq!(produce(&mut client, &["c"]), (0, 2), "offsets continue");
        assert_eq!(commit(&mut client, GROUP, TOPIC, 3), 0);
        drop(client);
        broker.stop();

        let broker = TestBroker::start(Broker::builder().data_dir(dir.path()));
        let mut client = RawClient::connect(&broker.bootstrap);
        let mut expected = stored;
        expected.push((2, "c".to_string()));
        assert_eq!(values(&mut client), expected, "{fault:?}: after a restart");
        assert_eq!(committed(&mut client, GROUP, TOPIC), 3);
    }
}

/// A tmpfs of `size` mounted on a directory, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    /// `Err(reason)` where mounting is not possible.
    fn mount(parent: &Path, size: &str) -> Result<Self, String> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("not root: mounting a tmpfs needs root".into());
        }
        let path = parent.join("small-disk");
        std::fs::create_dir(&path).map_err(|e| e.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "mount -t tmpfs failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(Self { path })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

/// Fills the file system under `path` with a ballast file until a write
/// fails, so the next writes of the broker meet a full disk.
fn fill(path: &Path) -> u64 {
    use std::io::Write;
    let mut ballast = std::fs::File::create(path).unwrap();
    let chunk = vec![0xAAu8; 4096];
    let mut written = 0u64;
    for _ in 0..1_000_000 {
        match ballast.write(&chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => written += n as u64,
        }
    }
    written
}

#[test]
fn a_real_full_disk_refuses_produce_and_recovers_when_space_is_freed() {
    let parent = tempfile::tempdir().unwrap();
    let disk = match SmallDisk::mount(parent.path(), "8m") {
        Ok(disk) => disk,
        Err(reason) => {
            println!("skipping the tmpfs full-disk test: {reason}");
            return;
        }
    };
    let data = disk.path.join("data");
    let broker = KlammProcess::start(&data, &[]);
    create_topic(&broker.bootstrap, TOPIC, 1, &[("segment.bytes", "1048576")]);
    let mut client = RawClient::connect(&broker.bootstrap);
    let payload = "p".repeat(900);
    let mut acked = Vec::new();
    for i in 0..200 {
        let value = format!("{i:06}-{payload}");
        let (code, offset) = produce(&mut client, &[&value]);
        assert_eq!(code, 0);
        acked.push((offset, value));
    }
    let ballast = disk.path.join("ballast");
    fill(&ballast);

    // The disk is full: produce until it says so (a page or two may
    // still fit).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut refused = 0;
    for i in 200..10_000 {
        assert!(
            Instant::now() < deadline,
            "the broker never noticed the full disk"
        );
        let value = format!("{i:06}-{payload}");
        match produce(&mut client, &[&value]) {
            (0, offset) => acked.push((offset, value)),
            (STORAGE_ERROR, _) => {
                refused += 1;
                if refused == 3 {
                    break;
                }
            }
            (code, _) => panic!("unexpected error code {code}"),
        }
    }
    assert_eq!(refused, 3);
    assert_eq!(
        values(&mut client),
        acked,
        "everything acknowledged is readable"
    );
    // A small commit may still fit in the last page of the group log.
    let commit_code = commit(&mut client, GROUP, TOPIC, 4);
    let expected_commit = if commit_code == 0 { 4 } else { -1 };
    assert!(
        [0, ResponseError::CoordinatorNotAvailable.code()].contains(&commit_code),
        "commit on a full disk: {commit_code}"
    );
    assert_eq!(committed(&mut client, GROUP, TOPIC), expected_commit);

    std::fs::remove_file(&ballast).unwrap();
    let value = "after".to_string();
    let (code, offset) = produce(&mut client, &[&value]);
    assert_eq!((code, offset), (0, acked.len() as i64), "offsets continue");
    acked.push((offset, value));
    assert_eq!(commit(&mut client, GROUP, TOPIC, 5), 0);
    drop(client);

    // A crash now: recovery finds every acknowledged record intact.
    broker.crash();
    let broker = KlammProcess::start(&data, &[]);
    let mut client = RawClient::connect(&broker.bootstrap);
    assert_eq!(values(&mut client), acked, "after a crash and recovery");
    assert_eq!(committed(&mut client, GROUP, TOPIC), 5);
    drop(client);
    let log = broker.log();
    let status = broker.stop();
    assert!(status.success(), "{status}: {log:#?}");
    drop(disk);
}
