//! One Kafka connection, as a load generator needs it: requests written
//! back to back (pipelined), answers read in the order they were sent, and
//! pre-encoded request frames sent with only their correlation id patched,
//! so the tool spends its time on the wire and not on encoding.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, Request, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use crate::error::BenchError;

const CLIENT_ID: &str = "klamm-bench";
/// Where the correlation id sits in a request frame: after the size
/// prefix, the api key and the api version.
const CORRELATION_AT: usize = 8;
/// Answers larger than this are refused: a broker sending more is broken.
const MAX_RESPONSE: usize = 256 << 20;

/// A request encoded once and sent many times.
#[derive(Clone)]
pub struct Frame {
    bytes: Bytes,
    pub api_key: ApiKey,
    pub version: i16,
}

/// Encodes `request` as a whole frame (size prefix included).
pub fn encode<R: Request>(version: i16, request: &R) -> Result<Frame, BenchError> {
    let key = ApiKey::try_from(R::KEY)
        .map_err(|_| BenchError::Protocol(format!("api key {}", R::KEY)))?;
    let header = RequestHeader::default()
        .with_request_api_key(R::KEY)
        .with_request_api_version(version)
        .with_client_id(Some(StrBytes::from_static_str(CLIENT_ID)));
    let mut body = BytesMut::with_capacity(64);
    body.put_i32(0);
    header
        .encode(&mut body, key.request_header_version(version))
        .map_err(|e| BenchError::Protocol(format!("{key:?} header: {e}")))?;
    request
        .encode(&mut body, version)
        .map_err(|e| BenchError::Protocol(format!("{key:?} v{version}: {e}")))?;
    let size = (body.len() - 4) as i32;
    body[..4].copy_from_slice(&size.to_be_bytes());
    Ok(Frame {
        bytes: body.freeze(),
        api_key: key,
        version,
    })
}

/// The sending half: frames written back to back.
pub struct Sender {
    writer: BufWriter<OwnedWriteHalf>,
    next_correlation: i32,
}

/// The receiving half: answers in the order their requests were written.
pub struct Receiver {
    reader: BufReader<OwnedReadHalf>,
}

pub struct Connection {
    sender: Sender,
    receiver: Receiver,
}

impl Sender {
    /// Queues a frame (with a fresh correlation id); `flush` sends it.
    pub async fn write(&mut self, frame: &Frame) -> Result<(), BenchError> {
        let id = self.next_correlation;
        self.next_correlation = self.next_correlation.wrapping_add(1);
        let bytes = &frame.bytes;
        self.writer.write_all(&bytes[..CORRELATION_AT]).await?;
        self.writer.write_all(&id.to_be_bytes()).await?;
        self.writer.write_all(&bytes[CORRELATION_AT + 4..]).await?;
        Ok(())
    }

    pub async fn flush(&mut self) -> Result<(), BenchError> {
        Ok(self.writer.flush().await?)
    }
}

impl Receiver {
    /// Reads the next answer's body (after its header).
    pub async fn read_raw(&mut self, key: ApiKey, version: i16) -> Result<Bytes, BenchError> {
        let size = self.reader.read_i32().await?;
        let size = usize::try_from(size)
            .ok()
            .filter(|s| *s <= MAX_RESPONSE)
            .ok_or_else(|| BenchError::Protocol(format!("{key:?}: response size {size}")))?;
        let mut body = vec![0u8; size];
        self.reader.read_exact(&mut body).await?;
        let mut body = Bytes::from(body);
        ResponseHeader::decode(&mut body, key.response_header_version(version))
            .map_err(|e| BenchError::Protocol(format!("{key:?} response header: {e}")))?;
        Ok(body)
    }

    /// Reads and decodes the next answer.
    pub async fn read<R: Request>(&mut self, frame: &Frame) -> Result<R::Response, BenchError> {
        let mut body = self.read_raw(frame.api_key, frame.version).await?;
        R::Response::decode(&mut body, frame.version).map_err(|e| {
            BenchError::Protocol(format!("{:?} v{}: {e}", frame.api_key, frame.version))
        })
    }
}

impl Connection {
    pub async fn connect(address: &str) -> Result<Self, BenchError> {
        let stream = TcpStream::connect(address)
            .await
            .map_err(|e| BenchError::Connect {
                address: address.to_string(),
                source: e,
            })?;
        stream.set_nodelay(true).map_err(BenchError::Io)?;
        let (reader, writer) = stream.into_split();
        Ok(Self {
            sender: Sender {
                writer: BufWriter::with_capacity(1 << 20, writer),
                next_correlation: 1,
            },
            receiver: Receiver {
                reader: BufReader::with_capacity(1 << 20, reader),
            },
        })
    }

    /// The halves, for a writer and a reader running side by side.
    pub fn split(self) -> (Sender, Receiver) {
        (self.sender, self.receiver)
    }

    pub async fn write(&mut self, frame: &Frame) -> Result<(), BenchError> {
        self.sender.write(frame).await
    }

    pub async fn flush(&mut self) -> Result<(), BenchError> {
        self.sender.flush().await
    }

    pub async fn read<R: Request>(&mut self, frame: &Frame) -> Result<R::Response, BenchError> {
        self.receiver.read::<R>(frame).await
    }

    /// One request, one answer.
    pub async fn call<R: Request>(
        &mut self,
        version: i16,
        request: &R,
    ) -> Result<R::Response, BenchError> {
        let frame = encode(version, request)?;
        self.write(&frame).await?;
        self.flush().await?;
        self.read::<R>(&frame).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::ApiVersionsRequest;

    #[test]
    fn the_correlation_id_sits_where_frames_are_patched() {
        let frame = encode(3, &ApiVersionsRequest::default()).expect("encodes");
        let mut body = frame.bytes.slice(4..);
        let header = RequestHeader::decode(&mut body, 2).expect("header");
        assert_eq!(header.correlation_id, 0);
        assert_eq!(
            &frame.bytes[CORRELATION_AT..CORRELATION_AT + 4],
            &[0, 0, 0, 0]
        );
        assert_eq!(
            i32::from_be_bytes(frame.bytes[..4].try_into().unwrap()) as usize,
            frame.bytes.len() - 4
        );
    }
}
