//! Replays every input the fuzz targets ever crashed on (`fuzz/regressions/<target>/`), and the
//! seed corpus (`fuzz/corpus/<target>/`), through the same `klamm::fuzzing` entry points the
//! targets use, so fixed bugs stay fixed in a plain `cargo test`, without cargo-fuzz.

use std::path::{Path, PathBuf};
use std::time::Duration;

use klamm::fuzzing;

/// Every input of one target, named by its path for the failure message.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut found = Vec::new();
    for kind in ["regressions", "corpus"] {
        let Ok(entries) = std::fs::read_dir(root.join(kind).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() && path.extension().is_none() {
                found.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

/// Runs `check` on every input of `target`, naming the input that panics.
fn replay(target: &str, check: impl Fn(&[u8]) + std::panic::RefUnwindSafe) {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "no inputs for {target}");
    for (path, data) in inputs {
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panic!("{} fails again", path.display());
        }
    }
}

#[test]
fn frame_reader() {
    replay("frame_reader", fuzzing::frame_reader);
}

#[test]
fn request() {
    replay("request", fuzzing::request);
}

#[test]
fn record_batch() {
    replay("record_batch", fuzzing::record_batch);
}

#[test]
fn segment_recovery() {
    replay("segment_recovery", |data| {
        let dir = tempfile::tempdir().unwrap();
        fuzzing::segment_recovery(dir.path(), data).unwrap();
    });
}

/// The handler target's inputs are request frames; its own findings live in `handler/`.
#[tokio::test(start_paused = true)]
async fn handler() {
    let handlers = fuzzing::Handlers::start().await.unwrap();
    let mut all = inputs("handler");
    all.extend(inputs("request"));
    for (path, data) in all {
        // A panic fails the test; the last path printed names the input.
        eprintln!("handling {}", path.display());
        let _ =
            tokio::time::timeout(Duration::from_secs(40 * 24 * 3600), handlers.handle(&data)).await;
    }
    handlers.shutdown().await;
}
