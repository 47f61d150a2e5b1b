//! Who is calling ([`Principal`], [`Session`]) and the server-side session store: rows in `bunbase_sessions` that logout revokes, and roles and permissions read from their tables.

use std::time::Instant;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::AuthError;
use super::store::{PgStore, SqliteStore};

pub use super::cookie::{
    DEFAULT_SESSION_TTL, SESSION_COOKIE, SessionError, SessionManager, SetCookie,
};

/// Who is calling: the authenticated user with roles and permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Stable user id (for an API key without an owner, `api_key:<id>`).
    pub user_id: String,
    /// Role names (`admin`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Permissions as `resource:verb`; either side may be `*`. For an API
    /// key, its scopes.
    #[serde(default)]
    pub permissions: Vec<String>,
}

impl Principal {
    /// A principal with no roles and no permissions.
    pub fn new(user_id: impl Into<String>) -> Self {
        Principal {
            user_id: user_id.into(),
            roles: Vec::new(),
            permissions: Vec::new(),
        }
    }

    /// Adds a role.
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// Adds a permission (`resource:verb`).
    pub fn with_permission(mut self, permission: impl Into<String>) -> Self {
        self.permissions.push(permission.into());
        self
    }

    /// Whether the principal has `role` (exact match).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether any granted permission covers `required` (`resource:verb`).
    /// `*` on either side of a granted permission matches anything on that
    /// side (`*:*`, `tasks:*`, `*:read`); a required permission is matched
    /// literally.
    pub fn has_permission(&self, required: &str) -> bool {
        let (rr, rv) = required.split_once(':').unwrap_or((required, ""));
        self.permissions.iter().any(|granted| {
            let (gr, gv) = granted.split_once(':').unwrap_or((granted.as_str(), ""));
            (gr == "*" || gr == rr) && (gv == "*" || gv == rv)
        })
    }
}

/// How a caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// The signed `bunbase_session` cookie naming a live session row.
    Cookie,
    /// An API key (`Authorization: Bearer` or `X-API-Key`).
    ApiKey,
}

/// A verified caller: a live session (cookie) or an API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The session id (the `bunbase_sessions` row), or the API key's id.
    pub id: String,
    /// Who the caller is, with roles and permissions from the database (an
    /// API key's permissions are its scopes).
    pub principal: Principal,
    /// Issued at, seconds since the Unix epoch.
    pub issued_at: i64,
    /// Expires at, seconds since the Unix epoch (`i64::MAX` for an API key
    /// without expiry).
    pub expires_at: i64,
    /// Cookie or API key.
    pub via: AuthMethod,
    /// The organization the caller acts in when a request names none: the
    /// session's active organization ([`crate::auth::Auth::set_active_org`])
    /// or the API key's.
    #[serde(default)]
    pub org_id: Option<String>,
}

/// One `bunbase_sessions` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The session id (random, 128 bits, in the signed cookie).
    pub id: String,
    /// The user it belongs to.
    pub user_id: String,
    /// Created at (ms since the epoch).
    pub created_at: i64,
    /// Expires at (ms since the epoch); sliding expiry moves it.
    pub expires_at: i64,
    /// When it was revoked (logout, rotation), if it was.
    pub revoked_at: Option<i64>,
    /// The active organization, if one was chosen.
    pub org_id: Option<String>,
}

/// A [`SessionRow`] as the identity caches keep it, with the [`Session`]
/// last built from it and the principal it was built with. A steady
/// caller's request then shares that session instead of cloning the row's
/// and the principal's strings into a new one; a changed principal (a new
/// `Arc` in the principal cache) builds it again. While the principal
/// cache has not changed since that principal was read from it, and its
/// entry has not aged out, the request does not look the principal up at
/// all ([`CachedRow::memo`]). A row that changes (renewal, revocation, a
/// new active organization) is forgotten by the cache, memo and all.
pub(crate) struct CachedRow {
    row: SessionRow,
    built: std::sync::Mutex<Option<Built>>,
}

/// The session a [`CachedRow`] built last, and where its principal came from.
struct Built {
    principal: std::sync::Arc<Principal>,
    session: std::sync::Arc<Session>,
    /// The principal cache's [`changes`](super::cache::TtlCache::changes),
    /// read before the principal was.
    changes: u64,
    /// When the principal's cache entry was made.
    principal_at: Instant,
}

impl CachedRow {
    pub(crate) fn new(row: SessionRow) -> Self {
        CachedRow {
            row,
            built: std::sync::Mutex::new(None),
        }
    }

    /// The session built last, when its principal is still the principal
    /// cache's entry: the cache has made no change since `changes` was
    /// read when it was built (this `changes` is the count now), and the
    /// entry is younger than `ttl` at `now`. `None` otherwise: the caller
    /// looks the principal up and calls [`CachedRow::session`].
    pub(crate) fn memo(
        &self,
        changes: u64,
        now: Instant,
        ttl: std::time::Duration,
    ) -> Option<std::sync::Arc<Session>> {
        let built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        built
            .as_ref()
            .filter(|b| b.changes == changes && now.saturating_duration_since(b.principal_at) < ttl)
            .map(|b| b.session.clone())
    }

    /// The session this row and `principal` stand for: the one built last
    /// when it was built with this same principal. `changes` is the
    /// principal cache's count read before `principal` was read from it,
    /// and `principal_at` when its entry was made (for [`CachedRow::memo`]).
    pub(crate) fn session(
        &self,
        principal: &std::sync::Arc<Principal>,
        changes: u64,
        principal_at: Instant,
    ) -> std::sync::Arc<Session> {
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        let session = match &*built {
            Some(b) if std::sync::Arc::ptr_eq(&b.principal, principal) => b.session.clone(),
            _ => std::sync::Arc::new(super::cookie_session(&self.row, principal)),
        };
        *built = Some(Built {
            principal: principal.clone(),
            session: session.clone(),
            changes,
            principal_at,
        });
        session
    }
}

impl std::ops::Deref for CachedRow {
    type Target = SessionRow;

    fn deref(&self) -> &SessionRow {
        &self.row
    }
}

/// A user's role names and permissions.
pub type RolesAndPermissions = (Vec<String>, Vec<String>);

/// Storage of sessions, roles and permissions.
pub trait SessionStore: Send + Sync + 'static {
    /// Inserts a session row.
    fn insert_session<'a>(&'a self, row: &'a SessionRow) -> BoxFuture<'a, Result<(), AuthError>>;
    /// The row with `id`, if any (revoked and expired rows included).
    fn session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<SessionRow>, AuthError>>;
    /// Moves a live session's expiry to `expires_at` (sliding expiry).
    fn extend_session<'a>(
        &'a self,
        id: &'a str,
        expires_at: i64,
    ) -> BoxFuture<'a, Result<(), AuthError>>;
    /// Sets (or clears) a session's active organization.
    fn set_session_org<'a>(
        &'a self,
        id: &'a str,
        org_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), AuthError>>;
    /// Revokes one session at `now`.
    fn revoke_session<'a>(
        &'a self,
        id: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<bool, AuthError>>;
    /// Revokes every live session of `user_id` at `now`; returns how many.
    fn revoke_user_sessions<'a>(
        &'a self,
        user_id: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<u64, AuthError>>;
    /// Deletes sessions that expired or were revoked before `before`.
    fn prune_sessions(&self, before: i64) -> BoxFuture<'_, Result<u64, AuthError>>;
    /// The user's roles, and the permissions granted to them directly or
    /// through a role.
    fn roles_and_permissions<'a>(
        &'a self,
        user_id: &'a str,
    ) -> BoxFuture<'a, Result<RolesAndPermissions, AuthError>>;
    /// Grants (`grant = true`) or removes a role.
    fn set_user_role<'a>(
        &'a self,
        user_id: &'a str,
        role: &'a str,
        grant: bool,
    ) -> BoxFuture<'a, Result<(), AuthError>>;
    /// Grants or removes a permission of a role.
    fn set_role_permission<'a>(
        &'a self,
        role: &'a str,
        permission: &'a str,
        grant: bool,
    ) -> BoxFuture<'a, Result<(), AuthError>>;
    /// Grants or removes a permission given to a user directly.
    fn set_user_permission<'a>(
        &'a self,
        user_id: &'a str,
        permission: &'a str,
        grant: bool,
    ) -> BoxFuture<'a, Result<(), AuthError>>;
}

type Row = (String, String, i64, i64, Option<i64>, Option<String>);

fn row((id, user_id, created_at, expires_at, revoked_at, org_id): Row) -> SessionRow {
    SessionRow {
        id,
        user_id,
        created_at,
        expires_at,
        revoked_at,
        org_id,
    }
}

/// Picks the insert or delete statement of a grant.
fn grant_sql(grant: bool, insert: &'static str, delete: &'static str) -> &'static str {
    if grant { insert } else { delete }
}

macro_rules! session_store {
    ($ty:ty) => {
        impl SessionStore for $ty {
            fn insert_session<'a>(
                &'a self,
                r: &'a SessionRow,
            ) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO bunbase_sessions (id, user_id, org_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&r.id)
                    .bind(&r.user_id)
                    .bind(&r.org_id)
                    .bind(r.created_at)
                    .bind(r.expires_at)
                    .execute(&self.0)
                    .await?;
                    Ok(())
                })
            }

            fn session<'a>(
                &'a self,
                id: &'a str,
            ) -> BoxFuture<'a, Result<Option<SessionRow>, AuthError>> {
                Box::pin(async move {
                    let r: Option<Row> = sqlx::query_as(
                        "SELECT id, user_id, created_at, expires_at, revoked_at, org_id FROM bunbase_sessions WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_optional(&self.0)
                    .await?;
                    Ok(r.map(row))
                })
            }

            fn extend_session<'a>(
                &'a self,
                id: &'a str,
                expires_at: i64,
            ) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE bunbase_sessions SET expires_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                    )
                    .bind(expires_at)
                    .bind(id)
                    .execute(&self.0)
                    .await?;
                    Ok(())
                })
            }

            fn set_session_org<'a>(
                &'a self,
                id: &'a str,
                org_id: Option<&'a str>,
            ) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    sqlx::query("UPDATE bunbase_sessions SET org_id = $1 WHERE id = $2")
                        .bind(org_id)
                        .bind(id)
                        .execute(&self.0)
                        .await?;
                    Ok(())
                })
            }

            fn revoke_session<'a>(
                &'a self,
                id: &'a str,
                now: i64,
            ) -> BoxFuture<'a, Result<bool, AuthError>> {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE bunbase_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                    )
                    .bind(now)
                    .bind(id)
                    .execute(&self.0)
                    .await?;
                    Ok(done.rows_affected() > 0)
                })
            }

            fn revoke_user_sessions<'a>(
                &'a self,
                user_id: &'a str,
                now: i64,
            ) -> BoxFuture<'a, Result<u64, AuthError>> {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE bunbase_sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                    )
                    .bind(now)
                    .bind(user_id)
                    .execute(&self.0)
                    .await?;
                    Ok(done.rows_affected())
                })
            }

            fn prune_sessions(&self, before: i64) -> BoxFuture<'_, Result<u64, AuthError>> {
                Box::pin(async move {
                    let done = sqlx::query(
                        "DELETE FROM bunbase_sessions WHERE expires_at < $1 OR revoked_at < $1",
                    )
                    .bind(before)
                    .execute(&self.0)
                    .await?;
                    Ok(done.rows_affected())
                })
            }

            fn roles_and_permissions<'a>(
                &'a self,
                user_id: &'a str,
            ) -> BoxFuture<'a, Result<RolesAndPermissions, AuthError>> {
                Box::pin(async move {
                    let rows: Vec<(String, String)> = sqlx::query_as(
                        "SELECT 'r', role FROM bunbase_user_roles WHERE user_id = $1
                         UNION ALL
                         SELECT 'p', rp.permission FROM bunbase_user_roles ur
                           JOIN bunbase_role_permissions rp ON rp.role = ur.role WHERE ur.user_id = $1
                         UNION ALL
                         SELECT 'p', permission FROM bunbase_user_permissions WHERE user_id = $1",
                    )
                    .bind(user_id)
                    .fetch_all(&self.0)
                    .await?;
                    let (mut roles, mut perms) = (Vec::new(), Vec::new());
                    for (kind, value) in rows {
                        if kind == "r" { roles.push(value) } else { perms.push(value) }
                    }
                    roles.sort();
                    roles.dedup();
                    perms.sort();
                    perms.dedup();
                    Ok((roles, perms))
                })
            }

            fn set_user_role<'a>(
                &'a self,
                user_id: &'a str,
                role: &'a str,
                grant: bool,
            ) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    sqlx::query(grant_sql(
                        grant,
                        "INSERT INTO bunbase_user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        "DELETE FROM bunbase_user_roles WHERE user_id = $1 AND role = $2",
                    ))
                    .bind(user_id)
                    .bind(role)
                    .execute(&self.0)
                    .await?;
                    Ok(())
                })
            }

            fn set_role_permission<'a>(
                &'a self,
                role: &'a str,
                permission: &'a str,
                grant: bool,
            ) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    sqlx::query(grant_sql(
                        grant,
                        "INSERT INTO bunbase_role_permissions (role, permission) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        "DELETE FROM bunbase_role_permissions WHERE role = $1 AND permission = $2",
                    ))
                    .bind(role)
                    .bind(permission)
                    .execute(&self.0)
                    .await?;
                    Ok(())
                })
            }

            fn set_user_permission<'a>(
                &'a self,
                user_id: &'a str,
                permission: &'a str,
                grant: bool,
            ) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    sqlx::query(grant_sql(
                        grant,
                        "INSERT INTO bunbase_user_permissions (user_id, permission) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        "DELETE FROM bunbase_user_permissions WHERE user_id = $1 AND permission = $2",
                    ))
                    .bind(user_id)
                    .bind(permission)
                    .execute(&self.0)
                    .await?;
                    Ok(())
                })
            }
        }
    };
}

session_store!(SqliteStore);
session_store!(PgStore);

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn row() -> SessionRow {
        SessionRow {
            id: "s1".into(),
            user_id: "u1".into(),
            created_at: 1_000,
            expires_at: 9_000_000,
            revoked_at: None,
            org_id: Some("o1".into()),
        }
    }

    #[test]
    fn a_cached_row_shares_its_session_while_the_principal_is_the_same() {
        let cached = CachedRow::new(row());
        let at = Instant::now();
        let principal = Arc::new(Principal::new("u1").with_role("member"));
        let first = cached.session(&principal, 0, at);
        assert_eq!(first.id, "s1");
        assert_eq!(first.principal.roles, ["member"]);
        assert_eq!((first.issued_at, first.expires_at), (1, 9_000));
        assert_eq!(first.org_id.as_deref(), Some("o1"));
        assert!(Arc::ptr_eq(&first, &cached.session(&principal, 0, at)));

        // The principal cache reloaded the user: a new session, with the
        // new roles, and that one is shared from then on.
        let promoted = Arc::new(Principal::new("u1").with_role("admin"));
        let second = cached.session(&promoted, 1, at);
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(second.principal.roles, ["admin"]);
        assert!(Arc::ptr_eq(&second, &cached.session(&promoted, 1, at)));
    }

    #[test]
    fn the_memo_holds_while_the_principal_cache_is_unchanged_and_its_entry_young() {
        let ttl = std::time::Duration::from_secs(5);
        let cached = CachedRow::new(row());
        let at = Instant::now();
        assert!(cached.memo(3, at, ttl).is_none(), "nothing built yet");
        let principal = Arc::new(Principal::new("u1").with_role("member"));
        let built = cached.session(&principal, 3, at);
        let memo = cached
            .memo(3, at + ttl / 2, ttl)
            .expect("unchanged and young");
        assert!(Arc::ptr_eq(&built, &memo));
        // Any change to the principal cache since (a grant, a reload of
        // any user), or the entry's age reaching the TTL, ends it.
        assert!(cached.memo(4, at, ttl).is_none());
        assert!(cached.memo(3, at + ttl, ttl).is_none());
        // A zero TTL (no principal cache) never remembers.
        assert!(cached.memo(3, at, std::time::Duration::ZERO).is_none());
    }
}
