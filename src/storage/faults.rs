//! A test seam for disks that fail: segment writes that stop part-way with
//! ENOSPC or EIO, as a full or broken disk makes them.
//!
//! A full disk cannot be arranged on every machine (a size-limited tmpfs
//! needs root), yet what klamm does then — refuse the produce with
//! KAFKA_STORAGE_ERROR, cut the half-written batch, keep serving reads,
//! resume once there is room — must be tested everywhere. A broker built
//! with [`DiskFaults`] (see `BrokerBuilder::disk_faults`) consults it on each
//! segment write; one without pays for an `Option` check.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::Arc;

/// What a failing write reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskFault {
    /// ENOSPC: the disk is full.
    NoSpace,
    /// EIO: the device failed.
    Io,
}

#[derive(Default)]
struct Armed {
    on: AtomicBool,
    errno: AtomicI32,
    /// Bytes of the failing write that still reach the file first.
    partial: AtomicUsize,
    /// Cutting a half-written batch back fails too.
    cuts_fail: AtomicBool,
    failed: AtomicUsize,
}

/// A switch shared by a test and the broker's segment writers.
#[derive(Clone, Default)]
pub struct DiskFaults(Arc<Armed>);

impl std::fmt::Debug for DiskFaults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiskFaults")
            .field("on", &self.0.on.load(Ordering::Relaxed))
            .finish()
    }
}

impl DiskFaults {
    pub fn new() -> Self {
        Self::default()
    }

    /// From now on every segment write writes at most `partial` bytes and
    /// then fails with `fault`.
    pub fn fail_writes(&self, fault: DiskFault, partial: usize) {
        let errno = match fault {
            DiskFault::NoSpace => libc::ENOSPC,
            DiskFault::Io => libc::EIO,
        };
        self.0.errno.store(errno, Ordering::SeqCst);
        self.0.partial.store(partial, Ordering::SeqCst);
        self.0.on.store(true, Ordering::SeqCst);
    }

    /// Whether cutting a failed write back off the file fails as well (a
    /// device that refuses every change).
    pub fn fail_cuts(&self, fail: bool) {
        self.0.cuts_fail.store(fail, Ordering::SeqCst);
    }

    /// Writes (and cuts) succeed again: space was freed.
    pub fn heal(&self) {
        self.0.on.store(false, Ordering::SeqCst);
        self.0.cuts_fail.store(false, Ordering::SeqCst);
    }

    /// How many writes failed on purpose so far.
    pub fn failed_writes(&self) -> usize {
        self.0.failed.load(Ordering::SeqCst)
    }

    /// `None` if a write of `len` bytes may go ahead; otherwise how many of
    /// them to write before failing with the returned error.
    pub(crate) fn check(&self, len: usize) -> Option<(usize, io::Error)> {
        if !self.0.on.load(Ordering::SeqCst) {
            return None;
        }
        self.0.failed.fetch_add(1, Ordering::SeqCst);
        let partial = self.0.partial.load(Ordering::SeqCst).min(len);
        let errno = self.0.errno.load(Ordering::SeqCst);
        Some((partial, io::Error::from_raw_os_error(errno)))
    }

    /// The error a cut of a failed write meets, if cuts fail.
    pub(crate) fn check_cut(&self) -> Option<io::Error> {
        self.0
            .cuts_fail
            .load(Ordering::SeqCst)
            .then(|| io::Error::from_raw_os_error(libc::EIO))
    }
}
