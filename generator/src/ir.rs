//! The intermediate representation: plain, sorted, fully resolved data that every emitter and the breaking-change checker read.
//!
//! Lowering (`crate::lower`) builds an [`Ir`] from checked contracts. After it,
//! emitters make no decisions: every name is resolved and unique, every inline
//! object is named, every default is filled, boxing for recursive types is
//! decided, each input field has its HTTP binding and guards are flattened in
//! run order.
//!
//! Invariants:
//! - **The IR holds no formatting**: this module imports no quote, tera or
//!   openapi crate (a tidy test checks it).
//! - **Sorted by construction**: collections keyed by name are `BTreeMap`s;
//!   lists whose order carries meaning (fields as declared, guards in run
//!   order, enum values as declared) keep that order, which comes from the
//!   contract text and never from file discovery order.
//! - **Locations are not data**: every [`Span`] is skipped when serialising,
//!   so moving a contract file between folders does not change `bunbase ir`
//!   output. Spans are still available in memory for the breaking-change
//!   checker and other diagnostics.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The version of the IR's JSON shape. Bump it on any change a consumer of
/// `bunbase ir` output could notice.
pub const IR_FORMAT_VERSION: u32 = 1;

/// A whole contract set, lowered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ir {
    /// Always [`IR_FORMAT_VERSION`] when produced by this build.
    pub format_version: u32,
    /// Settings from `bunbase.yaml`.
    pub project: Project,
    /// Modules by contract name (`tasks`).
    pub modules: BTreeMap<String, Module>,
    /// Every type, declared or inline, keyed by its project-unique name
    /// ([`TypeDef::name`]). [`TypeRef::Named`] refers to these keys.
    pub types: BTreeMap<String, TypeDef>,
    /// Events by dotted name (`task.created`).
    pub events: BTreeMap<String, Event>,
    /// The database schema replayed from the migrations (empty without
    /// any); filled by [`crate::migrations::build`] after lowering.
    #[serde(default, skip_serializing_if = "crate::migrations::DbModel::is_empty")]
    pub db: crate::migrations::DbModel,
}

/// Project-wide settings from `bunbase.yaml`, with defaults filled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// The project name as written (`acme`, `my-app`).
    pub name: String,
    /// snake_case form used for crate names (`my_app`).
    pub snake_name: String,
    /// kebab-case form used for crate and package directory names (`my-app`).
    pub kebab_name: String,
    /// Semver of the contract set, validated.
    pub version: String,
    /// OpenAPI title; defaults to the project name.
    pub title: String,
    /// Optional description for documentation.
    pub description: Option<String>,
    /// Database dialect the generated server is built for.
    pub database: Database,
    /// Normalised prefix for every HTTP route: `""` or `/api` (leading slash,
    /// no trailing slash).
    pub base_path: String,
    /// npm package name of the TypeScript SDK; defaults to `@<kebab_name>/sdk`.
    pub sdk_package: String,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// The database dialect a project targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Database {
    /// Embedded SQLite; the default, needs no setup.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// One module: a file's worth of types, events and actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Module {
    /// snake_case contract name (`tasks`).
    pub name: String,
    /// Rust identifier for the module (keyword-escaped snake_case).
    pub rust_name: String,
    /// PascalCase form (`Tasks`): the handler trait is `TasksHandler`.
    pub pascal_name: String,
    /// camelCase form used by the TypeScript client (`client.tasks`).
    pub ts_name: String,
    /// Documentation from the contract's `description`.
    pub description: Option<String>,
    /// Normalised module prefix (`/tasks`, or `""`).
    pub prefix: String,
    /// Module-level guards as declared (they are also flattened into every
    /// action's [`Action::guards`]).
    pub guards: Vec<Guard>,
    /// Actions by snake_case name.
    pub actions: BTreeMap<String, Action>,
    /// Names (keys of [`Ir::types`]) of the types this module declares,
    /// sorted; inline types are attributed to the module of their owner.
    pub types: Vec<String>,
    /// Names of the events this module declares, sorted.
    pub events: Vec<String>,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// A named type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeDef {
    /// Project-unique PascalCase name used by every target (Rust type name,
    /// TypeScript type name, OpenAPI component name). Equal to
    /// [`TypeDef::contract_name`] unless two modules declare the same name, in
    /// which case both get the module's PascalCase name as a prefix
    /// (`BillingStatus`).
    pub name: String,
    /// The module that owns the type.
    pub module: String,
    /// The name as written in the contract (`Task`), or the generated name of
    /// an inline type (`CreateTaskInput`).
    pub contract_name: String,
    /// Where the type came from.
    pub origin: TypeOrigin,
    /// Documentation from the contract's `description`.
    pub description: Option<String>,
    /// True when the contract marks it `deprecated`.
    pub deprecated: bool,
    /// Object, enum or union.
    pub kind: TypeKind,
    /// True when the type is part of a reference cycle, through any kind of
    /// reference (lists and maps included); the references that need a
    /// `Box` are marked `boxed` in [`TypeRef::Named`].
    pub recursive: bool,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// Where a type was declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeOrigin {
    /// Declared under `types:`.
    Declared,
    /// The inline input object of an action (`CreateTaskInput`).
    ActionInput { action: String },
    /// The inline output object of an action (`ListTasksOutput`).
    ActionOutput { action: String },
    /// The payload of an event (`TaskCreatedPayload`).
    EventPayload { event: String },
    /// An inline object nested in a field of another type
    /// (`CreateTaskInputAddress` for field `address` of `CreateTaskInput`).
    Inline { parent: String, field: String },
}

/// The shape of a type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeKind {
    /// A struct with fields in declaration order.
    Object { fields: Vec<Field> },
    /// A string enum with values in declaration order.
    Enum { values: Vec<EnumValue> },
    /// An internally tagged union: JSON `{"<tag>": "<value>", ...variant fields}`.
    /// Every variant names an object type. Variants are in declaration order.
    Union {
        /// The tag field's wire name.
        tag: String,
        /// Variants in declaration order.
        variants: Vec<UnionVariant>,
    },
}

/// A field of an object type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Name on the wire (JSON key), as written in the contract.
    pub name: String,
    /// Rust identifier, keyword-escaped (`r#type`) and collision-free.
    pub rust_name: String,
    /// The field's type. Optional fields have an outer [`TypeRef::Optional`].
    pub ty: TypeRef,
    /// False when the field may be absent or null (its type is optional) or
    /// it has a default.
    pub required: bool,
    /// Default value (already type-checked), used when the field is absent.
    pub default: Option<serde_json::Value>,
    /// Validation constraints (empty when none).
    pub constraints: Constraints,
    /// Documentation from the contract's `description`.
    pub description: Option<String>,
    /// True when the contract marks it `deprecated`.
    pub deprecated: bool,
    /// Example value for docs and OpenAPI.
    pub example: Option<serde_json::Value>,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// Validation constraints on a field; each applies to the field's innermost
/// non-optional type (so `{type: "string?", max_len: 5}` checks the string
/// when present).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Constraints {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    /// Minimum length in characters (strings).
    pub min_len: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    /// Maximum length in characters (strings).
    pub max_len: Option<u64>,
    /// A regular expression, validated by the checker (Rust `regex` syntax,
    /// unanchored: it must match somewhere unless it anchors itself).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pattern: Option<String>,
    /// Inclusive lower bound for numbers.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub min: Option<serde_json::Number>,
    /// Inclusive upper bound for numbers.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max: Option<serde_json::Number>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    /// Minimum number of items (lists).
    pub min_items: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    /// Maximum number of items (lists).
    pub max_items: Option<u64>,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    /// List items must be distinct.
    pub unique: bool,
}

/// A reference to a type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TypeRef {
    /// `true` or `false`.
    Bool,
    /// Integer within ±(2^53−1): `i64` in Rust, range-checked.
    Int,
    /// Full-range integer carried as a decimal string on the wire.
    Int64,
    /// A 32-bit integer.
    I32,
    /// A 64-bit float.
    Float,
    /// A UTF-8 string.
    String,
    /// A UUID string.
    Uuid,
    /// An email address string (validated).
    Email,
    /// An absolute URL string (validated).
    Url,
    /// An RFC 3339 date-time.
    DateTime,
    /// A `YYYY-MM-DD` date.
    Date,
    /// Any JSON value.
    Json,
    /// Base64 on the wire, `Vec<u8>` in Rust.
    Bytes,
    /// An array.
    List {
        /// The item type.
        item: Box<TypeRef>,
    },
    /// An object with string keys.
    Map {
        /// The value type.
        value: Box<TypeRef>,
    },
    /// May be absent or null.
    Optional {
        /// The present type.
        inner: Box<TypeRef>,
    },
    /// A named type: `name` is a key of [`Ir::types`]. `boxed` is true where
    /// the reference closes a cycle with no `list` or `map` in between, so the
    /// Rust field must be `Box<T>` (or `Option<Box<T>>`).
    Named {
        /// The name.
        name: String,
        boxed: bool,
    },
}

/// One value of an enum type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumValue {
    /// The wire value (`in_progress`).
    pub value: String,
    /// The Rust variant name (`InProgress`), collision-free.
    pub rust_name: String,
    /// Documentation from the contract's `description`.
    pub description: Option<String>,
    /// True when the contract marks it `deprecated`.
    pub deprecated: bool,
}

/// One variant of a tagged union.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnionVariant {
    /// The tag value on the wire (`card`).
    pub tag_value: String,
    /// The Rust variant name (`Card`), collision-free.
    pub rust_name: String,
    /// The object type carried by this variant (key of [`Ir::types`]).
    pub type_name: String,
}

/// An event, published by actions that list it in `emits` and consumed by
/// actions with an `event` trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Dotted lower_snake name (`task.created`).
    pub name: String,
    /// PascalCase form (`TaskCreated`).
    pub pascal_name: String,
    /// snake_case identifier form (`task_created`), for function names such
    /// as `emit_task_created`.
    pub snake_name: String,
    /// The declaring module.
    pub module: String,
    /// Documentation from the contract's `description`.
    pub description: Option<String>,
    /// The payload type (key of [`Ir::types`]), e.g. `TaskCreatedPayload`.
    pub payload: String,
    /// Full names (`module.action`) of the actions triggered by this event,
    /// sorted.
    pub subscribers: Vec<String>,
    /// Full names of the actions that declare they emit it, sorted.
    pub publishers: Vec<String>,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

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
    /// PascalCase form (`CreateTask`): the error enum is `CreateTaskError`.
    pub pascal_name: String,
    /// camelCase form for the TypeScript client (`createTask`).
    pub ts_name: String,
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
    /// Every error the action can answer: declared ones first (sorted by
    /// code), then the implicit ones (`validation_failed`, `unauthorized`,
    /// `forbidden`, `not_found`, `rate_limited`, `not_implemented`,
    /// `internal`) unless a declared error already uses that code.
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
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
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
    /// Rust variant name (`TitleTaken`).
    pub rust_name: String,
    /// HTTP status (400–599).
    pub status: u16,
    /// Human message; defaults to the code in sentence case.
    pub message: String,
    /// True for the implicit errors every action has.
    pub implicit: bool,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
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

/// Runs the action on a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CronTrigger {
    /// A validated cron expression (5 or 6 fields).
    pub schedule: String,
    /// IANA time zone; defaults to `UTC`.
    pub timezone: String,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// Makes the action enqueueable as a durable job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueTrigger {
    /// Higher runs first; default 0.
    pub priority: i32,
    /// Attempts before the job is dead-lettered; default 5.
    pub max_attempts: u32,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// An inbound webhook whose signature is verified before the handler runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookTrigger {
    /// Full normalised path (base_path prepended, module prefix not).
    pub path: String,
    /// Environment variable holding the shared secret.
    pub secret_env: String,
    /// Header carrying the signature.
    pub signature_header: String,
    /// How the signature is computed.
    pub scheme: WebhookScheme,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// How a webhook signature is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WebhookScheme {
    /// Hex (optionally `sha256=`-prefixed) HMAC-SHA256 of the raw body.
    HmacSha256,
    /// Stripe's `t=<ts>,v1=<hex>` over `<ts>.<body>`.
    Stripe,
}

/// Exposes the action as an MCP tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpTrigger {
    /// Tool name; defaults to `<module>_<action>`.
    pub tool: String,
    /// What the tool does, for the model choosing tools.
    pub description: String,
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

/// A location in a contract file. Never serialised (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// Path relative to the contracts root, with `/` separators.
    pub file: String,
    /// 1-based line of the start.
    pub line: u32,
    /// 1-based column (in characters) of the start.
    pub col: u32,
    /// Byte offset of the start in the file.
    pub start: usize,
    /// Byte offset one past the end.
    pub end: usize,
}

impl TypeRef {
    /// Pushes the names of the types this reference names (through lists,
    /// maps and optionals) onto `out`.
    pub fn collect_named(&self, out: &mut Vec<String>) {
        match self {
            TypeRef::List { item } => item.collect_named(out),
            TypeRef::Map { value } => value.collect_named(out),
            TypeRef::Optional { inner } => inner.collect_named(out),
            TypeRef::Named { name, .. } => out.push(name.clone()),
            _ => {}
        }
    }
}

impl TypeDef {
    /// The names of the types this one refers to directly: field types and
    /// union variants.
    pub fn referenced_types(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.kind {
            TypeKind::Object { fields } => fields.iter().for_each(|f| f.ty.collect_named(&mut out)),
            TypeKind::Union { variants, .. } => {
                out.extend(variants.iter().map(|v| v.type_name.clone()))
            }
            TypeKind::Enum { .. } => {}
        }
        out
    }
}

impl Ir {
    /// Looks up a type by its unique name.
    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.get(name)
    }

    /// Iterates over every action of every module, in (module, action) order.
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.modules.values().flat_map(|m| m.actions.values())
    }

    /// The project-unique name of an action's error enum: `CreateTaskError`,
    /// or `TasksGetError` when another module has an action with the same
    /// PascalCase name (so every enum can live in one Rust module). The
    /// checker guarantees these names collide with no type and no other
    /// action's enum.
    pub fn error_enum_name(&self, action: &Action) -> String {
        let shared = self
            .actions()
            .any(|other| other.pascal_name == action.pascal_name && other.module != action.module);
        let module_pascal = self
            .modules
            .get(&action.module)
            .map_or("", |m| m.pascal_name.as_str());
        crate::naming::error_enum_name(module_pascal, &action.pascal_name, shared)
    }

    /// Every type reachable from `roots` through fields, list items, map
    /// values and union variants (the roots included when they exist).
    pub fn reachable_types(&self, roots: impl IntoIterator<Item = String>) -> BTreeSet<String> {
        let mut stack: Vec<String> = roots.into_iter().collect();
        let mut seen = BTreeSet::new();
        while let Some(name) = stack.pop() {
            if let Some(def) = self.types.get(&name)
                && seen.insert(name)
            {
                stack.extend(def.referenced_types());
            }
        }
        seen
    }

    /// The types the server decodes from the wire: everything reachable from
    /// an action's input, whatever its trigger. Output-only types are never
    /// decoded, so they need no decoder.
    pub fn input_types(&self) -> BTreeSet<String> {
        self.reachable_types(self.actions().filter_map(|a| a.input.clone()))
    }

    /// Serialises the IR as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("the IR always serialises");
        s.push('\n');
        s
    }
}
