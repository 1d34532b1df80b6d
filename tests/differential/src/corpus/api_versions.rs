//! ApiVersions (key 18): everything but the version ranges (those are the
//! ApiVersions table): errors, client software names, features, an unknown
//! request version, leniency; from v5 the cluster and node the client means
//! to reach (KIP-1242).

use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, MetadataRequest};

use super::ctx::text;
use super::{bytes_case, case, Case};
use crate::newer::api_versions_v5;
use crate::versions::Versions;

/// The node id of the broker every case talks to, on both sides.
const NODE_ID: i32 = 1;

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
    if v.compared(ApiKey::ApiVersions).contains(&5) {
        if let Some(metadata) = v.newest(ApiKey::Metadata) {
            cases.push(
                case("settle: the cluster id", metadata, |_| {
                    MetadataRequest::default().with_topics(Some(Vec::new()))
                })
                .capture("cluster_id", "cluster.id")
                .until(|_| true),
            );
        }
        let aim = |label: &str, cluster: Option<&'static str>, node: i32| {
            bytes_case::<ApiVersionsRequest, _>(label.to_string(), 5, move |ctx| {
                let own = ctx.text("cluster.id");
                let cluster = cluster.map(|c| if c == "own" { &*own } else { c });
                api_versions_v5(&request(5, "klamm-differential"), cluster, node)
            })
        };
        cases.push(aim("this-cluster-and-node", Some("own"), NODE_ID));
        cases.push(aim("other-node", Some("own"), NODE_ID + 1));
        cases.push(aim(
            "other-cluster",
            Some("AAAAAAAAAAAAAAAAAAAAAA"),
            NODE_ID,
        ));
        cases.push(aim("cluster-without-node", Some("own"), -1));
        cases.push(aim("node-without-cluster", None, NODE_ID));
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
