//! DeleteGroups v3 adds an error message to each group's result. Kafka 4.4
//! leaves it null for the errors klamm can give (GROUP_ID_NOT_FOUND,
//! NON_EMPTY_GROUP, NOT_COORDINATOR), and so does klamm. The request is v2's.

use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse};
use kafka_protocol::protocol::buf::ByteBuf;
use kafka_protocol::protocol::Decodable;

use super::wire::Writer;
use super::{delegate_response, encodable_by_hand, Newer};

/// The newest version kafka-protocol 0.18 reads and writes.
const CODEC_MAX: i16 = 2;

impl Decodable for Newer<DeleteGroupsRequest> {
    fn decode<B: ByteBuf>(buf: &mut B, version: i16) -> anyhow::Result<Self> {
        DeleteGroupsRequest::decode(buf, version.min(CODEC_MAX)).map(Newer)
    }
}

fn write(r: &DeleteGroupsResponse, _version: i16, w: &mut Writer) -> anyhow::Result<()> {
    w.i32(r.throttle_time_ms);
    w.array_len(r.results.len())?;
    for result in &r.results {
        w.string(&result.group_id)?;
        w.i16(result.error_code);
        w.nullable_string(None)?; // error_message
        w.tags();
    }
    w.tags();
    Ok(())
}

encodable_by_hand!(Newer<DeleteGroupsResponse>, codec_max: CODEC_MAX, write);
delegate_response!(DeleteGroupsResponse);

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
    use kafka_protocol::messages::GroupId;
    use kafka_protocol::protocol::{Encodable, StrBytes};

    #[test]
    fn v3_adds_a_null_message_to_each_result() {
        let response =
            DeleteGroupsResponse::default().with_results(vec![DeletableGroupResult::default()
                .with_group_id(GroupId(StrBytes::from_static_str("g")))
                .with_error_code(69)]);
        let mut v3 = bytes::BytesMut::new();
        Newer(response).encode(&mut v3, 3).unwrap();
        // throttle 0, one result: "g", 69, null message, tags; tags.
        assert_eq!(&v3[..], &[0, 0, 0, 0, 2, 2, b'g', 0, 69, 0, 0, 0]);
    }
}
