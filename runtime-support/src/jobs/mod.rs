//! The durable job queue: jobs in a `bunbase_jobs` table on SQLite or PostgreSQL, claimed in batches under leases, run through the action pipeline.
//!
//! # The model
//!
//! A job is a row: a `kind` (the name a handler is registered under, for
//! generated code the action's full name), a JSON payload, a priority
//! (higher runs first), a `run_at` time, an attempt counter with a
//! maximum, an optional unique key, and the trace id and session of
//! whoever enqueued it. Its state moves through
//!
//! ```text
//! available ──claim──▶ running ──ok──▶ completed ──(retention)──▶ pruned
//!     ▲                  │  │
//!     │    retryable ◀───┘  └──(last attempt, or a non-retryable error)──▶ dead ──redrive──▶ available
//!     └──────┘ (after the backoff)
//! available / retryable ──cancel──▶ cancelled
//! ```
//!
//! **Leases and fencing.** A claim sets `lease_expires_at` and increments
//! `lease_token`; the worker extends the lease by heartbeat (every third of
//! the lease) while the job runs. Every completion, failure and heartbeat
//! names the token it holds, so a worker whose lease expired and whose job
//! was claimed again cannot complete it: the row's token has moved on and
//! the write matches nothing ([`JobLease::complete_in`] returns `false`).
//! A job whose worker died is put back (`retryable`, or `dead` when it has
//! no attempt left) once its lease expires, by whichever worker looks first.
//!
//! **Delivery is at least once.** A handler whose side effects must happen
//! exactly once writes them in a transaction that also completes its job
//! ([`JobLease::complete_in`]): if the lease was lost, the completion
//! matches nothing and the transaction is rolled back.
//!
//! **Unique keys.** A job with a unique key is not inserted while another
//! job with the same key is `available`, `running` or `retryable` (a
//! partial unique index and `ON CONFLICT DO NOTHING`);
//! [`Enqueued::Duplicate`] says so.
//!
//! **Claims are batched**: PostgreSQL uses one `UPDATE … FROM (SELECT …
//! FOR UPDATE SKIP LOCKED LIMIT n)`; SQLite one `UPDATE … WHERE id IN
//! (SELECT … LIMIT n) RETURNING` inside `BEGIN IMMEDIATE`. Completions are
//! batched too: the worker writes every completion that is ready in one
//! statement. Wake-ups: on PostgreSQL an insert trigger sends `NOTIFY
//! bunbase_jobs` and every worker `LISTEN`s; on SQLite an enqueue wakes the
//! worker of its own process. Polling (`JOBS_POLL_INTERVAL_MS`) is the
//! fallback for both.
//!
//! Times are milliseconds since the Unix epoch, taken from the [`Clock`]
//! of the process (tests use [`ManualClock`]); instances should keep their
//! clocks in sync (NTP), as a skew of `s` seconds shifts their view of due
//! jobs and leases by `s`.

mod backend;
mod clock;
mod postgres;
mod queue;
mod sqlite;
mod worker;

use std::fmt;

pub use backend::{ClaimedJob, Conn, Failure, JobBackend, JobInsert, Lease};
pub use clock::{Clock, ManualClock, SystemClock};
pub use postgres::PostgresJobs;
pub use queue::{EnqueueBuilder, JobKind, Jobs};
pub use sqlite::SqliteJobs;
pub use worker::{JobHandler, JobLease, JobRun, WorkerHandle, WorkerOptions};

/// Failures of the job queue. Messages say how to fix the problem.
#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    /// The database failed.
    #[error("job queue database error: {0}; check DATABASE_URL and that the database is reachable")]
    Db(#[from] sqlx::Error),
    /// A payload could not be turned into JSON.
    #[error("job payload of {kind} does not serialise to JSON: {source}")]
    Payload {
        /// The job kind.
        kind: String,
        /// The cause.
        source: serde_json::Error,
    },
    /// A connection of the other dialect was passed to a store.
    #[error(
        "a {given} connection was passed to the {store} job store: enqueue inside a transaction of the database the jobs live in"
    )]
    WrongDialect {
        /// The store's dialect.
        store: &'static str,
        /// The connection's dialect.
        given: &'static str,
    },
    /// The queue's URL has a scheme the queue does not support.
    #[error("unsupported job queue URL {0:?}: use sqlite:... or postgres://...")]
    UnsupportedUrl(String),
    /// A schedule is invalid.
    #[error("invalid schedule {name}: {why}")]
    Schedule {
        /// The schedule's name.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// A NATS operation failed.
    #[error("NATS error: {0}; check NATS_URL and that the server is running")]
    Nats(String),
}

/// A queue failure inside a handler is an internal (retryable) error, so
/// `ctx.enqueue(..).enqueue().await?` works in handlers.
impl From<JobsError> for crate::ApiError {
    fn from(e: JobsError) -> Self {
        crate::ApiError::internal(e)
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for its `run_at` time and a worker.
    Available,
    /// Claimed by a worker under a lease.
    Running,
    /// Finished successfully (kept until pruned).
    Completed,
    /// Failed; waits for its backoff to run again.
    Retryable,
    /// Failed for good (no attempts left, or an error that retrying cannot
    /// fix); kept for an operator to inspect and redrive.
    Dead,
    /// Cancelled by an operator before it ran.
    Cancelled,
}

impl JobState {
    /// Every state, in life order.
    pub const ALL: [JobState; 6] = [
        JobState::Available,
        JobState::Running,
        JobState::Completed,
        JobState::Retryable,
        JobState::Dead,
        JobState::Cancelled,
    ];

    /// The text stored in `bunbase_jobs.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Available => "available",
            JobState::Running => "running",
            JobState::Completed => "completed",
            JobState::Retryable => "retryable",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    /// The state named `text`, if any.
    pub fn parse(text: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of an enqueue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    /// A job was inserted with this id.
    Created(i64),
    /// A live job (available, running or retryable) already holds the
    /// unique key; nothing was inserted.
    Duplicate,
}

impl Enqueued {
    /// The new job's id, if one was inserted.
    pub fn id(self) -> Option<i64> {
        match self {
            Enqueued::Created(id) => Some(id),
            Enqueued::Duplicate => None,
        }
    }
}

/// One job as an operator sees it ([`Jobs::get`], [`Jobs::list`]).
#[derive(Debug, Clone, PartialEq)]
pub struct JobInfo {
    /// The job's id.
    pub id: i64,
    /// The handler name.
    pub kind: String,
    /// Its state.
    pub state: JobState,
    /// The payload.
    pub payload: serde_json::Value,
    /// Higher runs first.
    pub priority: i32,
    /// When it may run next (ms since the epoch).
    pub run_at: i64,
    /// Attempts made so far.
    pub attempt: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// The fencing token of its latest claim.
    pub lease_token: i64,
    /// The worker holding it, while running.
    pub locked_by: Option<String>,
    /// Its unique key, if any.
    pub unique_key: Option<String>,
    /// The enqueuer's trace id.
    pub trace_id: Option<String>,
    /// The error of its latest failed attempt.
    pub last_error: Option<String>,
    /// When it was enqueued (ms).
    pub created_at: i64,
    /// When it completed, died or was cancelled (ms).
    pub finalized_at: Option<i64>,
}

/// Counts of jobs per state ([`Jobs::counts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// `available` jobs.
    pub available: i64,
    /// `running` jobs.
    pub running: i64,
    /// `completed` jobs (not yet pruned).
    pub completed: i64,
    /// `retryable` jobs.
    pub retryable: i64,
    /// `dead` jobs.
    pub dead: i64,
    /// `cancelled` jobs.
    pub cancelled: i64,
}

impl JobCounts {
    pub(crate) fn add(&mut self, state: &str, n: i64) {
        match JobState::parse(state) {
            Some(JobState::Available) => self.available += n,
            Some(JobState::Running) => self.running += n,
            Some(JobState::Completed) => self.completed += n,
            Some(JobState::Retryable) => self.retryable += n,
            Some(JobState::Dead) => self.dead += n,
            Some(JobState::Cancelled) => self.cancelled += n,
            None => {}
        }
    }

    /// Jobs still to run: available, running and retryable.
    pub fn live(&self) -> i64 {
        self.available + self.running + self.retryable
    }
}
