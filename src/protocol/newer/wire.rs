//! The few primitives the hand-written versions need, in their flexible
//! (compact) encodings: every version in this module is flexible.
//! kafka-protocol keeps its own readers and writers private.

use anyhow::{bail, Result};
use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

/// Reads a flexible body; every read checks what remains.
pub(crate) struct Reader<'a, B: Buf> {
    buf: &'a mut B,
}

impl<'a, B: Buf> Reader<'a, B> {
    pub fn new(buf: &'a mut B) -> Self {
        Self { buf }
    }

    fn need(&self, bytes: usize, what: &str) -> Result<()> {
        if self.buf.remaining() < bytes {
            bail!(
                "{what} needs {bytes} bytes, {} remain",
                self.buf.remaining()
            );
        }
        Ok(())
    }

    pub fn bool(&mut self) -> Result<bool> {
        self.need(1, "a boolean")?;
        Ok(self.buf.get_u8() != 0)
    }

    pub fn i32(&mut self) -> Result<i32> {
        self.need(4, "an int32")?;
        Ok(self.buf.get_i32())
    }

    pub fn i64(&mut self) -> Result<i64> {
        self.need(8, "an int64")?;
        Ok(self.buf.get_i64())
    }

    pub fn uuid(&mut self) -> Result<Uuid> {
        self.need(16, "a uuid")?;
        let mut bytes = [0u8; 16];
        self.buf.copy_to_slice(&mut bytes);
        Ok(Uuid::from_bytes(bytes))
    }

    pub fn uvarint(&mut self) -> Result<u32> {
        let mut value: u32 = 0;
        for i in 0..5 {
            self.need(1, "a varint")?;
            let byte = self.buf.get_u8();
            value |= u32::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        bail!("varint longer than 5 bytes")
    }

    /// A compact length: None for null.
    fn length(&mut self) -> Result<Option<usize>> {
        Ok(match self.uvarint()? {
            0 => None,
            n => Some(n as usize - 1),
        })
    }

    pub fn nullable_string(&mut self) -> Result<Option<StrBytes>> {
        let Some(len) = self.length()? else {
            return Ok(None);
        };
        self.need(len, "a string")?;
        let bytes = self.buf.copy_to_bytes(len);
        Ok(Some(StrBytes::from_utf8(bytes)?))
    }

    pub fn string(&mut self) -> Result<StrBytes> {
        match self.nullable_string()? {
            Some(s) => Ok(s),
            None => bail!("null where a string is required"),
        }
    }

    /// The element count of a compact array that may be null. Each element
    /// takes at least one byte, so a count larger than what remains is an
    /// error before anything is reserved for it.
    pub fn nullable_array_len(&mut self) -> Result<Option<usize>> {
        let len = self.length()?;
        if let Some(n) = len {
            self.need(n, "an array")?;
        }
        Ok(len)
    }

    pub fn array_len(&mut self) -> Result<usize> {
        match self.nullable_array_len()? {
            Some(n) => Ok(n),
            None => bail!("null where an array is required"),
        }
    }

    /// Skips a tag section: these versions define no tagged fields, and
    /// unknown ones are ignored as Kafka ignores them.
    pub fn tags(&mut self) -> Result<()> {
        let count = self.uvarint()?;
        for _ in 0..count {
            self.uvarint()?;
            let size = self.uvarint()? as usize;
            self.need(size, "a tagged field")?;
            self.buf.advance(size);
        }
        Ok(())
    }
}

/// Writes a flexible body.
#[derive(Default)]
pub(crate) struct Writer {
    out: BytesMut,
}

impl Writer {
    pub fn len(&self) -> usize {
        self.out.len()
    }

    pub fn into_bytes(self) -> Bytes {
        self.out.freeze()
    }

    pub fn bool(&mut self, value: bool) {
        self.out.put_u8(u8::from(value));
    }

    pub fn i16(&mut self, value: i16) {
        self.out.put_i16(value);
    }

    pub fn i32(&mut self, value: i32) {
        self.out.put_i32(value);
    }

    pub fn i64(&mut self, value: i64) {
        self.out.put_i64(value);
    }

    pub fn uvarint(&mut self, mut value: u32) {
        while value >= 0x80 {
            self.out.put_u8((value as u8) | 0x80);
            value >>= 7;
        }
        self.out.put_u8(value as u8);
    }

    fn length(&mut self, len: usize) -> Result<()> {
        match u32::try_from(len) {
            Ok(n) if n < u32::MAX => {
                self.uvarint(n + 1);
                Ok(())
            }
            _ => bail!("{len} is too long to encode"),
        }
    }

    pub fn string(&mut self, value: &str) -> Result<()> {
        self.length(value.len())?;
        self.out.put_slice(value.as_bytes());
        Ok(())
    }

    pub fn nullable_string(&mut self, value: Option<&str>) -> Result<()> {
        match value {
            Some(s) => self.string(s),
            None => {
                self.uvarint(0);
                Ok(())
            }
        }
    }

    pub fn array_len(&mut self, len: usize) -> Result<()> {
        self.length(len)
    }

    /// An empty tag section: klamm sends no tagged fields in these versions.
    pub fn tags(&mut self) {
        self.uvarint(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back() {
        let mut w = Writer::default();
        w.bool(true);
        w.i32(70_000);
        w.i64(-1);
        w.uvarint(300);
        w.string("topic").unwrap();
        w.nullable_string(None).unwrap();
        w.array_len(2).unwrap();
        w.tags();
        let mut bytes = w.into_bytes();
        let mut r = Reader::new(&mut bytes);
        assert!(r.bool().unwrap());
        assert_eq!(r.i32().unwrap(), 70_000);
        assert_eq!(r.i64().unwrap(), -1);
        assert_eq!(r.uvarint().unwrap(), 300);
        assert_eq!(&*r.string().unwrap(), "topic");
        assert_eq!(r.nullable_string().unwrap(), None);
        // An array of two needs two bytes behind its count: only the tag
        // section's one is left.
        assert!(r.array_len().is_err());
    }

    #[test]
    fn short_and_lying_input_is_an_error() {
        let mut short = Bytes::from_static(&[0, 1]);
        assert!(Reader::new(&mut short).i32().is_err());
        let mut lying = Bytes::from_static(&[0xff, 0xff, 0xff, 0x7f]);
        assert!(Reader::new(&mut lying).string().is_err());
        let mut endless = Bytes::from_static(&[0xff; 6]);
        assert!(Reader::new(&mut endless).uvarint().is_err());
        let mut tag = Bytes::from_static(&[1, 0, 9, 1]);
        assert!(Reader::new(&mut tag).tags().is_err());
    }
}
