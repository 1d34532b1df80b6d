//! Tests of the guard against kafka-protocol itself: the schemas must match its decoders byte for
//! byte, and on arbitrary input the guard must accept exactly what the decoder can decode (apart
//! from the documented, deliberate differences in `differences.rs`).

mod bombs;
mod builders;
mod differences;
mod fuzz;
mod kp;
mod newer;
mod roundtrip;
mod sample;
mod seeds;

use std::sync::OnceLock;

use super::schema::MessageSchema;

/// One encoded request body to test with.
pub(super) struct Case {
    pub(super) api_key: i16,
    pub(super) version: i16,
    pub(super) what: &'static str,
    pub(super) bytes: Vec<u8>,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} api {} v{}", self.what, self.api_key, self.version)
    }
}

fn schemas() -> impl Iterator<Item = &'static MessageSchema> {
    super::all_messages()
}

/// The versions of a table kafka-protocol decodes (those past it are `newer_versions`).
fn versions(schema: &MessageSchema) -> impl Iterator<Item = i16> + '_ {
    (schema.versions.min..=schema.versions.max).filter(|v| !kp::is_newer(schema.api_key, *v))
}

/// The versions of a table past kafka-protocol, read by `protocol/newer`.
fn newer_versions(schema: &MessageSchema) -> impl Iterator<Item = i16> + '_ {
    (schema.versions.min..=schema.versions.max).filter(|v| kp::is_newer(schema.api_key, *v))
}

/// kafka-protocol's encodings of the rich sample (decoded then re-encoded) and of the `Default`
/// request, for every api and version in the tables, plus the hand-built requests; for versions
/// past kafka-protocol, the rich sample as generated (klamm's decoder must read all of it).
/// Panics if the decoders cannot decode or encode them; `roundtrip.rs` checks that in detail.
pub(super) fn corpus() -> &'static [Case] {
    static CORPUS: OnceLock<Vec<Case>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut cases = Vec::new();
        for schema in schemas() {
            for version in newer_versions(schema) {
                let (api_key, bytes) = (schema.api_key, sample::rich(schema, version));
                let decoded = kp::decode(api_key, version, &bytes, false)
                    .unwrap_or_else(|e| panic!("api {api_key} v{version}: klamm: {e}"));
                assert_eq!(decoded.consumed, bytes.len(), "api {api_key} v{version}");
                cases.push(Case {
                    api_key,
                    version,
                    what: "rich",
                    bytes,
                });
            }
            for version in versions(schema) {
                let (api_key, raw) = (schema.api_key, sample::rich(schema, version));
                let decoded = kp::decode(api_key, version, &raw, true)
                    .unwrap_or_else(|e| panic!("api {api_key} v{version}: kafka-protocol: {e}"));
                let bytes = decoded
                    .reencoded
                    .unwrap_or_else(|e| panic!("api {api_key} v{version}: re-encode: {e}"));
                cases.push(Case {
                    api_key,
                    version,
                    what: "rich",
                    bytes,
                });
                let bytes = kp::encode_default(api_key, version)
                    .unwrap_or_else(|e| panic!("api {api_key} v{version}: default: {e}"));
                cases.push(Case {
                    api_key,
                    version,
                    what: "default",
                    bytes,
                });
            }
        }
        cases.extend(builders::all());
        cases
    })
}
