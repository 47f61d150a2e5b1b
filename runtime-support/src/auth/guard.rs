//! Guards: who may invoke an action. Built-in checks over the caller (session or API key), rate limits, the organization tables, and user-implemented custom guards.
//!
//! Generated code declares each action's guards as a `&'static [GuardSpec]`
//! (module guards first, then action guards, as the IR orders them); the
//! pipeline runs them once per invocation (never per retry of the handler,
//! and again on every new request, idempotent retries included), before
//! validation, and the first failure answers. What the guards found (the
//! organization and the caller's role in it, rate-limit headers) is kept in
//! a [`GuardOutcome`] for the handler's context and the response.

use std::net::IpAddr;

use axum::http::HeaderMap;
use futures::future::BoxFuture;

use axum::http::{HeaderName, HeaderValue};

use super::org::OrgContext;
use super::session::{AuthMethod, Session};
use crate::context::TriggerKind;
use crate::{ApiError, Db, Runtime, TraceId};

/// What a rate limit counts by (mirrors the IR's `RateLimitKey`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateLimitKey {
    /// The client IP address.
    Ip,
    /// The caller: the signed-in user, or the API key (falls back to the
    /// IP when there is neither).
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
    /// The caller is a member of the organization the request names: the
    /// path parameter `org_id`, else the query parameter `org_id`, else the
    /// JSON body's top-level `org_id`, else the `x-org-id` header, else the
    /// session's active organization (or the API key's). 401 without a
    /// caller, 403 when not a member or when no organization is named. An
    /// API key bound to an
    /// organization is admitted to that one only.
    InOrg,
    /// The organization's subscription is usable (a running trial or a paid
    /// period) and its plan has the feature; 403 otherwise. Resolves and
    /// checks the organization like [`GuardSpec::InOrg`] when no earlier
    /// guard did.
    HasFeature {
        /// The feature name.
        feature: &'static str,
    },
    /// The organization is in a running trial or a paid period; 403
    /// otherwise. Resolves the organization like [`GuardSpec::InOrg`].
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
    /// Path parameters, in route order (empty for non-HTTP triggers).
    pub path_params: &'a [(String, String)],
    /// The raw query string (empty for non-HTTP triggers).
    pub query: &'a str,
    /// The raw request body (empty for non-HTTP triggers), for `in_org`'s
    /// `org_id` on the action endpoint, where the whole input is the body.
    pub body: &'a [u8],
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

/// What the guards found, for the handler and the response.
#[derive(Debug, Default)]
pub(crate) struct GuardOutcome {
    /// The organization `in_org` (or a subscription guard) resolved.
    pub(crate) org: Option<OrgContext>,
    /// Response headers (`RateLimit-*`).
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
}

/// Runs `guards` in order; the first failure answers.
pub(crate) async fn run_guards(
    rt: &Runtime,
    guards: &[GuardSpec],
    req: &GuardRequest<'_>,
) -> Result<GuardOutcome, ApiError> {
    let mut out = GuardOutcome::default();
    for (index, guard) in guards.iter().enumerate() {
        match check_session(guard, req) {
            Some(checked) => checked?,
            // Boxed: the guards that wait (rate limits, organizations,
            // custom guards) keep their futures out of every run's own.
            None => Box::pin(check_one(rt, index, guard, req, &mut out)).await?,
        }
    }
    Ok(out)
}

fn need_session<'a>(req: &'a GuardRequest<'_>) -> Result<&'a Session, ApiError> {
    req.session.ok_or_else(|| {
        ApiError::unauthorized(
            "Sign in first: this action needs a valid session cookie or API key.",
        )
    })
}

async fn check_one(
    rt: &Runtime,
    index: usize,
    guard: &GuardSpec,
    req: &GuardRequest<'_>,
    out: &mut GuardOutcome,
) -> Result<(), ApiError> {
    match *guard {
        // Decided by `check_session` before any guard waits.
        GuardSpec::Authenticated | GuardSpec::HasRole { .. } | GuardSpec::HasPermission { .. } => {
            check_session(guard, req).unwrap_or(Ok(()))
        }
        GuardSpec::RateLimit {
            limit,
            window_ms,
            key,
        } => {
            let who = match (key, req.session) {
                (RateLimitKey::User, Some(s)) if s.via == AuthMethod::ApiKey => {
                    format!("key:{}", s.id)
                }
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
            let d = rt.rate_limiter().check(&bucket, limit, window).await?;
            let secs = |d: std::time::Duration| d.as_secs_f64().ceil() as u64;
            let headers = [
                ("ratelimit-limit", u64::from(d.limit)),
                ("ratelimit-remaining", u64::from(d.remaining)),
                ("ratelimit-reset", secs(d.reset)),
            ];
            let policy = HeaderValue::from_str(&format!("{limit};w={}", secs(window).max(1)))
                .unwrap_or(HeaderValue::from_static("0"));
            if d.allowed {
                for (name, value) in headers {
                    out.headers
                        .push((HeaderName::from_static(name), HeaderValue::from(value)));
                }
                out.headers
                    .push((HeaderName::from_static("ratelimit-policy"), policy));
                Ok(())
            } else {
                let mut e = ApiError::rate_limited(d.retry_after);
                for (name, value) in headers {
                    e = e.with_header(HeaderName::from_static(name), HeaderValue::from(value));
                }
                Err(e.with_header(HeaderName::from_static("ratelimit-policy"), policy))
            }
        }
        GuardSpec::InOrg => resolve_org(rt, req, out).await.map(|_| ()),
        GuardSpec::HasFeature { feature } => {
            let org = resolve_org(rt, req, out).await?;
            let found = rt.auth().store().subscription(&org, feature).await?;
            let now = super::store::now_ms();
            match found {
                Some((sub, has)) if has && sub.usable(now) => {
                    set_subscription(out, sub);
                    Ok(())
                }
                Some((sub, _)) if !sub.usable(now) => Err(ApiError::forbidden(
                    "The organization's trial has ended and it has no paid plan.",
                )),
                _ => Err(ApiError::forbidden(format!(
                    "The organization's plan does not include the feature {feature}."
                ))),
            }
        }
        GuardSpec::TrialActiveOrPaid => {
            let org = resolve_org(rt, req, out).await?;
            let now = super::store::now_ms();
            match rt.auth().store().subscription(&org, "").await? {
                Some((sub, _)) if sub.usable(now) => {
                    set_subscription(out, sub);
                    Ok(())
                }
                _ => Err(ApiError::forbidden(
                    "The organization's trial has ended and it has no paid plan.",
                )),
            }
        }
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

/// A guard decided by the caller's session alone, without waiting (signed
/// in, with a role or a permission); `None` for the guards that wait.
fn check_session(guard: &GuardSpec, req: &GuardRequest<'_>) -> Option<Result<(), ApiError>> {
    let (allowed, what, name) = match *guard {
        GuardSpec::Authenticated => return Some(need_session(req).map(|_| ())),
        GuardSpec::HasRole { role } => (
            need_session(req).map(|s| s.principal.has_role(role)),
            "role",
            role,
        ),
        GuardSpec::HasPermission { permission } => (
            need_session(req).map(|s| s.principal.has_permission(permission)),
            "permission",
            permission,
        ),
        _ => return None,
    };
    Some(allowed.and_then(|allowed| {
        if allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "This action needs the {what} {name}."
            )))
        }
    }))
}

fn set_subscription(out: &mut GuardOutcome, sub: super::org::Subscription) {
    if let Some(org) = out.org.as_mut() {
        org.subscription = Some(sub);
    }
}

/// The organization the request names, checked against the caller's
/// membership once per invocation; its id.
async fn resolve_org(
    rt: &Runtime,
    req: &GuardRequest<'_>,
    out: &mut GuardOutcome,
) -> Result<String, ApiError> {
    if let Some(org) = &out.org {
        return Ok(org.org_id.clone());
    }
    let s = need_session(req)?;
    let named = req
        .path_params
        .iter()
        .find(|(k, _)| k == "org_id")
        .map(|(_, v)| v.clone())
        .or_else(|| {
            form_urlencoded::parse(req.query.as_bytes())
                .find(|(k, _)| k == "org_id")
                .map(|(_, v)| v.into_owned())
        })
        .or_else(|| body_org_id(req.body))
        .or_else(|| {
            req.headers
                .get("x-org-id")
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_owned())
        })
        .filter(|v| !v.is_empty())
        .or_else(|| s.org_id.clone());
    // No organization named: refused like a non-member (403, an answer every
    // `in_org` action documents), with what to send.
    let Some(org_id) = named else {
        return Err(ApiError::forbidden(
            "Name the organization: an org_id path, query or body field, or the x-org-id header.",
        ));
    };
    let role = if s.via == AuthMethod::ApiKey {
        // A key bound to an organization acts in that one only; a user's
        // key acts with its user's memberships.
        match (&s.org_id, s.principal.user_id.starts_with("api_key:")) {
            (Some(bound), _) if *bound == org_id => Some("api_key".to_owned()),
            (Some(_), _) | (None, true) => None,
            (None, false) => rt.auth().member_role(&org_id, &s.principal.user_id).await?,
        }
    } else {
        rt.auth().member_role(&org_id, &s.principal.user_id).await?
    };
    let Some(role) = role else {
        return Err(ApiError::forbidden(
            "You are not a member of this organization.",
        ));
    };
    out.org = Some(OrgContext {
        org_id: org_id.clone(),
        role,
        subscription: None,
    });
    Ok(org_id)
}

/// The top-level `org_id` string of a JSON object body, if any (the action
/// endpoint carries the whole input, `org_id` included, as its body). Other
/// fields are skipped, not decoded.
fn body_org_id(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct OrgField {
        org_id: Option<String>,
    }
    if !body.trim_ascii_start().starts_with(b"{") {
        return None;
    }
    serde_json::from_slice::<OrgField>(body).ok()?.org_id
}
