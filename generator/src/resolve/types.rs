//! Type resolution: fields, enums and unions to [`TypeDef`]s with collision-free member identifiers, then boxing and recursion flags from the reference graph.
//!
//! Built once per compile: the checker reads these types (for recursion,
//! constraints, defaults and examples) and lowering puts them in the IR,
//! where `lower::surface` adds what needs the whole IR (directions, target
//! names, docs).

use std::collections::{BTreeMap, HashMap};

use super::graph::{self, Via};
use super::symbols::{Body, Symbols, TypeEntry};
use crate::ir::{
    Constraints, Directions, EnumValue, Field, TypeDef, TypeKind, TypeNames, TypeRef, UnionVariant,
    VariantSchema,
};
use crate::naming::{self, Scope};
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
                .zip(field_idents(fields))
                .map(|(f, ident)| lower_field(symbols, t, f, ident))
                .collect(),
        },
        Body::Enum(values) => {
            let mut idents = Scope::new();
            TypeKind::Enum {
                values: values
                    .iter()
                    .map(|v| EnumValue {
                        value: v.value.value.clone(),
                        rust_name: idents.claim_pascal(&naming::rust_pascal_ident(&v.value.value)),
                        description: v.description.clone(),
                        deprecated: v.deprecated,
                    })
                    .collect(),
            }
        }
        Body::Union { tag, variants } => {
            let mut idents = Scope::new();
            TypeKind::Union {
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
                            rust_name: idents
                                .claim_pascal(&naming::rust_pascal_ident(&value.value)),
                            type_name: name,
                            openapi: VariantSchema::Embedded,
                        })
                    })
                    .collect(),
            }
        }
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
        fast_path: None,
        span: t.span.clone(),
    }
}

/// The resolved type of field `f` of the type `parent` (an entry of
/// `symbols`); a nested inline object is named by its unique name.
pub fn field_type(symbols: &Symbols<'_>, parent: &TypeEntry<'_>, f: &FieldDecl) -> Option<TypeRef> {
    match &f.ty {
        FieldType::Expr(e) => symbols.resolve(parent.module, e, &mut Vec::new()),
        FieldType::Inline { optional, .. } => {
            let entry = symbols.field_object(&parent.name, &f.name.value)?;
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

/// The Rust identifiers of an object's fields, in declaration order,
/// claimed in one scope so that two wire names converting to one identifier
/// get two: fields whose name is already the identifier claim first, so
/// `fooBar` next to `foo_bar` becomes `foo_bar_2` and `foo_bar` stays.
fn field_idents(fields: &[FieldDecl]) -> Vec<String> {
    let wanted: Vec<String> = fields
        .iter()
        .map(|f| naming::rust_snake_ident(&f.name.value))
        .collect();
    let mut idents = Scope::new();
    let mut out = vec![String::new(); fields.len()];
    for first in [true, false] {
        for (i, f) in fields.iter().enumerate() {
            if (wanted[i] == f.name.value) == first {
                out[i] = idents.claim(&wanted[i]);
            }
        }
    }
    out
}

/// A field, with its Rust identifier from [`field_idents`].
fn lower_field(
    symbols: &Symbols<'_>,
    parent: &TypeEntry<'_>,
    f: &FieldDecl,
    ident: String,
) -> Field {
    let ty = field_type(symbols, parent, f).unwrap_or(TypeRef::Json);
    let optional = matches!(ty, TypeRef::Optional { .. });
    Field {
        name: f.name.value.clone(),
        rust_name: ident,
        required: !optional && f.default.is_none(),
        ty,
        default: f.default.as_ref().map(|d| d.value.clone()),
        constraints: constraints(&f.constraints),
        description: f.description.clone(),
        deprecated: f.deprecated,
        example: f.example.as_ref().map(|e| e.value.clone()),
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
