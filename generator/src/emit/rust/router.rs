//! Emits the `router` module of the API crate: every `api` trigger's route and action endpoint through the runtime's pipeline, the OpenAPI document and the docs page.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::Ir;

/// The items of the `router` module.
pub fn router_module(_ir: &Ir) -> TokenStream {
    quote! {
        /// Placeholder.
        pub fn router() {}
    }
}
