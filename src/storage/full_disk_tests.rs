//! A partition log on a disk whose writes fail (through [`DiskFaults`]):
//! the failed append leaves no trace — no half batch in the file, no
//! offsets, no producer sequence — reads keep working, and appends resume
//! where they stopped once writes succeed again.

use std::sync::Arc;

use super::log::tests::{batch, idempotent, small_segments};
use super::{DiskFault, DiskFaults, LogLocation, PartitionLog, StorageError};

fn open(dir: &std::path::Path, recover: bool, faults: &DiskFaults) -> Arc<PartitionLog> {
    let location = LogLocation::Disk(dir.to_path_buf());
    let log = PartitionLog::open(
        "t-0".into(),
        location,
        small_segments(),
        None,
        recover,
        true,
        0,
    )
    .unwrap();
    log.inject_faults(faults.clone());
    log
}

fn segment_bytes_on_disk(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

/// Every record's (offset, value) read back from the start.
fn contents(log: &PartitionLog) -> Vec<(i64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut offset = 0;
    let end = log.offsets().unwrap().high_watermark;
    while offset < end {
        let read = log.read(offset, 1 << 20, true).unwrap();
        let mut rest = &read.records[..];
        while !rest.is_empty() {
            let records = crate::storage::builder::read_records(rest).unwrap();
            let header = super::batch::BatchHeader::parse(rest).unwrap();
            for (i, record) in records.iter().enumerate() {
                let value = record.value.unwrap_or_default().to_vec();
                out.push((header.base_offset + i as i64, value));
            }
            offset = header.next_offset();
            rest = &rest[header.total_size().unwrap()..];
        }
    }
    out
}

fn assert_storage_error(result: Result<super::log::Appended, StorageError>, errno: i32) {
    match result {
        Err(StorageError::Io { source, .. }) => assert_eq!(source.raw_os_error(), Some(errno)),
        Err(other) => panic!("expected an I/O error, got {other}"),
        Ok(_) => panic!("the append succeeded on a failing disk"),
    }
}

#[test]
fn a_failed_append_leaves_no_half_batch_and_appends_resume_after() {
    for (fault, errno, partial) in [
        (DiskFault::NoSpace, libc::ENOSPC, 0),
        (DiskFault::NoSpace, libc::ENOSPC, 30),
        (DiskFault::Io, libc::EIO, 70),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let faults = DiskFaults::new();
        let log = open(dir.path(), false, &faults);
        for i in 0..5 {
            log.append(batch(1_000 + i, &[b"kept-a", b"kept-b"]), 0)
                .unwrap();
        }
        let before = contents(&log);
        let offsets = log.offsets().unwrap();
        let on_disk = segment_bytes_on_disk(dir.path());

        faults.fail_writes(fault, partial);
        assert_storage_error(log.append(batch(2_000, &[b"lost"]), 0), errno);
        assert_storage_error(log.append(batch(2_001, &[b"lost"]), 0), errno);
        assert_eq!(log.offsets().unwrap(), offsets, "no offset moved");
        assert_eq!(segment_bytes_on_disk(dir.path()), on_disk, "no half batch");
        assert_eq!(contents(&log), before, "reads go on");

        faults.heal();
        assert_eq!(
            log.append(batch(3_000, &[b"after"]), 0)
                .unwrap()
                .base_offset,
            10
        );
        log.close();
        drop(log);
        for recover in [false, true] {
            let log = open(dir.path(), recover, &faults);
            let mut expected = before.clone();
            expected.push((10, b"after".to_vec()));
            assert_eq!(contents(&log), expected, "{fault:?} after a reopen");
            log.close();
        }
    }
}

#[test]
fn a_half_batch_that_could_not_be_cut_is_cut_before_the_next_append() {
    let dir = tempfile::tempdir().unwrap();
    let faults = DiskFaults::new();
    let log = open(dir.path(), false, &faults);
    log.append(batch(1_000, &[b"first"]), 0).unwrap();
    let on_disk = segment_bytes_on_disk(dir.path());

    faults.fail_writes(DiskFault::Io, 40);
    faults.fail_cuts(true);
    assert_storage_error(log.append(batch(2_000, &[b"torn"]), 0), libc::EIO);
    assert_eq!(
        segment_bytes_on_disk(dir.path()),
        on_disk + 40,
        "the torn tail stays"
    );
    assert_eq!(contents(&log), vec![(0, b"first".to_vec())]);

    faults.heal();
    log.append(batch(3_000, &[b"second"]), 0).unwrap();
    assert_eq!(
        contents(&log),
        vec![(0, b"first".to_vec()), (1, b"second".to_vec())],
        "the next batch was written where the torn one began"
    );
    log.close();
    drop(log);
    let log = open(dir.path(), true, &faults);
    assert_eq!(log.offsets().unwrap().log_end_offset, 2);
}

#[test]
fn a_failed_idempotent_append_does_not_advance_the_producer_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let faults = DiskFaults::new();
    let log = open(dir.path(), false, &faults);
    log.append(idempotent(9, 0, 0, &[b"a"]), 0).unwrap();
    faults.fail_writes(DiskFault::NoSpace, 10);
    assert_storage_error(log.append(idempotent(9, 0, 1, &[b"b"]), 0), libc::ENOSPC);
    faults.heal();
    // The producer retries the same sequence: it is new, not a duplicate.
    let retry = log.append(idempotent(9, 0, 1, &[b"b"]), 0).unwrap();
    assert_eq!((retry.base_offset, retry.duplicate_timestamp), (1, None));
    assert_eq!(contents(&log).len(), 2);
}
