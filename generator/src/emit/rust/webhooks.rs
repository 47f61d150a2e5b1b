//! Emits the `webhooks` module of the API crate: one `WebhookSpec` per inbound webhook and the routes that verify, deduplicate and run each delivery through the runtime's pipeline.
//!
//! The runtime (`bunbase_runtime::webhooks`) does the work: it keeps the raw
//! body, verifies the signature in constant time before parsing, refuses
//! with 401 in the error envelope, records refusals as runs, and makes
//! `Server::bind` stop when a secret variable is unset. This file only
//! translates each [`WebhookTrigger`] into a static spec and a `route` call;
//! a queued webhook's job kind (decided by lowering) is registered by the
//! `jobs` module.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::router::{handler_closure, spec_name};
use super::tokens::{decoded_input, ident, lit};
use crate::ir::{Action, Ir, WebhookEncoding, WebhookScheme, WebhookTrigger};

/// True when some action has a webhook trigger (the module is emitted).
pub fn any(ir: &Ir) -> bool {
    ir.actions().any(|a| !a.triggers.webhooks.is_empty())
}

/// The `webhooks` module: the specs, then `routes`.
pub fn webhooks_module(ir: &Ir) -> TokenStream {
    let hooks: Vec<(&Action, &WebhookTrigger)> = ir
        .actions()
        .flat_map(|a| a.triggers.webhooks.iter().map(move |w| (a, w)))
        .collect();
    let specs = hooks.iter().map(|(a, w)| spec(a, w));
    let use_jobs = if hooks.iter().any(|(_, w)| w.job.is_some()) {
        quote!(webhooks::use_jobs(rt);)
    } else {
        TokenStream::new()
    };
    let routes = hooks.iter().map(|(a, w)| {
        let name = ident(&w.rust_static);
        let closure = handler_closure(ir, a);
        let input = decoded_input(a);
        quote! {
            .merge({
                let app = app.clone();
                webhooks::route(rt, &#name, wire::event_input::<#input>, #closure)
            })
        }
    });
    quote! {
        #[allow(unused_imports)]
        use super::types::*;
        #[allow(unused_imports)]
        use super::handlers::*;
        use ::bunbase_runtime::wire;
        use ::bunbase_runtime::axum::Router;
        #[allow(unused_imports)]
        use ::bunbase_runtime::webhooks::{self, Encoding, Mode, Scheme, WebhookSpec};
        use ::bunbase_runtime::Runtime;
        use ::std::sync::Arc;

        #(#specs)*

        /// Every inbound webhook route (`POST`), to merge into the router.
        /// A webhook whose secret variable is unset answers 503 to every
        /// delivery and makes `Server::bind` refuse to start. Queued
        /// webhooks enqueue into the runtime's job queue, whose handlers
        /// [`super::jobs::register`] adds.
        pub fn routes<H: Handlers>(rt: &Runtime, app: &Arc<H>) -> Router {
            #use_jobs
            Router::new()
                #(#routes)*
        }
    }
}

/// The `.merge(...)` the router function adds for the webhook routes.
pub fn router_merge(ir: &Ir) -> TokenStream {
    if any(ir) {
        quote!(.merge(super::webhooks::routes(rt, &app)))
    } else {
        TokenStream::new()
    }
}

/// One `static` spec.
fn spec(a: &Action, w: &WebhookTrigger) -> TokenStream {
    let name = ident(&w.rust_static);
    let action = spec_name(a);
    let path = lit(&w.path);
    let env = lit(&w.secret_env);
    let scheme = match &w.scheme {
        WebhookScheme::HmacSha256 {
            header,
            prefix,
            encoding,
            id_header,
        } => {
            let header = lit(&header.to_ascii_lowercase());
            let prefix = lit(prefix);
            let encoding = match encoding {
                WebhookEncoding::Hex => quote!(Encoding::Hex),
                WebhookEncoding::Base64 => quote!(Encoding::Base64),
            };
            let id_header = match id_header {
                Some(h) => {
                    let h = lit(&h.to_ascii_lowercase());
                    quote!(Some(#h))
                }
                None => quote!(None),
            };
            quote!(Scheme::HmacSha256 { header: #header, prefix: #prefix, encoding: #encoding, id_header: #id_header })
        }
        WebhookScheme::Stripe {
            header,
            tolerance_secs,
        } => {
            let header = lit(&header.to_ascii_lowercase());
            let t = Literal::u64_unsuffixed(*tolerance_secs);
            quote!(Scheme::Stripe { header: #header, tolerance_secs: #t })
        }
        WebhookScheme::StandardWebhooks { tolerance_secs } => {
            let t = Literal::u64_unsuffixed(*tolerance_secs);
            quote!(Scheme::StandardWebhooks { tolerance_secs: #t })
        }
    };
    let mode = match &w.job {
        Some(job) => {
            let kind = lit(&job.kind);
            quote!(Mode::Queue { job_kind: #kind })
        }
        None => quote!(Mode::Sync),
    };
    let doc = lit(&format!(
        " The inbound webhook `POST {}` of `{}` ({}, secret in `{}`).",
        w.path,
        a.full_name,
        w.scheme.name(),
        w.secret_env
    ));
    quote! {
        #[doc = #doc]
        pub static #name: WebhookSpec = WebhookSpec {
            action: &super::router::#action,
            path: #path,
            secret_env: #env,
            scheme: #scheme,
            mode: #mode,
            body_limit: None,
        };
    }
}
