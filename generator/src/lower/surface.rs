//! Decisions taken over the whole lowered IR: which ways each type travels, the name of each shape in every target, the invented names of actions, modules and the project, and each type's documentation.
//!
//! Names are claimed through [`Scope`]s in an order fixed by the contracts
//! (sorted modules, actions and types), so the same contracts always give
//! the same names. Rust and TypeScript share one scope of type names: an
//! action's error type has one name in both, and every invented name keeps
//! clear of the contracts' types and of what generated code imports
//! ([`naming::GENERATED_TYPE_NAMES`]). OpenAPI components have a scope of
//! their own.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::*;
use crate::naming::{self, Scope};

/// Fills every decision that needs the whole IR.
pub fn decide(ir: &mut Ir) {
    directions(ir);
    docs(ir);
    type_scope_names(ir);
    openapi_names(ir);
    member_names(ir);
    enqueue_names(ir);
    spec_names(ir);
}

/// The router's pipeline statics, one per action ([`Action::spec_static`]):
/// `MODULE_ACTION`, numbered when two actions give the same name.
fn spec_names(ir: &mut Ir) {
    let mut scope = Scope::with_taken(["OPENAPI_JSON"]);
    for m in ir.modules.values_mut() {
        for a in m.actions.values_mut() {
            a.spec_static = scope.claim(&naming::shouty(&format!("{}_{}", m.name, a.name)));
        }
    }
}

/// The typed enqueue functions of the API crate's `jobs` module: the
/// action's Rust name, module-prefixed when queue actions of several
/// modules share it, clear of the module's own items (`workers`,
/// `register`).
fn enqueue_names(ir: &mut Ir) {
    let mut modules_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in ir.actions().filter(|a| a.triggers.queue.is_some()) {
        modules_of
            .entry(a.rust_name.clone())
            .or_default()
            .insert(a.module.clone());
    }
    let mut scope = Scope::with_taken(["workers", "register"]);
    for m in ir.modules.values_mut() {
        for a in m.actions.values_mut() {
            let Some(q) = a.triggers.queue.as_mut() else {
                continue;
            };
            let shared = modules_of.get(&a.rust_name).is_some_and(|ms| ms.len() > 1);
            let base = if shared {
                naming::rust_snake_ident(&format!("{}_{}", m.name, a.name))
            } else {
                a.rust_name.clone()
            };
            q.enqueue_fn = scope.claim(&base);
        }
    }
}

/// The type names reachable from `roots` (see [`Ir::reachable_types`]).
fn reach(ir: &Ir, roots: Vec<String>) -> BTreeSet<String> {
    ir.reachable_types(roots)
}

fn output_roots(a: &Action, out: &mut Vec<String>) {
    match &a.output {
        Some(OutputType::Named { name }) => out.push(name.clone()),
        Some(OutputType::Expr { ty }) => ty.collect_named(out),
        None => {}
    }
}

/// Sets [`TypeDef::directions`] from the actions' inputs, outputs and
/// audiences and from the events' payloads.
fn directions(ir: &mut Ir) {
    let (mut reads, mut writes, mut request, mut response) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for a in ir.actions() {
        reads.extend(a.input.iter().cloned());
        output_roots(a, &mut writes);
        if a.audience.http {
            request.extend(a.input.iter().cloned());
            output_roots(a, &mut response);
        }
    }
    writes.extend(ir.events.values().map(|e| e.payload.clone()));
    let [reads, writes, request, response] =
        [reads, writes, request, response].map(|roots| reach(ir, roots));
    for (name, t) in &mut ir.types {
        t.directions = Directions {
            server_reads: reads.contains(name),
            server_writes: writes.contains(name),
            http_request: request.contains(name),
            http_response: response.contains(name),
        };
    }
}

/// Sets [`TypeDef::doc`]: the description, then where an inline type comes
/// from.
fn docs(ir: &mut Ir) {
    let unique: BTreeMap<(String, String), String> = ir
        .types
        .values()
        .map(|t| ((t.module.clone(), t.contract_name.clone()), t.name.clone()))
        .collect();
    for t in ir.types.values_mut() {
        let origin = match &t.origin {
            TypeOrigin::Declared => None,
            TypeOrigin::ActionInput { action } => {
                Some(format!("The input of `{}.{action}`.", t.module))
            }
            TypeOrigin::ActionOutput { action } => {
                Some(format!("The output of `{}.{action}`.", t.module))
            }
            TypeOrigin::EventPayload { event } => Some(format!("The payload of event `{event}`.")),
            TypeOrigin::Inline { parent, field } => {
                let parent = unique
                    .get(&(t.module.clone(), parent.clone()))
                    .unwrap_or(parent);
                Some(format!("The `{field}` field of `{parent}`."))
            }
        };
        let description = t
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty());
        t.doc = match (description, origin) {
            (Some(d), Some(o)) => format!("{d}\n\n{o}"),
            (Some(d), None) => d.to_owned(),
            (None, Some(o)) => o,
            (None, None) => format!("`{}` from module `{}`.", t.contract_name, t.module),
        };
    }
}

/// Types whose TypeScript input and output shapes differ: objects with a
/// field that may be left out, and every type reaching one (a fixpoint, so
/// cycles settle).
fn shapes_differ(ir: &Ir) -> BTreeSet<String> {
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

/// Claims the names of the Rust and TypeScript type namespace: error enums,
/// TypeScript input variants, handler traits, module clients and the
/// project's SDK names, in that order, after every type name.
fn type_scope_names(ir: &mut Ir) {
    let mut scope = Scope::with_taken(
        naming::RESERVED_TYPE_NAMES
            .iter()
            .chain(naming::GENERATED_TYPE_NAMES)
            .copied(),
    );
    for name in ir.types.keys() {
        scope.take(name);
    }
    let mut modules_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in ir.actions() {
        modules_of
            .entry(a.pascal_name.clone())
            .or_default()
            .insert(a.module.clone());
    }
    for m in ir.modules.values_mut() {
        for a in m.actions.values_mut() {
            let shared = modules_of
                .get(&a.pascal_name)
                .is_some_and(|ms| ms.len() > 1);
            let base = if shared {
                format!("{}{}Error", m.pascal_name, a.pascal_name)
            } else {
                format!("{}Error", a.pascal_name)
            };
            a.error_enum = scope.claim_pascal(&base);
        }
    }
    let differ = shapes_differ(ir);
    for t in ir.types.values_mut() {
        let split =
            t.directions.http_request && t.directions.http_response && differ.contains(&t.name);
        t.names.rust = t.name.clone();
        t.names.ts_output = t.name.clone();
        t.names.ts_input = if split {
            scope.claim_pascal(&format!("{}Input", t.name))
        } else {
            t.name.clone()
        };
    }
    for m in ir.modules.values_mut() {
        m.rust_handler = scope.claim_pascal(&format!("{}Handler", m.pascal_name));
    }
    for m in ir.modules.values_mut() {
        m.ts_client = scope.claim_pascal(&format!("{}Client", m.pascal_name));
    }
    ir.names.ts_client = scope.claim_pascal("Client");
    ir.names.ts_transport_error = scope.claim_pascal("TransportError");
}

/// Variant types used in exactly one place, as a variant of one union: their
/// own component can carry that union's tag. Maps the variant type to
/// (union, tag value).
fn embedded_variants(ir: &Ir) -> BTreeMap<String, (String, String)> {
    let mut uses: BTreeMap<String, usize> = BTreeMap::new();
    let mut variant_of: BTreeMap<String, (String, String)> = BTreeMap::new();
    let count = |names: Vec<String>, uses: &mut BTreeMap<String, usize>| {
        for n in names {
            *uses.entry(n).or_default() += 1;
        }
    };
    for (name, def) in &ir.types {
        match &def.kind {
            TypeKind::Object { fields } => {
                let mut refs = Vec::new();
                fields.iter().for_each(|f| f.ty.collect_named(&mut refs));
                count(refs, &mut uses);
            }
            TypeKind::Union { variants, .. } => {
                for v in variants {
                    count(vec![v.type_name.clone()], &mut uses);
                    variant_of.insert(v.type_name.clone(), (name.clone(), v.tag_value.clone()));
                }
            }
            TypeKind::Enum { .. } => {}
        }
    }
    for a in ir.actions() {
        let mut refs: Vec<String> = a.input.iter().cloned().collect();
        output_roots(a, &mut refs);
        count(refs, &mut uses);
    }
    count(
        ir.events.values().map(|e| e.payload.clone()).collect(),
        &mut uses,
    );
    variant_of
        .into_iter()
        .filter(|(ty, _)| uses.get(ty) == Some(&1))
        .collect()
}

/// Claims the OpenAPI component names: request shapes of split types,
/// union variant wrappers and the error envelope's components.
fn openapi_names(ir: &mut Ir) {
    let mut scope = Scope::with_taken(ir.types.keys().map(String::as_str));
    let embedded = embedded_variants(ir);
    let mut split = BTreeSet::new();
    for t in ir.types.values_mut() {
        let shaped = matches!(t.kind, TypeKind::Object { .. } | TypeKind::Union { .. });
        t.names.openapi_response = t.name.clone();
        t.names.openapi_request =
            if shaped && t.directions.http_request && t.directions.http_response {
                split.insert(t.name.clone());
                scope.claim(&format!("{}-Input", t.name))
            } else {
                t.name.clone()
            };
    }
    for (name, t) in &mut ir.types {
        let TypeKind::Union { variants, .. } = &mut t.kind else {
            continue;
        };
        for v in variants {
            let own = embedded
                .get(&v.type_name)
                .is_some_and(|(u, tag)| u == name && *tag == v.tag_value);
            v.openapi = if own {
                VariantSchema::Embedded
            } else {
                let response = scope.claim(&format!("{name}.{}", v.tag_value));
                let request = if split.contains(name) {
                    scope.claim(&format!("{response}-Input"))
                } else {
                    response.clone()
                };
                VariantSchema::Wrapper { response, request }
            };
        }
    }
    ir.names.openapi_envelope = scope.claim_pascal("ErrorEnvelope");
    ir.names.openapi_validation_details = scope.claim_pascal("ValidationFailedDetails");
    ir.names.openapi_violation = scope.claim_pascal("Violation");
}

/// Makes the TypeScript client's property names unique: module properties
/// across the client, action methods within their module.
fn member_names(ir: &mut Ir) {
    let mut modules = Scope::new();
    for m in ir.modules.values_mut() {
        m.ts_name = modules.claim(&m.ts_name);
        let mut actions = Scope::new();
        for a in m.actions.values_mut() {
            a.ts_name = actions.claim(&a.ts_name);
        }
    }
}
