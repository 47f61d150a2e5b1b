//! Emits the `types` module of the API crate: one Rust type per IR type, serialised with the contract's wire names.

use proc_macro2::TokenStream;
use quote::quote;

use super::format::{Part, chunked, part};
use super::tokens::{docs, ident, lit, rust_type, unraw};
use crate::ir::{Field, Ir, TypeDef, TypeKind, TypeRef};

/// The `types` module as parts: its import, then every type of the IR,
/// sorted by name, in runs. Every type serialises; the types the server
/// reads (`Directions::server_reads`) also deserialise, through
/// their decoder, while output-only types do not (the server never reads
/// them, as in smithy-rs's server types).
pub fn types_parts(ir: &Ir) -> Vec<Part<'_>> {
    let mut parts = vec![part(|| {
        let crates = super::tokens::runtime_crates();
        quote! {
            #[allow(unused_imports)]
            use ::bunbase_runtime::wire;
            #crates
        }
    })];
    let defs = ir
        .types
        .values()
        .map(|t| (t, t.directions.server_reads))
        .collect();
    parts.extend(chunked(defs, |(t, decoded)| type_def(t, decoded)));
    // Objects and unions the server reads deserialise through their
    // decoder; enums have their own impl (`type_def`).
    let decoded: Vec<&str> = ir
        .types
        .values()
        .filter(|t| t.directions.server_reads && !matches!(t.kind, TypeKind::Enum { .. }))
        .map(|t| t.name.as_str())
        .collect();
    if !decoded.is_empty() {
        parts.push(part(move || {
            let names = decoded.iter().map(|n| ident(n));
            quote!(::bunbase_runtime::deserialize_by_decoding!(#(#names),*);)
        }));
    }
    parts
}

fn type_def(t: &TypeDef, decoded: bool) -> TokenStream {
    let name = ident(&t.name);
    // Worded once in lowering: the description, then where an inline type
    // comes from.
    let doc = docs(Some(&t.doc));
    let deprecated = if t.deprecated {
        quote!(#[deprecated])
    } else {
        TokenStream::new()
    };
    let derive = quote!(#[derive(Debug, Clone, PartialEq, ::bunbase_runtime::serde::Serialize)]);
    let serde_crate = quote!(#[serde(crate = "::bunbase_runtime::serde")]);
    let body = match &t.kind {
        TypeKind::Object { fields } => {
            let fields = fields.iter().map(field_def);
            quote! {
                #doc #deprecated #derive #serde_crate
                pub struct #name { #(#fields)* }
            }
        }
        TypeKind::Enum { values } => {
            let variants = values.iter().map(|v| {
                let vn = ident(&v.rust_name);
                let wire = lit(&v.value);
                let vdoc = docs(v.description.as_deref());
                let dep = if v.deprecated {
                    quote!(#[deprecated])
                } else {
                    TokenStream::new()
                };
                quote!(#vdoc #dep #[serde(rename = #wire)] #vn,)
            });
            let arms = values.iter().map(|v| {
                let vn = ident(&v.rust_name);
                let wire = lit(&v.value);
                quote!(#name::#vn => #wire,)
            });
            let allow = if values.iter().any(|v| v.deprecated) {
                quote!(#[allow(deprecated)])
            } else {
                TokenStream::new()
            };
            quote! {
                #doc #deprecated
                #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::bunbase_runtime::serde::Serialize)]
                #serde_crate
                pub enum #name { #(#variants)* }

                #allow
                impl #name {
                    /// The value as it appears on the wire.
                    pub fn as_str(&self) -> &'static str {
                        match self { #(#arms)* }
                    }
                }

                impl ::std::fmt::Display for #name {
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(self.as_str())
                    }
                }
            }
        }
        TypeKind::Union { tag, variants } => {
            let tag = lit(tag);
            let vs = variants.iter().map(|v| {
                let vn = ident(&v.rust_name);
                let ty = ident(&v.type_name);
                let wire = lit(&v.tag_value);
                quote!(#[serde(rename = #wire)] #vn(#ty),)
            });
            quote! {
                #doc #deprecated #derive #serde_crate
                #[serde(tag = #tag)]
                pub enum #name { #(#vs)* }
            }
        }
    };
    if !decoded {
        return body;
    }
    // An enum reads from its wire string only, as the decoder does; the
    // typed fast path relies on it for enum fields (`wire::fast`).
    if let TypeKind::Enum { values } = &t.kind {
        let arms = values.iter().map(|v| {
            let vn = ident(&v.rust_name);
            let wire = lit(&v.value);
            quote!(#wire => Some(#name::#vn),)
        });
        let allow = values
            .iter()
            .any(|v| v.deprecated)
            .then(|| quote!(#[allow(deprecated)]));
        return quote! {
            #body
            #allow
            impl<'de> ::bunbase_runtime::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::bunbase_runtime::serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
                    wire::fast::enum_str(de, |s| match s { #(#arms)* _ => None })
                }
            }
        };
    }
    body
}

fn field_def(f: &Field) -> TokenStream {
    let name = ident(&f.rust_name);
    let ty = rust_type(&field_rust_type(f));
    let notes = field_notes(f);
    let text = match (f.description.as_deref(), notes) {
        (Some(d), Some(n)) => Some(format!("{}\n\n{n}", d.trim_end())),
        (d, n) => n.or(d.map(str::to_owned)),
    };
    let doc = docs(text.as_deref());
    let dep = if f.deprecated {
        quote!(#[deprecated])
    } else {
        TokenStream::new()
    };
    let rename = if unraw(&f.rust_name) != f.name {
        let w = lit(&f.name);
        quote!(#[serde(rename = #w)])
    } else {
        TokenStream::new()
    };
    let with = match encoder(&f.ty) {
        Some(codec) => {
            let path = lit(&format!("wire::serialize_with::<_, {codec}, _>"));
            quote!(#[serde(serialize_with = #path)])
        }
        None => TokenStream::new(),
    };
    quote!(#doc #dep #rename #with pub #name: #ty,)
}

/// What the TypeScript output shows of a field besides its description, in
/// the same words, as one paragraph: its constraints
/// ([`crate::ir::Constraints::sentence`]), default and example
/// (`Constraints: min length 1, max length 200. Default: `"open"`.`).
fn field_notes(f: &Field) -> Option<String> {
    let mut notes = Vec::new();
    notes.extend(f.constraints.sentence());
    if let Some(d) = &f.default {
        notes.push(format!("Default: `{d}`."));
    }
    if let Some(e) = &f.example {
        notes.push(format!("Example: `{e}`."));
    }
    (!notes.is_empty()).then(|| notes.join(" "))
}

/// The Rust-side type of a field: its declared type, except that an optional
/// field with a default is never absent once decoded.
pub fn field_rust_type(f: &Field) -> TypeRef {
    match (&f.ty, &f.default) {
        (TypeRef::Optional { inner }, Some(d)) if !d.is_null() => (**inner).clone(),
        (ty, _) => ty.clone(),
    }
}

/// The `wire::Encode` adapter for types whose wire form differs from serde's
/// default (`int64` as a string, `bytes` as base64), or `None` when plain
/// serde already matches the wire.
fn encoder(ty: &TypeRef) -> Option<String> {
    match ty {
        TypeRef::Int64 => Some("wire::Int64".into()),
        TypeRef::Bytes => Some("wire::Base64".into()),
        TypeRef::Optional { inner } => encoder(inner).map(|c| format!("wire::Opt<{c}>")),
        TypeRef::List { item } => encoder(item).map(|c| format!("wire::List<{c}>")),
        TypeRef::Map { value } => encoder(value).map(|c| format!("wire::Dict<{c}>")),
        _ => None,
    }
}
