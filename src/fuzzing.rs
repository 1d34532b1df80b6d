//! Entry points for the fuzz targets in `fuzz/` and for the tests that replay
//! what they found (`tests/fuzz_regressions.rs`).
//!
//! Each function feeds untrusted bytes to one of klamm's parsers the way the
//! broker does, and asserts what must hold whatever the bytes are. They exist
//! so the parsers can stay private: this module is the one door, and it is
//! not part of klamm's API (hidden from the docs, no stability promise).

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::FutureExt;
use tokio::io::{AsyncRead, ReadBuf};

use crate::protocol::{check_and_decode, checked_header, handle_frame, Connection, DecodeError};
use crate::server::frame::FrameReader;
use crate::storage::batch::{compute_crc, BatchHeader, HEADER_LEN};
use crate::storage::{validate_batch, LogConfig, LogLocation, PartitionLog, ValidationRules};

/// Frames larger than this are refused by the fuzzed reader, so the limit
/// is reachable with small inputs.
const FRAME_LIMIT: usize = 4096;
/// The broker clock the targets run with (fixed, so runs repeat).
const NOW_MS: i64 = 1_700_000_000_000;
const CRC_RANGE: std::ops::Range<usize> = 17..21;

/// A socket that hands out at most `chunk` bytes per read.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl AsyncRead for Trickle<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = self.chunk.min(self.data.len()).min(buf.remaining());
        buf.put_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Poll::Ready(Ok(()))
    }
}

/// Splits `data` into frames as a connection does, delivered in reads of
/// `data[0]` bytes; the frames must be exactly what the size prefixes say.
pub fn frame_reader(data: &[u8]) {
    let Some((&chunk, stream)) = data.split_first() else {
        return;
    };
    let mut socket = Trickle {
        data: stream,
        chunk: usize::from(chunk).max(1),
    };
    let mut reader = FrameReader::new(FRAME_LIMIT);
    let mut at = 0;
    // A slice socket never blocks, so every read completes on the first poll.
    while let Some(Ok(Some(frame))) = reader.next(&mut socket).now_or_never() {
        let size = stream
            .get(at..at + 4)
            .map(|p| i32::from_be_bytes([p[0], p[1], p[2], p[3]]) as usize);
        assert_eq!(size, Some(frame.len()), "frame at byte {at}");
        assert!(frame.len() <= FRAME_LIMIT);
        assert_eq!(&stream[at + 4..at + 4 + frame.len()], &frame[..]);
        at += 4 + frame.len();
        request(&frame);
    }
}

/// Header, api/version check, wire guard and kafka-protocol's decoder, for
/// whatever API the frame names. The guard must never let through a body
/// that the decoder then refuses: the guard claims to read exactly as the
/// decoder does.
pub fn request(frame: &[u8]) {
    let Ok((header, body_start)) = checked_header(frame) else {
        return;
    };
    let body = Bytes::copy_from_slice(&frame[body_start..]);
    if let Err(DecodeError::Decoder(e)) = check_and_decode(&header, &body) {
        panic!("the guard accepted a body the decoder refuses: {e}");
    }
}

/// A whole in-memory broker that requests are handled by, end to end.
pub struct Handlers {
    broker: crate::Broker,
    connection: Connection,
}

impl Handlers {
    /// Starts an in-memory broker (listening on an ephemeral port of
    /// 127.0.0.1, which nothing connects to). Must run inside a tokio runtime.
    pub async fn start() -> Result<Self, crate::BrokerError> {
        let broker = crate::Broker::builder().start().await?;
        Ok(Self {
            connection: Connection::new(
                Arc::from("PLAINTEXT"),
                broker.state().config.node_id,
                "/127.0.0.1".to_string(),
            ),
            broker,
        })
    }

    /// Handles one request frame as a connection would; the response is
    /// dropped. Requests that wait (long polls, rebalances) wait on tokio's
    /// clock, so a runtime with paused time keeps them short.
    pub async fn handle(&self, frame: &[u8]) {
        let _ = handle_frame(
            self.broker.state(),
            &self.connection,
            Bytes::copy_from_slice(frame),
        )
        .await;
    }

    pub async fn shutdown(self) {
        self.broker.shutdown().await;
    }
}

/// Sets a batch's CRC to match its content, so inputs get past the CRC
/// check to the parts behind it.
pub fn fix_crc(batch: &mut [u8]) {
    if batch.len() >= HEADER_LEN {
        let crc = compute_crc(batch);
        batch[CRC_RANGE].copy_from_slice(&crc.to_be_bytes());
    }
}

/// Validates `data[1..]` as the one batch of a produced partition. The bits
/// of `data[0]` pick the topic's rules and whether the CRC is fixed first.
/// A batch that passes must come out whole, with a CRC that matches.
pub fn record_batch(data: &[u8]) {
    let Some((&flags, batch)) = data.split_first() else {
        return;
    };
    let mut batch = batch.to_vec();
    if flags & 1 != 0 {
        fix_crc(&mut batch);
    }
    let rules = ValidationRules {
        max_message_bytes: 1_048_588,
        log_append_time: flags & 2 != 0,
        require_keys: flags & 4 != 0,
        allow_zstd: flags & 8 == 0,
        timestamp_before_max_ms: i64::MAX,
        timestamp_after_max_ms: i64::MAX,
        now_ms: NOW_MS,
    };
    let Ok(validated) = validate_batch(Bytes::from(batch.clone()), &rules) else {
        return;
    };
    let stored = validated.to_contiguous();
    assert_eq!(stored.len(), batch.len());
    assert_eq!(&stored[HEADER_LEN..], &batch[HEADER_LEN..]);
    let header = BatchHeader::parse(&stored).expect("a validated batch has a header");
    assert_eq!(header.crc, compute_crc(&stored));
    assert_eq!(header.records_count as u32, validated.record_count);
}

/// The bits of a `segment_recovery` input's first byte.
pub(crate) const RECOVER: u8 = 1;
pub(crate) const FIX_CRCS: u8 = 2;

/// The files a segment-recovery input can write, chosen by `id % len`.
pub(crate) const SEGMENT_FILES: [&str; 8] = [
    "00000000000000000000.log",
    "00000000000000000000.index",
    "00000000000000000000.timeindex",
    "00000000000000000100.log",
    "00000000000000000100.index",
    "00000000000000000100.timeindex",
    "producer-state.json",
    "log-start-offset.checkpoint",
];

/// Writes the files an input describes into `dir` (which must be empty),
/// opens the partition log from them and reads it back. `data[0]` bit 0
/// asks for recovery (an unclean shutdown), bit 1 fixes the CRC of every
/// batch whose header parses; then come chunks of (file id, u16 length,
/// bytes). After recovery, the log must hold only whole batches with valid
/// CRCs and increasing offsets.
pub fn segment_recovery(dir: &Path, data: &[u8]) -> io::Result<()> {
    let Some((&flags, mut rest)) = data.split_first() else {
        return Ok(());
    };
    let recover = flags & RECOVER != 0;
    while let [id, hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let mut contents = tail[..len].to_vec();
        let name = SEGMENT_FILES[usize::from(*id) % SEGMENT_FILES.len()];
        if flags & FIX_CRCS != 0 && name.ends_with(".log") {
            fix_every_crc(&mut contents);
        }
        std::fs::write(dir.join(name), &contents)?;
        rest = &tail[len..];
    }
    let log = match open_log(dir, recover) {
        Ok(log) => log,
        // Files the log cannot open are an error to report, not a crash.
        Err(_) => return Ok(()),
    };
    // Recovery scans only the newest segment, as Kafka scans only what lies
    // past its recovery point: older ones were sealed before the crash.
    let newest = std::fs::read_dir(dir)?
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".log")?
                .parse()
                .ok()
        })
        .max();
    read_back(&log, newest.filter(|_| recover));
    let _ = log.find_by_timestamp(0);
    let _ = log.find_by_timestamp(i64::MAX);
    log.close();
    Ok(())
}

/// The partition log the segment target opens: small index intervals, so
/// small inputs have index entries.
pub(crate) fn open_log(
    dir: &Path,
    recover: bool,
) -> Result<Arc<PartitionLog>, crate::storage::StorageError> {
    let config = LogConfig {
        segment_bytes: 1 << 20,
        index_interval_bytes: 128,
        segment_index_bytes: 4096,
        ..LogConfig::default()
    };
    PartitionLog::open(
        "fuzz-0".into(),
        LogLocation::Disk(dir.to_path_buf()),
        config,
        None,
        recover,
        true,
        NOW_MS,
    )
}

fn fix_every_crc(log: &mut [u8]) {
    let mut pos = 0;
    while let Some(size) = log
        .get(pos..)
        .and_then(BatchHeader::parse)
        .and_then(|h| h.total_size())
        .filter(|&size| size >= HEADER_LEN && pos + size <= log.len())
    {
        fix_crc(&mut log[pos..pos + size]);
        pos += size;
    }
}

/// Reads the whole log from its start offset; what comes back must be whole
/// batches in offset order, and from offset `recovered_from` on (the
/// segment recovery scanned) their CRCs must match.
fn read_back(log: &PartitionLog, recovered_from: Option<i64>) {
    let Ok(offsets) = log.offsets() else { return };
    let mut offset = offsets.log_start_offset;
    while offset < offsets.high_watermark {
        let Ok(read) = log.read(offset, 1 << 20, true) else {
            return;
        };
        if read.records.is_empty() {
            return;
        }
        let mut pos = 0;
        while pos < read.records.len() {
            let header =
                BatchHeader::parse(&read.records[pos..]).expect("a read returns whole batches");
            let size = header
                .total_size()
                .expect("a read returns batches with a length");
            let batch = read
                .records
                .get(pos..pos + size)
                .expect("a read returns whole batches");
            if recovered_from.is_some_and(|from| header.base_offset >= from) {
                assert_eq!(header.crc, compute_crc(batch), "batch at {pos} base {} from {offset} recovered {recovered_from:?} offsets {offsets:?}", header.base_offset);
            }
            let next = header.next_offset();
            if next <= offset {
                // A log opened from trusted indexes is not checked batch by
                // batch; it must still never read backwards forever.
                assert!(
                    recovered_from.is_none_or(|from| header.base_offset < from),
                    "offsets go backwards after recovery"
                );
                return;
            }
            offset = next;
            pos += size;
        }
    }
}

/// The seed corpus of a fuzz target, `fuzz/corpus/<target>/`, kept in the
/// repository. With `KLAMM_WRITE_FUZZ_SEEDS=1` the directory is replaced by
/// `files`; otherwise it must hold a file of each name (so a newly
/// advertised version or codec cannot go unseeded unnoticed).
#[cfg(test)]
pub(crate) fn seed_corpus(target: &str, files: &[(String, Vec<u8>)]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    if std::env::var_os("KLAMM_WRITE_FUZZ_SEEDS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        return;
    }
    for (name, _) in files {
        assert!(
            dir.join(name).is_file(),
            "fuzz/corpus/{target}/{name} is missing: run \
             KLAMM_WRITE_FUZZ_SEEDS=1 cargo test --lib fuzz_seeds"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_range_is_the_batch_layout() {
        let batch = crate::storage::builder::build_batch(&[(None, Some(b"v"))], 0);
        let mut copy = batch.to_vec();
        copy[CRC_RANGE].fill(0);
        fix_crc(&mut copy);
        assert_eq!(&copy[..], &batch[..]);
        assert_eq!(compute_crc(&batch), crc32c::crc32c(&batch[21..]));
    }
}
