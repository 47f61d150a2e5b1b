//! IR snapshots of the example contract sets and the good fixtures, determinism of the IR, and lowering details.

use std::path::{Path, PathBuf};

use bunbase::ir::{BindingLocation, TypeKind, TypeRef};
use bunbase::source::SourceSet;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

fn contract_sets() -> Vec<(String, PathBuf)> {
    let mut sets = Vec::new();
    for (label, dir) in [
        ("example", repo().join("contracts-examples")),
        ("good", repo().join("generator/tests/fixtures/good")),
        (
            "collisions",
            repo().join("generator/tests/fixtures/collisions"),
        ),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.expect("entry").path();
            if p.join("bunbase.yaml").is_file() {
                sets.push((
                    format!("{label}_{}", p.file_name().expect("name").to_string_lossy()),
                    p,
                ));
            }
        }
    }
    sets.sort();
    sets
}

fn compile(dir: &Path) -> bunbase::Compiled {
    let sources = bunbase::load::from_dir(dir).expect("loads");
    match bunbase::compile(&sources) {
        Ok(c) => c,
        Err(d) => panic!(
            "{} does not check:\n{}",
            dir.display(),
            bunbase::diag::render(&d, &sources, false)
        ),
    }
}

#[test]
fn every_good_set_compiles_and_snapshots() {
    let sets = contract_sets();
    assert!(sets.iter().any(|(n, _)| n.starts_with("good_")));
    for (name, dir) in sets {
        let compiled = compile(&dir);
        insta::with_settings!({ snapshot_suffix => name.clone(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("ir", compiled.ir.to_json());
        });
    }
}

#[test]
fn ir_round_trips_through_json() {
    for (_, dir) in contract_sets() {
        let ir = compile(&dir).ir;
        let back: bunbase::ir::Ir = serde_json::from_str(&ir.to_json()).expect("deserialises");
        assert_eq!(back.to_json(), ir.to_json());
    }
}

/// Reverses discovery order and moves every module into another folder: the
/// IR JSON must not change by one byte.
#[test]
fn ir_is_independent_of_discovery_order_and_folders() {
    for (name, dir) in contract_sets() {
        let sources = bunbase::load::from_dir(&dir).expect("loads");
        let reference = bunbase::compile(&sources).expect("checks").ir.to_json();
        let reversed: Vec<(String, String)> = sources
            .files
            .iter()
            .rev()
            .map(|(p, t)| (p.clone(), t.clone()))
            .collect();
        let moved: Vec<(String, String)> = sources
            .files
            .iter()
            .rev()
            .map(|(p, t)| {
                // Migrations stay in their dialect folders, where they are read.
                let path = if p == "bunbase.yaml" || p.starts_with("migrations/") {
                    p.clone()
                } else {
                    format!("zz/moved/{}", p.replace('/', "_"))
                };
                (path, t.clone())
            })
            .collect();
        for variant in [reversed, moved] {
            let ir = bunbase::compile(&SourceSet::from_files(variant))
                .expect("checks")
                .ir
                .to_json();
            assert_eq!(ir, reference, "{name}");
        }
    }
}

#[test]
fn lowering_decides_names_boxing_and_bindings() {
    let ir = compile(&repo().join("generator/tests/fixtures/good/naming")).ir;
    // Types declared in two modules get the module prefix; others keep their name.
    assert!(ir.types.contains_key("TypeStatus") && ir.types.contains_key("CrateStatus"));
    assert!(ir.types.contains_key("Node") && !ir.types.contains_key("Status"));
    let node = &ir.types["Node"];
    assert!(node.recursive);
    let TypeKind::Object { fields } = &node.kind else {
        panic!("object")
    };
    let by_name = |n: &str| fields.iter().find(|f| f.name == n).expect("field");
    assert_eq!(by_name("self").rust_name, "self_");
    assert_eq!(by_name("type").rust_name, "r#type");
    assert_eq!(by_name("async").rust_name, "r#async");
    let boxed = |ty: &TypeRef| match ty {
        TypeRef::Optional { inner } => matches!(**inner, TypeRef::Named { boxed: true, .. }),
        TypeRef::Named { boxed, .. } => *boxed,
        _ => false,
    };
    assert!(boxed(&by_name("next").ty), "Node? inside Node is boxed");
    assert!(boxed(&by_name("pair").ty), "Pair is in Node's cycle");
    let TypeRef::List { item } = &by_name("children").ty else {
        panic!("list")
    };
    assert!(
        matches!(**item, TypeRef::Named { boxed: false, .. }),
        "lists need no box"
    );
    let TypeKind::Enum { values } = &ir.types["TypeStatus"].kind else {
        panic!("enum")
    };
    let names: Vec<&str> = values.iter().map(|v| v.rust_name.as_str()).collect();
    assert_eq!(names, ["Open", "InProgress", "V2fa", "Done"]);
    let module = &ir.modules["crate"];
    assert_eq!(module.rust_name, "crate_");
    let m = &ir.modules["type"].actions["match"];
    assert_eq!(m.rust_name, "r#match");
    let route = &m.triggers.http[0];
    assert_eq!(route.path, "/match/{ref}");
    let loc: Vec<_> = route
        .bindings
        .iter()
        .map(|b| (b.field.as_str(), b.location))
        .collect();
    assert_eq!(
        loc,
        [
            ("ref", BindingLocation::Path),
            ("fn", BindingLocation::Query),
            ("status", BindingLocation::Query)
        ]
    );
    assert_eq!(route.status, 200);
    // Actions named alike in two modules get module-prefixed error enums.
    assert_eq!(m.error_enum, "MatchError");
    assert_eq!(
        ir.modules["crate"].actions["delete"].error_enum,
        "CrateDeleteError"
    );
    assert_eq!(
        ir.modules["type"].actions["delete"].error_enum,
        "TypeDeleteError"
    );
    let delete = &ir.modules["crate"].actions["delete"];
    assert_eq!(delete.triggers.http[0].status, 204, "no output answers 204");
}

#[test]
fn lowering_fills_defaults_and_implicit_errors() {
    let ir = compile(&repo().join("generator/tests/fixtures/good/spec")).ir;
    let create = &ir.modules["tasks"].actions["create_task"];
    assert_eq!(create.input.as_deref(), Some("CreateTaskInput"));
    assert!(ir.types.contains_key("CreateTaskInputAddress"));
    let codes: Vec<&str> = create.errors.iter().map(|e| e.code.as_str()).collect();
    // Input, `authenticated` and `has_permission`, no rate limit, no
    // declared `not_found`.
    assert_eq!(
        codes,
        [
            "title_taken",
            "validation_failed",
            "unauthorized",
            "forbidden",
            "not_implemented",
            "internal"
        ]
    );
    assert_eq!(create.guards.len(), 2, "module guard then action guard");
    assert_eq!(
        create.action_endpoint.as_deref(),
        Some("/api/v1/actions/tasks.create_task")
    );
    assert_eq!(
        create.triggers.mcp.as_ref().map(|m| m.tool.as_str()),
        Some("tasks_create_task")
    );
    assert_eq!(create.retry.attempts, 3);
    let get = &ir.modules["tasks"].actions["get_task"];
    assert_eq!(
        get.errors.iter().filter(|e| e.code == "not_found").count(),
        1,
        "declared not_found replaces the implicit one"
    );
    let list = &ir.modules["tasks"].actions["list_tasks"];
    assert_eq!(list.triggers.http[0].path, "/api/tasks");
    let event = &ir.events["task.created"];
    assert_eq!(event.payload, "TaskCreatedPayload");
    assert_eq!(event.publishers, ["tasks.create_task"]);
    assert_eq!(event.subscribers, ["tasks.index_task"]);
    let stripe = &ir.modules["tasks"].actions["stripe_event"];
    assert!(stripe.input_json && stripe.input.is_none());
    assert_eq!(stripe.triggers.webhooks[0].path, "/api/webhooks/stripe");
    let digest = &ir.modules["tasks"].actions["daily_digest"];
    assert_eq!(digest.triggers.crons[0].timezone, "Europe/Berlin");
    assert_eq!(
        ir.modules["tasks"].actions["send_reminder"]
            .triggers
            .queue
            .as_ref()
            .map(|q| q.max_attempts),
        Some(8)
    );
}

#[test]
fn cli_ir_prints_the_ir_json() {
    let dir = repo().join("generator/tests/fixtures/good/spec");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bunbase"))
        .args(["ir", &dir.to_string_lossy()])
        .env("NO_COLOR", "1")
        .output()
        .expect("bunbase runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        compile(&dir).ir.to_json()
    );
    let clean = std::process::Command::new(env!("CARGO_BIN_EXE_bunbase"))
        .args(["check", &dir.to_string_lossy()])
        .output()
        .expect("bunbase runs");
    assert_eq!(clean.status.code(), Some(0));
}

/// A `mode: queue` webhook lowers to a job kind of its own (one per
/// action) with the action's attempts; a sync one has no job; neither warns.
#[test]
fn queued_webhooks_lower_to_a_job_kind() {
    let module = r#"module: hooks
actions:
  receive:
    input: json
    retry: { attempts: 4 }
    triggers:
      - webhook: { path: /webhooks/a, secret_env: A_SECRET, mode: queue }
      - webhook: { path: /webhooks/b, secret_env: B_SECRET, mode: queue }
      - webhook: { path: /webhooks/c, secret_env: C_SECRET }
"#;
    let compiled = bunbase::compile(&SourceSet::from_files([
        ("bunbase.yaml", "project: hooks\nversion: 0.1.0\n"),
        ("hooks.yaml", module),
    ]))
    .unwrap_or_else(|d| panic!("compiles: {d:?}"));
    assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
    let hooks = &compiled.ir.modules["hooks"].actions["receive"]
        .triggers
        .webhooks;
    let jobs: Vec<Option<(&str, u32)>> = hooks
        .iter()
        .map(|w| w.job.as_ref().map(|j| (j.kind.as_str(), j.max_attempts)))
        .collect();
    assert_eq!(
        jobs,
        [
            Some(("hooks.receive@webhook", 4)),
            Some(("hooks.receive@webhook", 4)),
            None
        ]
    );
}
