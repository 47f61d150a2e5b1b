//! Tidy checks for the front-end's invariants: the IR holds no formatting, and every front-end file opens with a `//!` line and stays under 800 lines.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn frontend_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = [
        "ir.rs",
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
    for dir in ["parse", "check", "lower"] {
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
    let ir = std::fs::read_to_string(src().join("ir.rs")).expect("ir.rs");
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
            "ir.rs must not import `{forbidden}`: the IR holds no formatting"
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
