//! Emits the `decode` module of the API crate: a `wire::Decode` impl per type that checks types, unknown fields, formats and every constraint, reporting all violations with JSON-pointer paths.

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use serde_json::Value;

use super::format::{Part, chunked, part};
use super::tokens::{ident, lit};
use super::types::field_rust_type;
use crate::ir::{Constraints, FastPath, Field, Ir, TypeDef, TypeKind, TypeRef};

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
    let any_fast = decoded.iter().any(|t| t.fast_path.is_some());
    let any_rules = decoded.iter().any(|t| match &t.kind {
        TypeKind::Object { fields } => fields.iter().any(|f| {
            let fast = t.fast_path.is_some();
            !rules(innermost(&f.ty), &f.constraints, fast).is_empty()
        }),
        _ => false,
    });
    let mut parts = vec![part(move || {
        if !any {
            return TokenStream::new();
        }
        let rule = any_rules.then(|| quote!(, Rule));
        let serde = any_fast.then(|| {
            quote! {
                #[allow(unused_imports)]
                use ::bunbase_runtime::{chrono, serde, uuid};
            }
        });
        quote! {
            #[allow(unused_imports)]
            use super::types::*;
            use ::bunbase_runtime::wire::{self, Decode, Decoder #rule};
            use ::bunbase_runtime::serde_json::{Map, Value};
            #serde
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
    parts.extend(chunked(decoded, move |t| {
        let fast = t.fast_path.as_ref().and_then(|f| fast_path(ir, t, f));
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

/// `let <field> = ...;` decoding one field, then, when it has
/// constraints, one `wire::check_at` checking them at the field's path
/// right after (so violations keep the fields' order).
fn field_decode(f: &Field) -> TokenStream {
    let var = ident(&f.rust_name);
    let wire_name = lit(&f.name);
    let ty = field_rust_type(f);
    let has_default = f.default.as_ref().is_some_and(|d| !d.is_null());
    let call = match (&f.ty, has_default) {
        (_, true) => {
            let inner = base_decoder(&ty);
            let default = json_value(f.default.as_ref().unwrap_or(&Value::Null));
            quote!(wire::default_field(d, &mut obj, #wire_name, || #default, #inner))
        }
        (TypeRef::Optional { inner }, false) => {
            let inner = base_decoder(inner);
            quote!(wire::optional_field(d, &mut obj, #wire_name, #inner))
        }
        (ty, false) => {
            let inner = base_decoder(ty);
            quote!(wire::field(d, &mut obj, #wire_name, #inner))
        }
    };
    let rules = rules(innermost(&f.ty), &f.constraints, false);
    let check =
        (!rules.is_empty()).then(|| quote!(wire::check_at(d, #wire_name, &#var, &[#(#rules),*]);));
    quote!(let #var = #call; #check)
}

/// `ty` without its optional layers: the type constraints apply to.
fn innermost(ty: &TypeRef) -> &TypeRef {
    match ty {
        TypeRef::Optional { inner } => innermost(inner),
        ty => ty,
    }
}

/// A closure `|d, v| -> Option<T>` decoding a value of `ty`, without
/// constraints (`wire::check_at` checks them after).
fn value_decoder(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::Optional { inner } => {
            let inner = value_decoder(inner);
            quote!(|d, v| wire::optional(d, v, #inner))
        }
        TypeRef::Named { name, boxed } => {
            let n = ident(name);
            if *boxed {
                quote!(|d, v| #n::decode(d, v).map(Box::new))
            } else {
                quote!(#n::decode)
            }
        }
        _ => base_decoder(ty),
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
            let inner = value_decoder(item);
            quote!(|d, v| wire::list(d, v, #inner))
        }
        TypeRef::Map { value } => {
            let inner = value_decoder(value);
            quote!(|d, v| wire::map(d, v, #inner))
        }
        TypeRef::Optional { .. } | TypeRef::Named { .. } => value_decoder(ty),
    }
}

/// The `wire::Rule`s of constraints `c` on a value of `ty` (the field's
/// innermost type); the fast path (`fast`) adds the checks the decoder
/// makes while reading (integer range, email and URL formats).
fn rules(ty: &TypeRef, c: &Constraints, fast: bool) -> Vec<TokenStream> {
    let mut out = Vec::new();
    let usize_lit = |n: u64| Literal::usize_unsuffixed(n as usize);
    if matches!(ty, TypeRef::String | TypeRef::Email | TypeRef::Url) {
        if let Some(n) = c.min_len {
            let n = usize_lit(n);
            out.push(quote!(Rule::MinLen(#n)));
        }
        if let Some(n) = c.max_len {
            let n = usize_lit(n);
            out.push(quote!(Rule::MaxLen(#n)));
        }
        if let Some(p) = &c.pattern {
            let p = lit(p);
            out.push(quote!(Rule::Pattern({
                static PATTERN: ::bunbase_runtime::validate::Pattern =
                    ::bunbase_runtime::validate::Pattern::new(#p);
                &PATTERN
            })));
        }
    }
    if matches!(ty, TypeRef::List { .. }) {
        if let Some(n) = c.min_items {
            let n = usize_lit(n);
            out.push(quote!(Rule::MinItems(#n)));
        }
        if let Some(n) = c.max_items {
            let n = usize_lit(n);
            out.push(quote!(Rule::MaxItems(#n)));
        }
        if c.unique {
            out.push(quote!(Rule::Unique));
        }
    }
    let bound = |n: &serde_json::Number, min: bool| -> TokenStream {
        if matches!(ty, TypeRef::Float) {
            let f = Literal::f64_unsuffixed(n.as_f64().unwrap_or(0.0));
            if min {
                quote!(Rule::MinFloat(#f))
            } else {
                quote!(Rule::MaxFloat(#f))
            }
        } else {
            let i = match ty {
                TypeRef::I32 => {
                    i64::from(n.as_i64().and_then(|i| i32::try_from(i).ok()).unwrap_or(0))
                }
                _ => n.as_i64().unwrap_or(0),
            };
            let i = Literal::i64_unsuffixed(i);
            if min {
                quote!(Rule::MinInt(#i))
            } else {
                quote!(Rule::MaxInt(#i))
            }
        }
    };
    if matches!(
        ty,
        TypeRef::Int | TypeRef::Int64 | TypeRef::I32 | TypeRef::Float
    ) {
        if let Some(n) = &c.min {
            out.push(bound(n, true));
        }
        if let Some(n) = &c.max {
            out.push(bound(n, false));
        }
    }
    if fast {
        match ty {
            TypeRef::Int => out.push(quote!(Rule::IntRange)),
            TypeRef::Email => out.push(quote!(Rule::Email)),
            TypeRef::Url => out.push(quote!(Rule::Url)),
            _ => {}
        }
    }
    out
}

/// The typed fast path of an action's input type (`wire::fast`), as
/// lowering decided it ([`FastPath`]): a private shadow struct whose serde
/// derive (`remote`) reads the body straight into the type, and a
/// `from_body` that then checks every constraint. Lowering only gives a
/// fast path to objects whose fields all read through serde exactly as the
/// decoder reads them, so the `None` branches are never taken.
fn fast_path(ir: &Ir, t: &TypeDef, fast: &FastPath) -> Option<TokenStream> {
    let TypeKind::Object { fields } = &t.kind else {
        return None;
    };
    let shadow = ident(&fast.shadow);
    let mut defs = Vec::new();
    let mut defaults = Vec::new();
    let mut checks = Vec::new();
    for f in fields {
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
            let path = lit(&format!("{}::{}", fast.shadow, f.rust_name));
            attrs.push(quote!(default = #path));
            defaults.push(quote!(fn #var() -> #rust_ty { #value }));
        } else if optional {
            attrs.push(quote!(default));
        }
        let attrs = (!attrs.is_empty()).then(|| quote!(#[serde(#(#attrs),*)]));
        defs.push(quote!(#attrs #var: #rust_ty,));
        let rules = rules(value_ty, &f.constraints, true);
        if !rules.is_empty() {
            checks.push(quote!(wire::check(d, &v.#var, &[#(#rules),*]);));
        }
    }
    let doc = lit(&format!(
        " `{}` as the typed fast path reads it from a body (see `wire::fast`).",
        t.name
    ));
    let remote = lit(&t.name);
    let impl_defaults = (!defaults.is_empty()).then(|| quote!(impl #shadow { #(#defaults)* }));
    let checked = if checks.is_empty() {
        quote!(Some(v))
    } else {
        quote! {
            let d = &mut wire::fast::Checks::default();
            #(#checks)*
            d.passed().then_some(v)
        }
    };
    Some(quote! {
        fn from_body(bytes: &[u8]) -> Option<Self> {
            #[doc = #doc]
            #[derive(serde::Deserialize)]
            #[serde(crate = "serde", remote = #remote, deny_unknown_fields)]
            #[allow(dead_code)]
            struct #shadow { #(#defs)* }
            #impl_defaults
            let v = wire::fast::body(bytes, |de| #shadow::deserialize(de))?;
            #checked
        }
    })
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
            quote!(String::from(#s))
        }
        (TypeRef::List { .. }, Value::Array(items)) if items.is_empty() => {
            quote!(Vec::new())
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
                quote!(m.insert(String::from(#k), #v);)
            });
            quote!({ let mut m = Map::new(); #(#entries)* Value::Object(m) })
        }
    }
}
