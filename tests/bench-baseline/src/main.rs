//! A hand-written axum server for `POST /api/tasks`: the baseline the generated `tasks.create_task` is measured against.
//!
//! By default it does, by hand, the work the example's contract gives the
//! generated endpoint, with the same observable behaviour on the success
//! path:
//! - takes the trace id from `x-request-id` / `traceparent` or makes one
//!   (`bunbase_runtime::TraceId`), and echoes it in `x-request-id`;
//! - verifies the signed `bunbase_session` cookie (HMAC-SHA256, through
//!   `bunbase_runtime::SessionManager`), 401 without a valid one;
//! - requires `content-type: application/json` (415 otherwise);
//! - decodes the body with a serde derive (`deny_unknown_fields`, defaults
//!   for `status` and `tags`) and validates the contract's constraints by
//!   hand (title 1..=200 chars, description <= 5000, tags <= 20 and unique),
//!   400 with the error envelope listing every violation;
//! - inserts the same row with the same SQL and binds into the same schema
//!   (the generated example's migration) through `bunbase_runtime::Db`
//!   (same pool size and SQLite pragmas);
//! - emits `task.created` the way a hand-written server would: the
//!   subscriber (`on_task_created`, which logs `task created` with the
//!   trace id) runs on its own task after the response is decided;
//! - records both runs (`tasks.create_task` over HTTP, whatever its outcome,
//!   and `tasks.on_task_created` from the event) in `bunbase_runs` through
//!   `bunbase_runtime::runs::RunRecorder`, the same batched writer;
//! - answers 201 with the same `Task` JSON;
//! - uses the same global allocator (mimalloc) as the generated server.
//!
//! It does not use the pipeline, the guard or retry machinery, the event
//! bus, the generated decoder or the middleware layers: what the benchmark
//! measures is what they cost against writing the same thing by hand.
//!
//! With `BENCH_BASELINE=minimal` it does only the endpoint itself: no trace
//! id, no run history, and the subscriber's log line written inline. The
//! benchmark reports the generated server against it too, as the cost of
//! the contract's event and of run history.
//!
//! With `BENCH_BASELINE=noio` it is the baseline of `cargo xtask bench
//! overhead`: the same session check, content type, decoding and
//! validation, the task built in memory and answered 201, and nothing
//! else: no database (none is opened), no trace id, no run history, no log
//! line.
//!
//! Configuration: `PORT` (0 = any), `DATABASE_URL`, `SESSION_SECRET`,
//! `BENCH_BASELINE`. On start it seeds one user and prints
//! `API: http://ADDR/api` and `Cookie: bunbase_session=...` (a session
//! signed for that user).

use std::sync::Arc;
use std::time::Instant;

use bunbase_runtime::axum::body::Bytes;
use bunbase_runtime::axum::extract::State;
use bunbase_runtime::axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use bunbase_runtime::axum::response::{IntoResponse, Response};
use bunbase_runtime::axum::routing::post;
use bunbase_runtime::axum::{Json, Router};
use bunbase_runtime::chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use bunbase_runtime::runs::{DbRunSink, RecorderOptions, RunRecord, RunRecorder, RunStatus};
use bunbase_runtime::serde::{Deserialize, Serialize};
use bunbase_runtime::uuid::Uuid;
use bunbase_runtime::{
    ApiError, Db, Migrations, Principal, SessionManager, TraceId, Violation, sqlx, tokio, tracing,
};

/// The allocator the generated server's scaffold declares, so the benchmark
/// compares the work each server does, not two allocators.
#[global_allocator]
static GLOBAL: bunbase_runtime::MiMalloc = bunbase_runtime::MiMalloc;

/// The example's tasks and users, as portable TEXT SQL (ids and RFC 3339
/// times as text), applied the same way the generated server applies its own.
static MIGRATIONS: &[(&str, &str)] = &[(
    "0001_init.sql",
    "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, \
     password_hash TEXT NOT NULL, created_at TEXT NOT NULL);\n\
     CREATE TABLE tasks (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL REFERENCES users (id), \
     title TEXT NOT NULL, description TEXT, status TEXT NOT NULL, tags TEXT NOT NULL, due_at TEXT, \
     created_at TEXT NOT NULL, updated_at TEXT NOT NULL);\n\
     CREATE INDEX tasks_owner_created ON tasks (owner_id, created_at, id);\n",
)];

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(crate = "bunbase_runtime::serde", rename_all = "snake_case")]
enum TaskStatus {
    #[default]
    Open,
    InProgress,
    Done,
}

impl TaskStatus {
    fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Done => "done",
        }
    }
}

/// The input of `create_task`, as a hand-written handler would declare it.
#[derive(Debug, Deserialize)]
#[serde(crate = "bunbase_runtime::serde", deny_unknown_fields)]
struct CreateTaskInput {
    title: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    status: TaskStatus,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    due_at: Option<DateTime<Utc>>,
}

impl CreateTaskInput {
    /// The contract's constraints, checked by hand; every violation is reported.
    fn violations(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut bad = |path: &str, code: &str, message: &str| {
            out.push(Violation {
                path: path.into(),
                code: code.into(),
                message: message.into(),
            });
        };
        let title = self.title.chars().count();
        if title < 1 {
            bad("/title", "min_len", "must be at least 1 character long");
        }
        if title > 200 {
            bad("/title", "max_len", "must be at most 200 characters long");
        }
        if self
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 5000)
        {
            bad(
                "/description",
                "max_len",
                "must be at most 5000 characters long",
            );
        }
        if self.tags.len() > 20 {
            bad("/tags", "max_items", "must have at most 20 items");
        }
        if self
            .tags
            .iter()
            .enumerate()
            .any(|(i, t)| self.tags[..i].contains(t))
        {
            bad("/tags", "unique", "items must be unique");
        }
        out
    }
}

/// The response: the same fields, in the same order, as the generated `Task`.
#[derive(Debug, Serialize)]
#[serde(crate = "bunbase_runtime::serde")]
struct Task {
    id: Uuid,
    owner_id: Uuid,
    title: String,
    description: Option<String>,
    status: TaskStatus,
    tags: Vec<String>,
    due_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Clone)]
struct AppState {
    /// The database; `None` with `BENCH_BASELINE=noio`.
    db: Option<Db>,
    /// `BENCH_BASELINE=noio`: answer the task without storing it.
    noio: bool,
    sessions: SessionManager,
    /// The run writer; `None` with `BENCH_BASELINE=minimal`.
    runs: Option<RunRecorder>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// `POST /api/tasks`: the endpoint, plus (unless minimal) the trace id, the
/// run of `create_task` and the `task.created` subscriber on its own task.
async fn create_task(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    if st.noio {
        return match handle(&st, &headers, &body).await {
            Ok(task) => (StatusCode::CREATED, Json(task)).into_response(),
            Err((e, _)) => e.into_response(),
        };
    }
    let Some(runs) = st.runs.clone() else {
        return match handle(&st, &headers, &body).await {
            Ok(task) => {
                tracing::info!(task_id = %task.id, owner_id = %task.owner_id, title = %task.title, "task created");
                (StatusCode::CREATED, Json(task)).into_response()
            }
            Err((e, _)) => e.into_response(),
        };
    };
    let started = Instant::now();
    let started_at = Utc::now();
    let trace = TraceId::from_headers(&headers);
    let result = handle(&st, &headers, &body).await;
    let (error_code, attempt) = match &result {
        Ok(_) => (None, 1),
        Err((e, attempts)) => (Some(e.code()), *attempts),
    };
    runs.record(run_record(
        "tasks.create_task",
        "http",
        &trace,
        started,
        started_at,
        error_code,
        attempt,
    ));
    let mut res = match result {
        Ok(task) => {
            let (runs, trace, title) = (runs, trace.clone(), task.title.clone());
            let (task_id, owner_id) = (task.id, task.owner_id);
            tokio::spawn(async move {
                let started = Instant::now();
                let started_at = Utc::now();
                tracing::info!(trace_id = %trace, %task_id, %owner_id, %title, "task created");
                let run = run_record(
                    "tasks.on_task_created",
                    "event",
                    &trace,
                    started,
                    started_at,
                    None,
                    1,
                );
                runs.record(run);
            });
            (StatusCode::CREATED, Json(task)).into_response()
        }
        Err((e, _)) => e.into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(trace.as_str()) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// One run for `bunbase_runs`, as the generated pipeline records it.
fn run_record(
    action: &str,
    trigger: &str,
    trace: &TraceId,
    started: Instant,
    started_at: DateTime<Utc>,
    error_code: Option<&str>,
    attempt: i64,
) -> RunRecord {
    RunRecord {
        id: Uuid::now_v7().to_string(),
        action: action.to_owned(),
        trigger: trigger.to_owned(),
        status: if error_code.is_some() {
            RunStatus::Error
        } else {
            RunStatus::Ok
        },
        error_code: error_code.map(str::to_owned),
        duration_ms: started.elapsed().as_millis().min(i64::MAX as u128) as i64,
        attempt,
        trace_id: trace.to_string(),
        started_at: started_at.to_rfc3339_opts(SecondsFormat::Millis, true),
    }
}

/// Session, content type, decoding, validation and the insert: the task, or
/// the error with the attempts made (0 when the insert never ran).
async fn handle(st: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Task, (ApiError, i64)> {
    let Some(session) = st.sessions.from_headers(headers) else {
        return Err((ApiError::unauthorized("sign in first"), 0));
    };
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        let e = ApiError::framework(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send application/json",
        );
        return Err((e, 0));
    }
    let input: CreateTaskInput = match bunbase_runtime::serde_json::from_slice(body) {
        Ok(input) => input,
        Err(e) => {
            let v = Violation {
                path: String::new(),
                code: "invalid_value".into(),
                message: e.to_string(),
            };
            return Err((ApiError::validation(vec![v]), 0));
        }
    };
    let violations = input.violations();
    if !violations.is_empty() {
        return Err((ApiError::validation(violations), 0));
    }
    let Ok(owner_id) = Uuid::try_parse(&session.principal.user_id) else {
        return Err((ApiError::unauthorized("sign in first"), 0));
    };
    let now = Utc::now().trunc_subsecs(6);
    let task = Task {
        id: Uuid::now_v7(),
        owner_id,
        title: input.title,
        description: input.description,
        status: input.status,
        tags: input.tags,
        due_at: input.due_at,
        created_at: now,
        updated_at: now,
    };
    let Some(db) = &st.db else {
        return Ok(task);
    };
    let tags = bunbase_runtime::serde_json::to_string(&task.tags).unwrap_or_else(|_| "[]".into());
    bunbase_runtime::with_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO tasks (id, owner_id, title, description, status, tags, due_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(task.id.to_string())
        .bind(task.owner_id.to_string())
        .bind(&task.title)
        .bind(task.description.clone())
        .bind(task.status.as_str())
        .bind(tags)
        .bind(task.due_at.map(ts))
        .bind(ts(task.created_at))
        .bind(ts(task.updated_at))
        .execute(pool)
        .await
        .map(drop)
    })
    .map_err(|e| (ApiError::internal(e), 1))?;
    Ok(task)
}

#[bunbase_runtime::tokio::main(crate = "bunbase_runtime::tokio")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    bunbase_runtime::init_tracing();
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let url =
        env("DATABASE_URL").unwrap_or_else(|| "sqlite://./data/bench_baseline.db?mode=rwc".into());
    let secret = env("SESSION_SECRET").ok_or("set SESSION_SECRET (at least 32 characters)")?;
    let port: u16 = env("PORT").map(|p| p.parse()).transpose()?.unwrap_or(0);
    let mode = env("BENCH_BASELINE").unwrap_or_default();
    let (minimal, noio) = (mode == "minimal", mode == "noio");
    let sessions = SessionManager::new(vec![secret.into_bytes()])?;
    let user = Uuid::now_v7();
    let cookie = sessions.sign(&Principal::new(user.to_string()));
    let (db, runs) = if noio {
        (None, None)
    } else {
        // The runtime's default pool size (`DATABASE_MAX_CONNECTIONS`, 10).
        let db = Db::connect_with(&url, 10).await?;
        db.migrate(&Migrations::embedded(MIGRATIONS)).await?;
        bunbase_runtime::with_pool!(db, pool => {
            sqlx::query("INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(user.to_string())
                .bind("bench@example.com")
                .bind("Bench User")
                .bind("-")
                .bind(ts(Utc::now()))
                .execute(pool)
                .await?;
        });
        let runs = (!minimal).then(|| {
            RunRecorder::spawn(Arc::new(DbRunSink(db.clone())), RecorderOptions::default())
        });
        (Some(db), runs)
    };
    let app = Router::new()
        .route("/api/tasks", post(create_task))
        .with_state(Arc::new(AppState {
            db,
            noio,
            sessions,
            runs,
        }));
    let listener = bunbase_runtime::tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("API: http://{}/api", listener.local_addr()?);
    println!(
        "Cookie: {}={cookie}",
        bunbase_runtime::session::SESSION_COOKIE
    );
    bunbase_runtime::axum::serve(listener, app).await?;
    Ok(())
}
