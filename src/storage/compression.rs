//! Decompressing a batch's records so they can be validated.
//!
//! Compressed batches are stored exactly as sent; decompression happens only
//! to check the records inside (the way Kafka's broker does) and to find a
//! record by timestamp. Each codec follows the framing Kafka clients use.

use std::io::{self, BufRead, BufReader, Cursor, Read};

use super::batch::Compression;

/// The header Java clients (xerial snappy-java) put before snappy blocks.
const XERIAL_MAGIC: &[u8] = &[0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
const XERIAL_HEADER_LEN: usize = 16;
/// The most one byte of a snappy block can expand to: its densest element
/// is a 3-byte copy of 64 bytes. The decoder allocates the length a block
/// claims before reading it, so a claim beyond this is refused unread.
const SNAPPY_MAX_EXPANSION: usize = 22;

/// A reader that yields the decompressed records of `data`.
pub fn decompressor<'a>(
    codec: Compression,
    data: &'a [u8],
    limit: u64,
) -> io::Result<Box<dyn BufRead + 'a>> {
    Ok(match codec {
        Compression::None => Box::new(data),
        Compression::Gzip => Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(data))),
        Compression::Snappy => Box::new(BufReader::new(SnappyReader::new(data, limit)?)),
        Compression::Lz4 => Box::new(BufReader::new(lz4_flex::frame::FrameDecoder::new(data))),
        Compression::Zstd => Box::new(BufReader::new(zstd::stream::read::Decoder::with_buffer(
            data,
        )?)),
    })
}

/// Snappy as Kafka clients write it: either one raw block (librdkafka) or
/// xerial framing, a 16-byte header followed by length-prefixed raw blocks.
struct SnappyReader<'a> {
    rest: &'a [u8],
    framed: bool,
    block: Cursor<Vec<u8>>,
    limit: u64,
}

impl<'a> SnappyReader<'a> {
    fn new(data: &'a [u8], limit: u64) -> io::Result<Self> {
        let framed = data.starts_with(XERIAL_MAGIC);
        let rest = if framed {
            data.get(XERIAL_HEADER_LEN..)
                .ok_or_else(|| invalid("short xerial header"))?
        } else {
            data
        };
        let mut reader = Self {
            rest,
            framed,
            block: Cursor::new(Vec::new()),
            limit,
        };
        if !framed {
            let raw = std::mem::take(&mut reader.rest);
            reader.block = Cursor::new(reader.decompress_block(raw)?);
        }
        Ok(reader)
    }

    fn decompress_block(&self, block: &[u8]) -> io::Result<Vec<u8>> {
        let len = snap::raw::decompress_len(block).map_err(|e| invalid(&e.to_string()))?;
        if len as u64 > self.limit {
            return Err(invalid("snappy block larger than the decompression limit"));
        }
        if len > block.len().saturating_mul(SNAPPY_MAX_EXPANSION) {
            return Err(invalid("snappy block claims more than its bytes can hold"));
        }
        snap::raw::Decoder::new()
            .decompress_vec(block)
            .map_err(|e| invalid(&e.to_string()))
    }

    fn next_framed_block(&mut self) -> io::Result<bool> {
        if self.rest.is_empty() {
            return Ok(false);
        }
        let len_bytes: [u8; 4] = self
            .rest
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| invalid("truncated xerial block length"))?;
        let len = u32::from_be_bytes(len_bytes) as usize;
        let block = self
            .rest
            .get(4..4 + len)
            .ok_or_else(|| invalid("truncated xerial block"))?;
        self.rest = &self.rest[4 + len..];
        self.block = Cursor::new(self.decompress_block(block)?);
        Ok(true)
    }
}

impl Read for SnappyReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.block.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            if !self.framed || !self.next_framed_block()? {
                return Ok(0);
            }
        }
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const TEXT: &[u8] = b"the quick brown fox jumps over the lazy dog, again and again and again";

    fn read_all(codec: Compression, data: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decompressor(codec, data, 1 << 20)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn every_codec_round_trips() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(TEXT).unwrap();
        assert_eq!(
            read_all(Compression::Gzip, &gz.finish().unwrap()).unwrap(),
            TEXT
        );

        let raw = snap::raw::Encoder::new().compress_vec(TEXT).unwrap();
        assert_eq!(read_all(Compression::Snappy, &raw).unwrap(), TEXT);

        let mut xerial = XERIAL_MAGIC.to_vec();
        xerial.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1]);
        xerial.extend_from_slice(&(raw.len() as u32).to_be_bytes());
        xerial.extend_from_slice(&raw);
        xerial.extend_from_slice(&(raw.len() as u32).to_be_bytes());
        xerial.extend_from_slice(&raw);
        let mut twice = TEXT.to_vec();
        twice.extend_from_slice(TEXT);
        assert_eq!(read_all(Compression::Snappy, &xerial).unwrap(), twice);

        let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
        lz4.write_all(TEXT).unwrap();
        assert_eq!(
            read_all(Compression::Lz4, &lz4.finish().unwrap()).unwrap(),
            TEXT
        );

        let zstd = zstd::stream::encode_all(TEXT, 3).unwrap();
        assert_eq!(read_all(Compression::Zstd, &zstd).unwrap(), TEXT);
    }

    #[test]
    fn garbage_does_not_decompress() {
        let garbage = [0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8];
        for codec in [
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            assert!(
                read_all(codec, &garbage).is_err(),
                "{codec:?} accepted garbage"
            );
        }
    }

    #[test]
    fn snappy_refuses_claims_its_bytes_cannot_hold() {
        // A 6-byte block claiming 2^28 bytes: refused before anything is allocated.
        let block = [0x80, 0x80, 0x80, 0x80, 0x01, 0x00];
        assert_eq!(snap::raw::decompress_len(&block).unwrap(), 1 << 28);
        let err = decompressor(Compression::Snappy, &block, 1 << 30)
            .err()
            .unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);

        let zeros = vec![0u8; 1 << 20];
        let dense = snap::raw::Encoder::new().compress_vec(&zeros).unwrap();
        assert!(dense.len() * SNAPPY_MAX_EXPANSION >= zeros.len());
        assert_eq!(
            read_all_limited(&dense, 1 << 21).unwrap().len(),
            zeros.len()
        );
    }

    fn read_all_limited(raw: &[u8], limit: u64) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decompressor(Compression::Snappy, raw, limit)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn snappy_refuses_blocks_above_the_limit() {
        let big = vec![0u8; 4096];
        let raw = snap::raw::Encoder::new().compress_vec(&big).unwrap();
        let err = decompressor(Compression::Snappy, &raw, 100).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
