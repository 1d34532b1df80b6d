//! Micro-benchmarks of the storage hot paths: validating a produced batch,
//! appending it, and reading batches back for a fetch.
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

criterion_group!(benches, validation, append_and_read);
criterion_main!(benches);
