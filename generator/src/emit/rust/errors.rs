//! Emits the `errors` module of the API crate: one error enum per action (declared errors, then the implicit ones), each mapping to its status, code and the runtime's envelope.

use proc_macro2::TokenStream;
use quote::quote;

use super::tokens::{doc_lines, error_enum, ident, lit};
use crate::ir::{Action, ErrorDef, Ir};

/// The items of the `errors` module.
pub fn errors_module(ir: &Ir) -> TokenStream {
    let enums = ir.actions().map(error_enum_def);
    quote! {
        use ::bunbase_runtime::ApiError;
        use ::bunbase_runtime::validate::Violation;
        #(#enums)*
    }
}

/// What kind of payload a variant carries.
enum Shape {
    Unit,
    Violations,
    Detail,
}

fn shape(e: &ErrorDef) -> Shape {
    match (e.implicit, e.code.as_str()) {
        (true, "validation_failed") => Shape::Violations,
        (true, "internal") => Shape::Detail,
        _ => Shape::Unit,
    }
}

fn error_enum_def(a: &Action) -> TokenStream {
    let name = error_enum(&a.pascal_name);
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
    let status_arms = a.errors.iter().map(|e| {
        let p = pat(e);
        let s = e.status;
        quote!(#p => #s,)
    });
    let code_arms = a.errors.iter().map(|e| {
        let p = pat(e);
        let c = lit(&e.code);
        quote!(#p => #c,)
    });
    let into_arms = a.errors.iter().map(|e| {
        let v = ident(&e.rust_name);
        let status = e.status;
        let code = lit(&e.code);
        let msg = lit(&e.message);
        let full = lit(&a.full_name);
        match (shape(e), e.implicit, e.code.as_str()) {
            (Shape::Violations, _, _) => {
                quote!(#name::#v(violations) => ApiError::validation(violations),)
            }
            (Shape::Detail, _, _) => quote!(#name::#v(detail) => ApiError::internal(detail),),
            (_, true, "unauthorized") => quote!(#name::#v => ApiError::unauthorized(#msg),),
            (_, true, "forbidden") => quote!(#name::#v => ApiError::forbidden(#msg),),
            (_, true, "not_found") => quote!(#name::#v => ApiError::not_found(#msg),),
            (_, true, "not_implemented") => quote!(#name::#v => ApiError::not_implemented(#full),),
            (_, true, "rate_limited") => {
                quote!(#name::#v => ApiError::rate_limited(::std::time::Duration::from_secs(1)),)
            }
            _ => quote!(#name::#v => ApiError::new(#status, #code, #msg),),
        }
    });
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
            /// The HTTP status this error answers with.
            pub fn status(&self) -> u16 {
                match self { #(#status_arms)* }
            }
            /// The stable wire code.
            pub fn code(&self) -> &'static str {
                match self { #(#code_arms)* }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::write!(f, "{} {}", self.status(), self.code())
            }
        }

        impl ::std::error::Error for #name {}

        impl ::std::convert::From<#name> for ApiError {
            fn from(e: #name) -> Self {
                match e { #(#into_arms)* }
            }
        }

        #from_api
    }
}
