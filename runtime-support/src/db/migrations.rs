//! Where user migrations come from: a folder or files compiled into the binary.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::{DbError, Dialect};

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
    /// Compiled in per dialect (what `bunbase gen` embeds in the API
    /// crate's `db::MIGRATIONS`): the list of the database's dialect runs.
    ByDialect {
        /// Migrations for SQLite.
        sqlite: &'static [(&'static str, &'static str)],
        /// Migrations for PostgreSQL.
        postgres: &'static [(&'static str, &'static str)],
    },
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

    /// Migrations compiled into the binary, one list per dialect.
    pub const fn by_dialect(
        sqlite: &'static [(&'static str, &'static str)],
        postgres: &'static [(&'static str, &'static str)],
    ) -> Migrations {
        Migrations::ByDialect { sqlite, postgres }
    }

    /// Migrations compiled into the binary.
    pub const fn embedded(files: &'static [(&'static str, &'static str)]) -> Migrations {
        Migrations::Embedded(files)
    }

    pub(crate) async fn migrator(&self, dialect: Dialect) -> Result<Option<Migrator>, DbError> {
        match self {
            Migrations::ByDialect { sqlite, postgres } => {
                let files = match dialect {
                    Dialect::Sqlite => sqlite,
                    Dialect::Postgres => postgres,
                };
                embedded(files).map(Some)
            }
            Migrations::None => Ok(None),
            Migrations::Dir(dir) if !dir.exists() => {
                tracing::warn!(dir = %dir.display(), "migrations folder not found; no user migrations applied");
                Ok(None)
            }
            Migrations::Dir(dir) => Ok(Some(Migrator::new(dir.clone()).await?)),
            Migrations::Embedded(files) => embedded(files).map(Some),
        }
    }
}

/// A migrator over compiled-in `(file name, SQL)` pairs.
fn embedded(files: &[(&'static str, &'static str)]) -> Result<Migrator, DbError> {
    let mut out = Vec::with_capacity(files.len());
    for (name, sql) in files.iter() {
        let stem = name.strip_suffix(".sql").unwrap_or(name);
        let (version, desc) = stem.split_once('_').unwrap_or((stem, ""));
        let version: i64 = version.parse().map_err(|_| {
            sqlx::migrate::MigrateError::Source(
                format!(
                    "migration file {name:?} must start with a number, like 0001_create_tasks.sql"
                )
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
    Ok(Migrator::with_migrations(out))
}
