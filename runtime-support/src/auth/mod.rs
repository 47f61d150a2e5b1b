//! Identity and access: who is calling (revocable sessions, API keys), what they may do (roles, permissions, organizations, plans), and the request defences around it (rate limits, idempotency keys, CSRF).
//!
//! [`Auth`] is the runtime's identity service ([`crate::Runtime::auth`]). It
//! owns the `bunbase_` identity tables ([`store::SCHEMA`]) through an
//! [`store::AuthBackend`] (SQLite or PostgreSQL), the cookie signer
//! ([`SessionManager`]) and a short cache of principals. The pipeline calls
//! [`Auth::authenticate`] for every HTTP request that carries credentials,
//! then runs the action's guards ([`guard`]).

pub mod apikey;
mod cache;
pub mod command;
pub mod cookie;
pub mod csrf;
pub mod guard;
pub mod idempotency;
pub mod org;
pub mod password;
mod principal;
pub mod ratelimit;
#[cfg(feature = "redis")]
pub mod redis;
pub mod session;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use base64::Engine as _;

pub use apikey::{ApiKeyRow, CreatedApiKey, NewApiKey};
pub use command::{ApiKeyCommand, ApiKeyCommandError, api_key_command};
pub use cookie::{SessionError, SessionManager, SetCookie};
pub use org::{Invitation, OrgContext, Subscription};
pub use principal::PrincipalLoader;
pub use session::{AuthMethod, Principal, Session};

use crate::ApiError;
use principal::PrincipalCache;
use store::{AuthBackend, now_ms};

/// Failures of the identity layer. Messages say how to fix the problem.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A query failed.
    #[error("identity store error: {0}; check that the database is reachable")]
    Sqlx(#[from] sqlx::Error),
    /// The configuration cannot work.
    #[error("identity configuration error: {0}")]
    Config(String),
    /// The rate-limit backend failed.
    #[error("rate limit backend error: {0}; check RATE_LIMIT_REDIS_URL and that Redis is running")]
    RateLimit(String),
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        ApiError::internal(e)
    }
}

/// A caller [`Auth::authenticate`] accepted, with the cookie that renews
/// the session when sliding expiry moved it.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The verified caller.
    pub session: Session,
    /// A fresh cookie to send back (sliding expiry), if any.
    pub renew: Option<SetCookie>,
}

/// Settings of [`Auth`], from [`crate::Config`].
#[derive(Debug, Clone)]
pub struct AuthOptions {
    /// How long roles and permissions read from the database are reused.
    pub cache_ttl: Duration,
    /// How long a session row read from the database is reused on this
    /// instance (a revocation made here forgets it at once).
    pub session_cache_ttl: Duration,
    /// How long idempotency keys are kept.
    pub idempotency_retention: Duration,
    /// How long a retry waits for a running request with its key.
    pub idempotency_wait: Duration,
    /// Origins allowed to send cookie-authenticated mutating requests,
    /// besides the server's own.
    pub trusted_origins: Vec<String>,
}

struct Inner {
    store: Arc<dyn AuthBackend>,
    cookies: SessionManager,
    principals: PrincipalCache,
    /// Shared rows: a hit clones a pointer, not the row's strings.
    sessions: cache::TtlCache<Option<Arc<session::CachedRow>>>,
    loader: std::sync::OnceLock<Arc<dyn PrincipalLoader>>,
    options: AuthOptions,
    idempotency: idempotency::Idempotency,
}

/// The identity service. Cheap to clone.
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("cookies", &self.inner.cookies)
            .field("options", &self.inner.options)
            .finish()
    }
}

impl Auth {
    /// An identity service over `store`, signing cookies with `cookies`.
    /// Starts a background task that prunes expired sessions and
    /// idempotency keys every ten minutes (it ends with the last clone).
    pub fn new(store: Arc<dyn AuthBackend>, cookies: SessionManager, options: AuthOptions) -> Auth {
        let auth = Auth {
            inner: Arc::new(Inner {
                idempotency: idempotency::Idempotency {
                    store: store.clone(),
                    retention: options.idempotency_retention,
                    wait: options.idempotency_wait,
                },
                principals: PrincipalCache::new(options.cache_ttl),
                sessions: cache::TtlCache::new(options.session_cache_ttl),
                store,
                cookies,
                loader: std::sync::OnceLock::new(),
                options,
            }),
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            let weak = Arc::downgrade(&auth.inner);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(600));
                loop {
                    tick.tick().await;
                    let Some(inner) = weak.upgrade() else { return };
                    if let Err(e) = (Auth { inner }).prune().await {
                        tracing::warn!(error = %e, "pruning sessions and idempotency keys failed");
                    }
                }
            });
        }
        auth
    }

    /// The storage backend.
    pub fn store(&self) -> &dyn AuthBackend {
        &*self.inner.store
    }

    /// The cookie signer.
    pub fn cookies(&self) -> &SessionManager {
        &self.inner.cookies
    }

    /// The settings.
    pub fn options(&self) -> &AuthOptions {
        &self.inner.options
    }

    pub(crate) fn idempotency(&self) -> &idempotency::Idempotency {
        &self.inner.idempotency
    }

    /// Deletes sessions that ended more than a day ago and idempotency keys
    /// past their retention.
    pub async fn prune(&self) -> Result<(), AuthError> {
        let now = now_ms();
        self.store().prune_sessions(now - 86_400_000).await?;
        let keep = self.inner.options.idempotency_retention.as_millis() as i64;
        self.store().prune_keys(now - keep).await?;
        Ok(())
    }

    // ---- sessions ----

    /// Starts a session for `user_id`: a `bunbase_sessions` row and the
    /// `Set-Cookie` that carries it. [`crate::ActionContext::sign_in`] calls
    /// this and attaches the cookie to the response.
    pub async fn create_session(&self, user_id: &str) -> Result<(Session, SetCookie), ApiError> {
        let now = now_ms();
        let ttl = self.inner.cookies.ttl().as_millis() as i64;
        let row = session::SessionRow {
            id: random_token(16),
            user_id: user_id.to_owned(),
            created_at: now,
            expires_at: now + ttl,
            revoked_at: None,
            org_id: None,
        };
        self.store().insert_session(&row).await?;
        let principal = self
            .principal(user_id)
            .await?
            .map(|p| (*p).clone())
            .unwrap_or_else(|| Principal::new(user_id));
        let session = Session {
            id: row.id,
            principal,
            issued_at: now / 1000,
            expires_at: row.expires_at / 1000,
            via: AuthMethod::Cookie,
            org_id: None,
        };
        let cookie = self.inner.cookies.session_cookie(&session);
        Ok((session, cookie))
    }

    /// Revokes one session: its cookie answers 401 from now on. Whether it
    /// was live.
    pub async fn revoke_session(&self, session_id: &str) -> Result<bool, ApiError> {
        let live = self.store().revoke_session(session_id, now_ms()).await?;
        self.inner.sessions.forget(session_id);
        Ok(live)
    }

    /// Revokes every session of `user_id` ("log out everywhere"); returns
    /// how many were live. Call it when a user is deleted or their password
    /// changes.
    pub async fn revoke_user_sessions(&self, user_id: &str) -> Result<u64, ApiError> {
        let n = self.store().revoke_user_sessions(user_id, now_ms()).await?;
        self.inner
            .sessions
            .forget_where(|row| row.as_ref().is_some_and(|r| r.user_id == user_id));
        Ok(n)
    }

    /// Who the request's credentials name: an API key (`Authorization:
    /// Bearer` or `X-API-Key`) when one is sent, else the session cookie.
    /// `None` for no credentials or credentials that do not verify: a bad
    /// signature, a retired key, an expired, revoked or rotated session, a
    /// session whose user the [`PrincipalLoader`] no longer knows, or an
    /// unknown, revoked or expired API key. Errors are store failures only.
    pub fn authenticate<'a>(
        &'a self,
        headers: &'a HeaderMap,
    ) -> impl Future<Output = Result<Option<Authenticated>, ApiError>> + Send + 'a {
        self.authenticate_with(headers, apikey::token_from_headers(headers))
    }

    /// [`Auth::authenticate`] with the API key token already read from the
    /// headers (`None` when none is sent).
    pub(crate) async fn authenticate_with(
        &self,
        headers: &HeaderMap,
        token: Option<&str>,
    ) -> Result<Option<Authenticated>, ApiError> {
        if let Some(token) = token {
            return Ok(self
                .authenticate_key(token)
                .await?
                .map(|session| Authenticated {
                    session,
                    renew: None,
                }));
        }
        for value in self.inner.cookies.cookie_values(headers) {
            let Some(claims) = self.inner.cookies.verify(value) else {
                continue;
            };
            let row = self
                .inner
                .sessions
                .get_or_load(&claims.id, || async {
                    let row = self.store().session(&claims.id).await?;
                    Ok::<_, ApiError>(row.map(|row| Arc::new(session::CachedRow::new(row))))
                })
                .await?;
            let now = now_ms();
            let Some(row) = row.filter(|row| session_row_valid(row, &claims, now)) else {
                continue;
            };
            let Some(principal) = self.principal(&row.user_id).await? else {
                continue;
            };
            let mut session = cookie_session(&row, &principal);
            let mut renew = None;
            // Sliding expiry: past half its life, the session is extended
            // to a full lifetime and the response carries a fresh cookie.
            // Most requests therefore write nothing.
            if self.renews(&row, now) {
                let expires_at = now + self.inner.cookies.ttl().as_millis() as i64;
                self.store().extend_session(&session.id, expires_at).await?;
                self.inner.sessions.forget(&session.id);
                session.expires_at = expires_at / 1000;
                renew = Some(self.inner.cookies.session_cookie(&session));
            }
            return Ok(Some(Authenticated { session, renew }));
        }
        Ok(None)
    }

    /// [`Auth::authenticate_with`] when it needs no I/O: no API key, and
    /// every session row and principal it reads in the caches, with no
    /// sliding renewal due. `None` when any of that does not hold: the
    /// caller then awaits [`Auth::authenticate_with`], which decides the
    /// same way (the same checks, [`session_row_valid`] and
    /// [`cookie_session`]). A request's future then carries no
    /// authentication state on the common path, and the session is the one
    /// last built from the cached row for the same principal
    /// ([`session::CachedRow::session`]): a pointer copied, no string; while
    /// the principal cache is unchanged, without looking the principal up
    /// ([`session::CachedRow::memo`]).
    /// The caches' entries are judged as of `at` (the request's arrival:
    /// the clock is not read again for them).
    pub(crate) fn authenticate_cached(
        &self,
        headers: &HeaderMap,
        token: Option<&str>,
        at: std::time::Instant,
    ) -> Option<Option<Arc<Session>>> {
        if token.is_some() {
            return None;
        }
        // One wall-clock reading for the cookie's expiry and the row's.
        let now = now_ms();
        for value in self.inner.cookies.cookie_values(headers) {
            let Some(claims) = self.inner.cookies.verify_at(value, now) else {
                continue;
            };
            let Some(row) = self
                .inner
                .sessions
                .get_at(&claims.id, at)?
                .filter(|row| session_row_valid(row, &claims, now))
            else {
                continue;
            };
            // Renewal writes: the caller's path. (Deciding it before the
            // principal decides the same: that path, too, refuses a cookie
            // whose user is gone, and then writes nothing.)
            if self.renews(&row, now) {
                return None;
            }
            let principals = &self.inner.principals;
            let changes = principals.changes();
            if let Some(session) = row.memo(changes, at, principals.ttl()) {
                return Some(Some(session));
            }
            let (principal, principal_at) = principals.get_stamped(&row.user_id, at)?;
            let Some(principal) = principal else {
                continue;
            };
            return Some(Some(row.session(&principal, changes, principal_at)));
        }
        Some(None)
    }

    /// Whether a session `row` is past half its life at `now` (ms), so that
    /// this request extends it (sliding expiry).
    fn renews(&self, row: &session::SessionRow, now: i64) -> bool {
        let ttl = self.inner.cookies.ttl().as_millis() as i64;
        row.expires_at - now < ttl / 2
    }

    async fn authenticate_key(&self, token: &str) -> Result<Option<Session>, ApiError> {
        let Some((prefix, secret)) = apikey::parse(token) else {
            return Ok(None);
        };
        let Some(row) = self.store().key_by_prefix(prefix).await? else {
            return Ok(None);
        };
        let now = now_ms();
        if !apikey::secret_matches(&row, secret)
            || row.revoked_at.is_some()
            || row.expires_at.is_some_and(|e| e <= now)
        {
            return Ok(None);
        }
        if let Some(user) = &row.user_id
            && self.principal(user).await?.is_none()
        {
            return Ok(None);
        }
        // Last-used time: written at most once a minute per key, off the
        // request's path.
        if row.last_used_at.is_none_or(|t| t < now - 60_000) {
            let store = self.inner.store.clone();
            let id = row.id.clone();
            tokio::spawn(async move {
                if let Err(e) = store.touch_key(&id, now).await {
                    tracing::warn!(error = %e, "recording an API key's last use failed");
                }
            });
        }
        let user_id = row
            .user_id
            .clone()
            .unwrap_or_else(|| format!("api_key:{}", row.id));
        Ok(Some(Session {
            principal: Principal {
                user_id,
                roles: Vec::new(),
                permissions: row.scopes,
            },
            issued_at: row.created_at / 1000,
            expires_at: row.expires_at.map_or(i64::MAX, |e| e / 1000),
            via: AuthMethod::ApiKey,
            org_id: row.org_id,
            id: row.id,
        }))
    }

    /// Sets the organization a session acts in when a request names none
    /// (`in_org`'s last source); `None` clears it.
    pub async fn set_active_org(
        &self,
        session_id: &str,
        org_id: Option<&str>,
    ) -> Result<(), ApiError> {
        self.store().set_session_org(session_id, org_id).await?;
        self.inner.sessions.forget(session_id);
        Ok(())
    }

    // ---- API keys ----

    /// Creates an API key. The returned token is the only time the secret
    /// exists outside the caller's hands: show it once.
    pub async fn create_api_key(&self, key: NewApiKey) -> Result<CreatedApiKey, ApiError> {
        let (row, created) = apikey::generate(&key, now_ms());
        self.store().insert_key(&row).await?;
        Ok(created)
    }

    /// Revokes an API key: it answers 401 from now on. Whether it was live.
    pub async fn revoke_api_key(&self, id: &str) -> Result<bool, ApiError> {
        Ok(self.store().revoke_key(id, now_ms()).await?)
    }

    /// A user's keys (`Some`), or the service keys (`None`), without secrets.
    pub async fn list_api_keys(&self, user_id: Option<&str>) -> Result<Vec<ApiKeyRow>, ApiError> {
        Ok(self.store().list_keys(user_id).await?)
    }
}

/// `n` random bytes as base64url text (no padding).
pub(crate) fn random_token(n: usize) -> String {
    let bytes: Vec<u8> = (0..n).map(|_| rand::random::<u8>()).collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `n` random ASCII letters and digits.
pub(crate) fn random_alnum(n: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..n)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// An e-mail address in the form to store and compare: trimmed and
/// lower-cased (the whole address: providers treat the local part
/// case-insensitively in practice, and `Demo@x` and `demo@x` must not be two
/// accounts).
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Whether two e-mail addresses name the same mailbox (compared as
/// [`normalize_email`] forms).
pub fn emails_equal(a: &str, b: &str) -> bool {
    normalize_email(a) == normalize_email(b)
}

/// Whether the session `row` a cookie's `claims` name still stands at `now`
/// (ms): not revoked, not expired, and of the user the cookie names.
fn session_row_valid(row: &session::SessionRow, claims: &Session, now: i64) -> bool {
    row.revoked_at.is_none() && row.expires_at > now && row.user_id == claims.principal.user_id
}

/// The session a cookie stands for, from its row and its user's principal.
pub(crate) fn cookie_session(row: &session::SessionRow, principal: &Principal) -> Session {
    Session {
        id: row.id.clone(),
        principal: principal.clone(),
        issued_at: row.created_at / 1000,
        expires_at: row.expires_at / 1000,
        via: AuthMethod::Cookie,
        org_id: row.org_id.clone(),
    }
}
