//! Checking: every rule of the contract format, reported as accumulated diagnostics.
//!
//! The checker reads the syntax tree ([`crate::parse::ast`]) after parsing
//! and reports every problem it finds, never stopping at the first. It is
//! split by concern: [`symbols`] (names and resolution, shared with
//! lowering), [`names`], [`types`], [`values`], [`actions`], [`routes`] and
//! [`warnings`]. Structural problems (unknown keys, wrong kinds of values,
//! malformed type expressions) are reported while parsing.

pub mod actions;
pub mod names;
pub mod routes;
pub mod symbols;
pub mod types;
pub mod values;
pub mod warnings;

use std::collections::{BTreeMap, HashMap};

use crate::diag::Diagnostic;
use crate::ir::TypeDef;
use crate::parse::ast::Contracts;
use symbols::Symbols;

/// Checks parsed contracts, appending every problem to `diags`.
pub fn check(contracts: &Contracts, diags: &mut Vec<Diagnostic>) {
    let symbols = Symbols::collect(contracts, diags);
    let lowered = crate::lower::types::lower_types(&symbols);
    check_with(contracts, &symbols, &lowered, diags);
}

/// Checks parsed contracts given their symbol table (whose own diagnostics
/// the caller has collected) and their lowered types, which
/// [`crate::compile`] shares with lowering.
pub fn check_with(
    contracts: &Contracts,
    symbols: &Symbols<'_>,
    lowered: &BTreeMap<String, TypeDef>,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some(p) = &contracts.project {
        names::project(p, diags);
    }
    let mut mcp_tools = HashMap::new();
    for m in symbols.modules.values() {
        names::module(m, diags);
        actions::module(m, symbols, &mut mcp_tools, diags);
    }
    names::modules(symbols, diags);
    names::type_members(symbols, diags);
    names::events(symbols, diags);
    types::resolve_all(symbols, diags);
    types::shapes(symbols, diags);
    types::recursion(lowered, symbols, diags);
    types::fields(lowered, symbols, diags);
    routes::check(contracts, symbols, diags);
    warnings::unused_types(lowered, symbols, diags);
    warnings::unused_events(symbols, diags);
}
