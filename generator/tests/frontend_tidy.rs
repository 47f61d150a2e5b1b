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
    for dir in ["ir", "parse", "check", "lower"] {
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
