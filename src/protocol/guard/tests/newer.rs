//! The schemas of the versions past kafka-protocol against klamm's own decoders of them
//! (`protocol/newer`): the rich samples (in `corpus()`, so the prefix and fuzz tests run on them
//! too) and every nullable slot, as `roundtrip.rs` checks kafka-protocol's versions.

use kafka_protocol::messages::ApiKey;

use super::super::{check_request_body, has_schema, GuardError};
use super::sample::{self, Bad};
use super::{corpus, kp, newer_versions, schemas};
use crate::protocol::newer::NEWEST;

#[test]
fn every_newer_version_has_a_schema_and_a_sample() {
    let mut checked = 0;
    for &(key, codec_max, newest) in NEWEST {
        for version in codec_max + 1..=newest {
            assert!(has_schema(key as i16, version), "{key:?} v{version}");
            assert!(
                corpus()
                    .iter()
                    .any(|c| c.api_key == key as i16 && c.version == version),
                "{key:?} v{version}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
    assert!(!has_schema(ApiKey::OffsetCommit as i16, 11));
}

#[test]
fn nullability_matches_klamms_decoders() {
    let mut checked = 0;
    for schema in schemas() {
        for version in newer_versions(schema) {
            for slot in 0.. {
                let sample = sample::with_bad_slot(schema, version, slot, Bad::Null);
                let Some((nullable, field)) = sample.replaced else {
                    break;
                };
                checked += 1;
                let ctx = format!("api {} v{version} slot {slot} {field}", schema.api_key);
                let guard = check_request_body(schema.api_key, version, &sample.bytes);
                let decoded = kp::decode(schema.api_key, version, &sample.bytes, false);
                if nullable {
                    assert_eq!(guard, Ok(sample.bytes.len()), "{ctx}");
                    assert_eq!(decoded.map(|d| d.consumed), Ok(sample.bytes.len()), "{ctx}");
                } else {
                    assert!(
                        matches!(&guard, Err(GuardError::UnexpectedNull { at }) if at.field == field),
                        "{ctx}: guard said {guard:?}"
                    );
                    assert!(decoded.is_err(), "{ctx}: klamm decoded it");
                }
            }
        }
    }
    assert!(checked >= 15, "only {checked} slots checked");
}
