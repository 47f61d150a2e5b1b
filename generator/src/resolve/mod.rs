//! Resolution: names every type (declared and inline) project-wide, resolves every type expression, and builds the type graph and the types' IR form, once per compile.
//!
//! Resolution runs after parsing and before checking. It reports only what
//! cannot be named (a module or type declared twice, an unknown type in an
//! expression is reported by the checker when it resolves it); everything it
//! builds is read by the checker and by lowering, so both see the same names
//! and the same types. Stages run one way: resolve imports neither `check`
//! nor `lower`.
//!
//! - [`symbols`]: the symbol table, project-unique type names and
//!   resolution of type expressions;
//! - [`types`]: every type as an IR [`TypeDef`] with collision-free member
//!   identifiers, boxing and recursion flags;
//! - [`graph`]: the type reference graph and its strongly connected
//!   components;
//! - [`values`]: small value rules (paths, durations, implicit and transport
//!   errors) shared by the checker and lowering.

pub mod graph;
pub mod symbols;
pub mod types;
pub mod values;

use std::collections::BTreeMap;

use crate::diag::Diagnostic;
use crate::ir::TypeDef;
use crate::parse::ast::Contracts;
use symbols::Symbols;

/// What resolution builds from the syntax tree, borrowed by the checker and
/// consumed by lowering.
#[derive(Debug)]
pub struct Resolved<'a> {
    /// Every type and event with its project-unique name.
    pub symbols: Symbols<'a>,
    /// Every type in its IR form, keyed by unique name.
    pub types: BTreeMap<String, TypeDef>,
}

/// Resolves parsed contracts, appending what cannot be named to `diags`.
pub fn resolve<'a>(contracts: &'a Contracts, diags: &mut Vec<Diagnostic>) -> Resolved<'a> {
    let symbols = Symbols::collect(contracts, diags);
    let types = types::lower_types(&symbols);
    Resolved { symbols, types }
}
