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
/// The TypeScript emitter runs on its own thread while this one prints the
/// OpenAPI document once (for `openapi.json` and the MCP tools' schemas),
/// one path item at a time; then the Rust emitter shares its formatting out over
/// every core. Running the Rust emitter beside the others was no faster on
/// two cores and held the document's values and the formatter's syntax
/// trees in memory together. The result is the same bytes as running them
/// in turn.
pub fn generate(ir: &Ir, opts: &GenOptions) -> Vec<GeneratedFile> {
    let (mut files, schemas) = std::thread::scope(|s| {
        let ts = s.spawn(|| ts::emit(ir, opts));
        let (json, schemas) =
            openapi::document_json_with(ir, |components| rust::mcp_schemas(ir, components));
        let openapi = openapi::file(json);
        match ts.join() {
            Ok(mut files) => {
                files.push(openapi);
                (files, schemas)
            }
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    files.extend(rust::emit_with(ir, opts, &schemas));
    drop(schemas);
    for f in &mut files {
        if f.ownership == Ownership::Generated {
            f.contents = header::with_header(&f.path, &f.contents, &opts.contracts_label);
        }
    }
    files.sort();
    files
}
