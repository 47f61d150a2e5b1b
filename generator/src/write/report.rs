//! Rendering plans for humans: the `--check` drift listing with a short unified diff per changed file, conflict messages and one-line run summaries.

use std::fmt::Write as _;
use std::time::Duration;

use similar::TextDiff;

use super::{Action, Conflict, ConflictKind, MANIFEST_PATH, Plan, Summary};

/// Diff lines shown per changed file before the rest is elided.
const MAX_DIFF_LINES: usize = 60;

/// The `--check` listing: one line per file that would be created, changed
/// or removed (and per conflict), each changed file followed by a short
/// unified diff (the manifest is listed but not diffed). Empty when the
/// plan is up to date.
pub fn drift(plan: &Plan) -> String {
    let mut out = String::new();
    for e in plan.changes() {
        let verb = match e.action {
            Action::Create { .. } => "create",
            Action::Update { .. } => "change",
            _ => "remove",
        };
        let _ = writeln!(out, "  {verb:<6} {}", e.path);
    }
    for e in plan.changes() {
        if let Action::Update { old, contents } = &e.action {
            if e.path == MANIFEST_PATH {
                continue;
            }
            out.push('\n');
            out.push_str(&diff(&e.path, &String::from_utf8_lossy(old), contents));
        }
    }
    if !plan.conflicts.is_empty() {
        out.push('\n');
        out.push_str(&conflicts(&plan.conflicts));
        out.push('\n');
    }
    out
}

/// A unified diff of one file from `old` (on disk) to `new` (generated),
/// cut after a few dozen lines.
pub fn diff(path: &str, old: &str, new: &str) -> String {
    let text = TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string();
    let total = text.lines().count();
    if total <= MAX_DIFF_LINES {
        return text;
    }
    let mut cut: String = text
        .lines()
        .take(MAX_DIFF_LINES)
        .flat_map(|l| [l, "\n"])
        .collect();
    let _ = writeln!(cut, "... {} more diff lines", total - MAX_DIFF_LINES);
    cut
}

/// Names every conflicting file and what to do about it.
pub fn conflicts(conflicts: &[Conflict]) -> String {
    let mut out = String::from("these files were not written by bunbase as they are now:\n");
    for c in conflicts {
        let why = match c.kind {
            ConflictKind::Edited => "generated file edited by hand",
            ConflictKind::EditedRemoved => "no longer generated, but edited by hand",
            ConflictKind::Unmanaged => "exists, and bunbase did not write it",
        };
        let _ = writeln!(out, "  {}  ({why})", c.path);
    }
    out.push_str(
        "move your changes into the contracts or a scaffold file, or run again with `--force` to overwrite them",
    );
    out
}

/// Scaffold files that are no longer produced and were kept, one per line.
pub fn orphans(plan: &Plan) -> Vec<&str> {
    plan.entries
        .iter()
        .filter(|e| e.action == Action::Orphaned)
        .map(|e| e.path.as_str())
        .collect()
}

/// One line per run: `3 written, 40 unchanged, 1 removed in 120 ms`.
pub fn summary_line(summary: &Summary, took: Duration) -> String {
    format!(
        "{} written, {} unchanged, {} removed in {} ms",
        summary.written,
        summary.unchanged,
        summary.removed,
        took.as_millis()
    )
}
