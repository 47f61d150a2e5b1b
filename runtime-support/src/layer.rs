//! The request layer: one tower service around the routes that gives every request its trace id, log scope, runtime handle and panic safety.
//!
//! One hand-written service in place of four stacked layers (an axum
//! `from_fn` middleware, `CatchPanic`, `Extension` and `DefaultBodyLimit`):
//! `Router::layer` wraps every route in each of them, in a boxed `Route`
//! that is cloned per request. [`crate::Server`] goes one step further:
//! [`Connections`] wraps the whole router in it once per accepted
//! connection (no `Route` between hyper and the router), storing the peer
//! as axum's `ConnectInfo` in each request the router serves, as
//! `into_make_service_with_connect_info` would with a layer of its own, and
//! calls static action routes directly ([`crate::Routes`]), which read the
//! peer from the request's scope instead.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::http::{HeaderValue, Method, Uri};
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use futures::FutureExt as _;
use futures::future::{CatchUnwind, Either, Ready};
use tokio::task::futures::TaskLocalFuture;
use tower::ServiceExt as _;
use tower::util::Oneshot;
use tracing::Span;

use crate::error::{PendingEnvelope, render};
use crate::heads::Present;
use crate::routes::DirectTable;
use crate::trace::{REQUEST_ID, Scope, Served, request_scope};
use crate::{ApiError, Runtime, TraceId};

/// Wraps routes in [`RequestService`], with axum's `DefaultBodyLimit`
/// composed directly inside it (no `Route` between them).
#[derive(Clone)]
pub(crate) struct RequestLayer(pub(crate) Runtime);

/// A service with axum's `DefaultBodyLimit` applied.
pub(crate) type BodyLimited<S> = <DefaultBodyLimit as tower::Layer<S>>::Service;

impl<S> tower::Layer<S> for RequestLayer {
    type Service = RequestService<BodyLimited<S>>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestService::new(&self.0, inner, None)
    }
}

/// Per request:
/// - answers a head over `HEAD_LIMIT_BYTES` with 431 (or 414) and the
///   envelope, before any route runs;
/// - picks the trace id (`x-request-id`, else `traceparent`, else new),
///   makes it, the runtime's request limits, the optional headers the
///   request carries (scanned once), the peer and the arrival time current
///   for the request's task
///   ([`crate::trace::current_request`]: no request extension, no
///   allocation) and echoes it as `x-request-id`;
/// - opens the request's `debug` span (`request{method path}`) and logs
///   server errors (5xx) with method, path and latency (every log line of
///   the request carries the trace id through the task's scope: see
///   [`crate::logging`]);
/// - turns a panic anywhere below into the 500 envelope;
/// - re-renders an envelope rendered without a trace id with it.
pub(crate) struct RequestService<S> {
    /// What every request of every connection shares, behind one pointer:
    /// hyper clones the service for each request, so that is one reference
    /// count rather than one per part.
    stack: Arc<Stack<S>>,
    /// The connection's peer, in each request's scope and, for a request
    /// the router serves, as axum's `ConnectInfo`, when the service serves
    /// one connection
    /// ([`Connections`]); `None` when it wraps each route
    /// ([`Runtime::app`](crate::Runtime::app)), where the server's own
    /// make-service adds it.
    peer: Option<SocketAddr>,
}

/// The shared part of a [`RequestService`].
struct Stack<S> {
    inner: S,
    rt: Runtime,
    /// The static action routes answered without the router
    /// ([`crate::Routes`]): only under [`Connections`], without CORS.
    direct: Option<DirectTable>,
}

impl<S> Clone for RequestService<S> {
    fn clone(&self) -> Self {
        RequestService {
            stack: self.stack.clone(),
            peer: self.peer,
        }
    }
}

impl<S> RequestService<S> {
    /// Wraps `inner`, with axum's `DefaultBodyLimit` inside, and answers
    /// the routes of `direct` without it (see [`crate::Routes`]).
    pub(crate) fn new(
        rt: &Runtime,
        inner: S,
        direct: Option<DirectTable>,
    ) -> RequestService<BodyLimited<S>> {
        // `HttpRequest` reads bodies up to the runtime's limit itself; this
        // applies it to axum's own extractors in custom routes.
        let limit = DefaultBodyLimit::max(rt.config().body_limit);
        RequestService {
            stack: Arc::new(Stack {
                inner: tower::Layer::layer(&limit, inner),
                rt: rt.clone(),
                direct: direct.filter(|table| !table.is_empty()),
            }),
            peer: None,
        }
    }

    /// Calls the route for `req` (`method` and `uri` are its own), with a
    /// panic in the call caught. A static action route is called directly:
    /// it reads no extension (the peer is in the request's scope). Anything
    /// else goes through the router, with the peer as axum's `ConnectInfo`
    /// for its routes, given to a clone of the router (one reference count)
    /// that is made ready and called when the future is first polled. A
    /// direct route is called here and its handler runs when the future is
    /// polled; a panic in either answers the 500 envelope.
    fn route(
        &self,
        mut req: Request,
        method: &Method,
        uri: &Uri,
    ) -> Caught<Either<Oneshot<S, Request>, DirectFuture>>
    where
        S: tower::Service<Request, Response = Response, Error = Infallible> + Clone,
    {
        let direct = self
            .stack
            .direct
            .as_ref()
            .and_then(|table| table.find(method, uri.path()));
        let called = std::panic::catch_unwind(AssertUnwindSafe(|| match direct {
            Some(route) => Either::Right(route.serve(req)),
            None => {
                if let Some(peer) = self.peer {
                    req.extensions_mut().insert(ConnectInfo(peer));
                }
                Either::Left(self.stack.inner.clone().oneshot(req))
            }
        }));
        match called {
            Ok(fut) => Either::Left(AssertUnwindSafe(fut).catch_unwind()),
            Err(panic) => Either::Right(futures::future::ready(Err(panic))),
        }
    }
}

/// The make-service of [`crate::Server`]: one [`RequestService`] per
/// accepted connection, knowing its peer (what
/// `into_make_service_with_connect_info` does with a layer of its own).
pub(crate) struct Connections<S>(pub(crate) RequestService<S>);

impl<S, L> tower::Service<IncomingStream<'_, L>> for Connections<S>
where
    L: Listener<Addr = SocketAddr>,
{
    type Response = RequestService<S>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<RequestService<S>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'_, L>) -> Self::Future {
        let mut service = self.0.clone();
        service.peer = Some(*stream.remote_addr());
        std::future::ready(Ok(service))
    }
}

impl<S> tower::Service<Request> for RequestService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = TaskLocalFuture<Scope, Respond<Either<Oneshot<S, Request>, DirectFuture>>>;

    /// Always ready: a request the router serves is given to a clone of
    /// it, made ready first ([`Oneshot`]); a direct route needs nothing.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        // Most requests name no trace id: then a fresh one, with no lookup.
        let (present, fields) = Present::scan_sized(req.headers());
        let id = if present.any(Present::REQUEST_ID | Present::TRACEPARENT) {
            TraceId::from_headers(req.headers())
        } else {
            TraceId::generate()
        };
        let config = self.stack.rt.config();
        // All of it, the error lines too, runs in the request's log scope.
        let served = Served {
            trust_proxy: config.trust_proxy,
            body_limit: config.body_limit,
            present,
            peer: self.peer,
            arrived: Instant::now(),
        };
        let (method, uri) = (req.method().clone(), req.uri().clone());
        let (inner, span) =
            match crate::server::head_errors::over_limit(&req, fields, config.head_limit) {
                Some(err) => {
                    let answer = futures::future::ready(Ok(Ok(render(&err, id.as_str()))));
                    (Either::Right(answer), Span::none())
                }
                None => {
                    let span = tracing::debug_span!("request", method = %method, path = uri.path());
                    #[cfg(feature = "otel")]
                    crate::observe::otel::link_request(&span, &id, req.headers());
                    (self.route(req, &method, &uri), span)
                }
            };
        let respond = Respond {
            inner,
            id: id.clone(),
            span,
            method,
            uri,
            started: served.arrived,
        };
        request_scope(id, served, respond)
    }
}

/// The route's future, or what the request layer answers itself (a head
/// over the limit, a panic while calling the route), with panics caught.
type Caught<F> =
    Either<CatchUnwind<AssertUnwindSafe<F>>, Ready<Result<Result<Response, Infallible>, Panic>>>;

/// The future of a route answered without the router.
type DirectFuture = futures::future::BoxFuture<'static, Result<Response, Infallible>>;

/// A caught panic's payload.
type Panic = Box<dyn std::any::Any + Send>;

pin_project_lite::pin_project! {
    /// One request through [`RequestService`], inside the request's scope:
    /// the route's future polled in the request's span, then the answer
    /// finished (the 500 envelope for a panic, the error line for a 5xx,
    /// the trace id in a pending envelope and in `x-request-id`). A named
    /// future rather than a boxed `async` block, so that hyper keeps it in
    /// the connection's slot for in-flight requests: no allocation and no
    /// copy into one per request.
    pub(crate) struct Respond<F> {
        #[pin]
        inner: Caught<F>,
        id: TraceId,
        span: Span,
        method: Method,
        uri: Uri,
        started: Instant,
    }
}

impl<F> Future for Respond<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = {
            let _e = this.span.enter();
            std::task::ready!(this.inner.poll(cx))
        };
        let mut res = match outcome {
            Ok(Ok(res)) => res,
            Ok(Err(never)) => match never {},
            Err(panic) => {
                let _e = this.span.enter();
                let err = ApiError::internal(format_args!(
                    "request handler panicked: {}",
                    crate::pipeline::panic_message(&panic)
                ));
                render(&err, this.id.as_str())
            }
        };
        if res.status().is_server_error() {
            let _e = this.span.enter();
            tracing::error!(
                method = %this.method,
                path = this.uri.path(),
                status = res.status().as_u16(),
                latency_ms = this.started.elapsed().as_millis() as u64,
                "request failed"
            );
        }
        if let Some(pending) = res.extensions_mut().remove::<PendingEnvelope>() {
            let mut fresh = render(&pending.0, this.id.as_str());
            for (name, value) in res.headers() {
                if !fresh.headers().contains_key(name) && name != axum::http::header::CONTENT_LENGTH
                {
                    fresh.headers_mut().append(name.clone(), value.clone());
                }
            }
            res = fresh;
        }
        if let Ok(v) = HeaderValue::from_str(this.id.as_str()) {
            res.headers_mut().insert(REQUEST_ID.clone(), v);
        }
        Poll::Ready(Ok(res))
    }
}
