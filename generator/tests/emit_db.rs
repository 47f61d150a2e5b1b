//! The database stage over the migration corpus (`fixtures/migrations/`): snapshots of the schema model and of the emitted `db` module per case, determinism, and a real `cargo clippy` of each case's generated workspace.

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

fn corpus() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/migrations");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&root)
        .expect("fixtures/migrations exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .map(|p| {
            (
                p.file_name().expect("name").to_string_lossy().into_owned(),
                p,
            )
        })
        .collect();
    out.sort();
    out
}

fn compile(dir: &Path) -> Ir {
    let sources = bunbase::load::from_dir(dir).expect("load");
    match bunbase::compile(&sources) {
        Ok(c) => c.ir,
        Err(d) => panic!(
            "{} does not compile:\n{}",
            dir.display(),
            bunbase::diag::render(&d, &sources, false)
        ),
    }
}

fn opts() -> GenOptions {
    GenOptions {
        runtime: RuntimeSource::Path(repo_root().join("runtime-support").display().to_string()),
        contracts_label: "contracts".into(),
    }
}

fn db_file(files: &[GeneratedFile]) -> &GeneratedFile {
    files
        .iter()
        .find(|f| f.path.ends_with("/src/db.rs"))
        .expect("a db module is emitted")
}

#[test]
fn snapshot_schema_models_and_db_modules() {
    for (name, dir) in corpus() {
        let ir = compile(&dir);
        assert!(!ir.db.is_empty(), "{name} has migrations");
        insta::assert_json_snapshot!(format!("model_{name}"), ir.db);
        let files = bunbase::emit::generate(&ir, &opts());
        insta::assert_snapshot!(format!("db_{name}"), db_file(&files).contents);
    }
}

#[test]
fn db_module_is_deterministic() {
    for (_, dir) in corpus() {
        let a = bunbase::emit::generate(&compile(&dir), &opts());
        let b = bunbase::emit::generate(&compile(&dir), &opts());
        assert_eq!(db_file(&a), db_file(&b));
    }
}

/// Without migrations there is no `db` module and the IR is unchanged.
#[test]
fn no_migrations_no_db_module() {
    let dir = repo_root().join("contracts-examples/showcase");
    let ir = compile(&dir);
    assert!(ir.db.is_empty());
    let files = bunbase::emit::generate(&ir, &opts());
    assert!(!files.iter().any(|f| f.path.ends_with("/src/db.rs")));
}

/// Each case's generated workspace passes `cargo clippy -- -D warnings`.
#[test]
fn db_modules_compile() {
    for (name, dir) in corpus() {
        let files = bunbase::emit::generate(&compile(&dir), &opts());
        let out_dir = repo_root().join("target/generated-src/db").join(&name);
        for f in &files {
            let p = out_dir.join(&f.path);
            std::fs::create_dir_all(p.parent().expect("in a folder")).expect("mkdir");
            if std::fs::read_to_string(&p).ok().as_deref() != Some(f.contents.as_str()) {
                std::fs::write(&p, &f.contents).expect("write");
            }
        }
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
            .current_dir(&out_dir)
            .env("CARGO_TARGET_DIR", repo_root().join("target/generated-ws"))
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env("RUSTFLAGS", "-D warnings")
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "cargo clippy failed for {name}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The `both` case's generated queries run against SQLite and PostgreSQL
/// (`BUNBASE_TEST_POSTGRES_URL`): every CRUD helper, filters, ordering,
/// keyset paging, NULLs, enum and JSON round trips, a composite key
/// (`fixtures/db_queries/queries.rs`, run as a test of the generated
/// workspace).
#[test]
fn generated_queries_run_on_both_databases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/migrations/both");
    let files = bunbase::emit::generate(&compile(&dir), &opts());
    let out_dir = repo_root().join("target/generated-src/db-queries");
    for f in &files {
        let p = out_dir.join(&f.path);
        std::fs::create_dir_all(p.parent().expect("in a folder")).expect("mkdir");
        if std::fs::read_to_string(&p).ok().as_deref() != Some(f.contents.as_str()) {
            std::fs::write(&p, &f.contents).expect("write");
        }
    }
    let test = out_dir.join("crates/shop-server/tests/queries.rs");
    std::fs::create_dir_all(test.parent().expect("tests folder")).expect("mkdir");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/db_queries/queries.rs"),
    )
    .expect("the query suite");
    if std::fs::read_to_string(&test).ok() != Some(text.clone()) {
        std::fs::write(&test, text).expect("write the suite");
    }
    let out = Command::new(env!("CARGO"))
        .args(["test", "--quiet", "-p", "shop-server", "--test", "queries"])
        .current_dir(&out_dir)
        .env("CARGO_TARGET_DIR", repo_root().join("target/generated-ws"))
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the generated queries failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("2 passed"), "{stdout}\n{stderr}");
    if std::env::var("BUNBASE_TEST_POSTGRES_URL").is_err() {
        eprintln!("note: the PostgreSQL half skipped (BUNBASE_TEST_POSTGRES_URL is not set)");
    }
}
