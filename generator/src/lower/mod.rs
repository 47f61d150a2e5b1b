//! Lowering: checked contracts to the fully resolved, sorted [`Ir`](crate::ir::Ir).
//!
//! Lowering runs only on contracts the checker passed, and never fails: a
//! reference it cannot resolve (which the checker would have reported) falls
//! back to something harmless instead of panicking. Every decision emitters
//! must not make lives here: unique type names (from
//! [`Symbols`](crate::check::symbols::Symbols)), inline type names, defaults,
//! boxing, HTTP bindings, guard order, implicit errors and event wiring.

mod actions;
pub mod graph;
pub mod types;
pub mod values;

use std::collections::BTreeMap;

use crate::check::symbols::Symbols;
use crate::ir::*;
use crate::naming;
use crate::parse::ast::Contracts;
use values::normalize_prefix;

pub use types::field_type;

/// Lowers checked contracts to the IR.
pub fn lower(contracts: &Contracts) -> Ir {
    let symbols = Symbols::collect(contracts, &mut Vec::new());
    let types = types::lower_types(&symbols);
    lower_with(contracts, &symbols, types)
}

/// Lowers checked contracts given their symbol table and lowered types (as
/// [`crate::compile`] already built them for the checker).
pub fn lower_with(
    contracts: &Contracts,
    symbols: &Symbols<'_>,
    types: BTreeMap<String, TypeDef>,
) -> Ir {
    let project = project(contracts);
    let mut modules = BTreeMap::new();
    for (name, m) in &symbols.modules {
        let actions = m
            .actions
            .iter()
            .map(|a| {
                (
                    a.name.value.clone(),
                    actions::lower_action(symbols, &project.base_path, m, a),
                )
            })
            .collect();
        let mut own_types: Vec<String> = types
            .values()
            .filter(|t| &t.module == name)
            .map(|t| t.name.clone())
            .collect();
        own_types.sort();
        let mut events: Vec<String> = m.events.iter().map(|e| e.name.value.clone()).collect();
        events.sort();
        events.dedup();
        modules.insert(
            name.clone(),
            Module {
                name: name.clone(),
                rust_name: naming::rust_snake_ident(name),
                pascal_name: naming::pascal(name),
                ts_name: naming::camel(name),
                description: m.description.clone(),
                prefix: m
                    .prefix
                    .as_ref()
                    .map(|p| normalize_prefix(&p.value))
                    .unwrap_or_default(),
                guards: m
                    .guards
                    .iter()
                    .map(|g| actions::guard(g, GuardSource::Module))
                    .collect(),
                actions,
                types: own_types,
                events,
                span: m.name.span.clone(),
            },
        );
    }
    let mut events = BTreeMap::new();
    for (name, (module, decl)) in &symbols.events {
        let payload = symbols
            .payload_of(name)
            .map(|t| t.name.clone())
            .unwrap_or_default();
        events.insert(
            name.clone(),
            Event {
                name: name.clone(),
                pascal_name: naming::pascal(name),
                snake_name: naming::snake(&name.replace('.', "_")),
                module: (*module).to_owned(),
                description: decl.description.clone(),
                payload,
                subscribers: Vec::new(),
                publishers: Vec::new(),
                span: decl.name.span.clone(),
            },
        );
    }
    for m in modules.values() {
        for a in m.actions.values() {
            for e in &a.emits {
                if let Some(ev) = events.get_mut(e) {
                    ev.publishers.push(a.full_name.clone());
                }
            }
            for t in &a.triggers.events {
                if let Some(ev) = events.get_mut(&t.event) {
                    ev.subscribers.push(a.full_name.clone());
                }
            }
        }
    }
    for ev in events.values_mut() {
        ev.publishers.sort();
        ev.publishers.dedup();
        ev.subscribers.sort();
        ev.subscribers.dedup();
    }
    Ir {
        format_version: IR_FORMAT_VERSION,
        project,
        modules,
        types,
        events,
        db: Default::default(),
    }
}

fn project(contracts: &Contracts) -> Project {
    let Some(p) = &contracts.project else {
        return Project {
            name: String::new(),
            snake_name: String::new(),
            kebab_name: String::new(),
            version: String::new(),
            title: String::new(),
            description: None,
            database: Database::Sqlite,
            base_path: String::new(),
            sdk_package: String::new(),
            span: Span::default(),
        };
    };
    let name = p.name.value.clone();
    let kebab_name = naming::kebab(&name);
    Project {
        snake_name: naming::snake(&name),
        sdk_package: p
            .sdk_package
            .as_ref()
            .map_or_else(|| format!("@{kebab_name}/sdk"), |s| s.value.clone()),
        kebab_name,
        version: p.version.value.clone(),
        title: p.title.clone().unwrap_or_else(|| name.clone()),
        description: p.description.clone(),
        database: match p.database.as_ref().map(|d| d.value.as_str()) {
            Some("postgres") => Database::Postgres,
            _ => Database::Sqlite,
        },
        base_path: p
            .base_path
            .as_ref()
            .map(|b| normalize_prefix(&b.value))
            .unwrap_or_default(),
        span: p.span.clone(),
        name,
    }
}
