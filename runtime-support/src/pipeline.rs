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

use crate::auth::guard::{GuardOutcome, GuardRequest, GuardSpec, run_guards};
use crate::auth::idempotency::{Begin, Claimed, IdempotentRequest};
use crate::auth::session::AuthMethod;
use crate::context::{ActionContext, Effects, TriggerKind};
use crate::events::EventDelivery;
use crate::heads::Present;
use crate::http::HttpRequest;
use crate::runs::{FinishedRun, RunStatus};
use crate::session::Session;
use crate::validate::Validate;
use crate::{ApiError, Runtime, TraceId};

mod answer;
pub(crate) mod erase;

use erase::{AnyInput, AnyOutput};

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

/// The output of a successful run, with the response headers the handler
/// and the guards asked for.
pub(crate) struct Success<O> {
    output: O,
    headers: Vec<(axum::http::HeaderName, axum::http::HeaderValue)>,
}

/// How a run ended well: the handler ran, or an idempotent retry is
/// answered with the stored response.
pub(crate) enum Outcome<O> {
    Ran(Success<O>),
    Replayed {
        status: u16,
        body: String,
        headers: Vec<(axum::http::HeaderName, axum::http::HeaderValue)>,
    },
}

impl<O> Outcome<O> {
    /// The output of a run that is not an HTTP request (only HTTP
    /// invocations carry idempotency keys, so nothing else is replayed).
    fn into_output(self) -> Result<O, ApiError> {
        match self {
            Outcome::Ran(s) => Ok(s.output),
            Outcome::Replayed { .. } => Err(ApiError::internal(
                "an idempotent replay reached a non-HTTP invocation",
            )),
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

/// What a run reads besides the invocation: the request headers (empty
/// when not HTTP) and the HTTP-only parts.
#[derive(Clone, Copy)]
pub(crate) struct Call<'a> {
    headers: &'a HeaderMap,
    http: Option<&'a HttpParts<'a>>,
}

/// What only an HTTP invocation has: the route's parameters, and the
/// idempotency key with the slot its claim is kept in while the action runs.
pub(crate) struct HttpParts<'a> {
    path_params: &'a [(String, String)],
    query: &'a str,
    body: &'a [u8],
    idempotent: Option<&'a IdempotentRequest>,
    claim: &'a Mutex<Option<Claimed>>,
}

/// An invocation as a run carries it: the session behind an `Arc`, so
/// that each attempt's context copies a pointer, not the principal's
/// strings, and without the headers (a run reads them through [`Call`]):
/// a fraction of an [`Invocation`]'s size in every future that holds it.
struct Shared {
    trace_id: TraceId,
    trigger: TriggerKind,
    session: Option<Arc<Session>>,
    ip: Option<IpAddr>,
    /// When the run started: an HTTP request's arrival (read once by the
    /// request layer), otherwise when the pipeline was called.
    started: Instant,
}

impl From<Invocation> for Shared {
    fn from(inv: Invocation) -> Self {
        Shared {
            trace_id: inv.trace_id,
            trigger: inv.trigger,
            session: inv.session.map(Arc::new),
            ip: inv.ip,
            started: Instant::now(),
        }
    }
}

/// The idempotency caller of a run: the API key, the user, or the client
/// address.
fn caller_of(run: &Shared) -> String {
    match run.session.as_deref() {
        Some(s) if s.via == AuthMethod::ApiKey => format!("key:{}", s.id),
        Some(s) => format!("user:{}", s.principal.user_id),
        None => format!(
            "ip:{}",
            run.ip
                .map(|ip| ip.to_string())
                .unwrap_or_else(|| "unknown".into())
        ),
    }
}

fn json_response(
    status: StatusCode,
    body: Vec<u8>,
    headers: Vec<(axum::http::HeaderName, axum::http::HeaderValue)>,
) -> Response {
    let mut res = if status == StatusCode::NO_CONTENT {
        status.into_response()
    } else {
        // Built directly: `(status, [content type], body).into_response()`
        // inserts `application/octet-stream` for the body first and then
        // replaces it, two header insertions for one.
        let mut res = Response::new(axum::body::Body::from(body));
        *res.status_mut() = status;
        res.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        );
        res
    };
    for (name, value) in headers {
        res.headers_mut().append(name, value);
    }
    res
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
        I: Validate + Clone + Send + 'static,
        O: Serialize + Send + 'static,
        E: Into<ApiError> + Send,
        Fut: Future<Output = Result<O, E>> + Send,
        H: Fn(ActionContext, I) -> Fut + Send + Sync,
    {
        let handler = erase::handler(&handler);
        let mut read = erase::read(|| decode(&req));
        self.serve_http(rt, &req, status, &mut read, &handler, erase::to_json::<O>)
            .await
    }

    /// [`Self::run_http`] with the action's types erased: compiled once,
    /// not once per action.
    pub(crate) async fn serve_http(
        &self,
        rt: &Runtime,
        req: &HttpRequest,
        status: u16,
        decode: &mut erase::Read<'_>,
        handler: &erase::Handler<'_>,
        to_json: answer::ToJson,
    ) -> Response {
        let trace_id = req.trace_id();
        let render = |err: &ApiError| crate::error::render(err, trace_id.as_str());
        // The optional headers read below, as the request layer found them:
        // a lookup runs only for one the request carries.
        let present = req.present();
        let auth = rt.auth();
        // CSRF: a mutating request carrying the session cookie must come
        // from an allowed origin (API keys and cookie-less calls pass).
        // Without `Sec-Fetch-Site` or `Origin` it is a program's call and
        // passes; only when the origin check fails is the `Cookie` header
        // searched for the session cookie.
        if present.any(Present::SEC_FETCH_SITE | Present::ORIGIN)
            && let Err(e) = crate::auth::csrf::check(
                req.method(),
                req.headers(),
                &auth.options().trusted_origins,
            )
            && auth.cookies().cookie_values(req.headers()).next().is_some()
        {
            return render(&e);
        }
        let token = if present.any(Present::AUTHORIZATION | Present::API_KEY) {
            crate::auth::apikey::token_from_headers(req.headers())
        } else {
            None
        };
        // Sessions and principals in the caches: decided without a future;
        // otherwise the store is read, boxed off this request's future.
        let (session, renew) = match auth.authenticate_cached(req.headers(), token, req.arrived()) {
            Some(session) => (session, None),
            None => match Box::pin(auth.authenticate_with(req.headers(), token)).await {
                Ok(Some(a)) => (Some(Arc::new(a.session)), a.renew),
                Ok(None) => (None, None),
                Err(e) => return render(&e),
            },
        };
        let idempotent = if present.any(Present::IDEMPOTENCY_KEY) {
            match IdempotentRequest::from_parts(req.method(), req.uri(), req.headers(), req.body())
            {
                Ok(i) => i,
                Err(e) => return render(&e),
            }
        } else {
            None
        };
        let claim = Mutex::new(None);
        let http = HttpParts {
            path_params: req.path_params(),
            query: req.uri().query().unwrap_or(""),
            body: req.body(),
            idempotent: idempotent.as_ref(),
            claim: &claim,
        };
        // The guards read the request's own headers (`Call`), not a copy.
        let inv = Shared {
            trace_id: trace_id.clone(),
            trigger: TriggerKind::Http,
            session,
            ip: req.ip(),
            started: req.arrived(),
        };
        let result = self
            .execute(
                rt,
                inv,
                Call {
                    headers: req.headers(),
                    http: Some(&http),
                },
                decode,
                handler,
                RunMode::default(),
            )
            .await;
        // The run is over: the claim is taken without locking.
        let claimed = claim.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut res = match claimed {
            None => answer::answer(self.name, result, status, to_json, trace_id.as_str()),
            Some(claimed) => {
                answer::answer_claimed(
                    auth.idempotency(),
                    claimed,
                    self.name,
                    result,
                    status,
                    to_json,
                    trace_id.as_str(),
                )
                .await
            }
        };
        if let Some(cookie) = renew
            && let Ok(v) = axum::http::HeaderValue::from_str(cookie.as_str())
        {
            res.headers_mut().append(axum::http::header::SET_COOKIE, v);
        }
        res
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
        I: Validate + Clone + Send + 'static,
        O: Send + 'static,
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
        I: Validate + Clone + Send + 'static,
        O: Send + 'static,
        E: Into<ApiError> + Send,
        Fut: Future<Output = Result<O, E>> + Send,
        H: Fn(ActionContext, I) -> Fut + Send + Sync,
    {
        let headers = std::mem::take(&mut inv.headers);
        let call = Call {
            headers: &headers,
            http: None,
        };
        self.run_typed(rt, inv, call, input, handler, RunMode::default())
            .await
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
        I: Validate + Clone + Send + 'static,
        O: Send + 'static,
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
        let headers = HeaderMap::new();
        let call = Call {
            headers: &headers,
            http: None,
        };
        self.run_typed(rt, inv, call, move || decode(payload), handler, mode)
            .await
    }

    /// [`Self::execute`] of a run that is not an HTTP request, with the
    /// action's types erased on the way in and its output taken back by
    /// type.
    async fn run_typed<I, O, E, Fut, H>(
        &self,
        rt: &Runtime,
        inv: Invocation,
        call: Call<'_>,
        input: impl FnOnce() -> Result<I, ApiError> + Send,
        handler: H,
        mode: RunMode,
    ) -> Result<O, ApiError>
    where
        I: Validate + Clone + Send + 'static,
        O: Send + 'static,
        E: Into<ApiError> + Send,
        Fut: Future<Output = Result<O, E>> + Send,
        H: Fn(ActionContext, I) -> Fut + Send + Sync,
    {
        let handler = erase::handler(&handler);
        let outcome = self
            .execute(
                rt,
                inv.into(),
                call,
                &mut erase::read(input),
                &handler,
                mode,
            )
            .await?;
        erase::output(outcome.into_output()?)
    }

    async fn execute(
        &self,
        rt: &Runtime,
        inv: Shared,
        call: Call<'_>,
        input: &mut erase::Read<'_>,
        handler: &erase::Handler<'_>,
        mode: RunMode,
    ) -> Result<Outcome<AnyOutput>, ApiError> {
        // Detail for `RUST_LOG=debug`: at `info` no span is created, and the
        // log lines carry the trace id and action through the task's scope
        // (`crate::logging`).
        let span = tracing::debug_span!(
            "action",
            action = self.name,
            trigger = inv.trigger.as_str(),
            attempt = tracing::field::Empty,
        );
        // A request's run names its action in the request's scope; any
        // other run gets a scope of its own, with a copy of the trace id.
        let own_scope =
            (!crate::trace::claim_scope(&inv.trace_id, self.name)).then(|| inv.trace_id.clone());
        // On the heap: the run's future holds the attempts' and the run
        // record's state (about a kilobyte); boxed here, the layers above
        // it (the log scope, the route's service) move a pointer instead
        // of copying it at every level.
        let run = Box::pin(self.execute_in_scope(rt, inv, call, input, handler, span, mode));
        match own_scope {
            None => run.await,
            Some(id) => crate::trace::with_action(id, self.name, run).await,
        }
    }

    /// [`Self::execute`] inside the action's log scope: the attempts, the
    /// outcome's log line and the run record.
    // Same parts as `attempt_all`, plus the span the attempts run in.
    #[allow(clippy::too_many_arguments)]
    #[allow(clippy::manual_async_fn)] // On purpose: see the body's first comment.
    fn execute_in_scope(
        &self,
        rt: &Runtime,
        inv: Shared,
        call: Call<'_>,
        input: &mut erase::Read<'_>,
        handler: &erase::Handler<'_>,
        span: tracing::Span,
        mode: RunMode,
    ) -> impl Future<Output = Result<Outcome<AnyOutput>, ApiError>> {
        // An `async` block, not an `async fn`: an `async fn` moves each
        // argument into a local of its own at the start, so the future
        // keeps two copies of each (the invocation and the span among
        // them); the block uses what it captured.
        async move {
            let started = inv.started;
            let trigger = inv.trigger;
            let (result, attempts) = self
                .attempt_all(rt, &inv, call, input, handler, &span, mode)
                .instrument(span.clone())
                .await;
            // How long the run took is read from the clock only when something
            // uses it: a log line that is written, metrics, a stored run. A
            // success at the default level and history setting reads no clock
            // here (its arrival was read once, by the request layer).
            {
                let _e = span.enter();
                match &result {
                    // Success is the common case and is in the run history
                    // already: at info it would cost every request a log line.
                    Ok(_) => tracing::debug!(
                        duration_ms = started.elapsed().as_millis() as u64,
                        attempts,
                        "action succeeded"
                    ),
                    Err(e) if e.status().is_server_error() => {
                        tracing::error!(
                            duration_ms = started.elapsed().as_millis() as u64,
                            attempts,
                            code = e.code(),
                            "action failed"
                        )
                    }
                    Err(e) => tracing::info!(
                        duration_ms = started.elapsed().as_millis() as u64,
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
                started,
                attempts,
            );
            let status = if result.is_ok() {
                RunStatus::Ok
            } else {
                RunStatus::Error
            };
            // The run's id is made only when it is stored (`RUN_HISTORY`), and
            // its duration and wall-clock start (the time it ended, less how
            // long it took) are read then.
            rt.runs().finish_with(self.name, status, started, || {
                let duration = started.elapsed();
                FinishedRun {
                    id: uuid::Uuid::now_v7(),
                    action: self.name,
                    trigger: trigger.as_str(),
                    status,
                    error_code: result.as_ref().err().map(|e| e.code().into()),
                    duration_ms: duration.as_millis().min(i64::MAX as u128) as i64,
                    attempt: i64::from(attempts),
                    trace_id: inv.trace_id.clone(),
                    started_at: chrono::Utc::now()
                        - chrono::TimeDelta::from_std(duration).unwrap_or(chrono::TimeDelta::MAX),
                }
            });
            result
        }
    }

    /// Guards, decode, validation, then the handler with retries. Returns the
    /// result and the number of attempts made (0 when the handler never ran).
    // The run's parts travel separately so each attempt borrows only what it needs.
    #[allow(clippy::too_many_arguments)]
    #[allow(clippy::manual_async_fn)] // On purpose: see `execute_in_scope`.
    fn attempt_all(
        &self,
        rt: &Runtime,
        inv: &Shared,
        call: Call<'_>,
        input: &mut erase::Read<'_>,
        handler: &erase::Handler<'_>,
        span: &tracing::Span,
        mode: RunMode,
    ) -> impl Future<Output = (Result<Outcome<AnyOutput>, ApiError>, u32)> {
        // An `async` block for the reason `execute_in_scope` gives; what
        // lives only until the guards have run (their request, their whole
        // outcome) is scoped so the attempts' state can reuse its room.
        async move {
            let RunMode {
                single_attempt,
                skip_guards,
                job,
            } = mode;
            let http = call.http;
            let outcome = if skip_guards {
                GuardOutcome::default()
            } else {
                let guard_req = GuardRequest {
                    action: self.name,
                    trigger: inv.trigger,
                    trace_id: &inv.trace_id,
                    session: inv.session.as_deref(),
                    ip: inv.ip,
                    headers: call.headers,
                    path_params: http.map_or(&[], |h| h.path_params),
                    query: http.map_or("", |h| h.query),
                    body: http.map_or(&[], |h| h.body),
                    db: rt.db(),
                };
                match run_guards(rt, self.guards, &guard_req).await {
                    Ok(o) => o,
                    Err(e) => {
                        crate::observe::on_guard_denied(rt, self.name, inv.trigger, &e);
                        return (Err(e), 0);
                    }
                }
            };
            let GuardOutcome {
                org,
                headers: guard_headers,
            } = outcome;
            let org = org.map(Arc::new);
            // Idempotency: after the guards (they run for every request,
            // retries included), before the input is even decoded.
            if let Some(h) = http
                && let Some(idem) = h.idempotent
            {
                let caller = caller_of(inv);
                let begin = rt.auth().idempotency().begin(&caller, self.name, idem);
                match Box::pin(begin).await {
                    Ok(Begin::Run(c)) => {
                        *h.claim.lock().unwrap_or_else(|p| p.into_inner()) = Some(c)
                    }
                    Ok(Begin::Replay { status, body }) => {
                        return (
                            Ok(Outcome::Replayed {
                                status,
                                body,
                                headers: guard_headers,
                            }),
                            0,
                        );
                    }
                    Err(e) => return (Err(e), 0),
                }
            }
            let checked = input().and_then(|i| i.validate().map(|()| i));
            let input = match checked {
                Ok(i) => i,
                Err(e) => {
                    // Nothing ran: the retry may run with a corrected body.
                    if let Some(c) =
                        http.and_then(|h| h.claim.lock().unwrap_or_else(|p| p.into_inner()).take())
                    {
                        // Boxed: the store's future would size the run's.
                        Box::pin(rt.auth().idempotency().release(&c)).await;
                    }
                    return (Err(e), 0);
                }
            };
            let ran = |mut s: Success<AnyOutput>| {
                let mut headers = guard_headers.clone();
                headers.append(&mut s.headers);
                s.headers = headers;
                Outcome::Ran(s)
            };
            if let Some(n) = single_attempt {
                let result = self
                    .attempt(rt, inv, org, handler, input, n, span, job)
                    .await;
                return (result.map(ran), n);
            }
            let max = self.retry.attempts.max(1);
            let mut attempt = 1;
            loop {
                // The last attempt takes the input itself; earlier ones a copy,
                // kept for the retry (one-attempt actions never copy it).
                if attempt >= max {
                    let result = self
                        .attempt(rt, inv, org.clone(), handler, input, attempt, span, None)
                        .await;
                    return (result.map(ran), attempt);
                }
                let err = match self
                    .attempt(
                        rt,
                        inv,
                        org.clone(),
                        handler,
                        input.clone_input(),
                        attempt,
                        span,
                        None,
                    )
                    .await
                {
                    Ok(success) => return (Ok(ran(success)), attempt),
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
                Box::pin(tokio::time::sleep(delay)).await;
                attempt += 1;
            }
        }
    }

    /// One try of the handler with a fresh context; on success, publishes
    /// the events it emitted and returns the headers it set. A panic
    /// becomes `internal`.
    #[allow(clippy::too_many_arguments)] // Each is one piece of the context it builds.
    async fn attempt(
        &self,
        rt: &Runtime,
        inv: &Shared,
        org: Option<Arc<crate::auth::OrgContext>>,
        handler: &erase::Handler<'_>,
        input: Box<dyn AnyInput>,
        attempt: u32,
        span: &tracing::Span,
        job: Option<crate::jobs::JobLease>,
    ) -> Result<Success<AnyOutput>, ApiError> {
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
            org,
            runtime: rt.clone(),
            effects: effects.clone(),
            job,
        };
        // The handler's future boxed once: wrapping it (unwind catching) and
        // awaiting it inside the pipeline's own future copies a pointer, not
        // the handler's state.
        let run = handler(ctx, input.into_any());
        match AssertUnwindSafe(run).catch_unwind().await {
            Ok(Ok(output)) => {
                let effects =
                    std::mem::take(&mut *effects.lock().unwrap_or_else(|p| p.into_inner()));
                for (event, payload) in effects.events {
                    let emit =
                        rt.events()
                            .emit(rt, event, payload, &inv.trace_id, inv.session.as_deref());
                    Box::pin(emit).await;
                }
                Ok(Success {
                    output,
                    headers: effects.headers,
                })
            }
            Ok(Err(e)) => Err(e),
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
