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
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    dialect: Dialect,
}

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
        let opts = AnyConnectOptions::from_str(url).map_err(|source| DbError::Connect {
            url: mask_password(url),
            source,
        })?;
        let pool = AnyPoolOptions::new()
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
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await
            .map_err(|source| DbError::Connect {
                url: mask_password(url),
                source,
            })?;
        Ok(Db { pool, dialect })
    }

    /// The dialect (chosen by the URL's scheme).
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The underlying pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
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

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await
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

/// The file path of a `sqlite:` URL, without query string.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
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
