//! The places where the guard deliberately refuses what kafka-protocol's decoder accepts, each
//! shown on a concrete body. The fuzz tests rewrite exactly these two encodings into their
//! canonical form (`canonicalize`) and otherwise require full agreement.

use super::super::{check_request_body, GuardError};
use super::kp;

/// 1. kafka-protocol reads at most five varint bytes and stops without looking at the fifth
///    byte's continuation bit. The guard refuses such a varint: the bit says more bytes follow,
///    and silently ignoring it is how readers end up disagreeing about field boundaries.
#[test]
fn five_byte_varint_with_continuation_bit() {
    // ApiVersions v3: client_software_name of length 1 written as a padded 5-byte varint.
    let mut body = vec![0x82, 0x80, 0x80, 0x80, 0x80, b'a', 2, b'b', 0];
    assert_eq!(
        kp::decode(18, 3, &body, false).map(|d| d.consumed),
        Ok(body.len())
    );
    let got = check_request_body(18, 3, &body);
    assert!(
        matches!(got, Err(GuardError::VarintTooLong { max_bytes: 5, .. })),
        "{got:?}"
    );

    // Padding that ends properly is fine for both, and both drop the bits past 32.
    body[4] = 0x00;
    assert_eq!(check_request_body(18, 3, &body), Ok(body.len()));
    body[4] = 0x70;
    assert_eq!(
        kp::decode(18, 3, &body, false).map(|d| d.consumed),
        Ok(body.len())
    );
    assert_eq!(check_request_body(18, 3, &body), Ok(body.len()));
}

/// 2. kafka-protocol decodes a known tagged field by its type and never compares that with the
///    declared size. The guard refuses a mismatch, since the declared size is what every other
///    Kafka implementation uses to find the next tag.
#[test]
fn known_tag_with_wrong_declared_size() {
    // Fetch v12 top level: ten fixed ints, empty topics and forgotten topics, rack_id "",
    // then one tag: cluster_id (tag 0) declared as 9 bytes but encoded as compact "ab" (3 bytes).
    let mut body = vec![0; 25];
    body.extend_from_slice(&[1, 1, 1]);
    body.extend_from_slice(&[1, 0, 9, 3, b'a', b'b']);
    assert_eq!(
        kp::decode(1, 12, &body, false).map(|d| d.consumed),
        Ok(body.len())
    );
    let got = check_request_body(1, 12, &body);
    assert!(
        matches!(
            got,
            Err(GuardError::TaggedSizeMismatch {
                tag: 0,
                declared: 9,
                consumed: 3,
                ..
            })
        ),
        "{got:?}"
    );
    body[30] = 3;
    assert_eq!(check_request_body(1, 12, &body), Ok(body.len()));
}

/// Not a difference: a known tag outside its versions is refused by both (the decoder bails
/// rather than skipping it as unknown), and a duplicated tag is accepted by both.
#[test]
fn known_tag_version_rules_match() {
    // Fetch v12 with replica_state (tag 1, valid from v15): ReplicaState at v12 is just its
    // own empty tag section.
    let mut body = vec![0; 25];
    body.extend_from_slice(&[1, 1, 1]);
    body.extend_from_slice(&[1, 1, 1, 0]);
    assert!(kp::decode(1, 12, &body, false).is_err());
    let got = check_request_body(1, 12, &body);
    assert!(
        matches!(
            got,
            Err(GuardError::TagNotValidForVersion {
                tag: 1,
                version: 12,
                ..
            })
        ),
        "{got:?}"
    );

    // Fetch v15 (no replica_id): the same tag is walked as a struct, twice.
    let mut body = vec![0; 21];
    body.extend_from_slice(&[1, 1, 1]);
    body.extend_from_slice(&[2, 1, 13, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0]);
    body.extend_from_slice(&[1, 13, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0]);
    assert_eq!(
        kp::decode(1, 15, &body, false).map(|d| d.consumed),
        Ok(body.len())
    );
    assert_eq!(check_request_body(1, 15, &body), Ok(body.len()));
}
