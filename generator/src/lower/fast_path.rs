//! The typed fast path: which action inputs a server may read straight from the body with serde, and the name of each one's shadow struct.
//!
//! An input takes the fast path when every field reads through serde
//! exactly as the decoder reads it (see `wire::fast` in the runtime); any
//! other input has none and every body takes the decoder. The shadow struct
//! is a private item inside the input's `from_body`, where it would hide a
//! declared type of the same name: its name is claimed through a
//! [`Scope`] that holds every type name and every name the `decode` module
//! imports.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::ir::*;
use crate::naming::{self, Scope};

/// Fills [`TypeDef::fast_path`] for every object that is the input of an
/// action and whose fields the fast path can read.
pub fn decide(ir: &mut Ir) {
    let inputs: BTreeSet<String> = ir.actions().filter_map(|a| a.input.clone()).collect();
    let mut scope = Scope::with_taken(
        naming::RESERVED_TYPE_NAMES
            .iter()
            .chain(naming::GENERATED_TYPE_NAMES)
            .copied()
            .chain(ir.types.keys().map(String::as_str)),
    );
    let fast: Vec<String> = ir
        .types
        .values()
        .filter(|t| inputs.contains(&t.name) && eligible(ir, t))
        .map(|t| t.name.clone())
        .collect();
    for name in fast {
        let shadow = scope.claim_pascal(&format!("{name}Body"));
        if let Some(t) = ir.types.get_mut(&name) {
            t.fast_path = Some(FastPath { shadow });
        }
    }
}

/// Whether every field of `t` reads through serde exactly as the decoder
/// reads it: no deprecated field, only the kinds of [`fast_kind`], and
/// defaults the shadow struct can write as Rust values.
fn eligible(ir: &Ir, t: &TypeDef) -> bool {
    let TypeKind::Object { fields } = &t.kind else {
        return false;
    };
    fields.iter().all(|f| {
        let default = f.default.as_ref().filter(|d| !d.is_null());
        let value_ty = match &f.ty {
            TypeRef::Optional { inner } => &**inner,
            ty => ty,
        };
        !f.deprecated
            && fast_kind(ir, value_ty)
            && default.is_none_or(|d| typed_default_fits(ir, value_ty, d))
    })
}

/// Whether a value of `ty` reads through serde exactly as the decoder reads
/// it (with the `wire::fast` adapters for ids, dates and 64-bit integers):
/// scalars, strings and enums, and lists of strings, booleans, floats,
/// 32-bit integers and enums. Nested objects, unions, maps, `json`, `bytes`
/// and other lists take the decoder.
fn fast_kind(ir: &Ir, ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Bool
        | TypeRef::Int
        | TypeRef::Int64
        | TypeRef::I32
        | TypeRef::Float
        | TypeRef::String
        | TypeRef::Uuid
        | TypeRef::Email
        | TypeRef::Url
        | TypeRef::DateTime
        | TypeRef::Date => true,
        TypeRef::Named { name, boxed: false } => is_enum(ir, name),
        TypeRef::List { item } => match &**item {
            TypeRef::Bool | TypeRef::Float | TypeRef::I32 | TypeRef::String => true,
            TypeRef::Named { name, boxed: false } => is_enum(ir, name),
            _ => false,
        },
        _ => false,
    }
}

fn is_enum(ir: &Ir, name: &str) -> bool {
    ir.types
        .get(name)
        .is_some_and(|t| matches!(t.kind, TypeKind::Enum { .. }) && !t.deprecated)
}

/// Whether the shadow struct can write default `v` of a field of `ty` as a
/// Rust value: scalars, strings, enum values and the empty list.
fn typed_default_fits(ir: &Ir, ty: &TypeRef, v: &Value) -> bool {
    match (ty, v) {
        (TypeRef::Bool, Value::Bool(_)) => true,
        (TypeRef::Int, Value::Number(n)) => n.as_i64().is_some(),
        (TypeRef::I32, Value::Number(n)) => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        (TypeRef::Float, Value::Number(n)) => n.as_f64().is_some(),
        (TypeRef::String | TypeRef::Email | TypeRef::Url, Value::String(_)) => true,
        (TypeRef::List { .. }, Value::Array(items)) => items.is_empty(),
        (TypeRef::Named { name, .. }, Value::String(s)) => {
            match &ir.types.get(name).map(|t| &t.kind) {
                Some(TypeKind::Enum { values }) => values.iter().any(|v| &v.value == s),
                _ => false,
            }
        }
        _ => false,
    }
}
