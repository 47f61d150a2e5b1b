//! The HTTP answer to a run's outcome: the output as JSON with the route's status, a stored answer replayed, or the error envelope; with a claimed idempotency key, the claim settled first.
//!
//! The answer with no claimed key is plain code. Settling a claim awaits
//! the store, so [`answer_claimed`] is a boxed future of its own: awaited
//! inline, the store's futures would be states of every request's future,
//! which is as large as its largest state, whether or not the request
//! carries a key.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

use super::{AnyOutput, Outcome, json_response};
use crate::ApiError;
use crate::auth::idempotency::{Claimed, Idempotency, REPLAYED};
use crate::error::render;

/// Serialises an action's output (its type erased) to JSON.
pub(super) type ToJson = fn(&(dyn Any + Send)) -> Result<Vec<u8>, String>;

/// The answer to `result` of action `name` when no idempotency key was
/// claimed: `status` with the output's JSON (no body for 204), the stored
/// answer of a replay, or the error envelope with `trace_id`.
pub(super) fn answer(
    name: &str,
    result: Result<Outcome<AnyOutput>, ApiError>,
    status: u16,
    to_json: ToJson,
    trace_id: &str,
) -> Response {
    match result {
        Ok(Outcome::Ran(success)) => match body(name, status, &*success.output, to_json) {
            Ok((status, body)) => json_response(status, body, success.headers),
            Err(err) => render(&err, trace_id),
        },
        Ok(Outcome::Replayed {
            status,
            body,
            headers,
        }) => replayed(status, body, headers),
        Err(err) => render(&err, trace_id),
    }
}

/// [`answer`] after settling the request's claimed idempotency key: a
/// result the handler decided is completed with the answer (a retry
/// replays it); a retryable failure, an output that does not serialise or
/// an answer that sets cookies (a sign-in, not replayed without them)
/// releases the key (a retry runs again).
pub(super) fn answer_claimed<'a>(
    idem: &'a Idempotency,
    claimed: Claimed,
    name: &'static str,
    result: Result<Outcome<AnyOutput>, ApiError>,
    status: u16,
    to_json: ToJson,
    trace_id: &'a str,
) -> Pin<Box<dyn Future<Output = Response> + Send + 'a>> {
    Box::pin(async move {
        match result {
            Ok(Outcome::Ran(success)) => {
                let (status, body) = match body(name, status, &*success.output, to_json) {
                    Ok(answer) => answer,
                    Err(err) => {
                        idem.release(&claimed).await;
                        return render(&err, trace_id);
                    }
                };
                let sets_cookie = success
                    .headers
                    .iter()
                    .any(|(name, _)| name == axum::http::header::SET_COOKIE);
                if sets_cookie {
                    idem.release(&claimed).await;
                } else {
                    idem.complete(&claimed, status.as_u16(), &String::from_utf8_lossy(&body))
                        .await;
                }
                json_response(status, body, success.headers)
            }
            Err(err) => {
                if err.is_retryable() {
                    idem.release(&claimed).await;
                } else {
                    let body =
                        serde_json::to_string(&err.to_envelope(trace_id)).unwrap_or_default();
                    idem.complete(&claimed, err.status().as_u16(), &body).await;
                }
                render(&err, trace_id)
            }
            replay => answer(name, replay, status, to_json, trace_id),
        }
    })
}

/// The route's `status` and the output's JSON (empty for 204); an
/// internal error when the output does not serialise.
fn body(
    name: &str,
    status: u16,
    output: &(dyn Any + Send),
    to_json: ToJson,
) -> Result<(StatusCode, Vec<u8>), ApiError> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if status == StatusCode::NO_CONTENT {
        return Ok((status, Vec::new()));
    }
    to_json(output)
        .map(|body| (status, body))
        .map_err(|e| ApiError::internal(format_args!("{name}: output does not serialise: {e}")))
}

/// A stored answer replayed, marked so in its headers.
fn replayed(status: u16, body: String, mut headers: Vec<(HeaderName, HeaderValue)>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    headers.push((
        HeaderName::from_static(REPLAYED),
        HeaderValue::from_static("true"),
    ));
    json_response(status, body.into_bytes(), headers)
}
