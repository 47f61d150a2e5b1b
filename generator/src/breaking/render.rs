//! Renders a [`Report`] as text for people, JSON for tools, GitHub workflow annotations or a Markdown PR comment.

use std::fmt::Write as _;

use serde_json::json;

use super::{Finding, Location, Report, Severity, Side};

/// The JSON output's shape version; bump on any change a consumer could
/// notice.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// How to show locations: the prefix that turns a contracts-relative path
/// into one the reader can open.
#[derive(Debug, Clone, Default)]
pub struct Paths {
    /// Prefix for new-side files (`contracts/`), usually relative to the
    /// repository root or the working directory.
    pub new_prefix: String,
    /// Prefix for old-side files (`HEAD~1:contracts/` or `old/`).
    pub old_prefix: String,
    /// What the comparison ran against, for headers (`HEAD~1`).
    pub against: String,
}

impl Paths {
    fn show(&self, side: Side, l: &Location) -> String {
        let prefix = match side {
            Side::New => &self.new_prefix,
            Side::Old => &self.old_prefix,
        };
        format!("{prefix}{}:{}:{}", l.file, l.line, l.col)
    }

    fn where_(&self, f: &Finding) -> String {
        f.location()
            .map(|(side, l)| self.show(side, l))
            .unwrap_or_else(|| "-".into())
    }
}

/// Findings for people: unaccepted breaking first, then warnings, info and
/// accepted ones; stable (by subject) within each group.
fn by_severity(r: &Report) -> Vec<&Finding> {
    let mut v: Vec<&Finding> = r.findings.iter().collect();
    v.sort_by_key(|f| (f.accepted.is_some(), std::cmp::Reverse(f.severity)));
    v
}

fn verdict(r: &Report) -> String {
    let v = &r.version;
    let mut s = format!("the changes need a {} bump", v.effective.as_str());
    if v.pre_1_0 && v.required != v.effective {
        let _ = write!(
            s,
            " (below 1.0 a {} change needs only a {} bump)",
            v.required.as_str(),
            v.effective.as_str()
        );
    }
    let _ = write!(s, ": {} -> {} suggested", v.old, v.suggested);
    if v.new != v.old || !v.satisfied {
        let _ = write!(s, ", declared {}", v.new);
        s.push_str(if v.satisfied {
            " (enough)"
        } else {
            " (not enough)"
        });
    }
    s
}

fn counts(r: &Report) -> String {
    let s = &r.summary;
    let mut out = format!(
        "{} breaking, {} warning, {} info",
        s.breaking, s.warning, s.info
    );
    if s.accepted > 0 {
        let _ = write!(out, ", {} accepted", s.accepted);
    }
    out
}

/// Plain text: one block per finding, then a summary.
pub fn text(r: &Report, paths: &Paths) -> String {
    let mut out = String::new();
    for f in by_severity(r) {
        let _ = writeln!(
            out,
            "{:<8} {} at {}",
            f.severity.as_str(),
            f.rule.id(),
            paths.where_(f)
        );
        let _ = writeln!(out, "  {}", f.message);
        if let Some(reason) = &f.accepted {
            let _ = writeln!(out, "  accepted: {reason}");
        }
        let _ = writeln!(out, "  fingerprint: {}", f.fingerprint());
    }
    for a in &r.unused_accepts {
        let _ = writeln!(
            out,
            "note: accepted fingerprint `{}` matches no change; remove it",
            a.fingerprint
        );
    }
    if r.findings.is_empty() {
        let _ = writeln!(out, "no changes against {}", paths.against);
    } else {
        let _ = writeln!(
            out,
            "\n{} against {}; {}",
            counts(r),
            paths.against,
            verdict(r)
        );
    }
    out
}

fn location_json(paths: &Paths, side: Side, l: &Option<Location>) -> serde_json::Value {
    match l {
        Some(l) => json!({
            "file": l.file,
            "path": format!("{}{}", match side { Side::New => &paths.new_prefix, Side::Old => &paths.old_prefix }, l.file),
            "line": l.line,
            "col": l.col,
        }),
        None => serde_json::Value::Null,
    }
}

/// Machine-readable JSON with a schema version.
pub fn json(r: &Report, paths: &Paths) -> String {
    let findings: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            json!({
                "rule": f.rule.id(),
                "severity": f.severity.as_str(),
                "semver": f.bump.as_str(),
                "subject": f.subject,
                "fingerprint": f.fingerprint(),
                "message": f.message,
                "location": location_json(paths, Side::New, &f.new_location),
                "old_location": location_json(paths, Side::Old, &f.old_location),
                "removed": f.removed,
                "accepted": f.accepted,
            })
        })
        .collect();
    let v = &r.version;
    let value = json!({
        "schema_version": JSON_SCHEMA_VERSION,
        "against": paths.against,
        "summary": {
            "breaking": r.summary.breaking,
            "warning": r.summary.warning,
            "info": r.summary.info,
            "accepted": r.summary.accepted,
        },
        "version": {
            "old": v.old,
            "new": v.new,
            "required_bump": v.required.as_str(),
            "effective_bump": v.effective.as_str(),
            "declared_bump": v.declared.map(|b| b.as_str()),
            "pre_1_0": v.pre_1_0,
            "suggested": v.suggested,
            "satisfied": v.satisfied,
        },
        "findings": findings,
        "unused_accepts": r.unused_accepts.iter().map(|a| &a.fingerprint).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

/// Escapes workflow-command data (`%`, CR, LF).
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes workflow-command property values (data escapes plus `:` and `,`).
fn gh_prop(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands: `::error file=..,line=..::` per
/// finding on its new-side line (removals point at their surviving parent),
/// then a notice with the verdict.
pub fn github(r: &Report, paths: &Paths) -> String {
    let mut out = String::new();
    for f in &r.findings {
        let level = match (&f.accepted, f.severity) {
            (Some(_), _) | (None, Severity::Info) => "notice",
            (None, Severity::Warning) => "warning",
            (None, Severity::Breaking) => "error",
        };
        let mut props = Vec::new();
        if let Some(l) = &f.new_location {
            props.push(format!(
                "file={}",
                gh_prop(&format!("{}{}", paths.new_prefix, l.file))
            ));
            props.push(format!("line={}", l.line));
            props.push(format!("col={}", l.col));
        }
        props.push(format!(
            "title={}",
            gh_prop(&format!("{} ({})", f.rule.id(), f.severity.as_str()))
        ));
        let mut msg = f.message.clone();
        if let Some(reason) = &f.accepted {
            let _ = write!(msg, " [accepted: {reason}]");
        }
        let _ = write!(msg, "\nfingerprint: {}", f.fingerprint());
        let _ = writeln!(out, "::{level} {}::{}", props.join(","), gh_data(&msg));
    }
    let _ = writeln!(
        out,
        "::notice title=bunbase breaking::{}",
        gh_data(&format!("{}; {}", counts(r), verdict(r)))
    );
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown PR comment: verdict, then a table of findings.
pub fn markdown(r: &Report, paths: &Paths) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### bunbase breaking: {}\n", counts(r));
    let _ = writeln!(
        out,
        "Compared against `{}`: {}.\n",
        paths.against,
        verdict(r)
    );
    if r.findings.is_empty() {
        out.push_str("No contract changes.\n");
        return out;
    }
    out.push_str("| Severity | Rule | Where | Change |\n|---|---|---|---|\n");
    for f in by_severity(r) {
        let severity = match (&f.accepted, f.severity) {
            (Some(_), _) => "accepted".to_owned(),
            (None, s) => s.as_str().to_owned(),
        };
        let mut change = md_cell(&f.message);
        if let Some(reason) = &f.accepted {
            let _ = write!(change, " *(accepted: {})*", md_cell(reason));
        }
        let _ = writeln!(
            out,
            "| {severity} | `{}` | `{}` | {change} |",
            f.rule.id(),
            md_cell(&paths.where_(f))
        );
    }
    out.push_str("\nTo accept a finding, add its fingerprint with a reason to `bunbase-breaking.yaml`:\n\n```yaml\naccept:\n");
    for f in r
        .findings
        .iter()
        .filter(|f| f.accepted.is_none() && f.severity == Severity::Breaking)
        .take(3)
    {
        let _ = writeln!(
            out,
            "  - fingerprint: \"{}\"\n    reason: \"...\"",
            f.fingerprint()
        );
    }
    out.push_str("```\n");
    out
}
