//! The IR's types: named types with their fields, references, directions and per-target names.

use serde::{Deserialize, Serialize};

use super::*;

/// A named type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeDef {
    /// Project-unique PascalCase name, the key of [`Ir::types`]: the Rust
    /// type name and the name of the type's home shape in TypeScript and
    /// OpenAPI (see [`TypeDef::names`] for every target's names). Declared
    /// types keep their contract name unless two modules declare the same
    /// name, in which case both get the module's PascalCase name as a prefix
    /// (`BillingStatus`). Inline types get a generated name
    /// (`CreateTaskInput`, prefixed the same way when two modules generate
    /// it). Names are claimed through [`crate::naming::Scope`], declared
    /// types first, so a name still taken gets a number (`CreateTaskInput2`).
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
    /// The documentation every target shows, worded once: the description
    /// (if any), then for an inline type where it comes from ("The input of
    /// `tasks.create_task`."); a declared type without a description says
    /// which module declares it.
    pub doc: String,
    /// True when the contract marks it `deprecated`.
    pub deprecated: bool,
    /// Object, enum or union.
    pub kind: TypeKind,
    /// Which ways values of the type travel.
    pub directions: Directions,
    /// The type's name in each target and shape.
    pub names: TypeNames,
    /// True when the type is part of a reference cycle, through any kind of
    /// reference (lists and maps included); the references that need a
    /// `Box` are marked `boxed` in [`TypeRef::Named`].
    pub recursive: bool,
    /// The typed fast path of an action's input (`None` for every other
    /// type, and for an input with a field the fast path cannot read
    /// exactly as the decoder does): the server may read a plain JSON body
    /// straight into the type with serde, then check its constraints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fast_path: Option<FastPath>,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// How the Rust API crate reads an input type on the typed fast path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FastPath {
    /// The private struct whose serde derive reads the body
    /// (`CreateTaskInputBody`), claimed through [`crate::naming::Scope`]
    /// clear of every type name, since inside the decoder it would hide a
    /// declared type of the same name.
    pub shadow: String,
}

/// Which ways values of a type travel: the one vocabulary every emitter and
/// `breaking` read. A type "reaches" another through object fields (lists,
/// maps and optionals included) and union variants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directions {
    /// The server reads values of this type: it is reachable from the input
    /// of any action, whatever its triggers (HTTP, event, queue, webhook,
    /// MCP...). The Rust API crate gives it a decoder.
    pub server_reads: bool,
    /// The server writes values of this type: it is reachable from the
    /// output of any action or from the payload of any event.
    pub server_writes: bool,
    /// Clients send it over HTTP: reachable from the input of an action with
    /// [`Audience::http`]. OpenAPI describes it in its request shape and the
    /// SDK in its input shape (optional and defaulted fields may be left out,
    /// unknown fields are rejected).
    pub http_request: bool,
    /// Clients receive it over HTTP: reachable from the output of an action
    /// with [`Audience::http`]. OpenAPI and the SDK describe it in its
    /// response shape (every field present, absent optionals as `null`).
    pub http_response: bool,
}

/// The names of one type in every target. A type whose HTTP request and
/// response shapes are told apart gets a second name for the request shape;
/// otherwise both names are the same. Every name is claimed once through
/// [`crate::naming::Scope`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeNames {
    /// The Rust type (always [`TypeDef::name`]).
    pub rust: String,
    /// The TypeScript declaration of the response shape, which is also the
    /// only declaration of a type that is not sent both ways (always
    /// [`TypeDef::name`]).
    pub ts_output: String,
    /// The TypeScript declaration of the input shape: [`TypeNames::ts_output`]
    /// unless the type travels both ways over HTTP and the shapes differ (it
    /// has a field that may be left out, directly or through a type it
    /// reaches), then `<Name>Input`, unique among the SDK's type names.
    pub ts_input: String,
    /// The OpenAPI component of the response shape, which is also the only
    /// component of a type that is not sent both ways (always
    /// [`TypeDef::name`]).
    pub openapi_response: String,
    /// The OpenAPI component of the request shape:
    /// [`TypeNames::openapi_response`] unless the type is an object or union
    /// that travels both ways over HTTP, then `<Name>-Input` (a hyphen never
    /// occurs in a type name).
    pub openapi_request: String,
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

impl Constraints {
    /// The constraints as one sentence for documentation, worded once for
    /// every target (`Constraints: min length 1, max length 200.`), or
    /// `None` when there are none.
    pub fn sentence(&self) -> Option<String> {
        let mut parts = Vec::new();
        let mut add = |label: &str, v: Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{label} {v}"));
            }
        };
        add("min length", self.min_len.map(|v| v.to_string()));
        add("max length", self.max_len.map(|v| v.to_string()));
        add("pattern", self.pattern.as_ref().map(|p| format!("`{p}`")));
        add("min", self.min.as_ref().map(|v| v.to_string()));
        add("max", self.max.as_ref().map(|v| v.to_string()));
        add("min items", self.min_items.map(|v| v.to_string()));
        add("max items", self.max_items.map(|v| v.to_string()));
        if self.unique {
            parts.push("items unique".into());
        }
        (!parts.is_empty()).then(|| format!("Constraints: {}.", parts.join(", ")))
    }
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
    /// OpenAPI: how the variant's schema carries the tag.
    pub openapi: VariantSchema,
}

/// How OpenAPI describes one variant of a union: the tag property must sit
/// beside the variant type's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VariantSchema {
    /// The variant type is used nowhere but as this one variant, so its own
    /// component carries the tag property.
    Embedded,
    /// The variant type is also used elsewhere: a separate component holds
    /// the tag plus the type's fields, named `<Union>.<tag_value>` (request
    /// shape `<Union>.<tag_value>-Input` when the union is split like
    /// [`TypeNames::openapi_request`]).
    Wrapper {
        /// The component of the response shape (and the only one when the
        /// union is not split).
        response: String,
        /// The component of the request shape.
        request: String,
    },
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
