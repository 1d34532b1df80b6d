//! A response frame as a list of byte chunks, so record sets go to the
//! socket straight from the segment mapping.
//!
//! kafka-protocol encodes a Fetch response by copying every record set into
//! one buffer. Profiling a consumer at 700 MB/s showed that copy and the
//! fresh pages it lands in as half the broker's time. `SplicingBuf` is a
//! buffer the encoder writes into as usual, except that when it is handed
//! the bytes of a known record set it keeps a reference to that `Bytes`
//! instead of copying it.

use std::ops::Range;

use bytes::buf::UninitSlice;
use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::protocol::buf::ByteBufMut;

/// Record sets smaller than this are copied: a separate write costs more.
const MIN_SPLICE: usize = 16 * 1024;

/// A whole response, size prefix included, in the order it is sent.
#[derive(Debug, Default)]
pub(crate) struct ResponseFrame {
    chunks: Vec<Bytes>,
}

impl ResponseFrame {
    pub fn chunks(&self) -> &[Bytes] {
        &self.chunks
    }

    /// The frame in one piece, as tests compare it.
    #[cfg(test)]
    pub fn to_bytes(&self) -> Bytes {
        self.chunks.concat().into()
    }
}

/// An encoding buffer that references, rather than copies, the payloads it
/// was told about.
pub(crate) struct SplicingBuf {
    /// Finished chunks, owned bytes and spliced payloads alternating.
    done: Vec<Bytes>,
    done_len: usize,
    current: BytesMut,
    payloads: Vec<Bytes>,
}

impl SplicingBuf {
    /// A buffer for a frame of `frame_len` bytes; `payloads` are the byte
    /// strings to reference when the encoder writes exactly one of them.
    pub fn new(frame_len: usize, payloads: Vec<Bytes>) -> Self {
        let payloads: Vec<Bytes> = payloads
            .into_iter()
            .filter(|p| p.len() >= MIN_SPLICE)
            .collect();
        let spliced: usize = payloads.iter().map(Bytes::len).sum();
        Self {
            done: Vec::new(),
            done_len: 0,
            current: BytesMut::with_capacity(frame_len.saturating_sub(spliced)),
            payloads,
        }
    }

    pub fn finish(mut self) -> ResponseFrame {
        if !self.current.is_empty() {
            self.done.push(self.current.freeze());
        }
        ResponseFrame { chunks: self.done }
    }

    fn payload_for(&self, src: &[u8]) -> Option<Bytes> {
        self.payloads
            .iter()
            .find(|p| p.as_ptr() == src.as_ptr() && p.len() == src.len())
            .cloned()
    }

    /// Folds the finished chunks back into one buffer, for the rare encoder
    /// that seeks back into what it wrote (length gaps of record batches).
    fn collapse(&mut self) {
        if self.done.is_empty() {
            return;
        }
        let mut all = BytesMut::with_capacity(self.done_len + self.current.len());
        for chunk in self.done.drain(..) {
            all.extend_from_slice(&chunk);
        }
        all.extend_from_slice(&self.current);
        self.done_len = 0;
        self.current = all;
    }
}

// SAFETY: every method delegates to `current`, a `BytesMut`, whose own
// implementation upholds the contract.
unsafe impl BufMut for SplicingBuf {
    fn remaining_mut(&self) -> usize {
        self.current.remaining_mut()
    }

    unsafe fn advance_mut(&mut self, cnt: usize) {
        // SAFETY: the caller initialised `cnt` bytes of `chunk_mut`, which is
        // `current`'s.
        unsafe { self.current.advance_mut(cnt) }
    }

    fn chunk_mut(&mut self) -> &mut UninitSlice {
        self.current.chunk_mut()
    }

    fn put_slice(&mut self, src: &[u8]) {
        match self.payload_for(src) {
            Some(payload) => {
                // What follows goes into the rest of the same allocation.
                let owned = self.current.split().freeze();
                self.done_len += owned.len() + payload.len();
                if !owned.is_empty() {
                    self.done.push(owned);
                }
                self.done.push(payload);
            }
            None => self.current.extend_from_slice(src),
        }
    }
}

impl ByteBufMut for SplicingBuf {
    fn offset(&self) -> usize {
        self.done_len + self.current.len()
    }

    fn seek(&mut self, offset: usize) {
        if offset < self.done_len {
            self.collapse();
        }
        self.current.resize(offset - self.done_len, 0);
    }

    fn range(&mut self, r: Range<usize>) -> &mut [u8] {
        if r.start < self.done_len {
            self.collapse();
        }
        let done = self.done_len;
        &mut self.current[r.start - done..r.end - done]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
    use kafka_protocol::messages::FetchResponse;
    use kafka_protocol::protocol::Encodable;

    fn response(records: &[Bytes]) -> FetchResponse {
        FetchResponse::default().with_responses(vec![FetchableTopicResponse::default()
            .with_partitions(
                records
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        PartitionData::default()
                            .with_partition_index(i as i32)
                            .with_records(Some(r.clone()))
                    })
                    .collect(),
            )])
    }

    #[test]
    fn large_record_sets_are_referenced_and_the_bytes_are_those_of_a_copying_encoder() {
        let big = Bytes::from(vec![7u8; 100_000]);
        let small = Bytes::from(vec![9u8; 100]);
        let records = [big.clone(), small.clone(), big.clone()];
        for version in [4, 11, 12] {
            let response = response(&records);
            let mut copied = BytesMut::new();
            response.encode(&mut copied, version).unwrap();
            let mut spliced = SplicingBuf::new(1024, records.to_vec());
            response.encode(&mut spliced, version).unwrap();
            let frame = spliced.finish();
            assert_eq!(frame.to_bytes(), copied.freeze(), "v{version}");
            let referenced = frame
                .chunks()
                .iter()
                .filter(|c| c.as_ptr() == big.as_ptr())
                .count();
            assert_eq!(referenced, 2, "v{version}");
            assert!(frame.chunks().iter().all(|c| c.as_ptr() != small.as_ptr()));
        }
    }

    #[test]
    fn seeking_back_into_a_spliced_region_folds_it_into_one_buffer() {
        let big = Bytes::from(vec![1u8; MIN_SPLICE]);
        let mut buf = SplicingBuf::new(16, vec![big.clone()]);
        buf.put_u8(0);
        buf.put_slice(&big);
        buf.put_u8(2);
        buf.range(0..1)[0] = 5;
        let bytes = buf.finish().to_bytes();
        assert_eq!(bytes.len(), MIN_SPLICE + 2);
        assert_eq!((bytes[0], bytes[1], bytes[MIN_SPLICE + 1]), (5, 1, 2));
    }
}
