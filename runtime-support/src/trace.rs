//! Trace ids: taken from `x-request-id` or W3C `traceparent`, else generated, and echoed on every response.

use std::cell::Cell;
use std::fmt;

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName};

/// The header a trace id is read from and echoed in.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// The W3C trace context header; its trace-id field is used when no
/// `x-request-id` is sent.
pub const TRACEPARENT_HEADER: &str = "traceparent";

/// [`REQUEST_ID_HEADER`] as a header name: looked up and inserted on every
/// request, it is parsed once here, not at each use.
pub(crate) static REQUEST_ID: HeaderName = HeaderName::from_static(REQUEST_ID_HEADER);
/// [`TRACEPARENT_HEADER`] as a header name.
pub(crate) static TRACEPARENT: HeaderName = HeaderName::from_static(TRACEPARENT_HEADER);

/// A request's trace id: cheap to clone, printable, echoed as `x-request-id`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TraceId(Arc<str>);

impl TraceId {
    /// A fresh random id: 32 lowercase hex characters (the W3C trace-id
    /// shape).
    pub fn generate() -> Self {
        // Encoded into a stack buffer: no formatter, one allocation.
        let mut buf = [0u8; 32];
        TraceId(Arc::from(
            &*uuid::Uuid::new_v4().simple().encode_lower(&mut buf),
        ))
    }

    /// Uses `s` as the id when it is 1..=128 visible ASCII characters;
    /// `None` otherwise (the caller then generates one).
    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| TraceId(s.into()))
    }

    /// The trace-id field of a W3C `traceparent` value
    /// (`00-<32 hex>-<16 hex>-<2 hex>`), when well formed and not all zeros.
    pub fn from_traceparent(s: &str) -> Option<Self> {
        let mut parts = s.trim().split('-');
        let version = parts.next()?;
        let trace = parts.next()?;
        let parent = parts.next()?;
        let flags = parts.next()?;
        let hex = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex(version, 2)
            || version.eq_ignore_ascii_case("ff")
            || !hex(trace, 32)
            || !hex(parent, 16)
            || !hex(flags, 2)
        {
            return None;
        }
        if trace.bytes().all(|b| b == b'0') {
            return None;
        }
        Some(TraceId(trace.to_ascii_lowercase().into()))
    }

    /// The id from `x-request-id`, else from `traceparent`, else a new one.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        headers
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .and_then(TraceId::parse)
            .or_else(|| {
                headers
                    .get(&TRACEPARENT)
                    .and_then(|v| v.to_str().ok())
                    .and_then(TraceId::from_traceparent)
            })
            .unwrap_or_else(TraceId::generate)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({})", self.0)
    }
}

/// What every log line written while a request or action runs carries
/// (see [`crate::logging`]): its trace id, and the action once the pipeline
/// runs one. The request's scope takes the action's name when the pipeline
/// runs it, so a request costs one scope, not two.
pub(crate) struct Scope {
    trace_id: TraceId,
    action: Cell<Option<&'static str>>,
    /// What the request layer found for [`crate::http::HttpRequest`]:
    /// `None` outside a request.
    request: Option<Served>,
}

/// What the request layer hands [`crate::http::HttpRequest`]: the settings
/// of the runtime serving the request, the optional headers it carries
/// (scanned once, by the layer), the connection's peer and when the
/// request arrived.
#[derive(Clone, Copy)]
pub(crate) struct Served {
    /// `TRUST_PROXY`: the client address comes from `X-Forwarded-For`.
    pub(crate) trust_proxy: bool,
    /// `BODY_LIMIT_BYTES`.
    pub(crate) body_limit: usize,
    /// The optional headers the request carries.
    pub(crate) present: crate::heads::Present,
    /// The connection's peer, when the runtime's server accepted it.
    pub(crate) peer: Option<std::net::SocketAddr>,
    /// When the request layer received the request.
    pub(crate) arrived: std::time::Instant,
}

tokio::task_local! {
    static CURRENT: Scope;
}

/// The trace id of the request or action being processed on this task, if
/// any. [`crate::ApiError`]'s `IntoResponse` uses it to fill the envelope.
pub fn current_trace_id() -> Option<TraceId> {
    CURRENT.try_with(|s| s.trace_id.clone()).ok()
}

/// Runs `fut` with `id` as the current trace id: its log lines carry it.
pub fn with_trace_id<F: Future>(id: TraceId, fut: F) -> impl Future<Output = F::Output> {
    scoped(id, None, None, fut)
}

/// Runs `fut` as the HTTP request of trace `id`, `served` as the request
/// layer found it. A named type: the request layer's future is one.
pub(crate) fn request_scope<F: Future>(
    id: TraceId,
    served: Served,
    fut: F,
) -> tokio::task::futures::TaskLocalFuture<Scope, F> {
    scoped(id, None, Some(served), fut)
}

/// The trace id of the request being served on this task and what the
/// request layer found for it, if any.
pub(crate) fn current_request() -> Option<(TraceId, Served)> {
    CURRENT
        .try_with(|s| s.request.map(|r| (s.trace_id.clone(), r)))
        .ok()
        .flatten()
}

/// Runs `fut` as action `action` of trace `id`: its log lines carry both.
pub(crate) fn with_action<F: Future>(
    id: TraceId,
    action: &'static str,
    fut: F,
) -> impl Future<Output = F::Output> {
    scoped(id, Some(action), None, fut)
}

fn scoped<F: Future>(
    trace_id: TraceId,
    action: Option<&'static str>,
    request: Option<Served>,
    fut: F,
) -> tokio::task::futures::TaskLocalFuture<Scope, F> {
    let scope = Scope {
        trace_id,
        action: Cell::new(action),
        request,
    };
    CURRENT.scope(scope, fut)
}

/// Names `action` in this task's scope when that is the scope of trace `id`
/// and names no action yet (an HTTP request's, set by the request layer):
/// true then. False otherwise: the caller runs the action in a scope of
/// its own ([`with_action`]).
pub(crate) fn claim_scope(id: &TraceId, action: &'static str) -> bool {
    CURRENT
        .try_with(|s| {
            let free = s.action.get().is_none() && s.trace_id == *id;
            if free {
                s.action.set(Some(action));
            }
            free
        })
        .unwrap_or(false)
}

/// This task's trace id and action, if it runs inside a scope.
pub(crate) fn current_scope() -> Option<(TraceId, Option<&'static str>)> {
    CURRENT
        .try_with(|s| (s.trace_id.clone(), s.action.get()))
        .ok()
}
