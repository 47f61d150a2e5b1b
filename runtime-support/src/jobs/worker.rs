//! The worker: claims jobs in batches, runs their handlers under a concurrency limit, renews their leases, writes outcomes in batches, and drains on shutdown.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt as _;
use futures::future::BoxFuture;
use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use super::backend::{ClaimedJob, Conn, Failure, JobBackend, Lease};
use super::{Clock, Jobs, JobsError};
use crate::context::TriggerKind;
use crate::session::Session;
use crate::{ApiError, TraceId};

/// What runs a job: generated code passes a closure that calls
/// [`crate::ActionSpec::run_job`]. `Ok` completes the job; a retryable
/// error ([`ApiError::is_retryable`]) retries it after the kind's backoff
/// while attempts remain; any other error, or the last attempt's, makes it
/// `dead`.
pub type JobHandler =
    Arc<dyn Fn(JobRun) -> BoxFuture<'static, Result<(), ApiError>> + Send + Sync + 'static>;

/// Tuning of a worker. [`crate::Config`] reads it from `JOBS_*` variables.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Handlers running at once (`JOBS_CONCURRENCY`, default 10).
    pub concurrency: usize,
    /// Jobs claimed per round trip at most (default 100).
    pub fetch_batch: u32,
    /// Jobs claimed ahead of free handler slots, waiting locally under
    /// their lease (default 0). Raises throughput for short jobs.
    pub prefetch: usize,
    /// Whether outcomes are written in batches (one statement for every
    /// completion that is ready) rather than one statement per job.
    pub batch_completions: bool,
    /// How often an idle worker looks for due jobs without a wake-up
    /// (`JOBS_POLL_INTERVAL_MS`, default 1000).
    pub poll_interval: Duration,
    /// How long a claim holds a job without renewal (`JOBS_LEASE_SECS`,
    /// default 30); renewed every third of it while the handler runs.
    pub lease: Duration,
    /// How long completed and cancelled jobs are kept
    /// (`JOBS_RETENTION_SECS`, default 1 day). Zero deletes a job as it
    /// completes.
    pub completed_retention: Duration,
    /// How long dead jobs are kept (`JOBS_DEAD_RETENTION_SECS`, default 7
    /// days).
    pub dead_retention: Duration,
    /// How often finished jobs are pruned (default 60 s).
    pub prune_interval: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            concurrency: 10,
            fetch_batch: 100,
            prefetch: 0,
            batch_completions: true,
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(30),
            completed_retention: Duration::from_secs(24 * 3600),
            dead_retention: Duration::from_secs(7 * 24 * 3600),
            prune_interval: Duration::from_secs(60),
        }
    }
}

/// One claimed job on its way to its handler.
#[derive(Clone)]
pub struct JobRun {
    /// The job's id.
    pub id: i64,
    /// The handler name.
    pub kind: String,
    /// The payload.
    pub payload: serde_json::Value,
    /// This attempt's number, from 1.
    pub attempt: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// The enqueuer's trace id (a fresh one when it had none).
    pub trace_id: TraceId,
    /// The enqueuer's session, for the action's guards.
    pub session: Option<Session>,
    /// The trigger the run is recorded under (`queue`, `cron`, `event`).
    pub trigger: TriggerKind,
    /// Whether the kind runs without guards (an internal trigger).
    pub internal: bool,
    /// The claim, to complete the job inside a transaction.
    pub lease: JobLease,
}

impl std::fmt::Debug for JobRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobRun")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("attempt", &self.attempt)
            .field("trigger", &self.trigger)
            .finish()
    }
}

/// A running job's claim: its id and fencing token.
#[derive(Clone)]
pub struct JobLease {
    lease: Lease,
    backend: Arc<dyn JobBackend>,
    clock: Arc<dyn Clock>,
    delete: bool,
    done: Arc<AtomicBool>,
}

impl std::fmt::Debug for JobLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobLease")
            .field("id", &self.lease.id)
            .field("token", &self.lease.token)
            .finish()
    }
}

impl JobLease {
    /// The job's id.
    pub fn id(&self) -> i64 {
        self.lease.id
    }

    /// The fencing token of this claim.
    pub fn token(&self) -> i64 {
        self.lease.token
    }

    /// Completes the job inside the caller's transaction, so that its side
    /// effects and its completion commit together (exactly-once effects).
    /// Returns `false` when this claim no longer holds the job (its lease
    /// expired and another worker took it): the caller must then roll back.
    /// On `true`, the worker does not complete the job again when the
    /// handler returns `Ok`.
    pub async fn complete_in<'c>(&self, conn: impl Into<Conn<'c>>) -> Result<bool, JobsError> {
        let now = self.clock.now_ms();
        let n = self
            .backend
            .complete(
                Some(conn.into()),
                std::slice::from_ref(&self.lease),
                now,
                self.delete,
            )
            .await?;
        let held = n == 1;
        if held {
            self.done.store(true, Ordering::SeqCst);
        }
        Ok(held)
    }
}

/// A running worker. [`WorkerHandle::stop`] drains it.
pub struct WorkerHandle {
    stop: watch::Sender<Option<Duration>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    id: String,
}

impl std::fmt::Debug for WorkerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerHandle")
            .field("id", &self.id)
            .finish()
    }
}

impl WorkerHandle {
    /// The worker's id (stored in `locked_by`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Stops claiming, gives running handlers up to `grace` to finish and
    /// writes their outcomes, then releases the leases of those still
    /// running (they run again elsewhere) and of jobs claimed ahead.
    pub async fn stop(&self, grace: Duration) {
        let _ = self.stop.send(Some(grace));
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

/// What happened to one claimed job, on its way to the database.
enum Done {
    Complete(Lease),
    Fail(Failure),
    /// Never started (shutdown): back to available, attempt refunded.
    Refund(Lease),
    /// Completed by the handler inside its own transaction.
    Settled(Lease),
}

impl Done {
    fn lease(&self) -> Lease {
        match self {
            Done::Complete(l) | Done::Refund(l) | Done::Settled(l) => *l,
            Done::Fail(f) => f.lease,
        }
    }
}

struct Shared {
    jobs: Jobs,
    id: String,
    opts: WorkerOptions,
    held: Mutex<HashMap<i64, i64>>,
    in_flight: AtomicUsize,
    freed: Notify,
    permits: Arc<Semaphore>,
}

impl Shared {
    fn now(&self) -> i64 {
        self.jobs.clock().now_ms()
    }

    fn lease_ms(&self) -> i64 {
        self.opts.lease.as_millis().min(i64::MAX as u128) as i64
    }

    /// Forgets settled jobs and frees their slots.
    fn settle(&self, leases: impl IntoIterator<Item = Lease>) {
        let mut n = 0;
        {
            let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
            for l in leases {
                held.remove(&l.id);
                n += 1;
            }
        }
        self.in_flight.fetch_sub(n, Ordering::SeqCst);
        self.freed.notify_waiters();
        self.freed.notify_one();
    }

    fn held(&self) -> Vec<Lease> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.iter()
            .map(|(&id, &token)| Lease { id, token })
            .collect()
    }
}

/// Starts a worker over `jobs` on the current tokio runtime.
pub(crate) fn start(jobs: Jobs, opts: WorkerOptions) -> WorkerHandle {
    let id = format!(
        "{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let (stop_tx, stop_rx) = watch::channel(None);
    let shared = Arc::new(Shared {
        jobs,
        id: id.clone(),
        permits: Arc::new(Semaphore::new(opts.concurrency.max(1))),
        opts,
        held: Mutex::new(HashMap::new()),
        in_flight: AtomicUsize::new(0),
        freed: Notify::new(),
    });
    let task = tokio::spawn(run(shared, stop_rx));
    WorkerHandle {
        stop: stop_tx,
        task: Mutex::new(Some(task)),
        id,
    }
}

async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<Option<Duration>>) {
    let backend = shared.jobs.backend().clone();
    let wake = shared.jobs.wake();
    // An idle process (no kind registered yet) touches no database.
    while shared.jobs.kind_names().is_empty() {
        tokio::select! {
            _ = wake.notified() => {}
            _ = stop.changed() => {}
        }
        if stop.borrow().is_some() {
            return;
        }
    }
    if let Err(e) = shared.jobs.ready().await {
        tracing::error!(error = %e, "job worker cannot create its tables; it will retry on every claim");
    }
    let mut background = JoinSet::new();
    if let Some(listen) = backend.listen(wake.clone()) {
        background.spawn(listen);
    }
    background.spawn(heartbeat(shared.clone()));
    background.spawn(maintain(shared.clone()));
    let (done_tx, done_rx) = mpsc::unbounded_channel::<Done>();
    let completer = tokio::spawn(complete(shared.clone(), done_rx));
    let mut handlers = JoinSet::new();
    let (quit_tx, quit_rx) = watch::channel(false);

    let cap = shared.opts.concurrency.max(1) + shared.opts.prefetch;
    let batch = (shared.opts.fetch_batch.max(1) as usize).min(cap);
    let low_water = (batch / 2).max(1);
    let mut last_full = false;
    let mut error_backoff = Duration::from_millis(50);
    let grace = loop {
        if let Some(grace) = *stop.borrow() {
            break grace;
        }
        while handlers.try_join_next().is_some() {}
        let kinds = shared.jobs.kind_names();
        let room = cap.saturating_sub(shared.in_flight.load(Ordering::SeqCst));
        if kinds.is_empty() || room == 0 || (last_full && room < low_water) {
            let freed = shared.freed.notified();
            tokio::select! {
                _ = freed, if !kinds.is_empty() => {}
                _ = wake.notified() => {}
                _ = tokio::time::sleep(shared.opts.poll_interval) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let want = room.min(batch);
        let now = shared.now();
        // One job per claim (`fetch_batch` 1): on PostgreSQL as many
        // claims at once as there are free handler slots, as separate
        // workers would make (SQLite has one writer: they would queue).
        let parallel = if batch == 1 && backend.name() == "postgres" {
            room.min(shared.opts.concurrency.max(1))
        } else {
            1
        };
        let lease_until = now + shared.lease_ms();
        let claims = futures::future::join_all(
            (0..parallel).map(|_| backend.claim(&kinds, &shared.id, want as u32, now, lease_until)),
        )
        .await;
        let mut claimed = Vec::new();
        let mut failed = None;
        for c in claims {
            match c {
                Ok(jobs) => claimed.extend(jobs),
                Err(e) => failed = Some(e),
            }
        }
        let want = want * parallel;
        let result = match failed {
            Some(e) if claimed.is_empty() => Err(e),
            _ => Ok(claimed),
        };
        match result {
            Ok(claimed) => {
                error_backoff = Duration::from_millis(50);
                last_full = claimed.len() == want;
                for job in claimed {
                    dispatch(
                        &shared,
                        &mut handlers,
                        job,
                        done_tx.clone(),
                        quit_rx.clone(),
                    );
                }
                if last_full {
                    continue;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "job worker cannot claim jobs; retrying");
                let _ = shared.jobs.ready().await;
                tokio::select! {
                    _ = tokio::time::sleep(error_backoff) => {}
                    _ = stop.changed() => {}
                }
                error_backoff = (error_backoff * 2)
                    .min(shared.opts.poll_interval.max(Duration::from_millis(100)));
                continue;
            }
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(shared.opts.poll_interval) => {}
            _ = stop.changed() => {}
        }
    };

    // Drain: jobs claimed ahead go back at once; running ones get `grace`.
    let _ = quit_tx.send(true);
    let deadline = tokio::time::Instant::now() + grace;
    loop {
        if shared.in_flight.load(Ordering::SeqCst) == 0 {
            break;
        }
        let freed = shared.freed.notified();
        if shared.in_flight.load(Ordering::SeqCst) == 0 {
            break;
        }
        if tokio::time::timeout_at(deadline, freed).await.is_err() {
            break;
        }
    }
    handlers.abort_all();
    while handlers.join_next().await.is_some() {}
    drop(done_tx);
    let _ = completer.await;
    let left = shared.held();
    if !left.is_empty() {
        tracing::warn!(
            jobs = left.len(),
            grace_ms = grace.as_millis() as u64,
            "running jobs did not finish before the shutdown deadline; releasing their leases"
        );
        if let Err(e) = backend.release(&left, shared.now(), false).await {
            tracing::error!(error = %e, "could not release leases; the jobs run again when the leases expire");
        }
        shared.settle(left);
    }
    background.abort_all();
    while background.join_next().await.is_some() {}
}

fn dispatch(
    shared: &Arc<Shared>,
    handlers: &mut JoinSet<()>,
    job: ClaimedJob,
    done: mpsc::UnboundedSender<Done>,
    mut quit: watch::Receiver<bool>,
) {
    let lease = job.lease();
    shared.in_flight.fetch_add(1, Ordering::SeqCst);
    shared
        .held
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(lease.id, lease.token);
    let shared = shared.clone();
    handlers.spawn(async move {
        let permit = tokio::select! {
            p = shared.permits.clone().acquire_owned() => p,
            _ = quit.wait_for(|q| *q) => {
                let _ = done.send(Done::Refund(lease));
                return;
            }
        };
        let Ok(_permit) = permit else {
            let _ = done.send(Done::Refund(lease));
            return;
        };
        let outcome = execute(&shared, job).await;
        drop(_permit);
        if shared.opts.batch_completions {
            let _ = done.send(outcome);
        } else {
            // One statement per job, written by the job's own task.
            record(&shared, &mut vec![outcome]).await;
        }
    });
}

/// Runs one job's handler and decides its outcome.
async fn execute(shared: &Shared, job: ClaimedJob) -> Done {
    let lease = job.lease();
    let Some(kind) = shared.jobs.kind(&job.kind) else {
        return Done::Refund(lease);
    };
    let flag = Arc::new(AtomicBool::new(false));
    let run = JobRun {
        id: job.id,
        payload: serde_json::from_str(&job.payload).unwrap_or(serde_json::Value::Null),
        attempt: job.attempt.max(1) as u32,
        max_attempts: job.max_attempts.max(1) as u32,
        trace_id: job
            .trace_id
            .as_deref()
            .and_then(TraceId::parse)
            .unwrap_or_else(TraceId::generate),
        session: job
            .session
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok()),
        trigger: kind.options.trigger,
        internal: kind.options.internal,
        lease: JobLease {
            lease,
            backend: shared.jobs.backend().clone(),
            clock: shared.jobs.clock().clone(),
            delete: shared.opts.completed_retention.is_zero(),
            done: flag.clone(),
        },
        kind: job.kind,
    };
    let attempt = run.attempt;
    let max = run.max_attempts;
    let result = match AssertUnwindSafe((kind.handler)(run)).catch_unwind().await {
        Ok(r) => r,
        Err(panic) => Err(ApiError::internal(format_args!(
            "job handler panicked: {}",
            crate::pipeline::panic_message(&panic)
        ))),
    };
    match result {
        Ok(()) if flag.load(Ordering::SeqCst) => Done::Settled(lease),
        Ok(()) => Done::Complete(lease),
        Err(e) => {
            let error = format!("{}: {}", e.code(), e.message());
            let retry_at = (e.is_retryable() && attempt < max).then(|| {
                let delay = kind.options.backoff(attempt);
                shared.now() + delay.as_millis().min(i64::MAX as u128) as i64
            });
            Done::Fail(Failure {
                lease,
                error,
                retry_at,
            })
        }
    }
}

/// Writes outcomes in batches of whatever is ready (batched mode). A failed
/// write is retried until it succeeds; the lease fences a write that comes
/// too late.
async fn complete(shared: Arc<Shared>, mut rx: mpsc::UnboundedReceiver<Done>) {
    let mut batch = Vec::with_capacity(64);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < 4096 {
            match rx.try_recv() {
                Ok(d) => batch.push(d),
                Err(_) => break,
            }
        }
        record(&shared, &mut batch).await;
    }
}

/// Writes the outcomes in `batch` (one statement per kind of outcome),
/// retrying until the database takes them, then frees their slots.
async fn record(shared: &Shared, batch: &mut Vec<Done>) {
    let backend = shared.jobs.backend().clone();
    let delete = shared.opts.completed_retention.is_zero();
    let mut completes = Vec::new();
    let mut fails = Vec::new();
    let mut refunds = Vec::new();
    for d in batch.iter() {
        match d {
            Done::Complete(l) => completes.push(*l),
            Done::Fail(f) => fails.push(f.clone()),
            Done::Refund(l) => refunds.push(*l),
            Done::Settled(_) => {}
        }
    }
    let mut wait = Duration::from_millis(50);
    for attempt in 0u32.. {
        let now = shared.now();
        let result: Result<(), JobsError> = async {
            if !completes.is_empty() {
                let n = backend.complete(None, &completes, now, delete).await?;
                if (n as usize) < completes.len() {
                    tracing::warn!(
                        refused = completes.len() - n as usize,
                        "completions refused: their leases had expired and the jobs were claimed again"
                    );
                }
                completes.clear();
            }
            if !fails.is_empty() {
                backend.fail(&fails, now).await?;
                fails.clear();
            }
            if !refunds.is_empty() {
                backend.release(&refunds, now, true).await?;
                refunds.clear();
            }
            Ok(())
        }
        .await;
        match result {
            Ok(()) => break,
            Err(e) => {
                if attempt == 0 {
                    tracing::warn!(error = %e, "cannot record job outcomes; retrying");
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
            }
        }
    }
    shared.settle(batch.drain(..).map(|d| d.lease()));
}

/// Renews the leases of every held job every third of the lease.
async fn heartbeat(shared: Arc<Shared>) {
    let every = (shared.opts.lease / 3).max(Duration::from_millis(10));
    loop {
        tokio::time::sleep(every).await;
        let leases = shared.held();
        if leases.is_empty() {
            continue;
        }
        let until = shared.now() + shared.lease_ms();
        if let Err(e) = shared.jobs.backend().heartbeat(&leases, until).await {
            tracing::warn!(error = %e, jobs = leases.len(), "cannot renew job leases");
        }
    }
}

/// Puts back jobs whose lease expired (every half lease, at most 5 s) and
/// prunes finished jobs on their retention.
async fn maintain(shared: Arc<Shared>) {
    let every = (shared.opts.lease / 2).clamp(Duration::from_millis(10), Duration::from_secs(5));
    let mut last_prune = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(every).await;
        if shared.jobs.kind_names().is_empty() {
            continue;
        }
        let now = shared.now();
        match shared.jobs.backend().rescue(now).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::warn!(
                    jobs = n,
                    "put back jobs whose worker stopped renewing their lease"
                );
                shared.jobs.wake().notify_one();
            }
            Err(e) => tracing::debug!(error = %e, "cannot rescue expired jobs"),
        }
        if last_prune.elapsed() >= shared.opts.prune_interval {
            last_prune = tokio::time::Instant::now();
            let ms = |d: Duration| d.as_millis().min(i64::MAX as u128) as i64;
            let finished = now - ms(shared.opts.completed_retention);
            let dead = now - ms(shared.opts.dead_retention);
            match shared.jobs.backend().prune(finished, dead).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(jobs = n, "pruned finished jobs"),
                Err(e) => tracing::debug!(error = %e, "cannot prune finished jobs"),
            }
        }
    }
}
