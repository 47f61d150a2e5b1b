//! Emits the `router` module of the API crate: every `api` trigger's route and action endpoint through the runtime's pipeline, event subscriptions, custom guards, and the runtime's offline docs routes for the OpenAPI document.

use std::collections::BTreeMap;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::format::{Part, chunked, part};
use super::tokens::{custom_guards, ident, lit, uses_custom_guards};
use super::types::field_rust_type;
use crate::ir::{Action, Backoff, BindingLocation, GuardKind, Ir, RateLimitKey, TypeKind, TypeRef};

/// The `router` module as parts: its head, the action specs and HTTP
/// runners in runs, then the router function.
pub fn router_parts(ir: &Ir) -> Vec<Part<'_>> {
    let actions: Vec<&Action> = ir.actions().collect();
    let mut parts = vec![part(move || router_head(ir))];
    parts.extend(chunked(actions.clone(), spec_static));
    parts.extend(chunked(actions, move |a| http_runner(ir, a)));
    parts.push(part(move || router_tail(ir)));
    parts
}

/// The imports and the endpoint helper.
fn router_head(ir: &Ir) -> TokenStream {
    let any_http = ir.actions().any(|a| !a.triggers.http.is_empty());
    // `Param` says how a path or query string becomes a field's JSON: only
    // routes with such bindings use it.
    let any_param = ir.actions().any(|a| {
        a.triggers.http.iter().any(|r| {
            r.bindings
                .iter()
                .any(|b| b.location != BindingLocation::Body)
        })
    });
    let wire_imports = if any_param {
        quote!(
            use ::bunbase_runtime::wire::{Binding, Param};
        )
    } else {
        quote!(
            use ::bunbase_runtime::wire::Binding;
        )
    };
    let http_imports = if any_http {
        quote! {
            use ::bunbase_runtime::HttpRequest;
            use ::bunbase_runtime::axum::routing::{MethodFilter, on};
            #wire_imports

            /// An axum handler running `run` (one action's HTTP runner) with
            /// this route's success status and input bindings.
            fn endpoint<H, F, Fut>(
                rt: &Runtime,
                app: &Arc<H>,
                run: F,
                status: u16,
                bindings: &'static [Binding],
            ) -> impl Fn(HttpRequest) -> Fut + Clone + Send + Sync + 'static
            where
                H: Send + Sync + 'static,
                F: Fn(Runtime, Arc<H>, HttpRequest, u16, &'static [Binding]) -> Fut + Clone + Send + Sync + 'static,
                Fut: ::std::future::Future<Output = Response> + Send,
            {
                let rt = rt.clone();
                let app = app.clone();
                move |req| run(rt.clone(), app.clone(), req, status, bindings)
            }
        }
    } else {
        TokenStream::new()
    };
    quote! {
        #[allow(unused_imports)]
        use super::types::*;
        #[allow(unused_imports)]
        use super::handlers::*;
        #[allow(unused_imports)]
        use ::bunbase_runtime::wire;
        #[allow(unused_imports)]
        use ::bunbase_runtime::axum::{Router, response::{IntoResponse, Response}};
        #[allow(unused_imports)]
        use ::bunbase_runtime::{ActionSpec, Backoff, GuardSpec, RateLimitKey, RetryPolicy, Runtime};
        use ::std::sync::Arc;
        #http_imports
    }
}

/// The custom-guards adapter and the router function.
fn router_tail(ir: &Ir) -> TokenStream {
    let subs = ir.actions().flat_map(|a| subscriptions(ir, a));
    let routes = route_table(ir);
    let base = lit(&ir.project.base_path);
    let custom = custom_guards_adapter(ir);
    let webhooks = super::webhooks::router_merge(ir);
    let mcp = super::mcp::router_merge(ir);
    let register_custom = if uses_custom_guards(ir) {
        quote!(rt.set_custom_guards(::std::sync::Arc::new(CustomGuardsAdapter(app.clone())));)
    } else {
        TokenStream::new()
    };
    quote! {
        #custom

        /// The application's routes: every `api` route, every action endpoint
        /// (`POST {base_path}/v1/actions/{module}.{action}`), every inbound
        /// webhook and the MCP endpoint (`{base_path}/mcp`) when the
        /// contracts have them, the OpenAPI document and the docs page.
        /// Also subscribes event-triggered actions to the runtime's event
        /// bus and registers the jobs and schedules of queue and cron
        /// actions (`jobs`). Wrap the result with
        /// `Runtime::app` (the server does) for trace ids, 404/405 envelopes
        /// and health checks.
        pub fn router<H: Handlers>(rt: &Runtime, app: H) -> Router {
            let app = Arc::new(app);
            #register_custom
            #(#subs)*
            super::jobs::register(rt, &app);
            Router::new()
                #routes
                #webhooks
                #mcp
                .merge(::bunbase_runtime::docs::routes(#base, OPENAPI_JSON))
        }
    }
}

pub(super) fn spec_name(a: &Action) -> proc_macro2::Ident {
    format_ident!("{}_{}", a.module.to_uppercase(), a.name.to_uppercase())
}

fn spec_static(a: &Action) -> TokenStream {
    let name = spec_name(a);
    let full = lit(&a.full_name);
    let guards = a.guards.iter().map(|g| match &g.kind {
        GuardKind::Authenticated => quote!(GuardSpec::Authenticated),
        GuardKind::HasRole { role } => quote!(GuardSpec::HasRole { role: #role }),
        GuardKind::HasPermission { permission } => {
            quote!(GuardSpec::HasPermission { permission: #permission })
        }
        GuardKind::RateLimit {
            limit,
            window_ms,
            key,
        } => {
            let key = match key {
                RateLimitKey::Ip => quote!(RateLimitKey::Ip),
                RateLimitKey::User => quote!(RateLimitKey::User),
            };
            let limit = Literal::u32_unsuffixed(*limit);
            let window_ms = Literal::u64_unsuffixed(*window_ms);
            quote!(GuardSpec::RateLimit { limit: #limit, window_ms: #window_ms, key: #key })
        }
        GuardKind::InOrg => quote!(GuardSpec::InOrg),
        GuardKind::HasFeature { feature } => quote!(GuardSpec::HasFeature { feature: #feature }),
        GuardKind::TrialActiveOrPaid => quote!(GuardSpec::TrialActiveOrPaid),
        GuardKind::Custom { name, .. } => quote!(GuardSpec::Custom { name: #name }),
    });
    let r = &a.retry;
    let attempts = Literal::u32_unsuffixed(r.attempts);
    let base_ms = Literal::u64_unsuffixed(r.base_ms);
    let max_ms = Literal::u64_unsuffixed(r.max_ms);
    let backoff = match r.backoff {
        Backoff::Exponential => quote!(Backoff::Exponential),
        Backoff::Fixed => quote!(Backoff::Fixed),
    };
    let retry = if *r == crate::ir::RetryPolicy::default() {
        quote!(RetryPolicy::NONE)
    } else {
        quote!(RetryPolicy { attempts: #attempts, backoff: #backoff, base_ms: #base_ms, max_ms: #max_ms })
    };
    let doc = lit(&format!(
        " The pipeline description of `{}`: its guards in run order and retry policy.",
        a.full_name
    ));
    quote! {
        #[doc = #doc]
        pub static #name: ActionSpec = ActionSpec {
            name: #full,
            guards: &[#(#guards),*],
            retry: #retry,
        };
    }
}

fn runner_name(a: &Action) -> proc_macro2::Ident {
    format_ident!("run_{}_{}", a.module, a.name)
}

/// The module trait's name (`TasksHandler`) for action `a`.
pub(super) fn handler_trait(ir: &Ir, a: &Action) -> proc_macro2::Ident {
    ident(
        ir.modules
            .get(&a.module)
            .map_or("", |m| m.rust_handler.as_str()),
    )
}

/// The handler closure calling the module trait's method on `app`, through
/// the trait: two modules may have actions of the same name, and `app`
/// implements both traits.
pub(super) fn handler_closure(ir: &Ir, a: &Action) -> TokenStream {
    let m = ident(&a.rust_name);
    let tr = handler_trait(ir, a);
    match super::tokens::input_type(a) {
        Some(input) => {
            quote!(move |ctx, input: #input| {
                let app = app.clone();
                async move { #tr::#m(&*app, ctx, input).await }
            })
        }
        None => quote!(move |ctx, _input: ()| {
            let app = app.clone();
            async move { #tr::#m(&*app, ctx).await }
        }),
    }
}

/// An async fn running the action for one HTTP request, given how the input
/// binds (`bindings`) and the success status.
fn http_runner(ir: &Ir, a: &Action) -> TokenStream {
    if a.triggers.http.is_empty() {
        return TokenStream::new();
    }
    let name = runner_name(a);
    let spec = spec_name(a);
    let tr = handler_trait(ir, a);
    let closure = handler_closure(ir, a);
    let decode = match &a.input {
        Some(input) => {
            let input = ident(input);
            quote!(|req: &HttpRequest| wire::http_input::<#input>(req, bindings))
        }
        // `json`: the whole body, whatever JSON it is.
        None if a.input_json => quote!(|req: &HttpRequest| {
            let _ = bindings;
            req.json::<::bunbase_runtime::serde_json::Value>()
        }),
        None => quote!(|req: &HttpRequest| wire::http_input::<()>(req, bindings)),
    };
    let doc = lit(&format!(" Runs `{}` for one HTTP request.", a.full_name));
    quote! {
        #[doc = #doc]
        async fn #name<H: #tr>(rt: Runtime, app: Arc<H>, req: HttpRequest, status: u16, bindings: &'static [Binding]) -> Response {
            #spec.run_http(&rt, req, status, #decode, #closure).await
        }
    }
}

/// The `Param` describing how a query or path string becomes JSON for a field.
fn param_kind(ir: &Ir, ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::Optional { inner } => param_kind(ir, inner),
        TypeRef::Bool => quote!(Param::Bool),
        TypeRef::Int | TypeRef::I32 => quote!(Param::Int),
        TypeRef::Float => quote!(Param::Float),
        TypeRef::List { item } => {
            let inner = param_kind(ir, item);
            quote!(Param::List(&#inner))
        }
        TypeRef::Named { name, .. } => match ir.types.get(name).map(|t| &t.kind) {
            Some(TypeKind::Enum { .. }) => quote!(Param::Str),
            _ => quote!(Param::Json),
        },
        TypeRef::Json | TypeRef::Map { .. } => quote!(Param::Json),
        _ => quote!(Param::Str),
    }
}

/// The static binding table of one route.
fn bindings(ir: &Ir, a: &Action, route: Option<usize>) -> TokenStream {
    let fields = a
        .input
        .as_ref()
        .and_then(|i| ir.types.get(i))
        .map(|t| match &t.kind {
            TypeKind::Object { fields } => fields.clone(),
            _ => Vec::new(),
        })
        .unwrap_or_default();
    let rows = fields.iter().map(|f| {
        let loc = route
            .and_then(|r| a.triggers.http.get(r))
            .and_then(|r| r.bindings.iter().find(|b| b.field == f.name))
            .map(|b| b.location)
            .unwrap_or(BindingLocation::Body);
        let name = lit(&f.name);
        let kind = param_kind(ir, &field_rust_type(f));
        match loc {
            BindingLocation::Path => quote!(Binding::Path(#name, #kind)),
            BindingLocation::Query => quote!(Binding::Query(#name, #kind)),
            BindingLocation::Body => quote!(Binding::Body(#name)),
        }
    });
    quote!(&[#(#rows),*])
}

fn method_filter(m: &str) -> TokenStream {
    let f = format_ident!("{}", m.to_ascii_uppercase());
    quote!(MethodFilter::#f)
}

/// `.route(path, on(..).on(..))` for every path, grouping methods.
fn route_table(ir: &Ir) -> TokenStream {
    let mut by_path: BTreeMap<String, Vec<(TokenStream, TokenStream)>> = BTreeMap::new();
    for a in ir.actions() {
        if a.triggers.http.is_empty() {
            continue;
        }
        let runner = runner_name(a);
        for (i, r) in a.triggers.http.iter().enumerate() {
            let b = bindings(ir, a, Some(i));
            let status = Literal::u16_unsuffixed(r.status);
            let filter = method_filter(&r.method);
            by_path
                .entry(r.path.clone())
                .or_default()
                .push((filter, quote!(endpoint(rt, &app, #runner, #status, #b))));
        }
        if let Some(path) = &a.action_endpoint {
            let b = bindings(ir, a, None);
            let status =
                Literal::u16_unsuffixed(a.triggers.http.first().map(|r| r.status).unwrap_or(200));
            let filter = method_filter("POST");
            by_path
                .entry(path.clone())
                .or_default()
                .push((filter, quote!(endpoint(rt, &app, #runner, #status, #b))));
        }
    }
    let mut out = TokenStream::new();
    for (path, handlers) in by_path {
        let p = lit(&path);
        let mut chain = TokenStream::new();
        for (i, (filter, handler)) in handlers.into_iter().enumerate() {
            if i == 0 {
                chain = quote!(on(#filter, #handler));
            } else {
                chain = quote!(#chain.on(#filter, #handler));
            }
        }
        out.extend(quote!(.route(#p, #chain)));
    }
    out
}

/// Subscribes the action to each of its events through
/// `Runtime::on_event`, which every `EVENTS` mode serves: in process, or as
/// durable jobs (`EVENTS=durable`, with the action's retry policy as the
/// delivery's attempts and backoff, dead after the last), or over NATS.
fn subscriptions(ir: &Ir, a: &Action) -> Vec<TokenStream> {
    let spec = spec_name(a);
    let full = lit(&a.full_name);
    a.triggers
        .events
        .iter()
        .map(|e| {
            let event = lit(&e.event);
            let closure = handler_closure(ir, a);
            quote! {
                {
                    let app = app.clone();
                    let options = ::bunbase_runtime::SubscribeOptions {
                        max_attempts: #spec.retry.attempts.max(1),
                        retry: #spec.retry,
                        internal: false,
                    };
                    rt.on_event(#event, #full, options, move |rt, delivery| {
                        let app = app.clone();
                        async move {
                            #spec.run_event(&rt, delivery, wire::event_input, #closure).await.map(|_| ())
                        }
                    });
                }
            }
        })
        .collect()
}

fn custom_guards_adapter(ir: &Ir) -> TokenStream {
    if !uses_custom_guards(ir) {
        return TokenStream::new();
    }
    let names = custom_guards(ir);
    let arms = names.iter().map(|(n, r)| {
        let m = ident(r);
        quote!(#n => self.0.#m(req).await,)
    });
    quote! {
        /// Dispatches the runtime's custom-guard calls to the typed [`CustomGuards`] trait.
        struct CustomGuardsAdapter<H>(Arc<H>);

        impl<H: CustomGuards> ::bunbase_runtime::CustomGuards for CustomGuardsAdapter<H> {
            fn check<'a>(
                &'a self,
                name: &'a str,
                req: &'a ::bunbase_runtime::GuardRequest<'a>,
            ) -> ::bunbase_runtime::futures::future::BoxFuture<'a, ::std::result::Result<(), ::bunbase_runtime::ApiError>> {
                ::std::boxed::Box::pin(async move {
                    match name {
                        #(#arms)*
                        other => Err(::bunbase_runtime::ApiError::forbidden(::std::format!("unknown custom guard {other}"))),
                    }
                })
            }
        }
    }
}
