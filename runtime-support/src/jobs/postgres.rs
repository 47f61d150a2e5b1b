//! The PostgreSQL job store: `FOR UPDATE SKIP LOCKED` batch claims, array batch writes, and `LISTEN`/`NOTIFY` wake-ups.
//!
//! Every batch statement selects its rows with `id = ANY(<array>)`, which
//! the planner serves from the primary key whatever its statistics say: a
//! join against `unnest(...)` or a `FROM (subquery)` was planned as a hash
//! join over a sequential scan of the whole table (70 ms per claim at 100k
//! rows). Lease tokens come from one sequence, so a token names one claim
//! of one job, and `lease_token = ANY(<tokens>)` fences a batch as exactly
//! as matching each (id, token) pair would.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::{Acquire as _, Row as _};
use tokio::sync::Notify;

use super::backend::{ClaimedJob, Conn, Failure, JobBackend, JobInsert, Lease};
use super::{JobCounts, JobInfo, JobState, JobsError};

/// The channel inserts notify and workers listen on.
pub const NOTIFY_CHANNEL: &str = "bunbase_jobs";

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS bunbase_jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'available',
    payload JSONB NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    run_at BIGINT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    lease_token BIGINT NOT NULL DEFAULT 0,
    locked_by TEXT,
    lease_expires_at BIGINT,
    unique_key TEXT,
    trace_id TEXT,
    session TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finalized_at BIGINT
);
CREATE INDEX IF NOT EXISTS bunbase_jobs_fetch ON bunbase_jobs (priority DESC, run_at, id)
    WHERE state IN ('available', 'retryable');
CREATE INDEX IF NOT EXISTS bunbase_jobs_lease ON bunbase_jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX IF NOT EXISTS bunbase_jobs_dead ON bunbase_jobs (id) WHERE state = 'dead';
CREATE UNIQUE INDEX IF NOT EXISTS bunbase_jobs_unique ON bunbase_jobs (unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('available', 'running', 'retryable');
CREATE SEQUENCE IF NOT EXISTS bunbase_jobs_lease_seq;
CREATE TABLE IF NOT EXISTS bunbase_schedules (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    next_at BIGINT,
    last_tick BIGINT
);
CREATE TABLE IF NOT EXISTS bunbase_event_subscriptions (
    event TEXT NOT NULL,
    kind TEXT NOT NULL,
    max_attempts INTEGER NOT NULL,
    PRIMARY KEY (event, kind)
);
CREATE OR REPLACE FUNCTION bunbase_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bunbase_jobs', '');
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS bunbase_jobs_notify ON bunbase_jobs;
CREATE TRIGGER bunbase_jobs_notify AFTER INSERT ON bunbase_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION bunbase_jobs_notify();
"#;

const INFO_COLUMNS: &str = "id, kind, state, payload::text AS payload, priority, run_at, attempt, max_attempts, \
     lease_token, locked_by, unique_key, trace_id, last_error, created_at, finalized_at";

/// Jobs in PostgreSQL, over a [`PgPool`].
///
/// Enqueues, schedules and the operator API use the pool as given. The
/// worker's own bookkeeping (claims, lease renewals, outcomes, rescues)
/// goes through a second pool of the same size whose sessions set
/// `synchronous_commit = off`: their commits do not wait for the WAL to
/// reach the disk. A crash of PostgreSQL can then lose the last fraction
/// of a second of them, which only makes those jobs run again once their
/// leases expire: delivery is at least once either way, and a handler
/// that completes its job inside its own transaction
/// ([`super::JobLease::complete_in`]) keeps that transaction's setting.
#[derive(Debug, Clone)]
pub struct PostgresJobs {
    pool: PgPool,
    fast: PgPool,
}

impl PostgresJobs {
    /// A store over `pool` (and a second, lazily connected pool with the
    /// same options for the worker's bookkeeping).
    pub fn new(pool: PgPool) -> Self {
        let opts = (*pool.connect_options())
            .clone()
            .options([("synchronous_commit", "off")]);
        let fast = PgPoolOptions::new()
            .max_connections(pool.options().get_max_connections())
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(opts);
        PostgresJobs { pool, fast }
    }

    /// A store over a new pool on `url` of at most `max_connections`
    /// (connected lazily).
    pub fn connect_lazy(url: &str, max_connections: u32) -> Result<Self, JobsError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy(url)?;
        Ok(Self::new(pool))
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn pg<'a>(conn: Option<Conn<'a>>) -> Result<Option<&'a mut sqlx::PgConnection>, JobsError> {
    match conn {
        None => Ok(None),
        Some(Conn::Postgres(c)) => Ok(Some(c)),
        Some(other) => Err(JobsError::WrongDialect {
            store: "PostgreSQL",
            given: other.dialect(),
        }),
    }
}

fn split(leases: &[Lease]) -> (Vec<i64>, Vec<i64>) {
    leases.iter().map(|l| (l.id, l.token)).unzip()
}

pub(crate) fn info(row: &PgRow) -> Result<JobInfo, sqlx::Error> {
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

fn claimed(row: &PgRow) -> Result<ClaimedJob, sqlx::Error> {
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
}

const INSERT: &str = "INSERT INTO bunbase_jobs (kind, payload, priority, run_at, max_attempts, unique_key, trace_id, session, created_at)
     SELECT k, p::jsonb, pr, r, m, u, t, s, c
     FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::int[], $6::text[], $7::text[], $8::text[], $9::bigint[])
          WITH ORDINALITY AS x(k, p, pr, r, m, u, t, s, c, n)
     ORDER BY n
     ON CONFLICT DO NOTHING
     RETURNING id";

impl JobBackend for PostgresJobs {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn ensure_schema(&self) -> BoxFuture<'_, Result<(), JobsError>> {
        Box::pin(async move {
            // Many processes may start at once: the advisory lock serialises
            // their DDL (CREATE ... IF NOT EXISTS races on the catalogs).
            let mut tx = self.pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock(7302001)")
                .execute(&mut *tx)
                .await?;
            sqlx::raw_sql(SCHEMA).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn enqueue<'a>(
        &'a self,
        conn: Option<Conn<'a>>,
        jobs: &'a [JobInsert],
    ) -> BoxFuture<'a, Result<Vec<i64>, JobsError>> {
        Box::pin(async move {
            let conn = pg(conn)?;
            let q = sqlx::query_scalar::<_, i64>(INSERT)
                .bind(jobs.iter().map(|j| j.kind.as_str()).collect::<Vec<_>>())
                .bind(jobs.iter().map(|j| j.payload.as_str()).collect::<Vec<_>>())
                .bind(jobs.iter().map(|j| j.priority).collect::<Vec<_>>())
                .bind(jobs.iter().map(|j| j.run_at).collect::<Vec<_>>())
                .bind(jobs.iter().map(|j| j.max_attempts).collect::<Vec<_>>())
                .bind(
                    jobs.iter()
                        .map(|j| j.unique_key.as_deref())
                        .collect::<Vec<_>>(),
                )
                .bind(
                    jobs.iter()
                        .map(|j| j.trace_id.as_deref())
                        .collect::<Vec<_>>(),
                )
                .bind(
                    jobs.iter()
                        .map(|j| j.session.as_deref())
                        .collect::<Vec<_>>(),
                )
                .bind(jobs.iter().map(|j| j.created_at).collect::<Vec<_>>());
            let ids = match conn {
                Some(c) => q.fetch_all(c).await?,
                None => q.fetch_all(&self.pool).await?,
            };
            Ok(ids)
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
            let rows = sqlx::query(
                "UPDATE bunbase_jobs j
                 SET state = 'running', attempt = j.attempt + 1,
                     lease_token = nextval('bunbase_jobs_lease_seq'),
                     locked_by = $3, lease_expires_at = $5
                 WHERE j.id = ANY(ARRAY(
                     SELECT id FROM bunbase_jobs
                     WHERE state IN ('available', 'retryable') AND run_at <= $4 AND kind = ANY($1)
                     ORDER BY priority DESC, run_at, id
                     LIMIT $2
                     FOR UPDATE SKIP LOCKED))
                 RETURNING j.id, j.kind, j.payload::text AS payload, j.priority, j.attempt, j.max_attempts,
                           j.lease_token, j.trace_id, j.session",
            )
            .bind(kinds)
            .bind(i64::from(limit))
            .bind(worker)
            .bind(now)
            .bind(lease_until)
            .fetch_all(&self.fast)
            .await?;
            let mut jobs = rows.iter().map(claimed).collect::<Result<Vec<_>, _>>()?;
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
            let (ids, tokens) = split(leases);
            let done = sqlx::query(
                "UPDATE bunbase_jobs SET lease_expires_at = $3
                 WHERE id = ANY($1) AND lease_token = ANY($2) AND state = 'running'",
            )
            .bind(ids)
            .bind(tokens)
            .bind(lease_until)
            .execute(&self.fast)
            .await?;
            Ok(done.rows_affected())
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
            let conn = pg(conn)?;
            let (ids, tokens) = split(leases);
            let sql = if delete {
                "DELETE FROM bunbase_jobs
                 WHERE id = ANY($1) AND lease_token = ANY($2) AND state = 'running' AND $3::bigint IS NOT NULL"
            } else {
                "UPDATE bunbase_jobs
                 SET state = 'completed', finalized_at = $3, locked_by = NULL, lease_expires_at = NULL
                 WHERE id = ANY($1) AND lease_token = ANY($2) AND state = 'running'"
            };
            let q = sqlx::query(sql).bind(ids).bind(tokens).bind(now);
            let done = match conn {
                Some(c) => q.execute(c).await?,
                None => q.execute(&self.fast).await?,
            };
            Ok(done.rows_affected())
        })
    }

    fn fail<'a>(
        &'a self,
        failures: &'a [Failure],
        now: i64,
    ) -> BoxFuture<'a, Result<u64, JobsError>> {
        Box::pin(async move {
            let done = sqlx::query(
                "UPDATE bunbase_jobs j
                 SET state = CASE WHEN f.retry_at IS NULL THEN 'dead' ELSE 'retryable' END,
                     run_at = COALESCE(f.retry_at, j.run_at),
                     finalized_at = CASE WHEN f.retry_at IS NULL THEN $5 ELSE NULL END,
                     last_error = f.error, locked_by = NULL, lease_expires_at = NULL
                 FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[]) AS f(id, token, error, retry_at)
                 WHERE j.id = ANY($1) AND j.id = f.id AND j.lease_token = f.token AND j.state = 'running'",
            )
            .bind(failures.iter().map(|f| f.lease.id).collect::<Vec<_>>())
            .bind(failures.iter().map(|f| f.lease.token).collect::<Vec<_>>())
            .bind(failures.iter().map(|f| f.error.as_str()).collect::<Vec<_>>())
            .bind(failures.iter().map(|f| f.retry_at).collect::<Vec<_>>())
            .bind(now)
            .execute(&self.fast)
            .await?;
            Ok(done.rows_affected())
        })
    }

    fn release<'a>(
        &'a self,
        leases: &'a [Lease],
        now: i64,
        refund_attempt: bool,
    ) -> BoxFuture<'a, Result<u64, JobsError>> {
        Box::pin(async move {
            let (ids, tokens) = split(leases);
            let done = sqlx::query(
                "UPDATE bunbase_jobs
                 SET state = 'available', run_at = $3, locked_by = NULL, lease_expires_at = NULL,
                     attempt = CASE WHEN $4 THEN GREATEST(attempt - 1, 0) ELSE attempt END
                 WHERE id = ANY($1) AND lease_token = ANY($2) AND state = 'running'",
            )
            .bind(ids)
            .bind(tokens)
            .bind(now)
            .bind(refund_attempt)
            .execute(&self.fast)
            .await?;
            Ok(done.rows_affected())
        })
    }

    fn rescue(&self, now: i64) -> BoxFuture<'_, Result<u64, JobsError>> {
        Box::pin(async move {
            let done = sqlx::query(
                "UPDATE bunbase_jobs
                 SET state = CASE WHEN attempt >= max_attempts THEN 'dead' ELSE 'retryable' END,
                     finalized_at = CASE WHEN attempt >= max_attempts THEN $1 ELSE NULL END,
                     run_at = $1, locked_by = NULL, lease_expires_at = NULL,
                     last_error = 'lease expired: the worker stopped renewing it (it crashed, hung or lost the database)'
                 WHERE id = ANY(ARRAY(SELECT id FROM bunbase_jobs WHERE state = 'running' AND lease_expires_at < $1
                                      FOR UPDATE SKIP LOCKED))",
            )
            .bind(now)
            .execute(&self.fast)
            .await?;
            Ok(done.rows_affected())
        })
    }

    fn prune(
        &self,
        finished_before: i64,
        dead_before: i64,
    ) -> BoxFuture<'_, Result<u64, JobsError>> {
        Box::pin(async move {
            let done = sqlx::query(
                "DELETE FROM bunbase_jobs
                 WHERE (state IN ('completed', 'cancelled') AND finalized_at < $1)
                    OR (state = 'dead' AND finalized_at < $2)",
            )
            .bind(finished_before)
            .bind(dead_before)
            .execute(&self.fast)
            .await?;
            Ok(done.rows_affected())
        })
    }

    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<JobInfo>, JobsError>> {
        Box::pin(async move {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {INFO_COLUMNS} FROM bunbase_jobs WHERE id = $1"
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
                 WHERE state = $1 AND ($2::text IS NULL OR kind = $2) AND id > $3
                 ORDER BY id LIMIT $4"
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
            let done = sqlx::query(
                "UPDATE bunbase_jobs SET state = 'available', attempt = 0, run_at = $2, finalized_at = NULL
                 WHERE id = $1 AND state IN ('dead', 'cancelled')",
            )
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await;
            match done {
                Ok(d) => Ok(d.rows_affected() == 1),
                // A live job holds the same unique key: leave this one dead.
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn cancel(&self, id: i64, now: i64) -> BoxFuture<'_, Result<bool, JobsError>> {
        Box::pin(async move {
            let done = sqlx::query(
                "UPDATE bunbase_jobs SET state = 'cancelled', finalized_at = $2
                 WHERE id = $1 AND state IN ('available', 'retryable')",
            )
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    fn schedule_load<'a>(
        &'a self,
        name: &'a str,
        spec: &'a str,
        first_at: i64,
    ) -> BoxFuture<'a, Result<Option<i64>, JobsError>> {
        Box::pin(async move {
            let next: Option<i64> = sqlx::query_scalar(
                "INSERT INTO bunbase_schedules (name, spec, next_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE
                 SET spec = EXCLUDED.spec,
                     next_at = CASE WHEN bunbase_schedules.spec = EXCLUDED.spec
                                    THEN bunbase_schedules.next_at ELSE EXCLUDED.next_at END
                 RETURNING next_at",
            )
            .bind(name)
            .bind(spec)
            .bind(first_at)
            .fetch_one(&self.pool)
            .await?;
            Ok(next)
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
            let mut tx = self.pool.begin().await?;
            let won = sqlx::query(
                "UPDATE bunbase_schedules SET next_at = $3, last_tick = $2 WHERE name = $1 AND next_at = $2",
            )
            .bind(name)
            .bind(expected)
            .bind(next)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !won {
                tx.rollback().await?;
                return Ok(false);
            }
            if let Some(job) = job {
                let conn = tx.acquire().await?;
                self.enqueue(Some(Conn::Postgres(conn)), std::slice::from_ref(job))
                    .await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    fn subscribe<'a>(
        &'a self,
        event: &'a str,
        kind: &'a str,
        max_attempts: i32,
    ) -> BoxFuture<'a, Result<(), JobsError>> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO bunbase_event_subscriptions (event, kind, max_attempts) VALUES ($1, $2, $3)
                 ON CONFLICT (event, kind) DO UPDATE SET max_attempts = EXCLUDED.max_attempts",
            )
            .bind(event)
            .bind(kind)
            .bind(max_attempts)
            .execute(&self.pool)
            .await?;
            Ok(())
        })
    }

    fn publish<'a>(
        &'a self,
        conn: Option<Conn<'a>>,
        event: &'a str,
        job: &'a JobInsert,
    ) -> BoxFuture<'a, Result<u64, JobsError>> {
        Box::pin(async move {
            let conn = pg(conn)?;
            let q = sqlx::query(
                "INSERT INTO bunbase_jobs (kind, payload, priority, run_at, max_attempts, trace_id, session, created_at)
                 SELECT s.kind, $2::jsonb, $3, $4, s.max_attempts, $5, $6, $7
                 FROM bunbase_event_subscriptions s WHERE s.event = $1",
            )
            .bind(event)
            .bind(&job.payload)
            .bind(job.priority)
            .bind(job.run_at)
            .bind(&job.trace_id)
            .bind(&job.session)
            .bind(job.created_at);
            let done = match conn {
                Some(c) => q.execute(c).await?,
                None => q.execute(&self.pool).await?,
            };
            Ok(done.rows_affected())
        })
    }

    fn bury<'a>(
        &'a self,
        job: &'a JobInsert,
        error: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<i64, JobsError>> {
        Box::pin(async move {
            let id = sqlx::query_scalar(
                "INSERT INTO bunbase_jobs (kind, payload, priority, run_at, max_attempts, attempt, state,
                                           trace_id, session, created_at, finalized_at, last_error)
                 VALUES ($1, $2::jsonb, $3, $4, $5, $5, 'dead', $6, $7, $8, $9, $10) RETURNING id",
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
            .fetch_one(&self.pool)
            .await?;
            Ok(id)
        })
    }

    fn listen(&self, wake: Arc<Notify>) -> Option<BoxFuture<'static, ()>> {
        let pool = self.pool.clone();
        Some(Box::pin(listen(pool, wake)))
    }
}

/// Listens on [`NOTIFY_CHANNEL`] for as long as the pool is open, waking
/// `wake` on every notification. A lost connection is re-established with
/// backoff; each (re)connect also wakes the worker, since notifications sent
/// meanwhile are lost.
async fn listen(pool: PgPool, wake: Arc<Notify>) {
    let mut backoff = Duration::from_millis(100);
    while !pool.is_closed() {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::debug!(error = %e, "job listener cannot connect; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        listener.ignore_pool_close_event(false);
        if let Err(e) = listener.listen(NOTIFY_CHANNEL).await {
            tracing::debug!(error = %e, "job listener cannot LISTEN; retrying");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
            continue;
        }
        backoff = Duration::from_millis(100);
        wake.notify_one();
        loop {
            match listener.try_recv().await {
                Ok(Some(_)) => wake.notify_one(),
                // The connection dropped; `try_recv` reconnects next time.
                Ok(None) => {
                    wake.notify_one();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(sqlx::Error::PoolClosed) => return,
                Err(e) => {
                    tracing::debug!(error = %e, "job listener lost its connection; reconnecting");
                    tokio::time::sleep(backoff).await;
                    break;
                }
            }
        }
    }
}
