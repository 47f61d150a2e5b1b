//! JSON Schemas for IR types, fields and type expressions, as `openapiv3` values.
//!
//! Mapping (OpenAPI 3.0.3 keywords):
//! - `int` is an `integer` (`format: int64`) bounded by ±(2^53−1) unless the
//!   contract is tighter; `i32` is `format: int32` with its range spelled out;
//!   `int64` travels as a decimal string whose `pattern` admits exactly the
//!   64-bit range; `float` is a `number` (`format: double`).
//! - `uuid`, `email`, `url`, `datetime`, `date` and `bytes` are strings with
//!   the formats `uuid`, `email`, `uri`, `date-time`, `date` and `byte`
//!   (base64).
//! - Named types are `$ref`s; a `$ref` cannot carry siblings in 3.0, so a
//!   nullable or annotated reference is wrapped in a one-element `allOf`.
//! - `T?` adds `nullable: true` to a typed schema and makes any other
//!   `anyOf: [T, null]` (see [`nullable`]); whether the field is `required` depends on
//!   the direction (see `emit::openapi`): [`Direction::In`] is a request,
//!   [`Direction::Out`] a response.

use indexmap::IndexMap;
use openapiv3::{
    AdditionalProperties, AnySchema, ArrayType, BooleanType, Discriminator, IntegerFormat,
    IntegerType, NumberFormat, NumberType, ObjectType, ReferenceOr, Schema, SchemaData, SchemaKind,
    StringFormat, StringType, Type, VariantOrUnknownOrEmpty,
};
use serde_json::Value;

use super::decimal;
use super::layout::Layout;
use crate::ir::{Constraints, Direction, Field, TypeDef, TypeKind, TypeRef};

/// The largest integer JavaScript represents exactly (2^53 − 1): the range of
/// the contract type `int`.
pub(crate) const JS_SAFE_MAX: i64 = 9_007_199_254_740_991;

/// The JSON pointer of a component schema.
pub(crate) fn schema_ref(name: &str) -> String {
    format!("#/components/schemas/{name}")
}

/// A `$ref` to a component schema.
pub(crate) fn reference<T>(name: &str) -> ReferenceOr<T> {
    ReferenceOr::Reference {
        reference: schema_ref(name),
    }
}

/// A schema of `kind` with no annotations.
pub(crate) fn plain(kind: SchemaKind) -> Schema {
    Schema {
        schema_data: SchemaData::default(),
        schema_kind: kind,
    }
}

/// A schema of JSON type `ty` with no annotations.
pub(crate) fn typed(ty: Type) -> Schema {
    plain(SchemaKind::Type(ty))
}

/// Boxes a schema for the places `openapiv3` wants `ReferenceOr<Box<Schema>>`.
pub(crate) fn boxed(s: ReferenceOr<Schema>) -> ReferenceOr<Box<Schema>> {
    match s {
        ReferenceOr::Reference { reference } => ReferenceOr::Reference { reference },
        ReferenceOr::Item(s) => ReferenceOr::Item(Box::new(s)),
    }
}

/// Turns a reference into an inline schema (`allOf: [$ref]`) so that it can
/// carry annotations; inline schemas are returned as they are.
pub(crate) fn inline(s: ReferenceOr<Schema>) -> Schema {
    match s {
        ReferenceOr::Item(s) => s,
        r @ ReferenceOr::Reference { .. } => plain(SchemaKind::AllOf { all_of: vec![r] }),
    }
}

/// A string schema allowing exactly `values`.
pub(crate) fn string_enum<'v>(values: impl IntoIterator<Item = &'v str>) -> Schema {
    typed(Type::String(StringType {
        enumeration: values.into_iter().map(|v| Some(v.to_string())).collect(),
        ..StringType::default()
    }))
}

/// A plain string schema.
pub(crate) fn string() -> Schema {
    typed(Type::String(StringType::default()))
}

/// `s` or `null`. A typed schema gets `nullable: true`; a schema without a
/// `type` of its own (a reference, a composition) becomes `anyOf: [s, null]`
/// with its annotations kept outside, since OpenAPI 3.0.3 ignores `nullable`
/// without a sibling `type`; a schema of any value already admits `null`.
pub(crate) fn nullable(s: ReferenceOr<Schema>) -> ReferenceOr<Schema> {
    let mut s = inline(s);
    match s.schema_kind {
        SchemaKind::Type(_) => s.schema_data.nullable = true,
        SchemaKind::Any(ref a)
            if a.typ.is_none()
                && a.all_of.is_empty()
                && a.any_of.is_empty()
                && a.one_of.is_empty() => {}
        kind => {
            let inner = match kind {
                SchemaKind::AllOf { mut all_of } if all_of.len() == 1 => all_of.remove(0),
                kind => ReferenceOr::Item(plain(kind)),
            };
            s.schema_kind = SchemaKind::AnyOf {
                any_of: vec![inner, ReferenceOr::Item(null_only())],
            };
        }
    }
    ReferenceOr::Item(s)
}

/// The schema whose only value is `null`, in OpenAPI 3.0 terms (3.0 has no
/// `null` type).
pub(crate) fn null_only() -> Schema {
    let mut s = typed(Type::String(StringType {
        enumeration: vec![None],
        ..StringType::default()
    }));
    s.schema_data.nullable = true;
    s
}

impl Layout<'_> {
    /// The schema of a type expression as seen from `dir`. `c` applies to the
    /// outermost non-optional type (as in the contract).
    pub(crate) fn type_ref_schema(
        &self,
        ty: &TypeRef,
        c: &Constraints,
        dir: Direction,
    ) -> ReferenceOr<Schema> {
        let string_with = |format: VariantOrUnknownOrEmpty<StringFormat>| {
            ReferenceOr::Item(typed(Type::String(StringType {
                format,
                pattern: c.pattern.clone(),
                min_length: c.min_len.map(to_usize),
                max_length: c.max_len.map(to_usize),
                ..StringType::default()
            })))
        };
        let unknown = |f: &str| VariantOrUnknownOrEmpty::Unknown(f.to_string());
        match ty {
            TypeRef::Optional { inner } => nullable(self.type_ref_schema(inner, c, dir)),
            TypeRef::Bool => ReferenceOr::Item(typed(Type::Boolean(BooleanType::default()))),
            TypeRef::Int => {
                ReferenceOr::Item(integer(IntegerFormat::Int64, -JS_SAFE_MAX, JS_SAFE_MAX, c))
            }
            TypeRef::I32 => ReferenceOr::Item(integer(
                IntegerFormat::Int32,
                i64::from(i32::MIN),
                i64::from(i32::MAX),
                c,
            )),
            TypeRef::Float => ReferenceOr::Item(typed(Type::Number(NumberType {
                format: VariantOrUnknownOrEmpty::Item(NumberFormat::Double),
                minimum: c.min.as_ref().and_then(|n| n.as_f64()),
                maximum: c.max.as_ref().and_then(|n| n.as_f64()),
                ..NumberType::default()
            }))),
            TypeRef::Int64 => ReferenceOr::Item(int64_string(c)),
            TypeRef::String => string_with(VariantOrUnknownOrEmpty::Empty),
            TypeRef::Uuid => string_with(unknown("uuid")),
            TypeRef::Email => string_with(unknown("email")),
            TypeRef::Url => string_with(unknown("uri")),
            TypeRef::DateTime => string_with(VariantOrUnknownOrEmpty::Item(StringFormat::DateTime)),
            TypeRef::Date => string_with(VariantOrUnknownOrEmpty::Item(StringFormat::Date)),
            TypeRef::Bytes => string_with(VariantOrUnknownOrEmpty::Item(StringFormat::Byte)),
            TypeRef::Json => {
                // No `type`: any value, `null` included.
                let mut any = plain(SchemaKind::Any(AnySchema::default()));
                any.schema_data.description = Some("Any JSON value.".into());
                ReferenceOr::Item(any)
            }
            TypeRef::List { item } => ReferenceOr::Item(typed(Type::Array(ArrayType {
                items: Some(boxed(self.type_ref_schema(
                    item,
                    &Constraints::default(),
                    dir,
                ))),
                min_items: c.min_items.map(to_usize),
                max_items: c.max_items.map(to_usize),
                unique_items: c.unique,
            }))),
            TypeRef::Map { value } => ReferenceOr::Item(typed(Type::Object(ObjectType {
                additional_properties: Some(AdditionalProperties::Schema(Box::new(
                    self.type_ref_schema(value, &Constraints::default(), dir),
                ))),
                ..ObjectType::default()
            }))),
            TypeRef::Named { name, .. } => reference(&self.type_name(name, dir)),
        }
    }

    /// The schema of an object field (or of a parameter bound to it, with
    /// `ty` the field's type without its optional layer): type, constraints,
    /// description, `deprecated`, example and default.
    pub(crate) fn field_schema(
        &self,
        field: &Field,
        ty: &TypeRef,
        dir: Direction,
    ) -> ReferenceOr<Schema> {
        let s = self.type_ref_schema(ty, &field.constraints, dir);
        let annotated = field.description.is_some()
            || field.deprecated
            || field.example.is_some()
            || field.default.is_some();
        if !annotated {
            return s;
        }
        let mut s = inline(s);
        let data = &mut s.schema_data;
        if field.description.is_some() {
            data.description = field.description.clone();
        }
        data.deprecated = field.deprecated;
        data.example = field.example.as_ref().map(|v| wire_value(&field.ty, v));
        data.default = field.default.as_ref().map(|v| wire_value(&field.ty, v));
        ReferenceOr::Item(s)
    }

    /// An object with `fields` as seen from `dir`, plus a leading tag
    /// property when the object is a union variant.
    ///
    /// Requests: a field is required unless it is optional or has a default;
    /// such a field also accepts `null`, which the server reads as absent
    /// (so a defaulted field takes its default); unknown fields are rejected
    /// (`additionalProperties: false`).
    /// Responses: the server sends every field (absent optionals as `null`,
    /// defaulted fields with their value), so every field is required; extra
    /// fields are allowed so that clients keep working when a later contract
    /// version adds an output field.
    pub(crate) fn object_schema<'f>(
        &self,
        fields: impl IntoIterator<Item = &'f Field>,
        dir: Direction,
        tag: Option<(&str, &str)>,
    ) -> Schema {
        let mut properties = IndexMap::new();
        let mut required = Vec::new();
        if let Some((tag, value)) = tag {
            properties.insert(
                tag.to_string(),
                ReferenceOr::Item(Box::new(string_enum([value]))),
            );
            required.push(tag.to_string());
        }
        for f in fields {
            let mut schema = self.field_schema(f, &f.ty, dir);
            let optional = matches!(f.ty, TypeRef::Optional { .. });
            if dir == Direction::In && !f.required && !optional {
                schema = nullable(schema);
            }
            properties.insert(f.name.clone(), boxed(schema));
            if dir == Direction::Out || f.required {
                required.push(f.name.clone());
            }
        }
        let additional_properties =
            (dir == Direction::In).then_some(AdditionalProperties::Any(false));
        typed(Type::Object(ObjectType {
            properties,
            required,
            additional_properties,
            ..ObjectType::default()
        }))
    }

    /// The component schema of IR type `def` in the shape of `dir`.
    pub(crate) fn type_def_schema(&self, def: &TypeDef, dir: Direction) -> Schema {
        let mut s = match &def.kind {
            TypeKind::Object { fields } => {
                self.object_schema(fields, dir, self.embedded_tag(&def.name))
            }
            TypeKind::Enum { values } => {
                let mut s = string_enum(values.iter().map(|v| v.value.as_str()));
                if values.iter().any(|v| v.description.is_some()) {
                    let descriptions = values
                        .iter()
                        .map(|v| Value::from(v.description.clone().unwrap_or_default()));
                    s.schema_data.extensions.insert(
                        "x-enum-descriptions".into(),
                        Value::Array(descriptions.collect()),
                    );
                }
                if values.iter().any(|v| v.deprecated) {
                    let deprecated = values
                        .iter()
                        .filter(|v| v.deprecated)
                        .map(|v| Value::from(v.value.clone()));
                    s.schema_data.extensions.insert(
                        "x-enum-deprecated".into(),
                        Value::Array(deprecated.collect()),
                    );
                }
                s
            }
            TypeKind::Union { tag, variants } => {
                let mut mapping = IndexMap::new();
                let mut one_of = Vec::new();
                for v in variants {
                    let name = self.variant_name(&def.name, &v.tag_value, dir);
                    mapping.insert(v.tag_value.clone(), schema_ref(&name));
                    one_of.push(reference(&name));
                }
                let mut s = plain(SchemaKind::OneOf { one_of });
                s.schema_data.discriminator = Some(Discriminator {
                    property_name: tag.clone(),
                    mapping,
                    extensions: IndexMap::new(),
                });
                s
            }
        };
        s.schema_data.description = Some(def.doc.clone());
        s.schema_data.deprecated = def.deprecated;
        s
    }

    /// The wrapper component of variant `tag_value` of union `union`: the tag
    /// property followed by the variant type's fields.
    pub(crate) fn variant_wrapper_schema(
        &self,
        union: &TypeDef,
        tag_value: &str,
        dir: Direction,
    ) -> Schema {
        let TypeKind::Union { tag, variants } = &union.kind else {
            return plain(SchemaKind::Any(AnySchema::default()));
        };
        let variant = variants.iter().find(|v| v.tag_value == tag_value);
        let def = variant.and_then(|v| self.ir.types.get(&v.type_name));
        let fields = match def.map(|d| &d.kind) {
            Some(TypeKind::Object { fields }) => fields.as_slice(),
            _ => &[],
        };
        let mut s = self.object_schema(fields, dir, Some((tag, tag_value)));
        let type_name = variant.map(|v| v.type_name.as_str()).unwrap_or_default();
        let mut description = format!(
            "Variant `{tag_value}` of `{}`: the fields of `{type_name}`.",
            union.name
        );
        if let Some(d) = def.and_then(|d| d.description.as_deref()) {
            description.push_str("\n\n");
            description.push_str(d);
        }
        s.schema_data.description = Some(description);
        s.schema_data.deprecated = def.is_some_and(|d| d.deprecated);
        s
    }
}

/// An integer schema within `[lo, hi]` narrowed by the contract's `min`/`max`.
fn integer(format: IntegerFormat, lo: i64, hi: i64, c: &Constraints) -> Schema {
    let bound = |n: &serde_json::Number, round: fn(f64) -> f64| {
        n.as_i64().or_else(|| n.as_f64().map(|f| round(f) as i64))
    };
    let min = c
        .min
        .as_ref()
        .and_then(|n| bound(n, f64::ceil))
        .map_or(lo, |m| m.max(lo));
    let max = c
        .max
        .as_ref()
        .and_then(|n| bound(n, f64::floor))
        .map_or(hi, |m| m.min(hi));
    typed(Type::Integer(IntegerType {
        format: VariantOrUnknownOrEmpty::Item(format),
        minimum: Some(min),
        maximum: Some(max),
        ..IntegerType::default()
    }))
}

/// The schema of `int64`: a decimal string whose `pattern` admits exactly
/// the integers in the signed 64-bit range narrowed by the contract's
/// `min`/`max` (JSON Schema cannot bound a string numerically, so the bounds
/// are also given as `x-minimum`/`x-maximum`).
fn int64_string(c: &Constraints) -> Schema {
    let bound = |n: &serde_json::Number, round: fn(f64) -> f64| {
        n.as_i64().or_else(|| n.as_f64().map(|f| round(f) as i64))
    };
    let lo = c
        .min
        .as_ref()
        .and_then(|n| bound(n, f64::ceil))
        .unwrap_or(i64::MIN);
    let hi = c
        .max
        .as_ref()
        .and_then(|n| bound(n, f64::floor))
        .unwrap_or(i64::MAX);
    let mut s = typed(Type::String(StringType {
        pattern: Some(decimal::pattern(i128::from(lo), i128::from(hi))),
        ..StringType::default()
    }));
    let ext = &mut s.schema_data.extensions;
    ext.insert("x-bunbase-type".into(), Value::from("int64"));
    if c.min.is_some() {
        ext.insert("x-minimum".into(), Value::String(lo.to_string()));
    }
    if c.max.is_some() {
        ext.insert("x-maximum".into(), Value::String(hi.to_string()));
    }
    s
}

/// A contract value (default or example) as it travels on the wire: `int64`
/// numbers become decimal strings.
fn wire_value(ty: &TypeRef, v: &Value) -> Value {
    match (ty, v) {
        (TypeRef::Optional { inner }, v) => wire_value(inner, v),
        (TypeRef::Int64, Value::Number(n)) => Value::String(n.to_string()),
        (TypeRef::List { item }, Value::Array(items)) => {
            Value::Array(items.iter().map(|i| wire_value(item, i)).collect())
        }
        (TypeRef::Map { value }, Value::Object(m)) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), wire_value(value, v)))
                .collect(),
        ),
        _ => v.clone(),
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}
