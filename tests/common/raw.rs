//! A minimal Kafka client over a plain socket, for requests no client library
//! would send: hand-built batches, lying lengths, unknown keys, every version
//! of every API.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};

pub struct RawClient {
    stream: TcpStream,
    correlation_id: i32,
}

impl RawClient {
    pub fn connect(bootstrap: &str) -> Self {
        Self::try_connect(bootstrap).expect("connect")
    }

    /// Like `connect`, but an error if nothing listens there (a broker that
    /// was just killed).
    pub fn try_connect(bootstrap: &str) -> std::io::Result<Self> {
        let stream = TcpStream::connect(bootstrap)?;
        stream.set_read_timeout(Some(Duration::from_secs(15)))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            correlation_id: 0,
        })
    }

    /// Encodes a request frame (size, header, body).
    pub fn frame<R: Request>(&mut self, version: i16, request: &R) -> Vec<u8> {
        self.correlation_id += 1;
        let key = ApiKey::try_from(R::KEY).expect("known api key");
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("klamm-raw-test")));
        let mut body = BytesMut::new();
        header
            .encode(&mut body, key.request_header_version(version))
            .expect("header encodes");
        request.encode(&mut body, version).expect("request encodes");
        let mut frame = Vec::with_capacity(body.len() + 4);
        frame.extend_from_slice(&(body.len() as i32).to_be_bytes());
        frame.extend_from_slice(&body);
        frame
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Reads one response frame; `None` if the broker closed the connection.
    pub fn read_frame(&mut self) -> Option<Bytes> {
        let mut size = [0u8; 4];
        self.stream.read_exact(&mut size).ok()?;
        let mut body = vec![0u8; i32::from_be_bytes(size) as usize];
        self.stream.read_exact(&mut body).ok()?;
        Some(Bytes::from(body))
    }

    /// Sends a request and decodes its response.
    pub fn send<R: Request>(&mut self, version: i16, request: &R) -> R::Response {
        self.try_send(version, request).unwrap_or_else(|| {
            panic!(
                "api key {} v{version}: the broker closed the connection",
                R::KEY
            )
        })
    }

    /// Like `send`, but `None` if the broker closed the connection.
    pub fn try_send<R: Request>(&mut self, version: i16, request: &R) -> Option<R::Response> {
        let frame = self.frame(version, request);
        self.stream.write_all(&frame).ok()?;
        let mut response = self.read_frame()?;
        let header = ResponseHeader::decode(&mut response, R::Response::header_version(version))
            .expect("header");
        assert_eq!(
            header.correlation_id, self.correlation_id,
            "responses come back in order"
        );
        let decoded = R::Response::decode(&mut response, version).expect("response decodes");
        assert_eq!(
            response.remaining(),
            0,
            "api key {} v{version}: bytes left after the response",
            R::KEY
        );
        Some(decoded)
    }

    /// Sends a body written by hand (a version kafka-protocol cannot write)
    /// under a proper header; the response body after its header, or `None`
    /// if the broker closed the connection.
    #[allow(dead_code)]
    pub fn send_body(&mut self, key: ApiKey, version: i16, body: &[u8]) -> Option<Bytes> {
        self.correlation_id += 1;
        let header = RequestHeader::default()
            .with_request_api_key(key as i16)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("klamm-raw-test")));
        let mut frame = BytesMut::new();
        header
            .encode(&mut frame, key.request_header_version(version))
            .expect("header encodes");
        frame.put_slice(body);
        let mut sized = (frame.len() as i32).to_be_bytes().to_vec();
        sized.extend_from_slice(&frame);
        self.stream.write_all(&sized).ok()?;
        let mut response = self.read_frame()?;
        let header = ResponseHeader::decode(&mut response, key.response_header_version(version))
            .expect("header");
        assert_eq!(header.correlation_id, self.correlation_id);
        Some(response)
    }

    /// Whether the broker closed the connection (reads EOF within the timeout).
    pub fn is_closed(&mut self) -> bool {
        self.stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut byte = [0u8; 1];
        match self.stream.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    }
}

/// A frame with this size prefix and these bytes after it, whatever they say.
pub fn raw_frame(size: i32, payload: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::with_capacity(4 + payload.len());
    out.put_i32(size);
    out.put_slice(payload);
    out.to_vec()
}

/// An acks=all produce request carrying `records` to `topic`-0.
pub fn produce_request(topic: &str, records: Bytes) -> kafka_protocol::messages::ProduceRequest {
    use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    kafka_protocol::messages::ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(10_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(kafka_protocol::messages::TopicName(StrBytes::from_string(
                topic.to_string(),
            )))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(records))])])
}
