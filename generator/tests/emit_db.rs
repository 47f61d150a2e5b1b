//! The database stage over the migration corpus (`fixtures/migrations/`): snapshots of the schema model and of the emitted `db` module per case, determinism, and one Cargo workspace of every case's generated crates, linted by `cargo clippy` and running the query suite on SQLite and PostgreSQL.

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

/// Writes `contents` to `path` unless it already holds exactly that, so a
/// rerun rebuilds only what changed.
fn write_if_changed(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().expect("in a folder")).expect("mkdir");
    if std::fs::read_to_string(path).ok().as_deref() != Some(contents) {
        std::fs::write(path, contents).expect("write");
    }
}

/// Runs cargo in `dir` on the shared generated-workspace target folder,
/// with `rustflags` (the e2e suites build the example with none, so the
/// query suite's build shares their dependencies).
fn cargo(dir: &Path, args: &[&str], rustflags: &str) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", repo_root().join("target/generated-ws"))
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    if rustflags.is_empty() {
        cmd.env_remove("RUSTFLAGS");
    } else {
        cmd.env("RUSTFLAGS", rustflags);
    }
    cmd.output().expect("cargo runs")
}

/// Every case's generated crates, in one Cargo workspace (one build for
/// all): the `both` case as project `shop`, each other case renamed
/// `shop_<case>`; the `both` case's server carries the query suite
/// (`fixtures/db_queries/queries.rs`) as its test `queries`.
fn workspace() -> PathBuf {
    let ws = repo_root().join("target/generated-src/db-ws");
    let mut members = Vec::new();
    let mut deps = String::new();
    // The generated manifests' `[profile]` tables, kept for the shared
    // manifest: the same dependency builds as the suite's other generated
    // workspaces in the one target directory.
    let mut profile = String::new();
    for (name, dir) in corpus() {
        let mut sources = bunbase::load::from_dir(&dir).expect("load");
        if name != "both" {
            let manifest = sources.files.get_mut("bunbase.yaml").expect("bunbase.yaml");
            *manifest = manifest.replace("project: shop", &format!("project: shop_{name}"));
        }
        let ir = match bunbase::compile(&sources) {
            Ok(c) => c.ir,
            Err(d) => panic!(
                "{name} does not compile:\n{}",
                bunbase::diag::render(&d, &sources, false)
            ),
        };
        for f in bunbase::emit::generate(&ir, &opts()) {
            // Each case's own workspace manifest is replaced by the shared
            // one, which keeps its profile.
            if f.path != "Cargo.toml" {
                write_if_changed(&ws.join(&name).join(&f.path), &f.contents);
                continue;
            }
            if let Some(at) = f.contents.find("\n[profile") {
                f.contents[at..].clone_into(&mut profile);
            }
            // The case's own crates (API, types), under its folder.
            for line in f
                .contents
                .lines()
                .filter(|l| l.contains("path = \"crates/"))
            {
                deps.push_str(
                    &line.replace("path = \"crates/", &format!("path = \"{name}/crates/")),
                );
                deps.push('\n');
            }
        }
        members.push(format!("\"{name}/crates/*\""));
    }
    write_if_changed(
        &ws.join("Cargo.toml"),
        &format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n\n[workspace.package]\nedition = \"2024\"\nversion = \"0.1.0\"\npublish = false\n\n[workspace.dependencies]\nbunbase-runtime = {{ path = \"{}\" }}\n{deps}{profile}",
            members.join(", "),
            repo_root().join("runtime-support").display()
        ),
    );
    write_if_changed(
        &ws.join("Cargo.lock"),
        &std::fs::read_to_string(repo_root().join("Cargo.lock")).expect("Cargo.lock"),
    );
    let suite = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/db_queries/queries.rs"),
    )
    .expect("the query suite");
    write_if_changed(&ws.join("both/crates/shop-server/tests/queries.rs"), &suite);
    ws
}

/// Every case's generated crates pass `cargo clippy -- -D warnings` (one
/// workspace), and the `both` case's generated queries run against SQLite
/// and PostgreSQL (`BUNBASE_TEST_POSTGRES_URL`): every CRUD helper,
/// equality, `IN` and range filters, every order paged by keyset across
/// ties and NULLs, `delete_where`, enum and JSON round trips, a composite
/// key (`fixtures/db_queries/queries.rs`, run as a test of the generated
/// workspace).
#[test]
fn db_modules_compile_and_queries_run() {
    let ws = workspace();
    let out = cargo(
        &ws,
        &[
            "clippy",
            "--quiet",
            "--keep-going",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        "-D warnings",
    );
    assert!(
        out.status.success(),
        "cargo clippy failed on the generated db modules:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cargo(
        &ws,
        &["test", "--quiet", "-p", "shop-server", "--test", "queries"],
        "",
    );
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
