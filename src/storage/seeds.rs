//! Storage seeds for the fuzz targets: produced batches with every codec (`fuzz/corpus/record_batch`)
//! and partition directories as a clean shutdown, a crash and a torn write leave them
//! (`fuzz/corpus/segment_recovery`), in the input formats `crate::fuzzing` describes.
//! `KLAMM_WRITE_FUZZ_SEEDS=1 cargo test --lib fuzz_seeds` rewrites them.

use std::io::Write;
use std::path::Path;

use bytes::Bytes;

use super::batch::{Compression, HEADER_LEN};
use super::builder::{build_batch_timed, KeyValue};
use super::{validate_batch, ValidationRules};
use crate::fuzzing::{fix_crc, open_log, seed_corpus, FIX_CRCS, RECOVER, SEGMENT_FILES};

const BATCH_LENGTH: std::ops::Range<usize> = 8..12;
const ATTRIBUTES: std::ops::Range<usize> = 21..23;
const PRODUCER: std::ops::Range<usize> = 43..57;
/// Bytes of a batch before the field `batch length` counts from.
const LOG_OVERHEAD: usize = 12;
const XERIAL_HEADER: &[u8] = &[
    0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1,
];

pub(super) fn compress(codec: Compression, records: &[u8]) -> Vec<u8> {
    match codec {
        Compression::None => records.to_vec(),
        Compression::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(records).unwrap();
            gz.finish().unwrap()
        }
        Compression::Snappy => snap::raw::Encoder::new().compress_vec(records).unwrap(),
        Compression::Lz4 => {
            let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
            lz4.write_all(records).unwrap();
            lz4.finish().unwrap()
        }
        Compression::Zstd => zstd::stream::encode_all(records, 3).unwrap(),
    }
}

/// A batch of `records` whose records area is `codec`-compressed `body(records)`.
pub(super) fn batch_with(
    records: &[KeyValue<'_>],
    codec: Compression,
    body: impl Fn(&[u8]) -> Vec<u8>,
) -> Vec<u8> {
    let plain = build_batch_timed(records, 1_700_000_000_000, |i| i as i64);
    let mut batch = plain[..HEADER_LEN].to_vec();
    batch.extend_from_slice(&body(&plain[HEADER_LEN..]));
    let length = (batch.len() - LOG_OVERHEAD) as i32;
    batch[BATCH_LENGTH].copy_from_slice(&length.to_be_bytes());
    batch[ATTRIBUTES].copy_from_slice(&(codec as i16).to_be_bytes());
    fix_crc(&mut batch);
    batch
}

fn xerial(records: &[u8]) -> Vec<u8> {
    let mut out = XERIAL_HEADER.to_vec();
    for half in [&records[..records.len() / 2], &records[records.len() / 2..]] {
        let block = compress(Compression::Snappy, half);
        out.extend_from_slice(&(block.len() as u32).to_be_bytes());
        out.extend_from_slice(&block);
    }
    out
}

fn idempotent(mut batch: Vec<u8>, producer_id: i64, sequence: i32) -> Vec<u8> {
    let mut fields = producer_id.to_be_bytes().to_vec();
    fields.extend_from_slice(&0i16.to_be_bytes());
    fields.extend_from_slice(&sequence.to_be_bytes());
    batch[PRODUCER].copy_from_slice(&fields);
    fix_crc(&mut batch);
    batch
}

const RECORDS: &[KeyValue<'_>] = &[
    (
        Some(b"key-1"),
        Some(b"the quick brown fox jumps over the lazy dog"),
    ),
    (
        None,
        Some(b"the quick brown fox jumps over the lazy dog again"),
    ),
    (Some(b"key-3"), None),
];

fn batches() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for codec in [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        out.push((
            codec.name().to_string(),
            batch_with(RECORDS, codec, |r| compress(codec, r)),
        ));
    }
    out.push((
        "snappy-xerial".into(),
        batch_with(RECORDS, Compression::Snappy, xerial),
    ));
    let plain = batch_with(RECORDS, Compression::None, <[u8]>::to_vec);
    out.push(("idempotent".into(), idempotent(plain, 4_000, 0)));
    out
}

fn rules() -> ValidationRules {
    ValidationRules {
        max_message_bytes: 1 << 20,
        log_append_time: false,
        require_keys: false,
        allow_zstd: true,
        timestamp_before_max_ms: i64::MAX,
        timestamp_after_max_ms: i64::MAX,
        now_ms: 0,
    }
}

/// A `segment_recovery` input: the flags, then each file as (id, u16 length, bytes).
fn segment_input(flags: u8, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut input = vec![flags];
    for (name, bytes) in files {
        let id = SEGMENT_FILES.iter().position(|f| f == name).unwrap();
        input.push(id as u8);
        input.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
        input.extend_from_slice(bytes);
    }
    input
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_default()
}

/// A partition written by the log itself and shut down cleanly: a few batches
/// (one with each codec, one idempotent), indexes, a producer snapshot and a
/// log start offset checkpoint.
fn written_partition(dir: &Path) {
    let log = open_log(dir, false).unwrap();
    for (_, batch) in batches() {
        log.append(validate_batch(Bytes::from(batch), &rules()).unwrap(), 0)
            .unwrap();
    }
    log.delete_records(2, 0).unwrap();
    log.close();
}

fn segments() -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    written_partition(dir.path());
    let [log, index, timeindex, _, _, _, snapshot, checkpoint] =
        SEGMENT_FILES.map(|name| (name, read(dir.path(), name)));
    let all = [&log, &index, &timeindex, &snapshot, &checkpoint].map(|(n, b)| (*n, &b[..]));
    let torn = (log.0, &log.1[..log.1.len() - 30]);
    let mut damaged = log.1.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x55;
    let later = batch_with(RECORDS, Compression::None, <[u8]>::to_vec);
    let mut later_log = later.clone();
    later_log[..8].copy_from_slice(&100i64.to_be_bytes());
    vec![
        ("clean-shutdown".into(), segment_input(0, &all)),
        ("crash".into(), segment_input(RECOVER, &all)),
        (
            "torn-tail".into(),
            segment_input(RECOVER, &[torn, (index.0, &index.1)]),
        ),
        (
            "damaged-crc-fixed".into(),
            segment_input(RECOVER | FIX_CRCS, &[(log.0, &damaged)]),
        ),
        (
            "two-segments".into(),
            segment_input(RECOVER, &[(log.0, &log.1), (SEGMENT_FILES[3], &later_log)]),
        ),
    ]
}

#[test]
fn fuzz_seeds() {
    let batches = batches();
    for (name, batch) in &batches {
        validate_batch(Bytes::from(batch.clone()), &rules())
            .unwrap_or_else(|e| panic!("seed {name}: {e}"));
    }
    let flagged: Vec<_> = batches
        .into_iter()
        .map(|(name, batch)| (name, [&[0u8][..], &batch].concat()))
        .collect();
    seed_corpus("record_batch", &flagged);
    let segments = segments();
    for (_, input) in &segments {
        let dir = tempfile::tempdir().unwrap();
        crate::fuzzing::segment_recovery(dir.path(), input).unwrap();
    }
    seed_corpus("segment_recovery", &segments);
}
