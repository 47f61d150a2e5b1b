//! Emits the `errors` module of the API crate: one error enum per action (declared errors, then the implicit ones), each mapping to its status, code and the runtime's envelope.

use proc_macro2::TokenStream;
use quote::quote;

use super::format::{Part, chunked, part};
use super::tokens::{doc_lines, ident, lit};
use crate::ir::{Action, ErrorDef, ErrorPayload, Ir};

/// The `errors` module as parts: its imports, then the enums in runs.
pub fn errors_parts(ir: &Ir) -> Vec<Part<'_>> {
    // Only actions with an input can answer `validation_failed` and its
    // violations.
    let violations = ir
        .actions()
        .flat_map(|a| &a.errors)
        .any(|e| e.payload == ErrorPayload::Violations);
    let mut parts = vec![part(move || {
        let violation = violations.then(|| {
            quote!(
                use ::bunbase_runtime::validate::Violation;
            )
        });
        quote! {
            use ::bunbase_runtime::ApiError;
            #violation
        }
    })];
    parts.extend(chunked(ir.actions().collect(), error_enum_def));
    parts
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

fn error_enum_def(a: &Action) -> TokenStream {
    let name = ident(&a.error_enum);
    let head = lit(&format!(
        " Every error `{}` can answer; each maps to a status and a wire code.",
        a.full_name
    ));
    let variants = a.errors.iter().map(|e| {
        let v = ident(&e.rust_name);
        let doc = doc_lines(&format!(
            "{} `{}` ({}): {}",
            e.status,
            e.code,
            if e.implicit { "implicit" } else { "declared" },
            e.message
        ));
        match shape(e) {
            Shape::Unit => quote!(#doc #v,),
            Shape::Violations => quote!(#doc #v(::std::vec::Vec<Violation>),),
            Shape::Detail => quote!(#doc #v(::std::string::String),),
        }
    });
    let pat = |e: &ErrorDef| {
        let v = ident(&e.rust_name);
        match shape(e) {
            Shape::Unit => quote!(#name::#v),
            _ => quote!(#name::#v(..)),
        }
    };
    let describe_arms = a.errors.iter().map(|e| {
        let p = pat(e);
        let status = proc_macro2::Literal::u16_unsuffixed(e.status);
        let code = lit(&e.code);
        let msg = lit(&e.message);
        quote!(#p => (#status, #code, #msg),)
    });
    let special_into = a.errors.iter().filter_map(|e| {
        let v = ident(&e.rust_name);
        match shape(e) {
            Shape::Violations => {
                Some(quote!(#name::#v(violations) => ApiError::validation(violations),))
            }
            Shape::Detail => Some(quote!(#name::#v(detail) => ApiError::internal(detail),)),
            Shape::Unit => None,
        }
    });
    let full = lit(&a.full_name);
    let from_arms = a.errors.iter().filter_map(|e| {
        let v = ident(&e.rust_name);
        let code = lit(&e.code);
        match shape(e) {
            Shape::Unit => Some(quote!(#code => #name::#v,)),
            _ => None,
        }
    });
    let has_internal = a.errors.iter().any(|e| matches!(shape(e), Shape::Detail));
    let has_validation = a
        .errors
        .iter()
        .find(|e| matches!(shape(e), Shape::Violations));
    let from_api = if has_internal {
        let internal = a
            .errors
            .iter()
            .find(|e| matches!(shape(e), Shape::Detail))
            .map(|e| ident(&e.rust_name));
        let validation_arm = has_validation.map(|e| {
            let v = ident(&e.rust_name);
            quote!("validation_failed" => #name::#v(
                e.details()
                    .and_then(|d| d.get("violations"))
                    .and_then(|v| ::bunbase_runtime::serde_json::from_value(v.clone()).ok())
                    .unwrap_or_default(),
            ),)
        });
        quote! {
            impl ::std::convert::From<ApiError> for #name {
                /// Maps a runtime error onto this action's variants by its code;
                /// anything else becomes an internal error.
                fn from(e: ApiError) -> Self {
                    match e.code() {
                        #validation_arm
                        #(#from_arms)*
                        _ => #name::#internal(e.to_string()),
                    }
                }
            }
            impl ::std::convert::From<::bunbase_runtime::sqlx::Error> for #name {
                fn from(e: ::bunbase_runtime::sqlx::Error) -> Self {
                    #name::#internal(::std::format!("database error: {e}"))
                }
            }
        }
    } else {
        TokenStream::new()
    };
    quote! {
        #[doc = #head]
        #[derive(Debug, Clone, PartialEq)]
        pub enum #name { #(#variants)* }

        impl #name {
            /// The HTTP status, wire code and contract message of this error.
            pub fn describe(&self) -> (u16, &'static str, &'static str) {
                match self { #(#describe_arms)* }
            }
            /// The HTTP status this error answers with.
            pub fn status(&self) -> u16 {
                self.describe().0
            }
            /// The stable wire code.
            pub fn code(&self) -> &'static str {
                self.describe().1
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let (status, code, message) = self.describe();
                ::std::write!(f, "{status} {code}: {message}")
            }
        }

        impl ::std::error::Error for #name {}

        impl ::std::convert::From<#name> for ApiError {
            fn from(e: #name) -> Self {
                match e {
                    #(#special_into)*
                    other => super::wire::api_error(other.describe(), #full),
                }
            }
        }

        #from_api
    }
}
