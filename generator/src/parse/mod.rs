//! Parsing: YAML with a line:column span on every node, into the contract syntax tree.
//!
//! Two steps per file: [`yaml`] builds a spanned YAML tree (syntax errors and
//! duplicate keys are diagnostics), then the decoders here read it into
//! [`ast`] values, reporting structural problems: unknown keys (with a
//! did-you-mean), missing required keys, values of the wrong kind and
//! malformed type expressions. Everything that needs more than one node to
//! decide (names, references, routes) is left to [`crate::check`].

mod action;
pub mod ast;
mod decode;
mod module;
pub mod texpr;
pub mod yaml;

use crate::diag::Diagnostic;
use crate::load::PROJECT_FILE;
use crate::source::SourceSet;
use ast::Contracts;

/// Parses every contract file (`*.yaml`/`*.yml`, not hidden) of `sources`. Files that cannot be read as contracts
/// are reported and skipped; the rest are returned (modules sorted by path).
pub fn parse(sources: &SourceSet, diags: &mut Vec<Diagnostic>) -> Contracts {
    let mut contracts = Contracts::default();
    let mut has_project = false;
    for (path, text) in &sources.files {
        if !crate::load::is_contract_file(path) {
            // Not YAML (or hidden): a source set built from a git tree may
            // hold other files; they are not contracts.
            continue;
        }
        if path == PROJECT_FILE {
            has_project = true;
            if let Some(root) = yaml::parse(path, text, diags) {
                contracts.project = module::project(&root, text, diags);
            }
        } else if let Some(root) = yaml::parse(path, text, diags)
            && let Some(m) = module::module(path, &root, text, diags)
        {
            contracts.modules.push(m);
        }
    }
    if !has_project {
        let span = match sources.files.keys().next() {
            Some(f) => yaml::span_at(f, sources.get(f).unwrap_or(""), 0, 0),
            None => crate::ir::Span {
                file: PROJECT_FILE.to_owned(),
                ..Default::default()
            },
        };
        diags.push(
            Diagnostic::error("E0010", &span, "the contract set has no `bunbase.yaml`")
                .with_hint("add a bunbase.yaml with `project:` and `version:` at the root of the contracts folder"),
        );
    }
    contracts
}
