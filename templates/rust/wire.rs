//! Static support code spliced into every generated API crate as its `wire` module: decoding JSON into typed values while collecting every violation, and serde adapters for the wire formats (`int64` as a string, `bytes` as base64).
//!
//! The Rust emitter parses this file with `syn` and splices its items (this
//! header and plain comments are dropped), so it must stay valid Rust that
//! only uses `::bunbase_runtime` paths.

use ::bunbase_runtime::validate::count;
use ::bunbase_runtime::serde_json::{Map, Value};
use ::std::collections::BTreeMap;
use ::std::marker::PhantomData;

pub use ::bunbase_runtime::validate::Violation;

/// Decodes values while tracking the current JSON pointer and collecting every violation.
#[derive(Debug, Default)]
pub struct Decoder {
    path: Vec<Seg>,
    violations: Vec<Violation>,
}

/// One step of the current path: a field name from the contract or an array
/// index (neither allocates, so a valid document costs no path text), or
/// any other key.
#[derive(Debug)]
pub enum Seg {
    /// A field the contract names.
    Name(&'static str),
    /// A key chosen by the sender (a map entry, an unknown field).
    Key(String),
    /// An array index.
    Index(usize),
}

impl From<&'static str> for Seg {
    fn from(name: &'static str) -> Self {
        Seg::Name(name)
    }
}

impl From<String> for Seg {
    fn from(key: String) -> Self {
        Seg::Key(key)
    }
}

impl From<usize> for Seg {
    fn from(index: usize) -> Self {
        Seg::Index(index)
    }
}

impl Decoder {
    /// A decoder at the root of a document.
    pub fn new() -> Self {
        Decoder::default()
    }

    /// Records a violation at the current path.
    pub fn violation(&mut self, code: &str, message: impl Into<String>) {
        let path = self.pointer();
        self.violations.push(Violation { path, code: code.to_owned(), message: message.into() });
    }

    /// The current path as a JSON pointer (RFC 6901).
    pub fn pointer(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            out.push('/');
            let text = match seg {
                Seg::Name(name) => (*name).into(),
                Seg::Key(key) => key.as_str().into(),
                Seg::Index(i) => ::std::borrow::Cow::Owned(i.to_string()),
            };
            for c in text.chars() {
                match c {
                    '~' => out.push_str("~0"),
                    '/' => out.push_str("~1"),
                    c => out.push(c),
                }
            }
        }
        out
    }

    /// Runs `f` with `seg` appended to the current path.
    pub fn at<T>(&mut self, seg: impl Into<Seg>, f: impl FnOnce(&mut Decoder) -> T) -> T {
        self.path.push(seg.into());
        let out = f(self);
        self.path.pop();
        out
    }

    /// The violations collected so far, in the order they were found.
    pub fn into_violations(self) -> Vec<Violation> {
        self.violations
    }

    /// True when nothing was wrong so far.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}

/// A type that can be decoded from JSON, reporting every violation.
pub trait Decode: Sized {
    /// Decodes `value`; `None` when it is unusable (the reasons are in `d`).
    fn decode(d: &mut Decoder, value: Value) -> Option<Self>;
}

/// Decodes a whole document: the value, or every violation found.
pub fn decode_document<T: Decode>(value: Value) -> Result<T, Vec<Violation>> {
    let mut d = Decoder::new();
    match T::decode(&mut d, value) {
        Some(v) if d.is_clean() => Ok(v),
        _ => {
            let mut violations = d.into_violations();
            if violations.is_empty() {
                violations.push(Violation { path: String::new(), code: "invalid_value".to_owned(), message: "the value is not valid".into() });
            }
            Err(violations)
        }
    }
}

/// Decodes an event payload as an action's input, every violation reported
/// (the decoder `ActionSpec::run_event` takes in generated subscriptions).
pub fn event_input<T: Decode>(value: Value) -> Result<T, ::bunbase_runtime::ApiError> {
    decode_document(value).map_err(::bunbase_runtime::ApiError::validation)
}
/// Implements `Deserialize` through [`Decode`], so serde users get the same checks.
pub fn deserialize<'de, T: Decode, D: ::bunbase_runtime::serde::Deserializer<'de>>(de: D) -> Result<T, D::Error> {
    let value = <Value as ::bunbase_runtime::serde::Deserialize>::deserialize(de)?;
    decode_document(value).map_err(|violations| {
        let text: Vec<String> = violations.iter().map(|v| format!("{}: {}", if v.path.is_empty() { "/" } else { &v.path }, v.message)).collect();
        <D::Error as ::bunbase_runtime::serde::de::Error>::custom(text.join("; "))
    })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong_type(d: &mut Decoder, expected: &str, value: &Value) {
    d.violation("invalid_type", format!("expected {expected}, found {}", kind(value)));
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
pub fn field<T>(d: &mut Decoder, obj: &mut Map<String, Value>, name: &'static str, f: impl FnOnce(&mut Decoder, Value) -> Option<T>) -> Option<T> {
    match obj.remove(name) {
        Some(v) => d.at(name, |d| f(d, v)),
        None => {
            d.at(name, |d| d.violation("required", "this field is required"));
            None
        }
    }
}

/// An optional field: absent and `null` both give `None`.
pub fn optional_field<T>(d: &mut Decoder, obj: &mut Map<String, Value>, name: &'static str, f: impl FnOnce(&mut Decoder, Value) -> Option<T>) -> Option<Option<T>> {
    match obj.remove(name) {
        None | Some(Value::Null) => Some(None),
        Some(v) => d.at(name, |d| f(d, v)).map(Some),
    }
}

/// A field with a default, used when the field is absent (or `null`).
pub fn default_field<T>(d: &mut Decoder, obj: &mut Map<String, Value>, name: &'static str, default: fn() -> Value, f: impl FnOnce(&mut Decoder, Value) -> Option<T>) -> Option<T> {
    let v = match obj.remove(name) {
        None | Some(Value::Null) => default(),
        Some(v) => v,
    };
    d.at(name, |d| f(d, v))
}

/// Reports every key left in `obj` as an `unknown_field` violation.
pub fn deny_unknown(d: &mut Decoder, obj: Map<String, Value>) {
    for (key, _) in obj {
        d.at(key, |d| d.violation("unknown_field", "unknown field: remove it or check its spelling"));
    }
}

/// Removes and checks the tag of a tagged union, which must be one of `allowed`.
pub fn tag(d: &mut Decoder, obj: &mut Map<String, Value>, name: &'static str, allowed: &[&str]) -> Option<String> {
    let s = field(d, obj, name, string)?;
    if allowed.contains(&s.as_str()) {
        Some(s)
    } else {
        d.at(name, |d| d.violation("invalid_value", format!("must be one of: {}", allowed.join(", "))));
        None
    }
}

/// A string that must be one of `allowed` (an enum value).
pub fn enum_value(d: &mut Decoder, value: Value, allowed: &[&str]) -> Option<String> {
    let s = string(d, value)?;
    if allowed.contains(&s.as_str()) {
        Some(s)
    } else {
        d.violation("invalid_value", format!("must be one of: {}", allowed.join(", ")));
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

/// The largest integer JavaScript represents exactly, 2^53 - 1.
pub const MAX_SAFE_INT: i64 = 9_007_199_254_740_991;

/// An integer within ±(2^53 − 1).
pub fn int(d: &mut Decoder, value: Value) -> Option<i64> {
    match value.as_i64() {
        Some(i) if (-MAX_SAFE_INT..=MAX_SAFE_INT).contains(&i) => Some(i),
        Some(_) => {
            d.violation("int_range", "must be between -9007199254740991 and 9007199254740991; use int64 for larger numbers");
            None
        }
        None if value.is_u64() => {
            d.violation("int_range", "must be between -9007199254740991 and 9007199254740991; use int64 for larger numbers");
            None
        }
        None => {
            wrong_type(d, "an integer", &value);
            None
        }
    }
}

/// A 64-bit integer carried as a decimal string.
pub fn int64(d: &mut Decoder, value: Value) -> Option<i64> {
    match &value {
        Value::String(s) => match s.parse::<i64>() {
            Ok(i) => Some(i),
            Err(_) => {
                d.violation("invalid_value", "expected a decimal integer string within the 64-bit range, e.g. \"-42\"");
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
pub fn uuid(d: &mut Decoder, value: Value) -> Option<::bunbase_runtime::uuid::Uuid> {
    let s = string(d, value)?;
    match ::bunbase_runtime::uuid::Uuid::try_parse(&s) {
        Ok(u) => Some(u),
        Err(_) => {
            d.violation("invalid_value", "expected a UUID such as 67e55044-10b1-426f-9247-bb680e5fe0c8");
            None
        }
    }
}

/// An email address (one `@` with text on both sides, a dot in the domain, no spaces).
pub fn email(d: &mut Decoder, value: Value) -> Option<String> {
    let s = string(d, value)?;
    let ok = ::bunbase_runtime::validate::check::is_email(&s);
    if ok {
        Some(s)
    } else {
        d.violation("email", "expected an email address such as ada@example.com");
        None
    }
}

/// An absolute URL (`scheme://rest`, no spaces).
pub fn url(d: &mut Decoder, value: Value) -> Option<String> {
    let s = string(d, value)?;
    let ok = match s.split_once("://") {
        Some((scheme, rest)) => {
            scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && !rest.is_empty()
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Some(s)
    } else {
        d.violation("url", "expected an absolute URL such as https://example.com/path");
        None
    }
}

/// An RFC 3339 date-time, converted to UTC.
pub fn datetime(d: &mut Decoder, value: Value) -> Option<::bunbase_runtime::chrono::DateTime<::bunbase_runtime::chrono::Utc>> {
    let s = string(d, value)?;
    match ::bunbase_runtime::chrono::DateTime::parse_from_rfc3339(&s) {
        Ok(t) => Some(t.with_timezone(&::bunbase_runtime::chrono::Utc)),
        Err(_) => {
            d.violation("invalid_value", "expected an RFC 3339 date-time such as 2026-01-31T09:30:00Z");
            None
        }
    }
}

/// A calendar date (`YYYY-MM-DD`).
pub fn date(d: &mut Decoder, value: Value) -> Option<::bunbase_runtime::chrono::NaiveDate> {
    let s = string(d, value)?;
    match ::bunbase_runtime::chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
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
    match ::bunbase_runtime::wire::base64_bytes::decode(&s) {
        Some(b) => Some(b),
        None => {
            d.violation("invalid_value", "expected base64 text");
            None
        }
    }
}

/// An array whose items are decoded by `f`.
pub fn list<T>(d: &mut Decoder, value: Value, mut f: impl FnMut(&mut Decoder, Value) -> Option<T>) -> Option<Vec<T>> {
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
pub fn map<T>(d: &mut Decoder, value: Value, mut f: impl FnMut(&mut Decoder, Value) -> Option<T>) -> Option<BTreeMap<String, T>> {
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
pub fn optional<T>(d: &mut Decoder, value: Value, f: impl FnOnce(&mut Decoder, Value) -> Option<T>) -> Option<Option<T>> {
    match value {
        Value::Null => Some(None),
        v => f(d, v).map(Some),
    }
}

/// At least `min` characters.
pub fn min_len(d: &mut Decoder, s: &str, min: usize) {
    if s.chars().count() < min {
        d.violation("min_len", format!("must be at least {} long", count(min as u64, "character")));
    }
}

/// At most `max` characters.
pub fn max_len(d: &mut Decoder, s: &str, max: usize) {
    if s.chars().count() > max {
        d.violation("max_len", format!("must be at most {} long", count(max as u64, "character")));
    }
}

/// Matches `pattern` (unanchored unless the pattern anchors itself).
pub fn pattern(d: &mut Decoder, s: &str, pattern: &::bunbase_runtime::validate::Pattern) {
    if !pattern.is_match(s) {
        d.violation("pattern", format!("must match the pattern {}", pattern.source()));
    }
}

/// At least `min` items.
pub fn min_items(d: &mut Decoder, len: usize, min: usize) {
    if len < min {
        d.violation("min_items", format!("must have at least {}", count(min as u64, "item")));
    }
}

/// At most `max` items.
pub fn max_items(d: &mut Decoder, len: usize, max: usize) {
    if len > max {
        d.violation("max_items", format!("must have at most {}", count(max as u64, "item")));
    }
}

/// No two items equal.
pub fn unique<T: PartialEq>(d: &mut Decoder, items: &[T]) {
    let dup = items.iter().enumerate().any(|(i, a)| items[..i].contains(a));
    if dup {
        d.violation("unique", "items must be unique");
    }
}

/// At least `min` (inclusive).
pub fn min<T: PartialOrd + ::std::fmt::Display>(d: &mut Decoder, v: T, min: T) {
    if v < min {
        d.violation("min", format!("must be at least {min}"));
    }
}

/// At most `max` (inclusive).
pub fn max<T: PartialOrd + ::std::fmt::Display>(d: &mut Decoder, v: T, max: T) {
    if v > max {
        d.violation("max", format!("must be at most {max}"));
    }
}

/// Serialises a value of type `T` in a wire format (a field adapter for serde's `serialize_with`).
pub trait Encode<T: ?Sized> {
    /// Serialises `v`.
    fn encode<S: ::bunbase_runtime::serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error>;
}

/// The value's own `Serialize`.
pub struct Plain;
/// `i64` as a decimal string.
pub struct Int64;
/// Bytes as standard base64.
pub struct Base64;
/// `Option<T>` with `T` encoded by `C`; `None` is `null`.
pub struct Opt<C>(PhantomData<C>);
/// `Vec<T>` with items encoded by `C`.
pub struct List<C>(PhantomData<C>);
/// `BTreeMap<String, T>` with values encoded by `C`.
pub struct Dict<C>(PhantomData<C>);
/// `Box<T>` with the inner value encoded by `C`.
pub struct Boxed<C>(PhantomData<C>);

impl<T: ::bunbase_runtime::serde::Serialize> Encode<T> for Plain {
    fn encode<S: ::bunbase_runtime::serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
}

impl Encode<i64> for Int64 {
    fn encode<S: ::bunbase_runtime::serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }
}

impl Encode<Vec<u8>> for Base64 {
    fn encode<S: ::bunbase_runtime::serde::Serializer>(v: &Vec<u8>, s: S) -> Result<S::Ok, S::Error> {
        ::bunbase_runtime::wire::base64_bytes::serialize(v, s)
    }
}

impl<T, C: Encode<T>> Encode<Option<T>> for Opt<C> {
    fn encode<S: ::bunbase_runtime::serde::Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => C::encode(x, s),
            None => s.serialize_none(),
        }
    }
}

impl<T, C: Encode<T>> Encode<Box<T>> for Boxed<C> {
    fn encode<S: ::bunbase_runtime::serde::Serializer>(v: &Box<T>, s: S) -> Result<S::Ok, S::Error> {
        C::encode(v, s)
    }
}

impl<T, C: Encode<T>> Encode<Vec<T>> for List<C> {
    fn encode<S: ::bunbase_runtime::serde::Serializer>(v: &Vec<T>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| With::<T, C>(x, PhantomData)))
    }
}

impl<T, C: Encode<T>> Encode<BTreeMap<String, T>> for Dict<C> {
    fn encode<S: ::bunbase_runtime::serde::Serializer>(v: &BTreeMap<String, T>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(v.iter().map(|(k, x)| (k, With::<T, C>(x, PhantomData))))
    }
}

struct With<'a, T, C>(&'a T, PhantomData<C>);

impl<T, C: Encode<T>> ::bunbase_runtime::serde::Serialize for With<'_, T, C> {
    fn serialize<S: ::bunbase_runtime::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        C::encode(self.0, s)
    }
}

/// `serialize_with` entry point: serialises `v` with the adapter `C`.
pub fn serialize_with<T, C: Encode<T>, S: ::bunbase_runtime::serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    C::encode(v, s)
}

/// `json` inputs: any JSON value, taken as it is.
impl Decode for Value {
    fn decode(_: &mut Decoder, value: Value) -> Option<Self> {
        Some(value)
    }
}

impl Decode for () {
    fn decode(d: &mut Decoder, value: Value) -> Option<Self> {
        match value {
            Value::Null => Some(()),
            other => {
                let obj = object(d, other)?;
                deny_unknown(d, obj);
                Some(())
            }
        }
    }
}

/// How a path or query string becomes the JSON value of one input field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// Kept as a JSON string.
    Str,
    /// A JSON integer when it parses as one.
    Int,
    /// A JSON number when it parses as one.
    Float,
    /// `true` or `false`.
    Bool,
    /// Parsed as JSON text when it is valid JSON.
    Json,
    /// Repeated keys (`?tag=a&tag=b`) as an array of items.
    List(&'static Param),
}

impl Param {
    fn scalar(self, raw: String) -> Value {
        match self {
            Param::Str => Value::String(raw),
            Param::Int => raw.parse::<i64>().map(Value::from).unwrap_or(Value::String(raw)),
            Param::Float => match raw.parse::<f64>().ok().and_then(::bunbase_runtime::serde_json::Number::from_f64) {
                Some(n) => Value::Number(n),
                None => Value::String(raw),
            },
            Param::Bool => match raw.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::String(raw),
            },
            Param::Json => ::bunbase_runtime::serde_json::from_str(&raw).unwrap_or(Value::String(raw)),
            Param::List(item) => item.scalar(raw),
        }
    }

    fn value(self, mut raw: Vec<String>) -> Value {
        match self {
            Param::List(item) => Value::Array(raw.into_iter().map(|r| item.scalar(r)).collect()),
            _ => self.scalar(raw.pop().unwrap_or_default()),
        }
    }
}

/// Where one input field comes from in an HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// A `{name}` path segment.
    Path(&'static str, Param),
    /// A query-string parameter.
    Query(&'static str, Param),
    /// A member of the JSON body.
    Body(&'static str),
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Builds an action's input from an HTTP request: the JSON body (for
/// methods that carry one), path parameters and query string, each field
/// from where its binding says; then decodes it, reporting every violation
/// (unknown query parameters included) as one 400 `validation_failed`.
pub fn http_input<T: Decode>(req: &::bunbase_runtime::HttpRequest, bindings: &[Binding]) -> Result<T, ::bunbase_runtime::ApiError> {
    use ::bunbase_runtime::axum::http::Method;
    let mut obj = Map::new();
    // A `null` body stands for no body (the document says so), as long as
    // no body would do; otherwise it is not the object the input needs.
    let mut null_body = false;
    let has_body = !matches!(*req.method(), Method::GET | Method::DELETE | Method::HEAD);
    if has_body {
        match req.json_value()? {
            Value::Object(m) => obj = m,
            Value::Null => null_body = true,
            other => {
                let mut d = Decoder::new();
                wrong_type(&mut d, "an object", &other);
                return Err(::bunbase_runtime::ApiError::validation(d.into_violations()));
            }
        }
    }
    for (k, v) in req.path_params() {
        let param = bindings.iter().find_map(|b| match b {
            Binding::Path(n, p) if n == k => Some(*p),
            _ => None,
        });
        if let Some(p) = param {
            obj.insert(k.clone(), p.value(vec![v.clone()]));
        }
    }
    let mut query: Vec<(String, Vec<String>)> = Vec::new();
    for pair in req.uri().query().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode(k), percent_decode(v));
        match query.iter_mut().find(|(n, _)| *n == k) {
            Some((_, vs)) => vs.push(v),
            None => query.push((k, vec![v])),
        }
    }
    for (k, vs) in query {
        let param = bindings.iter().find_map(|b| match b {
            Binding::Query(n, p) if *n == k => Some(*p),
            _ => None,
        });
        let value = param.unwrap_or(Param::Str).value(vs);
        obj.insert(k, value);
    }
    decode_document(Value::Object(obj)).map_err(|violations| {
        if null_body {
            let mut d = Decoder::new();
            wrong_type(&mut d, "an object", &Value::Null);
            ::bunbase_runtime::ApiError::validation(d.into_violations())
        } else {
            ::bunbase_runtime::ApiError::validation(violations)
        }
    })
}

/// The runtime error for an error-enum variant without data, from its
/// `(status, code, message)`: implicit codes use the runtime's constructors
/// (so retry and headers behave like the runtime's own errors); any other
/// code is a declared contract error, never retried.
pub fn api_error((status, code, message): (u16, &'static str, &'static str), action: &str) -> ::bunbase_runtime::ApiError {
    use ::bunbase_runtime::ApiError;
    match (status, code) {
        (401, "unauthorized") => ApiError::unauthorized(message),
        (403, "forbidden") => ApiError::forbidden(message),
        (404, "not_found") => ApiError::not_found(message),
        (429, "rate_limited") => ApiError::rate_limited(::std::time::Duration::from_secs(1)),
        (501, "not_implemented") => ApiError::not_implemented(action),
        _ => ApiError::new(status, code, message),
    }
}
