//! End-to-end tests of queue and cron triggers in generated servers: an HTTP action enqueues a job that the server's in-process worker runs, the `worker` command runs jobs for a server started with `JOBS_WORKER=false`, and an every-second cron schedule fires; on SQLite and, when `BUNBASE_TEST_POSTGRES_URL` is set, on PostgreSQL.

#[allow(dead_code)]
#[path = "../src/server.rs"]
mod server;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bunbase::emit::{GenOptions, RuntimeSource};
use bunbase_e2e::{postgres_url, repo_root};
use serde_json::json;
use server::{Database, TestServer};

/// Registers a fresh user and returns the session cookie.
fn sign_up(s: &TestServer, email: &str) -> String {
    let reg = s.send_json(
        "POST",
        "/api/auth/register",
        &json!({"email": email, "password": "correct horse", "name": "Ada"}),
        None,
    );
    assert_eq!(reg.status, 201, "{}", reg.body);
    reg.cookie().expect("register signs in")
}

/// Creates a task (with `due_at` when given) and returns its id.
fn create_task(s: &TestServer, cookie: &str, title: &str, due_at: Option<&str>) -> String {
    create_task_traced(s, cookie, title, due_at).0
}

/// Creates a task and returns its id and the request's trace id.
fn create_task_traced(
    s: &TestServer,
    cookie: &str,
    title: &str,
    due_at: Option<&str>,
) -> (String, String) {
    let mut body = json!({"title": title});
    if let Some(due) = due_at {
        body["due_at"] = json!(due);
    }
    let res = s.send_json("POST", "/api/tasks", &body, Some(cookie));
    assert_eq!(res.status, 201, "{}", res.body);
    let trace = res.header("x-request-id").expect("a trace id").to_owned();
    (res.json()["id"].as_str().expect("an id").to_owned(), trace)
}

/// An RFC 3339 time `offset_secs` from now.
fn at(offset_secs: i64) -> String {
    let t = bunbase_runtime::chrono::Utc::now()
        + bunbase_runtime::chrono::Duration::seconds(offset_secs);
    t.to_rfc3339_opts(bunbase_runtime::chrono::SecondsFormat::Millis, true)
}

/// The reminders recorded for `task`. Its id is a native UUID column: a
/// 16-byte blob on SQLite, `uuid` on PostgreSQL, compared as hex or text.
fn reminders(s: &TestServer, task: &str, timeout: Duration) -> i64 {
    let sql = if s.database_url.starts_with("sqlite") {
        "SELECT COUNT(*) FROM task_reminders WHERE lower(hex(task_id)) = replace($1, '-', '')"
    } else {
        "SELECT COUNT(*) FROM task_reminders WHERE task_id::text = $1"
    };
    s.count_until(sql, &[task], 1, timeout)
}

fn jobs_of(s: &TestServer, kind: &str, state: &str) -> i64 {
    s.count_until(
        "SELECT COUNT(*) FROM bunbase_jobs WHERE kind = $1 AND state = $2",
        &[kind, state],
        i64::MAX,
        Duration::ZERO,
    )
}

/// `create_task` with a due date enqueues `send_reminder` in its
/// transaction; the server's own worker runs it through the pipeline (the
/// creator's session passes the module's `authenticated` guard), which
/// records the reminder and a `queue` run. A task due later waits; one
/// without a due date enqueues nothing.
fn queue_suite(db: Database) {
    let s = TestServer::start(db);
    let cookie = sign_up(&s, "queue@example.com");

    let (due, trace) = create_task_traced(&s, &cookie, "Due now", Some(&at(-1)));
    assert_eq!(
        reminders(&s, &due, Duration::from_secs(15)),
        1,
        "the reminder job ran\n{}",
        s.logs()
    );
    assert!(
        s.count_until(
            "SELECT COUNT(*) FROM bunbase_runs WHERE action = $1 AND trigger_kind = $2 AND status = $3",
            &["tasks.send_reminder", "queue", "ok"],
            1,
            Duration::from_secs(10),
        ) >= 1,
        "the job's run is recorded with trigger `queue`\n{}",
        s.logs()
    );
    assert_eq!(
        s.count_until(
            "SELECT COUNT(*) FROM bunbase_runs WHERE action = $1 AND trace_id = $2",
            &["tasks.send_reminder", &trace],
            1,
            Duration::from_secs(5),
        ),
        1,
        "the job runs under the trace id of the request that enqueued it"
    );

    let later = create_task(&s, &cookie, "Due tomorrow", Some(&at(86_400)));
    let none = create_task(&s, &cookie, "No due date", None);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(reminders(&s, &later, Duration::ZERO), 0, "not due yet");
    assert_eq!(reminders(&s, &none, Duration::ZERO), 0);
    assert_eq!(
        jobs_of(&s, "tasks.send_reminder", "available"),
        1,
        "only the task due tomorrow waits"
    );
    // The job's unique key: one live reminder per task.
    assert_eq!(
        s.count_until(
            "SELECT COUNT(*) FROM bunbase_jobs WHERE unique_key = $1",
            &[&format!("reminder:{later}")],
            1,
            Duration::ZERO,
        ),
        1
    );

    // The cron action's job kind is registered and its schedule stored.
    assert_eq!(
        s.count_until(
            "SELECT COUNT(*) FROM bunbase_schedules WHERE name = $1",
            &["tasks.purge_done_tasks@cron"],
            1,
            Duration::from_secs(5),
        ),
        1,
        "the daily schedule is registered\n{}",
        s.logs()
    );
}

#[test]
fn queue_job_runs_on_sqlite() {
    queue_suite(Database::Sqlite);
}

#[test]
#[cfg_attr(
    bunbase_skip_postgres,
    ignore = "needs PostgreSQL: set BUNBASE_TEST_POSTGRES_URL (.ci/run does)"
)]
fn queue_job_runs_on_postgres() {
    let Some(url) = postgres_url("queue_job_runs_on_postgres") else {
        return;
    };
    queue_suite(Database::Postgres(url));
}

/// Kills a child process when the test ends, pass or fail.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// With `JOBS_WORKER=false` the server only enqueues; `worker`, a second
/// process on the same database, runs the job.
fn worker_suite(db: Database) {
    let s = TestServer::start_with(db, &[("JOBS_WORKER", "false")]);
    let cookie = sign_up(&s, "worker@example.com");
    let task = create_task(&s, &cookie, "Due now", Some(&at(-1)));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        reminders(&s, &task, Duration::ZERO),
        0,
        "no worker in the server"
    );
    assert_eq!(jobs_of(&s, "tasks.send_reminder", "available"), 1);

    let log = std::fs::File::create(s.dir().join("worker.log")).expect("a log file");
    let worker = Command::new(server::server_binary())
        .arg("worker")
        .current_dir(s.dir())
        .env("DATABASE_URL", &s.database_url)
        .env(
            "SESSION_SECRET",
            "an-e2e-test-secret-that-is-long-enough-0123456789",
        )
        .env("SESSION_COOKIE_SECURE", "false")
        .env("JOBS_WORKER", "false")
        .env("RUST_LOG", "info")
        .stdout(Stdio::from(log.try_clone().expect("clone the log")))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start the worker");
    let _worker = Killed(worker);
    let worker_log = || std::fs::read_to_string(s.dir().join("worker.log")).unwrap_or_default();
    assert_eq!(
        reminders(&s, &task, Duration::from_secs(20)),
        1,
        "the worker ran the job\n{}\n--- worker\n{}",
        s.logs(),
        worker_log()
    );
    assert_eq!(jobs_of(&s, "tasks.send_reminder", "completed"), 1);
}

#[test]
fn worker_command_runs_jobs_on_sqlite() {
    worker_suite(Database::Sqlite);
}

#[test]
#[cfg_attr(
    bunbase_skip_postgres,
    ignore = "needs PostgreSQL: set BUNBASE_TEST_POSTGRES_URL (.ci/run does)"
)]
fn worker_command_runs_jobs_on_postgres() {
    let Some(url) = postgres_url("worker_command_runs_jobs_on_postgres") else {
        return;
    };
    worker_suite(Database::Postgres(url));
}

const TICKER_PROJECT: &str =
    "project: ticker\nversion: 0.1.0\ndatabase: sqlite\napi:\n  base_path: /api\n";

const TICKER_MODULE: &str = r#"module: ticker
guards: [authenticated]
actions:
  tick:
    summary: Count a tick
    triggers:
      - cron: "* * * * * *"
"#;

/// The handler of the ticker project: `tick` adds a row per run.
const TICKER_HANDLERS: &str = r#"//! Handlers of module `ticker`.

use bunbase_runtime::{ActionContext, sqlx, with_pool};
use ticker_api::*;

use crate::App;

impl TickerHandler for App {
    async fn tick(&self, ctx: ActionContext) -> Result<(), TickError> {
        with_pool!(ctx.db, pool => {
            sqlx::query("INSERT INTO ticks (at) VALUES ($1)").bind(ctx.trace_id.to_string()).execute(pool).await?;
        });
        Ok(())
    }
}
"#;

/// Generates the ticker project into `root` and builds its server.
fn build_ticker(root: &Path) -> PathBuf {
    let contracts = root.join("contracts");
    std::fs::create_dir_all(&contracts).expect("create contracts");
    std::fs::write(contracts.join("bunbase.yaml"), TICKER_PROJECT).expect("write");
    std::fs::write(contracts.join("ticker.yaml"), TICKER_MODULE).expect("write");
    let sources = bunbase::load::from_dir(&contracts).expect("the ticker loads");
    let ir = bunbase::compile(&sources)
        .unwrap_or_else(|d| panic!("the ticker compiles: {d:?}"))
        .ir;
    let opts = GenOptions {
        runtime: RuntimeSource::Path(repo_root().join("runtime-support").display().to_string()),
        contracts_label: "contracts".into(),
    };
    for f in bunbase::emit::generate(&ir, &opts) {
        let path = root.join(&f.path);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dir");
        std::fs::write(path, f.contents).expect("write a generated file");
    }
    let server = root.join("crates/ticker-server");
    std::fs::write(server.join("src/ticker.rs"), TICKER_HANDLERS).expect("write handlers");
    std::fs::write(
        server.join("migrations/0001_init.sql"),
        "CREATE TABLE ticks (at TEXT NOT NULL);\n",
    )
    .expect("write the migration");
    // The same dependency versions as the example, so the shared target
    // dir's compiled dependencies are reused.
    std::fs::copy(
        repo_root().join("generated-example/Cargo.lock"),
        root.join("Cargo.lock"),
    )
    .expect("copy Cargo.lock");
    server::build_binary(&root.display().to_string(), "ticker-server")
}

/// A six-field every-second schedule fires while the server runs: its
/// ticks run the action (guards skipped: a schedule has no caller), record
/// `cron` runs, and count in the application's table.
fn cron_suite(db: Database) {
    let root = tempfile::tempdir().expect("a temp dir");
    let bin = build_ticker(root.path());
    let s = TestServer::start_bin(
        &bin,
        &root.path().join("crates/ticker-server/migrations"),
        db,
        &[],
    );
    assert!(
        s.count_until(
            "SELECT COUNT(*) FROM bunbase_runs WHERE action = $1 AND trigger_kind = $2 AND status = $3",
            &["ticker.tick", "cron", "ok"],
            2,
            Duration::from_secs(20),
        ) >= 2,
        "the schedule fired and its runs are recorded\n{}",
        s.logs()
    );
    assert!(
        s.count_until("SELECT COUNT(*) FROM ticks", &[], 2, Duration::from_secs(5)) >= 2,
        "the handler ran\n{}",
        s.logs()
    );
    assert_eq!(
        jobs_of(&s, "ticker.tick@cron", "dead"),
        0,
        "no tick failed\n{}",
        s.logs()
    );
}

#[test]
fn every_second_cron_fires_on_sqlite() {
    cron_suite(Database::Sqlite);
}

#[test]
#[cfg_attr(
    bunbase_skip_postgres,
    ignore = "needs PostgreSQL: set BUNBASE_TEST_POSTGRES_URL (.ci/run does)"
)]
fn every_second_cron_fires_on_postgres() {
    let Some(url) = postgres_url("every_second_cron_fires_on_postgres") else {
        return;
    };
    cron_suite(Database::Postgres(url));
}
