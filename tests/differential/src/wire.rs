//! One request over a plain TCP connection, every read and write bounded
//! by a deadline, so a broker that stalls or closes shows up as an outcome
//! and never as a hang.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

/// Responses larger than this are not read (no request here asks for one).
const MAX_RESPONSE: usize = 64 << 20;

pub const CLIENT_ID: &str = "klamm-differential";

/// What came back for one request, before decoding.
pub enum Reply {
    Frame(Bytes),
    /// The broker closed the connection without answering.
    Closed,
    /// Nothing within the wait (acks=0 produce, a stalled broker).
    Silent(Duration),
    /// Connecting or writing failed, or a read failed other than by EOF.
    Failed(String),
}

pub struct Connection {
    stream: TcpStream,
}

impl Connection {
    pub fn open(addr: SocketAddr) -> Result<Self, String> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .map_err(|e| format!("connect {addr}: {e}"))?;
        stream
            .set_write_timeout(Some(Duration::from_secs(5)))
            .and_then(|()| stream.set_nodelay(true))
            .map_err(|e| format!("socket options: {e}"))?;
        Ok(Self { stream })
    }

    /// Sends one frame and waits at most `wait` for the answer to it.
    pub fn exchange(&mut self, frame: &[u8], wait: Duration) -> Reply {
        if let Err(e) = self.stream.write_all(frame) {
            return match e.kind() {
                ErrorKind::BrokenPipe | ErrorKind::ConnectionReset => Reply::Closed,
                _ => Reply::Failed(format!("write: {e}")),
            };
        }
        let deadline = Instant::now() + wait;
        let mut size = [0u8; 4];
        match self.read_exact(&mut size, deadline) {
            ReadEnd::Done => {}
            ReadEnd::Eof(0) => return Reply::Closed,
            ReadEnd::Eof(n) => return Reply::Failed(format!("closed after {n} bytes of a size")),
            ReadEnd::Timeout => return Reply::Silent(wait),
            ReadEnd::Error(e) => return Reply::Failed(e),
        }
        let size = i32::from_be_bytes(size);
        if size < 0 || size as usize > MAX_RESPONSE {
            return Reply::Failed(format!("response frame size {size}"));
        }
        let mut body = vec![0u8; size as usize];
        match self.read_exact(&mut body, deadline) {
            ReadEnd::Done => Reply::Frame(Bytes::from(body)),
            ReadEnd::Eof(n) => Reply::Failed(format!("closed after {n} of {size} bytes")),
            ReadEnd::Timeout => Reply::Failed(format!("response of {size} bytes cut off")),
            ReadEnd::Error(e) => Reply::Failed(e),
        }
    }

    fn read_exact(&mut self, buf: &mut [u8], deadline: Instant) -> ReadEnd {
        let mut filled = 0;
        while filled < buf.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return ReadEnd::Timeout;
            }
            if let Err(e) = self.stream.set_read_timeout(Some(left)) {
                return ReadEnd::Error(format!("set timeout: {e}"));
            }
            match self.stream.read(&mut buf[filled..]) {
                Ok(0) => return ReadEnd::Eof(filled),
                Ok(n) => filled += n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return ReadEnd::Timeout
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return ReadEnd::Eof(filled),
                Err(e) => return ReadEnd::Error(format!("read: {e}")),
            }
        }
        ReadEnd::Done
    }
}

enum ReadEnd {
    Done,
    Eof(usize),
    Timeout,
    Error(String),
}

/// A request frame: size, header, body. `header_tag` adds an unknown tagged
/// field to a flexible header.
pub fn frame(
    api: ApiKey,
    version: i16,
    correlation_id: i32,
    body: &[u8],
    header_tag: bool,
) -> Result<Vec<u8>, String> {
    let mut header = RequestHeader::default()
        .with_request_api_key(api as i16)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str(CLIENT_ID)));
    let header_version = api.request_header_version(version);
    if header_tag {
        if header_version < 2 {
            return Err(format!("header v{header_version} has no tagged fields"));
        }
        header
            .unknown_tagged_fields
            .insert(UNKNOWN_TAG, Bytes::from_static(UNKNOWN_TAG_DATA));
    }
    let mut out = BytesMut::new();
    out.put_i32(0);
    header
        .encode(&mut out, header_version)
        .map_err(|e| format!("header: {e}"))?;
    out.put_slice(body);
    let size = (out.len() - 4) as i32;
    out[..4].copy_from_slice(&size.to_be_bytes());
    Ok(out.to_vec())
}

/// The tag and bytes of the unknown tagged field the corpus adds; a tag no
/// message of Kafka 4.x defines.
pub const UNKNOWN_TAG: i32 = 99;
pub const UNKNOWN_TAG_DATA: &[u8] = b"\xca\xfe";

/// Adds an unknown tagged field to the top level of a flexible body that
/// has none: its last byte, the tagged-field count, is 0.
pub fn with_unknown_tag(body: &[u8]) -> Result<Vec<u8>, String> {
    match body.split_last() {
        Some((0, rest)) => {
            let mut out = rest.to_vec();
            out.extend_from_slice(&[1, UNKNOWN_TAG as u8, UNKNOWN_TAG_DATA.len() as u8]);
            out.extend_from_slice(UNKNOWN_TAG_DATA);
            Ok(out)
        }
        _ => Err("the body does not end in an empty tagged-field section".into()),
    }
}

/// Strips the response header, checking it answers `correlation_id`.
pub fn response_body(
    mut frame: Bytes,
    api: ApiKey,
    version: i16,
    correlation_id: i32,
) -> Result<Bytes, String> {
    let header = ResponseHeader::decode(&mut frame, api.response_header_version(version))
        .map_err(|e| format!("response header: {e}"))?;
    if header.correlation_id != correlation_id {
        return Err(format!(
            "correlation id {} answers request {correlation_id}",
            header.correlation_id
        ));
    }
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    #[test]
    fn an_unknown_tag_replaces_the_empty_tag_section() {
        assert_eq!(
            with_unknown_tag(&[5, 6, 0]).expect("adds"),
            vec![5, 6, 1, 99, 2, 0xca, 0xfe]
        );
        assert!(with_unknown_tag(&[5, 6, 1]).is_err());
        assert!(with_unknown_tag(&[]).is_err());
    }

    #[test]
    fn frames_carry_their_size_and_header() {
        let frame = frame(ApiKey::Metadata, 12, 7, &[0xaa], false).expect("frames");
        let size = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize;
        assert_eq!(size, frame.len() - 4);
        assert_eq!(&frame[4..8], &[0, 3, 0, 12]);
        assert_eq!(&frame[8..12], &7i32.to_be_bytes());
        assert_eq!(frame.last(), Some(&0xaa));
        assert!(super::frame(ApiKey::Metadata, 1, 1, &[], true).is_err());
    }

    /// A peer that reads the request and then does `then`.
    fn peer(then: fn(TcpStream)) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 8];
                let _ = s.read(&mut buf);
                then(s);
            }
        });
        addr
    }

    #[test]
    fn a_silent_peer_is_an_outcome_within_the_wait() {
        let addr = peer(|s| {
            thread::sleep(Duration::from_secs(3));
            drop(s);
        });
        let mut c = Connection::open(addr).expect("connects");
        let start = Instant::now();
        assert!(matches!(
            c.exchange(b"12345678", Duration::from_millis(200)),
            Reply::Silent(_)
        ));
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_closing_peer_and_a_framed_answer() {
        let addr = peer(drop);
        let mut c = Connection::open(addr).expect("connects");
        assert!(matches!(
            c.exchange(b"12345678", Duration::from_secs(2)),
            Reply::Closed
        ));
        let addr = peer(|mut s| {
            let _ = s.write_all(&[0, 0, 0, 2, 9, 9]);
            thread::sleep(Duration::from_millis(500));
        });
        let mut c = Connection::open(addr).expect("connects");
        match c.exchange(b"12345678", Duration::from_secs(2)) {
            Reply::Frame(f) => assert_eq!(&f[..], &[9, 9]),
            _ => panic!("expected a frame"),
        }
        let addr = peer(|mut s| {
            let _ = s.write_all(&[0x7f, 0, 0, 0]);
        });
        let mut c = Connection::open(addr).expect("connects");
        assert!(matches!(
            c.exchange(b"12345678", Duration::from_secs(2)),
            Reply::Failed(_)
        ));
    }
}
