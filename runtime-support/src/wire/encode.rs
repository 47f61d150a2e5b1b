//! Serialising fields whose wire form differs from serde's default: `int64` as a decimal string and `bytes` as base64, also inside `Option`, `Vec`, maps and `Box` (generated types name an adapter in `#[serde(serialize_with = ...)]`).

use std::collections::BTreeMap;
use std::marker::PhantomData;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// Serialises a value of type `T` in a wire format (a field adapter for serde's `serialize_with`).
pub trait Encode<T: ?Sized> {
    /// Serialises `v`.
    fn encode<S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error>;
}

/// The value's own `Serialize`.
pub struct Plain;
/// `Option<T>` with `T` encoded by `C`; `None` is `null`.
pub struct Opt<C>(PhantomData<C>);
/// `Vec<T>` with items encoded by `C`.
pub struct List<C>(PhantomData<C>);
/// `BTreeMap<String, T>` with values encoded by `C`.
pub struct Dict<C>(PhantomData<C>);
/// `Box<T>` with the inner value encoded by `C`.
pub struct Boxed<C>(PhantomData<C>);

impl<T: serde::Serialize> Encode<T> for Plain {
    fn encode<S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
}

impl Encode<i64> for Int64 {
    fn encode<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }
}

impl Encode<Vec<u8>> for Base64 {
    fn encode<S: serde::Serializer>(v: &Vec<u8>, s: S) -> Result<S::Ok, S::Error> {
        base64_bytes::serialize(v, s)
    }
}

impl<T, C: Encode<T>> Encode<Option<T>> for Opt<C> {
    fn encode<S: serde::Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => C::encode(x, s),
            None => s.serialize_none(),
        }
    }
}

impl<T, C: Encode<T>> Encode<Box<T>> for Boxed<C> {
    fn encode<S: serde::Serializer>(v: &Box<T>, s: S) -> Result<S::Ok, S::Error> {
        C::encode(v, s)
    }
}

impl<T, C: Encode<T>> Encode<Vec<T>> for List<C> {
    fn encode<S: serde::Serializer>(v: &Vec<T>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| With::<T, C>(x, PhantomData)))
    }
}

impl<T, C: Encode<T>> Encode<BTreeMap<String, T>> for Dict<C> {
    fn encode<S: serde::Serializer>(v: &BTreeMap<String, T>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(v.iter().map(|(k, x)| (k, With::<T, C>(x, PhantomData))))
    }
}

struct With<'a, T, C>(&'a T, PhantomData<C>);

impl<T, C: Encode<T>> serde::Serialize for With<'_, T, C> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        C::encode(self.0, s)
    }
}

/// `serialize_with` entry point: serialises `v` with the adapter `C`.
pub fn serialize_with<T, C: Encode<T>, S: serde::Serializer>(
    v: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    C::encode(v, s)
}

/// A full-range integer that travels as a decimal string
/// (`"9007199254740993"`); deserialising also accepts a JSON integer. As an
/// adapter, `Int64` encodes a plain `i64` field the same way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Int64(pub i64);

impl From<i64> for Int64 {
    fn from(v: i64) -> Self {
        Int64(v)
    }
}

impl From<Int64> for i64 {
    fn from(v: Int64) -> Self {
        v.0
    }
}

impl std::ops::Deref for Int64 {
    type Target = i64;
    fn deref(&self) -> &i64 {
        &self.0
    }
}

impl Serialize for Int64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = i64;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an int64 as a decimal string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<i64, E> {
                s.trim()
                    .parse()
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(s), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
                Ok(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
                i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
        }
        d.deserialize_any(V).map(Int64)
    }
}

/// Bytes that travel as standard base64 (with padding); deserialising also
/// accepts unpadded and URL-safe base64. As an adapter, `Base64` encodes a
/// plain `Vec<u8>` field the same way.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Base64(pub Vec<u8>);

impl std::fmt::Debug for Base64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Base64({} bytes)", self.0.len())
    }
}

impl From<Vec<u8>> for Base64 {
    fn from(v: Vec<u8>) -> Self {
        Base64(v)
    }
}

impl From<Base64> for Vec<u8> {
    fn from(v: Base64) -> Self {
        v.0
    }
}

impl std::ops::Deref for Base64 {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl Serialize for Base64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        base64_bytes::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Base64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        base64_bytes::deserialize(d).map(Base64)
    }
}

/// Base64 for `bytes` fields: standard padded text out, any common flavour in
/// (`#[serde(with = "::bunbase_runtime::wire::base64_bytes")]` on a `Vec<u8>`).
pub mod base64_bytes {
    use super::*;

    /// Writes standard padded base64.
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
    }

    /// Reads standard or URL-safe base64, padded or not.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        decode(&s).ok_or_else(|| de::Error::invalid_value(de::Unexpected::Str(&s), &"base64 text"))
    }

    /// Decodes any common base64 flavour.
    pub fn decode(s: &str) -> Option<Vec<u8>> {
        use base64::engine::general_purpose::{
            STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
        };
        let s = s.trim();
        [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|e| e.decode(s).ok())
    }
}
