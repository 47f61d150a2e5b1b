//! [`Jobs`]: the queue handle an application holds: enqueue builder, handler registry, worker start and stop, and the operator API (list, inspect, redrive, cancel).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{Notify, OnceCell};

use super::backend::{Conn, JobBackend, JobInsert};
use super::worker::{self, JobHandler, JobRun, WorkerHandle, WorkerOptions};
use super::{
    Clock, Enqueued, JobCounts, JobInfo, JobState, JobsError, PostgresJobs, SqliteJobs, SystemClock,
};
use crate::context::TriggerKind;
use crate::pipeline::RetryPolicy;
use crate::session::Session;
use crate::{ApiError, TraceId};

/// How jobs of one kind are enqueued and retried (generated code fills it
/// from the contract's `queue` and `retry` settings).
#[derive(Debug, Clone)]
pub struct JobKind {
    /// The kind's name: the action's full name for generated code.
    pub name: Cow<'static, str>,
    /// Attempts before a job is dead (default 5; the contract's
    /// `max_attempts`).
    pub max_attempts: u32,
    /// Default priority (higher first; the contract's `priority`).
    pub priority: i32,
    /// The delay shape between attempts (the contract's `retry`: backoff,
    /// base, max); its `attempts` field is not used here.
    pub retry: RetryPolicy,
    /// The trigger runs are recorded under.
    pub trigger: TriggerKind,
    /// Whether runs skip the action's guards (an internal trigger: the
    /// contract says so, or the trigger has no caller, as cron).
    pub internal: bool,
}

impl JobKind {
    /// A queue kind with defaults: 5 attempts, priority 0, exponential
    /// backoff from 1 s capped at 30 s, guards run.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        JobKind {
            name: name.into(),
            max_attempts: 5,
            priority: 0,
            retry: RetryPolicy::NONE,
            trigger: TriggerKind::Queue,
            internal: false,
        }
    }

    /// Sets the attempts allowed.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets the default priority.
    pub fn priority(mut self, p: i32) -> Self {
        self.priority = p;
        self
    }

    /// Sets the backoff between attempts.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the trigger runs are recorded under.
    pub fn trigger(mut self, trigger: TriggerKind) -> Self {
        self.trigger = trigger;
        self
    }

    /// Makes runs skip the action's guards.
    pub fn internal(mut self, internal: bool) -> Self {
        self.internal = internal;
        self
    }

    /// The delay before the attempt after failed attempt `failed`: the
    /// retry policy's delay with ±20 % jitter, so that jobs failing together
    /// do not retry in lockstep.
    pub fn backoff(&self, failed: u32) -> Duration {
        let base = self.retry.delay_after(failed).as_secs_f64();
        let factor = 0.8 + 0.4 * rand::random::<f64>();
        Duration::from_secs_f64(base * factor)
    }
}

pub(crate) struct Registered {
    pub(crate) options: JobKind,
    pub(crate) handler: JobHandler,
}

struct Inner {
    backend: Arc<dyn JobBackend>,
    clock: Arc<dyn Clock>,
    kinds: RwLock<HashMap<String, Arc<Registered>>>,
    schema: OnceCell<()>,
    wake: Arc<Notify>,
    worker: Mutex<Option<Arc<WorkerHandle>>>,
}

/// The job queue: a storage backend, the registered handlers and, once
/// started, a worker. Cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs")
            .field("backend", &self.inner.backend.name())
            .field("kinds", &self.kind_names())
            .finish()
    }
}

impl Jobs {
    /// A queue over `backend` with the system clock.
    pub fn new(backend: Arc<dyn JobBackend>) -> Self {
        Self::with_clock(backend, Arc::new(SystemClock))
    }

    /// A queue over `backend` reading time from `clock`.
    pub fn with_clock(backend: Arc<dyn JobBackend>, clock: Arc<dyn Clock>) -> Self {
        Jobs {
            inner: Arc::new(Inner {
                backend,
                clock,
                kinds: RwLock::new(HashMap::new()),
                schema: OnceCell::new(),
                wake: Arc::new(Notify::new()),
                worker: Mutex::new(None),
            }),
        }
    }

    /// A queue on its own pool over `url` (`sqlite:` or `postgres:`),
    /// connected lazily: nothing touches the database until the queue is
    /// used.
    pub fn connect_lazy(url: &str, max_connections: u32) -> Result<Self, JobsError> {
        let backend: Arc<dyn JobBackend> = if url.starts_with("sqlite:") {
            Arc::new(SqliteJobs::connect_lazy(url, max_connections)?)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Arc::new(PostgresJobs::connect_lazy(url, max_connections)?)
        } else {
            return Err(JobsError::UnsupportedUrl(crate::db::mask_password(url)));
        };
        Ok(Self::new(backend))
    }

    /// A queue in the application's database, over [`crate::Db`]'s own
    /// pool: jobs can then be enqueued and completed inside the
    /// application's transactions.
    pub fn from_db(db: &crate::Db) -> Self {
        let backend: Arc<dyn JobBackend> = match db.pool() {
            crate::db::Pool::Sqlite(p) => Arc::new(SqliteJobs::new(p.clone())),
            crate::db::Pool::Postgres(p) => Arc::new(PostgresJobs::new(p.clone())),
        };
        Self::new(backend)
    }

    /// The storage backend.
    pub fn backend(&self) -> &Arc<dyn JobBackend> {
        &self.inner.backend
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    pub(crate) fn wake(&self) -> Arc<Notify> {
        self.inner.wake.clone()
    }

    /// Wakes this process's worker to look for due jobs now: call it after
    /// committing a transaction that enqueued jobs on SQLite (PostgreSQL
    /// wakes every worker by `NOTIFY` at commit).
    pub fn wake_workers(&self) {
        self.inner.wake.notify_one();
    }

    /// Creates the queue's tables once per process (retried after a
    /// failure). Every operation calls it first.
    pub async fn ready(&self) -> Result<(), JobsError> {
        self.inner
            .schema
            .get_or_try_init(|| self.inner.backend.ensure_schema())
            .await
            .map(|_| ())
    }

    /// Registers the handler of jobs of `kind`. The worker claims only
    /// registered kinds; registering a kind again replaces its handler.
    pub fn register<F, Fut>(&self, kind: JobKind, handler: F)
    where
        F: Fn(JobRun) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ApiError>> + Send + 'static,
    {
        let handler: JobHandler = Arc::new(move |run| Box::pin(handler(run)));
        let name = kind.name.to_string();
        let mut kinds = self.inner.kinds.write().unwrap_or_else(|p| p.into_inner());
        kinds.insert(
            name,
            Arc::new(Registered {
                options: kind,
                handler,
            }),
        );
        drop(kinds);
        self.inner.wake.notify_one();
    }

    pub(crate) fn kind(&self, name: &str) -> Option<Arc<Registered>> {
        let kinds = self.inner.kinds.read().unwrap_or_else(|p| p.into_inner());
        kinds.get(name).cloned()
    }

    /// The registered kinds, sorted.
    pub fn kind_names(&self) -> Vec<String> {
        let kinds = self.inner.kinds.read().unwrap_or_else(|p| p.into_inner());
        let mut names: Vec<String> = kinds.keys().cloned().collect();
        names.sort();
        names
    }

    /// Starts building a job of `kind` with `payload`. Priority and
    /// attempts default to the kind's registration in this process, else 0
    /// and 5.
    pub fn job<T: Serialize + ?Sized>(&self, kind: &str, payload: &T) -> EnqueueBuilder {
        EnqueueBuilder {
            jobs: self.clone(),
            payload: serde_json::to_string(payload).map_err(|source| JobsError::Payload {
                kind: kind.to_owned(),
                source,
            }),
            kind: kind.to_owned(),
            priority: None,
            run_at: None,
            delay: None,
            max_attempts: None,
            unique_key: None,
            trace_id: None,
            session: None,
        }
    }

    /// Inserts prepared jobs ([`EnqueueBuilder::build`]) in one statement
    /// (PostgreSQL) or one transaction (SQLite), on `conn` when given.
    /// Returns the ids of the inserted ones (unique-key duplicates are
    /// skipped).
    pub async fn enqueue_batch(
        &self,
        conn: Option<Conn<'_>>,
        jobs: &[JobInsert],
    ) -> Result<Vec<i64>, JobsError> {
        self.ready().await?;
        let in_tx = conn.is_some();
        let ids = self.inner.backend.enqueue(conn, jobs).await?;
        if !in_tx && !ids.is_empty() {
            self.inner.wake.notify_one();
        }
        Ok(ids)
    }

    /// Starts this queue's worker (once; later calls return the running
    /// one). It claims the kinds registered at each claim, so kinds
    /// registered after the start are picked up.
    pub fn start_worker(&self, opts: WorkerOptions) -> Arc<WorkerHandle> {
        let mut slot = self.inner.worker.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = slot.as_ref() {
            return w.clone();
        }
        let handle = Arc::new(worker::start(self.clone(), opts));
        *slot = Some(handle.clone());
        handle
    }

    /// Whether a worker is running in this process.
    pub fn worker_running(&self) -> bool {
        self.inner
            .worker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Stops the worker, if one runs: see [`WorkerHandle::stop`].
    pub async fn shutdown(&self, grace: Duration) {
        let worker = self
            .inner
            .worker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(w) = worker {
            w.stop(grace).await;
        }
    }

    /// One job, for an operator.
    pub async fn get(&self, id: i64) -> Result<Option<JobInfo>, JobsError> {
        self.ready().await?;
        self.inner.backend.get(id).await
    }

    /// Jobs in `state` (of `kind` when given), by id, after `after_id`
    /// (for paging), at most `limit`.
    pub async fn list(
        &self,
        state: JobState,
        kind: Option<&str>,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<JobInfo>, JobsError> {
        self.ready().await?;
        self.inner.backend.list(state, kind, after_id, limit).await
    }

    /// The first `limit` dead jobs: what failed for good, with its last
    /// error.
    pub async fn dead(&self, limit: u32) -> Result<Vec<JobInfo>, JobsError> {
        self.list(JobState::Dead, None, 0, limit).await
    }

    /// Jobs per state.
    pub async fn counts(&self) -> Result<JobCounts, JobsError> {
        self.ready().await?;
        self.inner.backend.counts().await
    }

    /// Runs a dead (or cancelled) job again from its first attempt. False
    /// when it is in another state, or when a live job holds its unique
    /// key.
    pub async fn redrive(&self, id: i64) -> Result<bool, JobsError> {
        self.ready().await?;
        let done = self
            .inner
            .backend
            .redrive(id, self.inner.clock.now_ms())
            .await?;
        if done {
            self.inner.wake.notify_one();
        }
        Ok(done)
    }

    /// Redrives every dead job (of `kind` when given). Returns how many.
    pub async fn redrive_dead(&self, kind: Option<&str>) -> Result<u64, JobsError> {
        let mut n = 0;
        let mut after = 0;
        loop {
            let page = self.list(JobState::Dead, kind, after, 500).await?;
            let Some(last) = page.last() else {
                return Ok(n);
            };
            after = last.id;
            for job in &page {
                n += u64::from(self.redrive(job.id).await?);
            }
        }
    }

    /// Cancels an available or retryable job. False otherwise.
    pub async fn cancel(&self, id: i64) -> Result<bool, JobsError> {
        self.ready().await?;
        self.inner
            .backend
            .cancel(id, self.inner.clock.now_ms())
            .await
    }
}

/// A job being built: [`Jobs::job`], or `ActionContext::enqueue`, which
/// also carries the caller's trace id and session.
#[must_use = "a job is enqueued only by .enqueue() or .enqueue_in(tx)"]
pub struct EnqueueBuilder {
    jobs: Jobs,
    kind: String,
    payload: Result<String, JobsError>,
    priority: Option<i32>,
    run_at: Option<i64>,
    delay: Option<Duration>,
    max_attempts: Option<u32>,
    unique_key: Option<String>,
    trace_id: Option<TraceId>,
    session: Option<Session>,
}

impl std::fmt::Debug for EnqueueBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnqueueBuilder")
            .field("kind", &self.kind)
            .finish()
    }
}

impl EnqueueBuilder {
    /// Higher runs first.
    pub fn priority(mut self, priority: i32) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Not before `at`.
    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at.timestamp_millis());
        self
    }

    /// Not before `delay` from now.
    pub fn run_in(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Overrides the kind's attempts.
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = Some(n.max(1));
        self
    }

    /// Not enqueued while a live job (available, running, retryable) has
    /// the same key.
    pub fn unique_key(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    /// The trace id the job runs under (default: a fresh one).
    pub fn trace_id(mut self, id: TraceId) -> Self {
        self.trace_id = Some(id);
        self
    }

    /// The session the job's guards see.
    pub fn session(mut self, session: Option<Session>) -> Self {
        self.session = session;
        self
    }

    /// The row to insert, every default resolved.
    pub fn build(self) -> Result<JobInsert, JobsError> {
        let (insert, _) = self.resolve()?;
        Ok(insert)
    }

    fn resolve(self) -> Result<(JobInsert, Jobs), JobsError> {
        let now = self.jobs.clock().now_ms();
        let registered = self.jobs.kind(&self.kind);
        let (default_priority, default_attempts) = registered
            .as_ref()
            .map_or((0, 5), |r| (r.options.priority, r.options.max_attempts));
        let run_at = match (self.run_at, self.delay) {
            (Some(at), _) => at,
            (None, Some(d)) => now + d.as_millis().min(i64::MAX as u128) as i64,
            (None, None) => now,
        };
        let session = match &self.session {
            Some(s) => Some(
                serde_json::to_string(s).map_err(|source| JobsError::Payload {
                    kind: self.kind.clone(),
                    source,
                })?,
            ),
            None => None,
        };
        let insert = JobInsert {
            payload: self.payload?,
            priority: self.priority.unwrap_or(default_priority),
            run_at,
            max_attempts: self
                .max_attempts
                .unwrap_or(default_attempts)
                .max(1)
                .min(i32::MAX as u32) as i32,
            unique_key: self.unique_key,
            trace_id: self.trace_id.map(|t| t.to_string()),
            session,
            created_at: now,
            kind: self.kind,
        };
        Ok((insert, self.jobs))
    }

    /// Inserts the job on the queue's own pool.
    pub async fn enqueue(self) -> Result<Enqueued, JobsError> {
        let (insert, jobs) = self.resolve()?;
        let ids = jobs
            .enqueue_batch(None, std::slice::from_ref(&insert))
            .await?;
        Ok(ids
            .first()
            .map_or(Enqueued::Duplicate, |&id| Enqueued::Created(id)))
    }

    /// Inserts the job inside the caller's transaction: it exists only if
    /// the transaction commits. On SQLite call [`Jobs::wake_workers`] after
    /// the commit for an immediate pickup.
    pub async fn enqueue_in<'c>(self, conn: impl Into<Conn<'c>>) -> Result<Enqueued, JobsError> {
        let (insert, jobs) = self.resolve()?;
        let ids = jobs
            .enqueue_batch(Some(conn.into()), std::slice::from_ref(&insert))
            .await?;
        Ok(ids
            .first()
            .map_or(Enqueued::Duplicate, |&id| Enqueued::Created(id)))
    }
}
