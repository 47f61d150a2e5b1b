//! Emits the `router` module of the API crate: every `api` trigger's route and action endpoint through the runtime's generic route (`bunbase_runtime::route`), event subscriptions, custom guards, and the runtime's offline docs routes for the OpenAPI document.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::format::{Part, chunked, part, whole};
use super::tokens::{custom_guards, ident, lit, uses_custom_guards};
use super::types::field_rust_type;
use crate::ir::{Action, Backoff, BindingLocation, GuardKind, Ir, RateLimitKey, TypeKind, TypeRef};

/// The `router` module as parts: its head, the action specs in runs, one
/// small function per served action, which builds its
/// `bunbase_runtime::route::Action` and serves it on each of its routes and
/// events, then the router function calling them.
///
/// One function per action keeps an edit cheap to rebuild: a handler's doc
/// comment changing makes rustc check again the code that calls that
/// handler, which is then one small function rather than the whole router.
pub fn router_parts(ir: &Ir) -> Vec<Part<'_>> {
    let actions: Vec<&Action> = ir.actions().collect();
    let served_actions: Vec<&Action> = ir.actions().filter(|a| served(a)).collect();
    let mut parts = vec![part(move || router_head(ir))];
    parts.extend(chunked(actions, spec_static));
    parts.extend(chunked(served_actions, move |a| serve_fn(ir, a)));
    parts.push(whole(move || router_tail(ir)));
    parts
}

/// Whether the router serves `a` itself: on HTTP routes or as an event
/// subscriber (other triggers are served by `jobs`, `webhooks` and `mcp`).
fn served(a: &Action) -> bool {
    !a.triggers.http.is_empty() || !a.triggers.events.is_empty()
}

/// The imports.
fn router_head(ir: &Ir) -> TokenStream {
    // Only path and query parameters are bound (every other field comes
    // from the body): routes without them bind nothing.
    let any_param = ir.actions().any(|a| {
        a.triggers.http.iter().any(|r| {
            r.bindings
                .iter()
                .any(|b| b.location != BindingLocation::Body)
        })
    });
    // The runtime items the specs name, and `Runtime` for `router`.
    let guards = || ir.actions().flat_map(|a| a.guards.iter());
    let retry = ir
        .actions()
        .any(|a| a.retry != crate::ir::RetryPolicy::default());
    let mut runtime = Vec::new();
    if ir.actions().next().is_some() {
        runtime.push(quote!(ActionSpec));
    }
    if retry {
        runtime.push(quote!(Backoff));
    }
    if guards().next().is_some() {
        runtime.push(quote!(GuardSpec));
    }
    if guards().any(|g| matches!(g.kind, GuardKind::RateLimit { .. })) {
        runtime.push(quote!(RateLimitKey));
    }
    if retry {
        runtime.push(quote!(RetryPolicy));
    }
    runtime.push(quote!(Runtime));
    let mut uses = TokenStream::new();
    if ir.actions().any(served) {
        uses.extend(quote!(
            use ::bunbase_runtime::action;
        ));
    }
    if any_param {
        uses.extend(quote!(
            use ::bunbase_runtime::wire::{Binding, Param};
        ));
    }
    quote! {
        #[allow(unused_imports)]
        use super::types::*;
        #[allow(unused_imports)]
        use super::handlers::*;
        use ::bunbase_runtime::{#(#runtime),*};
        use ::bunbase_runtime::Routes;
        use ::std::sync::Arc;
        #uses
    }
}

/// The custom-guards adapter and the router function.
fn router_tail(ir: &Ir) -> TokenStream {
    let serves = ir.actions().filter(|a| served(a)).map(|a| {
        let f = serve_name(a);
        quote!(let router = #f(rt, &app, router);)
    });
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
        /// actions (`jobs`). `Server::bind` serves it with trace ids,
        /// 404/405 envelopes and health checks, answering the static
        /// action routes without the axum router; `Runtime::app` wraps
        /// it as an axum `Router` (`.into()` gives the router alone).
        pub fn router<H: Handlers>(rt: &Runtime, app: H) -> Routes {
            let app = Arc::new(app);
            #register_custom
            let router = Routes::new();
            #(#serves)*
            super::jobs::register(rt, &app);
            router
                #webhooks
                #mcp
                .merge(::bunbase_runtime::docs::routes(#base, OPENAPI_JSON))
        }
    }
}

pub(super) fn spec_name(a: &Action) -> proc_macro2::Ident {
    ident(&a.spec_static)
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
        TokenStream::new()
    } else {
        quote!(.retry(RetryPolicy { attempts: #attempts, backoff: #backoff, base_ms: #base_ms, max_ms: #max_ms }))
    };
    let doc = lit(&format!(
        " The pipeline description of `{}`: its guards in run order and retry policy.",
        a.full_name
    ));
    quote! {
        #[doc = #doc]
        pub static #name: ActionSpec = ActionSpec::new(#full, &[#(#guards),*])#retry;
    }
}

/// The name of the function serving `a` (`serve_tasks_create_task`): the
/// spec's name, unique among actions, behind a prefix no other function of
/// the module has.
fn serve_name(a: &Action) -> proc_macro2::Ident {
    format_ident!("serve_{}", a.spec_static.to_lowercase())
}

/// The function serving `a`: builds the action as the runtime's generic
/// route serves it, calling its handler through the module trait (two
/// modules may have actions of the same name, and `app` implements both
/// traits), subscribes it to its events and adds its routes to `router`
/// (axum merges the methods of one path).
fn serve_fn(ir: &Ir, a: &Action) -> TokenStream {
    let name = serve_name(a);
    let spec = spec_name(a);
    let tr = handler_trait(ir, a);
    let m = ident(&a.rust_name);
    let input = match &a.input {
        Some(input) => {
            let input = ident(input);
            quote!(, #input)
        }
        None if a.input_json => quote!(, json),
        None => TokenStream::new(),
    };
    let subs = subscriptions(a);
    let routes = action_routes(ir, a);
    let doc = lit(&format!(
        " Serves `{}` on its routes and events through the pipeline.",
        a.full_name
    ));
    quote! {
        #[doc = #doc]
        fn #name<H: Handlers>(rt: &Runtime, app: &Arc<H>, router: Routes) -> Routes {
            let action = action!(rt, app, #spec, #tr::#m #input);
            #(#subs)*
            router #routes
        }
    }
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

/// The static binding table of one route: its path and query parameters
/// (every other field comes from the body).
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
    let rows = fields.iter().filter_map(|f| {
        let loc = route
            .and_then(|r| a.triggers.http.get(r))
            .and_then(|r| r.bindings.iter().find(|b| b.field == f.name))
            .map(|b| b.location)
            .unwrap_or(BindingLocation::Body);
        let name = lit(&f.name);
        let kind = param_kind(ir, &field_rust_type(f));
        match loc {
            BindingLocation::Path => Some(quote!(Binding::Path(#name, #kind))),
            BindingLocation::Query => Some(quote!(Binding::Query(#name, #kind))),
            BindingLocation::Body => None,
        }
    });
    quote!(&[#(#rows),*])
}

/// The `route::Action` method serving HTTP method `m` (`post` for `POST`;
/// the checker allows `GET`, `POST`, `PUT`, `PATCH` and `DELETE`).
fn method_fn(m: &str) -> proc_macro2::Ident {
    format_ident!("{}", m.to_ascii_lowercase())
}

/// `.route(path, action.post(..))` for each route of `a` and, when it has
/// routes, its action endpoint.
fn action_routes(ir: &Ir, a: &Action) -> TokenStream {
    let mut out = TokenStream::new();
    if a.triggers.http.is_empty() {
        return out;
    }
    for (i, r) in a.triggers.http.iter().enumerate() {
        let b = bindings(ir, a, Some(i));
        let status = Literal::u16_unsuffixed(r.status);
        let method = method_fn(&r.method);
        let p = lit(&r.path);
        out.extend(quote!(.route(#p, action.#method(#status, #b))));
    }
    if let Some(path) = &a.action_endpoint {
        let b = bindings(ir, a, None);
        let status =
            Literal::u16_unsuffixed(a.triggers.http.first().map(|r| r.status).unwrap_or(200));
        let method = method_fn("POST");
        let p = lit(path);
        out.extend(quote!(.route(#p, action.#method(#status, #b))));
    }
    out
}

/// Subscribes the action to each of its events (`Action::subscribe`).
fn subscriptions(a: &Action) -> Vec<TokenStream> {
    a.triggers
        .events
        .iter()
        .map(|e| {
            let event = lit(&e.event);
            quote!(action.subscribe(#event);)
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
