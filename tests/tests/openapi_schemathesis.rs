//! Schemathesis fuzzes the running generated-example server against the OpenAPI document bunbase emits for its contracts (`contracts-examples/tasks`): every operation, every check, a fixed seed and a bounded number of examples, signed in as the demo user through the login action.
//!
//! A failure means the document and the server disagree: the document
//! promises something the server does not do (a status, a header, a response
//! shape, accepting valid input, rejecting invalid input) or the server
//! answers a 5xx.

#[allow(dead_code)]
#[path = "../src/server.rs"]
mod server;

use std::path::Path;
use std::process::Command;

#[allow(unused_imports)]
use bunbase_e2e::repo_root;
use bunbase_e2e::{postgres_url, venv_bin};
use serde_json::Value;
use server::{Database, TestServer};

const TEST: &str = "schemathesis_finds_no_failure";

/// Fixed so that a failure reproduces (`--seed`); bounded so that the run
/// stays around a minute on two cores.
const SEED: &str = "20261122";
const MAX_EXAMPLES: &str = "10";

/// Every check is on (schemathesis' default when the command line names
/// none). Schemathesis signs in itself through the login action with the
/// demo account the example seeds, and sends the session cookie wherever the
/// document's `session` security scheme asks for it, so the `ignored_auth`
/// check knows which requests carry credentials.
///
/// Strings never carry NUL (`\u0000`): the server refuses it in every
/// string on every database (PostgreSQL cannot store it), a rule of the
/// wire format documented with the error envelope rather than a `pattern`
/// on every string of the document.
///
/// One exception: `list_tasks` takes an opaque `cursor` that only a previous
/// page can produce, and rightly rejects any other string with 400, which the
/// positive-data check would count as a valid request rejected.
const CONFIG: &str = r#"
[generation]
allow-x00 = false

[auth.dynamic.openapi.session]
path = "/api/auth/login"
payload = { email = "demo@example.com", password = "demo-password" }
extract_from = "cookie"
extract_selector = "bunbase_session"

[[operations]]
include-operation-id-regex = "^tasks\\.list_tasks"
checks.positive_data_acceptance.enabled = false
"#;

/// Runs schemathesis on `spec` against `server`; `(success, report)`.
fn run(
    schemathesis: &Path,
    config: &Path,
    spec: &Path,
    server: &TestServer,
    extra: &[&str],
) -> (bool, String) {
    let out = Command::new(schemathesis)
        .arg("--config-file")
        .arg(config)
        .arg("run")
        .arg(spec)
        .args(["--url", &server.base_url])
        .args(["--seed", SEED, "--workers", "1", "--request-timeout", "20"])
        .args(extra)
        .env("NO_COLOR", "1")
        .current_dir(config.parent().unwrap_or(Path::new(".")))
        .output()
        .expect("run schemathesis");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), report)
}

#[test]
#[cfg_attr(
    bunbase_skip_python,
    ignore = "needs the Python test tooling: run `cargo xtask test`"
)]
fn schemathesis_finds_no_failure_on_sqlite() {
    fuzz(Database::Sqlite, true);
}

#[test]
#[cfg_attr(
    any(bunbase_skip_python, bunbase_skip_postgres),
    ignore = "needs PostgreSQL (BUNBASE_TEST_POSTGRES_URL) and the Python test tooling: run `cargo xtask test`"
)]
fn schemathesis_finds_no_failure_on_postgres() {
    if let Some(url) = postgres_url("schemathesis_finds_no_failure_on_postgres") {
        fuzz(Database::Postgres(url), false);
    }
}

/// Fuzzes the example server on `db`; with `prove`, also checks that a
/// lying document fails.
fn fuzz(db: Database, prove: bool) {
    let Some(schemathesis) = venv_bin("schemathesis", TEST) else {
        return;
    };
    let sources = bunbase::load::from_dir(&repo_root().join("contracts-examples/tasks"))
        .expect("the tasks example loads");
    let ir = match bunbase::compile(&sources) {
        Ok(c) => c.ir,
        Err(d) => panic!("the tasks example does not compile: {d:?}"),
    };
    let dir = tempfile::tempdir().expect("a temp dir");
    let spec = dir.path().join("openapi.json");
    std::fs::write(&spec, bunbase::emit::openapi::to_json(&ir)).expect("write the document");
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(&config, CONFIG).expect("write the schemathesis config");

    let server = TestServer::start(db.clone());
    let served = server.get("/api/openapi.json");
    assert_eq!(served.status, 200);
    assert!(
        served.body == bunbase::emit::openapi::to_json(&ir),
        "the server does not serve the document bunbase emits for its contracts: run `cargo xtask codegen`"
    );
    let (ok, report) = run(
        &schemathesis,
        &config,
        &spec,
        &server,
        &[
            "--max-examples",
            MAX_EXAMPLES,
            "--phases",
            "examples,coverage,fuzzing",
        ],
    );
    assert!(
        ok,
        "schemathesis found failures (document vs. server):\n{report}\n\nserver logs:\n{}",
        server.logs()
    );
    assert!(
        report.contains(" passed"),
        "schemathesis ran no test case:\n{report}"
    );
    // Signed webhooks refuse every delivery schemathesis makes up (it
    // cannot sign them): those are the only operations allowed to answer
    // nothing but 401. Signed deliveries are tested in webhooks_example.rs.
    let auth_failed: Vec<&str> = report
        .lines()
        .skip_while(|l| !l.contains("401 Unauthorized ("))
        .skip(1)
        .take_while(|l| l.trim_start().starts_with("- "))
        .map(str::trim)
        .collect();
    assert!(
        auth_failed.iter().all(|op| op.contains("/webhooks/")),
        "the demo user did not sign in:\n{report}"
    );

    if !prove {
        return;
    }
    // The same run against a document that lies (a task's title may be at
    // most one character long) must fail: proof that the checks bite. On a
    // fresh server: the fuzzing above spent the login's rate limit (20 a
    // minute per client address), so signing in again would answer 429.
    drop(server);
    let server = TestServer::start(db);
    let mut lying: Value =
        serde_json::from_str(&bunbase::emit::openapi::to_json(&ir)).expect("JSON");
    lying["components"]["schemas"]["Task"]["properties"]["title"]["maxLength"] = 1.into();
    let lying_spec = dir.path().join("lying.json");
    std::fs::write(&lying_spec, lying.to_string()).expect("write the lying document");
    let (ok, report) = run(
        &schemathesis,
        &config,
        &lying_spec,
        &server,
        &[
            "--max-examples",
            "5",
            "--phases",
            "fuzzing",
            "--include-operation-id",
            "tasks.create_task",
        ],
    );
    assert!(
        !ok,
        "schemathesis accepted a document that contradicts the server:\n{report}"
    );
    assert!(
        report.contains("Response violates schema"),
        "expected a response schema failure:\n{report}"
    );
}
