//! The schema tables against kafka-protocol's decoders, version by version.

use super::super::schema::{Elem, StructSchema, Ty};
use super::super::walker::min_size;
use super::super::{check_request_body, has_schema, GuardError};
use super::sample::{self, Bad};
use super::{corpus, kp, schemas, versions};

/// The tables cover exactly the versions kafka-protocol decodes, for exactly the requested apis.
#[test]
fn versions_match_kafka_protocol() {
    let mut keys: Vec<i16> = schemas().map(|s| s.api_key).collect();
    keys.sort_unstable();
    let mut wanted = kp::API_KEYS.to_vec();
    wanted.sort_unstable();
    assert_eq!(keys, wanted);
    let mut pairs = 0;
    for schema in schemas() {
        let ours: Vec<i16> = versions(schema).collect();
        assert_eq!(
            ours,
            kp::decodable_versions(schema.api_key),
            "api {}",
            schema.api_key
        );
        pairs += ours.len();
        assert!(!has_schema(schema.api_key, schema.versions.min - 1));
        assert!(!has_schema(schema.api_key, schema.versions.max + 1));
        assert!(matches!(
            check_request_body(schema.api_key, schema.versions.max + 1, &[]),
            Err(GuardError::Unsupported { .. })
        ));
    }
    assert_eq!(pairs, 231);
    assert!(!has_schema(7, 0));
}

/// Rich samples: kafka-protocol consumes exactly the bytes the schema describes and re-encodes
/// them identically, so field order, presence, types, compactness and tags all agree.
#[test]
fn rich_samples_roundtrip_through_kafka_protocol() {
    for schema in schemas() {
        for version in versions(schema) {
            let raw = sample::rich(schema, version);
            let ctx = format!("api {} v{version}", schema.api_key);
            let decoded = kp::decode(schema.api_key, version, &raw, true).expect(&ctx);
            assert_eq!(decoded.consumed, raw.len(), "{ctx}");
            assert_eq!(decoded.reencoded.expect(&ctx), raw, "{ctx}");
        }
    }
}

/// Test 1: every encoded request (rich, default and hand-built) is accepted at its full length,
/// and test 2: every strict prefix of it is refused.
#[test]
fn accepts_encoded_requests_and_refuses_their_prefixes() {
    for case in corpus() {
        let got = check_request_body(case.api_key, case.version, &case.bytes);
        assert_eq!(got, Ok(case.bytes.len()), "{case:?}");
        for cut in 0..case.bytes.len() {
            let prefix = &case.bytes[..cut];
            assert!(
                check_request_body(case.api_key, case.version, prefix).is_err(),
                "{case:?} prefix {cut} accepted"
            );
        }
    }
}

/// Trailing bytes are the caller's business: the guard reports where the body ends.
#[test]
fn reports_length_before_trailing_bytes() {
    for case in corpus().iter().step_by(7) {
        let mut bytes = case.bytes.clone();
        bytes.extend_from_slice(&[0xff, 0, 1]);
        let got = check_request_body(case.api_key, case.version, &bytes);
        assert_eq!(got, Ok(case.bytes.len()), "{case:?}");
    }
}

/// Every string, bytes and array field, at every version, set to null (and in non-flexible
/// versions to length -2): the guard accepts exactly when kafka-protocol does.
#[test]
fn nullability_matches_kafka_protocol() {
    let mut checked = 0;
    for schema in schemas() {
        for version in versions(schema) {
            for bad in [Bad::Null, Bad::MinusTwo] {
                for slot in 0.. {
                    let sample = sample::with_bad_slot(schema, version, slot, bad);
                    let Some((nullable, field)) = sample.replaced else {
                        break;
                    };
                    checked += 1;
                    let ctx = format!(
                        "api {} v{version} slot {slot} {field} {bad:?}",
                        schema.api_key
                    );
                    let guard = check_request_body(schema.api_key, version, &sample.bytes);
                    let decoded = kp::decode(schema.api_key, version, &sample.bytes, false);
                    if nullable && bad == Bad::Null {
                        assert_eq!(guard, Ok(sample.bytes.len()), "{ctx}");
                        assert_eq!(decoded.map(|d| d.consumed), Ok(sample.bytes.len()), "{ctx}");
                    } else {
                        match (bad, &guard) {
                            (Bad::Null, Err(GuardError::UnexpectedNull { at })) => {
                                assert_eq!(at.field, field, "{ctx}")
                            }
                            (Bad::MinusTwo, Err(GuardError::NegativeLength { at, length: -2 })) => {
                                assert_eq!(at.field, field, "{ctx}")
                            }
                            _ => panic!("{ctx}: guard said {guard:?}"),
                        }
                        assert!(decoded.is_err(), "{ctx}: kafka-protocol decoded it");
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "only {checked} slots checked");
}

/// The walker's count check is exact only when array elements take at least one byte; the
/// zero-size cap is a backstop that no table currently needs. Keep it that way.
#[test]
fn every_reachable_array_element_takes_at_least_one_byte() {
    fn visit(s: &'static StructSchema, version: i16, flexible: bool, arrays: &mut usize) {
        let tagged = s
            .tagged
            .iter()
            .filter(|t| t.versions.contains(version))
            .map(|t| t.ty);
        let fields = s
            .fields
            .iter()
            .filter(|f| f.versions.contains(version))
            .map(|f| f.ty);
        for ty in fields.chain(tagged) {
            let elem = match ty {
                Ty::Array(e) | Ty::NullableArray(e) => e,
                Ty::Struct(inner) | Ty::NullableStruct(inner) => {
                    visit(inner, version, flexible, arrays);
                    continue;
                }
                _ => continue,
            };
            *arrays += 1;
            assert!(min_size(elem.ty(), version, flexible) > 0, "{}", s.name);
            if let Elem::Struct(inner) = elem {
                visit(inner, version, flexible, arrays);
            }
        }
    }
    let mut arrays = 0;
    for schema in schemas() {
        for version in versions(schema) {
            visit(
                schema.body,
                version,
                schema.is_flexible(version),
                &mut arrays,
            );
        }
    }
    assert!(arrays > 300, "{arrays}");
}
