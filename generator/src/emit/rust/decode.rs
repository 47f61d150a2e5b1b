//! Emits the `decode` module of the API crate: a `wire::Decode` impl per type that checks types, unknown fields, formats and every constraint, reporting all violations with JSON-pointer paths.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use serde_json::Value;

use super::format::{Part, chunked, part};
use super::tokens::{ident, lit};
use super::types::field_rust_type;
use crate::ir::{Constraints, Field, Ir, TypeDef, TypeKind, TypeRef};

/// The `decode` module as parts: its imports, then in runs a decoder for
/// every type the server reads (`Directions::server_reads`); output-only
/// types get none.
pub fn decode_parts(ir: &Ir) -> Vec<Part<'_>> {
    let decoded: Vec<&TypeDef> = ir
        .types
        .values()
        .filter(|t| t.directions.server_reads)
        .collect();
    // A project whose server reads no type (no action takes input) has an
    // empty module: no imports to leave unused.
    let any = !decoded.is_empty();
    let mut parts = vec![part(move || {
        if !any {
            return TokenStream::new();
        }
        quote! {
            #[allow(unused_imports)]
            use super::types::*;
            use ::bunbase_runtime::wire::{self, Decode, Decoder};
            use ::bunbase_runtime::serde_json::{Map, Value};
        }
    })];
    // Decoding checks every constraint, so the pipeline's validation has
    // nothing left to do for these types.
    let names: Vec<&str> = decoded.iter().map(|t| t.name.as_str()).collect();
    if any {
        parts.push(part(move || {
            let names = names.iter().map(|n| ident(n));
            quote!(::bunbase_runtime::checked_by_decoding!(#(#names),*);)
        }));
    }
    let inputs: std::collections::BTreeSet<&str> =
        ir.actions().filter_map(|a| a.input.as_deref()).collect();
    let typed: Vec<(&TypeDef, bool)> = decoded
        .into_iter()
        .map(|t| (t, inputs.contains(t.name.as_str())))
        .collect();
    parts.extend(chunked(typed, move |(t, input)| {
        let fast = input.then(|| fast_path(ir, t)).flatten();
        decode_impl(t, fast.as_ref())
    }));
    parts
}

fn decode_impl(t: &TypeDef, fast: Option<&TokenStream>) -> TokenStream {
    let name = ident(&t.name);
    match &t.kind {
        TypeKind::Object { fields } => {
            let lets = fields.iter().map(field_decode);
            let names: Vec<_> = fields.iter().map(|f| ident(&f.rust_name)).collect();
            let obj_param = if fields.is_empty() {
                quote!(obj)
            } else {
                quote!(mut obj)
            };
            let allow_dep = if fields.iter().any(|f| f.deprecated) {
                quote!(#[allow(deprecated)])
            } else {
                TokenStream::new()
            };
            quote! {
                impl #name {
                    /// Decodes the fields of this object from `obj`, reporting unknown fields.
                    #allow_dep
                    pub fn decode_object(d: &mut Decoder, #obj_param: Map<String, Value>) -> Option<Self> {
                        #(#lets)*
                        wire::deny_unknown(d, obj);
                        Some(Self { #(#names: #names?,)* })
                    }
                }
                impl Decode for #name {
                    fn decode(d: &mut Decoder, value: Value) -> Option<Self> {
                        let obj = wire::object(d, value)?;
                        Self::decode_object(d, obj)
                    }
                    #fast
                }
            }
        }
        TypeKind::Enum { values } => {
            let wires: Vec<_> = values.iter().map(|v| lit(&v.value)).collect();
            let arms = values.iter().map(|v| {
                let vn = ident(&v.rust_name);
                let w = lit(&v.value);
                quote!(#w => Some(#name::#vn),)
            });
            let allow = if values.iter().any(|v| v.deprecated) {
                quote!(#[allow(deprecated)])
            } else {
                TokenStream::new()
            };
            quote! {
                #allow
                impl Decode for #name {
                    fn decode(d: &mut Decoder, value: Value) -> Option<Self> {
                        let s = wire::enum_value(d, value, &[#(#wires),*])?;
                        match s.as_str() {
                            #(#arms)*
                            _ => None,
                        }
                    }
                }
            }
        }
        TypeKind::Union { tag, variants } => {
            let tag = lit(tag);
            let wires: Vec<_> = variants.iter().map(|v| lit(&v.tag_value)).collect();
            let arms = variants.iter().map(|v| {
                let vn = ident(&v.rust_name);
                let ty = ident(&v.type_name);
                let w = lit(&v.tag_value);
                quote!(#w => #ty::decode_object(d, obj).map(#name::#vn),)
            });
            quote! {
                impl Decode for #name {
                    fn decode(d: &mut Decoder, value: Value) -> Option<Self> {
                        let mut obj = wire::object(d, value)?;
                        let tag = wire::tag(d, &mut obj, #tag, &[#(#wires),*])?;
                        match tag.as_str() {
                            #(#arms)*
                            _ => None,
                        }
                    }
                }
            }
        }
    }
}

fn field_decode(f: &Field) -> TokenStream {
    let var = ident(&f.rust_name);
    let wire_name = lit(&f.name);
    let ty = field_rust_type(f);
    let has_default = f.default.as_ref().is_some_and(|d| !d.is_null());
    let call = match (&f.ty, has_default) {
        (_, true) => {
            let inner = value_decoder(&ty, &f.constraints);
            let default = json_value(f.default.as_ref().unwrap_or(&Value::Null));
            quote!(wire::default_field(d, &mut obj, #wire_name, || #default, #inner))
        }
        (TypeRef::Optional { inner }, false) => {
            let inner = value_decoder(inner, &f.constraints);
            quote!(wire::optional_field(d, &mut obj, #wire_name, #inner))
        }
        (ty, false) => {
            let inner = value_decoder(ty, &f.constraints);
            quote!(wire::field(d, &mut obj, #wire_name, #inner))
        }
    };
    quote!(let #var = #call;)
}

/// A closure `|d, v| -> Option<T>` decoding a value of `ty`, with the
/// field's constraints checked on its innermost non-optional value.
fn value_decoder(ty: &TypeRef, c: &Constraints) -> TokenStream {
    match ty {
        TypeRef::Optional { inner } => {
            let inner = value_decoder(inner, c);
            quote!(|d: &mut Decoder, v: Value| wire::optional(d, v, #inner))
        }
        TypeRef::Named { name, boxed } => {
            let n = ident(name);
            if *boxed {
                quote!(|d: &mut Decoder, v: Value| #n::decode(d, v).map(::std::boxed::Box::new))
            } else {
                quote!(<#n as Decode>::decode)
            }
        }
        _ => {
            let base = base_decoder(ty);
            let checks = constraint_checks(ty, c);
            if checks.is_empty() {
                base
            } else {
                let call = base_call(ty);
                quote!(|d: &mut Decoder, v: Value| {
                    let x = #call?;
                    #checks
                    Some(x)
                })
            }
        }
    }
}

/// A closure or function decoding `ty` without constraints (items of lists
/// and maps get no constraints: the IR's constraints apply to the field).
fn base_decoder(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::Bool => quote!(wire::boolean),
        TypeRef::Int => quote!(wire::int),
        TypeRef::Int64 => quote!(wire::int64),
        TypeRef::I32 => quote!(wire::int32),
        TypeRef::Float => quote!(wire::float),
        TypeRef::String => quote!(wire::string),
        TypeRef::Uuid => quote!(wire::uuid),
        TypeRef::Email => quote!(wire::email),
        TypeRef::Url => quote!(wire::url),
        TypeRef::DateTime => quote!(wire::datetime),
        TypeRef::Date => quote!(wire::date),
        TypeRef::Json => quote!(wire::json),
        TypeRef::Bytes => quote!(wire::bytes),
        TypeRef::List { item } => {
            let inner = value_decoder(item, &Constraints::default());
            quote!(|d: &mut Decoder, v: Value| wire::list(d, v, #inner))
        }
        TypeRef::Map { value } => {
            let inner = value_decoder(value, &Constraints::default());
            quote!(|d: &mut Decoder, v: Value| wire::map(d, v, #inner))
        }
        TypeRef::Optional { .. } | TypeRef::Named { .. } => {
            value_decoder(ty, &Constraints::default())
        }
    }
}

/// An expression decoding `v` (in scope with `d`) as `ty`, without constraints.
fn base_call(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::List { item } => {
            let inner = value_decoder(item, &Constraints::default());
            quote!(wire::list(d, v, #inner))
        }
        TypeRef::Map { value } => {
            let inner = value_decoder(value, &Constraints::default());
            quote!(wire::map(d, v, #inner))
        }
        _ => {
            let f = base_decoder(ty);
            quote!(#f(d, v))
        }
    }
}

/// Constraint checks on a decoded value bound to `x`.
fn constraint_checks(ty: &TypeRef, c: &Constraints) -> TokenStream {
    checks_on(ty, c, &quote!(&x))
}

/// Constraint checks on a value bound to `x`, passed by reference as `r`
/// (`&x` for an owned value, `x` for one already borrowed).
fn checks_on(ty: &TypeRef, c: &Constraints, r: &TokenStream) -> TokenStream {
    let mut out = TokenStream::new();
    let is_text = matches!(ty, TypeRef::String | TypeRef::Email | TypeRef::Url);
    if is_text {
        if let Some(n) = c.min_len {
            let n = Literal::usize_unsuffixed(n as usize);
            out.extend(quote!(wire::min_len(d, #r, #n);));
        }
        if let Some(n) = c.max_len {
            let n = Literal::usize_unsuffixed(n as usize);
            out.extend(quote!(wire::max_len(d, #r, #n);));
        }
        if let Some(p) = &c.pattern {
            let p = lit(p);
            out.extend(quote! {
                static PATTERN: ::bunbase_runtime::validate::Pattern = ::bunbase_runtime::validate::Pattern::new(#p);
                wire::pattern(d, #r, &PATTERN);
            });
        }
    }
    if matches!(ty, TypeRef::List { .. }) {
        if let Some(n) = c.min_items {
            let n = Literal::usize_unsuffixed(n as usize);
            out.extend(quote!(wire::min_items(d, x.len(), #n);));
        }
        if let Some(n) = c.max_items {
            let n = Literal::usize_unsuffixed(n as usize);
            out.extend(quote!(wire::max_items(d, x.len(), #n);));
        }
        if c.unique {
            out.extend(quote!(wire::unique(d, #r);));
        }
    }
    let bound = |n: &serde_json::Number| -> TokenStream {
        match ty {
            TypeRef::Float => {
                let f = Literal::f64_unsuffixed(n.as_f64().unwrap_or(0.0));
                quote!(#f)
            }
            TypeRef::I32 => {
                let i = Literal::i32_unsuffixed(
                    n.as_i64().and_then(|i| i32::try_from(i).ok()).unwrap_or(0),
                );
                quote!(#i)
            }
            _ => {
                let i = Literal::i64_unsuffixed(n.as_i64().unwrap_or(0));
                quote!(#i)
            }
        }
    };
    if matches!(
        ty,
        TypeRef::Int | TypeRef::Int64 | TypeRef::I32 | TypeRef::Float
    ) {
        if let Some(n) = &c.min {
            let b = bound(n);
            out.extend(quote!(wire::min(d, x, #b);));
        }
        if let Some(n) = &c.max {
            let b = bound(n);
            out.extend(quote!(wire::max(d, x, #b);));
        }
    }
    out
}

/// The typed fast path of an action's input type (`wire::fast`): a private
/// shadow struct whose serde derive (`remote`) reads the body straight into
/// the type, and a `from_body` that then checks every constraint. `None`
/// when some field is of a kind the fast path cannot read exactly as the
/// decoder does (nested objects, unions, maps, `json`, `bytes`, lists of
/// anything but strings, booleans, floats, 32-bit integers and enums,
/// non-empty or object defaults, deprecated fields); that type has no fast
/// path and every body takes the decoder.
fn fast_path(ir: &Ir, t: &TypeDef) -> Option<TokenStream> {
    let TypeKind::Object { fields } = &t.kind else {
        return None;
    };
    let name = ident(&t.name);
    let shadow = ident(&format!("{}Body", t.name));
    let mut defs = Vec::new();
    let mut defaults = Vec::new();
    let mut checks = Vec::new();
    for f in fields {
        if f.deprecated {
            return None;
        }
        let var = ident(&f.rust_name);
        let ty = field_rust_type(f);
        let rust_ty = super::tokens::rust_type(&ty);
        let mut attrs = Vec::new();
        if super::tokens::unraw(&f.rust_name) != f.name {
            let w = lit(&f.name);
            attrs.push(quote!(rename = #w));
        }
        let has_default = f.default.as_ref().is_some_and(|d| !d.is_null());
        let (value_ty, optional) = match (&f.ty, has_default) {
            (TypeRef::Optional { inner }, false) => (&**inner, true),
            (TypeRef::Optional { inner }, true) => (&**inner, false),
            (ty, _) => (ty, false),
        };
        if !fast_kind(ir, value_ty) {
            return None;
        }
        let with = match (value_ty, optional) {
            (TypeRef::Uuid | TypeRef::DateTime | TypeRef::Date, false) => Some("wire::fast::text"),
            (TypeRef::Uuid | TypeRef::DateTime | TypeRef::Date, true) => {
                Some("wire::fast::text_opt")
            }
            (TypeRef::Int64, false) => Some("wire::fast::int64"),
            (TypeRef::Int64, true) => Some("wire::fast::int64_opt"),
            _ => None,
        };
        if let Some(w) = with {
            attrs.push(quote!(deserialize_with = #w));
        }
        if has_default {
            let value = typed_default(ir, value_ty, f.default.as_ref()?)?;
            // The raw form (`r#type`) keeps a keyword-named field a path.
            let path = lit(&format!("{}Body::{}", t.name, f.rust_name));
            attrs.push(quote!(default = #path));
            defaults.push(quote!(fn #var() -> #rust_ty { #value }));
        } else if optional {
            attrs.push(quote!(default));
        }
        let attrs = (!attrs.is_empty()).then(|| quote!(#[serde(#(#attrs),*)]));
        defs.push(quote!(#attrs #var: #rust_ty,));
        let mut c = checks_on(value_ty, &f.constraints, &quote!(x));
        match value_ty {
            TypeRef::Int => c.extend(quote!(wire::int_range(d, x);)),
            TypeRef::Email => c.extend(quote!(wire::email_format(d, x);)),
            TypeRef::Url => c.extend(quote!(wire::url_format(d, x);)),
            _ => {}
        }
        if c.is_empty() {
            continue;
        }
        let copy = matches!(
            value_ty,
            TypeRef::Int | TypeRef::Int64 | TypeRef::I32 | TypeRef::Float
        );
        checks.push(match (optional, copy) {
            (true, true) => quote!(if let Some(x) = v.#var { #c }),
            (true, false) => quote!(if let Some(x) = &v.#var { #c }),
            (false, true) => quote!({ let x = v.#var; #c }),
            (false, false) => quote!({ let x = &v.#var; #c }),
        });
    }
    let doc = lit(&format!(
        " `{}` as the typed fast path reads it from a body (see `wire::fast`).",
        t.name
    ));
    let remote = lit(&t.name);
    let impl_defaults = (!defaults.is_empty()).then(|| quote!(impl #shadow { #(#defaults)* }));
    let d = if checks.is_empty() {
        quote!(_d)
    } else {
        quote!(d)
    };
    Some(quote! {
        fn from_body(bytes: &[u8]) -> Option<Self> {
            #[doc = #doc]
            #[derive(::bunbase_runtime::serde::Deserialize)]
            #[serde(crate = "::bunbase_runtime::serde", remote = #remote, deny_unknown_fields)]
            #[allow(dead_code)]
            struct #shadow { #(#defs)* }
            #impl_defaults
            let v: #name = wire::fast::body(bytes, |de| #shadow::deserialize(de))?;
            let #d = &mut wire::fast::Checks::default();
            #(#checks)*
            #d.passed().then_some(v)
        }
    })
}

/// Whether a value of `ty` reads through serde exactly as the decoder
/// reads it (with the `wire::fast` adapters the caller adds).
fn fast_kind(ir: &Ir, ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Bool
        | TypeRef::Int
        | TypeRef::Int64
        | TypeRef::I32
        | TypeRef::Float
        | TypeRef::String
        | TypeRef::Uuid
        | TypeRef::Email
        | TypeRef::Url
        | TypeRef::DateTime
        | TypeRef::Date => true,
        TypeRef::Named { name, boxed: false } => is_enum(ir, name),
        TypeRef::List { item } => match &**item {
            TypeRef::Bool | TypeRef::Float | TypeRef::I32 | TypeRef::String => true,
            TypeRef::Named { name, boxed: false } => is_enum(ir, name),
            _ => false,
        },
        _ => false,
    }
}

fn is_enum(ir: &Ir, name: &str) -> bool {
    ir.types
        .get(name)
        .is_some_and(|t| matches!(t.kind, TypeKind::Enum { .. }) && !t.deprecated)
}

/// A Rust expression for the default `v` of a field of `ty`, when the fast
/// path can write it: scalars, strings, enum values and the empty list.
fn typed_default(ir: &Ir, ty: &TypeRef, v: &Value) -> Option<TokenStream> {
    Some(match (ty, v) {
        (TypeRef::Bool, Value::Bool(b)) => quote!(#b),
        (TypeRef::Int, Value::Number(n)) => {
            let i = Literal::i64_unsuffixed(n.as_i64()?);
            quote!(#i)
        }
        (TypeRef::I32, Value::Number(n)) => {
            let i = Literal::i32_unsuffixed(i32::try_from(n.as_i64()?).ok()?);
            quote!(#i)
        }
        (TypeRef::Float, Value::Number(n)) => {
            let f = Literal::f64_unsuffixed(n.as_f64()?);
            quote!(#f)
        }
        (TypeRef::String | TypeRef::Email | TypeRef::Url, Value::String(s)) => {
            quote!(::std::string::String::from(#s))
        }
        (TypeRef::List { .. }, Value::Array(items)) if items.is_empty() => {
            quote!(::std::vec::Vec::new())
        }
        (TypeRef::Named { name, .. }, Value::String(s)) => {
            let TypeKind::Enum { values } = &ir.types.get(name)?.kind else {
                return None;
            };
            let v = values.iter().find(|v| &v.value == s)?;
            let (n, vn) = (ident(name), ident(&v.rust_name));
            quote!(#n::#vn)
        }
        _ => return None,
    })
}

/// Tokens building a `serde_json::Value` equal to `v` (defaults).
pub fn json_value(v: &Value) -> TokenStream {
    match v {
        Value::Null => quote!(Value::Null),
        Value::Bool(b) => quote!(Value::Bool(#b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                quote!(Value::from(#i))
            } else if let Some(u) = n.as_u64() {
                quote!(Value::from(#u))
            } else {
                let f = n.as_f64().unwrap_or(0.0);
                quote!(Value::from(#f))
            }
        }
        Value::String(s) => quote!(Value::from(#s)),
        Value::Array(items) => {
            let items = items.iter().map(json_value);
            quote!(Value::Array(::std::vec![#(#items),*]))
        }
        Value::Object(map) if map.is_empty() => quote!(Value::Object(Map::new())),
        Value::Object(map) => {
            let entries = map.iter().map(|(k, v)| {
                let v = json_value(v);
                quote!(m.insert(::std::string::String::from(#k), #v);)
            });
            quote!({ let mut m = Map::new(); #(#entries)* Value::Object(m) })
        }
    }
}
