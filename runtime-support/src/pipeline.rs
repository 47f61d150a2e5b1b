//! The one pipeline every action runs, whatever the trigger: context, guards, validation, handler with retries, run record.
//!
//! Generated code declares one `static` [`ActionSpec`] per action and calls
//! [`ActionSpec::run_http`] from its route (or [`ActionSpec::run_event`]
//! from an event subscription, [`ActionSpec::run`] from anything else).

use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::FutureExt as _;
use serde::Serialize;
use tracing::Instrument as _;

use crate::context::{ActionContext, Effects, TriggerKind};
use crate::events::EventDelivery;
use crate::guard::{GuardRequest, GuardSpec, run_guards};
use crate::http::HttpRequest;
use crate::runs::{RunRecord, RunStatus};
use crate::session::Session;
use crate::validate::Validate;
use crate::{ApiError, Runtime, TraceId};

/// Backoff between retries (mirrors the IR's `Backoff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backoff {
    /// `base * 2^(n-1)` before retry n, capped at `max`.
    Exponential,
    /// `base` before every retry, capped at `max`.
    Fixed,
}

/// How often and how patiently a handler is retried (mirrors the IR's
/// `RetryPolicy`). Only retryable errors ([`ApiError::is_retryable`]) are
/// retried: declared contract errors and 4xx never are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total tries including the first; 0 is treated as 1.
    pub attempts: u32,
    /// Backoff shape.
    pub backoff: Backoff,
    /// First delay in milliseconds.
    pub base_ms: u64,
    /// Cap on any delay in milliseconds.
    pub max_ms: u64,
}

impl RetryPolicy {
    /// One try, no retry (the contract default).
    pub const NONE: RetryPolicy = RetryPolicy {
        attempts: 1,
        backoff: Backoff::Exponential,
        base_ms: 1_000,
        max_ms: 30_000,
    };

    /// The delay before the try after failed attempt `failed` (1-based).
    pub fn delay_after(&self, failed: u32) -> Duration {
        let ms = match self.backoff {
            Backoff::Fixed => self.base_ms,
            Backoff::Exponential => {
                let shift = failed.saturating_sub(1).min(62);
                self.base_ms.saturating_mul(1u64 << shift)
            }
        };
        Duration::from_millis(ms.min(self.max_ms))
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::NONE
    }
}

/// One action's static description, declared by generated code:
///
/// ```
/// # use bunbase_runtime::{ActionSpec, GuardSpec, RetryPolicy};
/// static CREATE_TASK: ActionSpec = ActionSpec {
///     name: "tasks.create_task",
///     guards: &[GuardSpec::Authenticated],
///     retry: RetryPolicy::NONE,
/// };
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ActionSpec {
    /// Full name `module.action`.
    pub name: &'static str,
    /// Guards in run order (module guards first).
    pub guards: &'static [GuardSpec],
    /// Retry policy of the handler.
    pub retry: RetryPolicy,
}

/// Who and what started a run, for triggers other than HTTP (which builds
/// it from the request).
#[derive(Debug, Clone)]
pub struct Invocation {
    /// Trace id to run under.
    pub trace_id: TraceId,
    /// The trigger kind.
    pub trigger: TriggerKind,
    /// The verified session, if any.
    pub session: Option<Session>,
    /// Client address, if known.
    pub ip: Option<IpAddr>,
    /// Request headers (empty when not HTTP).
    pub headers: HeaderMap,
}

impl Invocation {
    /// An invocation with a fresh trace id, no session and no headers.
    pub fn new(trigger: TriggerKind) -> Self {
        Invocation {
            trace_id: TraceId::generate(),
            trigger,
            session: None,
            ip: None,
            headers: HeaderMap::new(),
        }
    }
}

/// How [`ActionSpec::execute`] runs the handler: by the action's retry
/// policy, or (a job) one attempt numbered by the queue, whose own retries
/// and backoff replace the in-process ones.
#[derive(Default)]
pub(crate) struct RunMode {
    /// Run exactly one attempt with this number.
    single_attempt: Option<u32>,
    /// Skip the guards (an internal trigger).
    skip_guards: bool,
    /// The job's claim, reachable from the handler's context.
    job: Option<crate::jobs::JobLease>,
}

/// The output of a successful run, with the response headers the handler
/// asked for.
pub(crate) struct Success<O> {
    output: O,
    headers: Vec<(axum::http::HeaderName, axum::http::HeaderValue)>,
}

impl ActionSpec {
    /// Runs the action for an HTTP request and renders the response:
    /// `status` with the JSON output (no body for 204), or the error
    /// envelope. `decode` builds the input from the request (see
    /// [`HttpRequest::json`], [`HttpRequest::params`]); it runs after the
    /// guards, so an anonymous caller gets 401 before any 400.
    pub async fn run_http<I, O, E, Fut, H>(
        &self,
        rt: &Runtime,
        req: HttpRequest,
        status: u16,
        decode: impl FnOnce(&HttpRequest) -> Result<I, ApiError> + Send,
        handler: H,
    ) -> Response
    where
        I: Validate + Clone + Send,
        O: Serialize + Send,
        E: Into<ApiError> + Send,
        Fut: Future<Output = Result<O, E>> + Send,
        H: Fn(ActionContext, I) -> Fut + Send + Sync,
    {
        let session = rt.sessions().from_headers(req.headers());
        let inv = Invocation {
            trace_id: req.trace_id().clone(),
            trigger: TriggerKind::Http,
            session,
            ip: req.ip(),
            // The guards read the request's own headers (no copy).
            headers: HeaderMap::new(),
        };
        let trace_id = inv.trace_id.clone();
        let result = self
            .execute(
                rt,
                inv,
                req.headers(),
                || decode(&req),
                handler,
                RunMode::default(),
            )
            .await;
        match result {
            Ok(success) => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                let mut res = if status == StatusCode::NO_CONTENT {
                    status.into_response()
                } else {
                    match serde_json::to_vec(&success.output) {
                        Ok(body) => (
                            status,
                            [(axum::http::header::CONTENT_TYPE, "application/json")],
                            body,
                        )
                            .into_response(),
                        Err(e) => {
                            return crate::error::render(
                                &ApiError::internal(format_args!(
                                    "{}: output does not serialise: {e}",
                                    self.name
                                )),
                                trace_id.as_str(),
                            );
                        }
                    }
                };
                for (name, value) in success.headers {
                    res.headers_mut().append(name, value);
                }
                res
            }
            Err(err) => crate::error::render(&err, trace_id.as_str()),
        }
    }

    /// Runs the action for an event delivery: `decode` turns the payload
    /// into the input type (its errors are validation failures; generated
    /// code passes the input's decoder, anything else can pass
    /// [`crate::http::decode_value`]) and the action runs with trigger
    /// `event`, the emitter's trace id and session. A durable delivery (one
    /// carried by a job) runs as [`ActionSpec::run_job`]: one attempt, the
    /// queue retries.
    pub async fn run_event<I, O, E, Fut, H>(
        &self,
        rt: &Runtime,
        delivery: EventDelivery,
        decode: impl FnOnce(serde_json::Value) -> Result<I, ApiError> + Send,
        handler: H,
    ) -> Result<O, ApiError>
    where
        I: Validate + Clone + Send,
        O: Send,
        E: Into<ApiError> + Send,
        Fut: Future<Output = Result<O, E>> + Send,
        H: Fn(ActionContext, I) -> Fut + Send + Sync,
    {
        if let Some(job) = delivery.job {
            return self.run_job(rt, job, decode, handler).await;
        }
        let inv = Invocation {
            trace_id: delivery.trace_id,
            trigger: TriggerKind::Event,
            session: delivery.session,
            ip: None,
            headers: HeaderMap::new(),
        };
        let payload = delivery.payload;
        self.run(rt, inv, move || decode(payload), handler).await
    }

    /// Runs the action for any trigger: guards, `input` (decode), validation,
    /// the handler with retries, events, run record. Returns the output or
    /// the error that answers.
    pub async fn run<I, O, E, Fut, H>(
        &self,
        rt: &Runtime,
        mut inv: Invocation,
        input: impl FnOnce() -> Result<I, ApiError> + Send,
        handler: H,
    ) -> Result<O, ApiError>
    where
        I: Validate + Clone + Send,
        O: Send,
        E: Into<ApiError> + Send,
        Fut: Future<Output = Result<O, E>> + Send,
        H: Fn(ActionContext, I) -> Fut + Send + Sync,
    {
        let headers = std::mem::take(&mut inv.headers);
        self.execute(rt, inv, &headers, input, handler, RunMode::default())
            .await
            .map(|s| s.output)
    }

    /// Runs the action for a claimed job (queue, cron or durable event):
    /// the enqueuer's trace id and session, the guards unless the job's
    /// kind is internal, `decode` of the payload, validation, and **one**
    /// handler attempt numbered by the queue (`ctx.attempt` is the job's
    /// attempt; the queue retries with its own backoff). The run is
    /// recorded with the job's trigger kind. The handler reaches the claim
    /// through [`ActionContext::job`], to complete the job inside its own
    /// transaction.
    pub async fn run_job<I, O, E, Fut, H>(
        &self,
        rt: &Runtime,
        job: crate::jobs::JobRun,
        decode: impl FnOnce(serde_json::Value) -> Result<I, ApiError> + Send,
        handler: H,
    ) -> Result<O, ApiError>
    where
        I: Validate + Clone + Send,
        O: Send,
        E: Into<ApiError> + Send,
        Fut: Future<Output = Result<O, E>> + Send,
        H: Fn(ActionContext, I) -> Fut + Send + Sync,
    {
        let inv = Invocation {
            trace_id: job.trace_id,
            trigger: job.trigger,
            session: job.session,
            ip: None,
            headers: HeaderMap::new(),
        };
        let mode = RunMode {
            single_attempt: Some(job.attempt),
            skip_guards: job.internal,
            job: Some(job.lease),
        };
        let payload = job.payload;
        self.execute(
            rt,
            inv,
            &HeaderMap::new(),
            move || decode(payload),
            handler,
            mode,
        )
        .await
        .map(|s| s.output)
    }

    async fn execute<I, O, E, Fut, H>(
        &self,
        rt: &Runtime,
        inv: Invocation,
        headers: &HeaderMap,
        input: impl FnOnce() -> Result<I, ApiError> + Send,
        handler: H,
        mode: RunMode,
    ) -> Result<Success<O>, ApiError>
    where
        I: Validate + Clone + Send,
        O: Send,
        E: Into<ApiError> + Send,
        Fut: Future<Output = Result<O, E>> + Send,
        H: Fn(ActionContext, I) -> Fut + Send + Sync,
    {
        // Detail for `RUST_LOG=debug`: at `info` no span is created, and the
        // log lines carry the trace id and action through the task's scope
        // (`crate::logging`).
        let span = tracing::debug_span!(
            "action",
            action = self.name,
            trigger = inv.trigger.as_str(),
            attempt = tracing::field::Empty,
        );
        let id = inv.trace_id.clone();
        let run = self.execute_in_scope(rt, inv, headers, input, handler, span, mode);
        if crate::trace::claim_scope(&id, self.name) {
            run.await
        } else {
            crate::trace::with_action(id, self.name, run).await
        }
    }

    /// [`Self::execute`] inside the action's log scope: the attempts, the
    /// outcome's log line and the run record.
    // The run's parts travel separately so each attempt borrows only what it needs.
    #[allow(clippy::too_many_arguments)]
    async fn execute_in_scope<I, O, E, Fut, H>(
        &self,
        rt: &Runtime,
        inv: Invocation,
        headers: &HeaderMap,
        input: impl FnOnce() -> Result<I, ApiError> + Send,
        handler: H,
        span: tracing::Span,
        mode: RunMode,
    ) -> Result<Success<O>, ApiError>
    where
        I: Validate + Clone + Send,
        O: Send,
        E: Into<ApiError> + Send,
        Fut: Future<Output = Result<O, E>> + Send,
        H: Fn(ActionContext, I) -> Fut + Send + Sync,
    {
        let started = Instant::now();
        let started_at = chrono::Utc::now();
        let trace_id = inv.trace_id.clone();
        let trigger = inv.trigger;
        let (result, attempts) = self
            .attempt_all(rt, inv, headers, input, handler, span.clone(), mode)
            .instrument(span.clone())
            .await;
        let duration = started.elapsed();
        {
            let _e = span.enter();
            match &result {
                // Success is the common case and is in the run history
                // already: at info it would cost every request a log line.
                Ok(_) => tracing::debug!(
                    duration_ms = duration.as_millis() as u64,
                    attempts,
                    "action succeeded"
                ),
                Err(e) if e.status().is_server_error() => {
                    tracing::error!(
                        duration_ms = duration.as_millis() as u64,
                        attempts,
                        code = e.code(),
                        "action failed"
                    )
                }
                Err(e) => tracing::info!(
                    duration_ms = duration.as_millis() as u64,
                    attempts,
                    code = e.code(),
                    "action denied"
                ),
            }
        }
        crate::observe::on_run(
            rt,
            self.name,
            trigger,
            result.as_ref().map(|_| ()),
            duration,
            attempts,
        );
        let status = if result.is_ok() {
            RunStatus::Ok
        } else {
            RunStatus::Error
        };
        rt.runs().record_with(status, || RunRecord {
            id: uuid::Uuid::now_v7().to_string(),
            action: self.name.to_owned(),
            trigger: trigger.as_str().to_owned(),
            status,
            error_code: result.as_ref().err().map(|e| e.code().to_owned()),
            duration_ms: duration.as_millis().min(i64::MAX as u128) as i64,
            attempt: i64::from(attempts),
            trace_id: trace_id.to_string(),
            started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
        result
    }

    /// Guards, decode, validation, then the handler with retries. Returns the
    /// result and the number of attempts made (0 when the handler never ran).
    // The run's parts travel separately so each attempt borrows only what it needs.
    #[allow(clippy::too_many_arguments)]
    async fn attempt_all<I, O, E, Fut, H>(
        &self,
        rt: &Runtime,
        inv: Invocation,
        headers: &HeaderMap,
        input: impl FnOnce() -> Result<I, ApiError> + Send,
        handler: H,
        span: tracing::Span,
        mode: RunMode,
    ) -> (Result<Success<O>, ApiError>, u32)
    where
        I: Validate + Clone + Send,
        O: Send,
        E: Into<ApiError> + Send,
        Fut: Future<Output = Result<O, E>> + Send,
        H: Fn(ActionContext, I) -> Fut + Send + Sync,
    {
        let guard_req = GuardRequest {
            action: self.name,
            trigger: inv.trigger,
            trace_id: &inv.trace_id,
            session: inv.session.as_ref(),
            ip: inv.ip,
            headers,
            db: rt.db(),
        };
        if !mode.skip_guards
            && let Err(e) = run_guards(rt, self.guards, &guard_req).await
        {
            crate::observe::on_guard_denied(rt, self.name, inv.trigger, &e);
            return (Err(e), 0);
        }
        let input = match input() {
            Ok(i) => i,
            Err(e) => return (Err(e), 0),
        };
        if let Err(e) = input.validate() {
            return (Err(e), 0);
        }
        if let Some(n) = mode.single_attempt {
            let result = self
                .attempt(rt, &inv, &handler, input, n, &span, mode.job)
                .await;
            return (result, n);
        }
        let max = self.retry.attempts.max(1);
        let mut attempt = 1;
        loop {
            // The last attempt takes the input itself; earlier ones a copy,
            // kept for the retry (one-attempt actions never copy it).
            if attempt >= max {
                let result = self
                    .attempt(rt, &inv, &handler, input, attempt, &span, None)
                    .await;
                return (result, attempt);
            }
            let err = match self
                .attempt(rt, &inv, &handler, input.clone(), attempt, &span, None)
                .await
            {
                Ok(success) => return (Ok(success), attempt),
                Err(err) if !err.is_retryable() => return (Err(err), attempt),
                Err(err) => err,
            };
            let delay = self.retry.delay_after(attempt);
            tracing::warn!(
                attempt,
                code = err.code(),
                delay_ms = delay.as_millis() as u64,
                "attempt failed; retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One try of the handler with a fresh context; on success, publishes
    /// the events it emitted and returns the headers it set. A panic
    /// becomes `internal`.
    // The run's parts travel separately so each attempt borrows only what it needs.
    #[allow(clippy::too_many_arguments)]
    async fn attempt<I, O, E, Fut, H>(
        &self,
        rt: &Runtime,
        inv: &Invocation,
        handler: &H,
        input: I,
        attempt: u32,
        span: &tracing::Span,
        job: Option<crate::jobs::JobLease>,
    ) -> Result<Success<O>, ApiError>
    where
        E: Into<ApiError>,
        Fut: Future<Output = Result<O, E>>,
        H: Fn(ActionContext, I) -> Fut,
    {
        span.record("attempt", attempt);
        let effects = Arc::new(Mutex::new(Effects::default()));
        let ctx = ActionContext {
            trace_id: inv.trace_id.clone(),
            db: rt.db().clone(),
            attempt,
            action: self.name,
            trigger: inv.trigger,
            span: span.clone(),
            session: inv.session.clone(),
            runtime: rt.clone(),
            effects: effects.clone(),
            job,
        };
        match AssertUnwindSafe(handler(ctx, input)).catch_unwind().await {
            Ok(Ok(output)) => {
                let effects =
                    std::mem::take(&mut *effects.lock().unwrap_or_else(|p| p.into_inner()));
                for (event, payload) in effects.events {
                    rt.events()
                        .emit(rt, event, payload, &inv.trace_id, inv.session.as_ref())
                        .await;
                }
                Ok(Success {
                    output,
                    headers: effects.headers,
                })
            }
            Ok(Err(e)) => Err(e.into()),
            Err(panic) => Err(ApiError::internal(format_args!(
                "handler panicked: {}",
                panic_message(&panic)
            ))),
        }
    }
}

/// The text of a panic payload.
pub(crate) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}
