//! Diagnostics: problems found in the user's contracts, accumulated (never thrown) and rendered with file:line:col, a snippet and a hint.
//!
//! Every rule has a stable code (`E0303`), documented with an example in
//! `generator/docs/diagnostics.md`. [`render`] prints them like rustc
//! (through `annotate-snippets`); [`to_json`] gives one object per problem for
//! editors and CI.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use crate::ir::Span;
use crate::source::SourceSet;

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
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, naming the offending thing.
    pub message: String,
    /// Where; the snippet marks `span.start..span.end`.
    pub span: Span,
    /// How to fix it ("did you mean `Task`?"), where one helps.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error with `code` at `span`.
    pub fn error(code: &'static str, span: &Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span: span.clone(),
            hint: None,
        }
    }

    /// A warning with `code` at `span`.
    pub fn warning(code: &'static str, span: &Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Warning,
            message: message.into(),
            span: span.clone(),
            hint: None,
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a hint when there is one.
    pub fn with_opt_hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts diagnostics by file, position, then code and message, and removes
/// exact duplicates: the order every renderer prints them in.
pub fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        (
            &a.span.file,
            a.span.start,
            a.span.end,
            a.severity,
            a.code,
            &a.message,
        )
            .cmp(&(
                &b.span.file,
                b.span.start,
                b.span.end,
                b.severity,
                b.code,
                &b.message,
            ))
    });
    diags.dedup();
}

/// The closest of `candidates` to `name` by edit distance, if it is close
/// enough to be a plausible typo (used for "did you mean" hints).
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let d = strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase());
        let limit = (name.chars().count().max(c.chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Renders diagnostics like rustc: `error[E0101]: message`, ` --> file:line:col`,
/// the source snippet with a marker under the span, then `= help: hint`.
/// Diagnostics are printed in the order given (call [`sort`] first), followed
/// by a summary line. ANSI colours only when `color` is true.
pub fn render(diags: &[Diagnostic], sources: &SourceSet, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diags {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = level.primary_title(d.message.as_str()).id(d.code);
        let mut group = Group::with_title(title);
        if let Some(text) = sources.get(&d.span.file) {
            let (start, end) = clamp_span(text, d.span.start, d.span.end);
            group = group.element(
                Snippet::source(text)
                    .line_start(1)
                    .path(d.span.file.as_str())
                    .annotation(AnnotationKind::Primary.span(start..end)),
            );
        } else if !d.span.file.is_empty() {
            group = group.element(Level::NOTE.message(format!("in {}", d.span.file)));
        }
        if let Some(hint) = &d.hint {
            group = group.element(Level::HELP.message(hint.as_str()));
        }
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if errors + warnings > 0 {
        out.push_str(&summary(errors, warnings));
        out.push('\n');
    }
    out
}

fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    match (errors, warnings) {
        (0, w) => format!("{} emitted", plural(w, "warning")),
        (e, 0) => format!("could not check contracts: {}", plural(e, "error")),
        (e, w) => format!(
            "could not check contracts: {}, {}",
            plural(e, "error"),
            plural(w, "warning")
        ),
    }
}

/// Keeps a span inside the text and on character boundaries; an empty span
/// is widened to one character so the marker is visible.
fn clamp_span(text: &str, start: usize, end: usize) -> (usize, usize) {
    let mut start = start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    if end == start
        && let Some(c) = text[start..].chars().next()
        && c != '\n'
    {
        end = start + c.len_utf8();
    }
    (start, end)
}

/// One diagnostic as `bunbase check --format json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct JsonDiagnostic<'a> {
    /// Path relative to the contracts root.
    pub file: &'a str,
    /// 1-based line.
    pub line: u32,
    /// 1-based column in characters.
    pub col: u32,
    /// The stable code (`E0101`).
    pub code: &'a str,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: &'a str,
    /// How to fix it, if known.
    pub hint: Option<&'a str>,
}

/// The diagnostics as a JSON array (pretty, trailing newline), one object per
/// problem with `file`, `line`, `col`, `code`, `severity`, `message`, `hint`.
pub fn to_json(diags: &[Diagnostic]) -> String {
    let items: Vec<JsonDiagnostic<'_>> = diags
        .iter()
        .map(|d| JsonDiagnostic {
            file: &d.span.file,
            line: d.span.line,
            col: d.span.col,
            code: d.code,
            severity: d.severity,
            message: &d.message,
            hint: d.hint.as_deref(),
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_owned());
    s.push('\n');
    s
}
