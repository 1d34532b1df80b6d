//! Test 4: mutated requests. On any input the guard and kafka-protocol's decoder must agree:
//! if the guard accepts, the decoder succeeds and consumes exactly what the guard reported;
//! if the decoder succeeds, the guard accepts the same length — once the two deliberate
//! differences from `differences.rs` are rewritten to their canonical encoding.
//!
//! The decoder is only run where that cannot abort the test process: on input the guard
//! accepts, or where the guard's first error is one at which the decoder also stops reading.
//! An oversized array count is the exception: the decoder would reserve it before failing, so
//! there the test relies on the argument that `count` elements of at least `min` bytes each
//! cannot fit, instead of running the decoder.

use std::cell::RefCell;
use std::collections::HashMap;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::super::walker::TAG_SECTION;
use super::super::{check_request_body, GuardError};
use super::{corpus, kp, Case};

/// How one input was judged; counted by the deterministic sweep to show the check has teeth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Verdict {
    BothAccept,
    BothRefuse,
    /// Accepted by both after rewriting a deliberate difference.
    AcceptAfterCanonical,
    /// The guard refused an oversized array count; the decoder was not run.
    NotRun,
}

fn varint_len(bytes: &[u8]) -> Option<usize> {
    bytes
        .iter()
        .take(5)
        .position(|b| b & 0x80 == 0)
        .map(|i| i + 1)
}

/// `value` as a varint of exactly `len` bytes, padded with empty continuation groups.
fn padded_varint(mut value: u32, len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(len);
    for _ in 0..len {
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    let last = out.last_mut()?;
    *last &= 0x7f;
    (value == 0).then_some(out)
}

/// Rewrites the encoding behind a deliberate difference into one that kafka-protocol reads
/// identically and the guard accepts. Returns false if `err` is no such difference or the
/// rewrite does not fit in place.
fn canonicalize(bytes: &mut [u8], err: &GuardError) -> bool {
    match err {
        // The decoder ignores the fifth byte's continuation bit.
        GuardError::VarintTooLong { at, .. } => match bytes.get_mut(at.offset + 4) {
            Some(b) => {
                *b &= 0x7f;
                true
            }
            None => false,
        },
        // The decoder ignores a known tag's declared size.
        GuardError::TaggedSizeMismatch { at, consumed, .. } => {
            let Some(tag_len) = varint_len(&bytes[at.offset..]) else {
                return false;
            };
            let size_at = at.offset + tag_len;
            let Some(size_len) = varint_len(&bytes[size_at..]) else {
                return false;
            };
            match padded_varint(*consumed as u32, size_len) {
                Some(size) => {
                    bytes[size_at..size_at + size_len].copy_from_slice(&size);
                    true
                }
                None => false,
            }
        }
        _ => false,
    }
}

/// Checks the agreement described at the top of this file on one input.
fn check_agreement(api_key: i16, version: i16, input: &[u8]) -> Result<Verdict, String> {
    let mut canonical = input.to_vec();
    let mut guard = check_request_body(api_key, version, &canonical);
    let mut rewritten = false;
    for _ in 0..64 {
        match &guard {
            Err(e) if canonicalize(&mut canonical, e) => {
                rewritten = true;
                guard = check_request_body(api_key, version, &canonical);
            }
            _ => break,
        }
    }
    if let Err(GuardError::CountTooLarge { at, .. }) = &guard {
        if at.field != TAG_SECTION {
            return Ok(Verdict::NotRun);
        }
    }
    if let Err(GuardError::VarintTooLong { .. } | GuardError::TaggedSizeMismatch { .. }) = &guard {
        // Could not be rewritten in place (a size that needs more varint bytes): the decoder
        // would read on past the point where the guard stopped, so it is not run.
        return Ok(Verdict::NotRun);
    }
    let decoded = kp::decode(api_key, version, input, false).map(|d| d.consumed);
    if rewritten {
        let again = kp::decode(api_key, version, &canonical, false).map(|d| d.consumed);
        if again != decoded {
            return Err(format!(
                "canonical form decodes differently: {again:?} vs {decoded:?}"
            ));
        }
    }
    match (guard, decoded) {
        (Ok(n), Ok(c)) if n == c => Ok(if rewritten {
            Verdict::AcceptAfterCanonical
        } else {
            Verdict::BothAccept
        }),
        (Err(_), Err(_)) => Ok(Verdict::BothRefuse),
        (g, d) => Err(format!("guard {g:?} but kafka-protocol {d:?}")),
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(Index, u8),
    Flip(Index, u8),
    Insert(Index, Vec<u8>),
    Remove(Index, usize),
    Truncate(Index),
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let at = |i: &Index, extra: usize| i.index(bytes.len() + extra);
    match m {
        Mutation::Set(i, b) if !bytes.is_empty() => {
            let i = at(i, 0);
            bytes[i] = *b;
        }
        Mutation::Flip(i, bit) if !bytes.is_empty() => {
            let i = at(i, 0);
            bytes[i] ^= 1 << (bit % 8);
        }
        Mutation::Insert(i, more) => {
            let i = at(i, 1);
            bytes.splice(i..i, more.iter().copied());
        }
        Mutation::Remove(i, len) if !bytes.is_empty() => {
            let i = at(i, 0);
            let end = (i + len).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::Truncate(i) => {
            let i = at(i, 1);
            bytes.truncate(i);
        }
        _ => {}
    }
}

/// Bytes that sit on encoding boundaries (null, -1, varint continuation) plus anything.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(0x00u8),
        Just(0x01),
        Just(0x02),
        Just(0x7f),
        Just(0x80),
        Just(0xfe),
        Just(0xff),
        any::<u8>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), interesting_byte()).prop_map(|(i, b)| Mutation::Set(i, b)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        2 => (any::<Index>(), prop::collection::vec(interesting_byte(), 1..6))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        1 => (any::<Index>(), 1usize..8).prop_map(|(i, n)| Mutation::Remove(i, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn pick(index: &Index) -> &'static Case {
    let all = corpus();
    &all[index.index(all.len())]
}

/// Random mutations of every corpus entry. Run through `TestRunner` rather than `proptest!` so the
/// outcomes can be counted: the property must hold, and all outcomes must actually occur.
#[test]
fn guard_and_decoder_agree_on_mutated_requests() {
    let config = Config {
        cases: 30_000,
        failure_persistence: None,
        ..Config::default()
    };
    let seen = RefCell::new(HashMap::new());
    let strategy = (any::<Index>(), prop::collection::vec(mutation(), 1..5));
    let result = TestRunner::new(config).run(&strategy, |(index, mutations)| {
        let case = pick(&index);
        let mut bytes = case.bytes.clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let verdict = check_agreement(case.api_key, case.version, &bytes)
            .map_err(|e| TestCaseError::fail(format!("{case:?} mutated to {bytes:02x?}: {e}")))?;
        *seen.borrow_mut().entry(verdict).or_insert(0usize) += 1;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let seen = seen.into_inner();
    eprintln!("random mutations: {seen:?}");
    for verdict in [Verdict::BothAccept, Verdict::BothRefuse, Verdict::NotRun] {
        assert!(seen.get(&verdict).copied().unwrap_or(0) > 500, "{seen:?}");
    }
}

/// Every single-byte overwrite of every rich sample with a few boundary values: deterministic
/// coverage of every field position, and a count of outcomes so the sweep cannot pass vacuously.
#[test]
fn guard_and_decoder_agree_on_every_byte_overwrite() {
    let mut seen = HashMap::new();
    for case in corpus().iter().filter(|c| c.what == "rich") {
        for i in 0..case.bytes.len() {
            let original = case.bytes[i];
            for value in [0x00, 0x80, 0xff, original ^ 0x01] {
                let mut bytes = case.bytes.clone();
                bytes[i] = value;
                let verdict = check_agreement(case.api_key, case.version, &bytes)
                    .unwrap_or_else(|e| panic!("{case:?} byte {i} = {value:#04x}: {e}"));
                *seen.entry(verdict).or_insert(0usize) += 1;
            }
        }
    }
    eprintln!("byte overwrites: {seen:?}");
    for verdict in [Verdict::BothAccept, Verdict::BothRefuse, Verdict::NotRun] {
        assert!(seen.get(&verdict).copied().unwrap_or(0) > 100, "{seen:?}");
    }
}
