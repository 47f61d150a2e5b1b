//! Checking: every rule of the contract format, reported as accumulated diagnostics.
//!
//! The checker reads the syntax tree ([`crate::parse::ast`]) after parsing
//! and reports every problem it finds, never stopping at the first. It is
//! split by concern: [`symbols`] (names and resolution, shared with
//! lowering), [`names`], [`types`], [`actions`], [`routes`] and
//! [`warnings`].

pub mod symbols;

use crate::diag::Diagnostic;
use crate::parse::ast::Contracts;
use symbols::Symbols;

/// Checks parsed contracts, appending every problem to `diags`.
pub fn check(contracts: &Contracts, diags: &mut Vec<Diagnostic>) {
    let symbols = Symbols::collect(contracts, diags);
    let _ = symbols;
}
