//! The OpenAPI document of every example contract set (and of a hand-built IR covering every mapping) passes `openapi-spec-validator`; a broken document is rejected, proving the validator runs.

#[path = "../../generator/tests/emit_openapi_ir/mod.rs"]
mod emit_openapi_ir;

use std::path::Path;
use std::process::Command;

use bunbase_e2e::venv_bin;
use serde_json::Value;

/// Runs `openapi-spec-validator` on `doc`; `Err` carries its output.
fn validate(validator: &Path, name: &str, doc: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join(format!("{name}.json"));
    std::fs::write(&file, doc).map_err(|e| e.to_string())?;
    let out = Command::new(validator)
        .arg(&file)
        .output()
        .map_err(|e| format!("cannot run the validator: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() && text.contains("OK") {
        Ok(())
    } else {
        Err(text)
    }
}

fn validator(test: &str) -> Option<std::path::PathBuf> {
    venv_bin("openapi-spec-validator", test)
}

#[test]
#[cfg_attr(
    bunbase_skip_python,
    ignore = "needs the Python test tooling: run `cargo xtask test`"
)]
fn hand_built_ir_document_is_valid() {
    let Some(v) = validator("hand_built_ir_document_is_valid") else {
        return;
    };
    let doc = bunbase::emit::openapi::to_json(&emit_openapi_ir::tasks_ir());
    if let Err(e) = validate(&v, "hand-built", &doc) {
        panic!("the document of the hand-built IR is invalid:\n{e}");
    }
}

#[test]
#[cfg_attr(
    bunbase_skip_python,
    ignore = "needs the Python test tooling: run `cargo xtask test`"
)]
fn every_example_document_is_valid() {
    let Some(v) = validator("every_example_document_is_valid") else {
        return;
    };
    let root = bunbase_e2e::repo_root().join("contracts-examples");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("contracts-examples/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("bunbase.yaml").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no examples found");
    for dir in dirs {
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let sources = bunbase::load::from_dir(&dir).expect("the example loads");
        let ir = match bunbase::compile(&sources) {
            Ok(c) => c.ir,
            Err(d) => panic!("example {name} does not compile: {d:?}"),
        };
        if let Err(e) = validate(&v, &name, &bunbase::emit::openapi::to_json(&ir)) {
            panic!("the OpenAPI document of example {name} is invalid:\n{e}");
        }
    }
}

#[test]
#[cfg_attr(
    bunbase_skip_python,
    ignore = "needs the Python test tooling: run `cargo xtask test`"
)]
fn broken_documents_are_rejected() {
    let Some(v) = validator("broken_documents_are_rejected") else {
        return;
    };
    let good: Value = serde_json::from_str(&bunbase::emit::openapi::to_json(
        &emit_openapi_ir::tasks_ir(),
    ))
    .expect("the document is JSON");
    type Breakage = (&'static str, fn(&mut Value));
    let breakages: [Breakage; 3] = [
        ("path parameter not required", |d| {
            d["paths"]["/api/tasks/{id}"]["get"]["parameters"][0]["required"] = false.into()
        }),
        ("dangling $ref", |d| {
            d["paths"]["/api/tasks/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
                ["schema"]["$ref"] = "#/components/schemas/Nope".into()
        }),
        ("missing info", |d| {
            d.as_object_mut().map(|o| o.remove("info"));
        }),
    ];
    for (what, breakage) in breakages {
        let mut doc = good.clone();
        breakage(&mut doc);
        let text = serde_json::to_string_pretty(&doc).expect("JSON");
        assert!(
            validate(&v, "broken", &text).is_err(),
            "the validator accepted a document with a {what}"
        );
    }
}
