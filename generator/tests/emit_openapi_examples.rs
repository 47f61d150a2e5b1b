//! The OpenAPI document of every example in `contracts-examples/`: a snapshot each, plus invariants that must hold for any contract set (every `$ref` resolves, operation ids are unique, every route, action endpoint and type is present, output is deterministic).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bunbase::emit::openapi;
use bunbase::ir::Ir;
use serde_json::Value;

fn examples() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts-examples");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&root)
        .expect("contracts-examples/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("bunbase.yaml").is_file())
        .map(|p| {
            (
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                p,
            )
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no example contract sets found");
    out
}

fn compile(dir: &Path) -> Ir {
    let sources = bunbase::load::from_dir(dir).expect("the example loads");
    match bunbase::compile(&sources) {
        Ok(c) => c.ir,
        Err(d) => panic!("example {} does not compile: {d:?}", dir.display()),
    }
}

#[test]
fn snapshots_of_every_example() {
    for (name, dir) in examples() {
        let json = openapi::to_json(&compile(&dir));
        insta::assert_snapshot!(format!("example_{name}"), json);
    }
}

fn refs<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r);
            }
            m.values().for_each(|v| refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_ref_resolves() {
    for (name, dir) in examples() {
        let doc: Value = serde_json::from_str(&openapi::to_json(&compile(&dir))).expect("JSON");
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let target = r.strip_prefix('#').and_then(|p| doc.pointer(p));
            assert!(target.is_some(), "{name}: {r} does not resolve");
        }
    }
}

#[test]
fn every_route_endpoint_and_type_is_documented_once() {
    for (name, dir) in examples() {
        let ir = compile(&dir);
        let doc: Value = serde_json::from_str(&openapi::to_json(&ir)).expect("JSON");
        let mut ids = BTreeSet::new();
        for item in doc["paths"].as_object().expect("paths").values() {
            for op in item.as_object().expect("path item").values() {
                let id = op["operationId"]
                    .as_str()
                    .expect("every operation has an id");
                assert!(
                    ids.insert(id.to_string()),
                    "{name}: operationId {id} is not unique"
                );
                let action = op["x-bunbase-action"].as_str().expect("x-bunbase-action");
                assert!(id.starts_with(action), "{name}: {id} belongs to {action}");
            }
        }
        for action in ir.actions() {
            for route in &action.triggers.http {
                let op = &doc["paths"][&route.path][route.method.to_ascii_lowercase()];
                assert_eq!(
                    op["x-bunbase-action"],
                    action.full_name.as_str(),
                    "{name}: {} {}",
                    route.method,
                    route.path
                );
                assert!(
                    op["responses"][route.status.to_string()].is_object(),
                    "{name}: {} answers {}",
                    action.full_name,
                    route.status
                );
                let path_params: Vec<&str> = op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .filter(|p| p["in"] == "path")
                            .filter_map(|p| p["name"].as_str())
                            .collect()
                    })
                    .unwrap_or_default();
                for b in route
                    .bindings
                    .iter()
                    .filter(|b| b.location == bunbase::ir::BindingLocation::Path)
                {
                    assert!(
                        path_params.contains(&b.field.as_str()),
                        "{name}: path parameter {} of {}",
                        b.field,
                        route.path
                    );
                }
                for e in &action.errors {
                    let r = &op["responses"][e.status.to_string()];
                    assert!(
                        r.is_object(),
                        "{name}: {} documents error {} ({})",
                        action.full_name,
                        e.code,
                        e.status
                    );
                }
            }
            if let Some(path) = &action.action_endpoint {
                let op = &doc["paths"][path]["post"];
                assert_eq!(
                    op["operationId"],
                    format!("{}.invoke", action.full_name),
                    "{name}: action endpoint {path}"
                );
            }
        }
        // Exactly the types HTTP carries are components: one only a job,
        // an event or an MCP call carries would be unused.
        for (ty, def) in &ir.types {
            let http = def.directions.http_request || def.directions.http_response;
            assert_eq!(
                doc["components"]["schemas"][ty].is_object(),
                http,
                "{name}: type {ty} has a component exactly when HTTP carries it"
            );
        }
    }
}

#[test]
fn output_is_deterministic() {
    for (name, dir) in examples() {
        assert_eq!(
            openapi::to_json(&compile(&dir)),
            openapi::to_json(&compile(&dir)),
            "{name}"
        );
    }
}

/// `bunbase gen` prints the document one path item at a time
/// (`document_json_with`); it must be the very bytes of the whole document
/// printed at once.
#[test]
fn printed_in_parts_is_the_whole_document() {
    for (name, dir) in examples() {
        let ir = compile(&dir);
        let (parts, ()) = openapi::document_json_with(&ir, |_| ());
        assert!(
            parts == openapi::to_json(&ir),
            "{name}: the document printed in parts differs from the whole"
        );
    }
}
