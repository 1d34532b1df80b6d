//! ApiVersions (key 18): everything but the version ranges (those are the
//! ApiVersions table): errors, client software names, features, an unknown
//! request version, leniency.

use kafka_protocol::messages::{ApiKey, ApiVersionsRequest};

use super::ctx::text;
use super::{case, Case};
use crate::versions::Versions;

fn request(version: i16, software: &str) -> ApiVersionsRequest {
    let request = ApiVersionsRequest::default();
    if version >= 3 {
        request
            .with_client_software_name(text(software))
            .with_client_software_version(text("1.0.0"))
    } else {
        request
    }
}

pub fn cases(v: &Versions) -> Vec<Case> {
    let mut cases = Vec::new();
    for version in v.compared(ApiKey::ApiVersions) {
        let ask = move |label: &str, software: &'static str| {
            case(label.to_string(), version, move |_| {
                request(version, software)
            })
        };
        cases.push(ask("ordinary", "klamm-differential"));
        cases.push(ask("trailing-bytes", "klamm-differential").trailing(&[0, 0, 0]));
        if version >= 3 {
            cases.push(ask("invalid-software-name", "bad name!"));
            cases.push(ask("empty-software-name", ""));
            cases.push(ask("unknown-tagged-field", "klamm-differential").body_tag());
            cases.push(ask("unknown-header-tag", "klamm-differential").header_tag());
        }
    }
    // A version from the future gets UNSUPPORTED_VERSION in a v0 body.
    if let Some(newest) = v.newest(ApiKey::ApiVersions) {
        cases.push(
            case("future-version-99", newest, move |_| {
                request(newest, "klamm-differential")
            })
            .header_says(99, 0),
        );
    }
    cases
}
