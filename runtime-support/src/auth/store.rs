//! Where identity data lives: the `bunbase_` tables of sessions, roles, API keys, organizations, plans and idempotency keys, on SQLite or PostgreSQL.
//!
//! Storage sits behind the [`AuthBackend`] trait (itself the union of one
//! trait per concern: [`super::session::SessionStore`],
//! [`super::apikey::ApiKeyStore`], [`super::org::OrgStore`],
//! [`super::idempotency::IdempotencyStore`],
//! [`super::ratelimit::RateLimitStore`]). Two implementations ship:
//! [`SqliteStore`] over a `SqlitePool` and [`PgStore`] over a `PgPool`. Their
//! SQL is the same text on both dialects (`$n` placeholders, TEXT and BIGINT
//! columns, times as milliseconds since the Unix epoch), so each concern's
//! file writes its queries once in a macro that is expanded for both types.

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

use super::AuthError;

/// Identity storage on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore(pub SqlitePool);

/// Identity storage on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore(pub PgPool);

/// Everything the identity layer stores. Implemented by [`SqliteStore`] and
/// [`PgStore`]; another backend implements the four concern traits.
pub trait AuthBackend:
    super::session::SessionStore
    + super::apikey::ApiKeyStore
    + super::org::OrgStore
    + super::idempotency::IdempotencyStore
    + super::ratelimit::RateLimitStore
{
}

impl<T> AuthBackend for T where
    T: super::session::SessionStore
        + super::apikey::ApiKeyStore
        + super::org::OrgStore
        + super::idempotency::IdempotencyStore
        + super::ratelimit::RateLimitStore
{
}

/// The runtime's identity tables, in portable SQL (each statement runs on
/// SQLite and PostgreSQL). Times are BIGINT milliseconds since the Unix
/// epoch; ids are TEXT.
pub const SCHEMA: &[&str] = &[
    // Server-side sessions: the cookie names a row; a revoked, replaced or
    // expired row is no session.
    "CREATE TABLE IF NOT EXISTS bunbase_sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        org_id TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT
    )",
    "CREATE INDEX IF NOT EXISTS bunbase_sessions_user ON bunbase_sessions (user_id)",
    // Roles and permissions (`resource:verb`, `*` on either side).
    "CREATE TABLE IF NOT EXISTS bunbase_user_roles (
        user_id TEXT NOT NULL,
        role TEXT NOT NULL,
        PRIMARY KEY (user_id, role)
    )",
    "CREATE TABLE IF NOT EXISTS bunbase_role_permissions (
        role TEXT NOT NULL,
        permission TEXT NOT NULL,
        PRIMARY KEY (role, permission)
    )",
    "CREATE TABLE IF NOT EXISTS bunbase_user_permissions (
        user_id TEXT NOT NULL,
        permission TEXT NOT NULL,
        PRIMARY KEY (user_id, permission)
    )",
    // API keys: the secret is stored as its SHA-256; `prefix` finds the row.
    "CREATE TABLE IF NOT EXISTS bunbase_api_keys (
        id TEXT PRIMARY KEY,
        prefix TEXT NOT NULL UNIQUE,
        secret_hash TEXT NOT NULL,
        name TEXT NOT NULL,
        user_id TEXT,
        org_id TEXT,
        scopes TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        last_used_at BIGINT,
        revoked_at BIGINT
    )",
    // Organizations, memberships with roles, invitations.
    "CREATE TABLE IF NOT EXISTS bunbase_orgs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS bunbase_memberships (
        org_id TEXT NOT NULL REFERENCES bunbase_orgs (id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (org_id, user_id)
    )",
    "CREATE INDEX IF NOT EXISTS bunbase_memberships_user ON bunbase_memberships (user_id)",
    "CREATE TABLE IF NOT EXISTS bunbase_invitations (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES bunbase_orgs (id) ON DELETE CASCADE,
        email TEXT NOT NULL,
        role TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        invited_by TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        accepted_at BIGINT
    )",
    // Plans, their features, and one subscription per organization.
    "CREATE TABLE IF NOT EXISTS bunbase_plans (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS bunbase_plan_features (
        plan_id TEXT NOT NULL REFERENCES bunbase_plans (id) ON DELETE CASCADE,
        feature TEXT NOT NULL,
        PRIMARY KEY (plan_id, feature)
    )",
    "CREATE TABLE IF NOT EXISTS bunbase_subscriptions (
        org_id TEXT PRIMARY KEY REFERENCES bunbase_orgs (id) ON DELETE CASCADE,
        plan_id TEXT NOT NULL REFERENCES bunbase_plans (id),
        status TEXT NOT NULL,
        trial_ends_at BIGINT,
        current_period_end BIGINT,
        updated_at BIGINT NOT NULL
    )",
    // Idempotency keys: one row per (caller, key).
    "CREATE TABLE IF NOT EXISTS bunbase_idempotency (
        caller TEXT NOT NULL,
        idem_key TEXT NOT NULL,
        action TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        state TEXT NOT NULL,
        status BIGINT,
        body TEXT,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (caller, idem_key)
    )",
    "CREATE INDEX IF NOT EXISTS bunbase_idempotency_created ON bunbase_idempotency (created_at)",
    // Shared rate limits (`RATE_LIMIT_BACKEND=database`): two fixed windows
    // per bucket; `counted` says whether the last call was let through.
    "CREATE TABLE IF NOT EXISTS bunbase_rate_limits (
        bucket TEXT PRIMARY KEY,
        window_start BIGINT NOT NULL,
        previous BIGINT NOT NULL,
        current BIGINT NOT NULL,
        counted BIGINT NOT NULL
    )",
];

/// The identity store on the application's database: the same pool as
/// [`crate::Db`] (SQLite or PostgreSQL), with its tables created if missing.
pub async fn from_db(db: &crate::Db) -> Result<std::sync::Arc<dyn AuthBackend>, AuthError> {
    let backend: std::sync::Arc<dyn AuthBackend> = match db.pool() {
        crate::db::Pool::Sqlite(pool) => {
            for stmt in SCHEMA {
                sqlx::query(*stmt).execute(pool).await?;
            }
            std::sync::Arc::new(SqliteStore(pool.clone()))
        }
        crate::db::Pool::Postgres(pool) => {
            for stmt in SCHEMA {
                sqlx::query(*stmt).execute(pool).await?;
            }
            std::sync::Arc::new(PgStore(pool.clone()))
        }
    };
    Ok(backend)
}

/// Milliseconds since the Unix epoch, now. Read from `SystemTime`
/// directly: `chrono::Utc::now` builds a calendar date first, which cost
/// each authenticated request about 150 instructions for a number.
pub(crate) fn now_ms() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}
