//! The corpus of bad contracts: every rule has a case under `fixtures/bad/<code>_<what>/`, whose rendered diagnostics are snapshotted.

use std::path::{Path, PathBuf};
use std::process::Command;

use bunbase::diag::{self, Severity};
use bunbase::source::SourceSet;

fn bad_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad")
}

/// Reads every file of a case (without requiring bunbase.yaml, unlike
/// `load::from_dir`, so the missing-project-file case works too).
fn read_case(dir: &Path) -> SourceSet {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("readable")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .expect("under root")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).expect("utf-8")));
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    SourceSet::from_files(files)
}

fn cases() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(bad_root())
        .expect("fixtures/bad exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .map(|p| {
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                p,
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn corpus_is_large_enough() {
    assert!(
        cases().len() >= 40,
        "at least 40 bad cases, found {}",
        cases().len()
    );
}

#[test]
fn every_bad_case_reports_its_rule() {
    for (name, dir) in cases() {
        let sources = read_case(&dir);
        let diags = bunbase::diagnostics(&sources);
        let code = name.split('_').next().unwrap_or("").to_ascii_uppercase();
        if code.starts_with('E') {
            assert!(
                diags.iter().any(|d| d.is_error()),
                "{name}: expected errors, got {diags:#?}"
            );
            assert!(
                bunbase::compile(&sources).is_err(),
                "{name} must not compile"
            );
        }
        if code.starts_with('E') || code.starts_with('W') {
            assert!(
                diags.iter().any(|d| d.code == code),
                "{name}: expected {code}, got {diags:#?}"
            );
        }
        for d in &diags {
            assert!(
                d.span.line >= 1 && d.span.col >= 1,
                "{name}: {d:?} has no position"
            );
            let text = sources
                .get(&d.span.file)
                .unwrap_or_else(|| panic!("{name}: {d:?} names a file that does not exist"));
            assert!(
                d.span.start <= d.span.end && d.span.end <= text.len(),
                "{name}: bad span {d:?}"
            );
            let line = text.lines().nth(d.span.line as usize - 1).unwrap_or("");
            let byte_line = text[..d.span.start].matches('\n').count() + 1;
            assert_eq!(
                byte_line as u32, d.span.line,
                "{name}: line and offset disagree for {d:?} ({line})"
            );
        }
        let rendered = diag::render(&diags, &sources, false);
        insta::with_settings!({ snapshot_suffix => name.clone(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("bad", rendered);
        });
    }
}

#[test]
fn many_problems_come_out_in_one_run_sorted() {
    let sources = read_case(&bad_root().join("many_problems_in_many_files"));
    let diags = bunbase::diagnostics(&sources);
    let files: std::collections::BTreeSet<&str> =
        diags.iter().map(|d| d.span.file.as_str()).collect();
    assert!(files.len() >= 3, "problems from every file: {files:?}");
    assert!(diags.len() >= 5, "{diags:#?}");
    let keys: Vec<_> = diags
        .iter()
        .map(|d| (d.span.file.clone(), d.span.start))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "sorted by file and position");
}

fn bunbase(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bunbase"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("bunbase runs")
}

#[test]
fn cli_exits_1_and_names_the_line() {
    for (name, dir) in cases() {
        if name.starts_with('w') || name.starts_with("e0010") {
            continue;
        }
        let dir_s = dir.to_string_lossy().into_owned();
        let out = bunbase(&["check", &dir_s, "--format", "json"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json output");
        let expected = bunbase::diagnostics(&read_case(&dir));
        let lines: Vec<(String, u64)> = json
            .as_array()
            .expect("array")
            .iter()
            .map(|d| {
                (
                    d["file"].as_str().unwrap_or("").to_owned(),
                    d["line"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        let want: Vec<(String, u64)> = expected
            .iter()
            .map(|d| (d.span.file.clone(), u64::from(d.span.line)))
            .collect();
        assert_eq!(lines, want, "{name}");
    }
}

#[test]
fn cli_human_output_and_warnings() {
    let dir = bad_root().join("e0101_unknown_type");
    let out = bunbase(&["check", &dir.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[E0101]: unknown type `Tagg`"), "{err}");
    assert!(err.contains("tasks.yaml:6:"), "{err}");
    assert!(!err.contains('\u{1b}'), "no colour when not a terminal");

    let warn = bad_root().join("w0001_unused_type");
    assert_eq!(
        bunbase(&["check", &warn.to_string_lossy()]).status.code(),
        Some(0)
    );
    assert_eq!(
        bunbase(&["check", &warn.to_string_lossy(), "--deny-warnings"])
            .status
            .code(),
        Some(1)
    );

    let missing = bad_root().join("e0010_no_project_file");
    let out = bunbase(&["check", &missing.to_string_lossy()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "tool failure, not a contract problem"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no bunbase.yaml"));
}

#[test]
fn warnings_do_not_block_compilation() {
    let sources = read_case(&bad_root().join("w0001_unused_type"));
    let compiled = bunbase::compile(&sources).expect("warnings only");
    assert!(
        compiled
            .warnings
            .iter()
            .all(|w| w.severity == Severity::Warning)
    );
    assert_eq!(compiled.warnings[0].code, "W0001");
}
