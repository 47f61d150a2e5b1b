//! Type rules: every reference resolves, unions carry object variants, recursion has an indirection, constraints fit their types and defaults fit both.

use std::collections::{BTreeMap, HashMap};

use crate::diag::Diagnostic;
use crate::ir::{TypeDef, TypeKind, TypeRef};
use crate::parse::ast::*;
use crate::resolve::graph::{self, Via};
use crate::resolve::symbols::{Body, Symbols};

/// Resolves every type expression of every type, reporting unknown names,
/// and checks union variants.
pub fn resolve_all(symbols: &Symbols<'_>, diags: &mut Vec<Diagnostic>) {
    for t in &symbols.types {
        match t.body {
            Body::Object(fields) => {
                for f in fields {
                    if let FieldType::Expr(e) = &f.ty {
                        symbols.resolve(t.module, e, diags);
                    }
                }
            }
            Body::Enum(_) => {}
            Body::Union { tag, variants } => {
                for (value, expr) in variants {
                    let Some(resolved) = symbols.resolve(t.module, expr, diags) else {
                        continue;
                    };
                    let target = match &resolved {
                        TypeRef::Named { name, .. } => symbols.by_name(name),
                        _ => None,
                    };
                    let Some(target) = target.filter(|v| matches!(v.body, Body::Object(_))) else {
                        diags.push(
                            Diagnostic::error(
                                "E0105",
                                &expr.span,
                                format!(
                                    "variant `{}` of union `{}` must name an object type",
                                    value.value, t.contract_name
                                ),
                            )
                            .with_hint("declare an object type with `fields:` for the variant"),
                        );
                        continue;
                    };
                    if let Body::Object(fields) = target.body
                        && let Some(f) = fields.iter().find(|f| f.name.value == tag.value)
                    {
                        diags.push(
                            Diagnostic::error(
                                "E0106",
                                &f.name.span,
                                format!(
                                    "field `{}` of `{}` collides with the tag of union `{}`",
                                    f.name.value, target.contract_name, t.contract_name
                                ),
                            )
                            .with_hint(format!(
                                "the union writes `\"{}\": \"{}\"` into the same object",
                                tag.value, value.value
                            )),
                        );
                    }
                }
            }
        }
    }
}

/// Reports types that contain themselves with no `list`, `map` or `?` in
/// between (they would have infinite size).
pub fn recursion(
    types: &BTreeMap<String, TypeDef>,
    symbols: &Symbols<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let index: HashMap<&str, usize> = types
        .keys()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let names: Vec<&str> = types.keys().map(String::as_str).collect();
    let direct: Vec<(usize, usize)> = graph::edges(types)
        .iter()
        .filter(|e| e.2 == Via::Direct)
        .filter_map(|(a, b, _)| Some((*index.get(a.as_str())?, *index.get(b.as_str())?)))
        .collect();
    let on_cycle = graph::on_cycle(names.len(), &direct);
    for (i, cyc) in on_cycle.iter().enumerate() {
        if !cyc {
            continue;
        }
        let Some(t) = symbols.by_name(names[i]) else {
            continue;
        };
        let via: Vec<&str> = direct
            .iter()
            .filter(|(a, b)| *a == i && on_cycle[*b])
            .map(|(_, b)| names[*b])
            .collect();
        diags.push(
            Diagnostic::error(
                "E0103",
                &t.span,
                format!(
                    "type `{}` contains itself (through `{}`) with no list, map or `?` in between",
                    t.contract_name,
                    via.join("`, `")
                ),
            )
            .with_hint("make one of the references optional (`Type?`) or a list"),
        );
    }
}

/// Checks action inputs, outputs and event payloads that name a type.
pub fn shapes(symbols: &Symbols<'_>, diags: &mut Vec<Diagnostic>) {
    for (name, m) in &symbols.modules {
        for a in &m.actions {
            if let Some(Shape::Ref(e)) = &a.input {
                if e.kind == TypeExprKind::Prim(Prim::Json) {
                    continue;
                }
                if let Some(r) = symbols.resolve(name, e, diags) {
                    let is_object = matches!(&r, TypeRef::Named { name, .. }
                        if symbols.by_name(name).is_some_and(|t| matches!(t.body, Body::Object(_))));
                    if !is_object {
                        diags.push(
                            Diagnostic::error(
                                "E0320",
                                &e.span,
                                format!(
                                    "the input of action `{}` must be an object type or `json`",
                                    a.name.value
                                ),
                            )
                            .with_hint("write the fields inline (`input: { id: uuid }`) or name an object type"),
                        );
                    }
                }
            }
            if let Some(Shape::Ref(e)) = &a.output {
                symbols.resolve(name, e, diags);
            }
        }
        for ev in &m.events {
            if let Shape::Ref(e) = &ev.payload {
                let ok = match symbols.resolve(name, e, diags) {
                    Some(TypeRef::Named { name, .. }) => symbols
                        .by_name(&name)
                        .is_some_and(|t| matches!(t.body, Body::Object(_))),
                    Some(_) => false,
                    None => true,
                };
                if !ok || matches!(e.kind, TypeExprKind::Event(_)) {
                    diags.push(
                        Diagnostic::error(
                            "E0320",
                            &e.span,
                            format!(
                                "the payload of event `{}` must be an object type",
                                ev.name.value
                            ),
                        )
                        .with_hint("write the payload fields inline or name an object type"),
                    );
                }
            }
        }
    }
}

/// The innermost non-optional type of a field.
pub fn innermost(ty: &TypeRef) -> &TypeRef {
    match ty {
        TypeRef::Optional { inner } => innermost(inner),
        other => other,
    }
}

/// Checks constraints and defaults of every field.
pub fn fields(
    types: &BTreeMap<String, TypeDef>,
    symbols: &Symbols<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    for t in &symbols.types {
        let (
            Body::Object(decls),
            Some(TypeDef {
                kind: TypeKind::Object { fields },
                ..
            }),
        ) = (t.body, types.get(&t.name))
        else {
            continue;
        };
        for (decl, field) in decls.iter().zip(fields) {
            super::values::constraints(decl, &field.ty, types, diags);
            if let Some(default) = &decl.default {
                super::values::default(decl, default, &field.ty, types, diags);
            }
            if let Some(example) = &decl.example {
                super::values::example(decl, example, &field.ty, types, diags);
            }
        }
    }
}
