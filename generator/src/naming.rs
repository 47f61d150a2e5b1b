//! Naming: the one place for case conversion, Rust and TypeScript keyword escaping and collision-free identifiers.
//!
//! The front end stores the results in the IR (`rust_name`, `pascal_name`,
//! `ts_name`, `error_enum`, [`crate::ir::TypeNames`], ...), so emitters never
//! decide a name that another target must agree with; they use these
//! functions only for names local to one generated item.
//!
//! Rules:
//! - Case conversion is `heck`'s, applied to the contract name as written.
//! - A Rust identifier that is a keyword is written raw (`r#type`), except the
//!   four that cannot be raw (`self`, `Self`, `crate`, `super`), which get a
//!   trailing underscore (`self_`). `_` alone becomes `__`.
//! - An identifier that would start with a digit gets a letter in front: `_`
//!   for snake_case names (`_2fa`), `V` for PascalCase names (`V2`).
//! - TypeScript property names that are not valid identifiers are quoted;
//!   reserved words used as bindings get a trailing underscore.

use std::collections::BTreeSet;

use heck::{ToKebabCase, ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// Rust keywords (strict, reserved and 2018+ edition keywords) that need the
/// raw form `r#` to be used as identifiers.
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be written raw (`r#self` is not an identifier).
const RUST_NON_RAW: &[&str] = &["self", "Self", "crate", "super"];

/// Type names a contract may not declare: they would shadow what generated
/// Rust or TypeScript code uses (the checker reports them, E0108).
pub const RESERVED_TYPE_NAMES: &[&str] = &[
    "Option", "Result", "Vec", "String", "Box", "Some", "None", "Ok", "Err", "Self", "Array",
    "Date", "Error", "Map", "Object", "Promise", "Record", "Set", "Symbol", "Number", "Boolean",
    "Uuid", "Value",
];

/// Type names generated code declares or imports next to the contracts' own
/// types: the API crate's traits and the runtime items it imports by name,
/// and the SDK's exports and runtime types. Invented names (error enums,
/// handler traits, inline types, TypeScript input variants, ...) are claimed
/// around them, so generated code never shadows one with another.
pub const GENERATED_TYPE_NAMES: &[&str] = &[
    // Rust: the API crate's own items and the names it imports unqualified.
    "ActionContext",
    "ActionSpec",
    "ApiError",
    "Arc",
    "BTreeMap",
    "Backoff",
    "Binding",
    "CustomGuards",
    "CustomGuardsAdapter",
    "Decode",
    "Decoder",
    "Future",
    "GuardSpec",
    "Handlers",
    "HttpRequest",
    "IntoResponse",
    "MethodFilter",
    "Param",
    "PhantomData",
    "RateLimitKey",
    "RetryPolicy",
    "Response",
    "Rule",
    "Router",
    "Runtime",
    "Violation",
    // TypeScript: what the SDK's runtime exports.
    "ApiResult",
    "Call",
    "CallOptions",
    "ClientError",
    "ClientErrorCode",
    "ClientOptions",
    "HeadersOption",
    "JsonValue",
    "Route",
    "SdkError",
    "UnknownApiError",
    "ValidationDetails",
];

/// TypeScript/JavaScript reserved words that cannot be used as binding names
/// (variables, parameters, functions, types).
const TS_RESERVED: &[&str] = &[
    "any",
    "arguments",
    "as",
    "await",
    "boolean",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "declare",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "module",
    "never",
    "new",
    "null",
    "number",
    "object",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "string",
    "super",
    "switch",
    "symbol",
    "this",
    "throw",
    "true",
    "try",
    "type",
    "typeof",
    "undefined",
    "unknown",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// snake_case of `s` (`TaskStatus` -> `task_status`, `fooBar` -> `foo_bar`).
pub fn snake(s: &str) -> String {
    s.to_snake_case()
}

/// PascalCase of `s` (`task_status` -> `TaskStatus`, `task.created` -> `TaskCreated`).
pub fn pascal(s: &str) -> String {
    s.to_upper_camel_case()
}

/// lowerCamelCase of `s` (`create_task` -> `createTask`).
pub fn camel(s: &str) -> String {
    s.to_lower_camel_case()
}

/// kebab-case of `s` (`my_app` -> `my-app`).
pub fn kebab(s: &str) -> String {
    s.to_kebab_case()
}

/// SHOUTY_SNAKE_CASE of `s` (`max_len` -> `MAX_LEN`), for constants.
pub fn shouty(s: &str) -> String {
    s.to_shouty_snake_case()
}

/// A sentence from a snake_case code (`title_taken` -> `Title taken`), used
/// for default error messages.
pub fn sentence(code: &str) -> String {
    let words = code.replace(['_', '.', '-'], " ");
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// True when `s` is a Rust keyword (including ones reserved for the future).
pub fn is_rust_keyword(s: &str) -> bool {
    RUST_KEYWORDS.contains(&s)
}

/// True when `s` is a TypeScript reserved word that cannot name a binding.
pub fn is_ts_reserved(s: &str) -> bool {
    TS_RESERVED.contains(&s)
}

/// Makes `s` usable as a Rust identifier: keywords are written raw
/// (`type` -> `r#type`), the four that cannot be raw get a trailing
/// underscore (`self` -> `self_`), `_` becomes `__` and an empty string `_`.
/// The input must otherwise be identifier characters (which the checker
/// guarantees for contract names).
pub fn escape_rust(s: &str) -> String {
    if s.is_empty() || s == "_" {
        return "__".to_owned();
    }
    if RUST_NON_RAW.contains(&s) {
        return format!("{s}_");
    }
    if is_rust_keyword(s) {
        return format!("r#{s}");
    }
    s.to_owned()
}

/// A Rust snake_case identifier (field, method, module, local) for a contract
/// name: snake case, digit-led names prefixed with `_`, keywords escaped.
/// `type` -> `r#type`, `fooBar` -> `foo_bar`, `self` -> `self_`.
pub fn rust_snake_ident(s: &str) -> String {
    let mut snake = snake(s);
    if snake.starts_with(|c: char| c.is_ascii_digit()) {
        snake.insert(0, '_');
    }
    escape_rust(&snake)
}

/// A Rust PascalCase identifier (type, variant, trait) for a contract name:
/// PascalCase, digit-led names prefixed with `V`, `Self` escaped to `Self_`.
/// `in_progress` -> `InProgress`, `2fa` -> `V2fa`.
pub fn rust_pascal_ident(s: &str) -> String {
    let mut pascal = pascal(s);
    if pascal.is_empty() || pascal.starts_with(|c: char| c.is_ascii_digit()) {
        pascal.insert(0, 'V');
    }
    escape_rust(&pascal)
}

/// Builds a `proc_macro2::Ident` from an identifier produced by this module,
/// handling the raw `r#` form (which `format_ident!`/`Ident::new` reject).
pub fn to_ident(escaped: &str) -> proc_macro2::Ident {
    let span = proc_macro2::Span::call_site();
    match escaped.strip_prefix("r#") {
        Some(raw) => proc_macro2::Ident::new_raw(raw, span),
        None => proc_macro2::Ident::new(escaped, span),
    }
}

/// The name of a Rust identifier without its `r#` prefix: what two escaped
/// names are compared by when checking collisions (`r#type` and `type` are
/// the same identifier to rustc).
pub fn unraw(escaped: &str) -> &str {
    escaped.strip_prefix("r#").unwrap_or(escaped)
}

/// True when `s` is a valid JavaScript identifier name in ASCII
/// (`[A-Za-z_$][A-Za-z0-9_$]*`); reserved words are valid property names.
pub fn is_ts_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A TypeScript property key for a wire name: as is when it is an
/// identifier, else a double-quoted string literal (`"content-type"`).
pub fn ts_property(name: &str) -> String {
    if is_ts_identifier(name) {
        name.to_owned()
    } else {
        ts_string(name)
    }
}

/// A TypeScript/JSON double-quoted string literal for `s`.
pub fn ts_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// A TypeScript binding name (variable, parameter, function) in camelCase
/// for a contract name; reserved words get a trailing underscore
/// (`delete` -> `delete_`), digit-led names a leading `_`.
pub fn ts_ident(s: &str) -> String {
    let mut camel = camel(s);
    if camel.is_empty() || camel.starts_with(|c: char| c.is_ascii_digit()) {
        camel.insert(0, '_');
    }
    if is_ts_reserved(&camel) {
        camel.push('_');
    }
    camel
}

/// A TypeScript type name (PascalCase) for a contract name.
pub fn ts_type_ident(s: &str) -> String {
    let mut pascal = pascal(s);
    if pascal.is_empty() || pascal.starts_with(|c: char| c.is_ascii_digit()) {
        pascal.insert(0, 'V');
    }
    pascal
}

/// Hands out collision-free identifiers within one scope: the first claim of
/// a name gets it as is, later claims get a number (compared without `r#`).
/// [`Scope::claim`] numbers snake_case names `x_2`, `x_3`, ... (`self_`
/// becomes `self_2`, never a double underscore, which rustc's lints reject);
/// [`Scope::claim_pascal`] numbers PascalCase names `X2`, `X3`, ... The
/// front end claims every invented name through a scope, in an order fixed
/// by the contracts, so no two collide in any target.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    /// An empty scope.
    pub fn new() -> Self {
        Scope::default()
    }

    /// A scope where `names` are already taken.
    pub fn with_taken<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        Scope {
            taken: names.into_iter().map(|n| unraw(n).to_owned()).collect(),
        }
    }

    /// Claims `name` (an escaped identifier), or the first free `name_N`.
    pub fn claim(&mut self, name: &str) -> String {
        if self.taken.insert(unraw(name).to_owned()) {
            return name.to_owned();
        }
        let base = unraw(name);
        let sep = if base.ends_with('_') { "" } else { "_" };
        self.first_free(|n| format!("{base}{sep}{n}"))
    }

    /// Claims `name` (a PascalCase identifier), or the first free `nameN`.
    pub fn claim_pascal(&mut self, name: &str) -> String {
        if self.taken.insert(unraw(name).to_owned()) {
            return name.to_owned();
        }
        let base = unraw(name);
        self.first_free(|n| format!("{base}{n}"))
    }

    /// Marks `name` as taken without claiming a variant of it.
    pub fn take(&mut self, name: &str) {
        self.taken.insert(unraw(name).to_owned());
    }

    fn first_free(&mut self, candidate: impl Fn(u32) -> String) -> String {
        let mut n = 2u32;
        loop {
            let c = candidate(n);
            if self.taken.insert(c.clone()) {
                return c;
            }
            n += 1;
        }
    }

    /// True when `name` is already taken.
    pub fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(unraw(name))
    }
}

/// True when `s` is snake_case as the contract format requires for modules,
/// actions, fields and error codes: `[a-z][a-z0-9]*(_[a-z0-9]+)*`.
pub fn is_snake_case(s: &str) -> bool {
    let mut chars = s.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_lowercase()) {
        return false;
    }
    !s.contains("__")
        && !s.ends_with('_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// True when `s` is PascalCase as the contract format requires for types:
/// an upper-case ASCII letter then ASCII letters and digits.
pub fn is_pascal_case(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

/// True when `s` is a dotted lower_snake event name: two or more snake_case
/// segments joined by `.` (`task.created`). The dot is what tells an event
/// reference (`input: task.created`) from a type name.
pub fn is_event_name(s: &str) -> bool {
    s.contains('.') && s.split('.').all(is_snake_case)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_keywords() {
        assert_eq!(rust_snake_ident("type"), "r#type");
        assert_eq!(rust_snake_ident("self"), "self_");
        assert_eq!(rust_snake_ident("crate"), "crate_");
        assert_eq!(rust_snake_ident("fooBar"), "foo_bar");
        assert_eq!(rust_snake_ident("2fa"), "_2fa");
        assert_eq!(rust_pascal_ident("self"), "Self_");
        assert_eq!(rust_pascal_ident("in_progress"), "InProgress");
        assert_eq!(rust_pascal_ident("2"), "V2");
        assert_eq!(to_ident("r#type").to_string(), "r#type");
    }

    #[test]
    fn ts_names() {
        assert_eq!(ts_property("content-type"), "\"content-type\"");
        assert_eq!(ts_property("delete"), "delete");
        assert_eq!(ts_ident("delete"), "delete_");
        assert_eq!(ts_ident("create_task"), "createTask");
    }

    #[test]
    fn scope_disambiguates() {
        let mut s = Scope::with_taken(["r#type"]);
        assert_eq!(s.claim("type"), "type_2");
        assert_eq!(s.claim("id"), "id");
        assert_eq!(s.claim("id"), "id_2");
        assert_eq!(s.claim("self_"), "self_");
        assert_eq!(s.claim("self_"), "self_2");
        assert_eq!(s.claim_pascal("GetError"), "GetError");
        assert_eq!(s.claim_pascal("GetError"), "GetError2");
        assert_eq!(s.claim_pascal("GetError"), "GetError3");
    }

    #[test]
    fn case_predicates() {
        assert!(is_snake_case("task_status2"));
        assert!(!is_snake_case("task__status"));
        assert!(!is_snake_case("Task"));
        assert!(is_pascal_case("TaskStatus"));
        assert!(!is_pascal_case("task"));
        assert!(is_event_name("task.created"));
        assert!(!is_event_name("task..created"));
        assert!(!is_event_name("task_created"));
        assert_eq!(sentence("title_taken"), "Title taken");
    }
}
