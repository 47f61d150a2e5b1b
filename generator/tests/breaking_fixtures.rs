//! Data-driven rule tests over real contract folders: `fixtures/breaking/rules/<rule_id>/{before,after,near}/` with exact expected findings.
//!
//! For every rule of the catalogue, `after` against `before` must give
//! exactly the lines of `after.expected` (and fire the rule), and `near`
//! against `before` exactly those of `near.expected` (and not fire it).
//! Every folder compared with itself gives nothing. A line reads
//! `severity rule_id subject @side:file:line:col`.
//!
//! Set `BUNBASE_BLESS=1` to rewrite the expected files after a deliberate
//! change, then read the diff.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bunbase::breaking::{Config, Finding, Report, Rule, Side, compare};
use bunbase::ir::Ir;

/// Rules that need `--check-version`.
const VERSION_RULES: &[&str] = &["version_decreased", "version_not_bumped"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/breaking/rules")
}

fn compile(dir: &Path) -> Ir {
    let sources = bunbase::load::from_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    match bunbase::compile(&sources) {
        Ok(c) => c.ir,
        Err(diags) => panic!(
            "{} does not compile:\n{}",
            dir.display(),
            bunbase::diag::render(&diags, &sources, false)
        ),
    }
}

fn line(f: &Finding, new_side: &str) -> String {
    let at = match f.location() {
        Some((Side::Old, l)) => format!(" @before:{l}"),
        Some((Side::New, l)) => format!(" @{new_side}:{l}"),
        None => String::new(),
    };
    format!("{} {} {}{at}", f.severity.as_str(), f.rule.id(), f.subject)
}

fn findings(rule: &str, old: &Ir, new: &Ir) -> Vec<Finding> {
    let raw = compare(old, new);
    if VERSION_RULES.contains(&rule) {
        Report::build(
            raw,
            &Config::default(),
            &old.project.version,
            &new.project.version,
            None,
            true,
        )
        .findings
    } else {
        raw
    }
}

fn check_pair(
    rule: &str,
    dir: &Path,
    side: &str,
    bless: bool,
    problems: &mut Vec<String>,
) -> Vec<String> {
    let old = compile(&dir.join("before"));
    let new = compile(&dir.join(side));
    let got: Vec<String> = findings(rule, &old, &new)
        .iter()
        .map(|f| line(f, side))
        .collect();
    let expected_path = dir.join(format!("{side}.expected"));
    let text = got.iter().map(|l| format!("{l}\n")).collect::<String>();
    if bless {
        std::fs::write(&expected_path, &text).expect("write expected");
    } else {
        let want = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if want != text {
            problems.push(format!(
                "{rule}/{side}:\n--- expected\n{want}--- got\n{text}"
            ));
        }
    }
    for (label, ir) in [("before", &old), (side, &new)] {
        let same = findings(rule, ir, ir);
        if !same.is_empty() {
            problems.push(format!(
                "{rule}/{label} against itself: {:?}",
                same.iter().map(|f| line(f, label)).collect::<Vec<_>>()
            ));
        }
    }
    got
}

#[test]
fn every_rule_fixture_gives_exactly_its_findings() {
    let bless = std::env::var_os("BUNBASE_BLESS").is_some();
    let mut problems = Vec::new();
    for rule in Rule::ALL {
        let id = rule.id();
        let dir = root().join(id);
        if !dir.is_dir() {
            problems.push(format!("{id}: no fixture folder {}", dir.display()));
            continue;
        }
        let fired = |lines: &[String]| lines.iter().any(|l| l.split(' ').nth(1) == Some(id));
        let after = check_pair(id, &dir, "after", bless, &mut problems);
        if !fired(&after) {
            problems.push(format!("{id}: `after` does not fire the rule"));
        }
        let near = check_pair(id, &dir, "near", bless, &mut problems);
        if fired(&near) {
            problems.push(format!("{id}: the near miss fires the rule"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_orphan_fixture_folders() {
    let ids: BTreeSet<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
    for entry in std::fs::read_dir(root()).expect("fixtures") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            ids.contains(name.as_str()),
            "fixture folder `{name}` names no rule"
        );
    }
}

#[test]
fn example_contracts_against_themselves_give_nothing() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts-examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&examples).expect("contracts-examples") {
        let dir = entry.expect("entry").path();
        if !dir.join("bunbase.yaml").is_file() {
            continue;
        }
        seen += 1;
        let ir = compile(&dir);
        assert_eq!(compare(&ir, &ir), Vec::new(), "{}", dir.display());
    }
    assert!(seen > 0, "no example contract sets found");
}
