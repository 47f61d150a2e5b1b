//! Run history: action runs are recorded through a batched writer into `bunbase_runs`, never on the request's hot path.
//!
//! The request side hands over a [`FinishedRun`]: a fixed-size value built
//! without touching the heap (the run id is a UUID, the action and trigger
//! are static names, the trace id is shared, the start time is a
//! timestamp). [`RunRecorder::finish`] pushes it onto a bounded in-memory
//! buffer whose capacity is kept between batches (a short uncontended
//! lock, no allocation, no task wake-up). A background task swaps the
//! buffer out when a batch fills, on a timer, and on
//! [`RunRecorder::flush`] / shutdown, and turns the runs into
//! [`RunRecord`] text in rows it reuses from batch to batch.
//!
//! Which runs are stored is [`RunHistory`] (`RUN_HISTORY`): by default every
//! failed run and, of each action's successful runs, the first
//! `RUN_HISTORY_PER_SECOND` (100) in each second; the others are counted
//! ([`RunRecorder::skipped`]).
//!
//! Overflow: when [`RecorderOptions::capacity`] runs are already waiting
//! (the database is slower than the traffic), a new run is dropped and
//! counted ([`RunRecorder::dropped`], `bunbase_run_history_total{result="dropped"}`
//! with `METRICS=on`, a warning on the first drop and every 1000th); the
//! request never waits for run history.
//!
//! A second background task prunes the table on a schedule ([`Retention`]:
//! `RUN_HISTORY_RETENTION`, default 7 days, and `RUN_HISTORY_MAX_ROWS`,
//! default 500,000 rows), every 10 s, in indexed batches: run ids are UUID v7 text,
//! whose order is their time order, so both limits become one id cutoff
//! and the primary key's index serves every delete.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::sync::{Notify, mpsc, oneshot};

use crate::Db;
use crate::db::DbError;

/// One finished action run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// Unique id (UUID v7 text, time-ordered).
    pub id: String,
    /// The action's full name.
    pub action: String,
    /// Trigger kind (`http`, `event`, ...).
    pub trigger: String,
    /// `ok` or `error`.
    pub status: RunStatus,
    /// The envelope code when failed.
    pub error_code: Option<String>,
    /// Wall time of the whole run, retries and backoff included; for an
    /// HTTP request, from its arrival (reading the body and the session
    /// included) to its answer.
    pub duration_ms: i64,
    /// Attempts made (1 when the first try settled it).
    pub attempt: i64,
    /// The trace id.
    pub trace_id: String,
    /// Start time, RFC 3339 UTC with milliseconds and `Z`.
    pub started_at: String,
}

/// A finished run as the request side hands it to the writer: fixed-size
/// and built without touching the heap (only a failure's error code is
/// copied). The writer turns it into a [`RunRecord`] off the request's
/// task ([`RunRecorder::finish`]).
#[derive(Debug, Clone)]
pub struct FinishedRun {
    /// Unique id (a UUID v7: time-ordered; [`uuid::Uuid::now_v7`]).
    pub id: uuid::Uuid,
    /// The action's full name.
    pub action: &'static str,
    /// Trigger kind (`http`, `event`, ...).
    pub trigger: &'static str,
    /// `ok` or `error`.
    pub status: RunStatus,
    /// The envelope code when failed.
    pub error_code: Option<Box<str>>,
    /// Wall time of the whole run, retries and backoff included; for an
    /// HTTP request, from its arrival (reading the body and the session
    /// included) to its answer.
    pub duration_ms: i64,
    /// Attempts made (1 when the first try settled it).
    pub attempt: i64,
    /// The trace id (shared with the request, not copied).
    pub trace_id: crate::TraceId,
    /// Start time.
    pub started_at: chrono::DateTime<chrono::Utc>,
}

impl FinishedRun {
    /// Writes this run's text into `row`, reusing its strings' capacity.
    fn write_into(&self, row: &mut RunRecord) {
        fn set(text: &mut String, value: &str) {
            text.clear();
            text.push_str(value);
        }
        let mut buf = [0u8; 36];
        set(&mut row.id, self.id.hyphenated().encode_lower(&mut buf));
        set(&mut row.action, self.action);
        set(&mut row.trigger, self.trigger);
        row.status = self.status;
        match (&self.error_code, &mut row.error_code) {
            (None, slot) => *slot = None,
            (Some(code), Some(text)) => set(text, code),
            (Some(code), slot) => *slot = Some(code.to_string()),
        }
        row.duration_ms = self.duration_ms;
        row.attempt = self.attempt;
        set(&mut row.trace_id, self.trace_id.as_str());
        row.started_at.clear();
        push_rfc3339_millis(self.started_at, &mut row.started_at);
    }
}

/// What waits in the buffer: a run from the pipeline, or a record built
/// by hand ([`RunRecorder::record`]).
enum Queued {
    Run(FinishedRun),
    Record(RunRecord),
}

impl Queued {
    fn write_into(self, row: &mut RunRecord) {
        match self {
            Queued::Run(run) => run.write_into(row),
            Queued::Record(record) => *row = record,
        }
    }
}

/// A fresh run id: a UUID v7, hyphenated lower-case text (time-ordered),
/// encoded without a formatter.
pub fn new_run_id() -> String {
    let mut buf = [0u8; 36];
    uuid::Uuid::now_v7()
        .hyphenated()
        .encode_lower(&mut buf)
        .to_owned()
}

/// `t` as RFC 3339 UTC with milliseconds and `Z` (`2026-01-31T09:05:07.042Z`),
/// the form of [`RunRecord::started_at`]; the same text as chrono's
/// `to_rfc3339_opts(SecondsFormat::Millis, true)` for years 0 to 9999,
/// written without its formatter.
pub fn rfc3339_millis(t: chrono::DateTime<chrono::Utc>) -> String {
    let mut out = String::with_capacity(24);
    push_rfc3339_millis(t, &mut out);
    out
}

/// Appends [`rfc3339_millis`]`(t)` to `out` (no allocation when `out` has
/// room for its 24 bytes).
fn push_rfc3339_millis(t: chrono::DateTime<chrono::Utc>, out: &mut String) {
    use chrono::{Datelike as _, Timelike as _};
    // The fields of the naive UTC time: `DateTime<Utc>`'s own accessors
    // apply the (zero) offset again for each of them.
    let t = t.naive_utc();
    let year = t.year();
    if !(0..=9999).contains(&year) {
        out.push_str(
            &t.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        );
        return;
    }
    let mut text = [0u8; 24];
    let mut put = |at: usize, value: u32, digits: usize| {
        let mut v = value;
        for i in (0..digits).rev() {
            text[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year as u32, 4);
    put(5, t.month(), 2);
    put(8, t.day(), 2);
    put(11, t.hour(), 2);
    put(14, t.minute(), 2);
    // A leap second is stored in the nanoseconds, as chrono prints it.
    let nanos = t.nanosecond();
    put(17, t.second() + nanos / 1_000_000_000, 2);
    put(20, (nanos % 1_000_000_000) / 1_000_000, 3);
    for (at, sep) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (23, b'Z'),
    ] {
        text[at] = sep;
    }
    // Only ASCII digits and separators were written.
    out.push_str(std::str::from_utf8(&text).unwrap_or_default());
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// The handler succeeded.
    Ok,
    /// A guard, validation or the handler failed.
    Error,
}

impl RunStatus {
    /// The text stored in `bunbase_runs.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Error => "error",
        }
    }
}

/// Which runs are stored (`RUN_HISTORY`). Runs not stored are still
/// logged and counted ([`RunRecorder::skipped`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunHistory {
    /// Every failed run, and of each action's successful runs the first
    /// `per_second` in each second (`RUN_HISTORY_PER_SECOND`, default
    /// [`RunHistory::PER_SECOND`]): a server at a few requests a second
    /// stores every run, and one at tens of thousands stores its failures
    /// and a bounded trickle of successes instead of paying a row for
    /// each (about 10,000 instructions a stored run on SQLite). The
    /// default for a [`crate::Config`]; runs recorded by hand
    /// ([`RunRecorder::record`]) are not sampled.
    Sampled {
        /// Successful runs stored per action and second (at least 1).
        per_second: u32,
    },
    /// Every run.
    All,
    /// Failed runs only.
    Errors,
    /// No run is stored.
    Off,
}

impl Default for RunHistory {
    fn default() -> Self {
        RunHistory::Sampled {
            per_second: RunHistory::PER_SECOND,
        }
    }
}

impl RunHistory {
    /// The default of `RUN_HISTORY_PER_SECOND`.
    pub const PER_SECOND: u32 = 100;

    /// `sampled` (with [`RunHistory::PER_SECOND`]), `all`, `errors` or
    /// `off` (any case).
    pub fn parse(text: &str) -> Option<RunHistory> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sampled" => Some(RunHistory::default()),
            "all" => Some(RunHistory::All),
            "errors" => Some(RunHistory::Errors),
            "off" => Some(RunHistory::Off),
            _ => None,
        }
    }

    /// Whether a run that ended with `status` is stored. Under
    /// [`RunHistory::Sampled`] a success is stored only while its action's
    /// rate allows, which the [`RunRecorder`] counts; this says `true`.
    pub fn keeps(self, status: RunStatus) -> bool {
        match self {
            RunHistory::Sampled { .. } | RunHistory::All => true,
            RunHistory::Errors => status == RunStatus::Error,
            RunHistory::Off => false,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            RunHistory::All => 0,
            RunHistory::Errors => 1,
            RunHistory::Off => 2,
            RunHistory::Sampled { .. } => 3,
        }
    }

    /// [`RunHistory::to_u8`] back, with `per_second` for `Sampled`.
    fn from_u8(v: u8, per_second: u32) -> RunHistory {
        match v {
            1 => RunHistory::Errors,
            2 => RunHistory::Off,
            3 => RunHistory::Sampled { per_second },
            _ => RunHistory::All,
        }
    }
}

/// The successful runs each action stored in the current second, for
/// [`RunHistory::Sampled`]: keyed by the action's static name (its address
/// and length, so no text is hashed).
#[derive(Default)]
struct Sampler {
    windows: Mutex<HashMap<(usize, usize), Window, foldhash::fast::RandomState>>,
}

#[derive(Default)]
struct Window {
    second: u64,
    stored: u32,
}

impl Sampler {
    /// Whether one more successful run of `action` fits in `per_second` in
    /// the second that holds `at`.
    fn admits(&self, action: &'static str, per_second: u32, at: Instant) -> bool {
        static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        let second = at
            .saturating_duration_since(*START.get_or_init(Instant::now))
            .as_secs();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = windows
            .entry((action.as_ptr() as usize, action.len()))
            .or_default();
        if window.second != second {
            *window = Window { second, stored: 0 };
        }
        let admitted = window.stored < per_second;
        window.stored += u32::from(admitted);
        admitted
    }
}

/// Where batches of runs go. The default writes to the database; tests and
/// other backends can implement it.
pub trait RunSink: Send + Sync + 'static {
    /// Stores one batch.
    fn write<'a>(&'a self, batch: &'a [RunRecord]) -> BoxFuture<'a, Result<(), DbError>>;

    /// Deletes what `retention` no longer keeps, as of `now`; the number of
    /// runs deleted. The default keeps everything (a sink that stores
    /// nothing has nothing to prune).
    fn prune<'a>(
        &'a self,
        retention: &'a Retention,
        now: std::time::SystemTime,
    ) -> BoxFuture<'a, Result<u64, DbError>> {
        let _ = (retention, now);
        Box::pin(async { Ok(0) })
    }
}

/// How much run history is kept: runs older than `max_age` and all but the
/// newest `max_rows` are deleted every `every`. `None` lifts a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// `RUN_HISTORY_RETENTION` (default 7 days; `never` keeps any age).
    pub max_age: Option<Duration>,
    /// `RUN_HISTORY_MAX_ROWS` (default 500,000, about 75 MB on SQLite;
    /// `0` lifts the limit). Between two prunes the table grows by what is
    /// recorded meanwhile, and an SQLite file keeps its largest size (freed
    /// pages are reused, not returned).
    pub max_rows: Option<u64>,
    /// How often the pruner runs (default 10 s).
    pub every: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_age: Some(Duration::from_secs(7 * 86_400)),
            max_rows: Some(500_000),
            every: Duration::from_secs(10),
        }
    }
}

impl Retention {
    /// Keeps every run (no pruning task runs).
    pub const KEEP_ALL: Retention = Retention {
        max_age: None,
        max_rows: None,
        every: Duration::from_secs(60),
    };

    fn prunes(&self) -> bool {
        self.max_age.is_some() || self.max_rows.is_some()
    }
}

/// Rows per delete: each is one short transaction, so the run writer and
/// (on SQLite) other writers wait at most one batch.
const PRUNE_BATCH: i64 = 5_000;

/// The greatest UUID v7 text whose time is before `t`: every run id started
/// before `t` sorts at or below it (`xxxxxxxx-xxxx-ffff-...`).
fn last_id_before(t: std::time::SystemTime) -> String {
    let ms = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
        .saturating_sub(1)
        .min((1u128 << 48) - 1) as u64;
    format!(
        "{:08x}-{:04x}-ffff-ffff-ffffffffffff",
        ms >> 16,
        ms & 0xffff
    )
}

/// Deletes the runs `retention` no longer keeps from `db`'s run history, in
/// batches of [`PRUNE_BATCH`] through the primary key; the number deleted.
/// Ids are UUID v7 text (time-ordered), so the age limit is an id cutoff,
/// and the row limit is the id of the newest run past it.
pub async fn prune(
    db: &Db,
    retention: &Retention,
    now: std::time::SystemTime,
) -> Result<u64, DbError> {
    let history = db.history();
    let by_age = retention
        .max_age
        .map(|age| last_id_before(now.checked_sub(age).unwrap_or(std::time::UNIX_EPOCH)));
    let by_count: Option<String> = match retention.max_rows {
        Some(max) => {
            let offset = i64::try_from(max).unwrap_or(i64::MAX);
            crate::with_pool!(history, pool => {
                sqlx::query_scalar("SELECT id FROM bunbase_runs ORDER BY id DESC LIMIT 1 OFFSET $1")
                    .bind(offset)
                    .fetch_optional(pool)
                    .await?
            })
        }
        None => None,
    };
    let Some(cutoff) = by_age.into_iter().chain(by_count).max() else {
        return Ok(0);
    };
    let mut deleted = 0;
    loop {
        let n = crate::with_pool!(history, pool => {
            sqlx::query(
                "DELETE FROM bunbase_runs WHERE id IN \
                 (SELECT id FROM bunbase_runs WHERE id <= $1 ORDER BY id LIMIT $2)",
            )
            .bind(cutoff.as_str())
            .bind(PRUNE_BATCH)
            .execute(pool)
            .await?
            .rows_affected()
        });
        deleted += n;
        if n < PRUNE_BATCH as u64 {
            return Ok(deleted);
        }
        // Let the run writer and request transactions in between batches.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Writes runs into `bunbase_runs` with multi-row inserts, one
/// transaction per batch.
#[derive(Debug, Clone)]
pub struct DbRunSink(pub Db);

/// Rows per multi-row insert: a batch is cut into chunks of these sizes,
/// largest first (1,000 rows: 62 of 16 and two of 4). Each size is one SQL
/// text, so a connection caches at most this many prepared inserts;
/// cutting a batch into 500s and a remainder of any size cached a
/// statement per remainder, up to the statement cache's 100, each holding
/// a program for hundreds of rows: tens of MiB of resident memory under
/// load. Why 16 rows and not hundreds: SQLite copies every bound text,
/// into its per-connection lookaside slots while they last and through the
/// C allocator (with its locks) after; a statement of 16 rows × 9 values
/// stays mostly within them. Counted with callgrind on the no-I/O
/// benchmark endpoint (4,000 requests, every run stored): 94,700
/// instructions a request with chunks of up to 256 rows, 93,100 with 64,
/// 92,500 with 32, 91,900 with 16, 93,000 with 8 (each statement's own
/// cost takes over; all with the table's former index).
const INSERT_CHUNKS: [usize; 3] = [16, 4, 1];

/// `n` rows as chunk sizes from [`INSERT_CHUNKS`], largest first.
fn chunk_sizes(mut n: usize) -> impl Iterator<Item = usize> {
    INSERT_CHUNKS.into_iter().flat_map(move |size| {
        let count = n / size;
        n -= count * size;
        std::iter::repeat_n(size, count)
    })
}

/// The multi-row insert of `rows` runs in `dialect`'s placeholders (`?`
/// on SQLite, bound positionally, much faster than thousands of `$n`,
/// which SQLite treats as named; `$n` on PostgreSQL), built once per
/// size in [`INSERT_CHUNKS`].
fn insert_sql(dialect: crate::Dialect, rows: usize) -> &'static str {
    use std::sync::OnceLock;
    static SQLITE: OnceLock<Vec<String>> = OnceLock::new();
    static POSTGRES: OnceLock<Vec<String>> = OnceLock::new();
    let (cell, numbered) = match dialect {
        crate::Dialect::Sqlite => (&SQLITE, false),
        crate::Dialect::Postgres => (&POSTGRES, true),
    };
    let texts = cell.get_or_init(|| {
        INSERT_CHUNKS
            .iter()
            .map(|&n| {
                // `OR FAIL` on SQLite: a failing row stops the statement
                // without undoing its earlier rows (the transaction is
                // rolled back whole anyway), so SQLite keeps no statement
                // journal, whose page copies were about 400 instructions a
                // run under callgrind. PostgreSQL has no such clause and no
                // such journal.
                let mut sql = String::from(if numbered {
                    "INSERT INTO bunbase_runs (id, action, trigger_kind, status, error_code, duration_ms, attempt, trace_id, started_at) VALUES "
                } else {
                    "INSERT OR FAIL INTO bunbase_runs (id, action, trigger_kind, status, error_code, duration_ms, attempt, trace_id, started_at) VALUES "
                });
                let mut param = 0;
                for row in 0..n {
                    sql.push_str(if row == 0 { "(" } else { ", (" });
                    for col in 0..9 {
                        if col > 0 {
                            sql.push_str(", ");
                        }
                        param += 1;
                        if numbered {
                            sql.push('$');
                            sql.push_str(&param.to_string());
                        } else {
                            sql.push('?');
                        }
                    }
                    sql.push(')');
                }
                sql
            })
            .collect()
    });
    let at = INSERT_CHUNKS.iter().position(|&n| n == rows).unwrap_or(0);
    &texts[at]
}

/// The shared copy of `text` among `seen`: a batch's action names,
/// triggers, statuses and error codes repeat, and a shared string binds
/// without a copy.
fn shared(seen: &mut Vec<Arc<str>>, text: &str) -> Arc<str> {
    if let Some(s) = seen.iter().find(|s| ***s == *text) {
        return s.clone();
    }
    let s: Arc<str> = Arc::from(text);
    seen.push(s.clone());
    s
}

impl RunSink for DbRunSink {
    fn write<'a>(&'a self, batch: &'a [RunRecord]) -> BoxFuture<'a, Result<(), DbError>> {
        Box::pin(async move {
            // One transaction per batch: one commit (one fsync) however many
            // rows, in chunks whose SQL texts are built once (so each stays
            // one prepared statement). Values repeated across rows are
            // bound shared; a text sqlx binds by reference it copies twice.
            let dialect = self.0.dialect();
            let mut seen: Vec<Arc<str>> = Vec::new();
            crate::with_pool!(self.0.history(), pool => {
                let mut tx = pool.begin().await?;
                let mut rest = batch;
                for size in chunk_sizes(batch.len()) {
                    let (chunk, tail) = rest.split_at(size);
                    rest = tail;
                    // Bound in place (`try_bind`): `bind` moves the whole
                    // query at every value, nine times a row.
                    let mut q = sqlx::query(insert_sql(dialect, size));
                    for r in chunk {
                        let bound: Result<(), sqlx::error::BoxDynError> = (|| {
                            q.try_bind(Arc::<str>::from(r.id.as_str()))?;
                            q.try_bind(shared(&mut seen, &r.action))?;
                            q.try_bind(shared(&mut seen, &r.trigger))?;
                            q.try_bind(shared(&mut seen, r.status.as_str()))?;
                            q.try_bind(r.error_code.as_deref().map(|c| shared(&mut seen, c)))?;
                            q.try_bind(r.duration_ms)?;
                            q.try_bind(r.attempt)?;
                            q.try_bind(Arc::<str>::from(r.trace_id.as_str()))?;
                            q.try_bind(Arc::<str>::from(r.started_at.as_str()))
                        })();
                        bound.map_err(sqlx::Error::Encode)?;
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
            });
            Ok(())
        })
    }

    fn prune<'a>(
        &'a self,
        retention: &'a Retention,
        now: std::time::SystemTime,
    ) -> BoxFuture<'a, Result<u64, DbError>> {
        Box::pin(prune(&self.0, retention, now))
    }
}

/// The `CREATE TABLE` of `bunbase_runs`, the same on both dialects.
macro_rules! runs_table {
    () => {
        "CREATE TABLE IF NOT EXISTS bunbase_runs (
            id TEXT PRIMARY KEY,
            action TEXT NOT NULL,
            trigger_kind TEXT NOT NULL,
            status TEXT NOT NULL,
            error_code TEXT,
            duration_ms BIGINT NOT NULL,
            attempt BIGINT NOT NULL,
            trace_id TEXT NOT NULL,
            started_at TEXT NOT NULL
        )"
    };
}

/// Creates `bunbase_runs` if missing (the same columns on both dialects;
/// `WITHOUT ROWID` on SQLite) and drops the secondary index earlier
/// versions made, through [`Db::history`]: on an SQLite file, in the run
/// history file.
pub(crate) async fn ensure_schema(db: &Db) -> Result<(), DbError> {
    // On SQLite the table is keyed by its id alone (`WITHOUT ROWID`): a
    // row is written into one B-tree, not a rowid table and a primary-key
    // index, which made every stored run cost two B-tree inserts. Tables
    // created before keep their layout.
    let table = match db.dialect() {
        crate::Dialect::Sqlite => concat!(runs_table!(), " WITHOUT ROWID"),
        crate::Dialect::Postgres => runs_table!(),
    };
    crate::with_pool!(db.history(), pool => {
        sqlx::query(table).execute(pool).await?;
        // The table has its primary key alone. An index on (action,
        // started_at) cost every stored run a second B-tree insert, about
        // 3,000 instructions of the 13,900 a run cost under callgrind (the
        // no-I/O benchmark endpoint), and nothing in the runtime reads it:
        // the pruner and the row limit go through the primary key (UUID v7
        // ids sort by time). A query by action scans the table, which
        // retention keeps bounded. Databases made before lose it here.
        sqlx::query("DROP INDEX IF EXISTS bunbase_runs_action_started")
            .execute(pool)
            .await?;
    });
    if let Some(pool) = db.sqlite()
        && db.history_attached()
    {
        move_legacy_runs(pool).await?;
    }
    Ok(())
}

/// Moves the rows of a `bunbase_runs` table in the application's own
/// SQLite file (where run history lived before it got a file of its own)
/// into the run history file, then drops it: left in place, it would hide
/// the attached table from unqualified queries. WAL makes a transaction
/// atomic per file, not across files, so the copy commits first and is
/// idempotent (`INSERT OR IGNORE` by id): a crash before the drop only
/// repeats it on the next start.
async fn move_legacy_runs(pool: &sqlx::SqlitePool) -> Result<(), DbError> {
    let legacy: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM main.sqlite_master WHERE type = 'table' AND name = 'bunbase_runs'",
    )
    .fetch_one(pool)
    .await?;
    if legacy == 0 {
        return Ok(());
    }
    let columns =
        "id, action, trigger_kind, status, error_code, duration_ms, attempt, trace_id, started_at";
    let moved = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT OR IGNORE INTO {schema}.bunbase_runs ({columns}) SELECT {columns} FROM main.bunbase_runs",
        schema = crate::db::HISTORY_SCHEMA
    )))
    .execute(pool)
    .await?
    .rows_affected();
    sqlx::query("DROP TABLE main.bunbase_runs")
        .execute(pool)
        .await?;
    tracing::info!(
        rows = moved,
        "moved run history from the database file into its own run history file"
    );
    Ok(())
}

/// Tuning of the run writer.
#[derive(Debug, Clone, Copy)]
pub struct RecorderOptions {
    /// Most records waiting to be written; records beyond it are dropped
    /// and counted.
    pub capacity: usize,
    /// Rows per write; a full batch wakes the writer at once.
    pub batch_size: usize,
    /// Longest a record waits before being written.
    pub flush_interval: Duration,
    /// What the pruner keeps ([`Retention`]). A runtime takes it from
    /// [`crate::Config::run_history_retention`].
    pub retention: Retention,
}

impl Default for RecorderOptions {
    fn default() -> Self {
        RecorderOptions {
            capacity: 16_384,
            batch_size: 1024,
            flush_interval: Duration::from_millis(500),
            retention: Retention::default(),
        }
    }
}

enum Control {
    Flush(oneshot::Sender<()>),
}

/// What the request side and the writer share: the runs waiting to be
/// written. Recording is a short lock and a push into a buffer whose
/// capacity the writer hands back after each batch, so it allocates
/// nothing once warm; the writer is woken only when a batch fills, not
/// per run (a wake per run cost a task switch per request).
struct Pending {
    queued: Mutex<Vec<Queued>>,
    /// [`RunHistory`] as a number, so it can change after spawning.
    history: AtomicU8,
    /// [`RunHistory::Sampled`]'s `per_second`.
    per_second: AtomicU32,
    sampler: Sampler,
    batch_full: Notify,
    capacity: usize,
    batch_size: usize,
}

impl Pending {
    /// Swaps everything waiting for `spare` (empty, with the capacity of
    /// an earlier batch), so the requests that refill the buffer do not
    /// grow it step by step.
    fn take(&self, spare: &mut Vec<Queued>) {
        let mut queued = self.queued.lock().unwrap_or_else(|p| p.into_inner());
        if !queued.is_empty() {
            std::mem::swap(&mut *queued, spare);
        }
    }
}

/// The handle to the batched run writer. Cheap to clone.
#[derive(Clone)]
pub struct RunRecorder {
    pending: Arc<Pending>,
    control: mpsc::UnboundedSender<Control>,
    dropped: Arc<AtomicU64>,
    skipped: Arc<AtomicU64>,
    written: Arc<AtomicU64>,
}

impl std::fmt::Debug for RunRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunRecorder")
            .field("dropped", &self.dropped())
            .field("skipped", &self.skipped())
            .field("written", &self.written())
            .finish()
    }
}

impl RunRecorder {
    /// Starts the writer task on the current tokio runtime. It stops, after
    /// writing what is pending, once every handle is dropped.
    pub fn spawn(sink: Arc<dyn RunSink>, opts: RecorderOptions) -> Self {
        let pending = Arc::new(Pending {
            queued: Mutex::new(Vec::with_capacity(opts.batch_size.max(1))),
            history: AtomicU8::new(RunHistory::All.to_u8()),
            per_second: AtomicU32::new(RunHistory::PER_SECOND),
            sampler: Sampler::default(),
            batch_full: Notify::new(),
            capacity: opts.capacity.max(1),
            batch_size: opts.batch_size.max(1),
        });
        let (control, control_rx) = mpsc::unbounded_channel();
        let written = Arc::new(AtomicU64::new(0));
        if opts.retention.prunes() {
            tokio::spawn(pruner(
                sink.clone(),
                opts.retention,
                Arc::downgrade(&pending),
            ));
        }
        tokio::spawn(writer(
            sink,
            opts,
            pending.clone(),
            control_rx,
            written.clone(),
        ));
        RunRecorder {
            pending,
            control,
            dropped: Arc::new(AtomicU64::new(0)),
            skipped: Arc::new(AtomicU64::new(0)),
            written,
        }
    }

    /// Which runs are stored from now on (default [`RunHistory::All`]: a
    /// runtime sets the configured one, by default [`RunHistory::Sampled`]).
    pub fn set_history(&self, history: RunHistory) {
        if let RunHistory::Sampled { per_second } = history {
            self.pending
                .per_second
                .store(per_second.max(1), Ordering::Relaxed);
        }
        self.pending
            .history
            .store(history.to_u8(), Ordering::Relaxed);
    }

    /// Whether a run that ended with `status` is stored; counts the run as
    /// skipped when not. `sample` names the action and a time of the run
    /// (when it started, for the pipeline's runs), for
    /// [`RunHistory::Sampled`]; runs recorded by hand (`None`) are not
    /// sampled.
    fn keeps(&self, sample: Option<(&'static str, Instant)>, status: RunStatus) -> bool {
        let history = RunHistory::from_u8(
            self.pending.history.load(Ordering::Relaxed),
            self.pending.per_second.load(Ordering::Relaxed),
        );
        let keeps = match (history, sample) {
            (RunHistory::Sampled { per_second }, Some((action, at))) if status == RunStatus::Ok => {
                self.pending.sampler.admits(action, per_second, at)
            }
            _ => history.keeps(status),
        };
        if !keeps {
            self.skipped.fetch_add(1, Ordering::Relaxed);
        }
        keeps
    }

    /// Hands a finished run to the writer without waiting or allocating,
    /// unless [`RunHistory`] skips it (then it is counted as skipped).
    /// When [`RecorderOptions::capacity`] runs are already waiting it is
    /// dropped and counted, with a warning on the first drop and every
    /// 1000th after. The pipeline records every run this way.
    pub fn finish(&self, run: FinishedRun) {
        if self.keeps(Some((run.action, Instant::now())), run.status) {
            self.queue(Queued::Run(run));
        }
    }

    /// [`Self::finish`] with the run built only when [`RunHistory`] stores
    /// a run that started at `started` and ended with `status` (sampled by
    /// the second it started in).
    pub(crate) fn finish_with(
        &self,
        action: &'static str,
        status: RunStatus,
        started: Instant,
        build: impl FnOnce() -> FinishedRun,
    ) {
        if self.keeps(Some((action, started)), status) {
            self.queue(Queued::Run(build()));
        }
    }

    /// Records a run that ended with `status`, building the record only
    /// when [`RunHistory`] stores it (otherwise it is counted as skipped).
    /// The record's text is built on the caller's task: [`Self::finish`]
    /// leaves that to the writer.
    pub fn record_with(&self, status: RunStatus, build: impl FnOnce() -> RunRecord) {
        if self.keeps(None, status) {
            self.queue(Queued::Record(build()));
        }
    }

    /// Queues a record without waiting, unless [`RunHistory`] skips it;
    /// dropped and counted like [`Self::finish`] when the writer is behind.
    pub fn record(&self, run: RunRecord) {
        self.record_with(run.status, || run);
    }

    fn queue(&self, run: Queued) {
        let queued = {
            let mut queued = self
                .pending
                .queued
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if queued.len() >= self.pending.capacity {
                None
            } else {
                queued.push(run);
                Some(queued.len())
            }
        };
        match queued {
            Some(n) if n == self.pending.batch_size => self.pending.batch_full.notify_one(),
            Some(_) => {}
            None => {
                let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if n == 1 || n.is_multiple_of(1000) {
                    tracing::warn!(
                        dropped = n,
                        "run history is backed up; dropping run records"
                    );
                }
            }
        }
    }

    /// Writes everything queued so far and waits until it is stored.
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.control.send(Control::Flush(ack)).is_ok() {
            let _ = done.await;
        }
    }

    /// Runs not stored because of [`RunHistory`].
    pub fn skipped(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Records dropped because too many were waiting.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Records written so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
}

/// What the writer keeps between batches so that, once warm, a batch
/// allocates nothing: the buffer it swaps with the request side's, and
/// the rows whose strings it refills.
struct Buffers {
    spare: Vec<Queued>,
    rows: Vec<RunRecord>,
}

impl Buffers {
    fn new(batch_size: usize) -> Self {
        Buffers {
            spare: Vec::with_capacity(batch_size),
            rows: Vec::new(),
        }
    }

    /// The rows of `queued`, written over the kept ones (more are added
    /// when this batch is larger than any before).
    fn fill(&mut self, queued: std::vec::Drain<'_, Queued>) -> &[RunRecord] {
        let mut n = 0;
        for run in queued {
            if n == self.rows.len() {
                self.rows.push(empty_row());
            }
            run.write_into(&mut self.rows[n]);
            n += 1;
        }
        &self.rows[..n]
    }
}

fn empty_row() -> RunRecord {
    RunRecord {
        id: String::with_capacity(36),
        action: String::new(),
        trigger: String::new(),
        status: RunStatus::Ok,
        error_code: None,
        duration_ms: 0,
        attempt: 0,
        trace_id: String::with_capacity(32),
        started_at: String::with_capacity(24),
    }
}

async fn writer(
    sink: Arc<dyn RunSink>,
    opts: RecorderOptions,
    pending: Arc<Pending>,
    mut control: mpsc::UnboundedReceiver<Control>,
    written: Arc<AtomicU64>,
) {
    let mut tick = tokio::time::interval(opts.flush_interval.max(Duration::from_millis(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut buffers = Buffers::new(pending.batch_size);
    loop {
        tokio::select! {
            _ = tick.tick() => write(&*sink, &pending, &mut buffers, &written).await,
            _ = pending.batch_full.notified() => write(&*sink, &pending, &mut buffers, &written).await,
            ctl = control.recv() => match ctl {
                Some(Control::Flush(ack)) => {
                    write(&*sink, &pending, &mut buffers, &written).await;
                    let _ = ack.send(());
                }
                // Every handle is gone: write what is left and stop.
                None => {
                    write(&*sink, &pending, &mut buffers, &written).await;
                    break;
                }
            },
        }
    }
}

/// Prunes run history every `retention.every` until the writer has stopped
/// (its shared state is gone).
async fn pruner(sink: Arc<dyn RunSink>, retention: Retention, alive: std::sync::Weak<Pending>) {
    let every = retention.every.max(Duration::from_millis(10));
    loop {
        tokio::time::sleep(every).await;
        if alive.upgrade().is_none() {
            return;
        }
        match sink.prune(&retention, std::time::SystemTime::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(deleted = n, "pruned run history"),
            Err(e) => tracing::warn!(error = %e, "could not prune run history"),
        }
    }
}

/// Writes every pending run, in batches of `batch_size`.
async fn write(sink: &dyn RunSink, pending: &Pending, buffers: &mut Buffers, written: &AtomicU64) {
    pending.take(&mut buffers.spare);
    while !buffers.spare.is_empty() {
        let n = buffers.spare.len().min(pending.batch_size);
        let mut queued = std::mem::take(&mut buffers.spare);
        let batch = buffers.fill(queued.drain(..n));
        match sink.write(batch).await {
            Ok(()) => {
                written.fetch_add(batch.len() as u64, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::error!(error = %e, rows = batch.len(), "could not write run history; rows lost")
            }
        }
        buffers.spare = queued;
    }
    // A backlog grew the buffer past a batch: give that memory back.
    if buffers.spare.capacity() > 4 * pending.batch_size {
        buffers.spare.shrink_to(pending.batch_size);
    }
}

#[cfg(test)]
mod tests {
    use super::chunk_sizes;

    #[test]
    fn batches_cut_into_few_distinct_chunk_sizes() {
        let sizes: Vec<usize> = chunk_sizes(1_000).collect();
        let mut expected = vec![16; 62];
        expected.extend([4, 4]);
        assert_eq!(sizes, expected);
        assert_eq!(chunk_sizes(7).collect::<Vec<_>>(), [4, 1, 1, 1]);
        assert_eq!(chunk_sizes(0).count(), 0);
        for n in 0..2_000 {
            assert_eq!(chunk_sizes(n).sum::<usize>(), n);
        }
    }

    #[test]
    fn run_times_and_ids_print_as_chrono_and_uuid_do() {
        use chrono::TimeZone as _;
        for (secs, nanos) in [
            (0, 0),
            (1_767_225_600, 42_000_000),
            (1_800_000_000, 999_999_999),
            (253_402_300_799, 1_000_000),
        ] {
            let t = chrono::Utc.timestamp_opt(secs, nanos).unwrap();
            assert_eq!(
                super::rfc3339_millis(t),
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            );
        }
        let now = chrono::Utc::now();
        assert_eq!(
            super::rfc3339_millis(now),
            now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        );
        let id = super::new_run_id();
        let parsed = uuid::Uuid::parse_str(&id).expect("a UUID");
        assert_eq!(parsed.get_version_num(), 7);
        assert_eq!(parsed.hyphenated().to_string(), id);
    }
}
