//! The database handle: a typed pool, SQLite or PostgreSQL, chosen at run time from `DATABASE_URL`, plus migrations.
//!
//! [`Db`] holds a [`Pool`]: `Pool::Sqlite(SqlitePool)` or
//! `Pool::Postgres(PgPool)`. Code that needs one dialect's types asks for
//! its pool ([`Db::sqlite`], [`Db::postgres`]) or matches on [`Db::pool`];
//! SQL whose text is the same on both runs through [`with_pool!`], which
//! expands its expression once per dialect, so every query is compiled
//! against that dialect's own `Database` (its placeholders, its types).

mod exec;
mod migrations;
pub mod query;
mod status;
pub mod table;
pub mod types;
mod url;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use exec::{Conn, Exec, Held};
pub use migrations::Migrations;
pub use query::{Keyset, Range};
pub use status::{MigrationState, MigrationStatus};
pub use url::history_url;
pub(crate) use url::mask_password;

/// Failures of the database layer. Messages say how to fix the problem.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// `DATABASE_URL` is neither `sqlite:` nor `postgres:`.
    #[error(
        "unsupported DATABASE_URL scheme in {0:?}: use sqlite://path/to/file.db?mode=rwc or postgres://user:pass@host/db"
    )]
    UnsupportedUrl(String),
    /// The SQLite folder could not be created.
    #[error(
        "cannot create the database folder {path}: {source}; create it or point DATABASE_URL elsewhere"
    )]
    CreateDir {
        /// The folder.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Connecting failed.
    #[error(
        "cannot connect to the database ({url}): {source}; check DATABASE_URL and that the server is running"
    )]
    Connect {
        /// The URL with any password masked.
        url: String,
        /// The cause.
        source: sqlx::Error,
    },
    /// A migration failed or the migrations folder is unreadable.
    #[error(
        "migrations failed: {0}; fix the SQL in the migrations folder for this database's dialect"
    )]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Migrations applied to this database changed since (their
    /// checksums differ): the server refuses to start.
    #[error(
        "migration(s) {} changed after they were applied to this database; restore each applied file as it was (e.g. `git checkout` it) and put the change in a new migration (`bunbase migrate new NAME`); on a throwaway development database, drop the database instead",
        .0.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
    )]
    Modified(Vec<i64>),
    /// Any other query failed.
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
}

/// The SQL dialect behind a [`Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// SQLite (file or memory).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// The dialect a URL selects, from its scheme.
    pub fn from_url(url: &str) -> Result<Dialect, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Dialect::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Dialect::Postgres)
        } else {
            Err(DbError::UnsupportedUrl(mask_password(url)))
        }
    }

    /// The dialect's name as configuration and folders spell it:
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }
}

/// A connection pool of one dialect. Cheap to clone (the pools are `Arc`s).
///
/// Match on it to run dialect-specific SQL, or use [`with_pool!`] for SQL
/// that reads the same on both.
#[derive(Debug, Clone)]
pub enum Pool {
    /// An SQLite pool.
    Sqlite(SqlitePool),
    /// A PostgreSQL pool.
    Postgres(PgPool),
}

impl Pool {
    /// The pool's dialect.
    pub fn dialect(&self) -> Dialect {
        match self {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// What [`with_pool!`] accepts: a [`Db`] (its main pool) or a [`Pool`]
/// (for example [`Db::history`]), by value or behind any reference.
pub trait AsPool {
    /// The pool to run on.
    fn as_pool(&self) -> &Pool;
}

impl AsPool for Pool {
    fn as_pool(&self) -> &Pool {
        self
    }
}

impl AsPool for Db {
    fn as_pool(&self) -> &Pool {
        &self.0.pool
    }
}

/// Runs `expr` with `pool` bound to the typed pool of a [`Db`] (or a
/// [`Pool`]): the expression is expanded once per dialect, with `pool` a
/// `&SqlitePool` in one arm and a `&PgPool` in the other, so both arms must
/// produce the same type (decode rows inside the expression). Use it for
/// SQL whose text is the same on both databases:
///
/// ```
/// # async fn demo(db: &bunbase_runtime::Db) -> Result<i64, bunbase_runtime::sqlx::Error> {
/// let n: i64 = bunbase_runtime::with_pool!(db, pool => {
///     bunbase_runtime::sqlx::query_scalar("SELECT COUNT(*) FROM bunbase_runs")
///         .fetch_one(pool)
///         .await?
/// });
/// # Ok(n) }
/// ```
#[macro_export]
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr $(,)?) => {{
        #[allow(unused_imports)]
        use $crate::db::AsPool as _;
        match ($db).as_pool() {
            $crate::db::Pool::Sqlite($pool) => $body,
            $crate::db::Pool::Postgres($pool) => $body,
        }
    }};
}

/// A pooled database handle, cheap to clone, holding a typed [`Pool`].
///
/// On an SQLite file the runtime's run history lives in a second file
/// beside it ([`history_url`]: `tasks.db` gets `tasks.runs.db`), written
/// through its own one-connection pool ([`Db::history`]) and attached to
/// every connection of the main pool as schema `bunbase_history`, so
/// `SELECT ... FROM bunbase_runs` reads it from either pool. Why: SQLite has
/// one writer per file, and a batch of run rows holding the application's
/// write lock makes every request that writes meanwhile wait out SQLite's
/// busy handler (sleeps of 1 ms and more). On PostgreSQL and in-memory
/// SQLite both pools are the same.
///
/// One pointer: every action's context holds a clone, so cloning and
/// dropping it is one reference count, not one per pool.
#[derive(Debug, Clone)]
pub struct Db(Arc<Pools>);

/// What a [`Db`] shares.
#[derive(Debug)]
struct Pools {
    pool: Pool,
    history: Pool,
    /// Whether `history` is its own file, attached to `pool`'s connections.
    attached: bool,
}

/// The schema name the run history file is attached under on SQLite.
pub const HISTORY_SCHEMA: &str = "bunbase_history";

impl Db {
    /// The default URL for a project: `sqlite://./data/<snake>.db?mode=rwc`.
    pub fn default_url(snake_name: &str) -> String {
        format!("sqlite://./data/{snake_name}.db?mode=rwc")
    }

    /// Connects with sensible pool settings: for SQLite, WAL journal, a 5 s
    /// busy timeout, foreign keys on, and the file's folder created; for an
    /// in-memory SQLite database a single connection (so every query sees
    /// the same database).
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        Self::connect_with(url, 10).await
    }

    /// [`Db::connect`] with an explicit maximum pool size.
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Db, DbError> {
        let max = max_connections.max(1);
        match Dialect::from_url(url)? {
            Dialect::Postgres => {
                let pool = Pool::Postgres(open_postgres(url, max).await?);
                Ok(Db::of(Pools {
                    history: pool.clone(),
                    pool,
                    attached: false,
                }))
            }
            Dialect::Sqlite => {
                let memory = url.contains(":memory:") || url.contains("mode=memory");
                if memory {
                    let pool = Pool::Sqlite(open_sqlite(url, 1, true, None, None).await?);
                    return Ok(Db::of(Pools {
                        history: pool.clone(),
                        pool,
                        attached: false,
                    }));
                }
                if let Some(dir) = url::sqlite_path(url).as_deref().and_then(Path::parent)
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                        path: dir.to_path_buf(),
                        source,
                    })?;
                }
                // The history file first: it must exist (in WAL mode)
                // before the main pool's connections attach it.
                let (history, attach) = match history_url(url) {
                    Some((history_url, path)) => (
                        Some(
                            open_sqlite(&history_url, 1, false, None, Some(HISTORY_PAGE_SIZE))
                                .await?,
                        ),
                        Some(path),
                    ),
                    None => (None, None),
                };
                let attached = attach.is_some();
                let pool = open_sqlite(url, max, false, attach, None).await?;
                Ok(Db::of(Pools {
                    history: Pool::Sqlite(history.unwrap_or_else(|| pool.clone())),
                    pool: Pool::Sqlite(pool),
                    attached,
                }))
            }
        }
    }

    /// Wraps pools opened elsewhere (tests, tools): `history` is
    /// `pool` itself, with nothing attached.
    pub fn from_pool(pool: Pool) -> Db {
        Db::of(Pools {
            history: pool.clone(),
            pool,
            attached: false,
        })
    }

    fn of(pools: Pools) -> Db {
        Db(Arc::new(pools))
    }

    /// The dialect (chosen by the URL's scheme).
    pub fn dialect(&self) -> Dialect {
        self.0.pool.dialect()
    }

    /// The typed pool: match on it, or use [`with_pool!`].
    pub fn pool(&self) -> &Pool {
        &self.0.pool
    }

    /// The SQLite pool, when this is an SQLite database.
    pub fn sqlite(&self) -> Option<&SqlitePool> {
        match &self.0.pool {
            Pool::Sqlite(p) => Some(p),
            Pool::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, when this is a PostgreSQL database.
    pub fn postgres(&self) -> Option<&PgPool> {
        match &self.0.pool {
            Pool::Postgres(p) => Some(p),
            Pool::Sqlite(_) => None,
        }
    }

    /// The pool run history is written through: its own one-connection
    /// pool on an SQLite file (see [`Db`]), else [`Db::pool`].
    pub fn history(&self) -> &Pool {
        &self.0.history
    }

    /// Whether run history lives in its own file, attached to every
    /// connection of [`Db::pool`] as [`HISTORY_SCHEMA`] (SQLite files).
    pub fn history_attached(&self) -> bool {
        self.0.attached
    }

    /// Checks the database answers (`SELECT 1`); used by `/readyz`.
    pub async fn ping(&self) -> Result<(), DbError> {
        with_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))?;
        Ok(())
    }

    /// Creates the runtime's own tables (`bunbase_runs`) if missing, then
    /// applies `user` migrations in version order (each once, recorded in
    /// `_sqlx_migrations`).
    pub async fn migrate(&self, user: &Migrations) -> Result<(), DbError> {
        crate::runs::ensure_schema(self).await?;
        if let Some(migrator) = user.migrator(self.dialect()).await? {
            self.check_migrations(user).await?;
            with_pool!(self, pool => migrator.run(pool).await)?;
        }
        Ok(())
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.0.pool.close().await;
        self.0.history.close().await;
    }
}

/// Opens a PostgreSQL pool on `url`.
async fn open_postgres(url: &str, max: u32) -> Result<PgPool, DbError> {
    let connect = |source| DbError::Connect {
        url: mask_password(url),
        source,
    };
    let opts = PgConnectOptions::from_str(url).map_err(connect)?;
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .idle_timeout(Duration::from_secs(600))
        .max_lifetime(Duration::from_secs(1800))
        .connect_with(opts)
        .await
        .map_err(connect)
}

/// The page size of a new run history file. Run history is appended
/// row after row and read rarely: with 16 KiB pages a B-tree page splits a
/// quarter as often as with SQLite's 4 KiB, which saved about 450
/// instructions a stored run under callgrind (64 KiB saved less). A file
/// made before keeps its page size.
const HISTORY_PAGE_SIZE: u32 = 16_384;

/// Opens an SQLite pool on `url` with WAL, a 5 s busy timeout, foreign
/// keys, `synchronous = NORMAL`, `attach` (a file path) attached as
/// [`HISTORY_SCHEMA`], and `page_size` for a file it creates.
async fn open_sqlite(
    url: &str,
    max: u32,
    memory: bool,
    attach: Option<String>,
    page_size: Option<u32>,
) -> Result<SqlitePool, DbError> {
    let connect = |source| DbError::Connect {
        url: mask_password(url),
        source,
    };
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(connect)?
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true)
        .synchronous(SqliteSynchronous::Normal);
    let opts = match page_size {
        Some(size) => opts.page_size(size),
        None => opts,
    };
    SqlitePoolOptions::new()
        .max_connections(max)
        // An in-memory database lives as long as its one connection:
        // never let the pool close it.
        .min_connections(if memory { 1 } else { 0 })
        .acquire_timeout(Duration::from_secs(10))
        // A pooled SQLite connection is a local file handle: pinging it
        // before every use (sqlx's default, meant for network
        // connections that can drop) only costs a round trip to its
        // worker thread.
        .test_before_acquire(false)
        .idle_timeout((!memory).then_some(Duration::from_secs(600)))
        .max_lifetime((!memory).then_some(Duration::from_secs(1800)))
        .after_connect(move |conn, _meta| {
            let attach = attach.clone();
            Box::pin(async move {
                if let Some(path) = attach {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "ATTACH DATABASE $1 AS {HISTORY_SCHEMA}"
                    )))
                    .bind(path)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            })
        })
        .connect_with(opts)
        .await
        .map_err(connect)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn with_pool_runs_the_same_sql_on_the_typed_pool() {
        let db = Db::connect("sqlite::memory:").await.expect("connect");
        assert_eq!(db.dialect(), Dialect::Sqlite);
        assert!(db.sqlite().is_some() && db.postgres().is_none());
        let n: i64 = with_pool!(db, pool => {
            sqlx::query_scalar("SELECT 40 + $1").bind(2_i64).fetch_one(pool).await
        })
        .expect("query");
        assert_eq!(n, 42);
        let h: i64 = with_pool!(db.history(), pool => {
            sqlx::query_scalar("SELECT 1").fetch_one(pool).await
        })
        .expect("history pool");
        assert_eq!(h, 1);
    }
}
