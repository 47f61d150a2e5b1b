//! Signed session cookies: HMAC-SHA256 over a small payload naming the server-side session, with key rotation, expiry and constant-time verification.
//!
//! The cookie `bunbase_session` holds `base64url(json payload) "." base64url(mac)`.
//! The payload names the session row (`sid`), its user (`uid`) and its
//! expiry; roles and permissions are not in it (they are read from the
//! database, see [`super::principal`]). The MAC is HMAC-SHA256 over the
//! payload text with the first (newest) key; verification computes the MAC
//! under every key and compares each with the cookie's in constant time
//! ([`subtle::ConstantTimeEq`], no early exit), so rotating keys means putting
//! the new key first and keeping old ones until their sessions expire. A
//! tampered, malformed, expired or unverifiable cookie is simply "no
//! session": never an error and never a panic.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use super::session::{AuthMethod, Principal, Session};

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

#[derive(Serialize, Deserialize)]
struct Payload {
    v: u8,
    sid: String,
    uid: String,
    iat: i64,
    exp: i64,
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

    /// Signs a cookie for `principal` with a fresh random session id, valid
    /// from now for the TTL. The runtime accepts it only if a session row
    /// with that id exists ([`crate::auth::Auth::create_session`] makes one
    /// and signs its cookie); on its own this is for stateless uses such as
    /// benchmarks and tests of the signature.
    pub fn sign(&self, principal: &Principal) -> String {
        let now = chrono::Utc::now().timestamp();
        self.sign_session(&Session {
            id: super::random_token(16),
            principal: principal.clone(),
            issued_at: now,
            expires_at: now + self.ttl.as_secs() as i64,
            via: AuthMethod::Cookie,
            org_id: None,
        })
    }

    /// Signs an explicit session (its id, user and expiry; roles and
    /// permissions are not carried): the cookie value.
    pub fn sign_session(&self, session: &Session) -> String {
        let payload = serde_json::to_vec(&Payload {
            v: 2,
            sid: session.id.clone(),
            uid: session.principal.user_id.clone(),
            iat: session.issued_at,
            exp: session.expires_at,
        })
        .unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(payload);
        let tag = URL_SAFE_NO_PAD.encode(self.mac(&self.keys[0], payload.as_bytes()));
        format!("{payload}.{tag}")
    }

    fn mac(&self, key: &[u8], payload: &[u8]) -> [u8; 32] {
        let mut mac =
            <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(payload);
        mac.finalize().into_bytes().into()
    }

    /// Verifies a cookie value's signature and expiry: `Some(session)` (its
    /// principal carries the user id only) when the MAC matches one of the
    /// keys and it has not expired; `None` otherwise. The server-side row is
    /// checked by [`crate::auth::Auth::authenticate`], not here.
    pub fn verify(&self, value: &str) -> Option<Session> {
        self.verify_at(value, super::store::now_ms())
    }

    /// [`SessionManager::verify`] as of `now_ms` (milliseconds since the
    /// Unix epoch): a caller that reads the clock anyway reads it once.
    pub(crate) fn verify_at(&self, value: &str, now_ms: i64) -> Option<Session> {
        let (payload, tag) = value.trim().split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let mut valid = subtle::Choice::from(0);
        for key in self.keys.iter() {
            valid |= tags_equal(&self.mac(key, payload.as_bytes()), &tag);
        }
        if !bool::from(valid) {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let p: Payload = serde_json::from_slice(&bytes).ok()?;
        if p.v != 2 || p.exp <= now_ms.div_euclid(1000) {
            return None;
        }
        Some(Session {
            id: p.sid,
            principal: Principal::new(p.uid),
            issued_at: p.iat,
            expires_at: p.exp,
            via: AuthMethod::Cookie,
            org_id: None,
        })
    }

    /// The values of this manager's cookie in a `Cookie` request header, in
    /// order (several cookies may share the name).
    pub fn cookie_values<'h>(
        &self,
        headers: &'h axum::http::HeaderMap,
    ) -> impl Iterator<Item = &'h str> + use<'h, '_> {
        headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .filter(move |(name, _)| *name == self.cookie_name)
            .map(|(_, value)| value.trim_matches('"'))
    }

    /// Finds this manager's cookie in a `Cookie` request header and verifies
    /// its signature and expiry ([`SessionManager::verify`]). Several
    /// cookies of the same name are tried in order.
    pub fn from_headers(&self, headers: &axum::http::HeaderMap) -> Option<Session> {
        self.cookie_values(headers).find_map(|v| self.verify(v))
    }

    /// The `Set-Cookie` carrying `session`
    /// (`HttpOnly; SameSite=Lax; Path=/; Max-Age=<until expiry>`, plus
    /// `Secure` unless disabled).
    pub fn session_cookie(&self, session: &Session) -> SetCookie {
        let value = self.sign_session(session);
        let max_age = (session.expires_at - chrono::Utc::now().timestamp()).max(0);
        SetCookie(format!(
            "{}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
            self.cookie_name,
            value,
            max_age,
            if self.secure { "; Secure" } else { "" }
        ))
    }

    /// The session lifetime.
    pub fn ttl(&self) -> Duration {
        self.ttl
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

/// Whether two MACs are equal, in time that depends only on their lengths
/// (never on where they differ): [`subtle::ConstantTimeEq`] over the bytes.
pub fn tags_equal(expected: &[u8], given: &[u8]) -> subtle::Choice {
    expected.ct_eq(given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_comparison_is_constant_time_and_exact_at_every_position() {
        let m = SessionManager::random();
        let tag = m.mac(&m.keys[0], b"payload");
        assert!(bool::from(tags_equal(&tag, &tag)));
        // A difference anywhere (first byte, middle, last byte) is a
        // mismatch; the comparison reads every byte whatever the position
        // (subtle's `ct_eq` folds all bytes before deciding).
        for i in 0..tag.len() {
            let mut other = tag;
            other[i] ^= 0x01;
            assert!(!bool::from(tags_equal(&tag, &other)), "byte {i}");
        }
        assert!(!bool::from(tags_equal(&tag, &tag[..31])), "shorter tag");
        assert!(!bool::from(tags_equal(&tag, &[])), "empty tag");
    }

    #[test]
    fn verification_tries_every_key() {
        let old = b"old-key-old-key-old-key-old-key-0123".to_vec();
        let new = b"new-key-new-key-new-key-new-key-4567".to_vec();
        let cookie = SessionManager::new(vec![old.clone()])
            .unwrap()
            .sign(&Principal::new("u"));
        let both = SessionManager::new(vec![new.clone(), old]).unwrap();
        assert_eq!(both.verify(&cookie).unwrap().principal.user_id, "u");
        assert!(
            SessionManager::new(vec![new])
                .unwrap()
                .verify(&cookie)
                .is_none()
        );
    }
}
