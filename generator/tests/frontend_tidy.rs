//! Tidy checks for the front-end's invariants: the IR holds no formatting, and every front-end file opens with a `//!` line and stays under 800 lines.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn frontend_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = [
        "source.rs",
        "diag.rs",
        "load.rs",
        "naming.rs",
        "lib.rs",
        "cli/check.rs",
        "cli/ir.rs",
    ]
    .iter()
    .map(|f| src().join(f))
    .collect();
    for dir in ["ir", "parse", "resolve", "check", "lower"] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(src().join(dir))
            .expect("folder exists")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        files.extend(
            entries
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "rs")),
        );
    }
    files
}

/// The engine's stages in pipeline order; a stage may use itself and earlier
/// stages only. Shared data and helpers (`ir`, `naming`, `diag`, `source`)
/// belong to no stage.
const STAGES: &[&str] = &[
    "load", "parse", "resolve", "check", "lower", "emit", "write",
];

/// Every `.rs` file under `dir`, recursively, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("folder exists") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The stages a source file names through `crate::<stage>` paths, outside
/// comments.
fn stages_named(text: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if let Some(stage) = STAGES.iter().find(|s| **s == name) {
                out.push(*stage);
            }
        }
    }
    out
}

/// Stages run one way: load -> parse -> resolve -> check -> lower -> emit ->
/// write. No stage's sources name a later stage, so each runs once per
/// compile on what the earlier ones built.
#[test]
fn no_stage_imports_a_later_one() {
    let mut violations = Vec::new();
    for (rank, stage) in STAGES.iter().enumerate() {
        let folder = src().join(stage);
        let files = if folder.is_dir() {
            rust_files(&folder)
        } else {
            vec![src().join(format!("{stage}.rs"))]
        };
        assert!(!files.is_empty(), "stage `{stage}` has sources");
        for f in files {
            let text = std::fs::read_to_string(&f).expect("readable");
            for named in stages_named(&text) {
                let later = STAGES
                    .iter()
                    .position(|s| *s == named)
                    .is_some_and(|r| r > rank);
                if later {
                    violations.push(format!(
                        "{} (stage `{stage}`) uses the later stage `{named}`",
                        f.strip_prefix(src()).unwrap_or(&f).display()
                    ));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "stages must run one way (ARCHITECTURE.md):\n{}",
        violations.join("\n")
    );
}

/// The IR and the shared helpers belong to no stage: they use none.
#[test]
fn shared_modules_use_no_stage() {
    for f in ["naming.rs", "diag.rs", "source.rs"]
        .iter()
        .map(|f| src().join(f))
        .chain(rust_files(&src().join("ir")))
    {
        let text = std::fs::read_to_string(&f).expect("readable");
        let named = stages_named(&text);
        assert!(
            named.is_empty(),
            "{} uses the stages {named:?}: shared modules sit below every stage",
            f.display()
        );
    }
}

#[test]
fn the_ir_imports_no_emitter_crate() {
    let ir: String = ["mod.rs", "types.rs", "actions.rs"]
        .iter()
        .map(|f| std::fs::read_to_string(src().join("ir").join(f)).expect("ir/ source"))
        .collect();
    for forbidden in [
        "quote",
        "proc_macro2",
        "tera",
        "openapiv3",
        "prettyplease",
        "syn::",
    ] {
        assert!(
            !ir.lines()
                .any(|l| l.trim_start().starts_with("use ") && l.contains(forbidden)),
            "ir/ must not import `{forbidden}`: the IR holds no formatting"
        );
    }
}

#[test]
fn frontend_files_open_with_a_doc_line_and_stay_small() {
    for f in frontend_files() {
        let text = std::fs::read_to_string(&f).expect("readable");
        assert!(
            text.starts_with("//!"),
            "{} must open with a `//!` line",
            f.display()
        );
        assert!(
            text.lines().count() <= 800,
            "{} has more than 800 lines: split it by concern",
            f.display()
        );
        assert!(
            !text.contains("todo!(") && !text.contains("unimplemented!("),
            "{}",
            f.display()
        );
    }
}

/// Every diagnostic code the front-end emits is documented with an example in
/// docs/diagnostics.md and has a case in the bad corpus.
#[test]
fn every_code_is_documented_and_has_a_bad_case() {
    let docs =
        std::fs::read_to_string(src().join("../docs/diagnostics.md")).expect("docs/diagnostics.md");
    let fixtures: Vec<String> = std::fs::read_dir(src().join("../tests/fixtures/bad"))
        .expect("bad corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let mut codes = std::collections::BTreeSet::new();
    for f in frontend_files() {
        let text = std::fs::read_to_string(&f).expect("readable");
        for (i, _) in text.match_indices('"') {
            let code = text.get(i + 1..i + 6).unwrap_or("");
            let closed = text.get(i + 6..i + 7) == Some("\"");
            if closed
                && (code.starts_with('E') || code.starts_with('W'))
                && code[1..].chars().all(|c| c.is_ascii_digit())
            {
                codes.insert(code.to_owned());
            }
        }
    }
    assert!(codes.len() >= 50, "found {} codes", codes.len());
    for code in &codes {
        assert!(
            docs.contains(&format!("### {code}")),
            "{code} is not documented in docs/diagnostics.md"
        );
        let prefix = format!("{}_", code.to_ascii_lowercase());
        assert!(
            fixtures.iter().any(|f| f.starts_with(&prefix)),
            "{code} has no case in tests/fixtures/bad"
        );
    }
}
