//! End-to-end test of a `mode: queue` webhook in a generated server: a signed delivery answers 202 and becomes a job that the server's worker runs through the pipeline with trigger `webhook`; a replayed delivery id, a bad signature and an invalid body run nothing; on SQLite and, when `BUNBASE_TEST_POSTGRES_URL` is set, on PostgreSQL.

#[allow(dead_code)]
#[path = "../src/server.rs"]
mod server;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bunbase::emit::{GenOptions, RuntimeSource};
use bunbase_e2e::{postgres_url, repo_root};
use hmac::{KeyInit, Mac};
use server::{Database, HttpResponse, TestServer};

const SECRET_ENV: &str = "HOOKS_SECRET";
const SECRET: &str = "a-queued-webhook-secret";

const PROJECT: &str = "project: hooks\nversion: 0.1.0\ndatabase: sqlite\napi:\n  base_path: /api\n";

const MODULE: &str = r#"module: hooks
actions:
  receive:
    summary: Keep a note sent by a signed webhook
    input:
      note: { type: string, min_len: 1, max_len: 100 }
    triggers:
      - webhook:
          path: /webhooks/notes
          secret_env: HOOKS_SECRET
          id_header: X-Delivery-Id
          mode: queue
"#;

/// The handler: one row per run, with the run's trigger.
const HANDLERS: &str = r#"//! Handlers of module `hooks`.

use bunbase_runtime::{ActionContext, sqlx, with_pool};
use hooks_api::*;

use crate::App;

impl HooksHandler for App {
    async fn receive(&self, ctx: ActionContext, input: ReceiveInput) -> Result<(), ReceiveError> {
        let trigger = ctx.trigger.as_str();
        with_pool!(ctx.db, pool => {
            sqlx::query("INSERT INTO notes (note, trigger_kind) VALUES ($1, $2)").bind(&input.note).bind(trigger).execute(pool).await?;
        });
        Ok(())
    }
}
"#;

/// Generates the project into `root` and builds its server.
fn build(root: &Path) -> PathBuf {
    let contracts = root.join("contracts");
    std::fs::create_dir_all(&contracts).expect("create contracts");
    std::fs::write(contracts.join("bunbase.yaml"), PROJECT).expect("write");
    std::fs::write(contracts.join("hooks.yaml"), MODULE).expect("write");
    let sources = bunbase::load::from_dir(&contracts).expect("the project loads");
    let compiled =
        bunbase::compile(&sources).unwrap_or_else(|d| panic!("the project compiles: {d:?}"));
    assert!(
        compiled.warnings.is_empty(),
        "queued webhooks are served, without a warning: {:?}",
        compiled.warnings
    );
    let opts = GenOptions {
        runtime: RuntimeSource::Path(repo_root().join("runtime-support").display().to_string()),
        contracts_label: "contracts".into(),
    };
    for f in bunbase::emit::generate(&compiled.ir, &opts) {
        let path = root.join(&f.path);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dir");
        std::fs::write(path, f.contents).expect("write a generated file");
    }
    let server = root.join("crates/hooks-server");
    std::fs::write(server.join("src/hooks.rs"), HANDLERS).expect("write handlers");
    std::fs::write(
        server.join("migrations/0001_init.sql"),
        "CREATE TABLE notes (note TEXT NOT NULL, trigger_kind TEXT NOT NULL);\n",
    )
    .expect("write the migration");
    std::fs::copy(
        repo_root().join("generated-example/Cargo.lock"),
        root.join("Cargo.lock"),
    )
    .expect("copy Cargo.lock");
    server::build_binary(&root.display().to_string(), "hooks-server")
}

/// Hex HMAC-SHA256(secret, body), the default `hmac-sha256` signature.
fn sign(secret: &str, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(body.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn deliver(s: &TestServer, id: &str, body: &str, secret: &str) -> HttpResponse {
    let signature = sign(secret, body);
    s.request(
        "POST",
        "/api/webhooks/notes",
        Some(body),
        &[
            ("content-type", "application/json"),
            ("x-signature", &signature),
            ("x-delivery-id", id),
        ],
    )
}

fn notes(s: &TestServer, note: &str, at_least: i64, timeout: Duration) -> i64 {
    s.count_until(
        "SELECT COUNT(*) FROM notes WHERE note = $1 AND trigger_kind = $2",
        &[note, "webhook"],
        at_least,
        timeout,
    )
}

fn jobs(s: &TestServer) -> i64 {
    s.count_until(
        "SELECT COUNT(*) FROM bunbase_jobs WHERE kind = $1",
        &["hooks.receive@webhook"],
        i64::MAX,
        Duration::ZERO,
    )
}

fn suite(db: Database) {
    let root = tempfile::tempdir().expect("a temp dir");
    let bin = build(root.path());
    let s = TestServer::start_bin(
        &bin,
        &root.path().join("crates/hooks-server/migrations"),
        db,
        &[(SECRET_ENV, SECRET)],
    );

    let body = r#"{"note":"first"}"#;
    let res = deliver(&s, "d-1", body, SECRET);
    assert_eq!(res.status, 202, "{}\n{}", res.body, s.logs());
    assert_eq!(res.json()["enqueued"], true, "{}", res.body);
    assert_eq!(
        notes(&s, "first", 1, Duration::from_secs(20)),
        1,
        "the job ran the action with trigger webhook\n{}",
        s.logs()
    );
    assert!(
        s.count_until(
            "SELECT COUNT(*) FROM bunbase_runs WHERE action = $1 AND trigger_kind = $2 AND status = $3",
            &["hooks.receive", "webhook", "ok"],
            2,
            Duration::from_secs(10),
        ) >= 2,
        "the accepted delivery and the job's run are recorded\n{}",
        s.logs()
    );

    // The provider retries the same delivery: acknowledged, nothing runs.
    let again = deliver(&s, "d-1", body, SECRET);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["duplicate"], true, "{}", again.body);

    // A bad signature and an invalid body enqueue nothing.
    let forged = deliver(&s, "d-2", r#"{"note":"forged"}"#, "not-the-secret");
    assert_eq!(forged.status, 401, "{}", forged.body);
    let invalid = deliver(&s, "d-3", r#"{"note":""}"#, SECRET);
    assert!(
        invalid.status == 400 || invalid.status == 422,
        "{} {}",
        invalid.status,
        invalid.body
    );

    // A later delivery runs, so the worker had time to run any extra job.
    let res = deliver(&s, "d-4", r#"{"note":"second"}"#, SECRET);
    assert_eq!(res.status, 202, "{}", res.body);
    assert_eq!(
        notes(&s, "second", 1, Duration::from_secs(20)),
        1,
        "{}",
        s.logs()
    );
    assert_eq!(
        notes(&s, "first", i64::MAX, Duration::ZERO),
        1,
        "the replay ran nothing"
    );
    assert_eq!(notes(&s, "forged", i64::MAX, Duration::ZERO), 0);
    assert_eq!(jobs(&s), 2, "one job per accepted delivery\n{}", s.logs());
}

#[test]
fn queued_webhook_runs_as_a_job_on_sqlite() {
    suite(Database::Sqlite);
}

#[test]
#[cfg_attr(
    bunbase_skip_postgres,
    ignore = "needs PostgreSQL: set BUNBASE_TEST_POSTGRES_URL (.ci/run does)"
)]
fn queued_webhook_runs_as_a_job_on_postgres() {
    let Some(url) = postgres_url("queued_webhook_runs_as_a_job_on_postgres") else {
        return;
    };
    suite(Database::Postgres(url));
}
