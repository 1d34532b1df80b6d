//! Test 3: bodies whose first (or a nested) count or length claims far more than the frame holds
//! are refused at once, without walking or allocating. kafka-protocol is never run on these:
//! it would abort the test process.

use std::time::{Duration, Instant};

use super::super::{check_request_body, GuardError};

const MAX_I32: [u8; 4] = 0x7fff_ffffu32.to_be_bytes();
const MAX_UVARINT: [u8; 5] = [0xff, 0xff, 0xff, 0xff, 0x0f];

fn body(parts: &[&[u8]]) -> Vec<u8> {
    let mut out: Vec<u8> = parts.concat();
    out.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    out
}

#[test]
fn huge_counts_and_lengths_are_refused_quickly() {
    let null_i16: &[u8] = &[0xff, 0xff];
    let cases: Vec<(&str, i16, i16, Vec<u8>)> = vec![
        // transactional_id null, acks, timeout, topic_data count
        (
            "Produce v3",
            0,
            3,
            body(&[null_i16, &[0, 1], &[0, 0, 0, 9], &MAX_I32]),
        ),
        (
            "Produce v9",
            0,
            9,
            body(&[&[0], &[0, 1], &[0, 0, 0, 9], &MAX_UVARINT]),
        ),
        // one topic "t", then a partition count
        (
            "Produce v3 nested",
            0,
            3,
            body(&[
                null_i16,
                &[0, 1],
                &[0, 0, 0, 9],
                &[0, 0, 0, 1],
                &[0, 1, b't'],
                &MAX_I32,
            ]),
        ),
        ("Metadata v1", 3, 1, body(&[&MAX_I32])),
        ("Metadata v12", 3, 12, body(&[&MAX_UVARINT])),
        ("CreateTopics v5", 19, 5, body(&[&MAX_UVARINT])),
        ("CreateTopics v2", 19, 2, body(&[&MAX_I32])),
        // group_id "g", session and rebalance timeouts, member_id "", group_instance_id null,
        // protocol_type "c", then the protocols count
        (
            "JoinGroup v6",
            11,
            6,
            body(&[&[2, b'g'], &[0; 8], &[1], &[0], &[2, b'c'], &MAX_UVARINT]),
        ),
        ("Fetch v4", 1, 4, body(&[&[0; 17], &MAX_I32])),
        ("DescribeGroups v0 strings", 15, 0, body(&[&MAX_I32])),
        (
            "ListTransactions v0 int64s",
            66,
            0,
            body(&[&[1], &MAX_UVARINT]),
        ),
        ("SaslAuthenticate v0 bytes", 36, 0, body(&[&MAX_I32])),
        ("SaslAuthenticate v2 bytes", 36, 2, body(&[&MAX_UVARINT])),
        ("SaslHandshake v0 string", 17, 0, body(&[&[0x7f, 0xff]])),
        (
            "ApiVersions v3 tag count",
            18,
            3,
            body(&[&[1], &[1], &MAX_UVARINT]),
        ),
        // Fetch v12 top level up to the tag section, then one unknown tag claiming 4 GiB
        (
            "Fetch v12 tag size",
            1,
            12,
            body(&[&[0; 25], &[1], &[1], &[1], &[1, 9], &MAX_UVARINT]),
        ),
        (
            "DescribeConfigs v1 negative",
            32,
            1,
            body(&[&[0x80, 0, 0, 0]]),
        ),
    ];
    for (name, api_key, version, bytes) in cases {
        let start = Instant::now();
        let got = check_request_body(api_key, version, &bytes);
        let elapsed = start.elapsed();
        match got {
            Err(
                GuardError::CountTooLarge { .. }
                | GuardError::LengthTooLarge { .. }
                | GuardError::NegativeLength { .. },
            ) => {}
            other => panic!("{name}: {other:?}"),
        }
        assert!(
            elapsed < Duration::from_millis(100),
            "{name} took {elapsed:?}"
        );
    }
}

/// A count just within the remaining bytes is still walked element by element, so a body cannot
/// pass the count check and then fall short.
#[test]
fn plausible_count_still_needs_every_element() {
    // DescribeGroups v0: three strings of at least two bytes each cannot fit in four bytes.
    let got = check_request_body(15, 0, &[0, 0, 0, 3, 0, 1, b'a', 0]);
    assert!(
        matches!(
            got,
            Err(GuardError::CountTooLarge {
                count: 3,
                remaining: 4,
                ..
            })
        ),
        "{got:?}"
    );
    // Two could, but the first string takes three of them.
    let got = check_request_body(15, 0, &[0, 0, 0, 2, 0, 1, b'a', 0]);
    assert!(matches!(got, Err(GuardError::Truncated { .. })), "{got:?}");
}
