//! The one JSON error envelope every failure answers with, and [`ApiError`], the value that carries it.
//!
//! Every failure a client can see, whether it comes from a handler, a guard,
//! validation, the framework (404, 405, 413, 415, malformed JSON) or a panic,
//! is rendered as
//!
//! ```json
//! {"error":{"code":"validation_failed","message":"...","trace_id":"...","details":{...}}}
//! ```
//!
//! The trace id is filled in by the runtime's middleware when the response
//! leaves the server, so code that builds an [`ApiError`] never has to know
//! it.

use std::borrow::Cow;
use std::fmt;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

/// Wire codes the runtime itself answers with. Generated error enums use the
/// same strings for their implicit variants.
pub mod codes {
    /// 400: input failed validation; `details.violations` lists every problem.
    pub const VALIDATION_FAILED: &str = "validation_failed";
    /// 400: the body is not syntactically valid JSON.
    pub const MALFORMED_JSON: &str = "malformed_json";
    /// 401: no valid session.
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// 403: a guard denied the call.
    pub const FORBIDDEN: &str = "forbidden";
    /// 404: no route, or a handler's "not found".
    pub const NOT_FOUND: &str = "not_found";
    /// 405: the path exists but not with this method.
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    /// 413: the body is larger than the configured limit.
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    /// 415: a body was sent without a JSON content type.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    /// 429: a rate limit guard denied the call.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// 500: an unexpected failure; retryable by the pipeline.
    pub const INTERNAL: &str = "internal";
    /// 501: the handler is still a scaffold stub.
    pub const NOT_IMPLEMENTED: &str = "not_implemented";
    /// 503: a dependency (the database) is not available.
    pub const UNAVAILABLE: &str = "unavailable";
}

/// A failure rendered as the JSON error envelope.
///
/// Build one with the constructors ([`ApiError::new`] for declared contract
/// errors, [`ApiError::internal`] for unexpected failures, ...) and return it,
/// or convert a generated per-action error enum into it with `From`.
///
/// Whether the action pipeline retries a failed attempt is decided by
/// [`ApiError::is_retryable`]: declared contract errors and every 4xx never
/// retry; internal (5xx) errors do, except `not_implemented`.
#[derive(Debug, Clone)]
pub struct ApiError(Box<Inner>);

/// The fields of an [`ApiError`], boxed so `Result<T, ApiError>` stays one
/// pointer wide.
#[derive(Debug, Clone)]
struct Inner {
    status: StatusCode,
    code: Cow<'static, str>,
    message: String,
    details: Option<Value>,
    declared: bool,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

/// The error envelope as serialised on the wire.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Envelope {
    /// The error body.
    pub error: EnvelopeBody,
}

/// The inside of the envelope: `{"code","message","trace_id","details"}`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct EnvelopeBody {
    /// Stable snake_case code clients switch on.
    pub code: String,
    /// Human-readable message; never contains secrets or internals.
    pub message: String,
    /// The request's trace id (also sent as `x-request-id`).
    pub trace_id: String,
    /// Structured details (for `validation_failed`: `{"violations":[...]}`),
    /// or `null`.
    pub details: Value,
}

impl ApiError {
    /// An error declared in the contract (never retried).
    ///
    /// `status` must be 400..=599; anything else is answered as 500.
    pub fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        let status = StatusCode::from_u16(status)
            .ok()
            .filter(|s| s.is_client_error() || s.is_server_error())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError(Box::new(Inner {
            status,
            code: code.into(),
            message: message.into(),
            details: None,
            declared: true,
            headers: Vec::new(),
        }))
    }

    /// A framework error that is not declared in any contract (404 route,
    /// 405, 413...). Retryable only when it is a 5xx other than 501.
    pub fn framework(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError(Box::new(Inner {
            status,
            code: Cow::Borrowed(code),
            message: message.into(),
            details: None,
            declared: false,
            headers: Vec::new(),
        }))
    }

    /// 500 `internal`: an unexpected failure. The detail is logged, never
    /// sent to the client; the client sees a generic message. Retryable.
    pub fn internal(detail: impl fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::framework(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            "An internal error occurred.",
        )
    }

    /// 501 `not_implemented`: what scaffolded handler stubs answer.
    pub fn not_implemented(action: &str) -> Self {
        Self::framework(
            StatusCode::NOT_IMPLEMENTED,
            codes::NOT_IMPLEMENTED,
            format!(
                "The action {action} is not implemented yet: implement its handler method in the server crate."
            ),
        )
    }

    /// The error for a generated error-enum variant without data, from its
    /// `(status, code, message)` and the action's full name: the implicit
    /// codes use the constructors above (so retry and headers behave like the
    /// runtime's own errors); any other code is a declared contract error,
    /// never retried.
    pub fn described(
        (status, code, message): (u16, &'static str, &'static str),
        action: &str,
    ) -> Self {
        match (status, code) {
            (401, codes::UNAUTHORIZED) => ApiError::unauthorized(message),
            (403, codes::FORBIDDEN) => ApiError::forbidden(message),
            (404, codes::NOT_FOUND) => ApiError::not_found(message),
            (429, codes::RATE_LIMITED) => ApiError::rate_limited(std::time::Duration::from_secs(1)),
            (501, codes::NOT_IMPLEMENTED) => ApiError::not_implemented(action),
            _ => ApiError::new(status, code, message),
        }
    }

    /// 401 `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::framework(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED, message)
    }

    /// 403 `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::framework(StatusCode::FORBIDDEN, codes::FORBIDDEN, message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::framework(StatusCode::NOT_FOUND, codes::NOT_FOUND, message)
    }

    /// 429 `rate_limited` with a `Retry-After` header (whole seconds, at
    /// least 1).
    pub fn rate_limited(retry_after: std::time::Duration) -> Self {
        let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
        Self::framework(
            StatusCode::TOO_MANY_REQUESTS,
            codes::RATE_LIMITED,
            format!("Too many requests: retry in {secs} s."),
        )
        .with_details(serde_json::json!({ "retry_after_secs": secs }))
        .with_header(header::RETRY_AFTER, HeaderValue::from(secs))
    }

    /// 400 `validation_failed` with `details.violations`.
    pub fn validation(violations: Vec<crate::validate::Violation>) -> Self {
        let n = violations.len();
        Self::framework(
            StatusCode::BAD_REQUEST,
            codes::VALIDATION_FAILED,
            if n == 1 {
                format!("The input is invalid: {}", violations[0].message)
            } else {
                format!("The input is invalid ({n} problems): see details.violations.")
            },
        )
        .with_details(serde_json::json!({ "violations": violations }))
    }

    /// Attaches structured details (rendered as `error.details`).
    pub fn with_details(mut self, details: Value) -> Self {
        self.0.details = Some(details);
        self
    }

    /// Adds a response header (e.g. `Retry-After`).
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.0.headers.push((name, value));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The wire code.
    pub fn code(&self) -> &str {
        &self.0.code
    }

    /// The human message.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The details, if any.
    pub fn details(&self) -> Option<&Value> {
        self.0.details.as_ref()
    }

    /// Whether the action pipeline may run the handler again after this
    /// error: never for declared errors, 4xx or `not_implemented`; yes for
    /// other 5xx.
    pub fn is_retryable(&self) -> bool {
        !self.0.declared
            && self.0.status.is_server_error()
            && self.0.status != StatusCode::NOT_IMPLEMENTED
    }

    /// Renders the envelope with the given trace id.
    pub fn to_envelope(&self, trace_id: &str) -> Envelope {
        Envelope {
            error: EnvelopeBody {
                code: self.0.code.to_string(),
                message: self.0.message.clone(),
                trace_id: trace_id.to_owned(),
                details: self.0.details.clone().unwrap_or(Value::Null),
            },
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.0.status.as_u16(),
            self.0.code,
            self.0.message
        )
    }
}

impl std::error::Error for ApiError {}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::internal(format_args!("database error: {e}"))
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        ApiError::internal(e)
    }
}

/// Marker the request layer (`crate::layer`) looks for: a response carrying
/// it gets its body rendered as the envelope with the request's trace id.
#[derive(Clone)]
pub(crate) struct PendingEnvelope(pub(crate) ApiError);

impl IntoResponse for ApiError {
    /// Renders the envelope. The trace id is filled by the runtime's trace
    /// middleware (see [`crate::Runtime::app`]); outside it, the task-local
    /// trace id of the current action is used, else an empty string.
    fn into_response(self) -> Response {
        let trace_id = crate::trace::current_trace_id()
            .map(|t| t.to_string())
            .unwrap_or_default();
        let mut res = render(&self, &trace_id);
        if trace_id.is_empty() {
            res.extensions_mut().insert(PendingEnvelope(self));
        }
        res
    }
}

/// Builds the response for `err` with `trace_id` in the body.
pub(crate) fn render(err: &ApiError, trace_id: &str) -> Response {
    let body = serde_json::to_vec(&err.to_envelope(trace_id)).unwrap_or_else(|_| b"{}".to_vec());
    let mut res = (
        err.0.status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    for (name, value) in &err.0.headers {
        res.headers_mut().append(name.clone(), value.clone());
    }
    res
}
