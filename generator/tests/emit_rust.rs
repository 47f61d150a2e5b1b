//! Tests of the Rust emitter: snapshots of the generated workspace, determinism, and a real `cargo check` of the output.

use std::path::{Path, PathBuf};
use std::process::Command;

use bunbase::emit::{GenOptions, GeneratedFile, RuntimeSource};
use bunbase::ir::Ir;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("generator/ lives in the repository")
        .to_path_buf()
}

fn opts() -> GenOptions {
    let runtime = std::env::var("BUNBASE_RUNTIME_PATH")
        .unwrap_or_else(|_| repo_root().join("runtime-support").display().to_string());
    GenOptions {
        runtime: RuntimeSource::Path(runtime),
        contracts_label: "contracts".into(),
    }
}

/// The IR of `contracts-examples/<name>`, compiled by the front end.
fn example_ir(name: &str) -> Ir {
    dir_ir(name, &repo_root().join("contracts-examples").join(name))
}

/// The IR of the contract set in `dir`.
fn dir_ir(name: &str, dir: &Path) -> Ir {
    let sources =
        bunbase::load::from_dir(dir).unwrap_or_else(|e| panic!("load {}: {e}", dir.display()));
    match bunbase::compile(&sources) {
        Ok(c) => c.ir,
        Err(d) => panic!("{name} does not compile: {d:?}"),
    }
}

/// The names of every example contract set.
fn examples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join("contracts-examples"))
        .expect("contracts-examples exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("bunbase.yaml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn tasks_ir() -> Ir {
    example_ir("tasks")
}

fn write_ws(files: &[GeneratedFile], dir: &Path) {
    for f in files {
        let p = dir.join(&f.path);
        std::fs::create_dir_all(p.parent().expect("files live in folders")).expect("create folder");
        let old = std::fs::read_to_string(&p).ok();
        if old.as_deref() != Some(f.contents.as_str()) {
            std::fs::write(&p, &f.contents).expect("write file");
        }
    }
}

/// Every emitted file of every example, one snapshot per example (read the
/// diff when it changes).
#[test]
fn snapshot_examples() {
    let opts = GenOptions {
        runtime: RuntimeSource::Path("../runtime-support".into()),
        contracts_label: "contracts".into(),
    };
    for name in examples() {
        let ir = example_ir(&name);
        let mut all = String::new();
        for f in bunbase::emit::rust::emit(&ir, &opts) {
            all.push_str(&format!(
                "=== {} ({:?})\n{}\n",
                f.path, f.ownership, f.contents
            ));
        }
        insta::assert_snapshot!(name, all);
    }
}

/// The single-file API (for `include!` in a build.rs setup) parses as Rust
/// and has no inner attributes at the top level.
#[test]
fn api_single_file_is_includable() {
    let ir = tasks_ir();
    let text = bunbase::emit::rust::api_single_file(&ir, &opts());
    assert!(
        !text.trim_start().starts_with("#!") && !text.trim_start().starts_with("//!"),
        "no inner attributes at the top"
    );
    for name in [
        "pub mod types",
        "pub mod router",
        "pub static OPENAPI_JSON",
        "pub trait TasksHandler",
    ] {
        assert!(text.contains(name), "{name} missing");
    }
}

#[test]
fn emit_is_deterministic() {
    let ir = tasks_ir();
    assert_eq!(
        bunbase::emit::rust::emit(&ir, &opts()),
        bunbase::emit::rust::emit(&ir, &opts())
    );
}

/// Every example's workspace passes `cargo clippy -- -D warnings` (which
/// also type-checks it), sharing one target dir so dependencies build once.
#[test]
fn generated_workspaces_compile() {
    for name in examples() {
        clippy_example(&name);
    }
}

/// The fixture whose queue actions share names across modules and with
/// the `jobs` module's own items: its `jobs` module snapshots, and its
/// workspace passes clippy with the examples'.
#[test]
fn job_names_snapshot_and_compile() {
    let name = "queue_actions_alike_in_two_modules";
    let dir = repo_root()
        .join("generator/tests/fixtures/collisions")
        .join(name);
    let ir = dir_ir(name, &dir);
    let files = bunbase::emit::rust::emit(&ir, &opts());
    let jobs = files
        .iter()
        .find(|f| f.path.ends_with("-api/src/jobs.rs"))
        .expect("a jobs module");
    insta::assert_snapshot!("jobs_collisions", jobs.contents);
    clippy_ir(name, &ir);
}

/// The fixture with a declared type named like the fast path's shadow
/// struct of an input that uses it as a field: the shadow takes another
/// name, so the field still names the declared type (the workspace
/// compiles with the other collision fixtures in `random_contracts`).
#[test]
fn shadow_struct_keeps_clear_of_declared_types() {
    let name = "shadow_named_like_a_declared_type";
    let dir = repo_root()
        .join("generator/tests/fixtures/collisions")
        .join(name);
    let ir = dir_ir(name, &dir);
    let fast = ir.types["CreateTaskInput"].fast_path.as_ref();
    assert_eq!(
        fast.map(|f| f.shadow.as_str()),
        Some("CreateTaskInputBody2")
    );
    let files = bunbase::emit::rust::emit(&ir, &opts());
    let decode = files
        .iter()
        .find(|f| f.path.ends_with("-types/src/decode.rs"))
        .expect("a decode module");
    insta::assert_snapshot!("decode_shadow_collision", decode.contents);
}

fn clippy_example(name: &str) {
    clippy_ir(name, &example_ir(name));
}

fn clippy_ir(name: &str, ir: &Ir) {
    let files = bunbase::emit::generate(ir, &opts());
    let dir = repo_root().join("target/generated-src").join(name);
    write_ws(&files, &dir);
    let target = repo_root().join("target/generated-ws");
    let out = Command::new(env!("CARGO"))
        .args([
            "clippy",
            "--quiet",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("RUSTFLAGS", "-D warnings")
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo clippy failed in {}:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}
