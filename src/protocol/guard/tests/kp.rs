//! Dispatch from an api key to kafka-protocol's request type, so tests can run the real decoder
//! and encoder on the same bytes the guard walks. Versions past kafka-protocol go to klamm's own
//! decoders (`protocol/newer`), which the guard must agree with the same way; they are not
//! re-encoded (klamm only reads those requests).

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable};

/// What kafka-protocol made of a body.
pub(super) struct Decoded {
    pub(super) consumed: usize,
    /// The decoded request encoded again at the same version.
    pub(super) reencoded: Result<Vec<u8>, String>,
}

fn decode_as<T: Decodable + Encodable>(
    version: i16,
    body: &[u8],
    reencode: bool,
) -> Result<Decoded, String> {
    let mut buf = Bytes::copy_from_slice(body);
    let msg = T::decode(&mut buf, version).map_err(|e| e.to_string())?;
    let consumed = body.len() - buf.remaining();
    let reencoded = if reencode {
        encode(&msg, version)
    } else {
        Err("not re-encoded".to_owned())
    };
    Ok(Decoded {
        consumed,
        reencoded,
    })
}

fn encode<T: Encodable>(msg: &T, version: i16) -> Result<Vec<u8>, String> {
    let mut out = BytesMut::new();
    msg.encode(&mut out, version).map_err(|e| e.to_string())?;
    Ok(out.to_vec())
}

macro_rules! requests {
    ($($key:literal => $ty:ident,)*) => {
        /// Every api key the guard is meant to cover, in the brief's order.
        pub(super) const API_KEYS: &[i16] = &[$($key),*];

        /// Decodes `body` with kafka-protocol; re-encodes the result when asked.
        pub(super) fn decode(api_key: i16, version: i16, body: &[u8], reencode: bool) -> Result<Decoded, String> {
            if is_newer(api_key, version) {
                return decode_newer(api_key, version, body);
            }
            match api_key {
                $($key => decode_as::<$ty>(version, body, reencode),)*
                _ => Err(format!("no kafka-protocol request for api key {api_key}")),
            }
        }

        /// kafka-protocol's encoding of the `Default` request.
        pub(super) fn encode_default(api_key: i16, version: i16) -> Result<Vec<u8>, String> {
            match api_key {
                $($key => encode(&$ty::default(), version),)*
                _ => Err(format!("no kafka-protocol request for api key {api_key}")),
            }
        }
    };
}

requests! {
    0 => ProduceRequest,
    1 => FetchRequest,
    2 => ListOffsetsRequest,
    3 => MetadataRequest,
    8 => OffsetCommitRequest,
    9 => OffsetFetchRequest,
    10 => FindCoordinatorRequest,
    11 => JoinGroupRequest,
    12 => HeartbeatRequest,
    13 => LeaveGroupRequest,
    14 => SyncGroupRequest,
    15 => DescribeGroupsRequest,
    16 => ListGroupsRequest,
    17 => SaslHandshakeRequest,
    18 => ApiVersionsRequest,
    19 => CreateTopicsRequest,
    20 => DeleteTopicsRequest,
    21 => DeleteRecordsRequest,
    22 => InitProducerIdRequest,
    23 => OffsetForLeaderEpochRequest,
    24 => AddPartitionsToTxnRequest,
    25 => AddOffsetsToTxnRequest,
    26 => EndTxnRequest,
    28 => TxnOffsetCommitRequest,
    29 => DescribeAclsRequest,
    32 => DescribeConfigsRequest,
    33 => AlterConfigsRequest,
    34 => AlterReplicaLogDirsRequest,
    35 => DescribeLogDirsRequest,
    36 => SaslAuthenticateRequest,
    37 => CreatePartitionsRequest,
    42 => DeleteGroupsRequest,
    43 => ElectLeadersRequest,
    44 => IncrementalAlterConfigsRequest,
    45 => AlterPartitionReassignmentsRequest,
    46 => ListPartitionReassignmentsRequest,
    47 => OffsetDeleteRequest,
    48 => DescribeClientQuotasRequest,
    49 => AlterClientQuotasRequest,
    55 => DescribeQuorumRequest,
    57 => UpdateFeaturesRequest,
    60 => DescribeClusterRequest,
    61 => DescribeProducersRequest,
    64 => UnregisterBrokerRequest,
    65 => DescribeTransactionsRequest,
    66 => ListTransactionsRequest,
    68 => ConsumerGroupHeartbeatRequest,
    69 => ConsumerGroupDescribeRequest,
    74 => ListConfigResourcesRequest,
    75 => DescribeTopicPartitionsRequest,
    80 => AddRaftVoterRequest,
    81 => RemoveRaftVoterRequest,
}

/// Whether `version` of `api_key` is past kafka-protocol and read by `protocol/newer`.
pub(super) fn is_newer(api_key: i16, version: i16) -> bool {
    crate::protocol::newer::NEWEST
        .iter()
        .any(|(key, codec_max, newest)| {
            *key as i16 == api_key && *codec_max < version && version <= *newest
        })
}

fn decode_newer(api_key: i16, version: i16, body: &[u8]) -> Result<Decoded, String> {
    use crate::protocol::newer::{api_versions, Newer};
    fn run<T: Decodable>(version: i16, body: &[u8]) -> Result<Decoded, String> {
        let mut buf = Bytes::copy_from_slice(body);
        T::decode(&mut buf, version).map_err(|e| e.to_string())?;
        Ok(Decoded {
            consumed: body.len() - buf.remaining(),
            reencoded: Err("klamm does not encode requests past kafka-protocol".to_owned()),
        })
    }
    match api_key {
        2 => run::<Newer<ListOffsetsRequest>>(version, body),
        8 => run::<Newer<OffsetCommitRequest>>(version, body),
        9 => run::<Newer<OffsetFetchRequest>>(version, body),
        18 => run::<api_versions::Request>(version, body),
        35 => run::<Newer<DescribeLogDirsRequest>>(version, body),
        42 => run::<Newer<DeleteGroupsRequest>>(version, body),
        _ => Err(format!("no decoder for api key {api_key} v{version}")),
    }
}

/// The versions kafka-protocol's decoder accepts for `api_key`, found by asking it: every
/// decoder starts with a version check, so an empty body fails with a different message outside
/// the range than inside it.
pub(super) fn decodable_versions(api_key: i16) -> Vec<i16> {
    (0..=40)
        .filter(|&v| !is_newer(api_key, v))
        .filter(|&v| match decode(api_key, v, &[], false) {
            Ok(_) => true,
            Err(e) => !e.contains("not supported"),
        })
        .collect()
}
