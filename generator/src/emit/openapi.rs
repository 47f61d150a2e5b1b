//! The OpenAPI 3.0.3 emitter: builds the document as `openapiv3` values from the IR.

use super::{GenOptions, GeneratedFile, Ownership};
use crate::ir::Ir;

/// Emits `openapi.json` at the output root.
pub fn emit(ir: &Ir, _opts: &GenOptions) -> Vec<GeneratedFile> {
    vec![GeneratedFile { path: "openapi.json".into(), contents: to_json(ir), ownership: Ownership::Generated }]
}

/// The OpenAPI document as pretty JSON with a trailing newline. The Rust
/// emitter embeds this same text in the API crate, served at
/// `{base_path}/openapi.json`.
pub fn to_json(ir: &Ir) -> String {
    let doc = serde_json::json!({
        "openapi": "3.0.3",
        "info": { "title": ir.project.title, "version": ir.project.version },
        "paths": {}
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("a JSON value always serialises");
    s.push('\n');
    s
}
