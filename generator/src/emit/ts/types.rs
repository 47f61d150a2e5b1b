//! TypeScript types for the IR's types: which side of the wire each type lives on, its TS expression and its view model.
//!
//! The server always sends `null` for an absent optional field and fills
//! defaults, so a type read from the server has every key present
//! (`f: T | null`), while a type written by the caller may leave optional and
//! defaulted fields out (`f?: T | null | undefined`). A type used on both
//! sides whose shapes differ gets a second, input-shaped declaration named
//! `<Name>Input` (made unique against every IR type name).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::docs;
use crate::ir::{Field, Ir, OutputType, TypeDef, TypeKind, TypeRef};

/// Which way a value travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Sent by the caller: optional and defaulted fields may be absent.
    Input,
    /// Sent by the server: every field present, absent optionals as `null`.
    Output,
}

/// For every IR type, how it is declared in TypeScript.
#[derive(Debug, Default)]
pub struct TypeNames {
    /// Types declared with the input shape under their own name (reached
    /// only from action inputs).
    input_only: BTreeSet<String>,
    /// Types reached from both sides whose shapes differ: IR name -> name of
    /// the input-shaped declaration.
    input_variant: BTreeMap<String, String>,
}

impl TypeNames {
    /// Decides the shape of every type from the HTTP actions' inputs and outputs.
    pub fn new(ir: &Ir) -> Self {
        let http = ir.actions().filter(|a| !a.triggers.http.is_empty());
        let mut input_roots = Vec::new();
        let mut output_roots = Vec::new();
        for action in http {
            input_roots.extend(action.input.iter().cloned());
            match &action.output {
                Some(OutputType::Named { name }) => output_roots.push(name.clone()),
                Some(OutputType::Expr { ty }) => ty.collect_named(&mut output_roots),
                None => {}
            }
        }
        let inputs = ir.reachable_types(input_roots);
        let outputs = ir.reachable_types(output_roots);
        let differs = differing(ir);
        let mut taken: BTreeSet<String> = ir.types.keys().cloned().collect();
        let mut names = TypeNames::default();
        for name in &inputs {
            if !outputs.contains(name) {
                names.input_only.insert(name.clone());
            } else if differs.contains(name) {
                let variant = unique(&format!("{name}Input"), &taken);
                taken.insert(variant.clone());
                names.input_variant.insert(name.clone(), variant);
            }
        }
        names
    }

    /// The TypeScript name of `name` when read on `side`.
    pub fn name(&self, name: &str, side: Side) -> String {
        match side {
            Side::Input => self
                .input_variant
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.to_string()),
            Side::Output => name.to_string(),
        }
    }

    /// Every IR type name and the declarations it gets: its own name in its
    /// canonical shape, plus the input variant when it has one.
    fn declarations(&self, def: &TypeDef) -> Vec<(String, Side)> {
        let canonical = if self.input_only.contains(&def.name) {
            Side::Input
        } else {
            Side::Output
        };
        let mut out = vec![(def.name.clone(), canonical)];
        if let Some(variant) = self.input_variant.get(&def.name) {
            out.push((variant.clone(), Side::Input));
        }
        out
    }
}

/// `base`, or `base2`, `base3`... whichever is not in `taken`.
pub fn unique(base: &str, taken: &BTreeSet<String>) -> String {
    let mut candidate = base.to_string();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}{n}");
        n += 1;
    }
    candidate
}

/// Types whose input and output shapes differ: objects with a field that may
/// be absent, and anything referring to such a type (a fixpoint, so cycles
/// settle).
fn differing(ir: &Ir) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = ir
        .types
        .values()
        .filter(|d| matches!(&d.kind, TypeKind::Object { fields } if fields.iter().any(|f| !f.required)))
        .map(|d| d.name.clone())
        .collect();
    loop {
        let more: Vec<String> = ir
            .types
            .values()
            .filter(|d| {
                !out.contains(&d.name) && d.referenced_types().iter().any(|r| out.contains(r))
            })
            .map(|d| d.name.clone())
            .collect();
        if more.is_empty() {
            return out;
        }
        out.extend(more);
    }
}

/// The TypeScript expression for `ty` on `side`; named types get the
/// namespace prefix `ns` (`T.` outside `types.ts`).
pub fn ts_type(ty: &TypeRef, side: Side, names: &TypeNames, ns: &str) -> String {
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
            let inner = ts_type(item, side, names, ns);
            let inner = if matches!(**item, TypeRef::Optional { .. }) {
                format!("({inner})")
            } else {
                inner
            };
            match side {
                Side::Input => format!("readonly {inner}[]"),
                Side::Output => format!("{inner}[]"),
            }
        }
        TypeRef::Map { value } => {
            format!("{{ [key: string]: {} }}", ts_type(value, side, names, ns))
        }
        TypeRef::Optional { inner } => format!("{} | null", ts_type(inner, side, names, ns)),
        TypeRef::Named { name, .. } => format!("{ns}{}", names.name(name, side)),
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
pub fn type_views(ir: &Ir, names: &TypeNames) -> Vec<TypeView> {
    let mut out = Vec::new();
    for def in ir.types.values() {
        for (name, side) in names.declarations(def) {
            out.push(type_view(def, name, side, names));
        }
    }
    out
}

fn type_view(def: &TypeDef, name: String, side: Side, names: &TypeNames) -> TypeView {
    let mut doc = docs::lines(def.description.as_deref());
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
            view.fields = fields.iter().map(|f| field_view(f, side, names)).collect()
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
                        names.name(&v.type_name, side)
                    )
                })
                .collect();
        }
    }
    view
}

fn field_view(f: &Field, side: Side, names: &TypeNames) -> FieldView {
    let mut ty = ts_type(&f.ty, side, names, "");
    let optional = side == Side::Input && !f.required;
    if optional {
        ty.push_str(" | undefined");
    }
    let mut doc = docs::lines(f.description.as_deref());
    if let Some(note) = docs::format_note(&f.ty) {
        docs::push(&mut doc, note);
    }
    if let Some(c) = docs::constraints(&f.constraints) {
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
