//! Run history, readiness, migrations and graceful shutdown, on SQLite (temp file) and PostgreSQL (when `BUNBASE_TEST_POSTGRES_URL` is set).

mod common;

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use bunbase_runtime::futures::FutureExt as _;

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::body::Body;
use bunbase_runtime::axum::routing::post;
use bunbase_runtime::runs::RecorderOptions;
use bunbase_runtime::{
    ActionContext, ActionSpec, ApiError, Config, Db, Dialect, GuardSpec, HttpRequest, Migrations,
    RetryPolicy, Runtime, Server,
};
use common::{request, send};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

static OK: ActionSpec = ActionSpec {
    name: "notes.ok",
    guards: &[],
    retry: RetryPolicy::NONE,
};
static FAIL: ActionSpec = ActionSpec {
    name: "notes.fail",
    guards: &[],
    retry: RetryPolicy::NONE,
};
static DENIED: ActionSpec = ActionSpec {
    name: "notes.denied",
    guards: &[GuardSpec::Authenticated],
    retry: RetryPolicy::NONE,
};

fn routes(rt: &Runtime) -> Router {
    let (a, b, c) = (rt.clone(), rt.clone(), rt.clone());
    Router::new()
        .route(
            "/ok",
            post(move |req: HttpRequest| async move {
                OK.run_http(
                    &a,
                    req,
                    200,
                    |_| Ok(()),
                    |ctx: ActionContext, _: ()| async move {
                        let n: i64 = bunbase_runtime::with_pool!(ctx.db, pool => {
                            bunbase_runtime::sqlx::query_scalar("SELECT COUNT(*) AS n FROM notes")
                                .fetch_one(pool)
                                .await?
                        });
                        Ok::<_, ApiError>(serde_json::json!({ "notes": n }))
                    },
                )
                .await
            }),
        )
        .route(
            "/fail",
            post(move |req: HttpRequest| async move {
                FAIL.run_http(
                    &b,
                    req,
                    200,
                    |_| Ok(()),
                    |_ctx: ActionContext, _: ()| async move {
                        Err::<(), _>(ApiError::new(422, "bad_note", "Bad note"))
                    },
                )
                .await
            }),
        )
        .route(
            "/denied",
            post(move |req: HttpRequest| async move {
                DENIED
                    .run_http(
                        &c,
                        req,
                        200,
                        |_| Ok(()),
                        |_ctx: ActionContext, _: ()| async move { Ok::<_, ApiError>(()) },
                    )
                    .await
            }),
        )
}

static MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_create_notes.sql",
        "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL, pinned BOOLEAN NOT NULL DEFAULT FALSE, created_at TEXT NOT NULL)",
    ),
    (
        "0002_seed.sql",
        "INSERT INTO notes (id, body, pinned, created_at) VALUES ('n1', 'hello', TRUE, '2026-01-01T00:00:00Z')",
    ),
];

/// Loud skip; a failure under CI=true, where every service must be present.
fn skip(test: &str, why: &str) {
    let msg = format!("SKIPPED {test}: {why}");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI must run every test)");
    }
    eprintln!("\n==================== {msg} ====================\n");
}

/// A fresh PostgreSQL database named uniquely, dropped by the guard.
struct PgDb {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDb {
    async fn create(test: &str) -> Option<PgDb> {
        let Some(admin_url) = std::env::var("BUNBASE_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            skip(test, "BUNBASE_TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = format!("bunbase_rt_{}", uuid::Uuid::new_v4().simple());
        let admin = Db::connect_with(&admin_url, 1)
            .await
            .expect("connect to BUNBASE_TEST_POSTGRES_URL");
        bunbase_runtime::sqlx::raw_sql(bunbase_runtime::sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name}"
        )))
        .execute(admin.postgres().expect("a PostgreSQL URL"))
        .await
        .expect("create test database");
        admin.close().await;
        let mut url = url::Url::parse(&admin_url).expect("valid url");
        url.set_path(&format!("/{name}"));
        Some(PgDb {
            admin_url,
            name,
            url: url.to_string(),
        })
    }

    async fn drop_db(self) {
        let admin = Db::connect_with(&self.admin_url, 1)
            .await
            .expect("reconnect");
        bunbase_runtime::sqlx::raw_sql(bunbase_runtime::sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(admin.postgres().expect("a PostgreSQL URL"))
        .await
        .expect("drop test database");
        admin.close().await;
    }
}

fn config(url: &str) -> Config {
    let mut c = Config::for_test("history");
    c.database_url = url.to_owned();
    c
}

async fn count_runs(db: &Db, action: &str) -> i64 {
    bunbase_runtime::with_pool!(db, pool => {
        bunbase_runtime::sqlx::query_scalar("SELECT COUNT(*) AS n FROM bunbase_runs WHERE action = $1")
            .bind(action)
            .fetch_one(pool)
            .await
            .expect("count runs")
    })
}

/// How many `bunbase_runs` tables SQLite schema `schema` holds (0 or 1).
async fn run_tables(db: &Db, schema: &str) -> i64 {
    bunbase_runtime::sqlx::query_scalar(bunbase_runtime::sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM {schema}.sqlite_master WHERE name = 'bunbase_runs'"
    )))
    .fetch_one(db.sqlite().expect("an SQLite database"))
    .await
    .expect("count run tables")
}

/// The shared suite: migrations, run history rows, readiness.
async fn history_suite(url: &str, dialect: Dialect) {
    let rt = Runtime::start(config(url)).await.expect("start");
    assert_eq!(rt.db().dialect(), dialect);
    let migrations = Migrations::embedded(MIGRATIONS);
    rt.migrate(&migrations).await.expect("migrate");
    rt.migrate(&migrations)
        .await
        .expect("migrating twice is a no-op");
    let app = rt.app(routes(&rt));

    let ok = send(
        &app,
        request("POST", "/ok")
            .header("x-request-id", "trace-ok")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(ok.status, 200, "{:?}", String::from_utf8_lossy(&ok.body));
    assert_eq!(
        ok.json(),
        serde_json::json!({ "notes": 1 }),
        "seed migration ran once"
    );
    assert_eq!(
        send(&app, request("POST", "/fail").body(Body::empty()).unwrap())
            .await
            .status,
        422
    );
    assert_eq!(
        send(
            &app,
            request("POST", "/denied").body(Body::empty()).unwrap()
        )
        .await
        .status,
        401
    );
    rt.runs().flush().await;

    type RunRow = (
        String,
        String,
        String,
        String,
        Option<String>,
        i64,
        i64,
        String,
    );
    let (id, action, trigger_kind, status, error_code, duration_ms, attempt, started): RunRow = bunbase_runtime::with_pool!(rt.db(), pool => {
        bunbase_runtime::sqlx::query_as(
            "SELECT id, action, trigger_kind, status, error_code, duration_ms, attempt, started_at FROM bunbase_runs WHERE trace_id = $1",
        )
        .bind("trace-ok")
        .fetch_one(pool)
        .await
        .expect("ok run recorded")
    });
    assert_eq!(action, "notes.ok");
    assert_eq!(trigger_kind, "http");
    assert_eq!(status, "ok");
    assert_eq!(error_code, None);
    assert_eq!(attempt, 1);
    assert!(duration_ms >= 0);
    assert_eq!(id.len(), 36);
    assert!(
        chrono::DateTime::parse_from_rfc3339(&started).is_ok() && started.ends_with('Z'),
        "{started}"
    );

    let (status, error_code, attempt): (String, Option<String>, i64) = bunbase_runtime::with_pool!(rt.db(), pool => {
        bunbase_runtime::sqlx::query_as(
            "SELECT status, error_code, attempt FROM bunbase_runs WHERE action = $1",
        )
        .bind("notes.fail")
        .fetch_one(pool)
        .await
        .expect("failed run recorded")
    });
    assert_eq!(status, "error");
    assert_eq!(error_code.as_deref(), Some("bad_note"));
    assert_eq!(attempt, 1);
    let (error_code, attempt): (Option<String>, i64) = bunbase_runtime::with_pool!(rt.db(), pool => {
        bunbase_runtime::sqlx::query_as(
            "SELECT error_code, attempt FROM bunbase_runs WHERE action = $1",
        )
        .bind("notes.denied")
        .fetch_one(pool)
        .await
        .expect("denied run recorded")
    });
    assert_eq!(error_code.as_deref(), Some("unauthorized"));
    assert_eq!(attempt, 0, "the handler never ran");

    // Batches larger than one multi-row insert go through in one transaction.
    let rows: Vec<bunbase_runtime::runs::RunRecord> = (0..1200)
        .map(|i| bunbase_runtime::runs::RunRecord {
            id: format!("bulk-{i}"),
            action: "bulk.insert".into(),
            trigger: "direct".into(),
            status: bunbase_runtime::runs::RunStatus::Error,
            error_code: Some("internal".into()),
            duration_ms: i,
            attempt: 3,
            trace_id: format!("t{i}"),
            started_at: "2026-01-01T00:00:00.000Z".into(),
        })
        .collect();
    bunbase_runtime::runs::RunSink::write(
        &bunbase_runtime::runs::DbRunSink(rt.db().clone()),
        &rows,
    )
    .await
    .expect("bulk write");
    assert_eq!(count_runs(rt.db(), "bulk.insert").await, 1200);

    let ready = send(&app, request("GET", "/readyz").body(Body::empty()).unwrap()).await;
    assert_eq!(ready.status, 200);
    assert_eq!(
        send(
            &app,
            request("GET", "/healthz").body(Body::empty()).unwrap()
        )
        .await
        .status,
        200
    );
    rt.db().close().await;
    let r = send(&app, request("GET", "/readyz").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 503, "readiness fails once the database is gone");
    r.envelope("unavailable");
    assert_eq!(
        send(
            &app,
            request("GET", "/healthz").body(Body::empty()).unwrap()
        )
        .await
        .status,
        200,
        "liveness does not"
    );
}

/// Sends one HTTP/1.1 request over TCP and returns the status code.
async fn raw_post(addr: std::net::SocketAddr, path: &str) -> u16 {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "POST {path} HTTP/1.1\r\nhost: test\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status line")
}

/// Runs queued in memory are written when the server shuts down, even with
/// a flush interval far longer than the test.
async fn shutdown_suite(url: &str) {
    let rt = Runtime::builder(config(url))
        .recorder_options(RecorderOptions {
            capacity: 1024,
            batch_size: 1000,
            flush_interval: Duration::from_secs(3600),
            ..RecorderOptions::default()
        })
        .build()
        .await
        .expect("start");
    rt.migrate(&Migrations::embedded(MIGRATIONS))
        .await
        .expect("migrate");
    let server = Server::bind(rt.clone(), routes(&rt)).await.expect("bind");
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    for _ in 0..5 {
        assert_eq!(raw_post(addr, "/fail").await, 422);
    }
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("server stops")
        .expect("join")
        .expect("clean exit");
    assert_eq!(rt.runs().written(), 5);
    let db = Db::connect_with(url, 1).await.expect("reopen");
    assert_eq!(
        count_runs(&db, "notes.fail").await,
        5,
        "flushed on shutdown"
    );
    db.close().await;
}

#[tokio::test]
async fn sqlite_history_readiness_and_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}/nested/dir/app.db?mode=rwc",
        dir.path().display()
    );
    history_suite(&url, Dialect::Sqlite).await;
    assert!(
        dir.path().join("nested/dir/app.db").exists(),
        "the folder was created"
    );
    // The runs went to their own file, which the main pool reads attached:
    // the application's file has no `bunbase_runs` of its own.
    assert!(dir.path().join("nested/dir/app.runs.db").exists());
    let db = Db::connect_with(&url, 1).await.expect("reopen");
    assert_eq!(
        run_tables(&db, "main").await,
        0,
        "no run table in the app's file"
    );
    assert_eq!(
        run_tables(&db, bunbase_runtime::db::HISTORY_SCHEMA).await,
        1
    );
    assert_eq!(
        count_runs(&db, "notes.ok").await,
        1,
        "read through the main pool"
    );
    db.close().await;
}

#[tokio::test]
async fn sqlite_moves_runs_left_in_the_app_file_into_the_history_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/app.db?mode=rwc", dir.path().display());
    let db = Db::connect_with(&url, 2).await.expect("connect");
    // The layout before run history had a file of its own.
    for sql in [
        "CREATE TABLE main.bunbase_runs (id TEXT PRIMARY KEY, action TEXT NOT NULL, trigger_kind TEXT NOT NULL, status TEXT NOT NULL, error_code TEXT, duration_ms BIGINT NOT NULL, attempt BIGINT NOT NULL, trace_id TEXT NOT NULL, started_at TEXT NOT NULL)",
        "INSERT INTO main.bunbase_runs VALUES ('old-1', 'notes.ok', 'http', 'ok', NULL, 3, 1, 't-old', '2026-01-01T00:00:00.000Z')",
    ] {
        bunbase_runtime::sqlx::query(sql)
            .execute(db.sqlite().expect("SQLite"))
            .await
            .expect("legacy layout");
    }
    db.migrate(&Migrations::None).await.expect("migrate");
    db.migrate(&Migrations::None)
        .await
        .expect("a second start finds nothing to move");
    assert_eq!(
        run_tables(&db, "main").await,
        0,
        "the old table is gone from the app's file"
    );
    let (trace_id, duration_ms): (String, i64) = bunbase_runtime::sqlx::query_as(
        "SELECT trace_id, duration_ms FROM bunbase_runs WHERE id = 'old-1'",
    )
    .fetch_one(db.sqlite().expect("SQLite"))
    .await
    .expect("the old run is in the history file");
    assert_eq!(trace_id, "t-old");
    assert_eq!(duration_ms, 3);
    db.close().await;
}

#[tokio::test]
async fn sqlite_flushes_history_on_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    shutdown_suite(&format!(
        "sqlite://{}/app.db?mode=rwc",
        dir.path().display()
    ))
    .await;
}

#[tokio::test]
async fn postgres_history_readiness_and_migrations() {
    let Some(pg) = PgDb::create("postgres_history_readiness_and_migrations").await else {
        return;
    };
    let outcome = AssertUnwindSafe(history_suite(&pg.url, Dialect::Postgres))
        .catch_unwind()
        .await;
    pg.drop_db().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[tokio::test]
async fn postgres_flushes_history_on_shutdown() {
    let Some(pg) = PgDb::create("postgres_flushes_history_on_shutdown").await else {
        return;
    };
    let outcome = AssertUnwindSafe(shutdown_suite(&pg.url))
        .catch_unwind()
        .await;
    pg.drop_db().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[tokio::test]
async fn migrations_from_a_folder_and_a_missing_folder() {
    let dir = tempfile::tempdir().unwrap();
    let mig = dir.path().join("migrations");
    std::fs::create_dir(&mig).unwrap();
    std::fs::write(mig.join("0001_create_notes.sql"), MIGRATIONS[0].1).unwrap();
    let rt = Runtime::start(config(&format!(
        "sqlite://{}/app.db?mode=rwc",
        dir.path().display()
    )))
    .await
    .unwrap();
    rt.migrate(&Migrations::Dir(mig))
        .await
        .expect("folder migrations");
    rt.migrate(&Migrations::Dir(dir.path().join("absent")))
        .await
        .expect("a missing folder is only a warning");
    let n: i64 = bunbase_runtime::sqlx::query_scalar("SELECT COUNT(*) AS n FROM notes")
        .fetch_one(rt.db().sqlite().expect("SQLite"))
        .await
        .unwrap();
    assert_eq!(n, 0);
    static BAD: &[(&str, &str)] = &[MIGRATIONS[0], ("0003_broken.sql", "CREATE TABLE oops (")];
    let err = rt
        .migrate(&Migrations::embedded(BAD))
        .await
        .expect_err("broken SQL fails");
    assert!(err.to_string().contains("fix the SQL"), "{err}");
    let err = rt
        .migrate(&Migrations::embedded(&[("first.sql", "SELECT 1")]))
        .await
        .expect_err("unnumbered file");
    assert!(
        err.to_string().contains("must start with a number"),
        "{err}"
    );
}

#[tokio::test]
async fn full_channel_drops_and_counts_instead_of_blocking() {
    struct Slow;
    impl bunbase_runtime::runs::RunSink for Slow {
        fn write<'a>(
            &'a self,
            _batch: &'a [bunbase_runtime::runs::RunRecord],
        ) -> bunbase_runtime::futures::future::BoxFuture<'a, Result<(), bunbase_runtime::db::DbError>>
        {
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(())
            })
        }
    }
    let (rt, _d) = common::runtime().await;
    let recorder = bunbase_runtime::runs::RunRecorder::spawn(
        std::sync::Arc::new(Slow),
        RecorderOptions {
            capacity: 2,
            batch_size: 1,
            flush_interval: Duration::from_secs(3600),
            ..RecorderOptions::default()
        },
    );
    let record = |i: usize| bunbase_runtime::runs::RunRecord {
        id: i.to_string(),
        action: "a.b".into(),
        trigger: "direct".into(),
        status: bunbase_runtime::runs::RunStatus::Ok,
        error_code: None,
        duration_ms: 0,
        attempt: 1,
        trace_id: "t".into(),
        started_at: "2026-01-01T00:00:00.000Z".into(),
    };
    // The writer takes the first record and blocks in the sink; two more fill
    // the pending list; the rest are dropped without blocking this task.
    for i in 0..50 {
        recorder.record(record(i));
        tokio::task::yield_now().await;
    }
    assert!(recorder.dropped() >= 40, "dropped {}", recorder.dropped());
    drop(rt);
}

/// `RUN_HISTORY=sampled` stores every failed run and, of each action's
/// successful runs, at most `per_second` in a second; the rest are counted.
#[tokio::test]
async fn sampled_history_keeps_every_failure_and_bounds_successes() {
    let mut c = Config::for_test("history");
    c.run_history = bunbase_runtime::runs::RunHistory::Sampled { per_second: 2 };
    let rt = Runtime::start(c).await.expect("start");
    rt.migrate(&Migrations::embedded(MIGRATIONS))
        .await
        .expect("migrate");
    let app = rt.app(routes(&rt));
    for _ in 0..6 {
        let ok = send(&app, request("POST", "/ok").body(Body::empty()).unwrap()).await;
        assert_eq!(ok.status, 200);
    }
    for _ in 0..3 {
        let failed = send(&app, request("POST", "/fail").body(Body::empty()).unwrap()).await;
        assert_eq!(failed.status, 422);
    }
    rt.runs().flush().await;
    // Six quick requests span at most two seconds' windows of two runs.
    let stored_ok = count_runs(rt.db(), "notes.ok").await;
    assert!((2..=4).contains(&stored_ok), "stored {stored_ok} of 6");
    assert_eq!(count_runs(rt.db(), "notes.fail").await, 3, "every failure");
    assert_eq!(rt.runs().skipped(), 6 - stored_ok as u64);
}

/// `RUN_HISTORY=errors` stores failed runs only and counts the rest;
/// `off` stores none.
#[tokio::test]
async fn run_history_setting_keeps_errors_only_or_nothing() {
    for (history, stored_ok, stored_failed) in [
        (bunbase_runtime::runs::RunHistory::Errors, 0, 1),
        (bunbase_runtime::runs::RunHistory::Off, 0, 0),
    ] {
        let mut c = Config::for_test("history");
        c.run_history = history;
        let rt = Runtime::start(c).await.expect("start");
        rt.migrate(&Migrations::embedded(MIGRATIONS))
            .await
            .expect("migrate");
        let app = rt.app(routes(&rt));
        let ok = send(&app, request("POST", "/ok").body(Body::empty()).unwrap()).await;
        assert_eq!(ok.status, 200);
        let failed = send(&app, request("POST", "/fail").body(Body::empty()).unwrap()).await;
        assert_eq!(failed.status, 422);
        rt.runs().flush().await;
        assert_eq!(
            count_runs(rt.db(), "notes.ok").await,
            stored_ok,
            "{history:?}"
        );
        assert_eq!(
            count_runs(rt.db(), "notes.fail").await,
            stored_failed,
            "{history:?}"
        );
        assert_eq!(
            rt.runs().skipped(),
            2 - stored_failed as u64,
            "{history:?}: the runs not stored are counted"
        );
    }
}

#[tokio::test]
async fn in_memory_sqlite_keeps_one_database_for_the_runtime() {
    let rt = Runtime::start(Config::for_test("mem"))
        .await
        .expect("start");
    rt.migrate(&Migrations::embedded(MIGRATIONS))
        .await
        .expect("migrate");
    let app = rt.app(routes(&rt));
    for _ in 0..3 {
        let r = send(&app, request("POST", "/ok").body(Body::empty()).unwrap()).await;
        assert_eq!(r.json(), serde_json::json!({ "notes": 1 }));
    }
    rt.runs().flush().await;
    assert_eq!(count_runs(rt.db(), "notes.ok").await, 3);
}
