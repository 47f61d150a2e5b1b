//! Breaking-change detection: compares two IRs with a catalogue of rules and advises a semver bump.
//!
//! [`compare`] walks an old and a new [`Ir`] and returns one [`Finding`] per
//! change, each tagged with a [`Rule`] of the catalogue ([`rules`]). Direction
//! matters: a type is judged in every position it is reached from (action
//! input, action output, event payload, job payload), following references
//! with cycle protection, so a change to a shared type can be harmless for
//! inputs and breaking for outputs. Job payloads (actions with a `queue`
//! trigger) are judged both ways, because queued jobs outlive deploys.
//!
//! [`Report::build`] then applies a [`Config`] (`bunbase-breaking.yaml`:
//! severity overrides and accepted findings) and works out the semver advice;
//! [`render`] prints a report as text, JSON, GitHub annotations or Markdown.

mod config;
mod differ;
pub mod git;
pub mod render;
mod report;
pub mod rules;
mod schema;
mod surface;
mod triggers;

use serde::Serialize;

use crate::ir::{Ir, Span};

pub use config::{Accept, CONFIG_FILE, Config, ConfigError, Level};
pub use report::{Report, Summary, VersionCheck, required_bump};
pub use rules::{Area, Bump, Rule, Severity};

/// Which contract set a location points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The baseline (`--against`).
    Old,
    /// The contracts being checked.
    New,
}

/// A place in a contract file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// Path relative to the contracts root, `/`-separated.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

impl Location {
    /// The location of a span, or `None` for a span with no file (built by
    /// hand, or an element the contract did not spell out).
    pub fn of(span: &Span) -> Option<Location> {
        (!span.file.is_empty()).then(|| Location {
            file: span.file.clone(),
            line: span.line,
            col: span.col,
        })
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// One classified change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule that matched.
    pub rule: Rule,
    /// Severity after configuration overrides.
    pub severity: Severity,
    /// The semver bump this change needs.
    pub bump: Bump,
    /// A stable path naming what changed (`type/Task/title`,
    /// `action/tasks.get_task/http/GET /tasks/{id}`); never a line number.
    pub subject: String,
    /// What changed and why it matters, in one sentence.
    pub message: String,
    /// Where in the new contracts (the element itself, or for a removal its
    /// nearest surviving parent).
    pub new_location: Option<Location>,
    /// Where in the old contracts (set for removals and changes).
    pub old_location: Option<Location>,
    /// True when the subject no longer exists: `old_location` is where it
    /// was and `new_location` its nearest surviving parent.
    pub removed: bool,
    /// The reason from `bunbase-breaking.yaml` when the finding is accepted.
    pub accepted: Option<String>,
}

impl Finding {
    /// The stable identity used to accept a finding: `rule_id:subject`.
    pub fn fingerprint(&self) -> String {
        format!("{}:{}", self.rule.id(), self.subject)
    }

    /// The location to show: in the new contracts, or in the old ones for
    /// a removal.
    pub fn location(&self) -> Option<(Side, &Location)> {
        match (&self.new_location, &self.old_location) {
            (_, Some(l)) if self.removed => Some((Side::Old, l)),
            (Some(l), _) => Some((Side::New, l)),
            (None, Some(l)) => Some((Side::Old, l)),
            (None, None) => None,
        }
    }
}

/// Compares two contract sets and returns every finding with its rule's
/// default severity, sorted by subject then rule id, one per fingerprint.
pub fn compare(old: &Ir, new: &Ir) -> Vec<Finding> {
    let mut d = differ::Differ::new(old, new);
    surface::compare_project(&mut d);
    d.finish()
}
