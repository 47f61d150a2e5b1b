//! Checking: every rule of the contract format, reported as accumulated diagnostics.
//!
//! The checker reads the syntax tree ([`crate::parse::ast`]) and what
//! [`crate::resolve`] built from it, and reports every problem it finds,
//! never stopping at the first. It is split by concern: [`names`],
//! [`types`], [`values`], [`actions`], [`routes`] and [`warnings`].
//! Structural problems (unknown keys, wrong kinds of values, malformed type
//! expressions) are reported while parsing; what cannot be named, while
//! resolving.

pub mod actions;
pub mod names;
pub mod routes;
pub mod types;
pub mod values;
pub mod warnings;

use std::collections::HashMap;

use crate::diag::Diagnostic;
use crate::parse::ast::Contracts;
use crate::resolve::Resolved;

/// Checks parsed contracts given what resolution built from them, appending
/// every problem to `diags`.
///
/// The rules fall in two halves that read the same data and report in the
/// order they are written here: the routes and the warnings are checked on
/// another thread, and their diagnostics appended after the others, so the
/// list is the same as checking them in turn.
pub fn check(contracts: &Contracts, resolved: &Resolved<'_>, diags: &mut Vec<Diagnostic>) {
    let symbols = &resolved.symbols;
    let lowered = &resolved.types;
    let later = std::thread::scope(|s| {
        let later = s.spawn(|| {
            let mut diags = Vec::new();
            routes::check(contracts, symbols, &mut diags);
            warnings::unused_types(lowered, symbols, &mut diags);
            warnings::unused_events(symbols, &mut diags);
            warnings::guarded_webhooks(symbols, &mut diags);
            diags
        });
        if let Some(p) = &contracts.project {
            names::project(p, diags);
        }
        let mut mcp_tools = HashMap::new();
        for m in symbols.modules.values() {
            names::module(m, diags);
            actions::module(m, symbols, &mut mcp_tools, diags);
        }
        names::type_members(symbols, lowered, diags);
        types::resolve_all(symbols, diags);
        types::shapes(symbols, diags);
        types::recursion(lowered, symbols, diags);
        types::fields(lowered, symbols, diags);
        match later.join() {
            Ok(later) => later,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    diags.extend(later);
}
