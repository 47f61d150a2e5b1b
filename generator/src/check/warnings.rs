//! Warnings: legal but suspicious contracts (unused types and events, triggers not served, webhooks behind session guards; deprecations without a note are reported with the actions).

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::Diagnostic;
use crate::ir::{TypeDef, TypeOrigin};
use crate::parse::ast::Shape;
use crate::resolve::graph::{self, Via};
use crate::resolve::symbols::Symbols;

/// Warns about declared types that no action, event or used type refers to.
pub fn unused_types(
    types: &BTreeMap<String, TypeDef>,
    symbols: &Symbols<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut roots: BTreeSet<String> = BTreeSet::new();
    for (name, m) in &symbols.modules {
        for a in &m.actions {
            for shape in [&a.input, &a.output].into_iter().flatten() {
                if let Shape::Ref(e) = shape
                    && let Some(r) = symbols.resolve(name, e, &mut Vec::new())
                {
                    graph::refs(&r, Via::Direct, &mut |n, _| {
                        roots.insert(n.to_owned());
                    });
                }
            }
        }
    }
    for t in types.values() {
        if t.origin != TypeOrigin::Declared {
            roots.insert(t.name.clone());
        }
    }
    for ev in symbols.events.keys() {
        if let Some(p) = symbols.payload_of(ev) {
            roots.insert(p.name.clone());
        }
    }
    let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (from, to, _) in graph::edges(types) {
        edges.entry(from).or_default().push(to);
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<String> = roots.into_iter().collect();
    while let Some(n) = stack.pop() {
        if !used.insert(n.clone()) {
            continue;
        }
        stack.extend(edges.get(&n).into_iter().flatten().cloned());
    }
    for t in &symbols.types {
        if t.origin == TypeOrigin::Declared && !used.contains(&t.name) {
            diags.push(
                Diagnostic::warning(
                    "W0001",
                    &t.span,
                    format!("type `{}` is never used", t.contract_name),
                )
                .with_hint("no action, event or used type refers to it; remove it or use it"),
            );
        }
    }
}

/// Warns about events no action emits and no action subscribes to.
pub fn unused_events(symbols: &Symbols<'_>, diags: &mut Vec<Diagnostic>) {
    let mut used: BTreeSet<&str> = BTreeSet::new();
    for m in symbols.modules.values() {
        for a in &m.actions {
            used.extend(a.emits.iter().map(|e| e.value.as_str()));
            for t in &a.triggers {
                if let crate::parse::ast::TriggerKind::Event(e) = &t.kind {
                    used.insert(e.value.as_str());
                }
            }
        }
    }
    for (name, (_, decl)) in &symbols.events {
        if !used.contains(name.as_str()) {
            diags.push(
                Diagnostic::warning(
                    "W0005",
                    &decl.name.span,
                    format!("event `{name}` is never emitted nor subscribed to"),
                )
                .with_hint(
                    "list it in an action's `emits`, trigger an action with it, or remove it",
                ),
            );
        }
    }
}

/// Warns about webhook triggers behind a guard that needs a signed-in
/// caller: a delivery is signed by its sender but carries no session, so
/// such a guard refuses every delivery (401), and the webhook never runs the
/// action.
pub fn guarded_webhooks(symbols: &Symbols<'_>, diags: &mut Vec<Diagnostic>) {
    use crate::parse::ast::{GuardDeclKind, TriggerKind};
    for (module, m) in &symbols.modules {
        for a in &m.actions {
            let guard = m.guards.iter().chain(&a.guards).find(|g| {
                matches!(
                    g.kind,
                    GuardDeclKind::Authenticated
                        | GuardDeclKind::HasRole(_)
                        | GuardDeclKind::HasPermission(_)
                )
            });
            let Some(guard) = guard else { continue };
            for t in &a.triggers {
                if let TriggerKind::Webhook(w) = &t.kind {
                    diags.push(
                        Diagnostic::warning(
                            "W0007",
                            &w.path.span,
                            format!(
                                "webhook `{}` of `{module}.{}` can never run the action: deliveries carry no session, and a guard needs one",
                                w.path.value, a.name.value
                            ),
                        )
                        .with_hint(format!(
                            "the signature already proves the sender; move the action to a module without session guards, or drop the guard ({} line {})",
                            guard.span.file, guard.span.line
                        )),
                    );
                }
            }
        }
    }
}
