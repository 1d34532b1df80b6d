//! Micro-benchmarks of the storage hot paths: validating a produced batch,
//! appending it, finding an offset or a timestamp through the indexes, and
//! reading batches back for a fetch.
//!
//! Run with `cargo bench --bench storage`.

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use klamm::storage::{validate_batch, LogConfig, Storage, ValidationRules};

#[allow(dead_code)]
#[path = "../tests/common/batch.rs"]
mod batch;

/// One batch of `count` records of `size` bytes, as a producer sends it.
fn batch(count: usize, size: usize) -> Bytes {
    let value = "x".repeat(size);
    batch::batch(&vec![value.as_str(); count], 1_700_000_000_000)
}

fn rules() -> ValidationRules {
    ValidationRules {
        max_message_bytes: 64 << 20,
        log_append_time: false,
        require_keys: false,
        allow_zstd: true,
        timestamp_before_max_ms: i64::MAX,
        timestamp_after_max_ms: i64::MAX,
        now_ms: 0,
    }
}

fn validation(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    for (name, count, size) in [
        ("100x100B", 100, 100),
        ("16x1KiB", 16, 1024),
        ("1x1MiB", 1, 1 << 20),
    ] {
        let input = batch(count, size);
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| validate_batch(black_box(input.clone()), &rules()).unwrap())
        });
    }
    group.finish();
}

fn append_and_read(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path(), false).unwrap();
    let log = storage
        .open_partition("bench", 0, LogConfig::default())
        .unwrap();
    let input = batch(16, 1024);
    let validated = validate_batch(input.clone(), &rules()).unwrap();

    let mut group = c.benchmark_group("log");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("append-16KiB-disk", |b| {
        b.iter_batched(
            || validated.clone(),
            |batch| log.append(batch, 0).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let end = log.offsets().unwrap().log_end_offset;
    group.throughput(Throughput::Bytes(1 << 20));
    group.bench_function("read-1MiB-disk", |b| {
        let mut offset = 0;
        b.iter(|| {
            let read = log.read(offset, 1 << 20, true).unwrap();
            offset = (offset + 16 * 64) % (end - 16 * 70);
            black_box(read.records.len())
        })
    });
    group.finish();

    let memory = Storage::in_memory()
        .open_partition("bench", 0, LogConfig::default())
        .unwrap();
    let mut group = c.benchmark_group("memory");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("append-16KiB-memory", |b| {
        b.iter_batched(
            || validated.clone(),
            |batch| memory.append(batch, 0).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// Lookups in a 64 MiB segment of 50,000 batches: where a fetch at an
/// arbitrary offset starts, and ListOffsets by timestamp.
fn index_lookup(c: &mut Criterion) {
    const BATCHES: i64 = 50_000;
    const RECORDS: i64 = 10;
    const BASE_TIME: i64 = 1_700_000_000_000;
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path(), false).unwrap();
    let log = storage
        .open_partition("lookup", 0, LogConfig::default())
        .unwrap();
    let value = "v".repeat(100);
    let values = vec![value.as_str(); RECORDS as usize];
    for n in 0..BATCHES {
        let input = batch::batch(&values, BASE_TIME + n * RECORDS);
        log.append(validate_batch(input, &rules()).unwrap(), 0)
            .unwrap();
    }
    let offsets = BATCHES * RECORDS;
    // A fixed stride through the log, so that every lookup lands elsewhere.
    let stride = 7_919;
    let mut group = c.benchmark_group("index");
    group.bench_function("offset-lookup-64MiB-segment", |b| {
        let mut offset = 0;
        b.iter(|| {
            let read = log.read(black_box(offset), 1, true).unwrap();
            offset = (offset + stride) % offsets;
            black_box(read.records.len())
        })
    });
    group.bench_function("timestamp-lookup-64MiB-segment", |b| {
        let mut at = 0;
        b.iter(|| {
            let found = log.find_by_timestamp(black_box(BASE_TIME + at)).unwrap();
            at = (at + stride) % offsets;
            black_box(found)
        })
    });
    group.finish();
}

criterion_group!(benches, validation, append_and_read, index_lookup);
criterion_main!(benches);
