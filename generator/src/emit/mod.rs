//! Emitters: turn a checked [`Ir`] into the files of a generated project. Emitting never fails.

use crate::ir::Ir;

pub mod db;
pub mod header;
pub mod openapi;
pub mod rust;
pub mod ts;

/// One file produced by `bunbase gen`, relative to the output folder.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GeneratedFile {
    /// Path relative to the output folder, `/`-separated.
    pub path: String,
    /// Full contents, header included for generated files.
    pub contents: String,
    /// Who owns the file after it is first written.
    pub ownership: Ownership,
}

/// Whether bunbase keeps a file up to date or hands it to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ownership {
    /// Rewritten on every generation; carries a "do not edit" header.
    Generated,
    /// Written once when missing (handler stubs, `main.rs`, migrations), then
    /// the user's: never overwritten.
    Scaffold,
}

/// Where the generated workspace takes `bunbase-runtime` from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeSource {
    /// A path dependency (absolute, or relative to the output folder).
    Path(String),
    /// A git dependency.
    Git { url: String, rev: Option<String> },
    /// A registry version requirement.
    Registry(String),
}

/// Options that are not part of the contracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenOptions {
    /// Where the generated Cargo workspace finds `bunbase-runtime`.
    pub runtime: RuntimeSource,
    /// How the contracts folder is named in file headers (`contracts`).
    pub contracts_label: String,
}

/// Emits every target for `ir`, sorted by path. Never fails: the IR is
/// already checked.
///
/// The Rust emitter runs first (it shares its formatting out over every
/// core), then the OpenAPI and TypeScript emitters side by side: running
/// all three at once was no faster on two cores and held the OpenAPI
/// document's values and the Rust formatter's syntax trees in memory
/// together. The result is the same bytes as running them in turn.
pub fn generate(ir: &Ir, opts: &GenOptions) -> Vec<GeneratedFile> {
    let mut files = rust::emit(ir, opts);
    let others = std::thread::scope(|s| {
        let ts = s.spawn(|| ts::emit(ir, opts));
        let mut others = openapi::emit(ir, opts);
        match ts.join() {
            Ok(ts) => others.extend(ts),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        others
    });
    files.extend(others);
    for f in &mut files {
        if f.ownership == Ownership::Generated {
            f.contents = header::with_header(&f.path, &f.contents, &opts.contracts_label);
        }
    }
    files.sort();
    files
}
