//! The job queue on SQLite and PostgreSQL: priorities, backoff with a manual clock, dead letters and redrive, unique keys, lease expiry, fencing, transactional enqueue, the pipeline and graceful shutdown.

mod queue_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use bunbase_runtime::jobs::{
    Enqueued, JobKind, JobState, Jobs, ManualClock, SystemClock, WorkerOptions,
};
use bunbase_runtime::sqlx::Connection as _;
use bunbase_runtime::{
    ActionContext, ActionSpec, ApiError, Backoff, Config, GuardSpec, RetryPolicy, Runtime,
    TriggerKind,
};
use queue_support::{TestDb, eventually, job};

const START: i64 = 1_800_000_000_000;

fn fast(opts: WorkerOptions) -> WorkerOptions {
    WorkerOptions {
        poll_interval: Duration::from_millis(20),
        ..opts
    }
}

#[tokio::test]
async fn higher_priority_runs_first_then_older() {
    for db in TestDb::both("higher_priority_runs_first_then_older") {
        let clock = ManualClock::new(START);
        let jobs = db.jobs(Arc::new(clock.clone()));
        let mut ids = Vec::new();
        for (n, p) in [(0, 0), (1, 5), (2, -1), (3, 10), (4, 5)] {
            clock.advance(1);
            let id = jobs
                .job("work", &serde_json::json!({ "n": n }))
                .priority(p)
                .enqueue()
                .await
                .unwrap()
                .id()
                .unwrap();
            ids.push(id);
        }
        // A job due later does not run before its time, whatever its priority.
        jobs.job("work", &serde_json::json!({ "n": 5 }))
            .priority(100)
            .run_in(Duration::from_secs(60))
            .enqueue()
            .await
            .unwrap();
        let kinds = vec!["work".to_owned()];
        let mut order = Vec::new();
        for _ in 0..6 {
            let now = clock.now();
            let claimed = jobs
                .backend()
                .claim(&kinds, "w", 1, now, now + 1000)
                .await
                .unwrap();
            order.extend(claimed.iter().map(|j| {
                serde_json::from_str::<serde_json::Value>(&j.payload).unwrap()["n"]
                    .as_i64()
                    .unwrap()
            }));
        }
        assert_eq!(
            order,
            [3, 1, 4, 0, 2],
            "{}: priority desc, then run_at",
            db.name()
        );
        // A batch claim returns the highest priorities too.
        clock.advance(61_000);
        let now = clock.now();
        let claimed = jobs
            .backend()
            .claim(&kinds, "w", 10, now, now + 1000)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1, "{}", db.name());
        assert_eq!(claimed[0].priority, 100);
    }
}

trait Now {
    fn now(&self) -> i64;
}
impl Now for ManualClock {
    fn now(&self) -> i64 {
        bunbase_runtime::jobs::Clock::now_ms(self)
    }
}

#[tokio::test]
async fn failures_back_off_with_jitter_then_die_and_redrive_runs_again() {
    for db in TestDb::both("failures_back_off_with_jitter_then_die_and_redrive_runs_again") {
        let clock = ManualClock::new(START);
        let jobs = db.jobs(Arc::new(clock.clone()));
        let healthy = Arc::new(AtomicBool::new(false));
        let runs = Arc::new(AtomicU32::new(0));
        let kind = JobKind::new("flaky").max_attempts(3).retry(RetryPolicy {
            attempts: 1,
            backoff: Backoff::Exponential,
            base_ms: 1_000,
            max_ms: 60_000,
        });
        {
            let healthy = healthy.clone();
            let runs = runs.clone();
            jobs.register(kind, move |run| {
                let healthy = healthy.load(Ordering::SeqCst);
                runs.fetch_add(1, Ordering::SeqCst);
                async move {
                    assert!(run.attempt >= 1);
                    if healthy {
                        Ok(())
                    } else {
                        Err(ApiError::internal("the mail server is down"))
                    }
                }
            });
        }
        let worker = jobs.start_worker(fast(WorkerOptions::default()));
        let id = jobs
            .job("flaky", &())
            .enqueue()
            .await
            .unwrap()
            .id()
            .unwrap();
        for (attempt, base) in [(1, 1_000i64), (2, 2_000)] {
            let j = eventually(10, "the attempt fails and is scheduled again", || async {
                let j = job(&jobs, id).await;
                (j.state == JobState::Retryable && j.attempt == attempt).then_some(j)
            })
            .await;
            let delay = j.run_at - clock.now();
            assert!(
                delay >= base * 8 / 10 && delay <= base * 12 / 10,
                "{}: retry {attempt} after {delay} ms, expected {base} ms ±20 %",
                db.name()
            );
            assert_eq!(
                j.last_error.as_deref(),
                Some("internal: An internal error occurred.")
            );
            // Not before its time: a worker polling meanwhile leaves it.
            clock.advance(delay - 1);
            tokio::time::sleep(Duration::from_millis(60)).await;
            assert_eq!(job(&jobs, id).await.state, JobState::Retryable);
            clock.advance(1);
        }
        let dead = eventually(10, "the last attempt kills the job", || async {
            let j = job(&jobs, id).await;
            (j.state == JobState::Dead).then_some(j)
        })
        .await;
        assert_eq!(dead.attempt, 3);
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        let listed = jobs.dead(10).await.unwrap();
        assert_eq!(listed.iter().map(|j| j.id).collect::<Vec<_>>(), [id]);
        assert!(listed[0].finalized_at.is_some());
        // An operator fixes the cause and redrives the job.
        healthy.store(true, Ordering::SeqCst);
        assert!(jobs.redrive(id).await.unwrap());
        assert!(
            !jobs.redrive(id).await.unwrap(),
            "only a dead job can be redriven"
        );
        let done = eventually(10, "the redriven job completes", || async {
            let j = job(&jobs, id).await;
            (j.state == JobState::Completed).then_some(j)
        })
        .await;
        assert_eq!(done.attempt, 1, "a redrive starts from the first attempt");
        worker.stop(Duration::from_secs(5)).await;
    }
}

#[tokio::test]
async fn non_retryable_errors_die_at_once() {
    for db in TestDb::both("non_retryable_errors_die_at_once") {
        let jobs = db.jobs(Arc::new(SystemClock));
        jobs.register(JobKind::new("strict").max_attempts(5), |_run| async {
            Err(ApiError::new(409, "title_taken", "Title taken"))
        });
        let worker = jobs.start_worker(fast(WorkerOptions::default()));
        let id = jobs
            .job("strict", &())
            .enqueue()
            .await
            .unwrap()
            .id()
            .unwrap();
        let j = eventually(10, "the job dies", || async {
            let j = job(&jobs, id).await;
            (j.state == JobState::Dead).then_some(j)
        })
        .await;
        assert_eq!(j.attempt, 1, "{}", db.name());
        assert_eq!(j.last_error.as_deref(), Some("title_taken: Title taken"));
        worker.stop(Duration::from_secs(5)).await;
    }
}

#[tokio::test]
async fn unique_keys_hold_among_live_jobs_only() {
    for db in TestDb::both("unique_keys_hold_among_live_jobs_only") {
        let clock = ManualClock::new(START);
        let jobs = db.jobs(Arc::new(clock.clone()));
        let first = jobs
            .job("digest", &1)
            .unique_key("digest:u1")
            .enqueue()
            .await
            .unwrap();
        assert!(matches!(first, Enqueued::Created(_)), "{}", db.name());
        let again = jobs
            .job("digest", &2)
            .unique_key("digest:u1")
            .enqueue()
            .await
            .unwrap();
        assert_eq!(again, Enqueued::Duplicate, "{}", db.name());
        let other = jobs
            .job("digest", &3)
            .unique_key("digest:u2")
            .enqueue()
            .await
            .unwrap();
        assert!(other.id().is_some());
        // Still a duplicate while running.
        let kinds = vec!["digest".to_owned()];
        let now = clock.now();
        let claimed = jobs
            .backend()
            .claim(&kinds, "w", 1, now, now + 1000)
            .await
            .unwrap();
        assert_eq!(claimed[0].id, first.id().unwrap());
        assert_eq!(
            jobs.job("digest", &4)
                .unique_key("digest:u1")
                .enqueue()
                .await
                .unwrap(),
            Enqueued::Duplicate
        );
        // Once completed, the key is free again.
        let done = jobs
            .backend()
            .complete(None, &[claimed[0].lease()], now, false)
            .await
            .unwrap();
        assert_eq!(done, 1);
        let later = jobs
            .job("digest", &5)
            .unique_key("digest:u1")
            .enqueue()
            .await
            .unwrap();
        assert!(later.id().is_some(), "{}", db.name());
        // A batch skips only the duplicates.
        let batch = [
            jobs.job("digest", &6)
                .unique_key("digest:u1")
                .build()
                .unwrap(),
            jobs.job("digest", &7)
                .unique_key("digest:u3")
                .build()
                .unwrap(),
            jobs.job("digest", &8).build().unwrap(),
        ];
        assert_eq!(jobs.enqueue_batch(None, &batch).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn expired_leases_are_delivered_again_and_stale_completions_are_refused() {
    for db in TestDb::both("expired_leases_are_delivered_again_and_stale_completions_are_refused") {
        let clock = ManualClock::new(START);
        let jobs = db.jobs(Arc::new(clock.clone()));
        let id = jobs
            .job("report", &())
            .max_attempts(2)
            .enqueue()
            .await
            .unwrap()
            .id()
            .unwrap();
        let kinds = vec!["report".to_owned()];
        let backend = jobs.backend();
        // Worker A claims it, then goes silent (crashed, or paused in GC).
        let now = clock.now();
        let a = backend
            .claim(&kinds, "a", 10, now, now + 1_000)
            .await
            .unwrap()
            .remove(0);
        assert_eq!((a.id, a.attempt), (id, 1));
        // Its lease has not expired yet: nothing to rescue, nothing to claim.
        clock.advance(999);
        assert_eq!(backend.rescue(clock.now()).await.unwrap(), 0);
        assert!(
            backend
                .claim(&kinds, "b", 10, clock.now(), clock.now() + 1_000)
                .await
                .unwrap()
                .is_empty()
        );
        clock.advance(2);
        assert_eq!(
            backend.rescue(clock.now()).await.unwrap(),
            1,
            "{}",
            db.name()
        );
        let j = job(&jobs, id).await;
        assert_eq!(j.state, JobState::Retryable);
        assert!(j.last_error.unwrap().starts_with("lease expired"));
        // Worker B claims it again: a new attempt under a new token.
        let now = clock.now();
        let b = backend
            .claim(&kinds, "b", 10, now, now + 1_000)
            .await
            .unwrap()
            .remove(0);
        assert_eq!((b.id, b.attempt), (id, 2));
        assert!(b.lease_token > a.lease_token);
        // A wakes up: its completion, failure and heartbeat are refused.
        assert_eq!(
            backend
                .complete(None, &[a.lease()], now, false)
                .await
                .unwrap(),
            0,
            "{}",
            db.name()
        );
        assert_eq!(
            backend.heartbeat(&[a.lease()], now + 5_000).await.unwrap(),
            0
        );
        assert_eq!(job(&jobs, id).await.state, JobState::Running);
        // B's completion counts.
        assert_eq!(
            backend.heartbeat(&[b.lease()], now + 5_000).await.unwrap(),
            1
        );
        assert_eq!(
            backend
                .complete(None, &[b.lease()], now, false)
                .await
                .unwrap(),
            1
        );
        assert_eq!(job(&jobs, id).await.state, JobState::Completed);

        // A job whose last attempt's worker died is dead, not retried.
        let id = jobs
            .job("report", &())
            .max_attempts(1)
            .enqueue()
            .await
            .unwrap()
            .id()
            .unwrap();
        let now = clock.now();
        backend
            .claim(&kinds, "a", 10, now, now + 1_000)
            .await
            .unwrap();
        clock.advance(1_001);
        backend.rescue(clock.now()).await.unwrap();
        assert_eq!(job(&jobs, id).await.state, JobState::Dead);
    }
}

#[tokio::test]
async fn a_worker_redelivers_the_job_of_a_worker_that_vanished() {
    for db in TestDb::both("a_worker_redelivers_the_job_of_a_worker_that_vanished") {
        let jobs = db.jobs(Arc::new(SystemClock));
        let id = jobs.job("mail", &()).enqueue().await.unwrap().id().unwrap();
        // A worker of another process claimed it for 300 ms and died.
        let now = jobs.clock().now_ms();
        jobs.backend()
            .claim(&["mail".to_owned()], "gone", 1, now, now + 300)
            .await
            .unwrap();
        let seen = Arc::new(AtomicU32::new(0));
        {
            let seen = seen.clone();
            jobs.register(JobKind::new("mail"), move |run| {
                seen.store(run.attempt, Ordering::SeqCst);
                async { Ok(()) }
            });
        }
        let worker = jobs.start_worker(fast(WorkerOptions {
            lease: Duration::from_millis(300),
            ..WorkerOptions::default()
        }));
        eventually(15, "the job is rescued and completed", || async {
            (job(&jobs, id).await.state == JobState::Completed).then_some(())
        })
        .await;
        assert_eq!(
            seen.load(Ordering::SeqCst),
            2,
            "{}: second attempt",
            db.name()
        );
        worker.stop(Duration::from_secs(5)).await;
    }
}

#[tokio::test]
async fn enqueue_in_a_transaction_commits_or_rolls_back_with_it() {
    for db in TestDb::both("enqueue_in_a_transaction_commits_or_rolls_back_with_it") {
        let jobs = db.jobs(Arc::new(SystemClock));
        jobs.ready().await.unwrap();
        match &db {
            TestDb::Sqlite { url, .. } => {
                let mut c = bunbase_runtime::sqlx::SqliteConnection::connect(url)
                    .await
                    .unwrap();
                let mut tx = c.begin().await.unwrap();
                jobs.job("x", &1).enqueue_in(&mut *tx).await.unwrap();
                tx.rollback().await.unwrap();
                let mut tx = c.begin().await.unwrap();
                jobs.job("x", &2).enqueue_in(&mut *tx).await.unwrap();
                tx.commit().await.unwrap();
            }
            TestDb::Postgres { url, .. } => {
                let mut c = bunbase_runtime::sqlx::PgConnection::connect(url)
                    .await
                    .unwrap();
                let mut tx = c.begin().await.unwrap();
                jobs.job("x", &1).enqueue_in(&mut *tx).await.unwrap();
                tx.rollback().await.unwrap();
                let mut tx = c.begin().await.unwrap();
                jobs.job("x", &2).enqueue_in(&mut *tx).await.unwrap();
                tx.commit().await.unwrap();
            }
        }
        let live = jobs
            .list(JobState::Available, Some("x"), 0, 10)
            .await
            .unwrap();
        assert_eq!(
            live.iter().map(|j| j.payload.clone()).collect::<Vec<_>>(),
            [serde_json::json!(2)],
            "{}",
            db.name()
        );
    }
}

static REMIND: ActionSpec = ActionSpec {
    name: "tasks.send_reminder",
    guards: &[GuardSpec::Authenticated],
    retry: RetryPolicy::NONE,
};

#[derive(Debug, Clone, bunbase_runtime::serde::Deserialize)]
#[serde(crate = "::bunbase_runtime::serde")]
struct Reminder {
    task: String,
}
impl bunbase_runtime::Validate for Reminder {
    fn validate_into(
        &self,
        _: &bunbase_runtime::validate::Pointer,
        _: &mut bunbase_runtime::validate::Violations,
    ) {
    }
}

#[tokio::test]
async fn jobs_run_through_the_pipeline_with_the_enqueuers_trace_and_session() {
    for db in TestDb::both("jobs_run_through_the_pipeline_with_the_enqueuers_trace_and_session") {
        let mut config = Config::for_test("jobs_pipeline");
        config.database_url = db.url().to_owned();
        config.jobs = fast(WorkerOptions::default());
        let rt = Runtime::start(config).await.unwrap();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        for (kind, internal) in [(REMIND.name, false), ("tasks.internal_reminder", true)] {
            let seen = seen.clone();
            rt.register_job(JobKind::new(kind).internal(internal), move |rt, job| {
                let seen = seen.clone();
                async move {
                    REMIND
                        .run_job(
                            &rt,
                            job,
                            bunbase_runtime::http::decode_value,
                            move |ctx: ActionContext, input: Reminder| {
                                let seen = seen.clone();
                                async move {
                                    seen.lock().unwrap().push((
                                        input.task,
                                        ctx.trace_id.to_string(),
                                        ctx.trigger,
                                        ctx.user_id().map(str::to_owned),
                                        ctx.job().map(|l| l.id()),
                                    ));
                                    Ok::<_, ApiError>(())
                                }
                            },
                        )
                        .await
                }
            });
        }
        // Enqueued from a handler: the job carries its trace id and session.
        let ctx = ActionContext::for_test(&rt, "tasks.create_task")
            .with_principal(bunbase_runtime::Principal::new("u1"));
        let trace = ctx.trace_id.to_string();
        let with_user = ctx
            .enqueue(REMIND.name, &serde_json::json!({"task": "t1"}))
            .enqueue()
            .await
            .unwrap()
            .id();
        // Enqueued without a session: the `authenticated` guard denies it,
        // unless the kind is internal.
        let anon = rt
            .jobs()
            .job(REMIND.name, &serde_json::json!({"task": "t2"}))
            .enqueue()
            .await
            .unwrap()
            .id()
            .unwrap();
        let internal = rt
            .jobs()
            .job(
                "tasks.internal_reminder",
                &serde_json::json!({"task": "t3"}),
            )
            .enqueue()
            .await
            .unwrap()
            .id();
        let bad = rt
            .jobs()
            .job("tasks.internal_reminder", &serde_json::json!({"nope": 1}))
            .enqueue()
            .await
            .unwrap()
            .id()
            .unwrap();
        eventually(10, "two runs", || async {
            (seen.lock().unwrap().len() == 2).then_some(())
        })
        .await;
        let dead_anon = eventually(10, "the anonymous job dies on its guard", || async {
            let j = job(rt.jobs(), anon).await;
            (j.state == JobState::Dead).then_some(j)
        })
        .await;
        assert!(
            dead_anon.last_error.unwrap().starts_with("unauthorized"),
            "{}",
            db.name()
        );
        let dead_bad = eventually(10, "an invalid payload dies at once", || async {
            let j = job(rt.jobs(), bad).await;
            (j.state == JobState::Dead).then_some(j)
        })
        .await;
        assert!(
            dead_bad
                .last_error
                .unwrap()
                .starts_with("validation_failed")
        );
        let mut seen = seen.lock().unwrap().clone();
        seen.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            seen[0],
            (
                "t1".into(),
                trace,
                TriggerKind::Queue,
                Some("u1".into()),
                with_user
            )
        );
        assert_eq!(
            (seen[1].0.as_str(), seen[1].3.as_deref(), seen[1].4),
            ("t3", None, internal)
        );
        rt.runs().flush().await;
        rt.shutdown().await;
    }
}

#[tokio::test]
async fn shutdown_drains_running_jobs_then_releases_the_rest() {
    for db in TestDb::both("shutdown_drains_running_jobs_then_releases_the_rest") {
        let jobs = db.jobs(Arc::new(SystemClock));
        let started = Arc::new(AtomicU32::new(0));
        {
            let started = started.clone();
            jobs.register(JobKind::new("sleep"), move |run| {
                started.fetch_add(1, Ordering::SeqCst);
                let ms = run.payload.as_u64().unwrap_or(0);
                async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    Ok(())
                }
            });
        }
        let worker = jobs.start_worker(fast(WorkerOptions {
            concurrency: 2,
            prefetch: 4,
            ..WorkerOptions::default()
        }));
        let short = jobs
            .job("sleep", &200)
            .enqueue()
            .await
            .unwrap()
            .id()
            .unwrap();
        let long = jobs
            .job("sleep", &60_000)
            .enqueue()
            .await
            .unwrap()
            .id()
            .unwrap();
        eventually(10, "both started", || async {
            (started.load(Ordering::SeqCst) == 2).then_some(())
        })
        .await;
        // Claimed ahead but never started: given back at once, attempt refunded.
        let queued: Vec<i64> = {
            let mut v = Vec::new();
            for _ in 0..3 {
                v.push(
                    jobs.job("sleep", &0)
                        .priority(-1)
                        .enqueue()
                        .await
                        .unwrap()
                        .id()
                        .unwrap(),
                );
            }
            v
        };
        worker.stop(Duration::from_millis(1500)).await;
        assert_eq!(
            job(&jobs, short).await.state,
            JobState::Completed,
            "{}: drained",
            db.name()
        );
        let l = job(&jobs, long).await;
        assert_eq!(
            (l.state, l.attempt),
            (JobState::Available, 1),
            "{}: released after the deadline",
            db.name()
        );
        for id in queued {
            let j = job(&jobs, id).await;
            assert!(
                j.state == JobState::Available && j.attempt == 0 || j.state == JobState::Completed,
                "{}: {j:?}",
                db.name()
            );
        }
    }
}

#[tokio::test]
async fn cancel_and_prune() {
    for db in TestDb::both("cancel_and_prune") {
        let clock = ManualClock::new(START);
        let jobs = db.jobs(Arc::new(clock.clone()));
        let a = jobs.job("k", &1).enqueue().await.unwrap().id().unwrap();
        let b = jobs.job("k", &2).enqueue().await.unwrap().id().unwrap();
        assert!(jobs.cancel(a).await.unwrap());
        assert!(!jobs.cancel(a).await.unwrap());
        let now = clock.now();
        let c = jobs
            .backend()
            .claim(&["k".to_owned()], "w", 1, now, now + 10)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(c.id, b);
        jobs.backend()
            .complete(None, &[c.lease()], now, false)
            .await
            .unwrap();
        let counts = jobs.counts().await.unwrap();
        assert_eq!(
            (counts.cancelled, counts.completed, counts.live()),
            (1, 1, 0),
            "{}",
            db.name()
        );
        assert_eq!(
            jobs.backend().prune(now, now).await.unwrap(),
            0,
            "kept for their retention"
        );
        assert_eq!(jobs.backend().prune(now + 1, now + 1).await.unwrap(), 2);
        assert!(jobs.get(a).await.unwrap().is_none());
        let _ = Jobs::connect_lazy("mysql://x", 1).expect_err("unsupported scheme");
    }
}

#[tokio::test]
async fn durable_event_deliveries_that_fail_for_good_stay_as_dead_jobs() {
    for db in TestDb::both("durable_event_deliveries_that_fail_for_good_stay_as_dead_jobs") {
        let mut config = Config::for_test("durable_events");
        config.database_url = db.url().to_owned();
        config.jobs = fast(WorkerOptions::default());
        config.events = bunbase_runtime::EventsMode::Durable;
        let rt = Runtime::start(config).await.unwrap();
        let healthy = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        {
            let (healthy, seen) = (healthy.clone(), seen.clone());
            rt.on_event(
                "invoice.paid",
                "mail.on_invoice_paid",
                bunbase_runtime::SubscribeOptions {
                    max_attempts: 2,
                    retry: RetryPolicy {
                        attempts: 1,
                        backoff: Backoff::Fixed,
                        base_ms: 10,
                        max_ms: 10,
                    },
                    internal: true,
                },
                move |_rt, d| {
                    let ok = healthy.load(Ordering::SeqCst);
                    seen.lock().unwrap().push((
                        d.payload.clone(),
                        d.trace_id.to_string(),
                        d.job.as_ref().map(|j| j.attempt),
                    ));
                    async move {
                        if ok {
                            Ok(())
                        } else {
                            Err(ApiError::internal("smtp down"))
                        }
                    }
                },
            );
        }
        let trace = bunbase_runtime::TraceId::generate();
        rt.events()
            .emit(
                &rt,
                "invoice.paid",
                serde_json::json!({ "invoice": 7 }),
                &trace,
                None,
            )
            .await;
        let dead = eventually(10, "the delivery dies after two attempts", || async {
            rt.jobs().dead(10).await.unwrap().pop()
        })
        .await;
        assert_eq!(
            dead.kind,
            "event:invoice.paid:mail.on_invoice_paid",
            "{}",
            db.name()
        );
        assert_eq!(
            (dead.attempt, dead.payload.clone()),
            (2, serde_json::json!({ "invoice": 7 }))
        );
        assert_eq!(dead.trace_id.as_deref(), Some(trace.as_str()));
        {
            let seen = seen.lock().unwrap();
            assert_eq!(
                seen.iter().map(|s| s.2).collect::<Vec<_>>(),
                [Some(1), Some(2)]
            );
            assert!(seen.iter().all(|s| s.1 == trace.as_str()));
        }
        // Redriven once the mail server is back: delivered.
        healthy.store(true, Ordering::SeqCst);
        assert!(rt.jobs().redrive(dead.id).await.unwrap());
        eventually(10, "the redriven delivery completes", || async {
            (job(rt.jobs(), dead.id).await.state == JobState::Completed).then_some(())
        })
        .await;
        rt.shutdown().await;
    }
}
