//! The webhook route: body limit, verification, delivery-id claim, then the pipeline (sync) or the queue, with every refusal recorded as a run.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use http_body_util::BodyExt as _;
use serde::Serialize;
use serde_json::Value;

use super::store::{Claim, DELIVERY_RETENTION, DeliveryStore, PROCESSING_LEASE};
use super::{Mode, Secrets, WebhookError, WebhookJob, WebhookSpec, verify};
use crate::error::{codes, render};
use crate::runs::{RunRecord, RunStatus};
use crate::validate::Validate;
use crate::{ActionContext, ApiError, Invocation, Runtime, TraceId, TriggerKind};

/// The envelope code of a delivery another request is running (409).
pub const DELIVERY_IN_PROGRESS: &str = "delivery_in_progress";

/// Mounts `spec` at its path (`POST`). In [`Mode::Sync`] a verified
/// delivery runs `handler` through the pipeline with trigger `webhook`; in
/// [`Mode::Queue`] it is decoded, validated and enqueued, and `handler` is
/// not called here (the job queue runs the action). `decode` turns the JSON
/// body into the input (generated code passes its `wire::event_input`; any
/// serde type can pass [`crate::http::decode_value`]).
///
/// A missing or unusable secret is recorded for [`super::check`] (the
/// server then refuses to start) and the route answers 503 to every
/// delivery: it never accepts an unsigned one.
pub fn route<I, O, E, Fut, H, D>(
    rt: &Runtime,
    spec: &'static WebhookSpec,
    decode: D,
    handler: H,
) -> Router
where
    I: Validate + Clone + Send + 'static,
    O: Serialize + Send + 'static,
    E: Into<ApiError> + Send + 'static,
    Fut: Future<Output = Result<O, E>> + Send + 'static,
    H: Fn(ActionContext, I) -> Fut + Clone + Send + Sync + 'static,
    D: Fn(Value) -> Result<I, ApiError> + Clone + Send + Sync + 'static,
{
    let state = rt.webhooks();
    if !spec.path.starts_with('/') || spec.path.contains(['{', '}', '*']) {
        state.problem(WebhookError::BadPath { path: spec.path });
        return Router::new();
    }
    let secrets = match rt.config().secrets.get(spec.secret_env) {
        None => {
            state.problem(WebhookError::MissingSecret {
                env: spec.secret_env,
                path: spec.path,
            });
            None
        }
        Some(value) => match Secrets::parse(&spec.scheme, spec.secret_env, &value) {
            Ok(s) => Some(s),
            Err(e) => {
                state.problem(e);
                None
            }
        },
    };
    if matches!(spec.mode, Mode::Queue { .. }) {
        state
            .queued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(spec.path);
    }
    let mounted = Arc::new(Mounted {
        rt: rt.clone(),
        spec,
        secrets,
        decode,
        handler,
    });
    Router::new().route(
        spec.path,
        post(move |req: Request| {
            let mounted = mounted.clone();
            async move { mounted.deliver(req).await }
        }),
    )
}

struct Mounted<D, H> {
    rt: Runtime,
    spec: &'static WebhookSpec,
    secrets: Option<Secrets>,
    decode: D,
    handler: H,
}

/// What one delivery has been so far, for its run record.
struct Delivery {
    trace_id: TraceId,
    started: Instant,
    started_at: chrono::DateTime<chrono::Utc>,
}

impl<D, H> Mounted<D, H> {
    /// Records a run of the action that ended before (or instead of) the
    /// pipeline, with `error` (none: a queued delivery accepted).
    fn record(&self, d: &Delivery, error: Option<&ApiError>) {
        let status = if error.is_some() {
            RunStatus::Error
        } else {
            RunStatus::Ok
        };
        self.rt.runs().record_with(status, || RunRecord {
            id: uuid::Uuid::now_v7().to_string(),
            action: self.spec.action.name.to_owned(),
            trigger: TriggerKind::Webhook.as_str().to_owned(),
            status,
            error_code: error.map(|e| e.code().to_owned()),
            duration_ms: d.started.elapsed().as_millis().min(i64::MAX as u128) as i64,
            attempt: 0,
            trace_id: d.trace_id.to_string(),
            started_at: d
                .started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
    }

    /// Answers a refused delivery with `error`, logged and recorded.
    fn refuse(&self, d: &Delivery, error: ApiError) -> Response {
        let reason = error
            .details()
            .and_then(|v| v.get("reason"))
            .and_then(Value::as_str)
            .unwrap_or("");
        tracing::warn!(
            webhook = self.spec.path,
            action = self.spec.action.name,
            code = error.code(),
            reason,
            "webhook delivery refused"
        );
        self.record(d, Some(&error));
        render(&error, d.trace_id.as_str())
    }
}

impl<I, O, E, Fut, H, D> Mounted<D, H>
where
    I: Validate + Clone + Send + 'static,
    O: Serialize + Send + 'static,
    E: Into<ApiError> + Send + 'static,
    Fut: Future<Output = Result<O, E>> + Send + 'static,
    H: Fn(ActionContext, I) -> Fut + Clone + Send + Sync + 'static,
    D: Fn(Value) -> Result<I, ApiError> + Clone + Send + Sync + 'static,
{
    async fn deliver(&self, req: Request) -> Response {
        let (parts, body) = req.into_parts();
        let d = Delivery {
            trace_id: crate::trace::current_request()
                .map(|(id, _)| id)
                .unwrap_or_else(|| TraceId::from_headers(&parts.headers)),
            started: Instant::now(),
            started_at: chrono::Utc::now(),
        };
        let Some(secrets) = &self.secrets else {
            return self.refuse(
                &d,
                ApiError::framework(
                    StatusCode::SERVICE_UNAVAILABLE,
                    codes::UNAVAILABLE,
                    "This webhook has no secret configured, so it accepts no delivery.",
                ),
            );
        };
        let limit = self.spec.body_limit.unwrap_or(self.rt.config().body_limit);
        let body: Bytes = match http_body_util::Limited::new(body, limit).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return self.refuse(
                    &d,
                    ApiError::framework(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        codes::PAYLOAD_TOO_LARGE,
                        format!(
                            "The webhook body is larger than this webhook's limit of {limit} bytes."
                        ),
                    ),
                );
            }
            Err(_) => {
                return self.refuse(
                    &d,
                    ApiError::framework(
                        StatusCode::BAD_REQUEST,
                        codes::MALFORMED_JSON,
                        "The webhook body could not be read.",
                    ),
                );
            }
        };
        let now = chrono::Utc::now();
        let verified = match verify(
            &self.spec.scheme,
            secrets,
            &parts.headers,
            &body,
            now.timestamp(),
        ) {
            Ok(v) => v,
            Err(rejection) => {
                return self.refuse(
                    &d,
                    ApiError::unauthorized(rejection.message())
                        .with_details(serde_json::json!({ "reason": rejection.reason() })),
                );
            }
        };
        let store = match self.rt.webhooks().store(&self.rt).await {
            Ok(s) => s,
            Err(e) => {
                return self.refuse(&d, ApiError::internal(format_args!("webhook store: {e}")));
            }
        };
        let now_ms = now.timestamp_millis();
        self.maybe_prune(&store, now_ms);
        let id = verified.delivery_id;
        let stale_before = now_ms - PROCESSING_LEASE.as_millis() as i64;
        match store.claim(self.spec.path, &id, now_ms, stale_before).await {
            Err(e) => {
                return self.refuse(&d, ApiError::internal(format_args!("webhook store: {e}")));
            }
            Ok(Claim::Duplicate) => {
                tracing::info!(webhook = self.spec.path, delivery_id = %id, "duplicate webhook delivery acknowledged");
                return json(
                    StatusCode::OK,
                    &serde_json::json!({ "duplicate": true, "delivery_id": id }),
                );
            }
            Ok(Claim::InProgress) => {
                let err = ApiError::framework(
                    StatusCode::CONFLICT,
                    DELIVERY_IN_PROGRESS,
                    "This delivery is being processed by another request: retry later.",
                )
                .with_header(header::RETRY_AFTER, HeaderValue::from_static("60"));
                return self.refuse(&d, err);
            }
            Ok(Claim::New) => {}
        }
        let outcome = match self.spec.mode {
            Mode::Sync => self.run(&parts, &d, body).await,
            Mode::Queue { job_kind } => self.enqueue(&d, job_kind, &id, &body).await,
        };
        match &outcome {
            Ok(_) => {
                if let Err(e) = store
                    .complete(self.spec.path, &id, chrono::Utc::now().timestamp_millis())
                    .await
                {
                    tracing::error!(webhook = self.spec.path, error = %e, "could not mark a webhook delivery done; a retry of it will run again");
                }
            }
            Err(_) => {
                if let Err(e) = store.release(self.spec.path, &id).await {
                    tracing::error!(webhook = self.spec.path, error = %e, "could not release a failed webhook delivery; its retry waits for the processing lease");
                }
            }
        }
        match outcome {
            Ok(res) => res,
            Err(res) => res,
        }
    }

    /// Runs the action through the pipeline; `Err` carries the failure's
    /// response (the pipeline has recorded the run).
    async fn run(&self, parts: &Parts, d: &Delivery, body: Bytes) -> Result<Response, Response> {
        let inv = Invocation {
            trace_id: d.trace_id.clone(),
            trigger: TriggerKind::Webhook,
            session: None,
            ip: client_ip(&self.rt, parts),
            headers: parts.headers.clone(),
        };
        let decode = self.decode.clone();
        let result = self
            .spec
            .action
            .run(
                &self.rt,
                inv,
                move || decode(crate::http::decode_json::<Value>(&body)?),
                self.handler.clone(),
            )
            .await;
        match result {
            Ok(output) => match serde_json::to_value(&output) {
                Ok(Value::Null) => Ok(StatusCode::NO_CONTENT.into_response()),
                Ok(value) => Ok(json(StatusCode::OK, &value)),
                Err(e) => Err(render(
                    &ApiError::internal(format_args!(
                        "{}: output does not serialise: {e}",
                        self.spec.action.name
                    )),
                    d.trace_id.as_str(),
                )),
            },
            Err(e) => Err(render(&e, d.trace_id.as_str())),
        }
    }

    /// Decodes and validates the body, then enqueues it; 202 on success.
    async fn enqueue(
        &self,
        d: &Delivery,
        job_kind: &'static str,
        id: &str,
        body: &[u8],
    ) -> Result<Response, Response> {
        let payload = crate::http::decode_json::<Value>(body).map_err(|e| self.refuse(d, e))?;
        let input = (self.decode)(payload.clone()).map_err(|e| self.refuse(d, e))?;
        input.validate().map_err(|e| self.refuse(d, e))?;
        let Some(queue) = self.rt.webhooks().queue.get() else {
            return Err(self.refuse(
                d,
                ApiError::internal(WebhookError::NoQueue {
                    path: self.spec.path,
                }),
            ));
        };
        let job = WebhookJob {
            action: self.spec.action.name,
            job_kind,
            payload,
            unique_key: format!("webhook:{}:{id}", self.spec.path),
            trace_id: d.trace_id.clone(),
        };
        queue.enqueue(job).await.map_err(|e| self.refuse(d, e))?;
        self.record(d, None);
        Ok(json(
            StatusCode::ACCEPTED,
            &serde_json::json!({ "enqueued": true, "delivery_id": id }),
        ))
    }

    /// Starts a prune of old delivery ids when one is due (at most once
    /// per [`super::store::PRUNE_EVERY`]), off the delivery's path.
    fn maybe_prune(&self, store: &Arc<dyn DeliveryStore>, now_ms: i64) {
        if !self.rt.webhooks().prune.due(now_ms) {
            return;
        }
        let store = store.clone();
        let before = now_ms - DELIVERY_RETENTION.as_millis() as i64;
        tokio::spawn(async move {
            match store.prune(before).await {
                Ok(n) => tracing::debug!(pruned = n, "pruned old webhook deliveries"),
                Err(e) => tracing::warn!(error = %e, "pruning webhook deliveries failed"),
            }
        });
    }
}

/// A JSON response.
fn json(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(value).unwrap_or_default(),
    )
        .into_response()
}

/// The client address: the first `X-Forwarded-For` hop when `TRUST_PROXY`
/// is on, else the connection's peer (as [`crate::HttpRequest::ip`]).
fn client_ip(rt: &Runtime, parts: &Parts) -> Option<IpAddr> {
    let forwarded = rt
        .config()
        .trust_proxy
        .then(|| {
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok())
        })
        .flatten();
    forwarded.or_else(|| {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    })
}
