//! ListOffsets v11 (KIP-1023) adds a timestamp to ask for, -6, the earliest
//! offset not yet uploaded to tiered storage; request and response bodies
//! are v10's.

use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};
use kafka_protocol::protocol::buf::{ByteBuf, ByteBufMut};
use kafka_protocol::protocol::{Decodable, Encodable};

use super::{delegate_response, Newer};

/// The newest version kafka-protocol 0.18 reads and writes.
const CODEC_MAX: i16 = 10;

impl Decodable for Newer<ListOffsetsRequest> {
    fn decode<B: ByteBuf>(buf: &mut B, version: i16) -> anyhow::Result<Self> {
        ListOffsetsRequest::decode(buf, version.min(CODEC_MAX)).map(Newer)
    }
}

impl Encodable for Newer<ListOffsetsResponse> {
    fn encode<B: ByteBufMut>(&self, buf: &mut B, version: i16) -> anyhow::Result<()> {
        self.0.encode(buf, version.min(CODEC_MAX))
    }

    fn compute_size(&self, version: i16) -> anyhow::Result<usize> {
        self.0.compute_size(version.min(CODEC_MAX))
    }
}

delegate_response!(ListOffsetsResponse);

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
    use kafka_protocol::messages::TopicName;
    use kafka_protocol::protocol::StrBytes;

    #[test]
    fn v11_is_v10_on_the_wire() {
        let request = ListOffsetsRequest::default()
            .with_timeout_ms(500)
            .with_topics(vec![ListOffsetsTopic::default()
                .with_name(TopicName(StrBytes::from_static_str("t")))
                .with_partitions(vec![
                    ListOffsetsPartition::default().with_timestamp(-6)
                ])]);
        let mut body = bytes::BytesMut::new();
        request.encode(&mut body, 10).unwrap();
        let decoded = Newer::<ListOffsetsRequest>::decode(&mut body.freeze(), 11).unwrap();
        assert_eq!(decoded.0, request);
        let response = Newer(ListOffsetsResponse::default());
        assert_eq!(
            response.compute_size(11).unwrap(),
            response.0.compute_size(10).unwrap()
        );
    }
}
