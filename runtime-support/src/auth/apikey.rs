//! API keys for machines: created once and shown once, stored as a SHA-256 hash, found by prefix, with scopes, expiry, last-used time and revocation.
//!
//! A key reads `bb_<prefix>_<secret>`: the 12-character prefix finds the
//! `bunbase_api_keys` row, the 32-byte secret (base64url) is checked against
//! the stored SHA-256 in constant time. A fast hash is enough here: the
//! secret is 256 random bits, not a password, so there is nothing to
//! brute-force. Callers send it as `Authorization: Bearer <key>` or
//! `X-API-Key: <key>`. Its scopes become the caller's permissions, so
//! `has_permission` guards apply to keys as they do to users.

use futures::future::BoxFuture;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use super::AuthError;
use super::store::{PgStore, SqliteStore};

/// What a new key is for.
#[derive(Debug, Clone, Default)]
pub struct NewApiKey {
    /// A label for people (`ci deploys`).
    pub name: String,
    /// The user the key acts for, if any (its principal's user id);
    /// without one the key is a service key (`api_key:<id>`).
    pub user_id: Option<String>,
    /// The organization the key belongs to, if any: `in_org` admits the key
    /// to that organization only.
    pub org_id: Option<String>,
    /// Scopes as permissions (`tasks:read`, `tasks:*`, `*:*`).
    pub scopes: Vec<String>,
    /// Expiry, milliseconds since the epoch; `None` never expires.
    pub expires_at: Option<i64>,
}

/// A key just created: `token` is shown this once and never stored.
#[derive(Debug, Clone)]
pub struct CreatedApiKey {
    /// The key's id (for revocation and listing).
    pub id: String,
    /// The full key to hand to the machine: `bb_<prefix>_<secret>`.
    pub token: String,
    /// The lookup prefix (safe to show in lists).
    pub prefix: String,
}

/// A stored key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// Id.
    pub id: String,
    /// Lookup prefix.
    pub prefix: String,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    /// Label.
    pub name: String,
    /// Owner user, if any.
    pub user_id: Option<String>,
    /// Organization, if any.
    pub org_id: Option<String>,
    /// Scopes.
    pub scopes: Vec<String>,
    /// Created at (ms).
    pub created_at: i64,
    /// Expires at (ms), if ever.
    pub expires_at: Option<i64>,
    /// Last used (ms), updated at most once a minute.
    pub last_used_at: Option<i64>,
    /// Revoked at (ms), if revoked.
    pub revoked_at: Option<i64>,
}

/// Storage of API keys.
pub trait ApiKeyStore: Send + Sync + 'static {
    /// Inserts a key row.
    fn insert_key<'a>(&'a self, row: &'a ApiKeyRow) -> BoxFuture<'a, Result<(), AuthError>>;
    /// The key with `prefix`, if any.
    fn key_by_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Option<ApiKeyRow>, AuthError>>;
    /// Every key of a user (`Some`) or every service key (`None`), newest first.
    fn list_keys<'a>(
        &'a self,
        user_id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<ApiKeyRow>, AuthError>>;
    /// Sets `last_used_at`.
    fn touch_key<'a>(&'a self, id: &'a str, now: i64) -> BoxFuture<'a, Result<(), AuthError>>;
    /// Revokes a key; whether it was live.
    fn revoke_key<'a>(&'a self, id: &'a str, now: i64) -> BoxFuture<'a, Result<bool, AuthError>>;
}

/// The SHA-256 of a secret, hex.
pub(crate) fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh key: the row to store and the token to show once.
pub(crate) fn generate(key: &NewApiKey, now: i64) -> (ApiKeyRow, CreatedApiKey) {
    let prefix = super::random_alnum(12);
    let secret = super::random_token(32);
    let id = uuid::Uuid::now_v7().to_string();
    let token = format!("bb_{prefix}_{secret}");
    let row = ApiKeyRow {
        id: id.clone(),
        prefix: prefix.clone(),
        secret_hash: hash_secret(&secret),
        name: key.name.clone(),
        user_id: key.user_id.clone(),
        org_id: key.org_id.clone(),
        scopes: key.scopes.clone(),
        created_at: now,
        expires_at: key.expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    (row, CreatedApiKey { id, token, prefix })
}

/// Splits `bb_<prefix>_<secret>`; `None` when it is not shaped like a key.
pub(crate) fn parse(token: &str) -> Option<(&str, &str)> {
    let rest = token.trim().strip_prefix("bb_")?;
    let (prefix, secret) = rest.split_once('_')?;
    (prefix.len() == 12 && prefix.bytes().all(|b| b.is_ascii_alphanumeric()) && !secret.is_empty())
        .then_some((prefix, secret))
}

/// Whether `secret` matches the stored hash, in constant time.
pub(crate) fn secret_matches(row: &ApiKeyRow, secret: &str) -> bool {
    bool::from(
        hash_secret(secret)
            .as_bytes()
            .ct_eq(row.secret_hash.as_bytes()),
    )
}

/// `x-api-key`, parsed once (a name given as text is parsed at every
/// lookup).
pub(crate) static X_API_KEY: axum::http::HeaderName =
    axum::http::HeaderName::from_static("x-api-key");

/// The API key token a request carries: `Authorization: Bearer <key>` or
/// `X-API-Key: <key>`.
pub fn token_from_headers(headers: &axum::http::HeaderMap) -> Option<&str> {
    if let Some(v) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, rest) = v.trim().split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(rest.trim());
        }
    }
    headers
        .get(&X_API_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn row(r: Row) -> ApiKeyRow {
    ApiKeyRow {
        id: r.0,
        prefix: r.1,
        secret_hash: r.2,
        name: r.3,
        user_id: r.4,
        org_id: r.5,
        scopes: r.6.split_whitespace().map(str::to_owned).collect(),
        created_at: r.7,
        expires_at: r.8,
        last_used_at: r.9,
        revoked_at: r.10,
    }
}

const COLUMNS: &str = "id, prefix, secret_hash, name, user_id, org_id, scopes, created_at, expires_at, last_used_at, revoked_at";

macro_rules! api_key_store {
    ($ty:ty) => {
        impl ApiKeyStore for $ty {
            fn insert_key<'a>(&'a self, r: &'a ApiKeyRow) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO bunbase_api_keys (id, prefix, secret_hash, name, user_id, org_id, scopes, created_at, expires_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&r.id)
                    .bind(&r.prefix)
                    .bind(&r.secret_hash)
                    .bind(&r.name)
                    .bind(&r.user_id)
                    .bind(&r.org_id)
                    .bind(r.scopes.join(" "))
                    .bind(r.created_at)
                    .bind(r.expires_at)
                    .execute(&self.0)
                    .await?;
                    Ok(())
                })
            }

            fn key_by_prefix<'a>(
                &'a self,
                prefix: &'a str,
            ) -> BoxFuture<'a, Result<Option<ApiKeyRow>, AuthError>> {
                Box::pin(async move {
                    let sql = format!("SELECT {COLUMNS} FROM bunbase_api_keys WHERE prefix = $1");
                    let r: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(prefix)
                        .fetch_optional(&self.0)
                        .await?;
                    Ok(r.map(row))
                })
            }

            fn list_keys<'a>(
                &'a self,
                user_id: Option<&'a str>,
            ) -> BoxFuture<'a, Result<Vec<ApiKeyRow>, AuthError>> {
                Box::pin(async move {
                    let sql = format!(
                        "SELECT {COLUMNS} FROM bunbase_api_keys WHERE user_id = $1 OR ($1 IS NULL AND user_id IS NULL) ORDER BY created_at DESC, id DESC"
                    );
                    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                        .bind(user_id)
                        .fetch_all(&self.0)
                        .await?;
                    Ok(rows.into_iter().map(row).collect())
                })
            }

            fn touch_key<'a>(&'a self, id: &'a str, now: i64) -> BoxFuture<'a, Result<(), AuthError>> {
                Box::pin(async move {
                    sqlx::query("UPDATE bunbase_api_keys SET last_used_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(id)
                        .execute(&self.0)
                        .await?;
                    Ok(())
                })
            }

            fn revoke_key<'a>(&'a self, id: &'a str, now: i64) -> BoxFuture<'a, Result<bool, AuthError>> {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE bunbase_api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                    )
                    .bind(now)
                    .bind(id)
                    .execute(&self.0)
                    .await?;
                    Ok(done.rows_affected() > 0)
                })
            }
        }
    };
}

api_key_store!(SqliteStore);
api_key_store!(PgStore);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_and_secrets_compare_by_hash() {
        let (row, created) = generate(
            &NewApiKey {
                name: "ci".into(),
                scopes: vec!["tasks:read".into()],
                ..Default::default()
            },
            0,
        );
        let (prefix, secret) = parse(&created.token).expect("parses");
        assert_eq!(prefix, row.prefix);
        assert!(secret_matches(&row, secret));
        assert!(!secret_matches(&row, &format!("{secret}x")));
        for bad in [
            "",
            "bb_",
            "bb_short_x",
            "xx_abcdefghijkl_s",
            "bb_abcdefghijkl_",
        ] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
    }
}
