//! [`ActionContext`]: what a handler can reach (database, trace id, principal, attempt, sessions, cookies, events).

use std::fmt;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderName, HeaderValue};
use serde::Serialize;

use crate::auth::session::AuthMethod;
use crate::auth::{Auth, OrgContext};
use crate::session::{Principal, Session, SessionManager, SetCookie};
use crate::{ApiError, Db, Runtime, TraceId};

/// How an action was invoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TriggerKind {
    /// An HTTP route or the action endpoint.
    Http,
    /// An event published by another action.
    Event,
    /// A cron schedule.
    Cron,
    /// A queued job.
    Queue,
    /// An inbound webhook.
    Webhook,
    /// An MCP tool call.
    Mcp,
    /// Called directly (tests, scripts).
    Direct,
}

impl TriggerKind {
    /// The lower-case name stored in run history (`http`, `event`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerKind::Http => "http",
            TriggerKind::Event => "event",
            TriggerKind::Cron => "cron",
            TriggerKind::Queue => "queue",
            TriggerKind::Webhook => "webhook",
            TriggerKind::Mcp => "mcp",
            TriggerKind::Direct => "direct",
        }
    }
}

impl fmt::Display for TriggerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Side effects a handler asks for, applied by the pipeline only when the
/// attempt succeeds: response headers (cookies) and events to publish.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) events: Vec<(&'static str, serde_json::Value)>,
}

/// What a handler can reach. Cheap to clone; one per attempt.
///
/// Cookies, headers and events recorded through the context take effect only
/// if the attempt succeeds: a failed attempt's effects are discarded before
/// a retry.
#[derive(Clone)]
pub struct ActionContext {
    /// The call's trace id (also in every log line the action writes).
    pub trace_id: TraceId,
    /// The database.
    pub db: Db,
    /// The attempt number, from 1 (see the action's retry policy).
    pub attempt: u32,
    /// The action's full name (`tasks.create_task`).
    pub action: &'static str,
    /// How the action was invoked.
    pub trigger: TriggerKind,
    /// The action's tracing span (`debug`: disabled at the default level).
    /// Work spawned from a handler keeps the trace id in its log lines
    /// through [`ActionContext::traced`].
    pub span: tracing::Span,
    /// Shared with the run (and its other attempts): cloning a context
    /// copies a pointer, not the principal's strings.
    pub(crate) session: Option<Arc<Session>>,
    pub(crate) org: Option<Arc<OrgContext>>,
    pub(crate) runtime: Runtime,
    pub(crate) effects: Arc<Mutex<Effects>>,
    pub(crate) job: Option<crate::jobs::JobLease>,
}

impl fmt::Debug for ActionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionContext")
            .field("trace_id", &self.trace_id)
            .field("action", &self.action)
            .field("trigger", &self.trigger)
            .field("attempt", &self.attempt)
            .field("principal", &self.principal())
            .finish()
    }
}

impl ActionContext {
    /// A context for calling a handler directly in tests: trigger
    /// [`TriggerKind::Direct`], attempt 1, no session.
    pub fn for_test(runtime: &Runtime, action: &'static str) -> Self {
        let trace_id = TraceId::generate();
        ActionContext {
            span: tracing::debug_span!("action", action, trigger = "direct"),
            trace_id,
            db: runtime.db().clone(),
            attempt: 1,
            action,
            trigger: TriggerKind::Direct,
            session: None,
            org: None,
            runtime: runtime.clone(),
            effects: Default::default(),
            job: None,
        }
    }

    /// The same context with a session for `principal` (tests).
    pub fn with_principal(mut self, principal: Principal) -> Self {
        let now = chrono::Utc::now().timestamp();
        self.session = Some(Arc::new(Session {
            id: crate::auth::random_token(16),
            principal,
            issued_at: now,
            expires_at: now + 3600,
            via: AuthMethod::Cookie,
            org_id: None,
        }));
        self
    }

    /// The same context acting in an organization (tests).
    pub fn with_org(mut self, org: OrgContext) -> Self {
        self.org = Some(Arc::new(org));
        self
    }

    /// Runs `fut` as part of this action: its log lines carry the action's
    /// trace id and name, and it runs inside the action's span. Wrap work
    /// the handler spawns, which would otherwise log without them:
    ///
    /// ```no_run
    /// # fn f(ctx: bunbase_runtime::ActionContext) {
    /// bunbase_runtime::tokio::spawn(ctx.traced(async {
    ///     bunbase_runtime::tracing::info!("still part of the request");
    /// }));
    /// # }
    /// ```
    pub fn traced<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> + use<F> {
        use tracing::Instrument as _;
        crate::trace::with_action(
            self.trace_id.clone(),
            self.action,
            fut.instrument(self.span.clone()),
        )
    }

    /// The signed-in principal, if any.
    pub fn principal(&self) -> Option<&Principal> {
        self.session.as_deref().map(|s| &s.principal)
    }

    /// The signed-in user's id, if any.
    pub fn user_id(&self) -> Option<&str> {
        self.principal().map(|p| p.user_id.as_str())
    }

    /// The verified caller (session or API key), if any.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_deref()
    }

    /// The claim of the job this run executes (queue, cron and durable
    /// event runs), to complete it inside the handler's own transaction
    /// ([`crate::jobs::JobLease::complete_in`]).
    pub fn job(&self) -> Option<&crate::jobs::JobLease> {
        self.job.as_ref()
    }

    /// The runtime's job queue.
    pub fn jobs(&self) -> &crate::jobs::Jobs {
        self.runtime.jobs()
    }

    /// Starts building a job of `kind` that carries this call's trace id and
    /// session (its guards see the caller's principal). Generated code wraps
    /// it in one typed function per queue-triggered action.
    pub fn enqueue<T: Serialize + ?Sized>(
        &self,
        kind: &str,
        payload: &T,
    ) -> crate::jobs::EnqueueBuilder {
        self.runtime
            .jobs()
            .job(kind, payload)
            .trace_id(self.trace_id.clone())
            .session(self.session.as_deref().cloned())
    }

    /// The organization `in_org` (or `has_feature`, `trial_active_or_paid`)
    /// resolved for this call, with the caller's role in it and, when a
    /// subscription guard read it, the subscription.
    pub fn org(&self) -> Option<&OrgContext> {
        self.org.as_deref()
    }

    /// The organization's id, when a guard resolved one.
    pub fn org_id(&self) -> Option<&str> {
        self.org().map(|o| o.org_id.as_str())
    }

    /// The caller's role in the organization, when a guard resolved one.
    pub fn member_role(&self) -> Option<&str> {
        self.org().map(|o| o.role.as_str())
    }

    /// The identity service (sessions, roles, API keys, organizations).
    pub fn auth(&self) -> &Auth {
        self.runtime.auth()
    }

    /// The runtime (configuration, event bus, ...).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The session manager, to sign cookies by hand.
    pub fn sessions(&self) -> &SessionManager {
        self.runtime.sessions()
    }

    /// Signs `user_id` in: creates a server-side session and the response
    /// carries its cookie. A cookie session the caller already had is
    /// revoked (rotation: a session id never survives a sign-in). Typically
    /// called by a `login` handler after [`crate::verify_password`]
    /// succeeds.
    pub async fn sign_in(&self, user_id: &str) -> Result<(), ApiError> {
        if let Some(old) = self
            .session
            .as_deref()
            .filter(|s| s.via == AuthMethod::Cookie)
        {
            self.auth().revoke_session(&old.id).await?;
        }
        let (_, cookie) = self.auth().create_session(user_id).await?;
        self.set_cookie(cookie);
        Ok(())
    }

    /// Signs out: revokes the caller's cookie session (its cookie answers
    /// 401 from now on, on every instance) and the response clears the
    /// cookie. Without a session it only clears the cookie.
    pub async fn sign_out(&self) -> Result<(), ApiError> {
        if let Some(s) = self
            .session
            .as_deref()
            .filter(|s| s.via == AuthMethod::Cookie)
        {
            self.auth().revoke_session(&s.id).await?;
        }
        self.set_cookie(self.sessions().logout_cookie());
        Ok(())
    }

    /// Signs the caller's user out everywhere: revokes every session of the
    /// user (other browsers and devices included) and clears this cookie.
    /// Returns how many sessions were live.
    pub async fn sign_out_everywhere(&self) -> Result<u64, ApiError> {
        let n = match self.user_id() {
            Some(user) => self.auth().revoke_user_sessions(user).await?,
            None => 0,
        };
        self.set_cookie(self.sessions().logout_cookie());
        Ok(n)
    }

    /// Adds a `Set-Cookie` header to the response (if the attempt succeeds).
    pub fn set_cookie(&self, cookie: SetCookie) {
        if let Ok(v) = HeaderValue::from_str(cookie.as_str()) {
            self.effects()
                .headers
                .push((axum::http::header::SET_COOKIE, v));
        }
    }

    /// Adds a response header (if the attempt succeeds). Invalid header
    /// values are dropped with a warning.
    pub fn insert_header(&self, name: HeaderName, value: &str) {
        match HeaderValue::from_str(value) {
            Ok(v) => self.effects().headers.push((name, v)),
            Err(_) => {
                tracing::warn!(header = %name, "dropped a response header with an invalid value")
            }
        }
    }

    /// Publishes event `name` with `payload` once the handler succeeds: every
    /// action subscribed to it then runs through the same pipeline with
    /// trigger [`TriggerKind::Event`], the same trace id and this context's
    /// session. Generated code wraps this in typed `emit_<event>` functions.
    pub fn emit<T: Serialize>(&self, name: &'static str, payload: &T) -> Result<(), ApiError> {
        let value = serde_json::to_value(payload).map_err(|e| {
            ApiError::internal(format_args!("event {name} payload does not serialise: {e}"))
        })?;
        self.effects().events.push((name, value));
        Ok(())
    }

    fn effects(&self) -> std::sync::MutexGuard<'_, Effects> {
        self.effects.lock().unwrap_or_else(|p| p.into_inner())
    }
}
