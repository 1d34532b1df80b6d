//! ApiVersions (key 18): which APIs and versions klamm implements.
//!
//! Clients send it first and pick versions from the answer, so it must list
//! exactly what the dispatcher serves. The response header is always v0 (a
//! client cannot know the flexible header before it knows the version), and
//! an unknown request version gets the v0 body with UNSUPPORTED_VERSION and
//! the full list, so the client can retry with a version we know (KIP-511).
//! Optional tagged fields at their defaults are left out, as Kafka does:
//! librdkafka before 2.2 (Debian's kcat) fails to read them. From v3 the
//! answer carries the supported and finalized features
//! (`cluster/features.rs`), the finalized ones at the metadata log's
//! position, as Kafka reports them.
//!
//! v5 (KIP-1242): a client may name the cluster and node it means to reach;
//! naming one without the other is INVALID_REQUEST, and a broker that is not
//! that node of that cluster answers REBOOTSTRAP_REQUIRED (no API list), so
//! a client holding stale addresses starts over from its bootstrap servers.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::api_versions_response::{
    ApiVersion, FinalizedFeatureKey, SupportedFeatureKey,
};
use kafka_protocol::messages::{ApiKey, ApiVersionsResponse};
use kafka_protocol::protocol::StrBytes;

use crate::cluster::features::SUPPORTED as FEATURES;
use crate::cluster::Cluster;
use crate::protocol::codec::encode_response;
use crate::protocol::newer::{api_versions::Request, Newer};
use crate::protocol::{Handler, Outcome, Reply, RequestContext, ADVERTISED};

pub struct Api;

fn api_list() -> Vec<ApiVersion> {
    ADVERTISED
        .iter()
        .map(|(key, min, max)| {
            ApiVersion::default()
                .with_api_key(*key as i16)
                .with_min_version(*min)
                .with_max_version(*max)
        })
        .collect()
}

/// The features of a v3+ answer; v3 leaves out supported features whose
/// minimum is 0, which clients before KAFKA-17011 cannot read.
fn with_features(
    response: ApiVersionsResponse,
    version: i16,
    cluster: &Cluster,
) -> ApiVersionsResponse {
    let supported = FEATURES
        .iter()
        .filter(|f| version >= 4 || f.min > 0)
        .map(|f| {
            SupportedFeatureKey::default()
                .with_name(StrBytes::from_static_str(f.name))
                .with_min_version(f.min)
                .with_max_version(f.max)
        })
        .collect();
    let finalized = cluster
        .features()
        .finalized()
        .into_iter()
        .map(|(name, level)| {
            FinalizedFeatureKey::default()
                .with_name(StrBytes::from_static_str(name))
                .with_min_version_level(level)
                .with_max_version_level(level)
        })
        .collect();
    response
        .with_supported_features(supported)
        .with_finalized_features_epoch(cluster.features_epoch())
        .with_finalized_features(finalized)
}

/// Why a v5 request is not answered with the list: it names one of cluster
/// and node without the other, or a cluster or node this broker is not.
fn wrong_target(ctx: &RequestContext<'_>, request: &Request) -> Option<(ResponseError, String)> {
    match (&request.cluster_id, request.node_id) {
        (None, -1) => None,
        (None, _) | (Some(_), -1) => Some((
            ResponseError::InvalidRequest,
            "ApiVersions v5 names both the cluster id and the node id, or neither (KIP-1242)"
                .to_string(),
        )),
        (Some(cluster), node) => {
            let actual = ctx.state.cluster.cluster_id();
            (&**cluster != actual || node != ctx.node_id).then(|| {
                (
                    ResponseError::RebootstrapRequired,
                    format!(
                        "the client means node {node} of cluster {cluster}; this is node {} of cluster {actual}",
                        ctx.node_id
                    ),
                )
            })
        }
    }
}

/// Kafka's rule for client software names and versions (KIP-511).
fn valid_software_field(value: &str) -> bool {
    let bytes = value.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'.')
}

/// The answer to an ApiVersions request at a version klamm does not know.
pub(crate) fn unsupported_version_reply(correlation_id: i32) -> Reply {
    let response = ApiVersionsResponse::default()
        .with_error_code(ResponseError::UnsupportedVersion.code())
        .with_api_keys(api_list());
    match encode_response(correlation_id, 0, &response, Vec::new()) {
        Ok(frame) => Reply::Frame(frame),
        Err(e) => Reply::Close(e.to_string()),
    }
}

impl Handler for Api {
    const KEY: ApiKey = ApiKey::ApiVersions;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 5;
    type Request = Request;
    type Response = Newer<ApiVersionsResponse>;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: Request,
    ) -> Outcome<Newer<ApiVersionsResponse>> {
        if let Some((error, reason)) = wrong_target(ctx, &request) {
            ctx.refused(Self::KEY, error, &reason);
            return Outcome::Respond(Newer(
                ApiVersionsResponse::default().with_error_code(error.code()),
            ));
        }
        let mut response = ApiVersionsResponse::default().with_api_keys(api_list());
        if ctx.api_version >= 3 {
            let (name, version) = (
                request.request.client_software_name.as_str(),
                request.request.client_software_version.as_str(),
            );
            if valid_software_field(name) && valid_software_field(version) {
                ctx.connection.set_software(name, version);
                response = with_features(response, ctx.api_version, &ctx.state.cluster);
            } else {
                response.error_code = ResponseError::InvalidRequest.code();
                ctx.refused(
                    Self::KEY,
                    ResponseError::InvalidRequest,
                    "client software name and version must be letters, digits, '-' and '.', starting and ending with a letter or digit (KIP-511)",
                );
            }
        }
        Outcome::Respond(Newer(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn software_names_follow_kip_511() {
        assert!(valid_software_field("librdkafka"));
        assert!(valid_software_field("2.12.1"));
        assert!(valid_software_field("apache-kafka-java"));
        assert!(!valid_software_field(""));
        assert!(!valid_software_field("-x"));
        assert!(!valid_software_field("a b"));
    }

    #[test]
    fn every_supported_api_has_a_guard_schema_for_every_version() {
        use crate::protocol::{newer, SUPPORTED};
        for (key, min, max) in SUPPORTED {
            for version in *min..=*max {
                assert!(
                    crate::protocol::guard::has_schema(*key as i16, version),
                    "{key:?} v{version} is advertised but the guard cannot check it"
                );
            }
            let range = key.valid_versions();
            let newest = newer::NEWEST
                .iter()
                .find(|(k, _, _)| k == key)
                .map_or(range.max, |(_, _, newest)| *newest);
            assert!(
                range.min <= *min && *max <= newest,
                "{key:?} v{min}-v{max} is beyond kafka-protocol and protocol/newer"
            );
        }
    }
}
