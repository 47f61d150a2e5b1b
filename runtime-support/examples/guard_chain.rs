//! The guard chain's cost per request: one action that inserts a row, served with the chain (session from its table, role from the database through the cache, a rate limit) and without it, in process through the whole request layer; `cargo xtask bench guards` runs it in release.
//!
//! Pairs of short runs alternate which variant goes first; the reported
//! overhead is the median of the pairs' ratios (a pair sees the same
//! machine, so the host's drift cancels). The judged figure is CPU time per
//! request (every thread of the process, SQLite's workers included, from
//! `/proc/self/task/*/schedstat`), which a busy machine disturbs far less
//! than throughput; throughput is printed beside it. Prints one `RESULT
//! <limiter> <overhead>` line per limiter for the xtask to judge.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::body::Body;
use bunbase_runtime::axum::http::Request;
use bunbase_runtime::axum::routing::post;
use bunbase_runtime::{
    ActionContext, ActionSpec, ApiError, Config, GuardSpec, HttpRequest, RateLimitKey, RetryPolicy,
    Runtime,
};
use tower::ServiceExt as _;

static GUARDED: ActionSpec = ActionSpec {
    name: "bench.guarded",
    guards: &[
        GuardSpec::Authenticated,
        GuardSpec::HasRole { role: "member" },
        GuardSpec::RateLimit {
            limit: u32::MAX,
            window_ms: 60_000,
            key: RateLimitKey::User,
        },
    ],
    retry: RetryPolicy::NONE,
};

static PLAIN: ActionSpec = ActionSpec {
    name: "bench.plain",
    guards: &[],
    retry: RetryPolicy::NONE,
};

fn route(rt: &Runtime, spec: &'static ActionSpec) -> bunbase_runtime::axum::routing::MethodRouter {
    let rt = rt.clone();
    post(move |req: HttpRequest| async move {
        spec.run_http(
            &rt,
            req,
            201,
            |r| r.json::<serde_json::Value>(),
            |ctx: ActionContext, input: serde_json::Value| async move {
                let id = bunbase_runtime::uuid::Uuid::now_v7().to_string();
                let title = input["title"].as_str().unwrap_or("").to_owned();
                bunbase_runtime::with_pool!(ctx.db, pool => {
                    bunbase_runtime::sqlx::query("INSERT INTO bench_items (id, title) VALUES ($1, $2)")
                        .bind(&id)
                        .bind(&title)
                        .execute(pool)
                        .await?;
                });
                Ok::<_, ApiError>(serde_json::json!({ "id": id }))
            },
        )
        .await
    })
}

/// CPU time of every thread of this process so far, in nanoseconds (0
/// where `/proc` is missing).
fn cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| t.ok())
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| {
            s.split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
        })
        .sum()
}

/// One run's figures.
#[derive(Clone, Copy)]
struct Run {
    /// Requests per second.
    rate: f64,
    /// CPU nanoseconds per request, all threads.
    cpu: f64,
}

/// Requests per second and CPU per request over `secs` with `workers`
/// concurrent callers.
async fn throughput(
    app: &Router,
    path: &'static str,
    cookie: Option<&str>,
    workers: usize,
    secs: f64,
) -> Run {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    let cpu_before = cpu_ns();
    let started = Instant::now();
    for _ in 0..workers {
        let (app, stop, done) = (app.clone(), stop.clone(), done.clone());
        let cookie = cookie.map(|c| format!("bunbase_session={c}"));
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let mut req = Request::builder()
                    .method("POST")
                    .uri(path)
                    .header("content-type", "application/json");
                if let Some(c) = &cookie {
                    req = req.header("cookie", c);
                }
                let req = req
                    .body(Body::from(r#"{"title":"Write the release notes"}"#))
                    .unwrap();
                let res = app.clone().oneshot(req).await.unwrap();
                assert_eq!(res.status(), 201, "{path} answered {}", res.status());
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let n = done.load(Ordering::Relaxed).max(1) as f64;
    Run {
        rate: n / started.elapsed().as_secs_f64(),
        cpu: cpu_ns().saturating_sub(cpu_before) as f64 / n,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

async fn measure(label: &str, redis: Option<String>, pairs: usize, secs: f64) {
    let dir = std::env::temp_dir().join(format!("bunbase-guard-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = Config::for_test(&format!("guard_bench_{}", std::process::id()));
    config.database_url = format!("sqlite://{}/bench.db?mode=rwc", dir.display());
    config.rate_limit_redis_url = redis;
    let rt = Runtime::start(config).await.expect("runtime starts");
    bunbase_runtime::with_pool!(rt.db(), pool => {
        bunbase_runtime::sqlx::query(
            "CREATE TABLE IF NOT EXISTS bench_items (id TEXT PRIMARY KEY, title TEXT NOT NULL)",
        )
        .execute(pool)
        .await
        .unwrap();
    });
    rt.auth().grant_role("bench-user", "member").await.unwrap();
    let (_, cookie) = rt.auth().create_session("bench-user").await.unwrap();
    let cookie = cookie
        .as_str()
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let app = rt.app(
        Router::new()
            .route("/guarded", route(&rt, &GUARDED))
            .route("/plain", route(&rt, &PLAIN)),
    );
    let workers = 8;
    // Warm up both (pool connections, caches).
    throughput(&app, "/plain", None, workers, 0.5).await;
    throughput(&app, "/guarded", Some(&cookie), workers, 0.5).await;
    let (mut cpu_ratios, mut rate_ratios) = (Vec::new(), Vec::new());
    let (mut plain_cpu, mut guarded_cpu) = (Vec::new(), Vec::new());
    for i in 0..pairs {
        let (p, g) = if i % 2 == 0 {
            let p = throughput(&app, "/plain", None, workers, secs).await;
            (
                p,
                throughput(&app, "/guarded", Some(&cookie), workers, secs).await,
            )
        } else {
            let g = throughput(&app, "/guarded", Some(&cookie), workers, secs).await;
            (throughput(&app, "/plain", None, workers, secs).await, g)
        };
        cpu_ratios.push(g.cpu / p.cpu - 1.0);
        rate_ratios.push(p.rate / g.rate - 1.0);
        plain_cpu.push(p.cpu);
        guarded_cpu.push(g.cpu);
    }
    let cpu = median(cpu_ratios.clone());
    let rate = median(rate_ratios);
    let spread = |v: &[f64]| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo * 100.0, hi * 100.0)
    };
    let (lo, hi) = spread(&cpu_ratios);
    println!(
        "{label}: CPU per request unguarded {:.1} µs, guarded {:.1} µs: the guard chain costs {:+.1} % (median of {pairs} pairs, from {lo:+.1} % to {hi:+.1} %); throughput cost {:+.1} %",
        median(plain_cpu) / 1000.0,
        median(guarded_cpu) / 1000.0,
        cpu * 100.0,
        rate * 100.0,
    );
    println!("RESULT {label} {cpu:.4}");
    rt.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::main]
async fn main() {
    let pairs: usize = std::env::var("BENCH_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let secs: f64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.5);
    measure("memory", None, pairs, secs).await;
    match std::env::var("BUNBASE_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(url) => measure("redis", Some(url), pairs, secs).await,
        None => {
            println!("redis: skipped (set BUNBASE_TEST_REDIS_URL to measure the shared limiter)")
        }
    }
}
