//! What rebuilding idempotent producers' state costs when a partition
//! opens: 1 GiB of 16 KiB batches from 100 producers, opened with the
//! header scan (after a crash), from the snapshot of a clean shutdown, and
//! without either (klamm's own logs skip it), with the files in the page
//! cache and evicted from it. A measurement, not a check, so it is ignored
//! by default:
//!
//! `cargo test --test producer_state_open_cost -- --ignored --nocapture`

mod common;

use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

use common::batch::idempotent_batch;
use klamm::storage::{now_ms, validate_batch, LogConfig, Storage, ValidationRules};

const BATCHES: usize = 65_536;
const PRODUCERS: usize = 100;

/// Drops the partition's pages from the page cache (only these files).
fn evict(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let file = std::fs::File::open(entry.path()).unwrap();
        // SAFETY: a valid open descriptor; the advice only drops clean pages.
        unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    }
}

#[derive(PartialEq)]
enum Open {
    /// No snapshot: every batch header is read.
    Scan,
    /// The snapshot the last clean close wrote.
    Snapshot,
    /// As an internal log, which keeps no producer state.
    Internal,
}

/// Opens the partition once and closes it cleanly; returns how long the
/// open took.
fn time_open(root: &Path, how: Open) -> Duration {
    if how == Open::Scan {
        std::fs::remove_file(root.join("cost-0").join("producer-state.json")).unwrap();
    }
    let storage = Storage::open(root, false).unwrap();
    let started = Instant::now();
    let log = if how == Open::Internal {
        storage.open_internal("cost-0", LogConfig::default())
    } else {
        storage.open_partition("cost", 0, LogConfig::default())
    }
    .unwrap();
    let took = started.elapsed();
    assert_eq!(log.offsets().unwrap().log_end_offset, BATCHES as i64);
    log.close();
    storage.mark_clean_shutdown();
    took
}

#[test]
#[ignore = "a measurement that writes 1 GiB; run it by name"]
fn opening_a_gibibyte_of_idempotent_batches() {
    let root = tempfile::tempdir().unwrap();
    let value = "v".repeat(16 * 1024 - 80);
    {
        let storage = Storage::open(root.path(), false).unwrap();
        let log = storage
            .open_partition("cost", 0, LogConfig::default())
            .unwrap();
        let rules = ValidationRules {
            max_message_bytes: 1 << 20,
            log_append_time: false,
            require_keys: false,
            allow_zstd: true,
            timestamp_before_max_ms: i64::MAX,
            timestamp_after_max_ms: i64::MAX,
            now_ms: now_ms(),
        };
        for i in 0..BATCHES {
            let producer = (i % PRODUCERS) as i64;
            let sequence = (i / PRODUCERS) as i32;
            let bytes = idempotent_batch(&[value.as_str()], producer, 0, sequence);
            let batch = validate_batch(bytes, &rules).unwrap();
            log.append(batch, rules.now_ms).unwrap();
        }
        let size = log.size_bytes().unwrap();
        println!("wrote {BATCHES} batches, {} MiB", size >> 20);
        log.close();
        storage.mark_clean_shutdown();
    }
    let partition = root.path().join("cost-0");
    // The pages are still cached from writing them.
    let warm_scan = time_open(root.path(), Open::Scan);
    let warm_snapshot = time_open(root.path(), Open::Snapshot);
    evict(&partition);
    let cold_snapshot = time_open(root.path(), Open::Snapshot);
    evict(&partition);
    let cold_scan = time_open(root.path(), Open::Scan);

    // The same files as an internal log: opened without the header scan.
    let internal = root.path().join("internal");
    std::fs::create_dir_all(&internal).unwrap();
    std::fs::rename(&partition, internal.join("cost-0")).unwrap();
    let warm_plain = time_open(root.path(), Open::Internal);
    evict(&internal.join("cost-0"));
    let cold_plain = time_open(root.path(), Open::Internal);

    println!("open, scanning batch headers: page cache {warm_scan:?}, evicted {cold_scan:?}");
    println!(
        "open from the snapshot:       page cache {warm_snapshot:?}, evicted {cold_snapshot:?}"
    );
    println!("open without producer state:  page cache {warm_plain:?}, evicted {cold_plain:?}");
}
