//! The declarative schema language the request tables are written in.
//!
//! A schema describes only what decides where bytes go: field order, wire type, the versions a
//! field is present in, nullability, and which tags a struct knows. Field values are never
//! interpreted, so e.g. `replica_id` and `partition_index` are both just `Int32`. Nullability
//! follows kafka-protocol's Rust types (`Option<_>` accepts null at every version), not the Kafka
//! JSON specs, because agreeing with that decoder is the point.

/// An inclusive range of versions.
#[derive(Debug, Clone, Copy)]
pub(super) struct Versions {
    pub(super) min: i16,
    pub(super) max: i16,
}

impl Versions {
    /// Every version; the message's own range limits it.
    pub(super) const ALL: Versions = Versions {
        min: 0,
        max: i16::MAX,
    };

    pub(super) const fn from(min: i16) -> Versions {
        Versions { min, max: i16::MAX }
    }

    pub(super) const fn upto(max: i16) -> Versions {
        Versions { min: 0, max }
    }

    pub(super) const fn range(min: i16, max: i16) -> Versions {
        Versions { min, max }
    }

    pub(super) const fn contains(self, version: i16) -> bool {
        self.min <= version && version <= self.max
    }
}

/// A wire type. Strings, bytes and arrays switch to their compact encoding in the message's
/// flexible versions, so the table does not repeat that per field.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ty {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Uuid,
    String,
    NullableString,
    Bytes,
    NullableBytes,
    Struct(&'static StructSchema),
    /// A struct behind a presence byte (kafka-protocol's `OptionStruct`): 1 means the struct
    /// follows; any other value is null.
    NullableStruct(&'static StructSchema),
    Array(Elem),
    NullableArray(Elem),
}

/// What an array holds. A separate enum (rather than `&Ty`) keeps the tables plain constants.
#[derive(Debug, Clone, Copy)]
pub(super) enum Elem {
    Int8,
    Int32,
    Int64,
    String,
    Struct(&'static StructSchema),
}

impl Elem {
    pub(super) const fn ty(self) -> Ty {
        match self {
            Elem::Int8 => Ty::Int8,
            Elem::Int32 => Ty::Int32,
            Elem::Int64 => Ty::Int64,
            Elem::String => Ty::String,
            Elem::Struct(s) => Ty::Struct(s),
        }
    }
}

/// A field in the fixed (untagged) part of a struct.
#[derive(Debug, Clone, Copy)]
pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) ty: Ty,
    pub(super) versions: Versions,
}

/// A tagged field the decoder knows by number. Outside `versions` the decoder refuses the tag
/// rather than skipping it as unknown.
#[derive(Debug, Clone, Copy)]
pub(super) struct TaggedField {
    pub(super) tag: u32,
    pub(super) name: &'static str,
    pub(super) ty: Ty,
    pub(super) versions: Versions,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct StructSchema {
    pub(super) name: &'static str,
    pub(super) fields: &'static [Field],
    pub(super) tagged: &'static [TaggedField],
}

/// One request type. Nested structs are decoded at the message's version, as kafka-protocol does.
#[derive(Debug, Clone, Copy)]
pub(super) struct MessageSchema {
    pub(super) api_key: i16,
    pub(super) versions: Versions,
    /// First flexible version, if any: compact encodings and a tag section per struct from here.
    pub(super) flexible_from: Option<i16>,
    pub(super) body: &'static StructSchema,
}

impl MessageSchema {
    pub(super) fn is_flexible(&self, version: i16) -> bool {
        self.flexible_from.is_some_and(|f| version >= f)
    }
}

pub(super) const fn field(name: &'static str, ty: Ty, versions: Versions) -> Field {
    Field { name, ty, versions }
}

/// An array of structs, the commonest shape in the tables.
pub(super) const fn structs(schema: &'static StructSchema) -> Ty {
    Ty::Array(Elem::Struct(schema))
}

pub(super) const fn nullable_structs(schema: &'static StructSchema) -> Ty {
    Ty::NullableArray(Elem::Struct(schema))
}

pub(super) const fn tagged(
    tag: u32,
    name: &'static str,
    ty: Ty,
    versions: Versions,
) -> TaggedField {
    TaggedField {
        tag,
        name,
        ty,
        versions,
    }
}
