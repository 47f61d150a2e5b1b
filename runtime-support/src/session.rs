//! Signed session cookies (HMAC-SHA256, key rotation, expiry) and the [`Principal`] they carry.
//!
//! The cookie `bunbase_session` holds `base64url(json payload) "." base64url(mac)`.
//! The MAC is HMAC-SHA256 over the payload text with the first (newest) key;
//! verification tries every key in constant time, so rotating keys means
//! putting the new key first and keeping old ones until their sessions
//! expire. A tampered, malformed, expired or unverifiable cookie is simply
//! "no session": never an error and never a panic.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The default cookie name.
pub const SESSION_COOKIE: &str = "bunbase_session";
/// The default session lifetime: 7 days.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Failures of the session layer. Messages say how to fix the problem.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No key was configured.
    #[error(
        "no session key: set SESSION_SECRET to one or more comma-separated secrets of at least 32 characters"
    )]
    NoKey,
    /// A key is too short to be safe.
    #[error(
        "a SESSION_SECRET key is only {0} bytes long: use at least 32 random characters per key"
    )]
    KeyTooShort(usize),
}

/// Who is calling: the authenticated user with roles and permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Stable user id.
    pub user_id: String,
    /// Role names (`admin`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Permissions as `resource:verb`; either side may be `*`.
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

/// A verified session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Who the session belongs to.
    pub principal: Principal,
    /// Issued at, seconds since the Unix epoch.
    pub issued_at: i64,
    /// Expires at, seconds since the Unix epoch.
    pub expires_at: i64,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    v: u8,
    #[serde(flatten)]
    session: Session,
}

/// A `Set-Cookie` header value to attach to a response (see
/// [`crate::ActionContext::set_cookie`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie(pub String);

impl SetCookie {
    /// The header value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

type HmacSha256 = Hmac<Sha256>;

/// Creates and verifies session cookies. Cheap to clone.
#[derive(Clone)]
pub struct SessionManager {
    keys: std::sync::Arc<Vec<Vec<u8>>>,
    cookie_name: String,
    ttl: Duration,
    secure: bool,
}

impl std::fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionManager")
            .field("keys", &self.keys.len())
            .field("cookie_name", &self.cookie_name)
            .field("ttl", &self.ttl)
            .field("secure", &self.secure)
            .finish()
    }
}

impl SessionManager {
    /// A manager signing with `keys[0]` and verifying with any key. Each key
    /// must be at least 32 bytes.
    pub fn new(keys: Vec<Vec<u8>>) -> Result<Self, SessionError> {
        if keys.is_empty() {
            return Err(SessionError::NoKey);
        }
        if let Some(k) = keys.iter().find(|k| k.len() < 32) {
            return Err(SessionError::KeyTooShort(k.len()));
        }
        Ok(SessionManager {
            keys: std::sync::Arc::new(keys),
            cookie_name: SESSION_COOKIE.to_owned(),
            ttl: DEFAULT_SESSION_TTL,
            secure: true,
        })
    }

    /// A manager with one fresh random key: sessions do not survive a
    /// restart. For development and tests.
    pub fn random() -> Self {
        let key: [u8; 32] = rand::random();
        Self::new(vec![key.to_vec()]).expect("a 32-byte key is valid")
    }

    /// Sets the session lifetime (default 7 days).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets whether the cookie carries `Secure` (default true).
    pub fn with_secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Sets the cookie name (default `bunbase_session`).
    pub fn with_cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    /// The cookie name.
    pub fn cookie_name(&self) -> &str {
        &self.cookie_name
    }

    /// Signs a session for `principal`, valid from now for the TTL, and
    /// returns the cookie value (without attributes).
    pub fn sign(&self, principal: &Principal) -> String {
        let now = chrono::Utc::now().timestamp();
        self.sign_session(&Session {
            principal: principal.clone(),
            issued_at: now,
            expires_at: now + self.ttl.as_secs() as i64,
        })
    }

    /// Signs an explicit session (any expiry): the cookie value.
    pub fn sign_session(&self, session: &Session) -> String {
        let payload = serde_json::to_vec(&Payload {
            v: 1,
            session: session.clone(),
        })
        .unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(payload);
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.keys[0])
            .expect("HMAC takes any key length");
        mac.update(payload.as_bytes());
        let tag = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{payload}.{tag}")
    }

    /// Verifies a cookie value: `Some(session)` when the MAC matches one of
    /// the keys (constant-time) and it has not expired; `None` otherwise.
    pub fn verify(&self, value: &str) -> Option<Session> {
        let (payload, tag) = value.trim().split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let valid = self.keys.iter().any(|key| {
            let Ok(mut mac) = <HmacSha256 as KeyInit>::new_from_slice(key) else {
                return false;
            };
            mac.update(payload.as_bytes());
            mac.verify_slice(&tag).is_ok()
        });
        if !valid {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let Payload { v, session } = serde_json::from_slice(&bytes).ok()?;
        if v != 1 || session.expires_at <= chrono::Utc::now().timestamp() {
            return None;
        }
        Some(session)
    }

    /// Finds this manager's cookie in a `Cookie` request header and verifies
    /// it. Several cookies of the same name are tried in order.
    pub fn from_headers(&self, headers: &axum::http::HeaderMap) -> Option<Session> {
        headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(|(name, _)| *name == self.cookie_name)
            .find_map(|(_, value)| self.verify(value.trim_matches('"')))
    }

    /// The `Set-Cookie` that starts a session for `principal`
    /// (`HttpOnly; SameSite=Lax; Path=/; Max-Age=<ttl>`, plus `Secure`
    /// unless disabled).
    pub fn login_cookie(&self, principal: &Principal) -> SetCookie {
        let value = self.sign(principal);
        SetCookie(format!(
            "{}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
            self.cookie_name,
            value,
            self.ttl.as_secs(),
            if self.secure { "; Secure" } else { "" }
        ))
    }

    /// The `Set-Cookie` that ends the session (empty value, `Max-Age=0`).
    pub fn logout_cookie(&self) -> SetCookie {
        SetCookie(format!(
            "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
            self.cookie_name,
            if self.secure { "; Secure" } else { "" }
        ))
    }
}
