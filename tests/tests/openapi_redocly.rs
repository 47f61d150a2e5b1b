//! Redocly's linter (`@redocly/cli lint`, recommended rules, pinned in tests/tooling/package.json) reports no error and no warning on the committed `generated-example/openapi.json` nor on the document of any example contract set; a document it should flag is flagged, proving the linter runs.

use std::path::Path;
use std::process::Command;

use bunbase_e2e::{npm_bin, repo_root};
use serde_json::Value;

/// Lints `doc` with the recommended rules; `Err` lists every problem.
fn lint(redocly: &Path, name: &str, doc: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join(format!("{name}.json"));
    std::fs::write(&file, doc).map_err(|e| e.to_string())?;
    let out = Command::new(redocly)
        .args(["lint", "--extends=recommended", "--format=json"])
        .arg(&file)
        .current_dir(dir.path())
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .output()
        .map_err(|e| format!("cannot run redocly: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&stdout).map_err(|e| {
        format!(
            "redocly printed no JSON report ({e}):\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let problems = report["problems"].as_array().cloned().unwrap_or_default();
    if problems.is_empty() && out.status.success() {
        return Ok(());
    }
    let lines: Vec<String> = problems
        .iter()
        .map(|p| {
            format!(
                "{} {} at {}: {}",
                p["severity"].as_str().unwrap_or("?"),
                p["ruleId"].as_str().unwrap_or("?"),
                p["location"][0]["pointer"].as_str().unwrap_or("?"),
                p["message"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    Err(format!(
        "exit {:?}, {} problems:\n{}",
        out.status.code(),
        lines.len(),
        lines.join("\n")
    ))
}

fn redocly(test: &str) -> Option<std::path::PathBuf> {
    npm_bin("redocly", test)
}

#[test]
#[cfg_attr(
    any(bunbase_skip_npm, bunbase_skip_node),
    ignore = "needs node and the npm test tooling: run `cargo xtask test`"
)]
fn the_committed_example_document_has_no_error_and_no_warning() {
    let Some(r) = redocly("the_committed_example_document_has_no_error_and_no_warning") else {
        return;
    };
    let doc = std::fs::read_to_string(repo_root().join("generated-example/openapi.json"))
        .expect("generated-example/openapi.json exists");
    if let Err(e) = lint(&r, "generated-example", &doc) {
        panic!("redocly lint flags generated-example/openapi.json:\n{e}");
    }
}

#[test]
#[cfg_attr(
    any(bunbase_skip_npm, bunbase_skip_node),
    ignore = "needs node and the npm test tooling: run `cargo xtask test`"
)]
fn every_example_document_has_no_error_and_no_warning() {
    let Some(r) = redocly("every_example_document_has_no_error_and_no_warning") else {
        return;
    };
    let root = repo_root().join("contracts-examples");
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
        if let Err(e) = lint(&r, &name, &bunbase::emit::openapi::to_json(&ir)) {
            panic!("redocly lint flags the OpenAPI document of example {name}:\n{e}");
        }
    }
}

#[test]
#[cfg_attr(
    any(bunbase_skip_npm, bunbase_skip_node),
    ignore = "needs node and the npm test tooling: run `cargo xtask test`"
)]
fn a_flawed_document_is_flagged() {
    let Some(r) = redocly("a_flawed_document_is_flagged") else {
        return;
    };
    let doc = std::fs::read_to_string(repo_root().join("generated-example/openapi.json"))
        .expect("generated-example/openapi.json exists");
    let mut doc: Value = serde_json::from_str(&doc).expect("JSON");
    // What the document used to say: no license, a public operation
    // without `security`.
    doc["info"].as_object_mut().map(|i| i.remove("license"));
    doc["paths"]["/api/health"]["get"]
        .as_object_mut()
        .map(|o| o.remove("security"));
    let err = lint(&r, "flawed", &doc.to_string()).expect_err("redocly flags the document");
    assert!(err.contains("info-license"), "{err}");
    assert!(err.contains("security-defined"), "{err}");
}
