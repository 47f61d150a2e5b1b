//! `bunbase_webhook_deliveries`: which deliveries were accepted, so a replayed or retried delivery id runs once; with pruning.
//!
//! A delivery is claimed before its action runs (`processing`), marked
//! `done` when the action succeeded (or its job was enqueued), and released
//! (the row deleted) when it failed, so the provider's retry runs it again.
//! A `processing` claim older than [`PROCESSING_LEASE`] belongs to a server
//! that died mid-run and may be claimed again. Rows older than
//! [`DELIVERY_RETENTION`] are pruned, at most once per [`PRUNE_EVERY`].
//!
//! Storage sits behind [`DeliveryStore`], with one implementation per
//! dialect over a typed pool ([`SqliteDeliveries`], [`PgDeliveries`]); the
//! same SQL text runs on both.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::{PgPool, SqlitePool};

use crate::db::DbError;

/// How long a `processing` claim holds before another server may take it.
pub const PROCESSING_LEASE: Duration = Duration::from_secs(5 * 60);
/// How long accepted delivery ids are remembered: longer than providers
/// keep retrying (Stripe: 3 days; Standard Webhooks senders: about 5).
pub const DELIVERY_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// How often pruning runs at most (it starts from a delivery).
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The table's DDL: the same text on SQLite and PostgreSQL.
const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS bunbase_webhook_deliveries (\
     webhook TEXT NOT NULL, \
     delivery_id TEXT NOT NULL, \
     status TEXT NOT NULL, \
     received_at BIGINT NOT NULL, \
     updated_at BIGINT NOT NULL, \
     PRIMARY KEY (webhook, delivery_id))",
    "CREATE INDEX IF NOT EXISTS bunbase_webhook_deliveries_received \
     ON bunbase_webhook_deliveries (received_at)",
];
const INSERT: &str = "INSERT INTO bunbase_webhook_deliveries \
     (webhook, delivery_id, status, received_at, updated_at) \
     VALUES ($1, $2, 'processing', $3, $3) \
     ON CONFLICT (webhook, delivery_id) DO NOTHING";
const RECLAIM: &str = "UPDATE bunbase_webhook_deliveries \
     SET status = 'processing', updated_at = $3 \
     WHERE webhook = $1 AND delivery_id = $2 AND status = 'processing' AND updated_at < $4";
const STATUS: &str = "SELECT status FROM bunbase_webhook_deliveries \
     WHERE webhook = $1 AND delivery_id = $2";
const COMPLETE: &str = "UPDATE bunbase_webhook_deliveries \
     SET status = 'done', updated_at = $3 WHERE webhook = $1 AND delivery_id = $2";
const RELEASE: &str =
    "DELETE FROM bunbase_webhook_deliveries WHERE webhook = $1 AND delivery_id = $2";
const PRUNE: &str = "DELETE FROM bunbase_webhook_deliveries WHERE received_at < $1";

/// What claiming a delivery id found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// First sight (or a dead server's stale claim): run it.
    New,
    /// Already accepted: acknowledge without running it again.
    Duplicate,
    /// Another request is running it right now: ask the provider to retry.
    InProgress,
}

/// Storage of delivery ids. Times are Unix milliseconds.
pub trait DeliveryStore: Send + Sync + 'static {
    /// Creates the table if missing.
    fn ensure_schema(&self) -> BoxFuture<'_, Result<(), DbError>>;

    /// Claims `id` for `webhook` at `now`; a `processing` claim last
    /// touched before `stale_before` is taken over.
    fn claim<'a>(
        &'a self,
        webhook: &'a str,
        id: &'a str,
        now: i64,
        stale_before: i64,
    ) -> BoxFuture<'a, Result<Claim, DbError>>;

    /// Marks a claimed delivery done: later deliveries of `id` are duplicates.
    fn complete<'a>(
        &'a self,
        webhook: &'a str,
        id: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<(), DbError>>;

    /// Forgets a claim whose run failed, so a retry of `id` runs again.
    fn release<'a>(&'a self, webhook: &'a str, id: &'a str) -> BoxFuture<'a, Result<(), DbError>>;

    /// Deletes deliveries received before `before`; returns how many.
    fn prune(&self, before: i64) -> BoxFuture<'_, Result<u64, DbError>>;
}

/// Implements [`DeliveryStore`] for a typed pool: the SQL is the same text
/// on both dialects, only the pool type differs.
macro_rules! delivery_store {
    ($(#[$doc:meta])* $name:ident, $pool:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub $pool);

        impl DeliveryStore for $name {
            fn ensure_schema(&self) -> BoxFuture<'_, Result<(), DbError>> {
                Box::pin(async move {
                    for ddl in SCHEMA {
                        sqlx::query(*ddl).execute(&self.0).await?;
                    }
                    Ok(())
                })
            }

            fn claim<'a>(
                &'a self,
                webhook: &'a str,
                id: &'a str,
                now: i64,
                stale_before: i64,
            ) -> BoxFuture<'a, Result<Claim, DbError>> {
                Box::pin(async move {
                    let inserted = sqlx::query(INSERT)
                        .bind(webhook)
                        .bind(id)
                        .bind(now)
                        .execute(&self.0)
                        .await?
                        .rows_affected();
                    if inserted == 1 {
                        return Ok(Claim::New);
                    }
                    let reclaimed = sqlx::query(RECLAIM)
                        .bind(webhook)
                        .bind(id)
                        .bind(now)
                        .bind(stale_before)
                        .execute(&self.0)
                        .await?
                        .rows_affected();
                    if reclaimed == 1 {
                        return Ok(Claim::New);
                    }
                    let status: Option<String> = sqlx::query_scalar(STATUS)
                        .bind(webhook)
                        .bind(id)
                        .fetch_optional(&self.0)
                        .await?;
                    Ok(match status.as_deref() {
                        Some("done") => Claim::Duplicate,
                        // Running elsewhere, or released between the two
                        // statements: either way the provider retries.
                        _ => Claim::InProgress,
                    })
                })
            }

            fn complete<'a>(
                &'a self,
                webhook: &'a str,
                id: &'a str,
                now: i64,
            ) -> BoxFuture<'a, Result<(), DbError>> {
                Box::pin(async move {
                    sqlx::query(COMPLETE)
                        .bind(webhook)
                        .bind(id)
                        .bind(now)
                        .execute(&self.0)
                        .await?;
                    Ok(())
                })
            }

            fn release<'a>(
                &'a self,
                webhook: &'a str,
                id: &'a str,
            ) -> BoxFuture<'a, Result<(), DbError>> {
                Box::pin(async move {
                    sqlx::query(RELEASE)
                        .bind(webhook)
                        .bind(id)
                        .execute(&self.0)
                        .await?;
                    Ok(())
                })
            }

            fn prune(&self, before: i64) -> BoxFuture<'_, Result<u64, DbError>> {
                Box::pin(async move {
                    Ok(sqlx::query(PRUNE)
                        .bind(before)
                        .execute(&self.0)
                        .await?
                        .rows_affected())
                })
            }
        }
    };
}

delivery_store!(
    /// Delivery ids in SQLite.
    SqliteDeliveries,
    SqlitePool
);
delivery_store!(
    /// Delivery ids in PostgreSQL.
    PgDeliveries,
    PgPool
);

/// The store over the runtime's own database pool.
pub fn for_db(db: &crate::Db) -> std::sync::Arc<dyn DeliveryStore> {
    match db.pool() {
        crate::db::Pool::Sqlite(pool) => std::sync::Arc::new(SqliteDeliveries(pool.clone())),
        crate::db::Pool::Postgres(pool) => std::sync::Arc::new(PgDeliveries(pool.clone())),
    }
}

/// Remembers when pruning last ran, so a busy webhook prunes once per
/// [`PRUNE_EVERY`], not per delivery.
#[derive(Debug, Default)]
pub(crate) struct PruneClock(AtomicI64);

impl PruneClock {
    /// Whether a prune is due at `now` (ms); claims the slot when it is.
    pub(crate) fn due(&self, now: i64) -> bool {
        let last = self.0.load(Ordering::Relaxed);
        let every = PRUNE_EVERY.as_millis() as i64;
        now - last >= every
            && self
                .0
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_is_due_once_per_interval() {
        let clock = PruneClock::default();
        let hour = PRUNE_EVERY.as_millis() as i64;
        let start = 10 * hour;
        assert!(clock.due(start), "the first delivery prunes");
        assert!(!clock.due(start + 1), "not again within the interval");
        assert!(!clock.due(start + hour - 1));
        assert!(clock.due(start + hour), "due again after the interval");
        assert!(!clock.due(start + hour), "and only once");
    }
}
