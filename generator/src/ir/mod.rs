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

mod actions;
mod types;

pub use actions::*;
pub use types::*;

/// The version of the IR's JSON shape. Bump it on any change a consumer of
/// `bunbase ir` output could notice.
///
/// 4: queue and cron triggers carry their job kind, attempts, schedule and
/// enqueue function names, and a `mode: queue` webhook its job (`job`);
/// these came after 3 without a bump of their own.
///
/// 5: an action's input type carries its typed fast path (`fast_path`,
/// with the name of its shadow struct) when it has one.
pub const IR_FORMAT_VERSION: u32 = 5;

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
    /// The framework's own answers to HTTP requests that no action declares
    /// (malformed JSON, no such route, method not allowed, body too large,
    /// wrong content type), sorted by status. The SDK folds them into one
    /// transport-error type ([`ProjectNames::ts_transport_error`]); OpenAPI
    /// documents them beside each operation's own errors.
    pub transport_errors: Vec<TransportError>,
    /// The database schema replayed from the migrations (empty without
    /// any); filled by [`crate::migrations::build`] after lowering.
    #[serde(default, skip_serializing_if = "crate::migrations::DbModel::is_empty")]
    pub db: crate::migrations::DbModel,
    /// Names invented for the whole project rather than for one type,
    /// module or action.
    pub names: ProjectNames,
    /// The `recursion_limit` the generated Rust crate must declare because
    /// its types nest deeper than rustc follows by default (drop check and
    /// auto traits recurse once per level; see `lower::depth`), or `None`
    /// when the default of 128 is enough.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursion_limit: Option<u32>,
}

/// An answer of the framework to an HTTP request that no action declares:
/// the request never reached an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransportError {
    /// snake_case code on the wire (`malformed_json`).
    pub code: String,
    /// HTTP status.
    pub status: u16,
    /// What it means.
    pub message: String,
    /// True when only a request that carries a body can get it (malformed
    /// JSON, a body too large, a body without a JSON content type); the
    /// others answer requests no operation serves (no such route, method
    /// not allowed).
    pub with_body: bool,
}

/// Names bunbase invents for the project as a whole. Each is claimed once
/// through [`crate::naming::Scope`] against every type, error enum and other
/// invented name of its target, so none collides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectNames {
    /// TypeScript: the interface `createClient` returns (`Client`).
    pub ts_client: String,
    /// TypeScript: the union of the errors every call can end with besides
    /// its action's own ([`Ir::transport_errors`] plus the client's own
    /// failures), `TransportError`.
    pub ts_transport_error: String,
    /// OpenAPI: the component schema of the error envelope (`ErrorEnvelope`).
    pub openapi_envelope: String,
    /// OpenAPI: the component schema of `validation_failed`'s details
    /// (`ValidationFailedDetails`).
    pub openapi_validation_details: String,
    /// OpenAPI: the component schema of one input violation (`Violation`).
    pub openapi_violation: String,
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
    /// The license the API is offered under (OpenAPI `info.license`), when
    /// declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<License>,
    #[serde(skip)]
    /// Where it was written (not serialised).
    pub span: Span,
}

/// The license of the API, from `bunbase.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct License {
    /// Its name (`MIT`, `Apache-2.0`, `Proprietary`).
    pub name: String,
    /// Where its text is, if given.
    pub url: Option<String>,
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
    /// PascalCase form (`Tasks`), the base of the module's invented names.
    pub pascal_name: String,
    /// The property of the TypeScript client (`client.tasks`): camelCase,
    /// unique among the modules' properties.
    pub ts_name: String,
    /// The Rust handler trait the server crate implements (`TasksHandler`),
    /// unique among the API crate's type names.
    pub rust_handler: String,
    /// The TypeScript interface of the module's client (`TasksClient`),
    /// unique among the SDK's exported type names.
    pub ts_client: String,
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

/// An event, published by actions that list it in `emits` and consumed by
/// actions with an `event` trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Dotted lower_snake name (`task.created`).
    pub name: String,
    /// PascalCase form (`TaskCreated`).
    pub pascal_name: String,
    /// snake_case identifier form (`task_created`), for function names such
    /// as `emit_task_created`; unique among the project's events (`task.created`
    /// and `task_created` give `task_created` and `task_created_2`).
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

impl Ir {
    /// Looks up a type by its unique name.
    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.get(name)
    }

    /// Iterates over every action of every module, in (module, action) order.
    pub fn actions(&self) -> impl Iterator<Item = &Action> {
        self.modules.values().flat_map(|m| m.actions.values())
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

    /// Serialises the IR as pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("the IR always serialises");
        s.push('\n');
        s
    }
}
