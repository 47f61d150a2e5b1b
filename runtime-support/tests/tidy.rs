//! Invariants of the runtime's own tables, read from its sources: every `bunbase_*` table belongs to exactly one concern.
//!
//! Each concern (jobs, auth, webhooks, run history) creates its tables with
//! `CREATE TABLE IF NOT EXISTS`, so two concerns choosing the same name would
//! not fail at start: the second `CREATE` is silently a no-op and its queries
//! fail later against the other concern's columns. This test makes such a
//! clash a build failure instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The concern a source file belongs to: its folder under `src/`, or the
/// file's own name for a top-level module.
fn concern(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    first.unwrap_or_default().trim_end_matches(".rs").to_owned()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the runtime's sources are readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_runtime_table_belongs_to_one_concern() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut owners: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a source file is readable");
        let mut rest = text.as_str();
        while let Some(at) = rest.find("CREATE TABLE IF NOT EXISTS ") {
            rest = &rest[at + "CREATE TABLE IF NOT EXISTS ".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            owners
                .entry(name)
                .or_default()
                .entry(concern(&src, file))
                .or_default()
                .push(file.display().to_string());
        }
    }
    assert!(
        owners.contains_key("bunbase_jobs") && owners.contains_key("bunbase_runs"),
        "the scan found the runtime's tables: {owners:?}"
    );
    let clashes: Vec<_> = owners
        .iter()
        .filter(|(_, concerns)| concerns.len() > 1)
        .collect();
    assert!(
        clashes.is_empty(),
        "tables created by more than one concern (rename one): {clashes:#?}"
    );
    for name in owners.keys() {
        assert!(
            name.starts_with("bunbase_"),
            "runtime table `{name}` must be prefixed `bunbase_`"
        );
    }
}
