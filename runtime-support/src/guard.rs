//! Guards: who may invoke an action. Built-in checks over the session, in-memory rate limits, and user-implemented custom guards.
//!
//! Generated code declares each action's guards as a `&'static [GuardSpec]`
//! (module guards first, then action guards, as the IR orders them); the
//! pipeline runs them once per invocation, before validation, and the first
//! failure answers.

use std::net::IpAddr;

use axum::http::HeaderMap;
use futures::future::BoxFuture;

use crate::context::TriggerKind;
use crate::session::Session;
use crate::{ApiError, Db, Runtime, TraceId};

/// What a rate limit counts by (mirrors the IR's `RateLimitKey`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateLimitKey {
    /// The client IP address.
    Ip,
    /// The signed-in user (falls back to the IP when there is no session).
    User,
}

/// One guard of an action (mirrors the IR's `GuardKind`), usable in a
/// `static`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardSpec {
    /// A valid session is present; else 401 `unauthorized`.
    Authenticated,
    /// The session's principal has this role; 401 without a session, 403
    /// `forbidden` otherwise.
    HasRole {
        /// The role name.
        role: &'static str,
    },
    /// The principal holds a permission covering `resource:verb` (granted
    /// permissions may use `*` on either side).
    HasPermission {
        /// The required permission.
        permission: &'static str,
    },
    /// At most `limit` calls per sliding `window_ms`, per key; else 429
    /// `rate_limited` with `Retry-After`.
    RateLimit {
        /// Calls allowed per window.
        limit: u32,
        /// Window length in milliseconds.
        window_ms: u64,
        /// What the limit counts by.
        key: RateLimitKey,
    },
    /// Not enforceable until the SaaS layer exists: always denies (403).
    InOrg,
    /// Not enforceable until the SaaS layer exists: always denies (403).
    HasFeature {
        /// The feature name.
        feature: &'static str,
    },
    /// Not enforceable until the SaaS layer exists: always denies (403).
    TrialActiveOrPaid,
    /// A guard the user implements, dispatched by name through the
    /// [`CustomGuards`] registered with [`Runtime::set_custom_guards`].
    Custom {
        /// The snake_case guard name from the contract.
        name: &'static str,
    },
}

/// What a guard sees about the call: no input (guards run before
/// validation).
#[derive(Debug)]
pub struct GuardRequest<'a> {
    /// The action's full name (`tasks.create_task`).
    pub action: &'static str,
    /// How the action was invoked.
    pub trigger: TriggerKind,
    /// The call's trace id.
    pub trace_id: &'a TraceId,
    /// The verified session, if any.
    pub session: Option<&'a Session>,
    /// The client address, when known.
    pub ip: Option<IpAddr>,
    /// Request headers (empty for non-HTTP triggers).
    pub headers: &'a HeaderMap,
    /// The database.
    pub db: &'a Db,
}

/// User-implemented guards, dispatched by name. The generated API crate
/// implements this for an adapter over its typed custom-guards trait;
/// register it with [`Runtime::set_custom_guards`]. Return `Ok(())` to allow,
/// or the error to answer with (usually [`ApiError::forbidden`]).
pub trait CustomGuards: Send + Sync + 'static {
    /// Checks guard `name` for `req`.
    fn check<'a>(
        &'a self,
        name: &'a str,
        req: &'a GuardRequest<'a>,
    ) -> BoxFuture<'a, Result<(), ApiError>>;
}

/// Runs `guards` in order; the first failure answers.
pub(crate) async fn run_guards(
    rt: &Runtime,
    guards: &[GuardSpec],
    req: &GuardRequest<'_>,
) -> Result<(), ApiError> {
    for (index, guard) in guards.iter().enumerate() {
        check_one(rt, index, guard, req).await?;
    }
    Ok(())
}

fn need_session<'a>(req: &'a GuardRequest<'_>) -> Result<&'a Session, ApiError> {
    req.session.ok_or_else(|| {
        ApiError::unauthorized("Sign in first: this action needs a valid session cookie.")
    })
}

async fn check_one(
    rt: &Runtime,
    index: usize,
    guard: &GuardSpec,
    req: &GuardRequest<'_>,
) -> Result<(), ApiError> {
    match *guard {
        GuardSpec::Authenticated => need_session(req).map(|_| ()),
        GuardSpec::HasRole { role } => {
            let s = need_session(req)?;
            if s.principal.has_role(role) {
                Ok(())
            } else {
                Err(ApiError::forbidden(format!(
                    "This action needs the role {role}."
                )))
            }
        }
        GuardSpec::HasPermission { permission } => {
            let s = need_session(req)?;
            if s.principal.has_permission(permission) {
                Ok(())
            } else {
                Err(ApiError::forbidden(format!(
                    "This action needs the permission {permission}."
                )))
            }
        }
        GuardSpec::RateLimit {
            limit,
            window_ms,
            key,
        } => {
            let who = match (key, req.session) {
                (RateLimitKey::User, Some(s)) => format!("user:{}", s.principal.user_id),
                _ => format!(
                    "ip:{}",
                    req.ip
                        .map(|ip| ip.to_string())
                        .unwrap_or_else(|| "unknown".into())
                ),
            };
            let bucket = format!("{}#{index}|{who}", req.action);
            let window = std::time::Duration::from_millis(window_ms.max(1));
            rt.rate_limiter()
                .hit(&bucket, limit, window)
                .await
                .map_err(ApiError::rate_limited)
        }
        GuardSpec::InOrg => Err(unenforceable("in_org")),
        GuardSpec::HasFeature { .. } => Err(unenforceable("has_feature")),
        GuardSpec::TrialActiveOrPaid => Err(unenforceable("trial_active_or_paid")),
        GuardSpec::Custom { name } => match rt.custom_guards() {
            Some(guards) => guards.check(name, req).await,
            None => {
                tracing::error!(guard = name, "custom guard has no implementation; denying");
                Err(ApiError::forbidden(format!(
                    "The custom guard {name} has no implementation: register one with Runtime::set_custom_guards."
                )))
            }
        },
    }
}

fn unenforceable(kind: &str) -> ApiError {
    ApiError::forbidden(format!(
        "The guard {kind} cannot be enforced yet (it needs the SaaS layer), so it denies every call."
    ))
}
