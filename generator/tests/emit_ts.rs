//! Snapshot tests of the TypeScript SDK emitter: every emitted file, for the shared IR fixtures and (once available) every example contract set.

use std::path::{Path, PathBuf};

use bunbase::emit::{GenOptions, RuntimeSource, ts};
use bunbase::ir::Ir;

#[path = "support/sets.rs"]
mod sets;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("generator/ lives in the repository")
        .to_path_buf()
}

fn opts() -> GenOptions {
    GenOptions {
        runtime: RuntimeSource::Path("../runtime-support".into()),
        contracts_label: "contracts".into(),
    }
}

/// The contract fixtures shared with the e2e SDK tests
/// (`tests/sdk/contracts/*/`), compiled.
fn fixtures() -> Vec<(String, Ir)> {
    sets::compiled(&repo().join("tests/sdk/contracts"))
}

/// Every example contract set in `contracts-examples/`, compiled.
fn examples() -> Vec<(String, Ir)> {
    sets::compiled(&repo().join("contracts-examples"))
}

fn snapshot_sdk(name: &str, ir: &Ir) {
    let files = ts::emit(ir, &opts());
    assert!(!files.is_empty(), "{name}: the SDK has files");
    for f in &files {
        if f.path.ends_with("/runtime.ts") {
            continue; // copied verbatim: see `runtime_is_copied_verbatim`
        }
        assert!(
            f.path.starts_with("sdk/typescript/"),
            "{name}: {} is under sdk/typescript",
            f.path
        );
        let snap = format!(
            "{name}__{}",
            f.path
                .trim_start_matches("sdk/typescript/")
                .replace('/', "__")
        );
        insta::assert_snapshot!(snap, &f.contents);
    }
}

#[test]
fn sdk_of_ir_fixtures() {
    for (name, ir) in fixtures() {
        snapshot_sdk(&name, &ir);
    }
}

#[test]
fn sdk_of_every_example() {
    let examples = examples();
    assert!(!examples.is_empty(), "contracts-examples has examples");
    for (name, ir) in examples {
        snapshot_sdk(&format!("example_{name}"), &ir);
    }
}

#[test]
fn emit_is_deterministic() {
    for (name, ir) in fixtures().into_iter().chain(examples()) {
        assert_eq!(
            ts::emit(&ir, &opts()),
            ts::emit(&ir, &opts()),
            "{name}: same IR, same bytes"
        );
    }
}

#[test]
fn package_json_is_named_and_versioned_from_the_ir() {
    for (name, ir) in fixtures() {
        let files = ts::emit(&ir, &opts());
        let pkg = files
            .iter()
            .find(|f| f.path == "sdk/typescript/package.json")
            .expect("package.json emitted");
        let json: serde_json::Value =
            serde_json::from_str(&pkg.contents).expect("package.json is JSON");
        assert_eq!(json["name"], ir.project.sdk_package.as_str(), "{name}");
        assert_eq!(json["version"], ir.project.version.as_str(), "{name}");
        assert_eq!(json["type"], "module", "{name}");
        assert!(
            json.get("dependencies").is_none(),
            "{name}: no runtime dependencies"
        );
        assert!(
            json["exports"]["./tanstack"].is_object(),
            "{name}: tanstack subpath export"
        );
    }
}

#[test]
fn runtime_is_copied_verbatim() {
    for (_, ir) in fixtures() {
        let files = ts::emit(&ir, &opts());
        let rt = files
            .iter()
            .find(|f| f.path == "sdk/typescript/src/runtime.ts")
            .expect("runtime emitted");
        assert_eq!(rt.contents, ts::RUNTIME_TS);
    }
}
