//! [`JobBackend`]: the storage a queue runs on, one implementation per dialect ([`super::SqliteJobs`], [`super::PostgresJobs`]).

use std::sync::Arc;

use futures::future::BoxFuture;
use sqlx::{PgConnection, SqliteConnection};
use tokio::sync::Notify;

use super::{JobCounts, JobInfo, JobState, JobsError};

/// A connection of the caller's, to enqueue or complete inside their
/// transaction: `Conn::from(&mut *tx)` for a `sqlx::Transaction` of either
/// dialect. It must be a connection to the database the jobs live in.
pub enum Conn<'a> {
    /// An SQLite connection (or transaction).
    Sqlite(&'a mut SqliteConnection),
    /// A PostgreSQL connection (or transaction).
    Postgres(&'a mut PgConnection),
}

impl Conn<'_> {
    pub(crate) fn dialect(&self) -> &'static str {
        match self {
            Conn::Sqlite(_) => "SQLite",
            Conn::Postgres(_) => "PostgreSQL",
        }
    }
}

impl<'a> From<&'a mut SqliteConnection> for Conn<'a> {
    fn from(c: &'a mut SqliteConnection) -> Self {
        Conn::Sqlite(c)
    }
}

impl<'a> From<&'a mut PgConnection> for Conn<'a> {
    fn from(c: &'a mut PgConnection) -> Self {
        Conn::Postgres(c)
    }
}

/// One row to insert, every default already resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct JobInsert {
    /// The handler name.
    pub kind: String,
    /// The payload as JSON text.
    pub payload: String,
    /// Higher runs first.
    pub priority: i32,
    /// Not before this time (ms).
    pub run_at: i64,
    /// Attempts allowed (at least 1).
    pub max_attempts: i32,
    /// Unique among live jobs, if set.
    pub unique_key: Option<String>,
    /// The enqueuer's trace id.
    pub trace_id: Option<String>,
    /// The enqueuer's session as JSON, for the job's guards.
    pub session: Option<String>,
    /// Enqueue time (ms).
    pub created_at: i64,
}

/// A job a worker claimed: it is `running` under `lease_token`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    /// The job's id.
    pub id: i64,
    /// The handler name.
    pub kind: String,
    /// The payload as JSON text.
    pub payload: String,
    /// Its priority.
    pub priority: i32,
    /// This attempt's number, from 1.
    pub attempt: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// The fencing token of this claim.
    pub lease_token: i64,
    /// The enqueuer's trace id.
    pub trace_id: Option<String>,
    /// The enqueuer's session as JSON.
    pub session: Option<String>,
}

impl ClaimedJob {
    /// The lease this claim holds.
    pub fn lease(&self) -> Lease {
        Lease {
            id: self.id,
            token: self.lease_token,
        }
    }
}

/// A job id with the fencing token of the claim that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease {
    /// The job's id.
    pub id: i64,
    /// The claim's token.
    pub token: i64,
}

/// A failed attempt to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The claim that failed.
    pub lease: Lease,
    /// What went wrong.
    pub error: String,
    /// When to try again; `None` makes the job `dead`.
    pub retry_at: Option<i64>,
}

/// The storage of a queue. Every write that concerns a claimed job names
/// its [`Lease`] and matches nothing when the row's token has moved on
/// (fencing). Implementations must be safe to call from many processes.
pub trait JobBackend: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn name(&self) -> &'static str;

    /// Creates the queue's tables if missing (`bunbase_jobs`,
    /// `bunbase_schedules`, `bunbase_event_subscriptions`).
    fn ensure_schema(&self) -> BoxFuture<'_, Result<(), JobsError>>;

    /// Inserts `jobs` (on `conn` when given, inside the caller's
    /// transaction), skipping those whose unique key a live job holds.
    /// Returns the ids of the inserted rows, in input order.
    fn enqueue<'a>(
        &'a self,
        conn: Option<Conn<'a>>,
        jobs: &'a [JobInsert],
    ) -> BoxFuture<'a, Result<Vec<i64>, JobsError>>;

    /// Claims up to `limit` due jobs of `kinds`, highest priority first,
    /// for `worker` until `lease_until`.
    fn claim<'a>(
        &'a self,
        kinds: &'a [String],
        worker: &'a str,
        limit: u32,
        now: i64,
        lease_until: i64,
    ) -> BoxFuture<'a, Result<Vec<ClaimedJob>, JobsError>>;

    /// Extends the leases still held; returns how many were.
    fn heartbeat<'a>(
        &'a self,
        leases: &'a [Lease],
        lease_until: i64,
    ) -> BoxFuture<'a, Result<u64, JobsError>>;

    /// Marks held jobs completed (or deletes them when `delete`), on `conn`
    /// when given. Returns how many leases were still held.
    fn complete<'a>(
        &'a self,
        conn: Option<Conn<'a>>,
        leases: &'a [Lease],
        now: i64,
        delete: bool,
    ) -> BoxFuture<'a, Result<u64, JobsError>>;

    /// Records failed attempts: `retryable` at `retry_at`, or `dead`.
    fn fail<'a>(
        &'a self,
        failures: &'a [Failure],
        now: i64,
    ) -> BoxFuture<'a, Result<u64, JobsError>>;

    /// Gives held jobs back (`available` now), refunding the attempt when
    /// the handler never started.
    fn release<'a>(
        &'a self,
        leases: &'a [Lease],
        now: i64,
        refund_attempt: bool,
    ) -> BoxFuture<'a, Result<u64, JobsError>>;

    /// Puts back running jobs whose lease expired before `now`
    /// (`retryable`, or `dead` without attempts left).
    fn rescue(&self, now: i64) -> BoxFuture<'_, Result<u64, JobsError>>;

    /// Deletes completed and cancelled jobs finalized before
    /// `finished_before`, and dead ones before `dead_before`.
    fn prune(
        &self,
        finished_before: i64,
        dead_before: i64,
    ) -> BoxFuture<'_, Result<u64, JobsError>>;

    /// One job.
    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<JobInfo>, JobsError>>;

    /// Jobs in `state` (of `kind` when given) with ids above `after_id`, by
    /// id, at most `limit`.
    fn list<'a>(
        &'a self,
        state: JobState,
        kind: Option<&'a str>,
        after_id: i64,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<JobInfo>, JobsError>>;

    /// Jobs per state.
    fn counts(&self) -> BoxFuture<'_, Result<JobCounts, JobsError>>;

    /// A dead (or cancelled) job becomes `available` now with its attempts
    /// reset. False when the job is in another state.
    fn redrive(&self, id: i64, now: i64) -> BoxFuture<'_, Result<bool, JobsError>>;

    /// An available or retryable job becomes `cancelled`. False otherwise.
    fn cancel(&self, id: i64, now: i64) -> BoxFuture<'_, Result<bool, JobsError>>;

    /// The schedule row of `name`, created when missing, its `next_at` reset
    /// to `first_at` when its spec changed. Returns the stored `next_at`
    /// (`None` once a one-shot schedule fired).
    fn schedule_load<'a>(
        &'a self,
        name: &'a str,
        spec: &'a str,
        first_at: i64,
    ) -> BoxFuture<'a, Result<Option<i64>, JobsError>>;

    /// Moves schedule `name` from `expected` to `next` and inserts `job`, in
    /// one transaction, only when its `next_at` still is `expected`: one
    /// instance wins each tick. Returns whether this call won.
    fn schedule_advance<'a>(
        &'a self,
        name: &'a str,
        expected: i64,
        next: Option<i64>,
        job: Option<&'a JobInsert>,
    ) -> BoxFuture<'a, Result<bool, JobsError>>;

    /// Records that jobs of `kind` are to be created for every published
    /// `event`, with `max_attempts` each (durable event subscriptions).
    fn subscribe<'a>(
        &'a self,
        event: &'a str,
        kind: &'a str,
        max_attempts: i32,
    ) -> BoxFuture<'a, Result<(), JobsError>>;

    /// Inserts one job per subscription to `event` (on `conn` when given),
    /// each a copy of `job` with the subscription's kind and attempts.
    /// Returns how many.
    fn publish<'a>(
        &'a self,
        conn: Option<Conn<'a>>,
        event: &'a str,
        job: &'a JobInsert,
    ) -> BoxFuture<'a, Result<u64, JobsError>>;

    /// Inserts `job` directly as `dead` with `error` (a delivery that failed
    /// for good outside the queue, e.g. over JetStream), so that an
    /// operator can inspect and redrive it. Returns its id.
    fn bury<'a>(
        &'a self,
        job: &'a JobInsert,
        error: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<i64, JobsError>>;

    /// A task that wakes `wake` whenever another process enqueues (and
    /// when its notification connection is re-established), or `None`
    /// where the backend has no such channel (SQLite: wake-ups are
    /// in-process).
    fn listen(&self, _wake: Arc<Notify>) -> Option<BoxFuture<'static, ()>> {
        None
    }
}
