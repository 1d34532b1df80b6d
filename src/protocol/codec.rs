//! Request headers in, response frames out.
//!
//! The header is parsed here rather than by kafka-protocol so that a short
//! or lying header cannot make the decoder index out of bounds, and so the
//! api key and version can be checked before any body is looked at.

use bytes::{BufMut, Bytes};

use super::response_frame::{ResponseFrame, SplicingBuf};
use kafka_protocol::messages::ResponseHeader;
use kafka_protocol::protocol::{Encodable, HeaderVersion};
use thiserror::Error;

/// The fixed start of every request: api key, version, correlation id.
pub const FIXED_HEADER_LEN: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHeader {
    pub api_key: i16,
    pub api_version: i16,
    pub correlation_id: i32,
    pub client_id: Option<String>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum HeaderError {
    #[error("frame of {0} bytes is too short for a request header")]
    TooShort(usize),
    #[error("client id length {0} is invalid")]
    BadClientId(i16),
    #[error("client id runs past the end of the frame")]
    ClientIdTruncated,
    #[error("header tagged fields are malformed")]
    BadTaggedFields,
}

/// The api key, version and correlation id, readable from any frame of at
/// least 8 bytes whatever its version.
pub fn peek(frame: &[u8]) -> Option<(i16, i16, i32)> {
    let fixed = frame.get(..FIXED_HEADER_LEN)?;
    Some((
        i16::from_be_bytes([fixed[0], fixed[1]]),
        i16::from_be_bytes([fixed[2], fixed[3]]),
        i32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
    ))
}

fn read_uvarint(buf: &[u8], pos: &mut usize) -> Option<u32> {
    let mut value: u32 = 0;
    for i in 0..5 {
        let byte = *buf.get(*pos)?;
        *pos += 1;
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Parses a request header (v1, or v2 when `flexible`); returns it and the
/// offset where the body starts.
pub fn parse_header(frame: &[u8], flexible: bool) -> Result<(RequestHeader, usize), HeaderError> {
    let (api_key, api_version, correlation_id) =
        peek(frame).ok_or(HeaderError::TooShort(frame.len()))?;
    let mut pos = FIXED_HEADER_LEN;
    let len_bytes = frame
        .get(pos..pos + 2)
        .ok_or(HeaderError::TooShort(frame.len()))?;
    let len = i16::from_be_bytes([len_bytes[0], len_bytes[1]]);
    pos += 2;
    let client_id = match len {
        -1 => None,
        n if n >= 0 => {
            let bytes = frame
                .get(pos..pos + n as usize)
                .ok_or(HeaderError::ClientIdTruncated)?;
            pos += n as usize;
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
        n => return Err(HeaderError::BadClientId(n)),
    };
    if flexible {
        let count = read_uvarint(frame, &mut pos).ok_or(HeaderError::BadTaggedFields)?;
        for _ in 0..count {
            read_uvarint(frame, &mut pos).ok_or(HeaderError::BadTaggedFields)?;
            let size = read_uvarint(frame, &mut pos).ok_or(HeaderError::BadTaggedFields)? as usize;
            if frame.len() - pos < size {
                return Err(HeaderError::BadTaggedFields);
            }
            pos += size;
        }
    }
    Ok((
        RequestHeader {
            api_key,
            api_version,
            correlation_id,
            client_id,
        },
        pos,
    ))
}

/// kafka-protocol reports encode failures as `anyhow::Error`; only the
/// message is kept.
#[derive(Debug, Error)]
#[error("response could not be encoded: {0}")]
pub struct EncodeError(String);

fn encode_error(e: impl std::fmt::Display) -> EncodeError {
    EncodeError(e.to_string())
}

/// A whole response frame (size, response header, body) that references
/// `payloads` (record sets the response holds) where the encoder writes
/// them, instead of copying them.
pub(crate) fn encode_response<R: Encodable + HeaderVersion>(
    correlation_id: i32,
    version: i16,
    response: &R,
    payloads: Vec<Bytes>,
) -> Result<ResponseFrame, EncodeError> {
    let header_version = R::header_version(version);
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let size = header.compute_size(header_version).map_err(encode_error)?
        + response.compute_size(version).map_err(encode_error)?;
    let mut buf = SplicingBuf::new(4 + size, payloads);
    buf.put_i32(size as i32);
    header
        .encode(&mut buf, header_version)
        .map_err(encode_error)?;
    response.encode(&mut buf, version).map_err(encode_error)?;
    Ok(buf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(client_id: Option<&str>, tagged: &[u8]) -> Vec<u8> {
        let mut frame = vec![0, 3, 0, 12, 0, 0, 0, 42];
        match client_id {
            Some(id) => {
                frame.extend_from_slice(&(id.len() as i16).to_be_bytes());
                frame.extend_from_slice(id.as_bytes());
            }
            None => frame.extend_from_slice(&(-1i16).to_be_bytes()),
        }
        frame.extend_from_slice(tagged);
        frame
    }

    #[test]
    fn headers_v1_and_v2() {
        let (h, body) = parse_header(&header(Some("app"), &[]), false).unwrap();
        assert_eq!((h.api_key, h.api_version, h.correlation_id), (3, 12, 42));
        assert_eq!(h.client_id.as_deref(), Some("app"));
        assert_eq!(body, 13);
        let (h, body) = parse_header(&header(None, &[1, 5, 2, 9, 9]), true).unwrap();
        assert_eq!(h.client_id, None);
        assert_eq!(body, 15);
    }

    #[test]
    fn lying_headers_are_errors_not_panics() {
        assert_eq!(parse_header(&[0, 1], false), Err(HeaderError::TooShort(2)));
        let mut lying = header(Some("app"), &[]);
        lying[9] = 50;
        assert_eq!(
            parse_header(&lying, false),
            Err(HeaderError::ClientIdTruncated)
        );
        assert!(parse_header(&header(None, &[1, 5, 200]), true).is_err());
        assert!(parse_header(&header(None, &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), true).is_err());
    }
}
