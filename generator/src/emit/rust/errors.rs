//! Emits the `errors` module of the API crate: one error enum per action (declared errors, then the implicit ones) through the runtime's `action_error!`, each variant with its status, code and message.

use proc_macro2::TokenStream;
use quote::quote;

use super::format::{Part, chunked};
use super::tokens::{ident, lit};
use crate::ir::{Action, ErrorDef, ErrorPayload, Ir};

/// The `errors` module as parts: the enums in runs, each written with the
/// runtime's `action_error!` (its variants with status, code and message;
/// the macro adds `describe`, `Display` and the conversions).
pub fn errors_parts(ir: &Ir) -> Vec<Part<'_>> {
    chunked(ir.actions().collect(), error_enum_def)
}

/// What kind of payload a variant carries.
enum Shape {
    Unit,
    Violations,
    Detail,
}

fn shape(e: &ErrorDef) -> Shape {
    match e.payload {
        ErrorPayload::Violations => Shape::Violations,
        ErrorPayload::Detail => Shape::Detail,
        ErrorPayload::None => Shape::Unit,
    }
}

/// One enum: its variants, each with status, code and message; the macro
/// adds the docs (worded from the same data) and the derives.
fn error_enum_def(a: &Action) -> TokenStream {
    let name = ident(&a.error_enum);
    let full = lit(&a.full_name);
    let variants = a.errors.iter().map(|e| {
        let v = ident(&e.rust_name);
        let payload = match shape(e) {
            Shape::Unit => TokenStream::new(),
            Shape::Violations => quote!((violations)),
            Shape::Detail => quote!((detail)),
        };
        let status = proc_macro2::Literal::u16_unsuffixed(e.status);
        let code = lit(&e.code);
        let msg = lit(&e.message);
        quote!(#v #payload = (#status, #code, #msg),)
    });
    quote! {
        ::bunbase_runtime::action_error! {
            #[action = #full]
            pub enum #name { #(#variants)* }
        }
    }
}
