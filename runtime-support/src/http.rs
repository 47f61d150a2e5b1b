//! [`HttpRequest`], the extractor generated routes take, and the decoders that turn its JSON body, query string and path parameters into typed input.
//!
//! Every decoding failure becomes the error envelope: a JSON syntax error is
//! 400 `malformed_json`; a body sent without a JSON content type is 415
//! `unsupported_media_type`; a body over the limit is 413
//! `payload_too_large`; a value of the wrong shape (missing field, unknown
//! field, wrong type) is 400 `validation_failed` with one violation naming
//! its JSON-pointer path.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use bytes::Bytes;
use futures::FutureExt as _;
use http_body_util::BodyExt as _;
use serde::de::DeserializeOwned;

use crate::error::codes;
use crate::heads::Present;
use crate::validate::{Pointer, Violation};
use crate::{ApiError, TraceId};

/// Everything the pipeline needs from an HTTP request: headers, URI, path
/// parameters, client address, trace id and the (size-limited) body.
/// Extracting it never fails except for an oversized or unreadable body.
#[derive(Debug)]
pub struct HttpRequest {
    parts: Parts,
    body: Bytes,
    path_params: Vec<(String, String)>,
    trace_id: TraceId,
    ip: Option<IpAddr>,
    /// The optional headers it carries ([`Present`]).
    present: Present,
    /// When the request layer received it (when it was read, outside the
    /// runtime's stack).
    arrived: std::time::Instant,
}

impl<S: Send + Sync> FromRequest<S> for HttpRequest {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let path_params = path_params(&mut parts);
        // Under the runtime's stack the request layer made the trace id, the
        // runtime's limits and the headers it found current for this task.
        let (trace_id, limits) = match crate::trace::current_request() {
            Some((id, served)) => (id, Some(served)),
            None => (TraceId::from_headers(&parts.headers), None),
        };
        let present = limits.map_or_else(|| Present::scan(&parts.headers), |s| s.present);
        let trust_proxy = limits.is_some_and(|l| l.trust_proxy);
        let forwarded = trust_proxy
            .then(|| {
                parts
                    .headers
                    .get("x-forwarded-for")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(',').next())
                    .and_then(|v| v.trim().parse::<IpAddr>().ok())
            })
            .flatten();
        // The peer: from the request's scope under the runtime's server
        // (a static action route gets no `ConnectInfo`), else from axum's.
        let ip = forwarded
            .or_else(|| limits.and_then(|l| l.peer).map(|p| p.ip()))
            .or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| c.0.ip())
            });
        let body = match limits.map(|l| l.body_limit) {
            // Under the runtime's stack: read up to its limit directly.
            Some(limit) => match http_body_util::Limited::new(body, limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) => return Err(body_error(e.is::<http_body_util::LengthLimitError>())),
            },
            // Mounted elsewhere: axum's extractor applies `DefaultBodyLimit`.
            None => body_elsewhere(Request::from_parts(parts.clone(), body), state).await?,
        };
        Ok(HttpRequest {
            parts,
            body,
            path_params,
            trace_id,
            ip,
            present,
            arrived: limits.map_or_else(std::time::Instant::now, |l| l.arrived),
        })
    }
}

/// The path parameters axum matched for the request's route, as owned
/// pairs; none for a route answered without the router.
fn path_params(parts: &mut Parts) -> Vec<(String, String)> {
    // The extractor only reads the request's extensions: it never waits.
    match RawPathParams::from_request_parts(parts, &()).now_or_never() {
        Some(Ok(raw)) => raw
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        _ => Vec::new(),
    }
}

/// The error of a body that is over the limit (413 `payload_too_large`)
/// or could not be read (400 `malformed_json`).
#[cold]
#[inline(never)]
fn body_error(too_large: bool) -> ApiError {
    if too_large {
        ApiError::framework(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::PAYLOAD_TOO_LARGE,
            "The request body is too large: send less data (the server's limit is set by BODY_LIMIT_BYTES).",
        )
    } else {
        ApiError::framework(
            StatusCode::BAD_REQUEST,
            codes::MALFORMED_JSON,
            "The request body could not be read.",
        )
    }
}

/// The body of a request served outside the runtime's stack (the routes
/// mounted in another server), read by axum's extractor, which applies
/// `DefaultBodyLimit`.
fn body_elsewhere<'a, S: Send + Sync>(
    probe: Request,
    state: &'a S,
) -> Pin<Box<dyn Future<Output = Result<Bytes, ApiError>> + Send + 'a>> {
    Box::pin(async move {
        Bytes::from_request(probe, state)
            .await
            .map_err(|rejection| body_error(rejection.status() == StatusCode::PAYLOAD_TOO_LARGE))
    })
}

impl HttpRequest {
    /// The request's trace id.
    pub fn trace_id(&self) -> &TraceId {
        &self.trace_id
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.parts.method
    }

    /// The URI.
    pub fn uri(&self) -> &Uri {
        &self.parts.uri
    }

    /// The optional headers the pipeline reads that this request carries.
    pub(crate) fn present(&self) -> Present {
        self.present
    }

    /// When the request arrived (see the field).
    pub(crate) fn arrived(&self) -> std::time::Instant {
        self.arrived
    }

    /// The client address: the connection's peer, or the first
    /// `X-Forwarded-For` hop when `TRUST_PROXY` is on.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }

    /// The raw body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The path parameters, decoded, in route order.
    pub fn path_params(&self) -> &[(String, String)] {
        &self.path_params
    }

    /// Decodes the JSON body into `T`. An empty body decodes as `{}` (so an
    /// input whose body fields are all optional needs no body); a non-empty
    /// body needs a JSON content type (`application/json` or `*/*+json`).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return decode_json(b"{}");
        }
        self.require_json_type()?;
        decode_json(&self.body)
    }

    /// The JSON body as a value, read strictly ([`crate::strict_json`]): a
    /// duplicate object key or a NUL character anywhere is a
    /// `validation_failed` violation at its JSON pointer, every one listed.
    /// An empty body is `{}`; the content type rules are those of
    /// [`Self::json`]. Generated decoders read bodies through it.
    pub fn json_value(&self) -> Result<serde_json::Value, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(serde_json::Value::Object(serde_json::Map::new()));
        }
        self.require_json_type()?;
        crate::strict_json::parse(&self.body).map_err(|e| match e {
            crate::strict_json::StrictError::Syntax(e) => malformed(&e),
            crate::strict_json::StrictError::Problems(v) => ApiError::validation(v),
        })
    }

    /// 415 unless the request says its body is JSON.
    fn require_json_type(&self) -> Result<(), ApiError> {
        let json_type = self
            .parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if json_type {
            Ok(())
        } else {
            Err(ApiError::framework(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                codes::UNSUPPORTED_MEDIA_TYPE,
                "Send the body as JSON with the header Content-Type: application/json.",
            ))
        }
    }

    /// Decodes the query string into `T` (form-urlencoded: numbers and
    /// booleans from strings, repeated keys for lists).
    pub fn query<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        decode_form(self.parts.uri.query().unwrap_or("").as_bytes())
    }

    /// Decodes the path parameters into `T` (a struct with one field per
    /// parameter; numbers and UUIDs parse from the text).
    pub fn path<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.path_params {
            ser.append_pair(k, v);
        }
        decode_form(ser.finish().as_bytes())
    }

    /// Decodes path parameters and query string together into one `T`
    /// (path parameters first), for inputs bound to both.
    pub fn params<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.path_params {
            ser.append_pair(k, v);
        }
        for (k, v) in form_urlencoded::parse(self.parts.uri.query().unwrap_or("").as_bytes()) {
            ser.append_pair(&k, &v);
        }
        decode_form(ser.finish().as_bytes())
    }
}

/// Decodes JSON bytes into `T`, mapping failures to the envelope.
///
/// Decodes with plain serde_json first: tracking the path costs every
/// request, and only a failure needs it, so a shape error is decoded again
/// with [`serde_path_to_error`] to name where it is (the same bytes fail the
/// same way).
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    use serde_json::error::Category;
    let first = match serde_json::from_slice(bytes) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    if first.classify() != Category::Data {
        return Err(malformed(&first));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let e = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => e,
        // Not reached: the same bytes decode the same way. Answer the first
        // error without a path rather than trust a second decode.
        Ok(_) => {
            let msg = strip_position(&first.to_string());
            return Err(ApiError::validation(vec![violation_at(
                Pointer::root(),
                &msg,
            )]));
        }
    };
    Err(match e.inner().classify() {
        Category::Data => match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
            // A syntax error later in the body outranks a shape error.
            Err(syntax) => malformed(&syntax),
            Ok(_) => {
                let msg = strip_position(&e.inner().to_string());
                ApiError::validation(vec![violation(e.path(), &msg)])
            }
        },
        Category::Syntax | Category::Eof | Category::Io => malformed(e.inner()),
    })
}

/// Decodes a JSON value into `T` (used for event payloads).
pub fn decode_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let msg = e.inner().to_string();
        ApiError::validation(vec![violation(e.path(), &msg)])
    })
}

fn decode_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = serde_html_form::Deserializer::new(form_urlencoded::parse(bytes));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let msg = e.inner().to_string();
        ApiError::validation(vec![violation(e.path(), &msg)])
    })
}

fn malformed(e: &serde_json::Error) -> ApiError {
    ApiError::framework(
        StatusCode::BAD_REQUEST,
        codes::MALFORMED_JSON,
        format!("The body is not valid JSON: {e}."),
    )
    .with_details(serde_json::json!({ "line": e.line(), "column": e.column() }))
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// The name inside the first pair of backticks of a serde message.
fn backticked(msg: &str) -> Option<&str> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(&msg[start..start + len])
}

/// Turns a serde error at `path` into a violation with a JSON pointer.
pub(crate) fn violation(path: &serde_path_to_error::Path, msg: &str) -> Violation {
    use serde_path_to_error::Segment;
    let mut at = Pointer::root();
    for seg in path.iter() {
        at = match seg {
            Segment::Seq { index } => at.index(*index),
            Segment::Map { key } => at.field(key),
            Segment::Enum { .. } | Segment::Unknown => at,
        };
    }
    violation_at(at, msg)
}

/// The violation serde's message `msg` describes at `at`.
fn violation_at(at: Pointer, msg: &str) -> Violation {
    let (code, at, message) = if msg.starts_with("unknown field") {
        let name = backticked(msg).unwrap_or("?");
        // serde_path_to_error already ends the path with the unknown key.
        let suffix = Pointer::root().field(name);
        let at = if at.as_str().ends_with(suffix.as_str()) {
            at
        } else {
            at.field(name)
        };
        (
            "unknown_field",
            at,
            format!("unknown field {name}: remove it (the contract does not declare it)"),
        )
    } else if msg.starts_with("missing field") {
        let name = backticked(msg).unwrap_or("?");
        ("required", at.field(name), format!("{name} is required"))
    } else if msg.starts_with("invalid type") {
        ("invalid_type", at, msg.to_owned())
    } else {
        ("invalid_value", at, msg.to_owned())
    };
    Violation {
        path: at.as_str().to_owned(),
        code: code.to_owned(),
        message,
    }
}

/// Axum extractor: the JSON body as `T`, rejecting into the envelope (415,
/// 413, `malformed_json`, `validation_failed`) like [`HttpRequest::json`].
/// For hand-written routes; generated routes use [`HttpRequest`].
#[derive(Debug, Clone)]
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        HttpRequest::from_request(req, state)
            .await?
            .json()
            .map(Json)
    }
}

/// Axum extractor: the query string as `T` (numbers and booleans from text,
/// repeated keys for lists), rejecting into the envelope.
#[derive(Debug, Clone)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        decode_form(parts.uri.query().unwrap_or("").as_bytes()).map(Query)
    }
}

/// Axum extractor: the path parameters as `T` (a struct with one field per
/// parameter), rejecting into the envelope.
#[derive(Debug, Clone)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = RawPathParams::from_request_parts(parts, state).await;
        let mut ser = form_urlencoded::Serializer::new(String::new());
        if let Ok(raw) = raw {
            for (k, v) in raw.iter() {
                ser.append_pair(k, v);
            }
        }
        decode_form(ser.finish().as_bytes()).map(Path)
    }
}
