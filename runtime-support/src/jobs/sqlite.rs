//! The SQLite job store: claims in `BEGIN IMMEDIATE` with `UPDATE … RETURNING`, batch writes as one transaction of prepared statements.
//!
//! SQLite has one writer per file, so every write here is a short
//! immediate transaction: taking the write lock up front avoids
//! `SQLITE_BUSY_SNAPSHOT` when a read would have to upgrade. Statements
//! use numbered `?N` parameters (positional and cached).

use std::str::FromStr as _;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row as _, SqliteConnection};

use super::backend::{ClaimedJob, Conn, Failure, JobBackend, JobInsert, Lease};
use super::{JobCounts, JobInfo, JobState, JobsError};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS bunbase_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'available',
    payload TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    run_at INTEGER NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    lease_token INTEGER NOT NULL DEFAULT 0,
    locked_by TEXT,
    lease_expires_at INTEGER,
    unique_key TEXT,
    trace_id TEXT,
    session TEXT,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    finalized_at INTEGER
);
CREATE INDEX IF NOT EXISTS bunbase_jobs_fetch ON bunbase_jobs (priority DESC, run_at, id)
    WHERE state IN ('available', 'retryable');
CREATE INDEX IF NOT EXISTS bunbase_jobs_lease ON bunbase_jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX IF NOT EXISTS bunbase_jobs_dead ON bunbase_jobs (id) WHERE state = 'dead';
CREATE UNIQUE INDEX IF NOT EXISTS bunbase_jobs_unique ON bunbase_jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('available', 'running', 'retryable');
CREATE TABLE IF NOT EXISTS bunbase_schedules (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    next_at INTEGER,
    last_tick INTEGER
);
CREATE TABLE IF NOT EXISTS bunbase_event_subscriptions (
    event TEXT NOT NULL,
    kind TEXT NOT NULL,
    max_attempts INTEGER NOT NULL,
    PRIMARY KEY (event, kind)
);
"#;

const INFO_COLUMNS: &str = "id, kind, state, payload, priority, run_at, attempt, max_attempts, lease_token, \
     locked_by, unique_key, trace_id, last_error, created_at, finalized_at";

const INSERT: &str = "INSERT INTO bunbase_jobs (kind, payload, priority, run_at, max_attempts, unique_key, trace_id, session, created_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING RETURNING id";

/// Jobs in SQLite, over a [`SqlitePool`].
///
/// The store's own write transactions take an in-process lock first: SQLite
/// has one writer per file, and writers of one process that meet on the
/// file lock wait in SQLite's busy handler, which sleeps (1 ms, then up to
/// 100 ms per try); queued on the lock they run back to back instead.
/// Other processes still meet on the file lock (`busy_timeout`).
#[derive(Debug, Clone)]
pub struct SqliteJobs {
    pool: SqlitePool,
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl SqliteJobs {
    /// A store over `pool` (WAL mode and a busy timeout expected).
    pub fn new(pool: SqlitePool) -> Self {
        SqliteJobs {
            pool,
            writer: Default::default(),
        }
    }

    /// A store over a new pool on `url` (WAL, 5 s busy timeout, `synchronous
    /// = NORMAL`; one connection for an in-memory database), connected
    /// lazily.
    pub fn connect_lazy(url: &str, max_connections: u32) -> Result<Self, JobsError> {
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { max_connections.max(1) })
            .min_connections(if memory { 1 } else { 0 })
            .idle_timeout((!memory).then_some(Duration::from_secs(600)))
            .max_lifetime((!memory).then_some(Duration::from_secs(1800)))
            .test_before_acquire(false)
            .connect_lazy_with(opts);
        Ok(SqliteJobs::new(pool))
    }

    /// The pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn lite<'a>(conn: Option<Conn<'a>>) -> Result<Option<&'a mut SqliteConnection>, JobsError> {
    match conn {
        None => Ok(None),
        Some(Conn::Sqlite(c)) => Ok(Some(c)),
        Some(other) => Err(JobsError::WrongDialect {
            store: "SQLite",
            given: other.dialect(),
        }),
    }
}

fn info(row: &SqliteRow) -> Result<JobInfo, sqlx::Error> {
    let payload: String = row.try_get("payload")?;
    let state: String = row.try_get("state")?;
    Ok(JobInfo {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        state: JobState::parse(&state).unwrap_or(JobState::Dead),
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        priority: row.try_get("priority")?,
        run_at: row.try_get("run_at")?,
        attempt: row.try_get("attempt")?,
        max_attempts: row.try_get("max_attempts")?,
        lease_token: row.try_get("lease_token")?,
        locked_by: row.try_get("locked_by")?,
        unique_key: row.try_get("unique_key")?,
        trace_id: row.try_get("trace_id")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        finalized_at: row.try_get("finalized_at")?,
    })
}

async fn insert(c: &mut SqliteConnection, jobs: &[JobInsert]) -> Result<Vec<i64>, sqlx::Error> {
    let mut ids = Vec::with_capacity(jobs.len());
    for j in jobs {
        let id: Option<i64> = sqlx::query_scalar(INSERT)
            .bind(&j.kind)
            .bind(&j.payload)
            .bind(j.priority)
            .bind(j.run_at)
            .bind(j.max_attempts)
            .bind(&j.unique_key)
            .bind(&j.trace_id)
            .bind(&j.session)
            .bind(j.created_at)
            .fetch_optional(&mut *c)
            .await?;
        ids.extend(id);
    }
    Ok(ids)
}

async fn publish_on(
    c: &mut SqliteConnection,
    event: &str,
    job: &JobInsert,
) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO bunbase_jobs (kind, payload, priority, run_at, max_attempts, trace_id, session, created_at)
         SELECT s.kind, ?2, ?3, ?4, s.max_attempts, ?5, ?6, ?7
         FROM bunbase_event_subscriptions s WHERE s.event = ?1",
    )
    .bind(event)
    .bind(&job.payload)
    .bind(job.priority)
    .bind(job.run_at)
    .bind(&job.trace_id)
    .bind(&job.session)
    .bind(job.created_at)
    .execute(c)
    .await
    .map(|d| d.rows_affected())
}

async fn complete_on(
    c: &mut SqliteConnection,
    leases: &[Lease],
    now: i64,
    delete: bool,
) -> Result<u64, sqlx::Error> {
    let sql = if delete {
        "DELETE FROM bunbase_jobs WHERE id = ?1 AND lease_token = ?2 AND state = 'running' AND ?3 IS NOT NULL"
    } else {
        "UPDATE bunbase_jobs SET state = 'completed', finalized_at = ?3, locked_by = NULL, lease_expires_at = NULL
         WHERE id = ?1 AND lease_token = ?2 AND state = 'running'"
    };
    let mut n = 0;
    for l in leases {
        n += sqlx::query(sql)
            .bind(l.id)
            .bind(l.token)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected();
    }
    Ok(n)
}

/// Runs `$body` (a future over `$c: &mut SqliteConnection`) in an
/// immediate transaction on a pooled connection; evaluates to a future of
/// `Result<T, JobsError>`.
macro_rules! immediate {
    ($self:ident, |$c:ident| $body:expr) => {
        async {
            let _writer = $self.writer.lock().await;
            let mut tx = $self.pool.begin_with("BEGIN IMMEDIATE").await?;
            let out = {
                let $c: &mut SqliteConnection = &mut tx;
                $body.await?
            };
            tx.commit().await?;
            Ok::<_, JobsError>(out)
        }
    };
}

impl JobBackend for SqliteJobs {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn ensure_schema(&self) -> BoxFuture<'_, Result<(), JobsError>> {
        Box::pin(async move {
            immediate!(self, |c| Box::pin(async move {
                sqlx::raw_sql(SCHEMA).execute(c).await.map(|_| ())
            }))
            .await
        })
    }

    fn enqueue<'a>(
        &'a self,
        conn: Option<Conn<'a>>,
        jobs: &'a [JobInsert],
    ) -> BoxFuture<'a, Result<Vec<i64>, JobsError>> {
        Box::pin(async move {
            match lite(conn)? {
                Some(c) => Ok(insert(c, jobs).await?),
                None => immediate!(self, |c| Box::pin(insert(c, jobs))).await,
            }
        })
    }

    fn claim<'a>(
        &'a self,
        kinds: &'a [String],
        worker: &'a str,
        limit: u32,
        now: i64,
        lease_until: i64,
    ) -> BoxFuture<'a, Result<Vec<ClaimedJob>, JobsError>> {
        Box::pin(async move {
            let kinds = serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into());
            let rows = immediate!(self, |c| {
                    Box::pin(async move {
                        sqlx::query(
                            "UPDATE bunbase_jobs
                             SET state = 'running', attempt = attempt + 1, lease_token = lease_token + 1,
                                 locked_by = ?1, lease_expires_at = ?2
                             WHERE id IN (SELECT id FROM bunbase_jobs
                                          WHERE state IN ('available', 'retryable') AND run_at <= ?3
                                            AND kind IN (SELECT value FROM json_each(?4))
                                          ORDER BY priority DESC, run_at, id LIMIT ?5)
                             RETURNING id, kind, payload, priority, attempt, max_attempts, lease_token, trace_id, session",
                        )
                        .bind(worker)
                        .bind(lease_until)
                        .bind(now)
                        .bind(kinds)
                        .bind(i64::from(limit))
                        .fetch_all(c)
                        .await
                    })
                })
                .await?;
            let mut jobs = rows
                .iter()
                .map(|row| {
                    Ok(ClaimedJob {
                        id: row.try_get("id")?,
                        kind: row.try_get("kind")?,
                        payload: row.try_get("payload")?,
                        priority: row.try_get("priority")?,
                        attempt: row.try_get("attempt")?,
                        max_attempts: row.try_get("max_attempts")?,
                        lease_token: row.try_get("lease_token")?,
                        trace_id: row.try_get("trace_id")?,
                        session: row.try_get("session")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?;
            jobs.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));
            Ok(jobs)
        })
    }

    fn heartbeat<'a>(
        &'a self,
        leases: &'a [Lease],
        lease_until: i64,
    ) -> BoxFuture<'a, Result<u64, JobsError>> {
        Box::pin(async move {
            immediate!(self, |c| {
                Box::pin(async move {
                    let mut n = 0;
                    for l in leases {
                        n += sqlx::query(
                            "UPDATE bunbase_jobs SET lease_expires_at = ?3
                             WHERE id = ?1 AND lease_token = ?2 AND state = 'running'",
                        )
                        .bind(l.id)
                        .bind(l.token)
                        .bind(lease_until)
                        .execute(&mut *c)
                        .await?
                        .rows_affected();
                    }
                    Ok::<_, sqlx::Error>(n)
                })
            })
            .await
        })
    }

    fn complete<'a>(
        &'a self,
        conn: Option<Conn<'a>>,
        leases: &'a [Lease],
        now: i64,
        delete: bool,
    ) -> BoxFuture<'a, Result<u64, JobsError>> {
        Box::pin(async move {
            match lite(conn)? {
                Some(c) => Ok(complete_on(c, leases, now, delete).await?),
                None => immediate!(self, |c| Box::pin(complete_on(c, leases, now, delete))).await,
            }
        })
    }

    fn fail<'a>(
        &'a self,
        failures: &'a [Failure],
        now: i64,
    ) -> BoxFuture<'a, Result<u64, JobsError>> {
        Box::pin(async move {
            immediate!(self, |c| {
                Box::pin(async move {
                    let mut n = 0;
                    for f in failures {
                        n += sqlx::query(
                            "UPDATE bunbase_jobs
                             SET state = CASE WHEN ?4 IS NULL THEN 'dead' ELSE 'retryable' END,
                                 run_at = COALESCE(?4, run_at),
                                 finalized_at = CASE WHEN ?4 IS NULL THEN ?5 ELSE NULL END,
                                 last_error = ?3, locked_by = NULL, lease_expires_at = NULL
                             WHERE id = ?1 AND lease_token = ?2 AND state = 'running'",
                        )
                        .bind(f.lease.id)
                        .bind(f.lease.token)
                        .bind(&f.error)
                        .bind(f.retry_at)
                        .bind(now)
                        .execute(&mut *c)
                        .await?
                        .rows_affected();
                    }
                    Ok::<_, sqlx::Error>(n)
                })
            })
            .await
        })
    }

    fn release<'a>(
        &'a self,
        leases: &'a [Lease],
        now: i64,
        refund_attempt: bool,
    ) -> BoxFuture<'a, Result<u64, JobsError>> {
        Box::pin(async move {
            immediate!(self, |c| {
                Box::pin(async move {
                    let mut n = 0;
                    for l in leases {
                        n += sqlx::query(
                            "UPDATE bunbase_jobs
                             SET state = 'available', run_at = ?3, locked_by = NULL, lease_expires_at = NULL,
                                 attempt = CASE WHEN ?4 THEN MAX(attempt - 1, 0) ELSE attempt END
                             WHERE id = ?1 AND lease_token = ?2 AND state = 'running'",
                        )
                        .bind(l.id)
                        .bind(l.token)
                        .bind(now)
                        .bind(refund_attempt)
                        .execute(&mut *c)
                        .await?
                        .rows_affected();
                    }
                    Ok::<_, sqlx::Error>(n)
                })
            })
            .await
        })
    }

    fn rescue(&self, now: i64) -> BoxFuture<'_, Result<u64, JobsError>> {
        Box::pin(async move {
            immediate!(self, |c| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE bunbase_jobs
                         SET state = CASE WHEN attempt >= max_attempts THEN 'dead' ELSE 'retryable' END,
                             finalized_at = CASE WHEN attempt >= max_attempts THEN ?1 ELSE NULL END,
                             run_at = ?1, locked_by = NULL, lease_expires_at = NULL,
                             last_error = 'lease expired: the worker stopped renewing it (it crashed, hung or lost the database)'
                         WHERE state = 'running' AND lease_expires_at < ?1",
                    )
                    .bind(now)
                    .execute(c)
                    .await
                    .map(|d| d.rows_affected())
                })
            })
            .await
        })
    }

    fn prune(
        &self,
        finished_before: i64,
        dead_before: i64,
    ) -> BoxFuture<'_, Result<u64, JobsError>> {
        Box::pin(async move {
            immediate!(self, |c| {
                Box::pin(async move {
                    sqlx::query(
                        "DELETE FROM bunbase_jobs
                         WHERE (state IN ('completed', 'cancelled') AND finalized_at < ?1)
                            OR (state = 'dead' AND finalized_at < ?2)",
                    )
                    .bind(finished_before)
                    .bind(dead_before)
                    .execute(c)
                    .await
                    .map(|d| d.rows_affected())
                })
            })
            .await
        })
    }

    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<JobInfo>, JobsError>> {
        Box::pin(async move {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {INFO_COLUMNS} FROM bunbase_jobs WHERE id = ?1"
            )))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.as_ref().map(info).transpose()?)
        })
    }

    fn list<'a>(
        &'a self,
        state: JobState,
        kind: Option<&'a str>,
        after_id: i64,
        limit: u32,
    ) -> BoxFuture<'a, Result<Vec<JobInfo>, JobsError>> {
        Box::pin(async move {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {INFO_COLUMNS} FROM bunbase_jobs
                 WHERE state = ?1 AND (?2 IS NULL OR kind = ?2) AND id > ?3 ORDER BY id LIMIT ?4"
            )))
            .bind(state.as_str())
            .bind(kind)
            .bind(after_id)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.iter().map(info).collect::<Result<_, _>>()?)
        })
    }

    fn counts(&self) -> BoxFuture<'_, Result<JobCounts, JobsError>> {
        Box::pin(async move {
            let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM bunbase_jobs GROUP BY state")
                .fetch_all(&self.pool)
                .await?;
            let mut counts = JobCounts::default();
            for row in rows {
                counts.add(&row.try_get::<String, _>("state")?, row.try_get("n")?);
            }
            Ok(counts)
        })
    }

    fn redrive(&self, id: i64, now: i64) -> BoxFuture<'_, Result<bool, JobsError>> {
        Box::pin(async move {
            let done = immediate!(self, |c| {
                    Box::pin(async move {
                        sqlx::query(
                            "UPDATE bunbase_jobs SET state = 'available', attempt = 0, run_at = ?2, finalized_at = NULL
                             WHERE id = ?1 AND state IN ('dead', 'cancelled')",
                        )
                        .bind(id)
                        .bind(now)
                        .execute(c)
                        .await
                    })
                })
                .await;
            match done {
                Ok(d) => Ok(d.rows_affected() == 1),
                // A live job holds the same unique key: leave this one dead.
                Err(JobsError::Db(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                    Ok(false)
                }
                Err(e) => Err(e),
            }
        })
    }

    fn cancel(&self, id: i64, now: i64) -> BoxFuture<'_, Result<bool, JobsError>> {
        Box::pin(async move {
            immediate!(self, |c| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE bunbase_jobs SET state = 'cancelled', finalized_at = ?2
                         WHERE id = ?1 AND state IN ('available', 'retryable')",
                    )
                    .bind(id)
                    .bind(now)
                    .execute(c)
                    .await
                    .map(|d| d.rows_affected() == 1)
                })
            })
            .await
        })
    }

    fn schedule_load<'a>(
        &'a self,
        name: &'a str,
        spec: &'a str,
        first_at: i64,
    ) -> BoxFuture<'a, Result<Option<i64>, JobsError>> {
        Box::pin(async move {
            immediate!(self, |c| {
                Box::pin(async move {
                    sqlx::query_scalar(
                        "INSERT INTO bunbase_schedules (name, spec, next_at) VALUES (?1, ?2, ?3)
                         ON CONFLICT (name) DO UPDATE
                         SET spec = excluded.spec,
                             next_at = CASE WHEN bunbase_schedules.spec = excluded.spec
                                            THEN bunbase_schedules.next_at ELSE excluded.next_at END
                         RETURNING next_at",
                    )
                    .bind(name)
                    .bind(spec)
                    .bind(first_at)
                    .fetch_one(c)
                    .await
                })
            })
            .await
        })
    }

    fn schedule_advance<'a>(
        &'a self,
        name: &'a str,
        expected: i64,
        next: Option<i64>,
        job: Option<&'a JobInsert>,
    ) -> BoxFuture<'a, Result<bool, JobsError>> {
        Box::pin(async move {
            immediate!(self, |c| {
                Box::pin(async move {
                    let won = sqlx::query(
                        "UPDATE bunbase_schedules SET next_at = ?3, last_tick = ?2 WHERE name = ?1 AND next_at = ?2",
                    )
                    .bind(name)
                    .bind(expected)
                    .bind(next)
                    .execute(&mut *c)
                    .await?
                    .rows_affected()
                        == 1;
                    if won && let Some(job) = job {
                        insert(c, std::slice::from_ref(job)).await?;
                    }
                    Ok::<_, sqlx::Error>(won)
                })
            })
            .await
        })
    }

    fn subscribe<'a>(
        &'a self,
        event: &'a str,
        kind: &'a str,
        max_attempts: i32,
    ) -> BoxFuture<'a, Result<(), JobsError>> {
        Box::pin(async move {
            immediate!(self, |c| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO bunbase_event_subscriptions (event, kind, max_attempts) VALUES (?1, ?2, ?3)
                         ON CONFLICT (event, kind) DO UPDATE SET max_attempts = excluded.max_attempts",
                    )
                    .bind(event)
                    .bind(kind)
                    .bind(max_attempts)
                    .execute(c)
                    .await
                    .map(|_| ())
                })
            })
            .await
        })
    }

    fn publish<'a>(
        &'a self,
        conn: Option<Conn<'a>>,
        event: &'a str,
        job: &'a JobInsert,
    ) -> BoxFuture<'a, Result<u64, JobsError>> {
        Box::pin(async move {
            match lite(conn)? {
                Some(c) => Ok(publish_on(c, event, job).await?),
                None => immediate!(self, |c| Box::pin(publish_on(c, event, job))).await,
            }
        })
    }

    fn bury<'a>(
        &'a self,
        job: &'a JobInsert,
        error: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<i64, JobsError>> {
        Box::pin(async move {
            immediate!(self, |c| {
                sqlx::query_scalar(
                    "INSERT INTO bunbase_jobs (kind, payload, priority, run_at, max_attempts, attempt, state,
                                               trace_id, session, created_at, finalized_at, last_error)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?5, 'dead', ?6, ?7, ?8, ?9, ?10) RETURNING id",
                )
                .bind(&job.kind)
                .bind(&job.payload)
                .bind(job.priority)
                .bind(job.run_at)
                .bind(job.max_attempts)
                .bind(&job.trace_id)
                .bind(&job.session)
                .bind(job.created_at)
                .bind(now)
                .bind(error)
                .fetch_one(c)
            })
            .await
        })
    }
}
