//! The value decoders, field helpers and constraint checks that generated `Decode` impls call: each reports what is wrong at the decoder's current path, with the one set of violation codes and messages every bunbase server answers.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Decoder;
use crate::validate::{Pattern, count};
use crate::validate::{Pointer, Violation, Violations};

pub use crate::validate::MAX_SAFE_INT;

pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn wrong_type(d: &mut Decoder, expected: &str, value: &Value) {
    d.violation(
        "invalid_type",
        format!("expected {expected}, found {}", kind(value)),
    );
}

/// An object, or a `type` violation.
pub fn object(d: &mut Decoder, value: Value) -> Option<Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        other => {
            wrong_type(d, "an object", &other);
            None
        }
    }
}

/// A required field: removed from `obj` and decoded, or a `required` violation.
pub fn field<T>(
    d: &mut Decoder,
    obj: &mut Map<String, Value>,
    name: &'static str,
    f: impl FnOnce(&mut Decoder, Value) -> Option<T>,
) -> Option<T> {
    match obj.remove(name) {
        Some(v) => d.at(name, |d| f(d, v)),
        None => {
            d.at(name, |d| d.violation("required", "this field is required"));
            None
        }
    }
}

/// An optional field: absent and `null` both give `None`.
pub fn optional_field<T>(
    d: &mut Decoder,
    obj: &mut Map<String, Value>,
    name: &'static str,
    f: impl FnOnce(&mut Decoder, Value) -> Option<T>,
) -> Option<Option<T>> {
    match obj.remove(name) {
        None | Some(Value::Null) => Some(None),
        Some(v) => d.at(name, |d| f(d, v)).map(Some),
    }
}

/// A field with a default, used when the field is absent (or `null`).
pub fn default_field<T>(
    d: &mut Decoder,
    obj: &mut Map<String, Value>,
    name: &'static str,
    default: fn() -> Value,
    f: impl FnOnce(&mut Decoder, Value) -> Option<T>,
) -> Option<T> {
    let v = match obj.remove(name) {
        None | Some(Value::Null) => default(),
        Some(v) => v,
    };
    d.at(name, |d| f(d, v))
}

/// Reports every key left in `obj` as an `unknown_field` violation.
pub fn deny_unknown(d: &mut Decoder, obj: Map<String, Value>) {
    for (key, _) in obj {
        d.at(key, |d| {
            d.violation(
                "unknown_field",
                "unknown field: remove it or check its spelling",
            )
        });
    }
}

/// Removes and checks the tag of a tagged union, which must be one of `allowed`.
pub fn tag(
    d: &mut Decoder,
    obj: &mut Map<String, Value>,
    name: &'static str,
    allowed: &[&str],
) -> Option<String> {
    let s = field(d, obj, name, string)?;
    if allowed.contains(&s.as_str()) {
        Some(s)
    } else {
        d.at(name, |d| {
            d.violation(
                "invalid_value",
                format!("must be one of: {}", allowed.join(", ")),
            )
        });
        None
    }
}

/// A string that must be one of `allowed` (an enum value).
pub fn enum_value(d: &mut Decoder, value: Value, allowed: &[&str]) -> Option<String> {
    let s = string(d, value)?;
    if allowed.contains(&s.as_str()) {
        Some(s)
    } else {
        d.violation(
            "invalid_value",
            format!("must be one of: {}", allowed.join(", ")),
        );
        None
    }
}

/// A JSON boolean.
pub fn boolean(d: &mut Decoder, value: Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(b),
        other => {
            wrong_type(d, "a boolean", &other);
            None
        }
    }
}

/// An integer within ±(2^53 − 1).
pub fn int(d: &mut Decoder, value: Value) -> Option<i64> {
    match value.as_i64() {
        Some(i) if in_int_range(i) => Some(i),
        Some(i) => {
            int_range(d, i);
            None
        }
        None if value.is_u64() => {
            int_range(d, i64::MAX);
            None
        }
        None => {
            wrong_type(d, "an integer", &value);
            None
        }
    }
}

fn in_int_range(i: i64) -> bool {
    (-MAX_SAFE_INT..=MAX_SAFE_INT).contains(&i)
}

/// The `int` type's range, ±(2^53 − 1): beyond it JSON clients lose
/// precision, so larger numbers travel as `int64`.
pub fn int_range(d: &mut impl Report, i: i64) {
    if !in_int_range(i) {
        d.violation(
            "int_range",
            "must be between -9007199254740991 and 9007199254740991; use int64 for larger numbers",
        );
    }
}

/// A 64-bit integer carried as a decimal string.
pub fn int64(d: &mut Decoder, value: Value) -> Option<i64> {
    match &value {
        Value::String(s) => match s.parse::<i64>() {
            Ok(i) => Some(i),
            Err(_) => {
                d.violation(
                    "invalid_value",
                    "expected a decimal integer string within the 64-bit range, e.g. \"-42\"",
                );
                None
            }
        },
        other => {
            wrong_type(d, "a decimal integer string", other);
            None
        }
    }
}

/// A 32-bit integer.
pub fn int32(d: &mut Decoder, value: Value) -> Option<i32> {
    match value.as_i64() {
        Some(i) => match i32::try_from(i) {
            Ok(v) => Some(v),
            Err(_) => {
                d.violation("invalid_value", "integer out of the 32-bit range");
                None
            }
        },
        None => {
            wrong_type(d, "a 32-bit integer", &value);
            None
        }
    }
}

/// A JSON number.
pub fn float(d: &mut Decoder, value: Value) -> Option<f64> {
    match value.as_f64() {
        Some(f) => Some(f),
        None => {
            wrong_type(d, "a number", &value);
            None
        }
    }
}

/// A JSON string.
pub fn string(d: &mut Decoder, value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        other => {
            wrong_type(d, "a string", &other);
            None
        }
    }
}

/// A UUID in its hyphenated text form.
pub fn uuid(d: &mut Decoder, value: Value) -> Option<uuid::Uuid> {
    let s = string(d, value)?;
    match uuid::Uuid::try_parse(&s) {
        Ok(u) => Some(u),
        Err(_) => {
            d.violation(
                "invalid_value",
                "expected a UUID such as 67e55044-10b1-426f-9247-bb680e5fe0c8",
            );
            None
        }
    }
}

/// An email address ([`is_email`]).
pub fn email(d: &mut Decoder, value: Value) -> Option<String> {
    let s = string(d, value)?;
    email_format(d, &s).then_some(s)
}

/// An absolute URL ([`is_url`]).
pub fn url(d: &mut Decoder, value: Value) -> Option<String> {
    let s = string(d, value)?;
    url_format(d, &s).then_some(s)
}

/// The `email` format on text already read: true when it holds, else an
/// `email` violation.
pub fn email_format(d: &mut impl Report, s: &str) -> bool {
    let ok = is_email(s);
    if !ok {
        d.violation("email", "expected an email address such as ada@example.com");
    }
    ok
}

/// The `url` format on text already read: true when it holds, else a `url`
/// violation.
pub fn url_format(d: &mut impl Report, s: &str) -> bool {
    let ok = is_url(s);
    if !ok {
        d.violation(
            "url",
            "expected an absolute URL such as https://example.com/path",
        );
    }
    ok
}

/// Whether `s` is an absolute URL: `scheme://rest`, the scheme a letter then
/// letters, digits, `+`, `-` or `.`, no whitespace anywhere.
pub fn is_url(s: &str) -> bool {
    match s.split_once("://") {
        Some((scheme, rest)) => {
            scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !rest.is_empty()
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// An RFC 3339 date-time, converted to UTC.
pub fn datetime(d: &mut Decoder, value: Value) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = string(d, value)?;
    match chrono::DateTime::parse_from_rfc3339(&s) {
        Ok(t) => Some(t.with_timezone(&chrono::Utc)),
        Err(_) => {
            d.violation(
                "invalid_value",
                "expected an RFC 3339 date-time such as 2026-01-31T09:30:00Z",
            );
            None
        }
    }
}

/// A calendar date (`YYYY-MM-DD`).
pub fn date(d: &mut Decoder, value: Value) -> Option<chrono::NaiveDate> {
    let s = string(d, value)?;
    match chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        Ok(t) => Some(t),
        Err(_) => {
            d.violation("invalid_value", "expected a date such as 2026-01-31");
            None
        }
    }
}

/// Any JSON value.
pub fn json(_d: &mut Decoder, value: Value) -> Option<Value> {
    Some(value)
}

/// Bytes as standard base64 (with padding).
pub fn bytes(d: &mut Decoder, value: Value) -> Option<Vec<u8>> {
    let s = string(d, value)?;
    match super::base64_bytes::decode(&s) {
        Some(b) => Some(b),
        None => {
            d.violation("invalid_value", "expected base64 text");
            None
        }
    }
}

/// An array whose items are decoded by `f`.
pub fn list<T>(
    d: &mut Decoder,
    value: Value,
    mut f: impl FnMut(&mut Decoder, Value) -> Option<T>,
) -> Option<Vec<T>> {
    let items = match value {
        Value::Array(items) => items,
        other => {
            wrong_type(d, "an array", &other);
            return None;
        }
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.into_iter().enumerate() {
        match d.at(i, |d| f(d, item)) {
            Some(v) => out.push(v),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// An object with string keys whose values are decoded by `f`.
pub fn map<T>(
    d: &mut Decoder,
    value: Value,
    mut f: impl FnMut(&mut Decoder, Value) -> Option<T>,
) -> Option<BTreeMap<String, T>> {
    let entries = object(d, value)?;
    let mut out = BTreeMap::new();
    let mut ok = true;
    for (k, v) in entries {
        match d.at(k.clone(), |d| f(d, v)) {
            Some(v) => {
                out.insert(k, v);
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// `null` as `None`, anything else decoded by `f`.
pub fn optional<T>(
    d: &mut Decoder,
    value: Value,
    f: impl FnOnce(&mut Decoder, Value) -> Option<T>,
) -> Option<Option<T>> {
    match value {
        Value::Null => Some(None),
        v => f(d, v).map(Some),
    }
}

/// At least `min` characters.
pub fn min_len(d: &mut impl Report, s: &str, min: usize) {
    if s.chars().count() < min {
        d.violation(
            "min_len",
            format!("must be at least {} long", count(min as u64, "character")),
        );
    }
}

/// At most `max` characters.
pub fn max_len(d: &mut impl Report, s: &str, max: usize) {
    if s.chars().count() > max {
        d.violation(
            "max_len",
            format!("must be at most {} long", count(max as u64, "character")),
        );
    }
}

/// Matches `pattern` (unanchored unless the pattern anchors itself).
pub fn pattern(d: &mut impl Report, s: &str, pattern: &Pattern) {
    if !pattern.is_match(s) {
        d.violation(
            "pattern",
            format!("must match the pattern {}", pattern.source()),
        );
    }
}

/// At least `min` items.
pub fn min_items(d: &mut impl Report, len: usize, min: usize) {
    if len < min {
        d.violation(
            "min_items",
            format!("must have at least {}", count(min as u64, "item")),
        );
    }
}

/// At most `max` items.
pub fn max_items(d: &mut impl Report, len: usize, max: usize) {
    if len > max {
        d.violation(
            "max_items",
            format!("must have at most {}", count(max as u64, "item")),
        );
    }
}

/// No two items equal.
pub fn unique<T: PartialEq>(d: &mut impl Report, items: &[T]) {
    let dup = items
        .iter()
        .enumerate()
        .any(|(i, a)| items[..i].contains(a));
    if dup {
        d.violation("unique", "items must be unique");
    }
}

/// At least `min` (inclusive).
pub fn min<T: PartialOrd + std::fmt::Display>(d: &mut impl Report, v: T, min: T) {
    if v < min {
        d.violation("min", format!("must be at least {min}"));
    }
}

/// At most `max` (inclusive).
pub fn max<T: PartialOrd + std::fmt::Display>(d: &mut impl Report, v: T, max: T) {
    if v > max {
        d.violation("max", format!("must be at most {max}"));
    }
}

/// Whether `value` is an email address: `local@domain` with a dotted domain
/// of letters, digits and hyphens, no spaces or control characters, at most
/// 254 characters.
pub fn is_email(value: &str) -> bool {
    if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = value.rsplit_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || local.contains('@') {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// Where a check reports what is wrong: the [`Decoder`] (at its current
/// path), or a [`Violations`] list at a [`Pointer`] (for values already
/// decoded by serde, see [`crate::validate::check`]). Either way the codes
/// and messages are the same.
pub trait Report {
    /// Records a violation with `code` and `message` here.
    fn violation(&mut self, code: &str, message: impl Into<String>);
}

impl Report for Decoder {
    fn violation(&mut self, code: &str, message: impl Into<String>) {
        Decoder::violation(self, code, message)
    }
}

/// A [`Violations`] list and the place its next violation is at.
#[derive(Debug)]
pub struct At<'a> {
    /// Where violations go.
    pub out: &'a mut Violations,
    /// Where they are.
    pub path: &'a Pointer,
}

impl Report for At<'_> {
    fn violation(&mut self, code: &str, message: impl Into<String>) {
        self.out.push_violation(Violation {
            path: self.path.as_str().to_owned(),
            code: code.to_owned(),
            message: message.into(),
        });
    }
}
