//! Lowering of types: fields, enums and unions to [`TypeDef`]s, then boxing and recursion flags from the reference graph (directions, target names and docs come later, from the whole IR: see `surface`).

use std::collections::{BTreeMap, HashMap};

use super::graph::{self, Via};
use crate::check::symbols::{Body, Symbols, TypeEntry, nested_name};
use crate::ir::{
    Constraints, Directions, EnumValue, Field, TypeDef, TypeKind, TypeNames, TypeRef, UnionVariant,
    VariantSchema,
};
use crate::naming;
use crate::parse::ast::{ConstraintDecl, FieldDecl, FieldType};

/// Lowers every type of the symbol table, boxing references that close a
/// cycle.
pub fn lower_types(symbols: &Symbols<'_>) -> BTreeMap<String, TypeDef> {
    let mut types = BTreeMap::new();
    for t in &symbols.types {
        types.insert(t.name.clone(), lower_type(symbols, t));
    }
    decide_boxing(&mut types);
    types
}

fn lower_type(symbols: &Symbols<'_>, t: &TypeEntry<'_>) -> TypeDef {
    let kind = match t.body {
        Body::Object(fields) => TypeKind::Object {
            fields: fields
                .iter()
                .map(|f| lower_field(symbols, t.module, &t.contract_name, f))
                .collect(),
        },
        Body::Enum(values) => TypeKind::Enum {
            values: values
                .iter()
                .map(|v| EnumValue {
                    value: v.value.value.clone(),
                    rust_name: naming::rust_pascal_ident(&v.value.value),
                    description: v.description.clone(),
                    deprecated: v.deprecated,
                })
                .collect(),
        },
        Body::Union { tag, variants } => TypeKind::Union {
            tag: tag.value.clone(),
            variants: variants
                .iter()
                .filter_map(|(value, expr)| {
                    let resolved = symbols.resolve(t.module, expr, &mut Vec::new())?;
                    let TypeRef::Named { name, .. } = resolved else {
                        return None;
                    };
                    Some(UnionVariant {
                        tag_value: value.value.clone(),
                        rust_name: naming::rust_pascal_ident(&value.value),
                        type_name: name,
                        openapi: VariantSchema::Embedded,
                    })
                })
                .collect(),
        },
    };
    TypeDef {
        name: t.name.clone(),
        module: t.module.to_owned(),
        contract_name: t.contract_name.clone(),
        origin: t.origin.clone(),
        description: t.description.map(str::to_owned),
        doc: String::new(),
        deprecated: t.deprecated,
        kind,
        directions: Directions::default(),
        names: TypeNames::default(),
        recursive: false,
        span: t.span.clone(),
    }
}

/// The resolved type of a field (nested inline objects by their name).
pub fn field_type(
    symbols: &Symbols<'_>,
    module: &str,
    parent: &str,
    f: &FieldDecl,
) -> Option<TypeRef> {
    match &f.ty {
        FieldType::Expr(e) => symbols.resolve(module, e, &mut Vec::new()),
        FieldType::Inline { optional, .. } => {
            let entry = symbols.lookup(module, &nested_name(parent, &f.name.value))?;
            let named = TypeRef::Named {
                name: entry.name.clone(),
                boxed: false,
            };
            Some(if *optional {
                TypeRef::Optional {
                    inner: Box::new(named),
                }
            } else {
                named
            })
        }
    }
}

fn lower_field(symbols: &Symbols<'_>, module: &str, parent: &str, f: &FieldDecl) -> Field {
    let ty = field_type(symbols, module, parent, f).unwrap_or(TypeRef::Json);
    let optional = matches!(ty, TypeRef::Optional { .. });
    Field {
        name: f.name.value.clone(),
        rust_name: naming::rust_snake_ident(&f.name.value),
        required: !optional && f.default.is_none(),
        ty,
        default: f.default.as_ref().map(|d| d.value.clone()),
        constraints: constraints(&f.constraints),
        description: f.description.clone(),
        deprecated: f.deprecated,
        example: f.example.clone(),
        span: f.name.span.clone(),
    }
}

/// Reads constraints (already checked) into their IR form.
pub fn constraints(decls: &[ConstraintDecl]) -> Constraints {
    let mut c = Constraints::default();
    for d in decls {
        let v = &d.value.value;
        let count = v.as_u64();
        let number = v.as_number().cloned();
        match d.name.value.as_str() {
            "min_len" => c.min_len = count,
            "max_len" => c.max_len = count,
            "pattern" => c.pattern = v.as_str().map(str::to_owned),
            "min" => c.min = number,
            "max" => c.max = number,
            "min_items" => c.min_items = count,
            "max_items" => c.max_items = count,
            "unique" => c.unique = v.as_bool().unwrap_or(false),
            _ => {}
        }
    }
    c
}

/// Sets `boxed` on references that close a cycle without a list or map in
/// between, and `recursive` on every type that is part of any cycle.
fn decide_boxing(types: &mut BTreeMap<String, TypeDef>) {
    let index: HashMap<String, usize> = types
        .keys()
        .cloned()
        .enumerate()
        .map(|(i, n)| (n, i))
        .collect();
    let edges = graph::edges(types);
    let idx = |(a, b, _): &(String, String, Via)| Some((*index.get(a)?, *index.get(b)?));
    let all: Vec<(usize, usize)> = edges.iter().filter_map(idx).collect();
    let by_value: Vec<(usize, usize)> = edges
        .iter()
        .filter(|e| e.2 != Via::Collection)
        .filter_map(idx)
        .collect();
    let n = index.len();
    let recursive = graph::on_cycle(n, &all);
    let comp = graph::components(n, &by_value);
    for (i, t) in types.values_mut().enumerate() {
        t.recursive = recursive[i];
        if let TypeKind::Object { fields } = &mut t.kind {
            for f in fields {
                mark_boxed(&mut f.ty, &|to| {
                    index.get(to).is_some_and(|&j| comp[j] == comp[i])
                });
            }
        }
    }
}

fn mark_boxed(ty: &mut TypeRef, same_component: &dyn Fn(&str) -> bool) {
    match ty {
        TypeRef::Named { name, boxed } => *boxed = same_component(name),
        TypeRef::Optional { inner } => mark_boxed(inner, same_component),
        _ => {}
    }
}
