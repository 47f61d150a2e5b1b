//! The generated TypeScript SDK of `contracts-examples/tasks`, compiled with tsc, drives the running generated server through `node --test`: CRUD, validation errors, 401, abort and timeout (`tests/sdk/server.test.mjs`), and authentication outside a browser with API keys made and revoked by the server binary's subcommands, bearer tokens and a cookie jar (`tests/sdk/api_keys.test.mjs`); and, against the scaffolded server of `tests/sdk/scopes`, API-key scopes as `has_permission` permissions (`tests/sdk/scopes.test.mjs`).

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
    std::fs::create_dir_all(tmp.path().join("test")).expect("create dir");
    for name in ["server.test.mjs", "api_keys.test.mjs"] {
        std::fs::copy(
            repo_root().join("tests/sdk").join(name),
            tmp.path().join("test").join(name),
        )
        .expect("copy test");
    }

    let server = TestServer::start(db);
    node_test(
        &tmp.path().join("test/server.test.mjs"),
        &server.base_url,
        &[],
    );

    // The first key of a machine: a user signs up, an operator runs
    // `create-api-key` for them; a second key is revoked with `revoke-api-key`.
    let email = "machine.owner@example.com";
    let reg = server.send_json(
        "POST",
        "/api/auth/register",
        &serde_json::json!({"email": email, "password": "correct horse battery", "name": "Owner"}),
        None,
    );
    assert_eq!(reg.status, 201, "{}", reg.body);
    let (_, key) = create_api_key(
        &server,
        &[
            "--email",
            "Machine.Owner@example.com",
            "--scope",
            "tasks:write",
            "--expires-in",
            "1d",
            "--name",
            "node",
        ],
    );
    let (revoked_id, revoked) = create_api_key(&server, &["--email", email, "--name", "old"]);
    let out = key_command(&server, &["revoke-api-key", &revoked_id]);
    assert!(out.contains(&revoked_id), "{out}");
    let listed = key_command(&server, &["list-api-keys", "--email", email]);
    assert!(
        listed.contains("REVOKED") && listed.contains("tasks:write"),
        "{listed}"
    );
    assert!(
        // `bb_<prefix>_<secret>`: the prefix is alphanumeric, the secret
        // may hold `_` itself.
        !listed.contains(
            key.strip_prefix("bb_")
                .and_then(|rest| rest.split_once('_'))
                .map(|(_, secret)| secret)
                .expect("a secret")
        ),
        "listing shows no secret:\n{listed}"
    );

    node_test(
        &tmp.path().join("test/api_keys.test.mjs"),
        &server.base_url,
        &[
            ("BUNBASE_API_KEY", key.as_str()),
            ("BUNBASE_REVOKED_KEY", revoked.as_str()),
            ("BUNBASE_KEY_EMAIL", email),
        ],
    );
    assert!(!server.logs().contains(&key), "the server never logs a key");
}

/// The SDK of `tests/sdk/scopes` against that contract's scaffolded server:
/// keys from its `create-api-key` subcommand, one with the scope a
/// `has_permission` guard needs (the stub handler's 501 shows the guards
/// passed) and one without it (the typed 403).
#[test]
#[cfg_attr(
    any(bunbase_skip_npm, bunbase_skip_node),
    ignore = "needs node and the npm test tooling: run `cargo xtask test`"
)]
fn api_key_scopes_map_onto_has_permission() {
    let test = "api_key_scopes_map_onto_has_permission";
    let Some(tsc) = npm_bin("tsc", test) else {
        return;
    };
    if Command::new("node").arg("--version").output().is_err() {
        skip(test, "node is not installed");
        return;
    }
    let sources = bunbase::load::from_dir(&repo_root().join("tests/sdk/scopes"))
        .expect("the scopes contract loads");
    let ir = bunbase::compile(&sources)
        .expect("the scopes contract compiles")
        .ir;
    let opts = GenOptions {
        runtime: RuntimeSource::Path(repo_root().join("runtime-support").display().to_string()),
        contracts_label: "contracts".into(),
    };
    let ws = tempfile::tempdir().expect("temp dir");
    for f in bunbase::emit::generate(&ir, &opts) {
        let path = ws.path().join(&f.path);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dir");
        std::fs::write(path, f.contents).expect("write generated file");
    }

    // The server: the generated example's lock file, so the shared target
    // dir's compiled dependencies are reused.
    std::fs::copy(
        repo_root().join("generated-example/Cargo.lock"),
        ws.path().join("Cargo.lock"),
    )
    .expect("copy Cargo.lock");
    let built = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "--bin", "scopes-server"])
        .current_dir(ws.path())
        .env("CARGO_TARGET_DIR", server::generated_target_dir())
        .output()
        .expect("cargo runs");
    assert!(
        built.status.success(),
        "building the scopes server failed:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let bin = server::generated_target_dir().join("debug/scopes-server");
    let database_url = format!("sqlite://{}?mode=rwc", ws.path().join("test.db").display());
    let key = |scope: &str| {
        let out = Command::new(&bin)
            .args(["create-api-key", "--user", "machine-1", "--scope", scope])
            .env("DATABASE_URL", &database_url)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run create-api-key");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "create-api-key failed:\n{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text.lines()
            .find(|l| l.starts_with("bb_"))
            .unwrap_or_else(|| panic!("no key printed:\n{text}"))
            .to_owned()
    };
    let (writer, reader) = (key("notes:write"), key("notes:read"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(&bin)
        .arg("serve")
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", &database_url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the scopes server starts");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Kill(child);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !server::http_request(port, "GET", "/readyz", None, &[]).is_ok_and(|r| r.status == 200) {
        assert!(
            std::time::Instant::now() < deadline,
            "the scopes server never became ready"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    // Its SDK, compiled, driving it from Node.
    let sdk = ws.path().join("sdk/typescript");
    std::os::unix::fs::symlink(
        tooling_dir()
            .expect("tooling is installed")
            .join("npm/node_modules"),
        sdk.join("node_modules"),
    )
    .expect("link node_modules");
    let build = Command::new(&tsc)
        .arg("-p")
        .arg(sdk.join("tsconfig.json"))
        .output()
        .expect("run tsc");
    assert!(
        build.status.success(),
        "tsc build failed:\n{}",
        String::from_utf8_lossy(&build.stdout)
    );
    std::fs::create_dir_all(sdk.join("test")).expect("create dir");
    std::fs::copy(
        repo_root().join("tests/sdk/scopes.test.mjs"),
        sdk.join("test/scopes.test.mjs"),
    )
    .expect("copy test");
    node_test(
        &sdk.join("test/scopes.test.mjs"),
        &format!("http://127.0.0.1:{port}"),
        &[
            ("BUNBASE_WRITER_KEY", writer.as_str()),
            ("BUNBASE_READER_KEY", reader.as_str()),
        ],
    );
}

/// Runs `tasks-server <args>` on the server's database; its stdout.
/// Panics when it fails.
fn key_command(server: &TestServer, args: &[&str]) -> String {
    key_command_output(server, args).0
}

/// Runs `tasks-server <args>` on the server's database, logging at debug
/// level; its stdout and stderr (the log). Panics when it fails.
fn key_command_output(server: &TestServer, args: &[&str]) -> (String, String) {
    // Output goes to files and the command gets two minutes: a command that
    // hangs (as one once did in shutdown) fails the test instead of stalling it.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = |n: &str| std::fs::File::create(dir.path().join(n)).expect("an output file");
    let mut child = Command::new(server::server_binary())
        .args(args)
        .current_dir(server.dir())
        .env("DATABASE_URL", &server.database_url)
        .env("RUST_LOG", "debug")
        .stdout(file("stdout"))
        .stderr(file("stderr"))
        .spawn()
        .expect("run the server binary");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the server binary") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tasks-server {args:?} did not finish within two minutes");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let read = |n: &str| std::fs::read_to_string(dir.path().join(n)).unwrap_or_default();
    let (stdout, stderr) = (read("stdout"), read("stderr"));
    assert!(
        status.success(),
        "tasks-server {args:?} failed:\n{stdout}{stderr}"
    );
    (stdout, stderr)
}

/// `tasks-server create-api-key <args>`: the new key's id and its token,
/// printed once on a line of its own (the runtime's log shares stdout and
/// must never show the token).
fn create_api_key(server: &TestServer, args: &[&str]) -> (String, String) {
    let (out, log) = key_command_output(server, &[&["create-api-key"], args].concat());
    let token = out
        .lines()
        .find(|l| l.starts_with("bb_"))
        .unwrap_or_else(|| panic!("no key printed:\n{out}"))
        .to_owned();
    let mentions = out
        .lines()
        .chain(log.lines())
        .filter(|l| l.contains(&token))
        .count();
    assert_eq!(
        mentions, 1,
        "the key is printed once and never logged:\n{out}{log}"
    );
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("Created API key "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no `Created API key <id>` line:\n{out}"))
        .to_owned();
    (id, token)
}

fn node_test(file: &Path, base_url: &str, env: &[(&str, &str)]) {
    let out = Command::new("node")
        .arg("--test")
        .arg(file)
        .env("BUNBASE_BASE_URL", base_url)
        .envs(env.iter().copied())
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
