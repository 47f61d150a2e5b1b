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
            use super::wire::{self, Decode, Decoder};
            use ::bunbase_runtime::serde_json::{Map, Value};
        }
    })];
    parts.extend(chunked(decoded, decode_impl));
    parts
}

fn decode_impl(t: &TypeDef) -> TokenStream {
    let name = ident(&t.name);
    let validate = quote! {
        impl ::bunbase_runtime::Validate for #name {
            /// Nothing left to check: decoding already checked every constraint.
            fn validate_into(&self, _at: &::bunbase_runtime::validate::Pointer, _out: &mut ::bunbase_runtime::validate::Violations) {}
        }
    };
    let decode = match &t.kind {
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
    };
    quote!(#validate #decode)
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
    let mut out = TokenStream::new();
    let is_text = matches!(ty, TypeRef::String | TypeRef::Email | TypeRef::Url);
    if is_text {
        if let Some(n) = c.min_len {
            let n = Literal::usize_unsuffixed(n as usize);
            out.extend(quote!(wire::min_len(d, &x, #n);));
        }
        if let Some(n) = c.max_len {
            let n = Literal::usize_unsuffixed(n as usize);
            out.extend(quote!(wire::max_len(d, &x, #n);));
        }
        if let Some(p) = &c.pattern {
            let p = lit(p);
            out.extend(quote! {
                static PATTERN: ::bunbase_runtime::validate::Pattern = ::bunbase_runtime::validate::Pattern::new(#p);
                wire::pattern(d, &x, &PATTERN);
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
            out.extend(quote!(wire::unique(d, &x);));
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
