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
mod parallel;
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
    // Not YAML (or hidden): a source set built from a git tree may hold
    // other files; they are not contracts.
    let files: Vec<(&String, &String)> = sources
        .files
        .iter()
        .filter(|(path, _)| crate::load::is_contract_file(path))
        .collect();
    // Files parse independently; their results are taken back in path
    // order, so the output and the diagnostics do not depend on threads.
    for (parsed, file_diags) in parallel::map(&files, |(path, text)| parse_file(path, text)) {
        diags.extend(file_diags);
        match parsed {
            Parsed::Project(project) => {
                has_project = true;
                if let Some(project) = project {
                    contracts.project = Some(*project);
                }
            }
            Parsed::Module(Some(m)) => contracts.modules.push(*m),
            Parsed::Module(None) => {}
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

/// One contract file read: `bunbase.yaml` (with its declaration when
/// readable) or a module.
enum Parsed {
    Project(Option<Box<ast::ProjectDecl>>),
    Module(Option<Box<ast::ModuleDecl>>),
}

/// Parses one contract file, with the diagnostics it reports.
fn parse_file(path: &str, text: &str) -> (Parsed, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let root = yaml::parse(path, text, &mut diags);
    let parsed = if path == PROJECT_FILE {
        Parsed::Project(
            root.and_then(|root| module::project(&root, text, &mut diags))
                .map(Box::new),
        )
    } else {
        Parsed::Module(
            root.and_then(|root| module::module(path, &root, text, &mut diags))
                .map(Box::new),
        )
    };
    (parsed, diags)
}
