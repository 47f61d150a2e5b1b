//! Measures the action pipeline in process (no TCP): requests per second through `Runtime::app` for a validated JSON action, with and without a session guard, with run history on.
//!
//! Run with `cargo run --release -p bunbase-runtime --example pipeline_bench [requests] [concurrency]`.

use std::time::Instant;

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::body::Body;
use bunbase_runtime::axum::http::Request;
use bunbase_runtime::axum::routing::post;
use bunbase_runtime::serde::Deserialize;
use bunbase_runtime::validate::{Pointer, Validate, Violations, check};
use bunbase_runtime::{
    ActionContext, ActionSpec, ApiError, Config, GuardSpec, HttpRequest, Principal, RetryPolicy,
    Runtime,
};
use tower::ServiceExt as _;

#[derive(Debug, Clone, Deserialize)]
#[serde(crate = "::bunbase_runtime::serde", deny_unknown_fields)]
struct Input {
    title: String,
    tags: Vec<String>,
}

impl Validate for Input {
    fn validate_into(&self, at: &Pointer, out: &mut Violations) {
        check::min_len(out, &at.field("title"), &self.title, 1);
        check::max_len(out, &at.field("title"), &self.title, 200);
        check::unique(out, &at.field("tags"), &self.tags);
    }
}

static OPEN: ActionSpec = ActionSpec {
    name: "bench.open",
    guards: &[],
    retry: RetryPolicy::NONE,
};
static GUARDED: ActionSpec = ActionSpec {
    name: "bench.guarded",
    guards: &[GuardSpec::Authenticated],
    retry: RetryPolicy::NONE,
};

fn route(rt: &Runtime, spec: &'static ActionSpec) -> bunbase_runtime::axum::routing::MethodRouter {
    let rt = rt.clone();
    post(move |req: HttpRequest| async move {
        spec.run_http(
            &rt,
            req,
            200,
            |r| r.json::<Input>(),
            |_ctx: ActionContext, i: Input| async move {
                Ok::<_, ApiError>(serde_json::json!({ "title": i.title, "tags": i.tags }))
            },
        )
        .await
    })
}

async fn run(
    app: &Router,
    path: &'static str,
    cookie: Option<String>,
    n: usize,
    conc: usize,
) -> f64 {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..conc {
        let app = app.clone();
        let cookie = cookie.clone();
        tasks.push(tokio::spawn(async move {
            for _ in (w..n).step_by(conc) {
                let mut b = Request::builder()
                    .method("POST")
                    .uri(path)
                    .header("content-type", "application/json");
                if let Some(c) = &cookie {
                    b = b.header("cookie", format!("bunbase_session={c}"));
                }
                let req = b
                    .body(Body::from(r#"{"title":"hello","tags":["a","b","c"]}"#))
                    .unwrap();
                let res = app.clone().oneshot(req).await.unwrap();
                assert_eq!(res.status(), 200);
                // A real server yields on socket I/O between requests; an
                // in-process loop never would, starving the run writer.
                tokio::task::yield_now().await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(50_000);
    let conc = args.get(1).copied().unwrap_or(16);
    let dir = std::env::temp_dir().join(format!("bunbase-bench-{}", std::process::id()));
    let mut config = Config::for_test("bench");
    config.database_url = format!("sqlite://{}/bench.db?mode=rwc", dir.display());
    let rt = Runtime::start(config).await.expect("start");
    let app = rt.app(
        Router::new()
            .route("/open", route(&rt, &OPEN))
            .route("/guarded", route(&rt, &GUARDED)),
    );
    let cookie = rt
        .sessions()
        .sign(&Principal::new("bench-user").with_role("admin"));
    run(&app, "/open", None, n / 10, conc).await; // warm-up
    let open = run(&app, "/open", None, n, conc).await;
    let guarded = run(&app, "/guarded", Some(cookie), n, conc).await;
    rt.runs().flush().await;
    println!(
        "method: in-process oneshot through Runtime::app, {n} requests per scenario, {conc} concurrent tasks, SQLite run history on"
    );
    println!("open action (decode + validate + handler + run record): {open:.0} req/s");
    println!("guarded action (+ HMAC session verify):                 {guarded:.0} req/s");
    println!(
        "run history: {} written, {} dropped",
        rt.runs().written(),
        rt.runs().dropped()
    );
    // The writer alone: how fast batches reach the table.
    let sink = bunbase_runtime::runs::DbRunSink(rt.db().clone());
    let rows: Vec<bunbase_runtime::runs::RunRecord> = (0..n)
        .map(|i| bunbase_runtime::runs::RunRecord {
            id: format!("bench-{i}"),
            action: "bench.sink".into(),
            trigger: "direct".into(),
            status: bunbase_runtime::runs::RunStatus::Ok,
            error_code: None,
            duration_ms: 1,
            attempt: 1,
            trace_id: "0123456789abcdef0123456789abcdef".into(),
            started_at: "2026-01-01T00:00:00.000Z".into(),
        })
        .collect();
    let started = Instant::now();
    for batch in rows.chunks(1024) {
        bunbase_runtime::runs::RunSink::write(&sink, batch)
            .await
            .expect("write");
    }
    println!(
        "run writer alone: {:.0} rows/s (batches of 1024)",
        n as f64 / started.elapsed().as_secs_f64()
    );
    rt.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
