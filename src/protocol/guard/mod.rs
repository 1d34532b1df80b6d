//! Pre-decode guard for request bodies.
//!
//! kafka-protocol's decoders trust the lengths they read: arrays call `Vec::with_capacity(n)` and
//! `Vec<u8>`/`String` fields call `vec![0; n]` with `n` straight from the wire, so a 20-byte frame
//! that claims 2^31 elements makes the process abort on allocation failure. Nothing downstream can
//! catch an abort, so the check has to happen before kafka-protocol sees the bytes.
//!
//! The guard walks the body against a schema of the request at its version, reading the same
//! fields in the same order with the same version conditions, compact encodings and tag sections
//! as kafka-protocol 0.18's generated decoders, and checks every count and length against the bytes
//! that actually remain. Only a body the walk accepts is handed to `Decodable::decode`, and on such
//! a body no count the decoder reads can exceed the remaining input.
//!
//! Where the guard is deliberately stricter than the decoder (varints, known tag sizes, oversized
//! counts) is documented on [`GuardError`]'s variants and in `walker.rs`.

mod cluster_admin;
mod groups;
mod metadata_admin;
mod produce_fetch;
mod schema;
mod transactions;
mod walker;

#[cfg(test)]
mod tests;

use schema::MessageSchema;

/// Where in the body a problem was found: the byte offset and the field being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Offset from the start of the body.
    pub offset: usize,
    /// The struct being walked, named as in kafka-protocol (e.g. `FetchPartition`).
    pub within: &'static str,
    /// The field being read, or `tagged fields` for a struct's tag section.
    pub field: &'static str,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "byte {} ({}.{})", self.offset, self.within, self.field)
    }
}

/// Why a body was refused. Each variant carries the [`Location`] of the offending read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error("no request schema for api key {api_key} version {version}")]
    Unsupported { api_key: i16, version: i16 },

    #[error("truncated at {at}: need {needed} bytes, {remaining} remain")]
    Truncated {
        at: Location,
        needed: usize,
        remaining: usize,
    },

    /// A fifth varint byte that still has its continuation bit set. kafka-protocol stops after
    /// five bytes without looking at that bit; the guard refuses the encoding instead (stricter).
    /// None of the covered requests has varlong fields, so the limit is always five.
    #[error("varint longer than {max_bytes} bytes at {at}")]
    VarintTooLong { at: Location, max_bytes: usize },

    #[error("negative length {length} at {at}")]
    NegativeLength { at: Location, length: i64 },

    #[error("null at {at}, but the field is not nullable")]
    UnexpectedNull { at: Location },

    /// An array count that cannot fit in what remains, given the smallest size one element can
    /// have at this version, or a tag count larger than half the remaining bytes. The decoder
    /// would fail too, but only after reserving memory for `count` elements.
    #[error("count {count} at {at} exceeds what {remaining} remaining bytes can hold")]
    CountTooLarge {
        at: Location,
        count: u64,
        remaining: usize,
    },

    #[error("length {length} at {at} exceeds the {remaining} remaining bytes")]
    LengthTooLarge {
        at: Location,
        length: u64,
        remaining: usize,
    },

    #[error("string at {at} is not valid UTF-8")]
    InvalidUtf8 { at: Location },

    /// kafka-protocol decodes a known tag by its type and ignores the declared size (stricter:
    /// it would accept this). Any reader that honours the size would disagree with it about
    /// where the next field starts, so the guard refuses.
    #[error("tagged field {tag} at {at} declares {declared} bytes but its type took {consumed}")]
    TaggedSizeMismatch {
        at: Location,
        tag: u32,
        declared: u64,
        consumed: usize,
    },

    /// The decoder knows this tag but refuses it at this version.
    #[error("tagged field {tag} at {at} is not valid in version {version}")]
    TagNotValidForVersion {
        at: Location,
        tag: u32,
        version: i16,
    },
}

/// Something in a body that the walk accepted, as Kafka does, but that the protocol spec does not
/// define: the conformance report's raw material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// A tag the struct's schema does not know; skipped by its size.
    UnknownTag { within: &'static str, tag: u32 },
    /// A varint whose last byte is a redundant zero.
    NonCanonicalVarint {
        within: &'static str,
        field: &'static str,
    },
}

/// The notes of one walk. A hostile body could hold millions of unknown tags, so only the first
/// [`Notes::MAX`] are kept; the report wants one of each kind anyway.
#[derive(Debug, Default)]
pub struct Notes {
    list: Vec<Note>,
}

impl Notes {
    pub const MAX: usize = 8;

    fn push(&mut self, note: Note) {
        if self.list.len() < Self::MAX && !self.list.contains(&note) {
            self.list.push(note);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Note> {
        self.list.iter()
    }
}

/// Walks `body` (the request body, after the request header) as request `api_key` at `version`.
/// Returns the number of bytes the body occupies; the caller decides what to do with trailing bytes.
#[cfg(test)]
pub fn check_request_body(api_key: i16, version: i16, body: &[u8]) -> Result<usize, GuardError> {
    check_request_body_noting(api_key, version, body, &mut Notes::default())
}

/// [`check_request_body`], also collecting what the body does that Kafka tolerates.
pub fn check_request_body_noting(
    api_key: i16,
    version: i16,
    body: &[u8],
    notes: &mut Notes,
) -> Result<usize, GuardError> {
    let schema = find(api_key, version).ok_or(GuardError::Unsupported { api_key, version })?;
    walker::walk(schema, version, body, notes)
}

/// Whether the guard has a schema for this api key and version.
#[cfg_attr(not(test), allow(dead_code))]
pub fn has_schema(api_key: i16, version: i16) -> bool {
    find(api_key, version).is_some()
}

fn all_messages() -> impl Iterator<Item = &'static MessageSchema> {
    produce_fetch::MESSAGES
        .iter()
        .chain(metadata_admin::MESSAGES)
        .chain(groups::MESSAGES)
        .chain(transactions::MESSAGES)
        .chain(cluster_admin::MESSAGES)
}

fn find(api_key: i16, version: i16) -> Option<&'static MessageSchema> {
    all_messages().find(|m| m.api_key == api_key && m.versions.contains(version))
}
