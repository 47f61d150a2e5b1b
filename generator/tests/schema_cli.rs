//! `bunbase schema` prints the embedded contract schema, whole or for one file kind.

use std::process::Command;

use bunbase::schema::{FileKind, contract_schema, schema_for};

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_bunbase"))
        .arg("schema")
        .args(args)
        .output()
        .expect("run bunbase");
    assert!(
        out.status.success(),
        "bunbase schema {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn prints_the_whole_schema_by_default() {
    let printed = run(&[]);
    assert_eq!(printed, contract_schema());
    let json: serde_json::Value = serde_json::from_str(&printed).expect("JSON");
    assert_eq!(json["$schema"], "http://json-schema.org/draft-07/schema#");
}

#[test]
fn prints_one_kind_with_kind() {
    assert_eq!(run(&["--kind", "project"]), schema_for(FileKind::Project));
    assert_eq!(run(&["--kind", "module"]), schema_for(FileKind::Module));
    assert_ne!(run(&["--kind", "project"]), run(&["--kind", "module"]));
}

#[test]
fn rejects_an_unknown_kind() {
    let out = Command::new(env!("CARGO_BIN_EXE_bunbase"))
        .args(["schema", "--kind", "workspace"])
        .output()
        .expect("run bunbase");
    assert!(!out.status.success());
}
