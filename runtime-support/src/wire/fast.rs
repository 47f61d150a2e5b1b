//! The typed fast path for JSON bodies: an input type deserialises straight from the bytes (a serde derive the generator emits as `#[serde(remote = "Self")]`, so the type's own `Deserialize` stays the checked one), then its constraints are checked without building messages; anything it cannot match exactly falls back to the [`Decode`](super::Decode) path, so answers never differ.
//!
//! What keeps the two paths equal, beside the derive's own strictness
//! (`deny_unknown_fields`, duplicate fields refused, required fields):
//!
//! - [`body`] only tries a body that starts with `{` (serde would also read a
//!   struct from an array) and has no `\u0000` escape anywhere (the strict
//!   reader refuses NUL);
//! - text formats read through [`text`] and [`text_opt`] with the decoder's
//!   own parsers (RFC 3339 date-times, `YYYY-MM-DD` dates, UUIDs), `int64`
//!   through [`int64`] and [`int64_opt`] (a decimal string only);
//! - enums deserialise from a string only ([`enum_str`]);
//! - constraints are checked with the decoder's checks into a [`Checks`],
//!   which only notes whether one failed.
//!
//! The generator gives a type a fast path only when every field is of a kind
//! listed here; any other type keeps [`Decode::from_body`](super::Decode::from_body)'s
//! default, no fast path.

use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};

use super::values::Report;

/// Reads `bytes` with `read` (a type's derived inherent `deserialize`) when
/// the body qualifies for the fast path (see the module docs); `None` on
/// anything else, or when serde refuses it.
pub fn body<T>(
    bytes: &[u8],
    read: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>,
    ) -> Result<T, serde_json::Error>,
) -> Option<T> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' || has_nul_escape(bytes) {
        return None;
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = read(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// Whether `bytes` holds the escape `\u0000` anywhere. Most bodies have
/// no backslash at all, which `contains` (a vectorised `memchr`) tells
/// first; otherwise only the places where one stands are compared. A
/// window comparison at every byte cost about a thousand instructions on
/// a 116-byte body.
fn has_nul_escape(bytes: &[u8]) -> bool {
    if !bytes.contains(&b'\\') {
        return false;
    }
    bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\\')
        .any(|(at, _)| bytes[at..].starts_with(b"\\u0000"))
}

/// A [`Report`] that only notes whether any check failed: the fast path's
/// constraint checks build no message on success and no path ever.
#[derive(Debug, Default)]
pub struct Checks {
    failed: bool,
}

impl Checks {
    /// True when no check failed.
    pub fn passed(&self) -> bool {
        !self.failed
    }
}

impl Report for Checks {
    fn violation(&mut self, _code: &str, _message: impl Into<String>) {
        self.failed = true;
    }
}

/// A value written as JSON text in one format, parsed exactly as the
/// decoder parses it.
pub trait Text: Sized {
    /// What the text must look like (serde's "expected ...").
    const EXPECTING: &'static str;
    /// The value, or `None` when `s` is not in the format.
    fn parse(s: &str) -> Option<Self>;
}

impl Text for uuid::Uuid {
    const EXPECTING: &'static str = "a UUID";
    fn parse(s: &str) -> Option<Self> {
        uuid::Uuid::try_parse(s).ok()
    }
}

impl Text for chrono::DateTime<chrono::Utc> {
    const EXPECTING: &'static str = "an RFC 3339 date-time";
    fn parse(s: &str) -> Option<Self> {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    }
}

impl Text for chrono::NaiveDate {
    const EXPECTING: &'static str = "a date";
    fn parse(s: &str) -> Option<Self> {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }
}

struct TextVisitor<T>(PhantomData<T>);

impl<T: Text> Visitor<'_> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        T::parse(s).ok_or_else(|| E::invalid_value(de::Unexpected::Str(s), &self))
    }
}

/// `deserialize_with` for a text-format field (`uuid`, `datetime`, `date`).
pub fn text<'de, D: Deserializer<'de>, T: Text>(de: D) -> Result<T, D::Error> {
    de.deserialize_str(TextVisitor(PhantomData))
}

/// `deserialize_with` for an optional text-format field (with
/// `#[serde(default)]`): `null` is `None`.
pub fn text_opt<'de, D: Deserializer<'de>, T: Text>(de: D) -> Result<Option<T>, D::Error> {
    struct Opt<T>(PhantomData<T>);
    impl<'de, T: Text> Visitor<'de> for Opt<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(T::EXPECTING)
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Option<T>, D::Error> {
            text(de).map(Some)
        }
    }
    de.deserialize_option(Opt(PhantomData))
}

struct Int64Visitor;

impl Visitor<'_> for Int64Visitor {
    type Value = i64;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a decimal integer string")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<i64, E> {
        s.parse()
            .map_err(|_| E::invalid_value(de::Unexpected::Str(s), &self))
    }
}

/// `deserialize_with` for an `int64` field: a decimal string only, parsed
/// as the decoder parses it.
pub fn int64<'de, D: Deserializer<'de>>(de: D) -> Result<i64, D::Error> {
    de.deserialize_str(Int64Visitor)
}

/// `deserialize_with` for an optional `int64` field (with
/// `#[serde(default)]`): `null` is `None`.
pub fn int64_opt<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i64>, D::Error> {
    struct Opt;
    impl<'de> Visitor<'de> for Opt {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a decimal integer string")
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<i64>, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Option<i64>, D::Error> {
            int64(de).map(Some)
        }
    }
    de.deserialize_option(Opt)
}

/// A contract enum's `Deserialize`: a JSON string naming one of its values
/// (`from` maps the text), nothing else; exactly what the decoder accepts.
pub fn enum_str<'de, D: Deserializer<'de>, T>(
    de: D,
    from: fn(&str) -> Option<T>,
) -> Result<T, D::Error> {
    struct V<T>(fn(&str) -> Option<T>);
    impl<T> Visitor<'_> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("one of the enum's values")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
            (self.0)(s).ok_or_else(|| E::invalid_value(de::Unexpected::Str(s), &self))
        }
    }
    de.deserialize_str(V(from))
}

#[cfg(test)]
mod tests {
    use super::has_nul_escape;

    #[test]
    fn nul_escapes_are_found_wherever_a_window_would_find_them() {
        for (text, nul) in [
            (&br#"{"a":"b"}"#[..], false),
            (br#"{"a":"\u0000"}"#, true),
            (br#"{"a":"\\u0000"}"#, true),
            (br#"{"a":"\u00001"}"#, true),
            (br#"{"a":"\u000"}"#, false),
            (br#"\u0000"#, true),
            (br#"\"#, false),
        ] {
            assert_eq!(
                has_nul_escape(text),
                nul,
                "{}",
                String::from_utf8_lossy(text)
            );
            assert_eq!(
                has_nul_escape(text),
                text.windows(6).any(|w| w == b"\\u0000")
            );
        }
    }
}
