//! The IR's actions: errors, guards, triggers, retry policy and audience.

use serde::{Deserialize, Serialize};

use super::*;

/// An action: typed input, output and errors, run by its triggers behind its
/// guards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// snake_case name (`create_task`).
    pub name: String,
    /// `module.action` (`tasks.create_task`).
    pub full_name: String,
    /// The owning module.
    pub module: String,
    /// Rust method name, keyword-escaped.
    pub rust_name: String,
    /// PascalCase form (`CreateTask`), the base of the action's invented
    /// names.
    pub pascal_name: String,
    /// The method of the TypeScript module client (`createTask`): camelCase,
    /// unique within the module.
    pub ts_name: String,
    /// The project-unique name of the action's error type, used as it is by
    /// the Rust error enum and the TypeScript error union: `CreateTaskError`,
    /// `TasksGetError` when another module has an action of the same
    /// PascalCase name, with a number when a type or another invented name
    /// already has it (`CreateTaskError2`). Claimed through
    /// [`crate::naming::Scope`] against every type name of both targets.
    pub error_enum: String,
    /// The name of the action's pipeline description, a `static` of the API
    /// crate's `router` module (`TASKS_CREATE_TASK`): SHOUTY_SNAKE_CASE of
    /// `module_action`, unique in that module (module `a_b` with action `c`
    /// and module `a` with action `b_c` give `A_B_C` and `A_B_C_2`) and clear
    /// of `OPENAPI_JSON`. Its lower-case form names the router's local
    /// variable holding the action's route.
    pub spec_static: String,
    /// One-line summary from the contract.
    pub summary: Option<String>,
    /// Documentation from the contract's `description`.
    pub description: Option<String>,
    /// Present when the action is deprecated.
    pub deprecated: Option<Deprecation>,
    /// The input type (key of [`Ir::types`], always an object type), or
    /// `None` when the action takes no input.
    pub input: Option<String>,
    /// True when the input is written `json`: any JSON value, taken whole
    /// from the request body (`serde_json::Value` in Rust, `unknown` in
    /// TypeScript). Then `input` is `None` and HTTP bindings are empty. Used
    /// mostly by webhooks, whose payload shape belongs to someone else.
    pub input_json: bool,
    /// The output type, or `None` when the action answers with no body.
    pub output: Option<OutputType>,
    /// The action's exact error set: every error it can answer, and no
    /// other. Declared errors come first (sorted by code), then the implicit
    /// ones that can actually happen, in this order, unless a declared error
    /// already uses the code:
    ///
    /// - `validation_failed` (400) when the action has an input type
    ///   ([`Action::input`]; a `json` input takes any value);
    /// - `unauthorized` (401) behind a guard that needs a principal
    ///   ([`GuardKind::needs_principal`]);
    /// - `forbidden` (403) behind a guard that can refuse one
    ///   ([`GuardKind::can_refuse`]);
    /// - `rate_limited` (429) behind a `rate_limit` guard;
    /// - `not_implemented` (501) and `internal` (500), always.
    ///
    /// `not_found` is in the set only when the contract declares it: a
    /// handler that answers "no such thing" says so in its contract. The
    /// framework's 404 for a path no route serves is a transport error
    /// ([`Ir::transport_errors`]).
    pub errors: Vec<ErrorDef>,
    /// Guards in run order: module guards first, then action guards.
    pub guards: Vec<Guard>,
    /// Every trigger, grouped by kind.
    pub triggers: Triggers,
    /// Retry policy with defaults filled (`attempts: 1` when not declared).
    pub retry: RetryPolicy,
    /// Events this action may publish (sorted, each a key of [`Ir::events`]).
    pub emits: Vec<String>,
    /// `POST {base_path}/v1/actions/{module}.{action}` when the action has an
    /// `api` trigger; `None` otherwise.
    pub action_endpoint: Option<String>,
    /// Who, outside the server, calls the action and reads its results.
    pub audience: Audience,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// Who, outside the server, sends an action's input and reads its output.
/// The per-type [`Directions`] and `breaking`'s judgement of inputs and
/// outputs follow from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    /// Callable over HTTP: an `api` route (and so its action endpoint) or an
    /// inbound webhook. OpenAPI describes these operations.
    pub http: bool,
    /// Clients build its input and read its output: it has an `api`,
    /// `webhook` or `mcp` trigger, or no trigger at all (any trigger may be
    /// added later). `event`, `cron` and `queue` runs are started by the
    /// server itself.
    pub clients: bool,
    /// Its input is also stored as a durable job (a `queue` trigger): jobs
    /// enqueued by one version are read by workers of the next, and the
    /// other way round during a rollout.
    pub jobs: bool,
}

/// Which way a value travels relative to whoever judges it: the direction
/// `breaking` compares a type in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Sent to the server (an action input, a job read by a new worker):
    /// accepting less breaks senders.
    In,
    /// Sent by the server (an action output, an event payload, a job read by
    /// an old worker): producing more breaks readers.
    Out,
}

/// The output of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutputType {
    /// A named type (key of [`Ir::types`]).
    Named { name: String },
    /// Any other type expression, e.g. `list<Task>` or `json`.
    Expr { ty: TypeRef },
}

/// A deprecation notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deprecation {
    /// Free text from the contract (`deprecated: "use list_tasks"`), if any.
    pub note: Option<String>,
}

/// A declared or implicit error of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDef {
    /// snake_case code on the wire (`title_taken`).
    pub code: String,
    /// Rust variant name (`TitleTaken`), unique within the error enum.
    pub rust_name: String,
    /// HTTP status (400–599).
    pub status: u16,
    /// Human message; defaults to the code in sentence case.
    pub message: String,
    /// True when lowering added it (the contract does not list it).
    pub implicit: bool,
    /// Who answers it: the handler alone, or the framework too.
    pub kind: ErrorKind,
    /// What the error carries besides its code and message.
    pub payload: ErrorPayload,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// What an error means to the framework. An error the contract declares
/// with one of the framework's codes (say `forbidden` with its own message)
/// has that code's kind, so it behaves like the framework's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A contract error only the handler answers (`title_taken`,
    /// `not_found`); never retried.
    Declared,
    /// `validation_failed` (400): the input broke its type or constraints.
    ValidationFailed,
    /// `unauthorized` (401): no valid session.
    Unauthorized,
    /// `forbidden` (403): a guard refused the principal.
    Forbidden,
    /// `rate_limited` (429): a rate limit guard refused the call.
    RateLimited,
    /// `not_implemented` (501): the handler is still a scaffold stub.
    NotImplemented,
    /// `internal` (500): an unexpected failure, retryable.
    Internal,
}

/// What an error carries besides its code and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorPayload {
    /// Nothing: `details` is `null` on the wire.
    None,
    /// Every violation of the input (`details.violations` on the wire).
    Violations,
    /// A detail for the server's log, never sent to clients (`internal`).
    Detail,
}

/// A guard, with where it was declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guard {
    /// What the guard checks.
    pub kind: GuardKind,
    /// Whether the module or the action declared it.
    pub source: GuardSource,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// Whether a guard came from the module or the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardSource {
    /// Declared on the module.
    Module,
    /// Declared on the action.
    Action,
}

/// What a guard checks.
///
/// Which errors a guard can answer decides its action's error set
/// ([`Action::errors`]), as the runtime enforces each kind:
///
/// | guard | needs a principal (`unauthorized`) | can refuse one (`forbidden`) |
/// | --- | --- | --- |
/// | `authenticated` | yes | no |
/// | `has_role`, `has_permission` | yes | yes |
/// | `rate_limit` | no (answers `rate_limited`) | no |
/// | `in_org`, `has_feature`, `trial_active_or_paid` | yes: the organization is resolved for the signed-in caller | yes |
/// | `custom` | no | yes: the application's guard refuses with `forbidden` (another code reaches SDK clients as `unknown_error`) |
///
/// A guard that needs a principal reads the signed session cookie, so
/// OpenAPI lists the cookie as the operation's security requirement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GuardKind {
    /// A valid session or API key is present.
    Authenticated,
    /// The principal has a role.
    HasRole {
        /// The required role.
        role: String,
    },
    /// A `resource:verb` permission, `*` wildcards allowed.
    HasPermission {
        /// The required `resource:verb` permission.
        permission: String,
    },
    /// Sliding-window rate limit.
    RateLimit {
        /// Requests allowed per window.
        limit: u32,
        /// Window length in milliseconds.
        window_ms: u64,
        /// What the limit counts by.
        key: RateLimitKey,
    },
    /// The principal belongs to an organization (not yet enforced: denies).
    InOrg,
    /// The organization's plan has a feature (not yet enforced: denies).
    HasFeature {
        /// The required feature.
        feature: String,
    },
    /// The organization is in its trial or has paid (not yet enforced: denies).
    TrialActiveOrPaid,
    /// A guard the user implements; `name` is snake_case, `rust_name` the
    /// method name on the generated custom-guards trait.
    Custom {
        /// The name.
        name: String,
        rust_name: String,
    },
}

/// What a rate limit counts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitKey {
    /// Per client IP address.
    Ip,
    /// Per signed-in user.
    User,
}

/// Every trigger of an action, grouped by kind, each list sorted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Triggers {
    /// HTTP routes, sorted by (path, method).
    pub http: Vec<HttpRoute>,
    /// Event subscriptions, sorted by event name.
    pub events: Vec<EventTrigger>,
    /// Cron schedules, sorted by (schedule, timezone).
    pub crons: Vec<CronTrigger>,
    /// Present when the action can be enqueued as a job.
    pub queue: Option<QueueTrigger>,
    /// Inbound webhooks, sorted by path.
    pub webhooks: Vec<WebhookTrigger>,
    /// Present when the action is an MCP tool.
    pub mcp: Option<McpTrigger>,
}

/// An HTTP route bound to an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpRoute {
    /// Upper-case method (`GET`).
    pub method: String,
    /// Full normalised path: base_path + module prefix + route path, single
    /// slashes, no trailing slash except for the root `/`; parameters as
    /// `{name}` (the syntax axum 0.8 and OpenAPI share).
    pub path: String,
    /// Success status: as declared, else 200, or 204 when the action has no
    /// output.
    pub status: u16,
    /// How each input field is bound, in the input type's field order. Empty
    /// when the action has no input.
    pub bindings: Vec<FieldBinding>,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// Where one input field comes from in an HTTP request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldBinding {
    /// The field's wire name.
    pub field: String,
    /// Where the value is read from.
    pub location: BindingLocation,
}

/// Path segment, query string or JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BindingLocation {
    /// A `{param}` path segment.
    Path,
    /// The query string.
    Query,
    /// The JSON body.
    Body,
}

/// Runs the action when an event is published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTrigger {
    /// The event's dotted name (a key of [`Ir::events`]).
    pub event: String,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// Runs the action on a schedule: each tick enqueues one job (once across
/// instances), which runs the action with its guards skipped (a tick has no
/// caller).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CronTrigger {
    /// A validated cron expression (5 or 6 fields).
    pub schedule: String,
    /// IANA time zone; defaults to `UTC`.
    pub timezone: String,
    /// The schedule's name, unique in the project: its row in the
    /// runtime's schedule table and the kind of the jobs its ticks enqueue
    /// (`tasks.cleanup@cron`; `tasks.cleanup@cron.2` for an action's second
    /// schedule, in schedule order).
    pub name: String,
    /// Attempts one tick's job gets: the action's `retry.attempts` (1 when
    /// the action declares no `retry`). Delays between them follow
    /// [`Action::retry`].
    pub max_attempts: u32,
    /// What a scheduler does with ticks missed while no instance ran.
    /// Contracts cannot choose yet; always [`MissedTicks::Skip`].
    pub missed: MissedTicks,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// What a scheduler does with ticks missed while no instance ran (the
/// runtime's `MissedTicks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissedTicks {
    /// Drop them and resume at the next tick.
    Skip,
    /// Fire the latest missed tick once, then resume.
    RunOnce,
}

/// Makes the action enqueueable as a durable job. Jobs run the action's
/// guards with the enqueuer's session, one attempt at a time; the queue
/// retries failed attempts with the delays of [`Action::retry`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueTrigger {
    /// Higher runs first; default 0.
    pub priority: i32,
    /// Attempts before the job is dead: the trigger's `max_attempts`, else
    /// the action's `retry.attempts` when it declares `retry`, else 5.
    pub max_attempts: u32,
    /// The job kind its jobs are stored and claimed under: the action's
    /// full name (`tasks.send_reminder`).
    pub kind: String,
    /// The typed enqueue function's name in the API crate's `jobs` module
    /// (`send_reminder`; `tasks_send_reminder` when actions of several
    /// modules share the name), claimed through [`crate::naming::Scope`]
    /// against the module's other items.
    pub enqueue_fn: String,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// An inbound webhook whose signature is verified before the handler runs.
/// Every choice the generated route needs is here: the emitter declares one
/// `bunbase_runtime::webhooks::WebhookSpec` from it, field for field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookTrigger {
    /// Full normalised path (base_path prepended, module prefix not);
    /// deliveries are `POST`s.
    pub path: String,
    /// Environment variable holding the secret, or several separated by
    /// commas to rotate them. The server refuses to start without it.
    pub secret_env: String,
    /// How deliveries are signed, with every parameter filled.
    pub scheme: WebhookScheme,
    /// Whether an accepted delivery runs now or becomes a job.
    pub mode: WebhookMode,
    /// With `mode: queue`: the job kind deliveries are enqueued as
    /// (`tasks.stripe_event@webhook`, one per action whatever its number of
    /// queued webhooks) and its attempts (the action's `retry.attempts`
    /// when it declares `retry`, else 5). `None` with `mode: sync`.
    pub job: Option<WebhookJob>,
    /// The project-unique name of the generated `WebhookSpec` static
    /// (`INBOX_RECEIVE_EMAIL_WEBHOOK`, numbered when an action has several).
    pub rust_static: String,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// How a webhook signature is computed, with the headers it reads. Header
/// names are as written in the contract (OpenAPI shows them so); the
/// generated server compares them case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum WebhookScheme {
    /// `header` holds `prefix` then HMAC-SHA256(secret, raw body) in
    /// `encoding` (GitHub, Shopify and most home-grown senders).
    HmacSha256 {
        /// The signature header (default `X-Signature`).
        header: String,
        /// Text before the signature (`sha256=`); default empty.
        prefix: String,
        /// Hex (default) or base64.
        encoding: WebhookEncoding,
        /// The provider's delivery-id header, required on every delivery
        /// when named; without it the body's SHA-256 is the delivery id.
        id_header: Option<String>,
    },
    /// Stripe's `t=<ts>,v1=<hex>` over `<ts>.<body>`.
    Stripe {
        /// The signature header (default `Stripe-Signature`).
        header: String,
        /// The timestamp window, in seconds (default 300).
        tolerance_secs: u64,
    },
    /// Standard Webhooks (Svix): `webhook-id`, `webhook-timestamp` and
    /// `webhook-signature` over `<id>.<ts>.<body>`, replays refused by id.
    StandardWebhooks {
        /// The timestamp window, in seconds (default 300).
        tolerance_secs: u64,
    },
}

impl WebhookScheme {
    /// The scheme's name in contracts (`hmac-sha256`, `stripe`,
    /// `standard-webhooks`).
    pub fn name(&self) -> &'static str {
        match self {
            WebhookScheme::HmacSha256 { .. } => "hmac-sha256",
            WebhookScheme::Stripe { .. } => "stripe",
            WebhookScheme::StandardWebhooks { .. } => "standard-webhooks",
        }
    }

    /// The headers every delivery must carry, in the order a sender sets
    /// them: the signature header, plus the id and timestamp headers the
    /// scheme reads.
    pub fn required_headers(&self) -> Vec<&str> {
        match self {
            WebhookScheme::HmacSha256 {
                header, id_header, ..
            } => {
                let mut h = vec![header.as_str()];
                h.extend(id_header.as_deref());
                h
            }
            WebhookScheme::Stripe { header, .. } => vec![header.as_str()],
            WebhookScheme::StandardWebhooks { .. } => {
                vec!["webhook-id", "webhook-timestamp", "webhook-signature"]
            }
        }
    }
}

/// How an `hmac-sha256` signature is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookEncoding {
    /// Hexadecimal, either case.
    Hex,
    /// Standard base64, padded or not.
    Base64,
}

/// The job a `mode: queue` webhook's deliveries become.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookJob {
    /// The job kind: the action's full name and `@webhook`, which no
    /// queue kind (a full name) or cron kind (`@cron`) can be.
    pub kind: String,
    /// Attempts before the job is dead.
    pub max_attempts: u32,
}

/// What happens to a verified delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookMode {
    /// The action runs while the sender waits; its outcome is the answer.
    Sync,
    /// The delivery is validated and enqueued as a job (202); the server
    /// needs a registered job queue to start.
    Queue,
}

/// Exposes the action as an MCP tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpTrigger {
    /// Tool name; defaults to `<module>_<action>`.
    pub tool: String,
    /// A short human title: the action's summary, if any.
    pub title: Option<String>,
    /// What the tool does, for the model choosing tools: the trigger's
    /// `description`, else the action's summary, else its description.
    pub description: String,
    /// The project-unique name of the generated `ToolSpec` static
    /// (`TASKS_LIST_TASKS_TOOL`).
    pub rust_static: String,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// Retry policy of an action's handler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Total tries including the first; at least 1.
    pub attempts: u32,
    /// How delays grow between tries.
    pub backoff: Backoff,
    /// First delay in milliseconds.
    pub base_ms: u64,
    /// Cap on any delay in milliseconds.
    pub max_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 1,
            backoff: Backoff::Exponential,
            base_ms: 1_000,
            max_ms: 30_000,
        }
    }
}

/// Backoff between retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backoff {
    /// Delays double from `base`, capped at `max`.
    Exponential,
    /// The same delay (`base`) between tries.
    Fixed,
}

impl GuardKind {
    /// True when the guard answers `unauthorized` without a signed-in
    /// principal (see the table on [`GuardKind`]).
    pub fn needs_principal(&self) -> bool {
        matches!(
            self,
            GuardKind::Authenticated
                | GuardKind::HasRole { .. }
                | GuardKind::HasPermission { .. }
                | GuardKind::InOrg
                | GuardKind::HasFeature { .. }
                | GuardKind::TrialActiveOrPaid
        )
    }

    /// True when the guard answers `forbidden` (see the table on
    /// [`GuardKind`]).
    pub fn can_refuse(&self) -> bool {
        matches!(
            self,
            GuardKind::HasRole { .. }
                | GuardKind::HasPermission { .. }
                | GuardKind::InOrg
                | GuardKind::HasFeature { .. }
                | GuardKind::TrialActiveOrPaid
                | GuardKind::Custom { .. }
        )
    }
}
