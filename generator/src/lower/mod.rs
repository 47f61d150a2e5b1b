//! Lowering: checked contracts to the fully resolved, sorted [`Ir`](crate::ir::Ir).
//!
//! Lowering runs only on contracts the checker passed, and never fails: a
//! reference it cannot resolve (which the checker would have reported) falls
//! back to something harmless instead of panicking. It takes the names and
//! types [`crate::resolve`] built and adds every other decision emitters
//! must not make: defaults, HTTP bindings, guard order, exact error sets,
//! event wiring, and (in `surface`) directions, target names and docs.

pub mod actions;
pub mod depth;
mod fast_path;
mod surface;

use std::collections::BTreeMap;

use crate::ir::*;
use crate::naming;
use crate::parse::ast::{Contracts, ModuleDecl};
use crate::resolve::Resolved;
use crate::resolve::symbols::Symbols;
use crate::resolve::values::normalize_prefix;

pub use actions::audience;

/// Every module's actions, lowered (in module order): each action on its
/// own, so the modules are shared out between this thread and another.
fn lower_actions(symbols: &Symbols<'_>, base_path: &str) -> Vec<BTreeMap<String, Action>> {
    let modules: Vec<&ModuleDecl> = symbols.modules.values().copied().collect();
    let lower = |ms: &[&ModuleDecl]| -> Vec<BTreeMap<String, Action>> {
        ms.iter()
            .map(|m| {
                m.actions
                    .iter()
                    .map(|a| {
                        (
                            a.name.value.clone(),
                            actions::lower_action(symbols, base_path, m, a),
                        )
                    })
                    .collect()
            })
            .collect()
    };
    crate::halves::map(&modules, lower)
}

/// Lowers checked contracts to the IR, given what resolution built from
/// them.
pub fn lower(contracts: &Contracts, resolved: Resolved<'_>) -> Ir {
    let Resolved { symbols, types } = resolved;
    let symbols = &symbols;
    let project = project(contracts);
    let mut modules = BTreeMap::new();
    let mut lowered = lower_actions(symbols, &project.base_path).into_iter();
    for (name, m) in &symbols.modules {
        let actions = lowered.next().unwrap_or_default();
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
                rust_handler: String::new(),
                ts_client: String::new(),
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
    // `emit_<snake>` functions share one Rust module: `task.created` and
    // `task_created` must not both be `task_created`.
    let mut emitters = naming::Scope::new();
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
                snake_name: emitters.claim(&naming::snake(&name.replace('.', "_"))),
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
    let mut ir = Ir {
        format_version: IR_FORMAT_VERSION,
        project,
        modules,
        types,
        events,
        db: Default::default(),
        transport_errors: actions::transport_errors(),
        names: ProjectNames::default(),
        recursion_limit: None,
    };
    surface::decide(&mut ir);
    fast_path::decide(&mut ir);
    ir.recursion_limit = depth::recursion_limit(&ir.types);
    ir
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
            license: None,
            span: Span::default(),
        };
    };
    let name = p.name.value.clone();
    let kebab_name = naming::kebab(&name);
    Project {
        license: p.license.as_ref().map(|(name, url)| License {
            name: name.value.clone(),
            url: url.as_ref().map(|u| u.value.clone()),
        }),
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
