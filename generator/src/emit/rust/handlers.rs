//! Emits the `handlers` module of the API crate: one handler trait per module with native async methods, the custom-guards trait, and the `Handlers` umbrella trait the router needs.

use proc_macro2::TokenStream;
use quote::quote;

use super::format::{Part, chunked, part};
use super::tokens::{custom_guards, doc_lines, ident, lit, output_type, uses_custom_guards};
use crate::ir::{Action, Event, Ir, Module};

/// The `handlers` module as parts: its imports, the module traits and the
/// event emitters in runs (printed through their shapes), then the custom
/// guards trait and the `Handlers` umbrella trait.
pub fn handlers_parts(ir: &Ir) -> Vec<Part<'_>> {
    let mut parts = vec![part(|| {
        quote! {
            #[allow(unused_imports)]
            use super::types::*;
            #[allow(unused_imports)]
            use super::errors::*;
            use ::bunbase_runtime::ActionContext;
            use ::std::future::Future;
        }
    })];
    parts.extend(chunked(ir.modules.values().collect(), module_trait));
    parts.push(part(move || custom_guards_trait(ir)));
    parts.extend(chunked(ir.events.values().collect(), emitter));
    parts.push(part(move || umbrella(ir)));
    parts
}

/// The function publishing event `e`.
fn emitter(e: &Event) -> TokenStream {
    let f = ident(&format!("emit_{}", e.snake_name));
    let payload = ident(&e.payload);
    let name = lit(&e.name);
    let doc = doc_lines(&format!(
        "Publishes `{}` once the current action succeeds: every action subscribed to it then runs through the pipeline.",
        e.name
    ));
    quote! {
        #doc
        pub fn #f(ctx: &ActionContext, payload: &#payload) -> Result<(), ::bunbase_runtime::ApiError> {
            ctx.emit(#name, payload)
        }
    }
}

/// The `Handlers` umbrella trait and its blanket impl.
fn umbrella(ir: &Ir) -> TokenStream {
    let all: Vec<_> = ir
        .modules
        .values()
        .map(|m| ident(&m.rust_handler))
        .collect();
    let custom_bound = if uses_custom_guards(ir) {
        quote!(+ CustomGuards)
    } else {
        TokenStream::new()
    };
    quote! {
        /// Everything the router needs from the application: every module's
        /// handler trait. Implemented automatically for any type that
        /// implements them all, so the server crate implements each module's
        /// trait in its own file on one application type.
        pub trait Handlers: #(#all +)* Send + Sync + 'static #custom_bound {}

        impl<T> Handlers for T where T: #(#all +)* Send + Sync + 'static #custom_bound {}
    }
}

fn module_trait(m: &Module) -> TokenStream {
    let name = ident(&m.rust_handler);
    let doc = doc_lines(&format!(
        "The handlers of module `{}`{}. Implement it in the server crate; the router calls each method after the action's guards passed and its input validated.",
        m.name,
        m.description
            .as_deref()
            .map(|d| format!(" ({})", d.trim_end_matches('.')))
            .unwrap_or_default()
    ));
    let methods = m.actions.values().map(method);
    quote! {
        #doc
        pub trait #name: Send + Sync + 'static {
            #(#methods)*
        }
    }
}

/// The doc comment of an action's handler method.
pub fn action_doc(a: &Action, with_deprecated: bool) -> TokenStream {
    let mut text = format!("`{}`", a.full_name);
    if let Some(s) = &a.summary {
        text.push_str(&format!(": {s}"));
    }
    text.push('.');
    if let Some(d) = &a.description {
        text.push_str("\n\n");
        text.push_str(d.trim_end());
    }
    let mut doc = doc_lines(&text);
    if let Some(dep) = a.deprecated.as_ref().filter(|_| with_deprecated) {
        let note = lit(dep.note.as_deref().unwrap_or(""));
        doc.extend(quote!(#[deprecated(note = #note)]));
    }
    doc
}

/// The signature of an action's handler method, without a body or `;`.
pub fn method_signature(a: &Action) -> TokenStream {
    let m = ident(&a.rust_name);
    let out = output_type(a.output.as_ref());
    let err = ident(&a.error_enum);
    match super::tokens::input_type(a) {
        Some(input) => {
            quote!(fn #m(&self, ctx: ActionContext, input: #input) -> impl Future<Output = Result<#out, #err>> + Send)
        }
        None => {
            quote!(fn #m(&self, ctx: ActionContext) -> impl Future<Output = Result<#out, #err>> + Send)
        }
    }
}

fn method(a: &Action) -> TokenStream {
    let doc = action_doc(a, true);
    let sig = method_signature(a);
    quote!(#doc #sig;)
}

fn custom_guards_trait(ir: &Ir) -> TokenStream {
    let names = custom_guards(ir);
    if names.is_empty() {
        return TokenStream::new();
    }
    let methods = names.iter().map(|(name, rust_name)| {
        let m = ident(rust_name);
        let doc = doc_lines(&format!("The `{{custom: {name}}}` guard: `Ok(())` lets the call through; an error answers instead."));
        quote! {
            #doc
            fn #m(&self, req: &::bunbase_runtime::GuardRequest<'_>) -> impl Future<Output = Result<(), ::bunbase_runtime::ApiError>> + Send;
        }
    });
    quote! {
        /// The `custom` guards the contracts use. Implement it in the server crate.
        pub trait CustomGuards: Send + Sync + 'static {
            #(#methods)*
        }
    }
}
