//! Run history: every action run is recorded through a batched writer into `bunbase_runs`, never on the request's hot path.
//!
//! [`RunRecorder::record`] only tries to put the record on a bounded
//! channel. A background task writes batches when the batch is full, on a
//! timer, and on [`RunRecorder::flush`] / shutdown. When the channel is full
//! the record is dropped and counted (with a warning) rather than slowing
//! the request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

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
    /// Wall time of the whole run, retries and backoff included.
    pub duration_ms: i64,
    /// Attempts made (1 when the first try settled it).
    pub attempt: i64,
    /// The trace id.
    pub trace_id: String,
    /// Start time, RFC 3339 UTC with milliseconds and `Z`.
    pub started_at: String,
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

/// Where batches of runs go. The default writes to the database; tests and
/// other backends can implement it.
pub trait RunSink: Send + Sync + 'static {
    /// Stores one batch.
    fn write<'a>(&'a self, batch: &'a [RunRecord]) -> BoxFuture<'a, Result<(), DbError>>;
}

/// Writes runs into `bunbase_runs` with multi-row inserts (chunks of 500
/// rows), one transaction per batch.
#[derive(Debug, Clone)]
pub struct DbRunSink(pub Db);

impl RunSink for DbRunSink {
    fn write<'a>(&'a self, batch: &'a [RunRecord]) -> BoxFuture<'a, Result<(), DbError>> {
        Box::pin(async move {
            // One transaction per batch: one commit (one fsync) however many
            // rows. 500 rows × 9 binds stays under SQLite's and PostgreSQL's
            // bind limits.
            let mut tx = self.0.pool().begin().await?;
            for chunk in batch.chunks(500) {
                // PostgreSQL needs `$n` (QueryBuilder<Any> would emit `?`);
                // SQLite binds `?` positionally, much faster than thousands
                // of `$n` (which SQLite treats as named parameters).
                let positional = self.0.dialect() == crate::Dialect::Sqlite;
                let mut sql = String::from(
                    "INSERT INTO bunbase_runs (id, action, trigger_kind, status, error_code, duration_ms, attempt, trace_id, started_at) VALUES ",
                );
                for i in 0..chunk.len() {
                    let b = i * 9;
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push('(');
                    for c in 1..=9 {
                        if c > 1 {
                            sql.push_str(", ");
                        }
                        if positional {
                            sql.push('?');
                        } else {
                            sql.push('$');
                            sql.push_str(&(b + c).to_string());
                        }
                    }
                    sql.push(')');
                }
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for r in chunk {
                    q = q
                        .bind(r.id.clone())
                        .bind(r.action.clone())
                        .bind(r.trigger.clone())
                        .bind(r.status.as_str())
                        .bind(r.error_code.clone())
                        .bind(r.duration_ms)
                        .bind(r.attempt)
                        .bind(r.trace_id.clone())
                        .bind(r.started_at.clone());
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

/// Creates `bunbase_runs` and its index if missing (portable SQL).
pub(crate) async fn ensure_schema(db: &Db) -> Result<(), DbError> {
    sqlx::query(
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
        )",
    )
    .execute(db.pool())
    .await?;
    sqlx::query("CREATE INDEX IF NOT EXISTS bunbase_runs_action_started ON bunbase_runs (action, started_at)")
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Tuning of the run writer.
#[derive(Debug, Clone, Copy)]
pub struct RecorderOptions {
    /// Channel capacity; records beyond it are dropped and counted.
    pub capacity: usize,
    /// Rows per write.
    pub batch_size: usize,
    /// Longest a record waits before being written.
    pub flush_interval: Duration,
}

impl Default for RecorderOptions {
    fn default() -> Self {
        RecorderOptions {
            capacity: 16_384,
            batch_size: 1024,
            flush_interval: Duration::from_millis(500),
        }
    }
}

enum Control {
    Flush(oneshot::Sender<()>),
}

/// The handle to the batched run writer. Cheap to clone.
#[derive(Clone)]
pub struct RunRecorder {
    tx: mpsc::Sender<RunRecord>,
    control: mpsc::UnboundedSender<Control>,
    dropped: Arc<AtomicU64>,
    written: Arc<AtomicU64>,
}

impl std::fmt::Debug for RunRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunRecorder")
            .field("dropped", &self.dropped())
            .field("written", &self.written())
            .finish()
    }
}

impl RunRecorder {
    /// Starts the writer task on the current tokio runtime.
    pub fn spawn(sink: Arc<dyn RunSink>, opts: RecorderOptions) -> Self {
        let (tx, rx) = mpsc::channel(opts.capacity.max(1));
        let (control, control_rx) = mpsc::unbounded_channel();
        let written = Arc::new(AtomicU64::new(0));
        tokio::spawn(writer(sink, opts, rx, control_rx, written.clone()));
        RunRecorder {
            tx,
            control,
            dropped: Arc::new(AtomicU64::new(0)),
            written,
        }
    }

    /// Queues a record without waiting. When the channel is full the record
    /// is dropped and counted, with a warning on the first drop and every
    /// 1000th after.
    pub fn record(&self, run: RunRecord) {
        if self.tx.try_send(run).is_err() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n == 1 || n.is_multiple_of(1000) {
                tracing::warn!(
                    dropped = n,
                    "run history channel is full; dropping run records"
                );
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

    /// Records dropped because the channel was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Records written so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
}

async fn writer(
    sink: Arc<dyn RunSink>,
    opts: RecorderOptions,
    mut rx: mpsc::Receiver<RunRecord>,
    mut control: mpsc::UnboundedReceiver<Control>,
    written: Arc<AtomicU64>,
) {
    let batch_size = opts.batch_size.max(1);
    let mut batch: Vec<RunRecord> = Vec::with_capacity(batch_size);
    let mut tick = tokio::time::interval(opts.flush_interval.max(Duration::from_millis(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let room = batch_size.saturating_sub(batch.len()).max(1);
        tokio::select! {
            // Take everything waiting, up to a full batch, in one go.
            n = rx.recv_many(&mut batch, room) => {
                if n == 0 {
                    write(&*sink, &mut batch, &written).await;
                    break;
                }
                if batch.len() >= batch_size {
                    write(&*sink, &mut batch, &written).await;
                }
            },
            _ = tick.tick() => write(&*sink, &mut batch, &written).await,
            ctl = control.recv() => match ctl {
                Some(Control::Flush(ack)) => {
                    while let Ok(run) = rx.try_recv() {
                        batch.push(run);
                        if batch.len() >= batch_size {
                            write(&*sink, &mut batch, &written).await;
                        }
                    }
                    write(&*sink, &mut batch, &written).await;
                    let _ = ack.send(());
                }
                None => {
                    while let Ok(run) = rx.try_recv() {
                        batch.push(run);
                    }
                    write(&*sink, &mut batch, &written).await;
                    break;
                }
            },
        }
    }
}

async fn write(sink: &dyn RunSink, batch: &mut Vec<RunRecord>, written: &AtomicU64) {
    if batch.is_empty() {
        return;
    }
    match sink.write(batch).await {
        Ok(()) => {
            written.fetch_add(batch.len() as u64, Ordering::Relaxed);
        }
        Err(e) => {
            tracing::error!(error = %e, rows = batch.len(), "could not write run history; rows lost")
        }
    }
    batch.clear();
}
