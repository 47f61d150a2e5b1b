//! One generic path from a route to an action: the [`Action`] a generated router builds once per action (with [`action!`](crate::action)), then serves on each of its routes and event subscriptions.
//!
//! A generated router used to carry one near-identical `async fn run_<action>`
//! per action; all that differs between them is the action's pipeline
//! description, how it reads its input and which handler method it calls,
//! which is what an [`Action`] holds.

use std::future::Future;
use std::sync::Arc;

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::extract::{FromRequest as _, Request};
use axum::http::Method;
use axum::response::{IntoResponse as _, Response};
use axum::routing::{MethodFilter, MethodRouter, on_service};
use futures::future::BoxFuture;
use serde::Serialize;

use crate::pipeline::erase;
use crate::routes::{ActionRoute, Direct};
use crate::wire::{self, Binding, Decode};
use crate::{
    ActionContext, ActionSpec, ApiError, GuardSpec, HttpRequest, RetryPolicy, Runtime,
    SubscribeOptions, Validate,
};

/// How an action reads its input from an HTTP request, given the route's
/// bindings of path and query parameters.
pub type ReadInput<I> = fn(&HttpRequest, &'static [Binding]) -> Result<I, ApiError>;

/// One action of the application as the router serves it: its pipeline
/// description, how it reads its input from a request, and `call`, which
/// runs the application's handler method on a decoded input. Cloning one
/// clones two `Arc`s.
pub struct Action<H, I, F> {
    rt: Runtime,
    app: Arc<H>,
    spec: &'static ActionSpec,
    read: ReadInput<I>,
    call: F,
}

impl<H, I, F: Clone> Clone for Action<H, I, F> {
    fn clone(&self) -> Self {
        Action {
            rt: self.rt.clone(),
            app: self.app.clone(),
            spec: self.spec,
            read: self.read,
            call: self.call.clone(),
        }
    }
}

impl<H, I, F, Fut, O: 'static, E> Action<H, I, F>
where
    H: Send + Sync + 'static,
    I: Validate + Clone + Send + 'static,
    F: Fn(Arc<H>, ActionContext, I) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<O, E>> + Send,
    E: Into<ApiError> + Send,
{
    /// The action `spec` of `app`, reading its input with `read` and
    /// running its handler with `call`. Generated routers write it with
    /// [`action!`](crate::action), which picks `read` and writes `call`.
    pub fn new(
        rt: &Runtime,
        app: &Arc<H>,
        spec: &'static ActionSpec,
        read: ReadInput<I>,
        call: F,
    ) -> Self {
        Action {
            rt: rt.clone(),
            app: app.clone(),
            spec,
            read,
            call,
        }
    }

    /// The route serving the action for `method`: reads the input as
    /// `bindings` say (every field not bound to the path or the query
    /// string comes from the body), runs the pipeline and answers `status`
    /// on success. Routes of one path with several methods merge with
    /// [`MethodRouter::merge`].
    pub fn on(
        &self,
        method: MethodFilter,
        status: u16,
        bindings: &'static [Binding],
    ) -> MethodRouter
    where
        O: Serialize + Send,
    {
        on_service(method, self.serve(status, bindings))
    }

    fn serve(&self, status: u16, bindings: &'static [Binding]) -> Serve<H, I, F>
    where
        O: Serialize + Send,
    {
        Serve(Arc::new(Route {
            action: self.clone(),
            status,
            bindings,
        }))
    }

    /// The route serving the action for `method` (`filter`), as
    /// [`Action::on`] builds it, with the same service for the server's
    /// table of static routes ([`crate::Routes`]).
    fn at(
        &self,
        method: Method,
        filter: MethodFilter,
        status: u16,
        bindings: &'static [Binding],
    ) -> ActionRoute
    where
        O: Serialize + Send,
    {
        let serve = self.serve(status, bindings);
        ActionRoute::new(on_service(filter, serve.clone()), method, Arc::new(serve))
    }

    /// [`Action::on`] for `GET`, for [`crate::Routes::route`] (`.into()`
    /// makes it a `MethodRouter`).
    pub fn get(&self, status: u16, bindings: &'static [Binding]) -> ActionRoute
    where
        O: Serialize + Send,
    {
        self.at(Method::GET, MethodFilter::GET, status, bindings)
    }

    /// [`Action::on`] for `POST`, for [`crate::Routes::route`] (`.into()`
    /// makes it a `MethodRouter`).
    pub fn post(&self, status: u16, bindings: &'static [Binding]) -> ActionRoute
    where
        O: Serialize + Send,
    {
        self.at(Method::POST, MethodFilter::POST, status, bindings)
    }

    /// [`Action::on`] for `PUT`, for [`crate::Routes::route`] (`.into()`
    /// makes it a `MethodRouter`).
    pub fn put(&self, status: u16, bindings: &'static [Binding]) -> ActionRoute
    where
        O: Serialize + Send,
    {
        self.at(Method::PUT, MethodFilter::PUT, status, bindings)
    }

    /// [`Action::on`] for `PATCH`, for [`crate::Routes::route`] (`.into()`
    /// makes it a `MethodRouter`).
    pub fn patch(&self, status: u16, bindings: &'static [Binding]) -> ActionRoute
    where
        O: Serialize + Send,
    {
        self.at(Method::PATCH, MethodFilter::PATCH, status, bindings)
    }

    /// [`Action::on`] for `DELETE`, for [`crate::Routes::route`] (`.into()`
    /// makes it a `MethodRouter`).
    pub fn delete(&self, status: u16, bindings: &'static [Binding]) -> ActionRoute
    where
        O: Serialize + Send,
    {
        self.at(Method::DELETE, MethodFilter::DELETE, status, bindings)
    }

    /// Subscribes the action to `event` through [`Runtime::on_event`],
    /// which every `EVENTS` mode serves: in process, as durable jobs (with
    /// the action's retry policy as the delivery's attempts and backoff,
    /// dead after the last) or over NATS.
    pub fn subscribe(&self, event: &'static str)
    where
        I: Decode,
        O: Send,
    {
        let options = SubscribeOptions {
            max_attempts: self.spec.retry.attempts.max(1),
            retry: self.spec.retry,
            internal: false,
        };
        let this = self.clone();
        self.rt
            .on_event(event, self.spec.name, options, move |rt, delivery| {
                let Action {
                    app, spec, call, ..
                } = this.clone();
                async move {
                    let handler = move |ctx, input| call(app.clone(), ctx, input);
                    spec.run_event(&rt, delivery, wire::event_input, handler)
                        .await
                        .map(|_| ())
                }
            });
    }
}

/// One route of an [`Action`] as a tower service: the request's parts and
/// body read into an [`HttpRequest`], then the pipeline. A service rather
/// than an axum handler closure, so that a request's future is boxed once
/// here instead of passing through axum's handler and extractor futures.
/// The route behind one `Arc`: axum clones the service for every request,
/// and the request's future keeps it.
struct Serve<H, I, F>(Arc<Route<H, I, F>>);

/// What a [`Serve`] serves: the action, its success status and its
/// parameter bindings.
struct Route<H, I, F> {
    action: Action<H, I, F>,
    status: u16,
    bindings: &'static [Binding],
}

impl<H, I, F> Clone for Serve<H, I, F> {
    fn clone(&self) -> Self {
        Serve(self.0.clone())
    }
}

impl<H, I, F, Fut, O, E> tower::Service<Request> for Serve<H, I, F>
where
    H: Send + Sync + 'static,
    I: Validate + Clone + Send + 'static,
    F: Fn(Arc<H>, ActionContext, I) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<O, E>> + Send,
    O: Serialize + Send + 'static,
    E: Into<ApiError> + Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        Direct::serve(self, req)
    }
}

impl<H, I, F, Fut, O, E> Direct for Serve<H, I, F>
where
    H: Send + Sync + 'static,
    I: Validate + Clone + Send + 'static,
    F: Fn(Arc<H>, ActionContext, I) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<O, E>> + Send,
    O: Serialize + Send + 'static,
    E: Into<ApiError> + Send,
{
    /// The request's answer: its parts and body read into an
    /// [`HttpRequest`], then the pipeline.
    fn serve(&self, req: Request) -> BoxFuture<'static, Result<Response, Infallible>> {
        let route = self.0.clone();
        Box::pin(async move {
            let req = match HttpRequest::from_request(req, &()).await {
                Ok(req) => req,
                Err(rejection) => return Ok(rejection.into_response()),
            };
            let Route {
                action,
                status,
                bindings,
            } = &*route;
            let (read, call, app) = (action.read, &action.call, &action.app);
            let handler = move |ctx, input| call(app.clone(), ctx, input);
            // What `ActionSpec::run_http` does, with the request borrowed
            // from this future rather than moved into another one.
            let handler = erase::handler(&handler);
            let mut input = erase::read(|| read(&req, bindings));
            Ok(action
                .spec
                .serve_http(
                    &action.rt,
                    &req,
                    *status,
                    &mut input,
                    &handler,
                    erase::to_json::<O>,
                )
                .await)
        })
    }
}

/// Reads the whole body as the input, whatever JSON it is: the input of an
/// action declared `input: json` (it has no fields to bind).
pub fn json_body(
    req: &HttpRequest,
    _bindings: &'static [Binding],
) -> Result<serde_json::Value, ApiError> {
    req.json::<serde_json::Value>()
}

impl ActionSpec {
    /// The description of the action `name` guarded by `guards` in run
    /// order, with no retries ([`RetryPolicy::NONE`]).
    pub const fn new(name: &'static str, guards: &'static [GuardSpec]) -> Self {
        ActionSpec {
            name,
            guards,
            retry: RetryPolicy::NONE,
        }
    }

    /// The same description with `retry` as its handler's retry policy.
    pub const fn retry(self, retry: RetryPolicy) -> Self {
        ActionSpec { retry, ..self }
    }
}

/// An [`Action`] of the application `app` (an `Arc` of the handlers) for
/// the pipeline description `spec`, calling `Trait::method` through its
/// module's handler trait (two modules may share an action name, and `app`
/// implements both traits). The fourth argument says what the action reads:
/// nothing (`Trait::method`), a typed input (`Trait::method, InputType`),
/// or any JSON (`Trait::method, json`).
///
/// ```ignore
/// let create_task = action!(rt, app, TASKS_CREATE_TASK, TasksHandler::create_task, CreateTaskInput);
/// Routes::new().route("/api/tasks", create_task.post(201, &[]))
/// ```
#[macro_export]
macro_rules! action {
    ($rt:expr, $app:expr, $spec:path, $tr:ident :: $method:ident) => {
        $crate::route::Action::new(
            $rt,
            &$app,
            &$spec,
            $crate::wire::http_input::<()>,
            |app: ::std::sync::Arc<_>, ctx, _: ()| async move { $tr::$method(&*app, ctx).await },
        )
    };
    ($rt:expr, $app:expr, $spec:path, $tr:ident :: $method:ident, json) => {
        $crate::route::Action::new(
            $rt,
            &$app,
            &$spec,
            $crate::route::json_body,
            |app: ::std::sync::Arc<_>, ctx, input| async move { $tr::$method(&*app, ctx, input).await },
        )
    };
    ($rt:expr, $app:expr, $spec:path, $tr:ident :: $method:ident, $input:ty) => {
        $crate::route::Action::new(
            $rt,
            &$app,
            &$spec,
            $crate::wire::http_input::<$input>,
            |app: ::std::sync::Arc<_>, ctx, input: $input| async move {
                $tr::$method(&*app, ctx, input).await
            },
        )
    };
}
