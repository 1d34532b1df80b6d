//! Versions Kafka 4.4 speaks that kafka-protocol 0.18, the newest release
//! of the codec, does not: ListOffsets v11, OffsetCommit and OffsetFetch v10
//! (requests; kafka-protocol writes their responses), ApiVersions v5,
//! DescribeLogDirs v5, DeleteGroups v3.
//!
//! A handler of such an API names a type from here as its request or
//! response. At the versions the codec knows, the type hands the body to
//! kafka-protocol; above them it reads or writes the body itself, from Kafka
//! 4.4's message specs, and usually only says how the new version differs
//! (the same body as the previous version, one field more, topic ids where
//! names were). kafka-protocol's structs already carry the newer fields
//! (`topic_id` of an OffsetCommit topic), so handlers work with the same
//! types at every version.
//!
//! The guard has a schema for every version here (`guard/`), and checks
//! every body before these decoders see it; they still check every read, so
//! a body the guard should have refused is an error, never a panic.

pub(crate) mod api_versions;
pub(crate) mod delete_groups;
pub(crate) mod describe_log_dirs;
pub(crate) mod list_offsets;
pub(crate) mod offset_commit;
pub(crate) mod offset_fetch;
mod wire;

use kafka_protocol::messages::ApiKey;

/// A kafka-protocol message whose newer versions are read or written here.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Newer<T>(pub T);

/// The APIs whose requests this module reads past kafka-protocol: (api, the
/// newest request version kafka-protocol reads, the newest read here).
/// (`ApiKey::valid_versions` is no guide: it says OffsetCommit 2-10, where
/// kafka-protocol writes the v10 response but does not read the request.)
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const NEWEST: &[(ApiKey, i16, i16)] = &[
    (ApiKey::ListOffsets, 10, 11),
    (ApiKey::OffsetCommit, 9, 10),
    (ApiKey::OffsetFetch, 9, 10),
    (ApiKey::ApiVersions, 4, 5),
    (ApiKey::DescribeLogDirs, 4, 5),
    (ApiKey::DeleteGroups, 2, 3),
];

/// Implements `HeaderVersion` and `ErrorCodes` of `Newer<Response>` by
/// delegating to the wrapped response: the header rules of kafka-protocol
/// depend only on the first flexible version, which newer versions share.
macro_rules! delegate_response {
    ($($response:ty),* $(,)?) => {
        $(
            impl kafka_protocol::protocol::HeaderVersion for crate::protocol::newer::Newer<$response> {
                fn header_version(version: i16) -> i16 {
                    <$response as kafka_protocol::protocol::HeaderVersion>::header_version(version)
                }
            }

            impl crate::protocol::response_errors::ErrorCodes for crate::protocol::newer::Newer<$response> {
                fn each_error(&self, f: &mut dyn FnMut(i16)) {
                    self.0.each_error(f)
                }
            }
        )*
    };
}
pub(crate) use delegate_response;

/// Implements `Encodable` for `Newer<Response>`, writing its newer versions
/// by hand: the size is that of the encoding (these responses are small).
macro_rules! encodable_by_hand {
    ($ty:ty, codec_max: $max:expr, $write:path) => {
        impl kafka_protocol::protocol::Encodable for $ty {
            fn encode<B: kafka_protocol::protocol::buf::ByteBufMut>(
                &self,
                buf: &mut B,
                version: i16,
            ) -> anyhow::Result<()> {
                if version <= $max {
                    return self.0.encode(buf, version);
                }
                let mut out = crate::protocol::newer::wire::Writer::default();
                $write(&self.0, version, &mut out)?;
                buf.put_slice(&out.into_bytes());
                Ok(())
            }

            fn compute_size(&self, version: i16) -> anyhow::Result<usize> {
                if version <= $max {
                    return self.0.compute_size(version);
                }
                let mut out = crate::protocol::newer::wire::Writer::default();
                $write(&self.0, version, &mut out)?;
                Ok(out.len())
            }
        }
    };
}
pub(crate) use encodable_by_hand;

/// Implements `Decodable` for `Newer<Request>`, reading its newer versions by hand.
macro_rules! decodable_by_hand {
    ($ty:ty, codec_max: $max:expr, $read:path) => {
        impl kafka_protocol::protocol::Decodable for $ty {
            fn decode<B: kafka_protocol::protocol::buf::ByteBuf>(
                buf: &mut B,
                version: i16,
            ) -> anyhow::Result<Self> {
                if version <= $max {
                    return kafka_protocol::protocol::Decodable::decode(buf, version)
                        .map(crate::protocol::newer::Newer);
                }
                let mut reader = crate::protocol::newer::wire::Reader::new(buf);
                $read(&mut reader, version)
            }
        }
    };
}
pub(crate) use decodable_by_hand;

#[cfg(test)]
mod tests {
    use super::NEWEST;
    use kafka_protocol::messages::*;
    use kafka_protocol::protocol::Message;

    #[test]
    fn the_codec_stops_where_the_table_says() {
        let codec = [
            ListOffsetsRequest::VERSIONS.max,
            OffsetCommitRequest::VERSIONS.max,
            OffsetFetchRequest::VERSIONS.max,
            ApiVersionsRequest::VERSIONS.max,
            DescribeLogDirsRequest::VERSIONS.max,
            DeleteGroupsRequest::VERSIONS.max,
        ];
        let table: Vec<i16> = NEWEST.iter().map(|(_, codec_max, _)| *codec_max).collect();
        assert_eq!(table, codec);
        // The responses written here; OffsetCommit and OffsetFetch v10 it writes.
        assert_eq!(ListOffsetsResponse::VERSIONS.max, 10);
        assert_eq!(ApiVersionsResponse::VERSIONS.max, 4);
        assert_eq!(DescribeLogDirsResponse::VERSIONS.max, 4);
        assert_eq!(DeleteGroupsResponse::VERSIONS.max, 2);
        assert_eq!(OffsetCommitResponse::VERSIONS.max, 10);
        assert_eq!(OffsetFetchResponse::VERSIONS.max, 10);
    }
}
