//! Builds request bodies from the guard's own schema: every field present at the version gets a
//! distinct non-default value, every array two elements, every flexible struct its valid known
//! tags and two unknown tags. kafka-protocol then decodes and re-encodes these bytes; if it
//! reproduces them exactly, the schema and the decoder agree on every byte of the message.
//!
//! The same generator can put a null (or, in non-flexible versions, a length of -2) into the
//! n-th string/bytes/array slot, to check nullability field by field against the decoder.

use super::super::schema::{MessageSchema, StructSchema, Ty};

/// Unknown tags written on every flexible struct; above every known tag so that kafka-protocol,
/// which writes known tags first, re-encodes them in the same order.
const UNKNOWN_TAGS: [(u32, &[u8]); 2] = [(40, &[0xde, 0xad]), (41, &[])];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Bad {
    Null,
    MinusTwo,
}

pub(super) struct Sample {
    pub(super) bytes: Vec<u8>,
    /// When a slot was replaced: whether the schema says that field is nullable, and its name.
    pub(super) replaced: Option<(bool, &'static str)>,
}

pub(super) fn rich(schema: &MessageSchema, version: i16) -> Vec<u8> {
    generate(schema, version, None).bytes
}

/// `rich`, but with the `slot`-th length-prefixed value replaced by `bad`.
pub(super) fn with_bad_slot(schema: &MessageSchema, version: i16, slot: usize, bad: Bad) -> Sample {
    generate(schema, version, Some((slot, bad)))
}

fn generate(schema: &MessageSchema, version: i16, bad: Option<(usize, Bad)>) -> Sample {
    let mut g = Gen {
        out: Vec::new(),
        version,
        flexible: schema.is_flexible(version),
        counter: 0,
        slot: 0,
        bad,
        replaced: None,
        field: "",
    };
    g.structure(schema.body);
    Sample {
        bytes: g.out,
        replaced: g.replaced,
    }
}

struct Gen {
    out: Vec<u8>,
    version: i16,
    flexible: bool,
    counter: u32,
    slot: usize,
    bad: Option<(usize, Bad)>,
    replaced: Option<(bool, &'static str)>,
    field: &'static str,
}

impl Gen {
    fn next(&mut self) -> u32 {
        self.counter += 1;
        self.counter
    }

    fn uvarint(&mut self, mut v: u32) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    fn prefix(&mut self, len: usize, short: bool) {
        if self.flexible {
            self.uvarint(len as u32 + 1);
        } else if short {
            self.out.extend_from_slice(&(len as i16).to_be_bytes());
        } else {
            self.out.extend_from_slice(&(len as i32).to_be_bytes());
        }
    }

    /// Writes the replacement instead of a value if this is the chosen slot.
    fn bad_slot(&mut self, nullable: bool, short: bool) -> bool {
        let here = self.slot;
        self.slot += 1;
        let Some((slot, bad)) = self.bad else {
            return false;
        };
        if slot != here || (bad == Bad::MinusTwo && self.flexible) {
            return false;
        }
        self.replaced = Some((nullable, self.field));
        let raw: i32 = if bad == Bad::Null { -1 } else { -2 };
        if self.flexible {
            self.uvarint(0);
        } else if short {
            self.out.extend_from_slice(&(raw as i16).to_be_bytes());
        } else {
            self.out.extend_from_slice(&raw.to_be_bytes());
        }
        true
    }

    fn structure(&mut self, s: &'static StructSchema) {
        let version = self.version;
        for f in s.fields.iter().filter(|f| f.versions.contains(version)) {
            self.field = f.name;
            self.value(f.ty);
        }
        if !self.flexible {
            return;
        }
        let known: Vec<_> = s
            .tagged
            .iter()
            .filter(|t| t.versions.contains(version))
            .collect();
        self.uvarint((known.len() + UNKNOWN_TAGS.len()) as u32);
        for t in known {
            self.field = t.name;
            let outer = std::mem::take(&mut self.out);
            self.value(t.ty);
            let value = std::mem::replace(&mut self.out, outer);
            self.uvarint(t.tag);
            self.uvarint(value.len() as u32);
            self.out.extend_from_slice(&value);
        }
        for (tag, data) in UNKNOWN_TAGS {
            self.uvarint(tag);
            self.uvarint(data.len() as u32);
            self.out.extend_from_slice(data);
        }
    }

    fn value(&mut self, ty: Ty) {
        match ty {
            Ty::Bool => self.out.push(1),
            Ty::Int8 => {
                let v = self.next() as u8;
                self.out.push(v);
            }
            Ty::Int16 => {
                let v = self.next() as u16;
                self.out.extend_from_slice(&v.to_be_bytes());
            }
            Ty::Int32 => {
                let v = self.next();
                self.out.extend_from_slice(&v.to_be_bytes());
            }
            Ty::Int64 => {
                let v = u64::from(self.next()) << 8;
                self.out.extend_from_slice(&v.to_be_bytes());
            }
            Ty::Uuid => {
                let v = u128::from(self.next()) | (0xab << 64);
                self.out.extend_from_slice(&v.to_be_bytes());
            }
            Ty::String | Ty::NullableString => {
                if !self.bad_slot(matches!(ty, Ty::NullableString), true) {
                    let text = format!("s{}-é", self.next());
                    self.prefix(text.len(), true);
                    self.out.extend_from_slice(text.as_bytes());
                }
            }
            Ty::Bytes | Ty::NullableBytes => {
                if !self.bad_slot(matches!(ty, Ty::NullableBytes), false) {
                    let v = self.next().to_be_bytes();
                    self.prefix(v.len(), false);
                    self.out.extend_from_slice(&v);
                }
            }
            Ty::Struct(s) => self.structure(s),
            // Present: the decoder's null (any byte but 1) has nothing after it to check.
            Ty::NullableStruct(s) => {
                self.out.push(1);
                self.structure(s)
            }
            Ty::Array(elem) | Ty::NullableArray(elem) => {
                if !self.bad_slot(matches!(ty, Ty::NullableArray(_)), false) {
                    let field = self.field;
                    self.prefix(2, false);
                    for _ in 0..2 {
                        self.value(elem.ty());
                        self.field = field;
                    }
                }
            }
        }
    }
}
