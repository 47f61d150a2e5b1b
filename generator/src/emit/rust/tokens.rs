//! Token helpers shared by the Rust emitter: identifiers, type paths, doc attributes and the one formatting step.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{ToTokens, quote};

use crate::ir::{Ir, OutputType, TypeRef};
use crate::naming;

/// An identifier from a name the IR already made valid, accepting the raw
/// form (`r#type`).
pub fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

/// `name` with its raw prefix removed (`r#type` -> `type`), as serde sees it.
pub fn unraw(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}

/// A string literal token.
pub fn lit(s: &str) -> Literal {
    Literal::string(s)
}

/// A string literal token for JSON text: a raw string (`r#"{"a":1}"#`),
/// which reads as the JSON itself and costs no escaping to build or to
/// parse back. Falls back to [`lit`] for text a raw string cannot hold (a
/// carriage return; serialised JSON never has one).
pub fn json_lit(json: &str) -> Literal {
    if json.contains('\r') {
        return lit(json);
    }
    // One more `#` than the longest run of them after a quote.
    let mut hashes = 0;
    for (i, _) in json.match_indices('"') {
        let run = json[i + 1..].bytes().take_while(|b| *b == b'#').count();
        hashes = hashes.max(run + 1);
    }
    let hashes = "#".repeat(hashes);
    match format!("r{hashes}\"{json}\"{hashes}").parse() {
        Ok(l) => l,
        Err(_) => lit(json),
    }
}

/// `#[doc = "..."]` attributes for each line of an optional description.
pub fn docs(text: Option<&str>) -> TokenStream {
    match text {
        Some(t) => doc_lines(t),
        None => TokenStream::new(),
    }
}

/// `#[doc = "..."]` attributes for each line of `text`, each with a leading
/// space so the rendered `///` comment reads naturally.
pub fn doc_lines(text: &str) -> TokenStream {
    let mut out = TokenStream::new();
    for line in text.trim_end().lines() {
        let line = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        let l = lit(&line);
        out.extend(quote!(#[doc = #l]));
    }
    out
}

/// `use ::bunbase_runtime::{chrono, serde_json, uuid};`, which
/// [`rust_type`]'s paths need (lower-case, so no contract type shadows them).
pub fn runtime_crates() -> TokenStream {
    quote! {
        #[allow(unused_imports)]
        use ::bunbase_runtime::{chrono, serde_json, uuid};
    }
}

/// A type of Rust's prelude (`String`, `Option`, `Vec`, `Box`, `Result`) by
/// its short name when no contract type can shadow it (the checker rejects
/// a type declared with a name of [`naming::RESERVED_TYPE_NAMES`]), else by
/// its full `std` path, built only when it is needed.
pub fn prelude(name: &str, path: impl FnOnce() -> TokenStream) -> TokenStream {
    if naming::RESERVED_TYPE_NAMES.contains(&name) {
        ident(name).into_token_stream()
    } else {
        path()
    }
}

/// The Rust type of a type reference, naming generated types relative to the
/// current module (`Task`, with `use super::types::*` in scope) and the
/// runtime's re-exported crates by the names [`runtime_crates`] imports
/// (`chrono::NaiveDate`): a module that writes these types imports it.
pub fn rust_type(ty: &TypeRef) -> TokenStream {
    let string = || prelude("String", || quote!(::std::string::String));
    match ty {
        TypeRef::Bool => quote!(bool),
        TypeRef::Int | TypeRef::Int64 => quote!(i64),
        TypeRef::I32 => quote!(i32),
        TypeRef::Float => quote!(f64),
        TypeRef::String | TypeRef::Email | TypeRef::Url => string(),
        TypeRef::Uuid => quote!(uuid::Uuid),
        TypeRef::DateTime => quote!(chrono::DateTime<chrono::Utc>),
        TypeRef::Date => quote!(chrono::NaiveDate),
        TypeRef::Json => quote!(serde_json::Value),
        TypeRef::Bytes => {
            let vec = prelude("Vec", || quote!(::std::vec::Vec));
            quote!(#vec<u8>)
        }
        TypeRef::List { item } => {
            let t = rust_type(item);
            let vec = prelude("Vec", || quote!(::std::vec::Vec));
            quote!(#vec<#t>)
        }
        TypeRef::Map { value } => {
            let t = rust_type(value);
            let string = string();
            quote!(::std::collections::BTreeMap<#string, #t>)
        }
        TypeRef::Optional { inner } => {
            let t = rust_type(inner);
            let option = prelude("Option", || quote!(::std::option::Option));
            quote!(#option<#t>)
        }
        TypeRef::Named { name, boxed } => {
            let n = ident(name);
            if *boxed {
                let b = prelude("Box", || quote!(::std::boxed::Box));
                quote!(#b<#n>)
            } else {
                quote!(#n)
            }
        }
    }
}

/// The Rust type of an action's output; `()` when it has none.
/// The Rust type of an action's input: its named type, `serde_json::Value`
/// for an input written `json` (any JSON value, e.g. a webhook's payload),
/// or `None` when it takes no input.
pub fn input_type(a: &crate::ir::Action) -> Option<TokenStream> {
    match &a.input {
        Some(i) => {
            let i = ident(i);
            Some(quote!(#i))
        }
        None if a.input_json => Some(quote!(::bunbase_runtime::serde_json::Value)),
        None => None,
    }
}

/// The type the pipeline decodes an action's input into: its input type,
/// or `()` when it takes none.
pub fn decoded_input(a: &crate::ir::Action) -> TokenStream {
    input_type(a).unwrap_or_else(|| quote!(()))
}

pub fn output_type(out: Option<&OutputType>) -> TokenStream {
    match out {
        None => quote!(()),
        Some(OutputType::Named { name }) => ident(name).into_token_stream(),
        Some(OutputType::Expr { ty }) => rust_type(ty),
    }
}

/// True when the project uses at least one `custom` guard.
pub fn uses_custom_guards(ir: &Ir) -> bool {
    !custom_guards(ir).is_empty()
}

/// Every custom guard the contracts use, as `(name, rust_name)` pairs,
/// without duplicates and sorted by name: the order of the generated
/// `CustomGuards` trait methods, its adapter's match arms and the scaffold.
pub fn custom_guards(ir: &Ir) -> Vec<(&str, &str)> {
    let mut names: Vec<(&str, &str)> = ir
        .actions()
        .flat_map(|a| &a.guards)
        .filter_map(|g| match &g.kind {
            crate::ir::GuardKind::Custom { name, rust_name } => {
                Some((name.as_str(), rust_name.as_str()))
            }
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup_by(|a, b| a.0 == b.0);
    names
}

/// Parses and pretty-prints a whole file: each item by prettyplease, a blank
/// line between items ([`super::format::unparse_items`]). The tokens are
/// built by this emitter, so a parse failure is a bug in bunbase; the
/// message names it.
pub fn format_file(tokens: TokenStream) -> String {
    super::format::join_items(&super::format::unparse_items(tokens))
}

#[cfg(test)]
mod tests {
    use super::json_lit;

    #[test]
    fn json_literals_are_raw_strings_with_as_few_hashes_as_they_need() {
        assert_eq!(json_lit("[1,2]").to_string(), r#"r"[1,2]""#);
        assert_eq!(json_lit(r#"{"a":1}"#).to_string(), r##"r#"{"a":1}"#"##);
        assert_eq!(
            json_lit(r###"{"$ref":"#/$defs/A","b":"##"}"###).to_string(),
            r####"r###"{"$ref":"#/$defs/A","b":"##"}"###"####
        );
        // A carriage return cannot stand in a raw string: escaped instead.
        assert_eq!(json_lit("\"\r\"").to_string(), r#""\"\r\"""#);
    }
}
