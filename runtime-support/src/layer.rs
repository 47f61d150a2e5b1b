//! The request layer: one tower service around the routes that gives every request its trace id, log scope, runtime handle and panic safety.
//!
//! One hand-written service in place of four stacked layers (an axum
//! `from_fn` middleware, `CatchPanic`, `Extension` and `DefaultBodyLimit`):
//! `Router::layer` wraps every route in each of them, in a boxed `Route`
//! that is cloned per request. [`crate::Server`] goes one step further:
//! [`Connections`] wraps the whole router in it once per accepted
//! connection (no `Route` between hyper and the router), storing the peer
//! as axum's `ConnectInfo` in each request, as
//! `into_make_service_with_connect_info` would with a layer of its own.

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::task::{Context, Poll};
use std::time::Instant;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::http::HeaderValue;
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use futures::FutureExt as _;
use futures::future::BoxFuture;
use tracing::Instrument as _;

use crate::error::{PendingEnvelope, render};
use crate::heads::Present;
use crate::trace::{REQUEST_ID, Served, with_request};
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
        // `HttpRequest` reads bodies up to the runtime's limit itself; this
        // applies it to axum's own extractors in custom routes.
        let limit = DefaultBodyLimit::max(self.0.config().body_limit);
        RequestService {
            inner: tower::Layer::layer(&limit, inner),
            rt: self.0.clone(),
            peer: None,
        }
    }
}

/// Per request:
/// - answers a head over `HEAD_LIMIT_BYTES` with 431 (or 414) and the
///   envelope, before any route runs;
/// - picks the trace id (`x-request-id`, else `traceparent`, else new),
///   makes it, the runtime's request limits and the optional headers the
///   request carries (scanned once) current for the request's task
///   ([`crate::trace::current_request`]: no request extension, no
///   allocation) and echoes it as `x-request-id`;
/// - opens the request's `debug` span (`request{method path}`) and logs
///   server errors (5xx) with method, path and latency (every log line of
///   the request carries the trace id through the task's scope: see
///   [`crate::logging`]);
/// - turns a panic anywhere below into the 500 envelope;
/// - re-renders an envelope rendered without a trace id with it.
#[derive(Clone)]
pub(crate) struct RequestService<S> {
    inner: S,
    rt: Runtime,
    /// The connection's peer, stored in each request as axum's
    /// `ConnectInfo` when the service serves one connection
    /// ([`Connections`]); `None` when it wraps each route
    /// ([`Runtime::app`](crate::Runtime::app)), where the server's own
    /// make-service adds it.
    peer: Option<SocketAddr>,
}

/// The make-service of [`crate::Server`]: one [`RequestService`] per
/// accepted connection, knowing its peer (what
/// `into_make_service_with_connect_info` does with a layer of its own).
pub(crate) struct Connections<S>(pub(crate) RequestService<S>);

impl<S: Clone, L> tower::Service<IncomingStream<'_, L>> for Connections<S>
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
    S: tower::Service<Request, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        // Most requests name no trace id: then a fresh one, with no lookup.
        let present = Present::scan(req.headers());
        let id = if present.any(Present::REQUEST_ID | Present::TRACEPARENT) {
            TraceId::from_headers(req.headers())
        } else {
            TraceId::generate()
        };
        if let Some(err) = crate::server::head_errors::over_limit(&req, self.rt.config().head_limit)
        {
            let mut res = render(&err, id.as_str());
            if let Ok(v) = HeaderValue::from_str(id.as_str()) {
                res.headers_mut().insert(REQUEST_ID.clone(), v);
            }
            return Box::pin(async move { Ok(res) });
        }
        if let Some(peer) = self.peer {
            req.extensions_mut().insert(ConnectInfo(peer));
        }
        let span = tracing::debug_span!("request", method = %req.method(), path = req.uri().path());
        #[cfg(feature = "otel")]
        crate::observe::otel::link_request(&span, &id, req.headers());
        // For the error line: cheap clones (the path shares the request's bytes).
        let (method, uri) = (req.method().clone(), req.uri().clone());
        let started = Instant::now();
        // The route is called here, not cloned into the future: `Route`
        // clones its boxed service per call anyway. Its handler runs when
        // the future is polled; a panic in either answers the 500 envelope.
        let call = std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(req)));
        let scope = id.clone();
        // All of it, the error lines too, runs in the request's log scope.
        let served = Served {
            trust_proxy: self.rt.config().trust_proxy,
            body_limit: self.rt.config().body_limit,
            present,
        };
        Box::pin(with_request(scope, served, async move {
            let outcome = match call {
                Ok(fut) => {
                    let run = AssertUnwindSafe(fut).catch_unwind();
                    run.instrument(span.clone()).await
                }
                Err(panic) => Err(panic),
            };
            let mut res = match outcome {
                Ok(Ok(res)) => res,
                Ok(Err(never)) => match never {},
                Err(panic) => {
                    let _e = span.enter();
                    let err = ApiError::internal(format_args!(
                        "request handler panicked: {}",
                        crate::pipeline::panic_message(&panic)
                    ));
                    render(&err, id.as_str())
                }
            };
            if res.status().is_server_error() {
                let _e = span.enter();
                tracing::error!(
                    %method,
                    path = uri.path(),
                    status = res.status().as_u16(),
                    latency_ms = started.elapsed().as_millis() as u64,
                    "request failed"
                );
            }
            if let Some(pending) = res.extensions_mut().remove::<PendingEnvelope>() {
                let mut fresh = render(&pending.0, id.as_str());
                for (name, value) in res.headers() {
                    if !fresh.headers().contains_key(name)
                        && name != axum::http::header::CONTENT_LENGTH
                    {
                        fresh.headers_mut().append(name.clone(), value.clone());
                    }
                }
                res = fresh;
            }
            if let Ok(v) = HeaderValue::from_str(id.as_str()) {
                res.headers_mut().insert(REQUEST_ID.clone(), v);
            }
            Ok(res)
        }))
    }
}
