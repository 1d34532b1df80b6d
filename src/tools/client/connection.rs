//! One TCP connection to one broker: frames requests, matches responses by
//! correlation id, and knows which versions of each API the broker serves
//! (from ApiVersions v0, which every broker answers).

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::tools::error::ToolError;

/// How long connecting and each request may take (a long-poll fetch waits
/// less than this).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Responses larger than this are refused rather than allocated.
const MAX_RESPONSE: usize = 256 << 20;

pub struct Connection {
    stream: TcpStream,
    address: String,
    next_correlation_id: i32,
    /// (api key, min, max) the broker serves.
    versions: Vec<(i16, i16, i16)>,
}

fn api_name(key: i16) -> &'static str {
    ApiKey::try_from(key).map_or("an unknown API", |k| match k {
        ApiKey::Produce => "Produce",
        ApiKey::Fetch => "Fetch",
        ApiKey::ListOffsets => "ListOffsets",
        ApiKey::Metadata => "Metadata",
        ApiKey::ApiVersions => "ApiVersions",
        ApiKey::CreateTopics => "CreateTopics",
        ApiKey::DeleteTopics => "DeleteTopics",
        ApiKey::FindCoordinator => "FindCoordinator",
        ApiKey::JoinGroup => "JoinGroup",
        ApiKey::SyncGroup => "SyncGroup",
        ApiKey::Heartbeat => "Heartbeat",
        ApiKey::LeaveGroup => "LeaveGroup",
        ApiKey::OffsetCommit => "OffsetCommit",
        ApiKey::OffsetFetch => "OffsetFetch",
        ApiKey::ListGroups => "ListGroups",
        ApiKey::DescribeGroups => "DescribeGroups",
        ApiKey::DeleteGroups => "DeleteGroups",
        ApiKey::DescribeConfigs => "DescribeConfigs",
        ApiKey::IncrementalAlterConfigs => "IncrementalAlterConfigs",
        _ => "a Kafka API",
    })
}

impl Connection {
    /// Connects and asks which API versions the broker serves.
    pub async fn open(address: &str) -> Result<Connection, ToolError> {
        let failed = |reason: String| ToolError::Connection {
            address: address.to_string(),
            reason,
        };
        let stream = tokio::time::timeout(REQUEST_TIMEOUT, TcpStream::connect(address))
            .await
            .map_err(|_| failed("connection timed out".into()))?
            .map_err(|e| failed(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let mut connection = Connection {
            stream,
            address: address.to_string(),
            next_correlation_id: 1,
            versions: vec![(ApiKey::ApiVersions as i16, 0, 0)],
        };
        let response: ApiVersionsResponse =
            connection.call(0, &ApiVersionsRequest::default()).await?;
        ToolError::check(response.error_code, None, || {
            format!("ApiVersions to {address}")
        })?;
        connection.versions = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, k.min_version, k.max_version))
            .collect();
        Ok(connection)
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    /// The highest version of `R` both sides speak, at most `preferred`
    /// and at least `lowest` (the oldest the tools know how to fill in).
    pub fn version<R: Request>(&self, lowest: i16, preferred: i16) -> Result<i16, ToolError> {
        let unsupported = || ToolError::Unsupported {
            address: self.address.clone(),
            api: api_name(R::KEY),
            min: lowest,
            max: preferred,
        };
        let &(_, min, max) = self
            .versions
            .iter()
            .find(|(key, _, _)| *key == R::KEY)
            .ok_or_else(unsupported)?;
        let version = preferred.min(max).min(R::VERSIONS.max);
        if version < lowest || version < min {
            return Err(unsupported());
        }
        Ok(version)
    }

    /// Sends a request and waits for its response.
    pub async fn call<R: Request>(
        &mut self,
        version: i16,
        request: &R,
    ) -> Result<R::Response, ToolError> {
        let correlation_id = self.send(version, request).await?;
        let frame = tokio::time::timeout(REQUEST_TIMEOUT, self.read_frame())
            .await
            .map_err(|_| self.timeout::<R>())??;
        self.decode::<R>(version, correlation_id, frame)
    }

    /// Sends a request the broker will not answer (a produce with acks=0).
    pub async fn send_only<R: Request>(
        &mut self,
        version: i16,
        request: &R,
    ) -> Result<(), ToolError> {
        self.send(version, request).await.map(|_| ())
    }

    fn timeout<R: Request>(&self) -> ToolError {
        ToolError::Timeout {
            address: self.address.clone(),
            api: api_name(R::KEY),
            seconds: REQUEST_TIMEOUT.as_secs(),
        }
    }

    fn broken(&self, reason: impl std::fmt::Display) -> ToolError {
        ToolError::Connection {
            address: self.address.clone(),
            reason: reason.to_string(),
        }
    }

    async fn send<R: Request>(&mut self, version: i16, request: &R) -> Result<i32, ToolError> {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1);
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(StrBytes::from_static_str("klamm")));
        let mut frame = BytesMut::with_capacity(256);
        frame.put_i32(0);
        header
            .encode(&mut frame, R::header_version(version))
            .and_then(|()| request.encode(&mut frame, version))
            .map_err(|e| {
                self.broken(format!(
                    "cannot encode {} v{version}: {e}",
                    api_name(R::KEY)
                ))
            })?;
        let length =
            i32::try_from(frame.len() - 4).map_err(|_| self.broken("request too large"))?;
        frame[..4].copy_from_slice(&length.to_be_bytes());
        let write = self.stream.write_all(&frame);
        match tokio::time::timeout(REQUEST_TIMEOUT, write).await {
            Ok(Ok(())) => Ok(correlation_id),
            Ok(Err(e)) => Err(self.broken(e)),
            Err(_) => Err(self.timeout::<R>()),
        }
    }

    async fn read_frame(&mut self) -> Result<Bytes, ToolError> {
        let length = self
            .stream
            .read_i32()
            .await
            .map_err(|e| self.broken(closed(e)))?;
        let length = usize::try_from(length)
            .ok()
            .filter(|&l| l <= MAX_RESPONSE)
            .ok_or_else(|| self.broken(format!("response length {length} is not plausible")))?;
        let mut frame = vec![0u8; length];
        self.stream
            .read_exact(&mut frame)
            .await
            .map_err(|e| self.broken(closed(e)))?;
        Ok(Bytes::from(frame))
    }

    fn decode<R: Request>(
        &self,
        version: i16,
        correlation_id: i32,
        mut frame: Bytes,
    ) -> Result<R::Response, ToolError> {
        let header_version = <R::Response as HeaderVersion>::header_version(version);
        let header = ResponseHeader::decode(&mut frame, header_version)
            .map_err(|e| self.broken(format!("bad response header: {e}")))?;
        if header.correlation_id != correlation_id {
            return Err(self.broken(format!(
                "answered correlation id {} to request {correlation_id}",
                header.correlation_id
            )));
        }
        let response = R::Response::decode(&mut frame, version).map_err(|e| {
            self.broken(format!(
                "{} v{version} response does not decode: {e}",
                api_name(R::KEY)
            ))
        })?;
        Ok(response)
    }
}

/// "closed the connection" reads better than "early eof".
fn closed(error: std::io::Error) -> String {
    if error.kind() == std::io::ErrorKind::UnexpectedEof {
        "closed the connection".to_string()
    } else {
        error.to_string()
    }
}
