//! ApiVersions (key 18): which APIs and versions klamm implements.
//!
//! Clients send it first and pick versions from the answer, so it must list
//! exactly what the dispatcher serves. The response header is always v0 (a
//! client cannot know the flexible header before it knows the version), and
//! an unknown request version gets the v0 body with UNSUPPORTED_VERSION and
//! the full list, so the client can retry with a version we know (KIP-511).
//! Optional tagged fields at their defaults are left out, as Kafka does:
//! librdkafka before 2.2 (Debian's kcat) fails to read them.

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};

use crate::protocol::codec::encode_response;
use crate::protocol::{Handler, Outcome, Reply, RequestContext, SUPPORTED};

pub struct Api;

fn api_list() -> Vec<ApiVersion> {
    SUPPORTED
        .iter()
        .map(|(key, min, max)| {
            ApiVersion::default()
                .with_api_key(*key as i16)
                .with_min_version(*min)
                .with_max_version(*max)
        })
        .collect()
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
    const MAX_VERSION: i16 = 4;
    type Request = ApiVersionsRequest;
    type Response = ApiVersionsResponse;

    async fn handle(
        ctx: &RequestContext<'_>,
        request: ApiVersionsRequest,
    ) -> Outcome<ApiVersionsResponse> {
        let mut response = ApiVersionsResponse::default().with_api_keys(api_list());
        if ctx.api_version >= 3 {
            let (name, version) = (
                request.client_software_name.as_str(),
                request.client_software_version.as_str(),
            );
            if valid_software_field(name) && valid_software_field(version) {
                ctx.connection.set_software(name, version);
            } else {
                response.error_code = ResponseError::InvalidRequest.code();
                ctx.refused(
                    Self::KEY,
                    ResponseError::InvalidRequest,
                    "client software name and version must be letters, digits, '-' and '.', starting and ending with a letter or digit (KIP-511)",
                );
            }
        }
        Outcome::Respond(response)
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
        for (key, min, max) in SUPPORTED {
            for version in *min..=*max {
                assert!(
                    crate::protocol::guard::has_schema(*key as i16, version),
                    "{key:?} v{version} is advertised but the guard cannot check it"
                );
            }
            let range = key.valid_versions();
            assert!(
                range.min <= *min && *max <= range.max,
                "{key:?} v{min}-v{max} is beyond kafka-protocol"
            );
        }
    }
}
