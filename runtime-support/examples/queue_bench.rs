//! The bunbase arm of the peer-queue benchmark (`cargo xtask bench queue`): burn-down and pickup latency of the runtime's job queue, speaking the harness's contract.
//!
//! Configuration comes from `QB_*` variables and `DATABASE_URL` (see the
//! harness README); output is `MARK`, `RESULT` and `INFO` lines on stdout.
//! `QB_BATCHED=0` maps to one job per claim (as many claims at once as
//! free handler slots) and one completion per statement; `QB_BATCHED=1` to
//! claims of `QB_FETCH` (default 1000) jobs, `QB_PREFETCH` (default 1500)
//! jobs claimed ahead of free handler slots, and batched completions (claims
//! of 500 with 500 ahead gave about two thirds of the throughput). Completed jobs are kept (the default retention)
//! unless `QB_RETENTION_SECS=0`. A `sqlite:` `DATABASE_URL` runs the burn
//! case on SQLite.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bunbase_runtime::jobs::{JobInsert, JobKind, Jobs, WorkerOptions};
use bunbase_runtime::tokio;

fn env(k: &str, d: &str) -> String {
    std::env::var(k)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| d.to_owned())
}

fn num(k: &str, d: u64) -> u64 {
    env(k, &d.to_string()).parse().unwrap_or(d)
}

fn result(k: &str, v: f64) {
    println!("RESULT {k} {v:.3}");
}

fn mark(m: &str) {
    println!("MARK {m}");
}

struct Setup {
    url: String,
    concurrency: usize,
    batched: bool,
    opts: WorkerOptions,
    pool: u32,
}

fn setup() -> Setup {
    let url = env(
        "DATABASE_URL",
        "postgres://postgres@127.0.0.1:5433/queuebench",
    );
    let concurrency = num("QB_CONCURRENCY", 16) as usize;
    let batched = env("QB_BATCHED", "0") == "1";
    let opts = WorkerOptions {
        concurrency,
        fetch_batch: if batched {
            num("QB_FETCH", 1000) as u32
        } else {
            1
        },
        prefetch: if batched {
            num("QB_PREFETCH", 1500) as usize
        } else {
            0
        },
        batch_completions: batched,
        poll_interval: Duration::from_millis(num("QB_POLL_MS", 1000)),
        completed_retention: Duration::from_secs(num("QB_RETENTION_SECS", 86_400)),
        ..WorkerOptions::default()
    };
    // One connection per handler slot plus the claimer and the completer,
    // as graphile's `max(10, concurrency + 2)`; the listener takes its own.
    let pool = num("QB_POOL_SIZE", (concurrency as u64 + 2).max(10)) as u32;
    Setup {
        url,
        concurrency,
        batched,
        opts,
        pool,
    }
}

async fn remaining(jobs: &Jobs) -> i64 {
    jobs.counts().await.expect("count jobs").live()
}

async fn burn(s: Setup) {
    let n = num("QB_N", 100_000) as usize;
    let eb = num("QB_ENQUEUE_BATCH", 1000).max(1) as usize;
    let jobs = Jobs::connect_lazy(&s.url, s.pool).expect("queue");
    jobs.ready().await.expect("schema");
    assert_eq!(remaining(&jobs).await, 0, "the harness resets the database");
    println!(
        "INFO bunbase burn N={n} enqueue_batch={eb} concurrency={} pool={} batched={} fetch_batch={} prefetch={} batch_completions={} retention_s={} backend={}",
        s.concurrency,
        s.pool,
        s.batched,
        s.opts.fetch_batch,
        s.opts.prefetch,
        s.opts.batch_completions,
        s.opts.completed_retention.as_secs(),
        jobs.backend().name()
    );
    let batches: Vec<Vec<JobInsert>> = (0..n)
        .collect::<Vec<_>>()
        .chunks(eb)
        .map(|c| {
            c.iter()
                .map(|_| jobs.job("noop", &serde_json::json!({})).build().unwrap())
                .collect()
        })
        .collect();
    mark("enqueue_start");
    let e0 = Instant::now();
    for b in &batches {
        jobs.enqueue_batch(None, b).await.expect("enqueue");
    }
    let e = e0.elapsed().as_secs_f64();
    mark("enqueue_end");
    let queued = remaining(&jobs).await as usize;
    assert_eq!(queued, n, "enqueued {queued} jobs, expected {n}");
    result("enqueue_jobs_per_s", n as f64 / e);
    result("enqueue_s", e);
    if env("QB_ANALYZE", "1") == "1" && jobs.backend().name() == "postgres" {
        let a0 = Instant::now();
        let pg = bunbase_runtime::jobs::PostgresJobs::connect_lazy(&s.url, 1).unwrap();
        bunbase_runtime::sqlx::query("ANALYZE bunbase_jobs")
            .execute(pg.pool())
            .await
            .expect("analyze");
        pg.pool().close().await;
        result("analyze_ms", a0.elapsed().as_secs_f64() * 1000.0);
    }

    let executed = Arc::new(AtomicUsize::new(0));
    let all_ran = Arc::new(tokio::sync::Notify::new());
    let first = Arc::new(Mutex::new(None::<Instant>));
    mark("burn_start");
    let b0 = Instant::now();
    {
        let (executed, all_ran, first) = (executed.clone(), all_ran.clone(), first.clone());
        jobs.register(JobKind::new("noop"), move |_run| {
            if executed.fetch_add(1, Ordering::SeqCst) == 0 {
                *first.lock().unwrap() = Some(Instant::now());
            }
            if executed.load(Ordering::SeqCst) == n {
                all_ran.notify_one();
            }
            async { Ok(()) }
        });
    }
    let worker = jobs.start_worker(s.opts.clone());
    all_ran.notified().await;
    let ran = Instant::now();
    // Every completion committed: no job left available, running or retryable.
    while remaining(&jobs).await != 0 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let b = b0.elapsed().as_secs_f64();
    mark("burn_end");
    worker.stop(Duration::from_secs(5)).await;
    let executed = executed.load(Ordering::SeqCst);
    assert_eq!(executed, n, "executed {executed} jobs, expected {n}");
    result("burn_jobs_per_s", n as f64 / b);
    result("burn_s", b);
    if let Some(f) = *first.lock().unwrap() {
        result("burn_startup_ms", (f - b0).as_secs_f64() * 1000.0);
    }
    result("burn_complete_lag_ms", ran.elapsed().as_secs_f64() * 1000.0);
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[i.saturating_sub(1).min(sorted.len() - 1)]
}

async fn pickup(s: Setup) {
    let count = num("QB_PICKUP_COUNT", 500) as i64;
    let gap = Duration::from_millis(num("QB_PICKUP_SPACING_MS", 20));
    let warm = num("QB_PICKUP_WARMUP", 50) as i64;
    // The worker's queue and the producer's are separate pools and separate
    // handles: the wake-up travels through LISTEN/NOTIFY, not in process.
    let worker_jobs = Jobs::connect_lazy(&s.url, s.pool).expect("queue");
    let producer = Jobs::connect_lazy(&s.url, 4).expect("queue");
    worker_jobs.ready().await.expect("schema");
    producer.ready().await.expect("schema");
    println!(
        "INFO bunbase pickup count={count} spacing_ms={} warmup={warm} concurrency={} pool={} batched={} poll_ms={} (producer on its own pool: wake-ups by LISTEN/NOTIFY)",
        gap.as_millis(),
        s.concurrency,
        s.pool,
        s.batched,
        s.opts.poll_interval.as_millis()
    );
    let starts: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    {
        let starts = starts.clone();
        worker_jobs.register(JobKind::new("pickup"), move |run| {
            let at = Instant::now();
            let seq = run.payload["seq"].as_i64().unwrap_or(i64::MIN);
            starts.lock().unwrap().insert(seq, at);
            async { Ok(()) }
        });
    }
    let worker = worker_jobs.start_worker(s.opts.clone());
    // Let the listener connect before the first job.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let series = |first: i64, count: i64| {
        let producer = producer.clone();
        let starts = starts.clone();
        async move {
            let mut before = HashMap::new();
            let mut after = HashMap::new();
            let t0 = tokio::time::Instant::now() + gap;
            for i in 0..count {
                tokio::time::sleep_until(t0 + gap * i as u32).await;
                let seq = first + i;
                before.insert(seq, Instant::now());
                producer
                    .job("pickup", &serde_json::json!({ "seq": seq }))
                    .enqueue()
                    .await
                    .expect("enqueue");
                after.insert(seq, Instant::now());
            }
            let until = Instant::now() + Duration::from_secs(10);
            loop {
                let have = {
                    let st = starts.lock().unwrap();
                    (first..first + count)
                        .filter(|s| st.contains_key(s))
                        .count() as i64
                };
                if have == count {
                    break;
                }
                assert!(
                    Instant::now() < until,
                    "only {have} of {count} pickup jobs started"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            (before, after)
        }
    };
    series(-warm, warm).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    mark("pickup_start");
    let (before, after) = series(0, count).await;
    mark("pickup_end");
    worker.stop(Duration::from_secs(5)).await;
    let st = starts.lock().unwrap();
    let mut lat: Vec<f64> = (0..count)
        .map(|i| (st[&i] - before[&i]).as_secs_f64() * 1000.0)
        .collect();
    let mut ack: Vec<f64> = (0..count)
        .map(|i| st[&i].saturating_duration_since(after[&i]).as_secs_f64() * 1000.0)
        .collect();
    let mut add: Vec<f64> = (0..count)
        .map(|i| (after[&i] - before[&i]).as_secs_f64() * 1000.0)
        .collect();
    for v in [&mut lat, &mut ack, &mut add] {
        v.sort_by(|a, b| a.total_cmp(b));
    }
    result("pickup_p50_ms", pct(&lat, 50.0));
    result("pickup_p90_ms", pct(&lat, 90.0));
    result("pickup_p99_ms", pct(&lat, 99.0));
    result("pickup_max_ms", *lat.last().unwrap());
    result("pickup_mean_ms", lat.iter().sum::<f64>() / lat.len() as f64);
    result("pickup_after_ack_p50_ms", pct(&ack, 50.0));
    result("add_job_p50_ms", pct(&add, 50.0));
}

fn main() {
    let deadline = num("QB_DEADLINE_S", 240);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(deadline));
        eprintln!("queue_bench: deadline of {deadline}s exceeded");
        std::process::exit(3);
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let s = setup();
    rt.block_on(async move {
        match env("QB_CASE", "burn").as_str() {
            "burn" => burn(s).await,
            "pickup" => pickup(s).await,
            other => panic!("unknown QB_CASE {other:?}"),
        }
    });
}
