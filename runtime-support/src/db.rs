//! The database handle: an `sqlx::AnyPool` chosen at run time from `DATABASE_URL`, SQLite or PostgreSQL, plus migrations.
//!
//! Handlers write portable SQL (`$1` placeholders, TEXT ids and timestamps,
//! BIGINT, BOOLEAN) and run it on `&*ctx.db` (the pool) or `ctx.db.pool()`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Executor};

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
        path: PathBuf,
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
        "migrations failed: {0}; fix the SQL in the migrations folder (it must run on SQLite and PostgreSQL)"
    )]
    Migrate(#[from] sqlx::migrate::MigrateError),
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
}

/// A pooled database connection handle, cheap to clone. Dereferences to
/// `sqlx::AnyPool`, so `sqlx::query("...").execute(&*ctx.db)` works.
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
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    history: AnyPool,
    /// Whether `history` is its own file, attached to `pool`'s connections.
    attached: bool,
    dialect: Dialect,
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
        sqlx::any::install_default_drivers();
        let dialect = Dialect::from_url(url)?;
        let mut max = max_connections.max(1);
        let memory =
            dialect == Dialect::Sqlite && (url.contains(":memory:") || url.contains("mode=memory"));
        if dialect == Dialect::Sqlite {
            if memory {
                max = 1;
            } else if let Some(dir) = sqlite_path(url).as_deref().and_then(Path::parent)
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
        }
        let history_file = if dialect == Dialect::Sqlite && !memory {
            history_url(url)
        } else {
            None
        };
        // The history file first: it must exist (in WAL mode) before the
        // main pool's connections attach it.
        let history = match &history_file {
            Some((history_url, _)) => Some(open_pool(history_url, 1, dialect, false, None).await?),
            None => None,
        };
        let attach = history_file.map(|(_, path)| path);
        let attached = attach.is_some();
        let pool = open_pool(url, max, dialect, memory, attach).await?;
        let history = history.unwrap_or_else(|| pool.clone());
        Ok(Db {
            pool,
            history,
            attached,
            dialect,
        })
    }

    /// The dialect (chosen by the URL's scheme).
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The underlying pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool run history is written through: its own one-connection
    /// pool on an SQLite file (see [`Db`]), else [`Db::pool`].
    pub fn history(&self) -> &AnyPool {
        &self.history
    }

    /// Whether run history lives in its own file, attached to every
    /// connection of [`Db::pool`] as [`HISTORY_SCHEMA`] (SQLite files).
    pub fn history_attached(&self) -> bool {
        self.attached
    }

    /// Checks the database answers (`SELECT 1`); used by `/readyz`.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Creates the runtime's own tables (`bunbase_runs`) if missing, then
    /// applies `user` migrations in version order (each once, recorded in
    /// `_sqlx_migrations`).
    pub async fn migrate(&self, user: &Migrations) -> Result<(), DbError> {
        crate::runs::ensure_schema(self).await?;
        if let Some(migrator) = user.migrator().await? {
            migrator.run(&self.pool).await?;
        }
        Ok(())
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
        self.history.close().await;
    }
}

impl std::ops::Deref for Db {
    type Target = AnyPool;
    fn deref(&self) -> &AnyPool {
        &self.pool
    }
}

/// Where the user's migrations come from.
///
/// A migration is a file `<version>_<description>.sql` (for example
/// `0001_create_tasks.sql`) in portable SQL that runs on both SQLite and
/// PostgreSQL. The scaffolded server passes [`Migrations::locate`] with its
/// crate's `migrations/` folder; `BUNBASE_MIGRATIONS_DIR` overrides it at run
/// time (useful for deployed binaries). [`Migrations::embedded`] compiles the
/// files into the binary instead.
#[derive(Debug, Clone)]
pub enum Migrations {
    /// No user migrations.
    None,
    /// Read from a folder when migrating.
    Dir(PathBuf),
    /// Compiled in: `(file name, SQL)` pairs, e.g. with `include_str!`.
    Embedded(&'static [(&'static str, &'static str)]),
}

impl Migrations {
    /// `BUNBASE_MIGRATIONS_DIR` if set, else `./migrations` if it exists in
    /// the working directory, else `fallback` (typically
    /// `concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")`).
    pub fn locate(fallback: &str) -> Migrations {
        if let Ok(dir) = std::env::var("BUNBASE_MIGRATIONS_DIR") {
            return Migrations::Dir(dir.into());
        }
        let cwd = Path::new("migrations");
        if cwd.is_dir() {
            return Migrations::Dir(cwd.to_path_buf());
        }
        Migrations::Dir(fallback.into())
    }

    /// Migrations compiled into the binary.
    pub const fn embedded(files: &'static [(&'static str, &'static str)]) -> Migrations {
        Migrations::Embedded(files)
    }

    async fn migrator(&self) -> Result<Option<Migrator>, DbError> {
        match self {
            Migrations::None => Ok(None),
            Migrations::Dir(dir) if !dir.exists() => {
                tracing::warn!(dir = %dir.display(), "migrations folder not found; no user migrations applied");
                Ok(None)
            }
            Migrations::Dir(dir) => Ok(Some(Migrator::new(dir.clone()).await?)),
            Migrations::Embedded(files) => {
                let mut out = Vec::with_capacity(files.len());
                for (name, sql) in files.iter() {
                    let stem = name.strip_suffix(".sql").unwrap_or(name);
                    let (version, desc) = stem.split_once('_').unwrap_or((stem, ""));
                    let version: i64 = version.parse().map_err(|_| {
                        sqlx::migrate::MigrateError::Source(
                            format!("migration file {name:?} must start with a number, like 0001_create_tasks.sql")
                                .into(),
                        )
                    })?;
                    out.push(Migration::new(
                        version,
                        Cow::Owned(desc.replace('_', " ")),
                        MigrationType::Simple,
                        sqlx::SqlSafeStr::into_sql_str(*sql),
                        false,
                    ));
                }
                out.sort_by_key(|m| m.version);
                Ok(Some(Migrator::with_migrations(out)))
            }
        }
    }
}

/// Opens a pool on `url`: for SQLite with WAL, a 5 s busy timeout, foreign
/// keys, `synchronous = NORMAL`, and `attach` (a file path) attached as
/// [`HISTORY_SCHEMA`].
async fn open_pool(
    url: &str,
    max: u32,
    dialect: Dialect,
    memory: bool,
    attach: Option<String>,
) -> Result<AnyPool, DbError> {
    let opts = AnyConnectOptions::from_str(url).map_err(|source| DbError::Connect {
        url: mask_password(url),
        source,
    })?;
    AnyPoolOptions::new()
        .max_connections(max)
        // An in-memory database lives as long as its one connection:
        // never let the pool close it.
        .min_connections(if memory { 1 } else { 0 })
        .acquire_timeout(Duration::from_secs(10))
        // A pooled SQLite connection is a local file handle: pinging it
        // before every use (sqlx's default, meant for network
        // connections that can drop) only costs a round trip to its
        // worker thread. PostgreSQL keeps the check.
        .test_before_acquire(dialect != Dialect::Sqlite)
        .idle_timeout((!memory).then_some(Duration::from_secs(600)))
        .max_lifetime((!memory).then_some(Duration::from_secs(1800)))
        .after_connect(move |conn, _meta| {
            let attach = attach.clone();
            Box::pin(async move {
                if dialect == Dialect::Sqlite {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    if let Some(path) = attach {
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "ATTACH DATABASE $1 AS {HISTORY_SCHEMA}"
                        )))
                        .bind(path)
                        .execute(&mut *conn)
                        .await?;
                    }
                }
                Ok(())
            })
        })
        .connect_with(opts)
        .await
        .map_err(|source| DbError::Connect {
            url: mask_password(url),
            source,
        })
}

/// The run history file of an SQLite file URL, as a URL (created if
/// missing) and as the decoded path `ATTACH` takes: the file name gets
/// `.runs` before its extension (`data/tasks.db` gives `data/tasks.runs.db`,
/// `data/tasks` gives `data/tasks.runs`). `None` for in-memory URLs.
pub fn history_url(url: &str) -> Option<(String, String)> {
    let raw = sqlite_file(url).filter(|_| !url.contains("mode=memory"))?;
    let name_at = raw.rfind('/').map_or(0, |i| i + 1);
    let history = match raw[name_at..].rfind('.') {
        Some(dot) if dot > 0 => {
            let (stem, ext) = raw.split_at(name_at + dot);
            format!("{stem}.runs{ext}")
        }
        _ => format!("{raw}.runs"),
    };
    let path = percent_encoding::percent_decode_str(&history)
        .decode_utf8()
        .ok()?
        .into_owned();
    Some((format!("sqlite://{history}?mode=rwc"), path))
}

/// The file path of a `sqlite:` URL, without query string.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    sqlite_file(url).map(PathBuf::from)
}

/// The file part of a `sqlite:` URL as written (percent-escapes kept),
/// without query string; `None` for `:memory:` or no file.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// The URL with the password replaced by `***`, for messages and logs.
pub(crate) fn mask_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
