//! Multi-process tests of the queue, scheduler and event bus: worker processes SIGKILLed during 10,000 jobs, a PostgreSQL restart under running workers, two processes sharing one schedule, and events crossing processes (durable on PostgreSQL, and NATS).
//!
//! This test binary has no libtest harness: run without arguments it runs
//! every scenario, starting copies of itself as the worker, scheduler or
//! subscriber processes (`BB_QP_ROLE` says which role a copy plays), and
//! ends with a `N passed, N failed, N skipped` line. Pass scenario names to
//! run only those.

mod queue_support;

use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bunbase_runtime::jobs::{JobState, Jobs};
use bunbase_runtime::sqlx::{self, Connection as _};
use bunbase_runtime::{Config, Runtime, tokio};
use queue_support::TestDb;

#[path = "queue_support/roles.rs"]
mod roles;

type Outcome = Result<(), String>;

/// A scenario: `Ok(None)` skipped (with the reason printed), `Ok(Some)` passed.
type Scenario = fn() -> Result<Option<()>, String>;

const SCENARIOS: &[(&str, Scenario)] = &[
    ("chaos_sigkill_postgres", || {
        run(chaos("chaos_sigkill_postgres", true))
    }),
    ("chaos_sigkill_sqlite", || {
        run(chaos("chaos_sigkill_sqlite", false))
    }),
    ("postgres_restart", || run(postgres_restart())),
    ("cron_two_processes_postgres", || {
        run(cron_two("cron_two_processes_postgres", true))
    }),
    ("cron_two_processes_sqlite", || {
        run(cron_two("cron_two_processes_sqlite", false))
    }),
    ("events_cross_processes_durable", || run(events_durable())),
    ("events_cross_processes_nats", || run(events_nats("nats"))),
    ("events_cross_processes_jetstream", || {
        run(events_nats("jetstream"))
    }),
];

fn run(fut: impl Future<Output = Result<Option<()>, String>>) -> Result<Option<()>, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fut)
}

fn main() -> ExitCode {
    if let Ok(role) = std::env::var("BB_QP_ROLE") {
        return roles::main(&role);
    }
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for (name, scenario) in SCENARIOS {
        if !wanted.is_empty() && !wanted.iter().any(|w| name.contains(w.as_str())) {
            continue;
        }
        let t0 = Instant::now();
        match std::panic::catch_unwind(scenario) {
            Ok(Ok(Some(()))) => {
                passed += 1;
                println!("test {name} ... ok ({:.1} s)", t0.elapsed().as_secs_f64());
            }
            Ok(Ok(None)) => {
                skipped += 1;
                println!("test {name} ... skipped");
            }
            Ok(Err(e)) => {
                failed += 1;
                println!("test {name} ... FAILED: {e}");
            }
            Err(_) => {
                failed += 1;
                println!("test {name} ... FAILED (panicked)");
            }
        }
    }
    println!("queue_processes: {passed} passed, {failed} failed, {skipped} skipped");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Starts a copy of this binary in `role` with `env`.
fn spawn(role: &str, env: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary path"));
    cmd.env("BB_QP_ROLE", role)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    if std::env::var("BB_QP_VERBOSE").is_err() {
        cmd.stderr(Stdio::null());
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("start a worker process")
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Outcome {
    if ok { Ok(()) } else { Err(what()) }
}

/// Counts rows of `sql` (a `SELECT COUNT(*)`-like query of two columns).
async fn two(url: &str, sql: &'static str) -> (i64, i64) {
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query_as::<_, (i64, i64)>(sql)
            .fetch_one(&mut c)
            .await
            .expect(sql)
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query_as::<_, (i64, i64)>(sql)
            .fetch_one(&mut c)
            .await
            .expect(sql)
    }
}

async fn exec(url: &str, sql: &'static str) {
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(sql).execute(&mut c).await.expect(sql);
    }
}

/// Creates the runtime's tables once, before processes that start at the
/// same moment each try to.
async fn runtime_tables(url: &str) -> Outcome {
    let mut c = Config::for_test("setup");
    c.database_url = url.to_owned();
    c.jobs_worker = false;
    let rt = Runtime::start(c).await.map_err(|e| e.to_string())?;
    rt.jobs().ready().await.map_err(|e| e.to_string())?;
    rt.shutdown().await;
    Ok(())
}

/// 10,000 jobs, three worker processes, one SIGKILLed (and replaced) every
/// two seconds. Every job's side effect is written in the transaction that
/// completes it, so each must appear exactly once.
async fn chaos(name: &str, postgres: bool) -> Result<Option<()>, String> {
    let db = if postgres {
        match TestDb::postgres(name) {
            Some(db) => db,
            None => return Ok(None),
        }
    } else {
        TestDb::sqlite()
    };
    let url = db.url().to_owned();
    let jobs = Jobs::new(db.backend());
    jobs.ready().await.map_err(|e| e.to_string())?;
    exec(&url, "CREATE TABLE chaos_effects (job_id BIGINT NOT NULL)").await;
    const N: usize = 10_000;
    let batch: Vec<_> = (0..N)
        .map(|i| {
            jobs.job(roles::CHAOS_KIND, &i)
                .max_attempts(100)
                .build()
                .unwrap()
        })
        .collect();
    for chunk in batch.chunks(1000) {
        jobs.enqueue_batch(None, chunk)
            .await
            .map_err(|e| e.to_string())?;
    }
    let env = [("DATABASE_URL", url.clone())];
    let mut workers: Vec<Child> = (0..3).map(|_| spawn("chaos-worker", &env)).collect();
    let t0 = Instant::now();
    let mut kills = 0;
    let mut next_kill = Instant::now() + Duration::from_secs(2);
    let result = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let counts = jobs.counts().await.map_err(|e| e.to_string())?;
        if counts.live() == 0 {
            break Ok(());
        }
        if t0.elapsed() > Duration::from_secs(240) {
            break Err(format!("not done after 240 s: {counts:?}"));
        }
        if Instant::now() >= next_kill {
            let victim = kills % workers.len();
            let _ = workers[victim].kill(); // SIGKILL
            let _ = workers[victim].wait();
            workers[victim] = spawn("chaos-worker", &env);
            kills += 1;
            next_kill = Instant::now() + Duration::from_secs(2);
        }
    };
    for w in &mut workers {
        let _ = w.kill();
        let _ = w.wait();
    }
    result?;
    let counts = jobs.counts().await.map_err(|e| e.to_string())?;
    check(counts.completed == N as i64 && counts.dead == 0, || {
        format!("{counts:?}")
    })?;
    let (rows, distinct) = two(
        &url,
        "SELECT COUNT(*), COUNT(DISTINCT job_id) FROM chaos_effects",
    )
    .await;
    check(rows == N as i64 && distinct == N as i64, || {
        format!("side effects: {rows} rows for {distinct} jobs, expected {N} and {N}")
    })?;
    let (redelivered, _) = two(
        &url,
        "SELECT COUNT(*), CAST(0 AS BIGINT) FROM bunbase_jobs WHERE attempt > 1",
    )
    .await;
    check(kills >= 2 && redelivered > 0, || {
        format!("the chaos did not bite: {kills} kills, {redelivered} jobs redelivered")
    })?;
    println!("  {name}: {N} jobs, {kills} SIGKILLs, {redelivered} redelivered, every effect once");
    Ok(Some(()))
}

/// A private PostgreSQL cluster (never the shared one) restarted under a
/// running worker process, which must finish every job without a restart
/// of its own.
async fn postgres_restart() -> Result<Option<()>, String> {
    let Some(cluster) = roles::Cluster::start("postgres_restart")? else {
        return Ok(None);
    };
    let url = cluster.url("postgres");
    let jobs = Jobs::new(Arc::new(
        bunbase_runtime::jobs::PostgresJobs::connect_lazy(&url, 2).map_err(|e| e.to_string())?,
    ));
    jobs.ready().await.map_err(|e| e.to_string())?;
    exec(&url, "CREATE TABLE chaos_effects (job_id BIGINT NOT NULL)").await;
    const N: usize = 3_000;
    let batch: Vec<_> = (0..N)
        .map(|i| {
            jobs.job(roles::CHAOS_KIND, &i)
                .max_attempts(100)
                .build()
                .unwrap()
        })
        .collect();
    jobs.enqueue_batch(None, &batch)
        .await
        .map_err(|e| e.to_string())?;
    let mut worker = spawn("chaos-worker", &[("DATABASE_URL", url.clone())]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = jobs.counts().await.map_err(|e| e.to_string());
    let restarted = cluster.restart();
    let (before, ()) = match (before, restarted) {
        (Ok(b), Ok(())) => (b, ()),
        (Err(e), _) | (_, Err(e)) => {
            let _ = worker.kill();
            let _ = worker.wait();
            return Err(e);
        }
    };
    let t0 = Instant::now();
    let result = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Ok(Some(status)) = worker.try_wait() {
            break Err(format!(
                "the worker exited ({status}) instead of recovering"
            ));
        }
        match jobs.counts().await {
            Ok(c) if c.live() == 0 => break Ok(()),
            _ if t0.elapsed() > Duration::from_secs(120) => {
                break Err("not done 120 s after the restart".into());
            }
            _ => {}
        }
    };
    let _ = worker.kill();
    let _ = worker.wait();
    result?;
    check(before.completed < N as i64, || {
        "every job was done before the restart; nothing was tested".into()
    })?;
    let (rows, distinct) = two(
        &url,
        "SELECT COUNT(*), COUNT(DISTINCT job_id) FROM chaos_effects",
    )
    .await;
    check(rows == N as i64 && distinct == N as i64, || {
        format!("{rows} effects for {distinct} jobs")
    })?;
    println!(
        "  postgres_restart: {} of {N} done before the restart, all done after it",
        before.completed
    );
    Ok(Some(()))
}

/// Two processes run the same schedules (every 200 ms, and a six-field
/// cron every second); each tick must run exactly once.
async fn cron_two(name: &str, postgres: bool) -> Result<Option<()>, String> {
    let db = if postgres {
        match TestDb::postgres(name) {
            Some(db) => db,
            None => return Ok(None),
        }
    } else {
        TestDb::sqlite()
    };
    let url = db.url().to_owned();
    exec(
        &url,
        "CREATE TABLE tick_runs (job_id BIGINT NOT NULL, kind TEXT NOT NULL)",
    )
    .await;
    runtime_tables(&url).await?;
    let env = [("DATABASE_URL", url.clone())];
    let mut nodes: Vec<Child> = (0..2).map(|_| spawn("cron-node", &env)).collect();
    tokio::time::sleep(Duration::from_millis(4500)).await;
    for n in &mut nodes {
        let _ = n.kill();
        let _ = n.wait();
    }
    let (jobs_n, keys) = two(
        &url,
        "SELECT COUNT(*), COUNT(DISTINCT unique_key) FROM bunbase_jobs WHERE kind LIKE 'tick%'",
    )
    .await;
    check(jobs_n == keys, || {
        format!("{jobs_n} tick jobs for {keys} ticks: a tick ran twice")
    })?;
    let (every, _) = two(
        &url,
        "SELECT COUNT(*), CAST(0 AS BIGINT) FROM bunbase_jobs WHERE kind = 'tick_every'",
    )
    .await;
    let (cron, _) = two(
        &url,
        "SELECT COUNT(*), CAST(0 AS BIGINT) FROM bunbase_jobs WHERE kind = 'tick_cron'",
    )
    .await;
    check(every >= 8 && cron >= 2, || {
        format!("too few ticks: {every} interval, {cron} cron")
    })?;
    let (runs, distinct) = two(
        &url,
        "SELECT COUNT(*), COUNT(DISTINCT job_id) FROM tick_runs",
    )
    .await;
    check(runs == distinct, || {
        format!("{runs} tick runs for {distinct} jobs")
    })?;
    // Interval ticks are consecutive: none skipped between the first and the last.
    let (span, count) = two(
        &url,
        "SELECT (MAX(CAST(substr(unique_key, 21) AS BIGINT)) - MIN(CAST(substr(unique_key, 21) AS BIGINT))) / 200 + 1, COUNT(*) FROM bunbase_jobs WHERE kind = 'tick_every'",
    )
    .await;
    check(span == count, || {
        format!("{count} interval ticks over a span of {span}")
    })?;
    println!("  {name}: {every} interval ticks and {cron} cron ticks, each once, by two processes");
    Ok(Some(()))
}

/// Durable events on PostgreSQL: two subscriber processes, one emitter;
/// each event runs the subscriber once, in one of them.
async fn events_durable() -> Result<Option<()>, String> {
    let Some(db) = TestDb::postgres("events_cross_processes_durable") else {
        return Ok(None);
    };
    cross_process_events(db.url(), "durable").await
}

/// Events over NATS between processes: core NATS (a queue group per
/// subscriber) or JetStream (a durable consumer per subscriber).
async fn events_nats(mode: &str) -> Result<Option<()>, String> {
    if !cfg!(feature = "nats") {
        return Err("built without the `nats` feature (the dev-dependency turns it on)".into());
    }
    let url = std::env::var("BUNBASE_TEST_NATS_URL").unwrap_or_default();
    if url.is_empty() {
        queue_support::skip(
            &format!("events_cross_processes_{mode}"),
            "BUNBASE_TEST_NATS_URL is not set",
        );
        return Ok(None);
    }
    let db = TestDb::sqlite();
    cross_process_events(db.url(), mode).await
}

async fn cross_process_events(url: &str, mode: &str) -> Result<Option<()>, String> {
    exec(
        url,
        "CREATE TABLE event_effects (id BIGINT NOT NULL, trace_id TEXT NOT NULL)",
    )
    .await;
    exec(url, "CREATE TABLE qp_ready (pid BIGINT NOT NULL)").await;
    runtime_tables(url).await?;
    // A unique subject per run keeps concurrent runs on a shared NATS apart.
    let event = format!("task.created{}", uuid::Uuid::new_v4().simple());
    let env = [
        ("DATABASE_URL", url.to_owned()),
        ("EVENTS", mode.to_owned()),
        ("BB_QP_EVENT", event.clone()),
        (
            "NATS_URL",
            std::env::var("BUNBASE_TEST_NATS_URL").unwrap_or_default(),
        ),
    ];
    let mut subs: Vec<Child> = (0..2).map(|_| spawn("event-subscriber", &env)).collect();
    let mut config = Config::for_test("emitter");
    config.database_url = url.to_owned();
    config.events = bunbase_runtime::events::EventsMode::parse(mode).unwrap();
    config.nats_url = env[3].1.clone();
    config.jobs_worker = false;
    let rt = Runtime::start(config).await.map_err(|e| e.to_string())?;
    // Wait until both subscribers are listening.
    roles::wait_ready(url, 2).await?;
    let event: &'static str = Box::leak(event.into_boxed_str());
    const N: i64 = 40;
    let mut traces = Vec::new();
    for i in 0..N {
        let trace = bunbase_runtime::TraceId::generate();
        rt.events()
            .emit(&rt, event, serde_json::json!({ "id": i }), &trace, None)
            .await;
        traces.push(trace.to_string());
    }
    let t0 = Instant::now();
    let result = loop {
        let (rows, distinct) = two(
            url,
            "SELECT COUNT(*), COUNT(DISTINCT id) FROM event_effects",
        )
        .await;
        if distinct == N {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let (rows, _) = two(
                url,
                "SELECT COUNT(*), COUNT(DISTINCT id) FROM event_effects",
            )
            .await;
            break check(rows == N, || {
                format!("{rows} deliveries of {N} events: some ran twice")
            });
        }
        if t0.elapsed() > Duration::from_secs(30) {
            break Err(format!(
                "{distinct} of {N} events arrived ({rows} deliveries)"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for s in &mut subs {
        let _ = s.kill();
        let _ = s.wait();
    }
    result?;
    let (carried, _) = two(
        url,
        "SELECT COUNT(DISTINCT trace_id), CAST(0 AS BIGINT) FROM event_effects",
    )
    .await;
    check(carried == N, || {
        format!("{carried} distinct trace ids for {N} events")
    })?;
    if mode == "durable" {
        let jobs = rt.jobs();
        let done = jobs
            .list(JobState::Completed, None, 0, 1000)
            .await
            .map_err(|e| e.to_string())?;
        check(
            done.len() as i64 == N && done.iter().all(|j| j.kind.starts_with("event:")),
            || format!("{} completed delivery jobs", done.len()),
        )?;
    }
    println!(
        "  events over {mode}: {N} events, each run once across two subscriber processes, trace ids carried"
    );
    Ok(Some(()))
}
