//! The contract syntax tree: what the files say, with a span on everything a diagnostic may point at, before any name is resolved.

use crate::ir::Span;

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
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
    pub name: Spanned<String>,
    pub version: Spanned<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub database: Option<Spanned<String>>,
    pub base_path: Option<Spanned<String>>,
    pub sdk_package: Option<Spanned<String>>,
    pub span: Span,
}

/// One module file.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleDecl {
    /// Path of the file, relative to the contracts root.
    pub file: String,
    pub name: Spanned<String>,
    pub description: Option<String>,
    pub prefix: Option<Spanned<String>>,
    pub guards: Vec<GuardDecl>,
    pub types: Vec<TypeDecl>,
    pub events: Vec<EventDecl>,
    pub actions: Vec<ActionDecl>,
    pub span: Span,
}

/// A type under `types:`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDecl {
    pub name: Spanned<String>,
    pub description: Option<String>,
    pub deprecated: bool,
    pub body: TypeBody,
}

/// The shape of a declared type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeBody {
    Object(Vec<FieldDecl>),
    Enum(Vec<EnumValueDecl>),
    Union {
        tag: Spanned<String>,
        variants: Vec<(Spanned<String>, TypeExpr)>,
    },
}

/// One enum value.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumValueDecl {
    pub value: Spanned<String>,
    pub description: Option<String>,
    pub deprecated: bool,
}

/// A field of an object (declared type, inline input/output/payload, or a
/// nested inline object).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    pub name: Spanned<String>,
    pub ty: FieldType,
    pub default: Option<Spanned<serde_json::Value>>,
    pub example: Option<serde_json::Value>,
    pub description: Option<String>,
    pub deprecated: bool,
    pub constraints: Vec<ConstraintDecl>,
}

/// A field's type: an expression or a nested inline object.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    Expr(TypeExpr),
    /// A nested inline object, named `<Parent><Field>` by lowering.
    Inline {
        fields: Vec<FieldDecl>,
        optional: bool,
        span: Span,
    },
}

/// One constraint as written (`max_len: 200`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintDecl {
    pub name: Spanned<String>,
    pub value: Spanned<serde_json::Value>,
}

/// A type expression (`list<Task>?`), parsed, with spans for each part.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

/// The kinds of type expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeExprKind {
    Prim(Prim),
    List(Box<TypeExpr>),
    Map(Box<TypeExpr>),
    Optional(Box<TypeExpr>),
    /// `Name` or `module.Name`.
    Named {
        module: Option<String>,
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
    Bool,
    Int,
    Int64,
    I32,
    Float,
    String,
    Uuid,
    Email,
    Url,
    DateTime,
    Date,
    Json,
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
    Ref(TypeExpr),
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
    pub name: Spanned<String>,
    pub description: Option<String>,
    pub payload: Shape,
}

/// An action under `actions:`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionDecl {
    pub name: Spanned<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// `deprecated: true` gives `Some(None)`, `deprecated: "use x"` a note.
    pub deprecated: Option<Spanned<Option<String>>>,
    pub input: Option<Shape>,
    pub output: Option<Shape>,
    pub errors: Vec<ErrorDecl>,
    pub triggers: Vec<TriggerDecl>,
    /// True when `triggers:` was written with at least one entry (even if
    /// some entries were malformed and reported).
    pub triggers_declared: bool,
    pub guards: Vec<GuardDecl>,
    pub retry: Option<RetryDecl>,
    pub emits: Vec<Spanned<String>>,
}

/// A declared error.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorDecl {
    pub code: Spanned<String>,
    pub status: Option<Spanned<i64>>,
    pub message: Option<String>,
}

/// A trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerDecl {
    pub kind: TriggerKind,
    pub span: Span,
}

/// The kinds of triggers.
#[derive(Debug, Clone, PartialEq)]
pub enum TriggerKind {
    Api {
        method: Spanned<String>,
        path: Spanned<String>,
        status: Option<Spanned<i64>>,
    },
    Event(Spanned<String>),
    Cron {
        schedule: Spanned<String>,
        timezone: Option<Spanned<String>>,
    },
    Queue {
        priority: Option<Spanned<i64>>,
        max_attempts: Option<Spanned<i64>>,
    },
    Webhook {
        path: Spanned<String>,
        secret_env: Spanned<String>,
        signature_header: Option<Spanned<String>>,
        scheme: Option<Spanned<String>>,
    },
    Mcp {
        tool: Option<Spanned<String>>,
        description: Option<String>,
    },
}

/// A guard.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardDecl {
    pub kind: GuardDeclKind,
    pub span: Span,
}

/// The kinds of guards, arguments unvalidated.
#[derive(Debug, Clone, PartialEq)]
pub enum GuardDeclKind {
    Authenticated,
    HasRole(Spanned<String>),
    HasPermission(Spanned<String>),
    RateLimit {
        limit: Spanned<i64>,
        window: Spanned<String>,
        key: Option<Spanned<String>>,
    },
    InOrg,
    HasFeature(Spanned<String>),
    TrialActiveOrPaid,
    Custom(Spanned<String>),
}

/// `retry:`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryDecl {
    pub attempts: Option<Spanned<i64>>,
    pub backoff: Option<Spanned<String>>,
    pub base: Option<Spanned<String>>,
    pub max: Option<Spanned<String>>,
    pub span: Span,
}
