//! Idempotency keys: a mutating HTTP action called with `Idempotency-Key` runs once per (caller, key); retries get the stored response.
//!
//! After the guards pass (they run on every call, retries included), the
//! pipeline claims `(caller, key)` in `bunbase_idempotency` with an
//! `INSERT … ON CONFLICT DO NOTHING`. The caller is the user (`user:<id>`),
//! the API key (`key:<id>`) or, anonymously, the client address. Then:
//!
//! - claimed: the action runs; a result the handler decided (success, a
//!   declared error, any 4xx) is stored with its status and body; a
//!   retryable failure or a failure before the handler ran (validation)
//!   releases the claim, so the retry runs; so does a success that sets
//!   cookies (a sign-in is never replayed without its session cookie);
//! - already stored, same action and body fingerprint: the stored response
//!   is answered again, with `Idempotent-Replayed: true`;
//! - stored for another action or body: 422 `idempotency_key_reused`;
//! - still running: the retry waits (polling) up to `IDEMPOTENCY_WAIT_MS`,
//!   then answers 409 `idempotency_in_progress`.
//!
//! Rows older than the retention (`IDEMPOTENCY_RETENTION_SECS`, 24 h) are
//! treated as absent and pruned by a background task every few minutes.

use std::time::Duration;

use axum::http::StatusCode;
use futures::future::BoxFuture;
use sha2::{Digest, Sha256};

use super::AuthError;
use super::store::{PgStore, SqliteStore, now_ms};
use crate::ApiError;

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// [`IDEMPOTENCY_KEY`] as a header name, parsed once: every mutating
/// request looks it up.
pub(crate) static IDEMPOTENCY_KEY_NAME: axum::http::HeaderName =
    axum::http::HeaderName::from_static(IDEMPOTENCY_KEY);
/// The response header marking a replayed response.
pub const REPLAYED: &str = "idempotent-replayed";

/// One stored row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRow {
    /// The action it was claimed for.
    pub action: String,
    /// SHA-256 of method, path and body.
    pub fingerprint: String,
    /// `running` or `done`.
    pub state: String,
    /// The stored status, once done.
    pub status: Option<i64>,
    /// The stored body (JSON text, empty for 204), once done.
    pub body: Option<String>,
    /// Claimed at (ms).
    pub created_at: i64,
}

/// Storage of idempotency keys.
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Inserts a `running` row; `false` when `(caller, key)` exists.
    fn claim_key<'a>(
        &'a self,
        caller: &'a str,
        key: &'a str,
        action: &'a str,
        fingerprint: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<bool, AuthError>>;
    /// The row for `(caller, key)`.
    fn key_row<'a>(
        &'a self,
        caller: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<IdempotencyRow>, AuthError>>;
    /// Stores the response and marks the row `done`.
    fn complete_key<'a>(
        &'a self,
        caller: &'a str,
        key: &'a str,
        status: i64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<(), AuthError>>;
    /// Deletes the row (a failure the retry should run again).
    fn release_key<'a>(
        &'a self,
        caller: &'a str,
        key: &'a str,
    ) -> BoxFuture<'a, Result<(), AuthError>>;
    /// Deletes rows created before `before`.
    fn prune_keys(&self, before: i64) -> BoxFuture<'_, Result<u64, AuthError>>;
}

/// A claim the pipeline holds while the action runs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub(crate) caller: String,
    pub(crate) key: String,
}

/// What a claim attempt decided.
#[derive(Debug)]
pub(crate) enum Begin {
    /// Run the action; store its result under this claim.
    Run(Claimed),
    /// Answer the stored response.
    Replay { status: u16, body: String },
}

/// An idempotent request: who, which key, and the fingerprint of what.
#[derive(Debug, Clone)]
pub struct IdempotentRequest {
    /// The `Idempotency-Key` header value.
    pub key: String,
    /// SHA-256 of the method, path and body.
    pub fingerprint: String,
}

impl IdempotentRequest {
    /// The key and fingerprint of a request, when it is mutating (not GET,
    /// HEAD or OPTIONS) and carries a usable `Idempotency-Key` (1 to 255
    /// visible ASCII characters); `Err` for a malformed key.
    pub fn from_parts(
        method: &axum::http::Method,
        uri: &axum::http::Uri,
        headers: &axum::http::HeaderMap,
        body: &[u8],
    ) -> Result<Option<Self>, ApiError> {
        use axum::http::Method;
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return Ok(None);
        }
        let Some(raw) = headers.get(&IDEMPOTENCY_KEY_NAME) else {
            return Ok(None);
        };
        let key = raw.to_str().unwrap_or("").trim();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::framework(
                StatusCode::BAD_REQUEST,
                "invalid_idempotency_key",
                "The Idempotency-Key header must be 1 to 255 visible ASCII characters (a UUID is a good choice).",
            ));
        }
        let mut h = Sha256::new();
        h.update(method.as_str().as_bytes());
        h.update(b" ");
        h.update(uri.path().as_bytes());
        h.update(b"?");
        h.update(uri.query().unwrap_or("").as_bytes());
        h.update(b"\n");
        h.update(body);
        Ok(Some(IdempotentRequest {
            key: key.to_owned(),
            fingerprint: super::apikey::hex(&h.finalize()),
        }))
    }
}

/// The idempotency settings and store.
#[derive(Clone)]
pub(crate) struct Idempotency {
    pub(crate) store: std::sync::Arc<dyn super::store::AuthBackend>,
    pub(crate) retention: Duration,
    pub(crate) wait: Duration,
}

impl Idempotency {
    /// Claims `(caller, req.key)` for `action`, waiting for a running claim
    /// up to the configured time.
    pub(crate) async fn begin(
        &self,
        caller: &str,
        action: &str,
        req: &IdempotentRequest,
    ) -> Result<Begin, ApiError> {
        let deadline = tokio::time::Instant::now() + self.wait;
        let mut pause = Duration::from_millis(10);
        loop {
            let now = now_ms();
            if self
                .store
                .claim_key(caller, &req.key, action, &req.fingerprint, now)
                .await?
            {
                return Ok(Begin::Run(Claimed {
                    caller: caller.to_owned(),
                    key: req.key.clone(),
                }));
            }
            let Some(row) = self.store.key_row(caller, &req.key).await? else {
                continue;
            };
            if row.created_at < now - self.retention.as_millis() as i64 {
                // Past its retention: as if it were not there.
                self.store.release_key(caller, &req.key).await?;
                continue;
            }
            if row.action != action || row.fingerprint != req.fingerprint {
                return Err(ApiError::framework(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_key_reused",
                    "This Idempotency-Key was already used with another request: use a new key for a new request.",
                ));
            }
            if row.state == "done" {
                return Ok(Begin::Replay {
                    status: row.status.unwrap_or(200) as u16,
                    body: row.body.unwrap_or_default(),
                });
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ApiError::framework(
                    StatusCode::CONFLICT,
                    "idempotency_in_progress",
                    "A request with this Idempotency-Key is still running: retry later to get its response.",
                ));
            }
            tokio::time::sleep(pause.min(deadline - tokio::time::Instant::now())).await;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    /// Stores a response decided by the handler.
    pub(crate) async fn complete(&self, c: &Claimed, status: u16, body: &str) {
        if let Err(e) = self
            .store
            .complete_key(&c.caller, &c.key, i64::from(status), body)
            .await
        {
            tracing::error!(error = %e, "storing an idempotent response failed; a retry will run the action again");
            self.release(c).await;
        }
    }

    /// Releases a claim so a retry runs.
    pub(crate) async fn release(&self, c: &Claimed) {
        if let Err(e) = self.store.release_key(&c.caller, &c.key).await {
            tracing::error!(error = %e, "releasing an idempotency key failed");
        }
    }
}

type Row = (String, String, String, Option<i64>, Option<String>, i64);

macro_rules! idempotency_store {
    ($ty:ty) => {
        impl IdempotencyStore for $ty {
            fn claim_key<'a>(
                &'a self,
                caller: &'a str,
                key: &'a str,
                action: &'a str,
                fingerprint: &'a str,
                now: i64,
            ) -> BoxFuture<'a, Result<bool, AuthError>> {
                Box::pin(async move {
                    let done = sqlx::query(
                        "INSERT INTO bunbase_idempotency (caller, idem_key, action, fingerprint, state, created_at)
                         VALUES ($1, $2, $3, $4, 'running', $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(caller)
                    .bind(key)
                    .bind(action)
                    .bind(fingerprint)
                    .bind(now)
                    .execute(&self.0)
                    .await?;
                    Ok(done.rows_affected() == 1)
                })
            }

            fn key_row<'a>(
                &'a self,
                caller: &'a str,
                key: &'a str,
            ) -> BoxFuture<'a, Result<Option<IdempotencyRow>, AuthError>> {
                Box::pin(async move {
                    let r: Option<Row> = sqlx::query_as(
                        "SELECT action, fingerprint, state, status, body, created_at
                         FROM bunbase_idempotency WHERE caller = $1 AND idem_key = $2",
                    )
                    .bind(caller)
                    .bind(key)
                    .fetch_optional(&self.0)
                    .await?;
                    Ok(r.map(|r| IdempotencyRow {
                        action: r.0,
                        fingerprint: r.1,
                        state: r.2,
                        status: r.3,
                        body: r.4,
                        created_at: r.5,
                    }))
                })
            }

            fn complete_key<'a>(
                &'a self,
                caller: &'a str,
                key: &'a str,
                status: i64,
                body: &'a str,
            ) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE bunbase_idempotency SET state = 'done', status = $1, body = $2
                         WHERE caller = $3 AND idem_key = $4",
                    )
                    .bind(status)
                    .bind(body)
                    .bind(caller)
                    .bind(key)
                    .execute(&self.0)
                    .await?;
                    Ok(())
                })
            }

            fn release_key<'a>(&'a self, caller: &'a str, key: &'a str) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    sqlx::query("DELETE FROM bunbase_idempotency WHERE caller = $1 AND idem_key = $2")
                        .bind(caller)
                        .bind(key)
                        .execute(&self.0)
                        .await?;
                    Ok(())
                })
            }

            fn prune_keys(&self, before: i64) -> BoxFuture<'_, Result<u64, AuthError>> {
                Box::pin(async move {
                    let done = sqlx::query("DELETE FROM bunbase_idempotency WHERE created_at < $1")
                        .bind(before)
                        .execute(&self.0)
                        .await?;
                    Ok(done.rows_affected())
                })
            }
        }
    };
}

idempotency_store!(SqliteStore);
idempotency_store!(PgStore);
