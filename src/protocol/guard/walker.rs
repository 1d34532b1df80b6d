//! The generic walker: interprets a [`MessageSchema`] over a byte slice exactly as kafka-protocol's
//! generated decoders read it, without building any values.
//!
//! Every read is bounds-checked against the slice, and every count or length is compared with the
//! bytes that remain before anything is skipped or iterated, so the walk costs at most linear time
//! in the input (plus one loop turn per element actually present) and allocates nothing.

use super::schema::{Elem, MessageSchema, StructSchema, Ty};
use super::{GuardError, Location, Note, Notes};

/// Longest unsigned varint the decoder reads (it stops after 5 bytes).
const VARINT_MAX_BYTES: usize = 5;

/// Cap on an array whose elements can be empty on the wire at this version. Such a count cannot be
/// checked against the remaining bytes, yet the decoder still reserves `count` Rust values for it.
/// No request version reachable through the tables has such an array today; the cap is a backstop.
const ZERO_SIZE_MAX_COUNT: u64 = 64;

/// Name used in [`Location::field`] while reading a struct's tag section.
pub(super) const TAG_SECTION: &str = "tagged fields";

pub(super) fn walk(
    schema: &MessageSchema,
    version: i16,
    body: &[u8],
    notes: &mut Notes,
) -> Result<usize, GuardError> {
    let mut walker = Walker {
        body,
        pos: 0,
        version,
        flexible: schema.is_flexible(version),
        within: schema.body.name,
        field: "",
        notes,
    };
    walker.walk_struct(schema.body)?;
    Ok(walker.pos)
}

/// Fewest bytes a value of `ty` can occupy at `version` (null or empty where allowed).
pub(super) fn min_size(ty: Ty, version: i16, flexible: bool) -> usize {
    let (short_prefix, long_prefix) = if flexible { (1, 1) } else { (2, 4) };
    match ty {
        Ty::Bool | Ty::Int8 => 1,
        Ty::Int16 => 2,
        Ty::Int32 => 4,
        Ty::Int64 => 8,
        Ty::Uuid => 16,
        Ty::String | Ty::NullableString => short_prefix,
        Ty::Bytes | Ty::NullableBytes | Ty::Array(_) | Ty::NullableArray(_) => long_prefix,
        Ty::NullableStruct(_) => 1,
        Ty::Struct(schema) => {
            let fields: usize = schema
                .fields
                .iter()
                .filter(|f| f.versions.contains(version))
                .map(|f| min_size(f.ty, version, flexible))
                .sum();
            fields + usize::from(flexible)
        }
    }
}

/// Non-flexible versions prefix strings with an `i16`, bytes and arrays with an `i32`; flexible
/// versions use an unsigned varint of `length + 1` for all three.
#[derive(Clone, Copy)]
enum Prefix {
    Int16,
    Int32,
}

struct Walker<'a, 'n> {
    body: &'a [u8],
    pos: usize,
    version: i16,
    flexible: bool,
    within: &'static str,
    field: &'static str,
    /// What Kafka tolerates and the spec does not define, for the
    /// conformance report.
    notes: &'n mut Notes,
}

impl<'a> Walker<'a, '_> {
    fn at(&self, offset: usize) -> Location {
        Location {
            offset,
            within: self.within,
            field: self.field,
        }
    }

    fn remaining(&self) -> usize {
        self.body.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], GuardError> {
        let slice = self
            .pos
            .checked_add(n)
            .and_then(|end| self.body.get(self.pos..end))
            .ok_or(GuardError::Truncated {
                at: self.at(self.pos),
                needed: n,
                remaining: self.remaining(),
            })?;
        self.pos += n;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], GuardError> {
        let at = self.pos;
        let slice = self.take(N)?;
        // `take` returned exactly N bytes; the error arm is unreachable but must not panic.
        slice.try_into().map_err(|_| GuardError::Truncated {
            at: self.at(at),
            needed: N,
            remaining: slice.len(),
        })
    }

    /// Computes the value the way kafka-protocol does, including dropping the bits of a fifth byte
    /// that do not fit in 32 bits, because lengths derived from it must match the decoder's.
    fn uvarint(&mut self) -> Result<u32, GuardError> {
        let start = self.pos;
        let mut value: u32 = 0;
        for i in 0..VARINT_MAX_BYTES {
            let [byte] = self.array::<1>()?;
            // i < 5, so the shift is at most 28 and cannot exceed the width.
            value |= u32::from(byte & 0x7f).wrapping_shl(7 * i as u32);
            if byte < 0x80 {
                // A last byte of zero after the first adds nothing: the
                // value had a shorter encoding.
                if byte == 0 && i > 0 {
                    self.notes.push(Note::NonCanonicalVarint {
                        within: self.within,
                        field: self.field,
                    });
                }
                return Ok(value);
            }
        }
        Err(GuardError::VarintTooLong {
            at: self.at(start),
            max_bytes: VARINT_MAX_BYTES,
        })
    }

    /// Reads a length or count prefix; `None` is null.
    fn length(&mut self, prefix: Prefix) -> Result<Option<u64>, GuardError> {
        if self.flexible {
            return Ok(self.uvarint()?.checked_sub(1).map(u64::from));
        }
        let start = self.pos;
        let raw = match prefix {
            Prefix::Int16 => i64::from(i16::from_be_bytes(self.array()?)),
            Prefix::Int32 => i64::from(i32::from_be_bytes(self.array()?)),
        };
        match raw {
            -1 => Ok(None),
            n => u64::try_from(n)
                .map(Some)
                .map_err(|_| GuardError::NegativeLength {
                    at: self.at(start),
                    length: n,
                }),
        }
    }

    fn null_or_refuse(&self, nullable: bool, start: usize) -> Result<(), GuardError> {
        if nullable {
            Ok(())
        } else {
            Err(GuardError::UnexpectedNull { at: self.at(start) })
        }
    }

    /// Skips `length` bytes after checking they are there.
    fn payload(&mut self, length: u64, start: usize) -> Result<&'a [u8], GuardError> {
        let remaining = self.remaining();
        match usize::try_from(length) {
            Ok(n) if n <= remaining => self.take(n),
            _ => Err(GuardError::LengthTooLarge {
                at: self.at(start),
                length,
                remaining,
            }),
        }
    }

    fn walk_struct(&mut self, schema: &'static StructSchema) -> Result<(), GuardError> {
        let (outer_within, outer_field) = (self.within, self.field);
        self.within = schema.name;
        for field in schema.fields {
            if field.versions.contains(self.version) {
                self.field = field.name;
                self.walk_value(field.ty)?;
            }
        }
        if self.flexible {
            self.field = TAG_SECTION;
            self.walk_tags(schema)?;
        }
        self.within = outer_within;
        self.field = outer_field;
        Ok(())
    }

    fn walk_value(&mut self, ty: Ty) -> Result<(), GuardError> {
        let start = self.pos;
        match ty {
            Ty::Bool | Ty::Int8 => self.take(1).map(drop),
            Ty::Int16 => self.take(2).map(drop),
            Ty::Int32 => self.take(4).map(drop),
            Ty::Int64 => self.take(8).map(drop),
            Ty::Uuid => self.take(16).map(drop),
            Ty::String | Ty::NullableString => match self.length(Prefix::Int16)? {
                None => self.null_or_refuse(matches!(ty, Ty::NullableString), start),
                Some(length) => {
                    let text = self.payload(length, start)?;
                    std::str::from_utf8(text)
                        .map(drop)
                        .map_err(|_| GuardError::InvalidUtf8 { at: self.at(start) })
                }
            },
            Ty::Bytes | Ty::NullableBytes => match self.length(Prefix::Int32)? {
                None => self.null_or_refuse(matches!(ty, Ty::NullableBytes), start),
                Some(length) => self.payload(length, start).map(drop),
            },
            Ty::Struct(schema) => self.walk_struct(schema),
            Ty::NullableStruct(schema) => {
                let [present] = self.array::<1>()?;
                if present == 1 {
                    self.walk_struct(schema)
                } else {
                    Ok(())
                }
            }
            Ty::Array(elem) | Ty::NullableArray(elem) => match self.length(Prefix::Int32)? {
                None => self.null_or_refuse(matches!(ty, Ty::NullableArray(_)), start),
                Some(count) => {
                    self.check_count(count, elem, start)?;
                    for _ in 0..count {
                        self.walk_value(elem.ty())?;
                    }
                    Ok(())
                }
            },
        }
    }

    /// The decoder reserves `count` elements before reading any, so the count must be plausible
    /// before the first element is walked: each element needs at least `min_size` bytes.
    fn check_count(&self, count: u64, elem: Elem, start: usize) -> Result<(), GuardError> {
        let remaining = self.remaining();
        let fits = match min_size(elem.ty(), self.version, self.flexible) {
            0 => count <= ZERO_SIZE_MAX_COUNT,
            min => count <= (remaining / min) as u64,
        };
        if fits {
            Ok(())
        } else {
            Err(GuardError::CountTooLarge {
                at: self.at(start),
                count,
                remaining,
            })
        }
    }

    /// A flexible struct's tag section: a count, then `tag, size, bytes` per field. Unknown tags
    /// are skipped by size; known ones are walked by type, as the decoder reads them, and must
    /// then have consumed exactly the declared size.
    fn walk_tags(&mut self, schema: &'static StructSchema) -> Result<(), GuardError> {
        let start = self.pos;
        let count = self.uvarint()?;
        // A tag and a size varint take at least one byte each.
        let remaining = self.remaining();
        if u64::from(count) > (remaining / 2) as u64 {
            return Err(GuardError::CountTooLarge {
                at: self.at(start),
                count: u64::from(count),
                remaining,
            });
        }
        for _ in 0..count {
            let tag_start = self.pos;
            let tag = self.uvarint()?;
            let size = u64::from(self.uvarint()?);
            match schema.tagged.iter().find(|t| t.tag == tag) {
                Some(known) if !known.versions.contains(self.version) => {
                    return Err(GuardError::TagNotValidForVersion {
                        at: self.at(tag_start),
                        tag,
                        version: self.version,
                    });
                }
                Some(known) => {
                    self.field = known.name;
                    let value_start = self.pos;
                    self.walk_value(known.ty)?;
                    let consumed = self.pos - value_start;
                    if consumed as u64 != size {
                        return Err(GuardError::TaggedSizeMismatch {
                            at: self.at(tag_start),
                            tag,
                            declared: size,
                            consumed,
                        });
                    }
                    self.field = TAG_SECTION;
                }
                None => {
                    self.notes.push(Note::UnknownTag {
                        within: self.within,
                        tag,
                    });
                    self.payload(size, tag_start)?;
                }
            }
        }
        Ok(())
    }
}
