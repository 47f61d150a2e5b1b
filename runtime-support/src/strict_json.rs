//! Strict JSON bodies: a `serde_json::Value` parser that reports duplicate object keys and NUL characters as violations, so that every bad body is a 400 listing every problem, the same on SQLite and PostgreSQL.
//!
//! Plain `serde_json` keeps the last of two equal keys, so in
//! `{"title":"","title":"ok"}` the empty title is never validated, and a
//! `\u0000` inside a string passes decoding on SQLite but cannot be stored by
//! PostgreSQL (a 500 there). [`parse`] reads the body once, noting whether
//! either happened (a map insert already says whether the key was there); only
//! a body with a problem is read a second time to name every offending place
//! as a JSON pointer, so a good body pays no path bookkeeping.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::validate::{Pointer, Violation};

/// Why a body is not a usable JSON value.
#[derive(Debug)]
pub enum StrictError {
    /// Not JSON at all (syntax, end of input): the caller answers
    /// `malformed_json`.
    Syntax(serde_json::Error),
    /// JSON, but with duplicate keys or NUL characters: every place, as
    /// `validation_failed` violations.
    Problems(Vec<Violation>),
}

/// Parses `bytes` as one JSON value, rejecting duplicate object keys and NUL
/// characters in keys and strings.
pub fn parse(bytes: &[u8]) -> Result<Value, StrictError> {
    let found = RefCell::new(Found::Flag(false));
    let value = read(bytes, &found).map_err(StrictError::Syntax)?;
    if matches!(*found.borrow(), Found::Flag(false)) {
        return Ok(value);
    }
    // Second pass, only for a bad body: collect every place.
    let found = RefCell::new(Found::Places(Vec::new(), Vec::new()));
    read(bytes, &found).map_err(StrictError::Syntax)?;
    match found.into_inner() {
        Found::Places(_, violations) if !violations.is_empty() => {
            Err(StrictError::Problems(violations))
        }
        // Not reached: the same bytes parse the same way.
        _ => Ok(value),
    }
}

fn read(bytes: &[u8], found: &RefCell<Found>) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Seed(found).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// What the parse has seen: on the first pass only whether there is a
/// problem; on the second, the path to the current value and every problem.
enum Found {
    Flag(bool),
    Places(Vec<Segment>, Vec<Violation>),
}

enum Segment {
    Key(String),
    Index(usize),
}

impl Found {
    fn problem(&mut self, code: &str, message: impl FnOnce() -> String) {
        match self {
            Found::Flag(f) => *f = true,
            Found::Places(path, out) => {
                let mut at = Pointer::root();
                for seg in path.iter() {
                    at = match seg {
                        Segment::Key(k) => at.field(k),
                        Segment::Index(i) => at.index(*i),
                    };
                }
                out.push(Violation {
                    path: at.as_str().to_owned(),
                    code: code.to_owned(),
                    message: message(),
                });
            }
        }
    }

    fn enter(&mut self, seg: impl FnOnce() -> Segment) {
        if let Found::Places(path, _) = self {
            path.push(seg());
        }
    }

    fn leave(&mut self) {
        if let Found::Places(path, _) = self {
            path.pop();
        }
    }
}

const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

#[derive(Clone, Copy)]
struct Seed<'a>(&'a RefCell<Found>);

impl Seed<'_> {
    fn string(self, v: String) -> Value {
        if v.contains('\0') {
            self.0
                .borrow_mut()
                .problem("invalid_value", || NUL_MESSAGE.to_owned());
        }
        Value::String(v)
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(self.string(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(self.string(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            let i = items.len();
            self.0.borrow_mut().enter(|| Segment::Index(i));
            let next = seq.next_element_seed(self);
            self.0.borrow_mut().leave();
            match next? {
                Some(v) => items.push(v),
                None => break,
            }
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            self.0.borrow_mut().enter(|| Segment::Key(key.clone()));
            if key.contains('\0') {
                self.0
                    .borrow_mut()
                    .problem("invalid_value", || format!("the key {NUL_MESSAGE}"));
            }
            let value = access.next_value_seed(self);
            let value = match value {
                Ok(v) => v,
                Err(e) => {
                    self.0.borrow_mut().leave();
                    return Err(e);
                }
            };
            if map.insert(key, value).is_some() {
                self.0.borrow_mut().problem("duplicate_key", || {
                    "this key appears more than once in its object; send it once".to_owned()
                });
            }
            self.0.borrow_mut().leave();
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(body: &str) -> Vec<(String, String)> {
        match parse(body.as_bytes()) {
            Err(StrictError::Problems(v)) => v.into_iter().map(|v| (v.path, v.code)).collect(),
            other => panic!("expected problems for {body}, got {other:?}"),
        }
    }

    #[test]
    fn good_bodies_parse_like_serde_json() {
        for body in [
            r#"{"a":1,"b":[1,2.5,"x",null,true],"c":{"d":-3}}"#,
            "null",
            "[]",
            r#""text""#,
            "18446744073709551615",
        ] {
            let strict = parse(body.as_bytes()).expect("a good body");
            let plain: Value = serde_json::from_str(body).unwrap();
            assert_eq!(strict, plain, "{body}");
        }
    }

    #[test]
    fn duplicate_keys_are_named_with_their_pointer() {
        assert_eq!(
            problems(r#"{"title":"","title":"ok"}"#),
            [("/title".to_owned(), "duplicate_key".to_owned())]
        );
        assert_eq!(
            problems(r#"{"a":[{"x":1},{"x":1,"x":2}],"b":{"y/z":1,"y/z":2}}"#),
            [
                ("/a/1/x".to_owned(), "duplicate_key".to_owned()),
                ("/b/y~1z".to_owned(), "duplicate_key".to_owned()),
            ]
        );
    }

    #[test]
    fn nul_characters_are_refused_in_strings_and_keys() {
        assert_eq!(
            problems(r#"{"title":"a\u0000b","tags":["ok","\u0000"],"k\u0000":1}"#),
            [
                ("/title".to_owned(), "invalid_value".to_owned()),
                ("/tags/1".to_owned(), "invalid_value".to_owned()),
                ("/k\u{0}".to_owned(), "invalid_value".to_owned()),
            ]
        );
    }

    #[test]
    fn syntax_errors_stay_syntax_errors() {
        for body in [r#"{"a":"#, r#"{"a":1,"a":2"#, "{} x", "nul"] {
            assert!(
                matches!(parse(body.as_bytes()), Err(StrictError::Syntax(_))),
                "{body}"
            );
        }
    }
}
