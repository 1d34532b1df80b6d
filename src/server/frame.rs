//! Reading request frames: a 4-byte big-endian size, then that many bytes.
//!
//! The buffer grows with the bytes that actually arrive, never with the size a
//! frame claims, so a client that announces 100 MiB and sends ten bytes costs
//! ten bytes. A negative size or one above `socket.request.max.bytes` ends the
//! connection, as in Kafka.

use bytes::{Buf, Bytes, BytesMut};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt};

/// How much to read at a time while a frame is incomplete.
const READ_CHUNK: usize = 64 * 1024;
/// An idle connection gives back buffers larger than this.
const KEEP_CAPACITY: usize = 256 * 1024;

#[derive(Debug, Error)]
pub enum FrameError {
    #[error("frame size {size} is above the limit of {max} bytes")]
    TooLarge { size: i64, max: usize },
    #[error("negative frame size {0}")]
    Negative(i32),
    #[error("connection closed in the middle of a frame ({0} bytes buffered)")]
    Truncated(usize),
    #[error("reading from the socket: {0}")]
    Io(#[from] std::io::Error),
}

pub struct FrameReader {
    buf: BytesMut,
    max: usize,
}

impl FrameReader {
    pub fn new(max: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            max,
        }
    }

    /// The size of the next frame, if its size prefix has arrived.
    fn next_size(&self) -> Result<Option<usize>, FrameError> {
        let Some(prefix) = self.buf.get(..4) else {
            return Ok(None);
        };
        let size = i32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
        if size < 0 {
            return Err(FrameError::Negative(size));
        }
        if size as usize > self.max {
            return Err(FrameError::TooLarge {
                size: i64::from(size),
                max: self.max,
            });
        }
        Ok(Some(size as usize))
    }

    /// Whether a whole frame is already buffered.
    pub fn has_frame(&self) -> bool {
        matches!(self.next_size(), Ok(Some(size)) if self.buf.len() >= 4 + size)
    }

    /// The api key of the next buffered frame, if it has arrived that far.
    pub fn next_api_key(&self) -> Option<i16> {
        let key = self.buf.get(4..6)?;
        Some(i16::from_be_bytes([key[0], key[1]]))
    }

    /// The next frame without its size prefix; `None` at a clean end of stream.
    pub async fn next<R: AsyncRead + Unpin>(
        &mut self,
        reader: &mut R,
    ) -> Result<Option<Bytes>, FrameError> {
        loop {
            if let Some(size) = self.next_size()? {
                if self.buf.len() >= 4 + size {
                    self.buf.advance(4);
                    let frame = self.buf.split_to(size).freeze();
                    if self.buf.is_empty() && self.buf.capacity() > KEEP_CAPACITY {
                        self.buf = BytesMut::new();
                    }
                    return Ok(Some(frame));
                }
                let missing = 4 + size - self.buf.len();
                self.buf.reserve(missing.min(READ_CHUNK));
            } else {
                self.buf.reserve(READ_CHUNK.min(8 * 1024));
            }
            if reader.read_buf(&mut self.buf).await? == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(FrameError::Truncated(self.buf.len()))
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(payloads: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in payloads {
            out.extend_from_slice(&(p.len() as i32).to_be_bytes());
            out.extend_from_slice(p);
        }
        out
    }

    #[tokio::test]
    async fn frames_come_out_whole_and_in_order() {
        let data = framed(&[b"first", b"", b"third"]);
        let mut reader = FrameReader::new(1024);
        let mut input = &data[..];
        assert_eq!(
            &reader.next(&mut input).await.unwrap().unwrap()[..],
            b"first"
        );
        assert!(reader.has_frame());
        assert_eq!(&reader.next(&mut input).await.unwrap().unwrap()[..], b"");
        assert_eq!(
            &reader.next(&mut input).await.unwrap().unwrap()[..],
            b"third"
        );
        assert!(reader.next(&mut input).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn sizes_outside_the_limits_are_errors() {
        let mut reader = FrameReader::new(100);
        let big = 101i32.to_be_bytes();
        assert!(matches!(
            reader.next(&mut &big[..]).await,
            Err(FrameError::TooLarge { .. })
        ));
        let mut reader = FrameReader::new(100);
        let negative = (-5i32).to_be_bytes();
        assert!(matches!(
            reader.next(&mut &negative[..]).await,
            Err(FrameError::Negative(-5))
        ));
    }

    #[tokio::test]
    async fn a_claimed_size_is_not_allocated_up_front() {
        let mut data = (100_000_000i32).to_be_bytes().to_vec();
        data.extend_from_slice(b"just a few bytes");
        let mut reader = FrameReader::new(200_000_000);
        let result = reader.next(&mut &data[..]).await;
        assert!(matches!(result, Err(FrameError::Truncated(20))));
        assert!(
            reader.buf.capacity() <= READ_CHUNK * 2,
            "{}",
            reader.buf.capacity()
        );
    }
}
