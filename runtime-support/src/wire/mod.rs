//! The one decoder of contract inputs: JSON into typed values with every violation collected at its JSON pointer, the wire encodings (`int64` as a decimal string, `bytes` as base64), and HTTP requests into action inputs.
//!
//! Generated API crates call this module as `wire` and carry no copy of it:
//! their `decode` module implements [`Decode`] for every type the server
//! reads by calling the field helpers ([`field`], [`optional_field`],
//! [`default_field`], [`deny_unknown`]), the value decoders ([`string`],
//! [`int`], [`uuid`], [`list`], ...) and the constraint checks
//! ([`min_len`], [`max_items`], [`pattern`], ...), so every crate answers a
//! bad input with the same violation codes and messages. Their router turns
//! a request into an input with [`http_input`], their event subscribers,
//! jobs, webhooks and MCP tools with [`event_input`].
//!
//! A hand-written input type decodes the same way:
//!
//! ```
//! use bunbase_runtime::serde_json::{json, Value};
//! use bunbase_runtime::wire::{self, Decode, Decoder};
//!
//! struct CreateTask {
//!     title: String,
//!     tags: Vec<String>,
//! }
//!
//! impl Decode for CreateTask {
//!     fn decode(d: &mut Decoder, value: Value) -> Option<Self> {
//!         let mut obj = wire::object(d, value)?;
//!         let title = wire::field(d, &mut obj, "title", |d, v| {
//!             let x = wire::string(d, v)?;
//!             wire::min_len(d, &x, 1);
//!             Some(x)
//!         });
//!         let tags = wire::default_field(d, &mut obj, "tags", || json!([]), |d, v| {
//!             wire::list(d, v, wire::string)
//!         });
//!         wire::deny_unknown(d, obj);
//!         Some(CreateTask { title: title?, tags: tags? })
//!     }
//! }
//!
//! let bad = wire::decode_document::<CreateTask>(json!({"title": "", "tag": 1}));
//! let codes: Vec<_> = bad.err().unwrap().into_iter().map(|v| (v.path, v.code)).collect();
//! assert_eq!(codes, [("/title".into(), "min_len".into()), ("/tag".into(), "unknown_field".into())]);
//! let good = wire::decode_document::<CreateTask>(json!({"title": "ok"})).ok().unwrap();
//! assert_eq!((good.title.as_str(), good.tags.len()), ("ok", 0));
//! ```

use serde_json::Value;

pub use crate::validate::Violation;

mod encode;
pub mod fast;
mod http;
mod rules;
mod values;

pub use encode::{
    Base64, Boxed, Dict, Encode, Int64, List, Opt, Plain, base64_bytes, serialize_with,
};
pub use http::{Binding, Param, http_input};
pub use rules::{Checked, Rule, check, check_at};
pub use values::*;

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
        self.violations.push(Violation {
            path,
            code: code.to_owned(),
            message: message.into(),
        });
    }

    /// The current path as a JSON pointer (RFC 6901).
    pub fn pointer(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            out.push('/');
            let text = match seg {
                Seg::Name(name) => (*name).into(),
                Seg::Key(key) => key.as_str().into(),
                Seg::Index(i) => std::borrow::Cow::Owned(i.to_string()),
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

    /// The typed fast path ([`fast`]): the value read straight from a whole
    /// JSON body, when that gives exactly what [`Decode::decode`] gives and
    /// every constraint holds; `None` sends the body down the decoding path,
    /// which names every violation. The default has no fast path.
    fn from_body(bytes: &[u8]) -> Option<Self> {
        let _ = bytes;
        None
    }
}

/// Decodes a whole document: the value, or every violation found.
pub fn decode_document<T: Decode>(value: Value) -> Result<T, Vec<Violation>> {
    let mut d = Decoder::new();
    match T::decode(&mut d, value) {
        Some(v) if d.is_clean() => Ok(v),
        _ => {
            let mut violations = d.into_violations();
            if violations.is_empty() {
                violations.push(Violation {
                    path: String::new(),
                    code: "invalid_value".to_owned(),
                    message: "the value is not valid".into(),
                });
            }
            Err(violations)
        }
    }
}

/// Decodes an event payload as an action's input, every violation reported
/// (the decoder `ActionSpec::run_event` takes in generated subscriptions).
pub fn event_input<T: Decode>(value: Value) -> Result<T, crate::ApiError> {
    decode_document(value).map_err(crate::ApiError::validation)
}

/// Implements `Deserialize` through [`Decode`], so serde users get the same
/// checks.
pub fn deserialize<'de, T: Decode, D: serde::Deserializer<'de>>(de: D) -> Result<T, D::Error> {
    let value = <Value as serde::Deserialize>::deserialize(de)?;
    decode_document(value).map_err(|violations| {
        let text: Vec<String> = violations
            .iter()
            .map(|v| {
                let path = if v.path.is_empty() { "/" } else { &v.path };
                format!("{path}: {}", v.message)
            })
            .collect();
        <D::Error as serde::de::Error>::custom(text.join("; "))
    })
}

/// `json` inputs: any JSON value, taken as it is.
impl Decode for Value {
    fn decode(_: &mut Decoder, value: Value) -> Option<Self> {
        Some(value)
    }
}

/// An action without input: no body, `null` or `{}`.
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

/// Implements serde's `Deserialize` through [`Decode`] (with
/// [`deserialize`]) for each listed type, so serde users get the decoder's
/// checks: `bunbase_runtime::deserialize_by_decoding!(CreateTaskInput, Task);`.
/// Generated `types` modules list every object and union the server reads.
#[macro_export]
macro_rules! deserialize_by_decoding {
    ($($t:ty),* $(,)?) => {
        $(impl<'de> $crate::serde::Deserialize<'de> for $t {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(de: D) -> ::std::result::Result<Self, D::Error> {
                $crate::wire::deserialize(de)
            }
        })*
    };
}
