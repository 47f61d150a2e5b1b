//! Fuzzes the whole front-end: arbitrary text as a module file next to a valid project file must never panic, and whatever checks clean must lower and serialise.
#![no_main]

use bunbase::source::SourceSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Split the input into up to two module files so cross-module rules run too.
    let (a, b) = text.split_once("\n---file---\n").unwrap_or((text, ""));
    let sources = SourceSet::from_files([
        (
            "bunbase.yaml",
            "project: fuzz\nversion: 1.0.0\napi: { base_path: /api }\n",
        ),
        ("a.yaml", a),
        ("nested/b.yaml", b),
    ]);
    match bunbase::compile(&sources) {
        Ok(compiled) => {
            let _ = compiled.ir.to_json();
        }
        Err(diags) => {
            assert!(diags.iter().any(|d| d.is_error()));
            let _ = bunbase::diag::render(&diags, &sources, false);
            let _ = bunbase::diag::to_json(&diags);
        }
    }
});
