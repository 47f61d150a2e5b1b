//! Diagnostics: problems found in the user's contracts, accumulated (never thrown) and rendered with file:line:col, a snippet and a hint.

use crate::ir::Span;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The contract cannot be turned into correct code.
    Error,
    /// Legal but suspicious; fails `bunbase check` only with `--deny-warnings`.
    Warning,
}

/// One problem in a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code per rule (`E0101`), documented in docs/diagnostics.md.
    pub code: &'static str,
    pub severity: Severity,
    /// What is wrong, naming the offending thing.
    pub message: String,
    /// Where; the snippet marks `span.start..span.end`.
    pub span: Span,
    /// How to fix it ("did you mean `Task`?"), where one helps.
    pub hint: Option<String>,
}
