//! Input validation: the [`Validate`] trait generated types implement, JSON-pointer paths, and one check function per contract constraint.
//!
//! Generated code implements [`Validate::validate_into`] by calling the
//! functions in [`check`] for each constrained field and recursing into
//! nested values; every violation is collected, so a client sees all of its
//! mistakes at once.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Mutex, OnceLock};

use regex::Regex;
use serde::Serialize;

/// One problem with the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Violation {
    /// JSON pointer to the offending value (`/items/2/title`; `""` is the
    /// whole input).
    pub path: String,
    /// Stable code: `min_len`, `max_len`, `pattern`, `min`, `max`,
    /// `min_items`, `max_items`, `unique`, `int_range`, `email`, `url`,
    /// `required`, `unknown_field`, `invalid_type`, `invalid_value`,
    /// `duplicate_key`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

/// Violations collected while validating one input.
#[derive(Debug, Default, Clone)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation.
    pub fn push(&mut self, path: &Pointer, code: &str, message: impl Into<String>) {
        self.0.push(Violation {
            path: path.as_str().to_owned(),
            code: code.to_owned(),
            message: message.into(),
        });
    }

    /// Records a violation built elsewhere.
    pub fn push_violation(&mut self, violation: Violation) {
        self.0.push(violation);
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The violations in the order found.
    pub fn as_slice(&self) -> &[Violation] {
        &self.0
    }

    /// `Ok` when empty, else a 400 `validation_failed` [`crate::ApiError`].
    pub fn into_result(self) -> Result<(), crate::ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::ApiError::validation(self.0))
        }
    }

    /// The violations.
    pub fn into_vec(self) -> Vec<Violation> {
        self.0
    }
}

/// A JSON pointer (RFC 6901) under construction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pointer(String);

impl Pointer {
    /// The root pointer `""` (the whole input).
    pub fn root() -> Self {
        Pointer(String::new())
    }

    /// The pointer to object member `name` (escapes `~` and `/`).
    pub fn field(&self, name: &str) -> Pointer {
        let mut s = String::with_capacity(self.0.len() + name.len() + 1);
        s.push_str(&self.0);
        s.push('/');
        for c in name.chars() {
            match c {
                '~' => s.push_str("~0"),
                '/' => s.push_str("~1"),
                c => s.push(c),
            }
        }
        Pointer(s)
    }

    /// The pointer to list element `i`.
    pub fn index(&self, i: usize) -> Pointer {
        Pointer(format!("{}/{i}", self.0))
    }

    /// The pointer as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A value whose contract constraints can be checked.
///
/// Generated input types implement it; the runtime implements it (as a
/// no-op or by recursion) for primitives, `Option`, `Vec`, `Box` and maps so
/// generated code can call it on every field uniformly.
pub trait Validate {
    /// Checks `self`, found at `at`, pushing every problem into `out`.
    fn validate_into(&self, at: &Pointer, out: &mut Violations);

    /// Checks the whole value: `Ok` or a 400 `validation_failed` error
    /// listing every violation.
    fn validate(&self) -> Result<(), crate::ApiError> {
        let mut out = Violations::new();
        self.validate_into(&Pointer::root(), &mut out);
        out.into_result()
    }
}

/// Implements [`Validate`] as a no-op for types whose decoder already
/// checked every constraint (generated input types: their `Decode` impl, or
/// the typed fast path, rejects any value that breaks one), so the pipeline,
/// which validates every input, has nothing left to do:
/// `bunbase_runtime::checked_by_decoding!(CreateTaskInput, TaskStatus);`.
#[macro_export]
macro_rules! checked_by_decoding {
    ($($t:ty),* $(,)?) => {
        $(impl $crate::validate::Validate for $t {
            /// Nothing left to check: decoding already checked every constraint.
            fn validate_into(&self, _: &$crate::validate::Pointer, _: &mut $crate::validate::Violations) {}
        })*
    };
}

macro_rules! no_op_validate {
    ($($t:ty),* $(,)?) => {
        $(impl Validate for $t {
            fn validate_into(&self, _: &Pointer, _: &mut Violations) {}
        })*
    };
}

no_op_validate!(
    (),
    bool,
    u8,
    i32,
    i64,
    u32,
    u64,
    f32,
    f64,
    String,
    uuid::Uuid,
    chrono::DateTime<chrono::Utc>,
    chrono::NaiveDate,
    serde_json::Value,
    crate::wire::Int64,
    crate::wire::Base64,
);

impl<T: Validate + ?Sized> Validate for Box<T> {
    fn validate_into(&self, at: &Pointer, out: &mut Violations) {
        (**self).validate_into(at, out)
    }
}

impl<T: Validate> Validate for Option<T> {
    fn validate_into(&self, at: &Pointer, out: &mut Violations) {
        if let Some(v) = self {
            v.validate_into(at, out)
        }
    }
}

impl<T: Validate> Validate for Vec<T> {
    fn validate_into(&self, at: &Pointer, out: &mut Violations) {
        for (i, v) in self.iter().enumerate() {
            v.validate_into(&at.index(i), out)
        }
    }
}

impl<T: Validate> Validate for BTreeMap<String, T> {
    fn validate_into(&self, at: &Pointer, out: &mut Violations) {
        for (k, v) in self {
            v.validate_into(&at.field(k), out)
        }
    }
}

impl<T: Validate, S> Validate for HashMap<String, T, S> {
    fn validate_into(&self, at: &Pointer, out: &mut Violations) {
        for (k, v) in self {
            v.validate_into(&at.field(k), out)
        }
    }
}

/// A regular expression compiled once, on first use: generated code declares
/// `static TITLE_PATTERN: Pattern = Pattern::new("^[a-z]+$");`.
pub struct Pattern {
    source: &'static str,
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    /// Declares a pattern (Rust `regex` syntax, unanchored).
    pub const fn new(source: &'static str) -> Self {
        Pattern {
            source,
            compiled: OnceLock::new(),
        }
    }

    /// The pattern's source text.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// Whether `value` matches. A pattern that does not compile (the checker
    /// rejects those, so only hand-written code can hit this) matches
    /// nothing and is logged.
    pub fn is_match(&self, value: &str) -> bool {
        self.compiled
            .get_or_init(|| match Regex::new(self.source) {
                Ok(r) => Some(r),
                Err(e) => {
                    tracing::error!(pattern = self.source, error = %e, "invalid pattern; every value will be rejected");
                    None
                }
            })
            .as_ref()
            .is_some_and(|r| r.is_match(value))
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

/// Largest integer the `int` type accepts: 2^53 − 1, exact in every JSON
/// client.
pub const MAX_SAFE_INT: i64 = (1 << 53) - 1;

/// `n` and `noun`, pluralised: `1 character`, `2 characters`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// One function per contract constraint, for values serde already decoded
/// (hand-written inputs that implement [`Validate`]). Each checks one value
/// at `path` and pushes a [`Violation`] into `out` when it fails, with the
/// same code and message as the decoder in [`crate::wire`] that generated
/// inputs use: both call the same check.
pub mod check {
    use super::*;
    use crate::wire::{self, At};

    fn at<'a>(out: &'a mut Violations, path: &'a Pointer) -> At<'a> {
        At { out, path }
    }

    /// `min_len`: at least `min` characters (Unicode scalar values).
    pub fn min_len(out: &mut Violations, path: &Pointer, value: &str, min: u64) {
        wire::min_len(&mut at(out, path), value, min as usize)
    }

    /// `max_len`: at most `max` characters (Unicode scalar values).
    pub fn max_len(out: &mut Violations, path: &Pointer, value: &str, max: u64) {
        wire::max_len(&mut at(out, path), value, max as usize)
    }

    /// `pattern`: the value must match somewhere (unless the pattern
    /// anchors itself).
    pub fn pattern(out: &mut Violations, path: &Pointer, value: &str, pattern: &Pattern) {
        wire::pattern(&mut at(out, path), value, pattern)
    }

    /// `pattern` for hand-written code: compiles `source` once per distinct
    /// `&'static str` and caches it.
    pub fn pattern_str(out: &mut Violations, path: &Pointer, value: &str, source: &'static str) {
        static CACHE: OnceLock<Mutex<HashMap<&'static str, &'static Pattern>>> = OnceLock::new();
        let pat: &'static Pattern = {
            let mut map = CACHE
                .get_or_init(Default::default)
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            map.entry(source)
                .or_insert_with(|| Box::leak(Box::new(Pattern::new(source))))
        };
        pattern(out, path, value, pat)
    }

    /// `min` on an integer.
    pub fn min_int(out: &mut Violations, path: &Pointer, value: i64, min: i64) {
        wire::min(&mut at(out, path), value, min)
    }

    /// `max` on an integer.
    pub fn max_int(out: &mut Violations, path: &Pointer, value: i64, max: i64) {
        wire::max(&mut at(out, path), value, max)
    }

    /// `min` on a float (NaN is below every bound).
    pub fn min_float(out: &mut Violations, path: &Pointer, value: f64, min: f64) {
        wire::min(
            &mut at(out, path),
            if value.is_nan() {
                f64::NEG_INFINITY
            } else {
                value
            },
            min,
        )
    }

    /// `max` on a float (NaN is above every bound).
    pub fn max_float(out: &mut Violations, path: &Pointer, value: f64, max: f64) {
        wire::max(
            &mut at(out, path),
            if value.is_nan() { f64::INFINITY } else { value },
            max,
        )
    }

    /// The `int` type's range: ±(2^53 − 1).
    pub fn int_range(out: &mut Violations, path: &Pointer, value: i64) {
        wire::int_range(&mut at(out, path), value)
    }

    /// `min_items` on a list (or map).
    pub fn min_items(out: &mut Violations, path: &Pointer, len: usize, min: u64) {
        wire::min_items(&mut at(out, path), len, min as usize)
    }

    /// `max_items` on a list (or map).
    pub fn max_items(out: &mut Violations, path: &Pointer, len: usize, max: u64) {
        wire::max_items(&mut at(out, path), len, max as usize)
    }

    /// `unique`: no two items are equal.
    pub fn unique<T: PartialEq>(out: &mut Violations, path: &Pointer, items: &[T]) {
        wire::unique(&mut at(out, path), items)
    }

    /// The `email` format ([`wire::is_email`]).
    pub fn email(out: &mut Violations, path: &Pointer, value: &str) {
        wire::email_format(&mut at(out, path), value);
    }

    /// The `url` format ([`wire::is_url`]).
    pub fn url(out: &mut Violations, path: &Pointer, value: &str) {
        wire::url_format(&mut at(out, path), value);
    }

    /// Whether `value` passes [`email`].
    pub fn is_email(value: &str) -> bool {
        wire::is_email(value)
    }
}
