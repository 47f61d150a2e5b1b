//! TypeScript types for the IR's types: each declaration in the shape and under the name the IR gives it, and the TS expression of a type reference.
//!
//! The server always sends `null` for an absent optional field and fills
//! defaults, so a type read from the server has every key present
//! (`f: T | null`), while a type written by the caller may leave optional and
//! defaulted fields out (`f?: T | null | undefined`). Which shape each type
//! takes, and the name of its input-shaped declaration when it needs one,
//! are IR decisions ([`TypeNames::ts_output`], [`TypeNames::ts_input`],
//! [`crate::ir::Directions`]); a shape is the IR's [`Direction`]: `In` is
//! what the caller sends, `Out` what the server answers.

use serde::Serialize;

use super::docs;
use crate::ir::{Direction, Field, Ir, TypeDef, TypeKind, TypeNames, TypeRef};

/// The TypeScript name of type `name` in the shape of `side`.
pub fn type_name(ir: &Ir, name: &str, side: Direction) -> String {
    match (ir.types.get(name).map(|t| &t.names), side) {
        (Some(n), Direction::In) => n.ts_input.clone(),
        (Some(n), Direction::Out) => n.ts_output.clone(),
        (None, _) => name.to_string(),
    }
}

/// The declarations of one type: its output-shaped one and, when the IR
/// names a separate input shape, that one too; a type that has one
/// declaration takes the input shape when only callers send it.
fn declarations(def: &TypeDef) -> Vec<(String, Direction)> {
    let TypeNames {
        ts_output,
        ts_input,
        ..
    } = &def.names;
    if ts_input != ts_output {
        return vec![
            (ts_output.clone(), Direction::Out),
            (ts_input.clone(), Direction::In),
        ];
    }
    let d = def.directions;
    let home = if d.http_request && !d.http_response {
        Direction::In
    } else {
        Direction::Out
    };
    vec![(ts_output.clone(), home)]
}

/// The TypeScript expression for `ty` on `side`; named types get the
/// namespace prefix `ns` (`T.` outside `types.ts`).
pub fn ts_type(ir: &Ir, ty: &TypeRef, side: Direction, ns: &str) -> String {
    match ty {
        TypeRef::Bool => "boolean".into(),
        TypeRef::Int | TypeRef::I32 | TypeRef::Float => "number".into(),
        TypeRef::Int64
        | TypeRef::String
        | TypeRef::Uuid
        | TypeRef::Email
        | TypeRef::Url
        | TypeRef::DateTime
        | TypeRef::Date
        | TypeRef::Bytes => "string".into(),
        TypeRef::Json => "rt.JsonValue".into(),
        TypeRef::List { item } => {
            let inner = ts_type(ir, item, side, ns);
            let inner = if matches!(**item, TypeRef::Optional { .. }) {
                format!("({inner})")
            } else {
                inner
            };
            match side {
                Direction::In => format!("readonly {inner}[]"),
                Direction::Out => format!("{inner}[]"),
            }
        }
        TypeRef::Map { value } => {
            format!("{{ [key: string]: {} }}", ts_type(ir, value, side, ns))
        }
        TypeRef::Optional { inner } => format!("{} | null", ts_type(ir, inner, side, ns)),
        TypeRef::Named { name, .. } => format!("{ns}{}", type_name(ir, name, side)),
    }
}

/// A declaration in `types.ts`.
#[derive(Debug, Serialize)]
pub struct TypeView {
    pub name: String,
    pub doc: Vec<String>,
    /// `object`, `enum` or `union`.
    pub kind: &'static str,
    pub fields: Vec<FieldView>,
    pub values: Vec<EnumValueView>,
    /// Union members, each already a TS expression.
    pub variants: Vec<String>,
}

/// A property of an object type.
#[derive(Debug, Serialize)]
pub struct FieldView {
    pub name: String,
    /// `?` when the caller may leave it out, else empty.
    pub optional: &'static str,
    pub ty: String,
    pub doc: Vec<String>,
}

/// A member of an enum's `as const` object.
#[derive(Debug, Serialize)]
pub struct EnumValueView {
    pub key: String,
    /// The wire value as a TS string literal.
    pub literal: String,
    pub doc: Vec<String>,
}

/// Every declaration of `types.ts`, in IR (name) order.
pub fn type_views(ir: &Ir) -> Vec<TypeView> {
    let mut out = Vec::new();
    for def in ir.types.values() {
        for (name, side) in declarations(def) {
            out.push(type_view(ir, def, name, side));
        }
    }
    out
}

fn type_view(ir: &Ir, def: &TypeDef, name: String, side: Direction) -> TypeView {
    let mut doc = docs::lines(Some(&def.doc));
    if name != def.name {
        docs::push(
            &mut doc,
            &format!(
                "The input form of {}: optional and defaulted fields may be left out.",
                def.name
            ),
        );
    }
    if def.deprecated {
        doc.push("@deprecated".into());
    }
    let mut view = TypeView {
        name,
        doc,
        kind: "object",
        fields: Vec::new(),
        values: Vec::new(),
        variants: Vec::new(),
    };
    match &def.kind {
        TypeKind::Object { fields } => {
            view.fields = fields.iter().map(|f| field_view(ir, f, side)).collect()
        }
        TypeKind::Enum { values } => {
            view.kind = "enum";
            view.values = values
                .iter()
                .map(|v| {
                    let mut doc = docs::lines(v.description.as_deref());
                    if v.deprecated {
                        doc.push("@deprecated".into());
                    }
                    EnumValueView {
                        key: v.rust_name.trim_start_matches("r#").to_string(),
                        literal: docs::literal(&v.value),
                        doc,
                    }
                })
                .collect();
        }
        TypeKind::Union { tag, variants } => {
            view.kind = "union";
            view.variants = variants
                .iter()
                .map(|v| {
                    format!(
                        "({{ {}: {} }} & {})",
                        docs::prop(tag),
                        docs::literal(&v.tag_value),
                        type_name(ir, &v.type_name, side)
                    )
                })
                .collect();
        }
    }
    view
}

fn field_view(ir: &Ir, f: &Field, side: Direction) -> FieldView {
    let mut ty = ts_type(ir, &f.ty, side, "");
    let optional = side == Direction::In && !f.required;
    if optional {
        ty.push_str(" | undefined");
    }
    let mut doc = docs::lines(f.description.as_deref());
    if let Some(note) = docs::format_note(&f.ty) {
        docs::push(&mut doc, note);
    }
    if let Some(c) = f.constraints.sentence() {
        docs::push(&mut doc, &c);
    }
    if let Some(d) = &f.default {
        docs::push(&mut doc, &format!("@defaultValue `{d}`"));
    }
    if let Some(e) = &f.example {
        docs::push(&mut doc, &format!("@example `{e}`"));
    }
    if f.deprecated {
        doc.push("@deprecated".into());
    }
    FieldView {
        name: docs::prop(&f.name),
        optional: if optional { "?" } else { "" },
        ty,
        doc,
    }
}
