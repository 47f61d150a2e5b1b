//! The generated TypeScript SDK of `contracts-examples/tasks`, compiled with tsc, drives the running generated server through `node --test` (`tests/sdk/server.test.mjs`): CRUD, validation errors, 401, abort and timeout.

use std::path::Path;
use std::process::Command;

// The TestServer helper lives in tests/src/server.rs (compiled into each test
// that uses it, as tests/tests/server.rs does).
#[path = "../src/server.rs"]
#[allow(dead_code)]
mod server;

use bunbase::emit::{GenOptions, RuntimeSource, ts};
use bunbase_e2e::{npm_bin, postgres_url, repo_root, skip, tooling_dir};
use server::{Database, TestServer};

#[test]
#[cfg_attr(
    any(bunbase_skip_npm, bunbase_skip_node),
    ignore = "needs node and the npm test tooling: run `cargo xtask test`"
)]
fn sdk_drives_the_generated_server_on_sqlite() {
    drive("sdk_drives_the_generated_server_on_sqlite", || {
        Some(Database::Sqlite)
    });
}

#[test]
#[cfg_attr(
    any(bunbase_skip_npm, bunbase_skip_node, bunbase_skip_postgres),
    ignore = "needs PostgreSQL (BUNBASE_TEST_POSTGRES_URL), node and the npm test tooling: run `cargo xtask test`"
)]
fn sdk_drives_the_generated_server_on_postgres() {
    let test = "sdk_drives_the_generated_server_on_postgres";
    drive(test, || postgres_url(test).map(Database::Postgres));
}

/// Builds the SDK, starts the server on the database `db` gives (none:
/// skipped) and runs the node tests against it.
fn drive(test: &str, db: impl FnOnce() -> Option<Database>) {
    let Some(db) = db() else { return };
    let Some(tsc) = npm_bin("tsc", test) else {
        return;
    };
    if Command::new("node").arg("--version").output().is_err() {
        skip(test, "node is not installed");
        return;
    }

    // The SDK as `bunbase gen` emits it for the example the server is built from.
    let sources = bunbase::load::from_dir(&repo_root().join("contracts-examples/tasks"))
        .expect("the tasks example loads");
    let ir = bunbase::compile(&sources)
        .expect("the tasks example compiles")
        .ir;
    let opts = GenOptions {
        runtime: RuntimeSource::Path("../runtime-support".into()),
        contracts_label: "contracts".into(),
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    for f in ts::emit(&ir, &opts) {
        let path = tmp
            .path()
            .join(f.path.trim_start_matches("sdk/typescript/"));
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dir");
        std::fs::write(path, f.contents).expect("write SDK file");
    }
    let modules = tooling_dir()
        .expect("tooling is installed")
        .join("npm/node_modules");
    std::os::unix::fs::symlink(modules, tmp.path().join("node_modules"))
        .expect("link node_modules");
    let build = Command::new(&tsc)
        .arg("-p")
        .arg(tmp.path().join("tsconfig.json"))
        .output()
        .expect("run tsc");
    assert!(
        build.status.success(),
        "tsc build failed:\n{}",
        String::from_utf8_lossy(&build.stdout)
    );
    let test_file = tmp.path().join("test/server.test.mjs");
    std::fs::create_dir_all(test_file.parent().expect("has a parent")).expect("create dir");
    std::fs::copy(repo_root().join("tests/sdk/server.test.mjs"), &test_file).expect("copy test");

    let server = TestServer::start(db);
    node_test(&test_file, &server.base_url);
}

fn node_test(file: &Path, base_url: &str) {
    let out = Command::new("node")
        .arg("--test")
        .arg(file)
        .env("BUNBASE_BASE_URL", base_url)
        .output()
        .expect("run node --test");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "node --test against the generated server failed:\n{text}"
    );
    eprintln!("{text}");
}
