//! bunbase: turns YAML contracts into an axum + sqlx server, an OpenAPI document and a TypeScript SDK.
//!
//! The engine is a library that returns values and never writes files; the
//! `bunbase` CLI, the build.rs [`builder::Builder`] and `xtask` are thin
//! adaptors over it. The pipeline, one module per stage:
//!
//! 1. [`load`]: contract files into a [`source::SourceSet`];
//! 2. [`parse`]: YAML with spans into the contract syntax tree;
//! 3. [`resolve`]: project-unique names, resolved type expressions and the
//!    types' IR form;
//! 4. [`check`]: every rule, as accumulated [`diag::Diagnostic`]s;
//! 5. [`lower`]: the resolved, sorted [`ir::Ir`]; then [`migrations`]:
//!    the SQL migrations replayed into the IR's `db` model;
//! 6. [`emit`]: Rust, OpenAPI and TypeScript files (never fails);
//! 7. [`write`]: write-if-changed, manifest and drift checks.
//!
//! [`compile`] runs stages 2 to 5, each once. Stages run one way: no stage
//! imports a later one (a tidy test reads the sources to hold it).

pub mod breaking;
pub mod builder;
pub mod check;
pub mod cli;
pub mod diag;
pub mod emit;
mod halves;
pub mod ir;
pub mod load;
pub mod lower;
pub mod migrations;
pub mod naming;
pub mod parse;
pub mod resolve;
pub mod runtime_version;
pub mod schema;
pub mod source;
pub mod write;

use diag::Diagnostic;
use source::SourceSet;

/// A contract set that checked clean: its IR and any warnings.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The lowered IR, ready for the emitters.
    pub ir: ir::Ir,
    /// Warnings (legal but suspicious), sorted by file and position.
    pub warnings: Vec<Diagnostic>,
}

/// Parses, resolves, checks and lowers a contract set. On any error,
/// returns every diagnostic (errors and warnings), sorted by file and
/// position.
pub fn compile(sources: &SourceSet) -> Result<Compiled, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let contracts = parse::parse(sources, &mut diags);
    let resolved = resolve::resolve(&contracts, &mut diags);
    check::check(&contracts, &resolved, &mut diags);
    diag::sort(&mut diags);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    let mut ir = lower::lower(&contracts, resolved);
    // The syntax tree is not needed any more: freed on another thread
    // rather than before the emitters start (here, should no thread start).
    let _ = std::thread::Builder::new()
        .name("bunbase-free".into())
        .spawn(move || drop(contracts));
    // The database stage: migrations beside bunbase.yaml, replayed into
    // the schema model the `db` emitter reads.
    ir.db = migrations::build(sources, ir.project.database, &mut diags);
    migrations::link::link(&mut ir, &mut diags);
    diag::sort(&mut diags);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    Ok(Compiled {
        ir,
        warnings: diags,
    })
}

/// Every diagnostic of a contract set (errors and warnings), sorted: what
/// `bunbase check` reports.
pub fn diagnostics(sources: &SourceSet) -> Vec<Diagnostic> {
    match compile(sources) {
        Ok(c) => c.warnings,
        Err(d) => d,
    }
}
