//! The contract syntax tree: what the files say, with a span on everything a diagnostic may point at, before any name is resolved.

use crate::ir::Span;

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Wraps `value` with `span`.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

/// Every contract file of a project, parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contracts {
    /// `bunbase.yaml`, when present and readable.
    pub project: Option<ProjectDecl>,
    /// Module files, sorted by file path.
    pub modules: Vec<ModuleDecl>,
}

/// `bunbase.yaml`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectDecl {
    /// The name as written.
    pub name: Spanned<String>,
    /// `version`.
    pub version: Spanned<String>,
    /// `title`, if any.
    pub title: Option<String>,
    /// `description`, if any.
    pub description: Option<String>,
    /// `database`, if declared.
    pub database: Option<Spanned<String>>,
    /// `api.base_path`, if declared.
    pub base_path: Option<Spanned<String>>,
    /// `sdk.typescript.package`, if declared.
    pub sdk_package: Option<Spanned<String>>,
    /// `license: { name, url }`: the license's name and URL, if declared.
    pub license: Option<(Spanned<String>, Option<Spanned<String>>)>,
    /// Where it was written.
    pub span: Span,
}

/// One module file.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleDecl {
    /// Path of the file, relative to the contracts root.
    pub file: String,
    /// The name as written.
    pub name: Spanned<String>,
    /// `description`, if any.
    pub description: Option<String>,
    /// `prefix`, if declared.
    pub prefix: Option<Spanned<String>>,
    /// `guards`, in order.
    pub guards: Vec<GuardDecl>,
    /// Types in document order.
    pub types: Vec<TypeDecl>,
    /// Events in document order.
    pub events: Vec<EventDecl>,
    /// Actions in document order.
    pub actions: Vec<ActionDecl>,
    /// Where it was written.
    pub span: Span,
}

/// A type under `types:`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDecl {
    /// The name as written.
    pub name: Spanned<String>,
    /// `description`, if any.
    pub description: Option<String>,
    /// True when marked `deprecated`.
    pub deprecated: bool,
    /// Object, enum or union.
    pub body: TypeBody,
}

/// The shape of a declared type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeBody {
    /// `fields:`
    Object(Vec<FieldDecl>),
    /// `enum:`
    Enum(Vec<EnumValueDecl>),
    /// `union: { tag, variants }`
    Union {
        /// The tag field name.
        tag: Spanned<String>,
        /// (tag value, object type) in document order.
        variants: Vec<(Spanned<String>, TypeExpr)>,
    },
}

/// One enum value.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumValueDecl {
    /// The value as written.
    pub value: Spanned<String>,
    /// `description`, if any.
    pub description: Option<String>,
    /// True when marked `deprecated`.
    pub deprecated: bool,
}

/// A field of an object (declared type, inline input/output/payload, or a
/// nested inline object).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    /// The name as written.
    pub name: Spanned<String>,
    /// The field's type.
    pub ty: FieldType,
    /// `default`, if any.
    pub default: Option<Spanned<serde_json::Value>>,
    /// `example`, if any.
    pub example: Option<Spanned<serde_json::Value>>,
    /// `description`, if any.
    pub description: Option<String>,
    /// True when marked `deprecated`.
    pub deprecated: bool,
    /// Constraints in document order.
    pub constraints: Vec<ConstraintDecl>,
}

/// A field's type: an expression or a nested inline object.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    /// A type expression.
    Expr(TypeExpr),
    /// A nested inline object, named `<Parent><Field>` by lowering.
    Inline {
        /// The nested object's fields.
        fields: Vec<FieldDecl>,
        /// `optional: true`: the field holds the object or nothing.
        optional: bool,
        /// Where it was written.
        span: Span,
    },
}

/// One constraint as written (`max_len: 200`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintDecl {
    /// The name as written.
    pub name: Spanned<String>,
    /// The constraint's value.
    pub value: Spanned<serde_json::Value>,
}

/// A type expression (`list<Task>?`), parsed, with spans for each part.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    /// What the expression is.
    pub kind: TypeExprKind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of type expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeExprKind {
    /// A built-in type.
    Prim(Prim),
    /// `list<T>` or `[T]`.
    List(Box<TypeExpr>),
    /// `map<T>`.
    Map(Box<TypeExpr>),
    /// `T?`.
    Optional(Box<TypeExpr>),
    /// `Name` or `module.Name`.
    Named {
        /// The module qualifier, if written.
        module: Option<String>,
        /// The type name.
        name: String,
    },
    /// An event's payload type (`task.created`).
    Event(String),
    /// A malformed expression, already reported.
    Invalid,
}

/// Built-in scalar types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Prim {
    /// `bool`
    Bool,
    /// `int`
    Int,
    /// `int64`
    Int64,
    /// `i32`
    I32,
    /// `float`
    Float,
    /// `string`
    String,
    /// `uuid`
    Uuid,
    /// `email`
    Email,
    /// `url`
    Url,
    /// `datetime`
    DateTime,
    /// `date`
    Date,
    /// `json`
    Json,
    /// `bytes`
    Bytes,
}

impl Prim {
    /// Every built-in, with its contract spelling.
    pub const ALL: &'static [(&'static str, Prim)] = &[
        ("bool", Prim::Bool),
        ("int", Prim::Int),
        ("int64", Prim::Int64),
        ("i32", Prim::I32),
        ("float", Prim::Float),
        ("string", Prim::String),
        ("uuid", Prim::Uuid),
        ("email", Prim::Email),
        ("url", Prim::Url),
        ("datetime", Prim::DateTime),
        ("date", Prim::Date),
        ("json", Prim::Json),
        ("bytes", Prim::Bytes),
    ];

    /// The built-in spelled `s`.
    pub fn from_name(s: &str) -> Option<Prim> {
        Prim::ALL.iter().find(|(n, _)| *n == s).map(|(_, p)| *p)
    }

    /// The contract spelling.
    pub fn name(self) -> &'static str {
        Prim::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("?", |(n, _)| n)
    }
}

/// An action's input, output or an event's payload: a type expression or an
/// inline object.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A type expression (`Task`, `task.created`, `json`).
    Ref(TypeExpr),
    /// A mapping of fields.
    Inline { fields: Vec<FieldDecl>, span: Span },
}

impl Shape {
    /// Where the shape was written.
    pub fn span(&self) -> &Span {
        match self {
            Shape::Ref(t) => &t.span,
            Shape::Inline { span, .. } => span,
        }
    }
}

/// An event under `events:`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDecl {
    /// The name as written.
    pub name: Spanned<String>,
    /// `description`, if any.
    pub description: Option<String>,
    /// The payload (inline fields, or a type).
    pub payload: Shape,
}

/// An action under `actions:`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionDecl {
    /// The name as written.
    pub name: Spanned<String>,
    /// `summary`, if any.
    pub summary: Option<String>,
    /// `description`, if any.
    pub description: Option<String>,
    /// `deprecated: true` gives `Some(None)`, `deprecated: "use x"` a note.
    pub deprecated: Option<Spanned<Option<String>>>,
    /// `input`, if any.
    pub input: Option<Shape>,
    /// `output`, if any.
    pub output: Option<Shape>,
    /// Declared errors in document order.
    pub errors: Vec<ErrorDecl>,
    /// Triggers in document order.
    pub triggers: Vec<TriggerDecl>,
    /// True when `triggers:` was written with at least one entry (even if
    /// some entries were malformed and reported).
    pub triggers_declared: bool,
    /// `guards`, in order.
    pub guards: Vec<GuardDecl>,
    /// `retry`, if any.
    pub retry: Option<RetryDecl>,
    /// Event names under `emits`.
    pub emits: Vec<Spanned<String>>,
}

/// A declared error.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorDecl {
    /// The error code.
    pub code: Spanned<String>,
    /// The HTTP status.
    pub status: Option<Spanned<i64>>,
    /// The message, if any.
    pub message: Option<String>,
}

/// A trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerDecl {
    /// What kind of trigger, with its settings.
    pub kind: TriggerKind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of triggers.
#[derive(Debug, Clone, PartialEq)]
pub enum TriggerKind {
    /// `api: "METHOD /path"` or `{ method, path, status }`.
    Api {
        /// The HTTP method as written.
        method: Spanned<String>,
        /// The path as written.
        path: Spanned<String>,
        /// The success status, if declared.
        status: Option<Spanned<i64>>,
    },
    /// `event: name`.
    Event(Spanned<String>),
    /// `cron: "expr"` or `{ schedule, timezone }`.
    Cron {
        /// The cron expression.
        schedule: Spanned<String>,
        /// The IANA time zone, if declared.
        timezone: Option<Spanned<String>>,
    },
    /// `queue: { priority, max_attempts }`.
    Queue {
        /// The job priority, if declared.
        priority: Option<Spanned<i64>>,
        /// Attempts before dead-lettering, if declared.
        max_attempts: Option<Spanned<i64>>,
    },
    /// `webhook: { path, secret_env, signature_header, scheme, prefix,
    /// encoding, id_header, tolerance, mode }`.
    Webhook(Box<WebhookDecl>),
    /// `mcp: { tool, description }`.
    Mcp {
        /// The tool name, if declared.
        tool: Option<Spanned<String>>,
        /// `description`, if any.
        description: Option<String>,
    },
}

/// A `webhook` trigger as written.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookDecl {
    /// The path as written.
    pub path: Spanned<String>,
    /// The environment variable holding the secret(s).
    pub secret_env: Spanned<String>,
    /// The signature header, if declared.
    pub signature_header: Option<Spanned<String>>,
    /// The signature scheme, if declared.
    pub scheme: Option<Spanned<String>>,
    /// Text before an `hmac-sha256` signature (`sha256=`), if declared.
    pub prefix: Option<Spanned<String>>,
    /// `hex` or `base64` for `hmac-sha256`, if declared.
    pub encoding: Option<Spanned<String>>,
    /// The provider's delivery-id header for `hmac-sha256`, if declared.
    pub id_header: Option<Spanned<String>>,
    /// The timestamp window of `stripe` and `standard-webhooks` (a
    /// duration such as `5m`), if declared.
    pub tolerance: Option<Spanned<String>>,
    /// `sync` or `queue`, if declared.
    pub mode: Option<Spanned<String>>,
}

/// A guard.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardDecl {
    /// What the guard checks.
    pub kind: GuardDeclKind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of guards, arguments unvalidated.
#[derive(Debug, Clone, PartialEq)]
pub enum GuardDeclKind {
    /// `authenticated`
    Authenticated,
    /// `has_role: r`
    HasRole(Spanned<String>),
    /// `has_permission: p`
    HasPermission(Spanned<String>),
    /// `rate_limit: { limit, window, key }`
    RateLimit {
        /// Requests per window.
        limit: Spanned<i64>,
        /// The window duration.
        window: Spanned<String>,
        /// `ip` or `user`, if declared.
        key: Option<Spanned<String>>,
    },
    /// `in_org`
    InOrg,
    /// `has_feature: f`
    HasFeature(Spanned<String>),
    /// `trial_active_or_paid`
    TrialActiveOrPaid,
    /// `custom: name`
    Custom(Spanned<String>),
}

/// `retry:`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryDecl {
    /// `attempts`, if declared.
    pub attempts: Option<Spanned<i64>>,
    /// `backoff`, if declared.
    pub backoff: Option<Spanned<String>>,
    /// `base`, if declared.
    pub base: Option<Spanned<String>>,
    /// `max`, if declared.
    pub max: Option<Spanned<String>>,
    /// Where it was written.
    pub span: Span,
}
