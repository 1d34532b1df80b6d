//! ApiVersions v5 (KIP-1242): the client may name the cluster and node it
//! means to reach, and a broker that is not that node answers
//! REBOOTSTRAP_REQUIRED. The response body is v4's.

use kafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
use kafka_protocol::protocol::buf::{ByteBuf, ByteBufMut};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

use super::delegate_response;
use super::wire::Reader;
use super::Newer;

/// The newest version kafka-protocol 0.18 reads and writes.
const CODEC_MAX: i16 = 4;

/// An ApiVersions request with v5's fields.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Request {
    pub request: ApiVersionsRequest,
    /// The cluster the client means to reach (v5), if it knows it.
    pub cluster_id: Option<StrBytes>,
    /// The node the client means to reach (v5), or -1.
    pub node_id: i32,
}

impl Decodable for Request {
    fn decode<B: ByteBuf>(buf: &mut B, version: i16) -> anyhow::Result<Self> {
        if version <= CODEC_MAX {
            return Ok(Request {
                request: ApiVersionsRequest::decode(buf, version)?,
                cluster_id: None,
                node_id: -1,
            });
        }
        let mut r = Reader::new(buf);
        let request = ApiVersionsRequest::default()
            .with_client_software_name(r.string()?)
            .with_client_software_version(r.string()?);
        let cluster_id = r.nullable_string()?;
        let node_id = r.i32()?;
        r.tags()?;
        Ok(Request {
            request,
            cluster_id,
            node_id,
        })
    }
}

impl Encodable for Newer<ApiVersionsResponse> {
    fn encode<B: ByteBufMut>(&self, buf: &mut B, version: i16) -> anyhow::Result<()> {
        self.0.encode(buf, version.min(CODEC_MAX))
    }

    fn compute_size(&self, version: i16) -> anyhow::Result<usize> {
        self.0.compute_size(version.min(CODEC_MAX))
    }
}

delegate_response!(ApiVersionsResponse);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v5_reads_cluster_and_node() {
        let mut body = bytes::BytesMut::new();
        body.extend_from_slice(&[6, b'r', b'd', b'k', b'a', b'f']); // "rdkaf"
        body.extend_from_slice(&[4, b'2', b'.', b'1']); // "2.1"
        body.extend_from_slice(&[3, b'c', b'1']); // "c1"
        body.extend_from_slice(&7i32.to_be_bytes());
        body.extend_from_slice(&[0]);
        let mut body = body.freeze();
        let request = Request::decode(&mut body, 5).unwrap();
        assert!(body.is_empty());
        assert_eq!(&*request.request.client_software_name, "rdkaf");
        assert_eq!(&*request.request.client_software_version, "2.1");
        assert_eq!(request.cluster_id.as_deref(), Some("c1"));
        assert_eq!(request.node_id, 7);
        let mut old = bytes::Bytes::from_static(&[2, b'a', 2, b'b', 0]);
        let request = Request::decode(&mut old, 4).unwrap();
        assert_eq!((request.cluster_id, request.node_id), (None, -1));
    }
}
