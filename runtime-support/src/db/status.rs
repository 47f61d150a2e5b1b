//! Which user migrations a database has applied, which are pending, and which changed after they were applied (their checksum no longer matches).

use sqlx::migrate::{Migrate, Migrator};

use super::{Db, DbError, Migrations};
use crate::with_pool;

/// The table sqlx's migrator records applied migrations in.
const TABLE: &str = "_sqlx_migrations";

/// Where one migration stands on a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationState {
    /// Applied, and the file is the one that was applied.
    Applied,
    /// Not applied yet: the next `migrate` (or `serve`) applies it.
    Pending,
    /// Applied, but the file changed since: its checksum differs.
    Modified,
    /// Applied, but no migration file has its version any more.
    Missing,
}

impl MigrationState {
    /// A short lower-case label (`applied`, `pending`, `modified`, `missing`).
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationState::Applied => "applied",
            MigrationState::Pending => "pending",
            MigrationState::Modified => "modified",
            MigrationState::Missing => "missing",
        }
    }
}

/// One migration's state on a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// The version (the number the file name starts with).
    pub version: i64,
    /// The description (the rest of the file name, spaces for `_`); empty
    /// for a [`MigrationState::Missing`] one.
    pub description: String,
    /// Where it stands.
    pub state: MigrationState,
}

impl Db {
    /// Every user migration's state on this database, in version order:
    /// the files of `user` for this database's dialect against what
    /// `_sqlx_migrations` records (the table is created when missing).
    pub async fn migration_status(
        &self,
        user: &Migrations,
    ) -> Result<Vec<MigrationStatus>, DbError> {
        let migrator = user.migrator(self.dialect()).await?;
        let applied = with_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            conn.ensure_migrations_table(TABLE).await?;
            conn.list_applied_migrations(TABLE).await?
        });
        Ok(compare(migrator.as_ref(), &applied))
    }

    /// Refuses (`DbError::Modified`) when an applied migration's file
    /// changed since, naming each one and what to do.
    pub async fn check_migrations(&self, user: &Migrations) -> Result<(), DbError> {
        let modified: Vec<i64> = self
            .migration_status(user)
            .await?
            .into_iter()
            .filter(|m| m.state == MigrationState::Modified)
            .map(|m| m.version)
            .collect();
        if modified.is_empty() {
            Ok(())
        } else {
            Err(DbError::Modified(modified))
        }
    }
}

fn compare(
    migrator: Option<&Migrator>,
    applied: &[sqlx::migrate::AppliedMigration],
) -> Vec<MigrationStatus> {
    let mut out: Vec<MigrationStatus> = migrator
        .into_iter()
        .flat_map(|m| m.iter())
        .filter(|m| !m.migration_type.is_down_migration())
        .map(|m| {
            let state = match applied.iter().find(|a| a.version == m.version) {
                None => MigrationState::Pending,
                Some(a) if a.checksum == m.checksum => MigrationState::Applied,
                Some(_) => MigrationState::Modified,
            };
            MigrationStatus {
                version: m.version,
                description: m.description.to_string(),
                state,
            }
        })
        .collect();
    for a in applied {
        if !out.iter().any(|m| m.version == a.version) {
            out.push(MigrationStatus {
                version: a.version,
                description: String::new(),
                state: MigrationState::Missing,
            });
        }
    }
    out.sort_by_key(|m| m.version);
    out
}
