//! Segment, index and checkpoint files as a crash may leave them, opened
//! (with and without recovery) and read back.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// One scratch directory per process, in memory where there is a tmpfs
/// (each input writes and fsyncs a few files); each input gets a fresh
/// subdirectory.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let parent = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        tempfile::Builder::new()
            .prefix("klamm-fuzz-")
            .tempdir_in(parent)
            .expect("a scratch directory")
            .keep()
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = scratch().join("partition-0");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a partition directory");
    klamm::fuzzing::segment_recovery(&dir, data).expect("scratch files are writable");
});
