//! Serving: the middleware stack around generated routes, health endpoints, graceful shutdown, and the `serve`/`migrate` command-line entry.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

pub(crate) mod head_errors;

pub use head_errors::{HEADERS_TOO_LARGE, MALFORMED_REQUEST, URI_TOO_LONG};

use crate::db::Migrations;
use crate::error::codes;
use crate::runtime::Error;
use crate::{ApiError, Config, Runtime};

impl Runtime {
    /// Wraps generated `routes` in the runtime's stack: trace ids
    /// (`x-request-id` on every response) and the request span, the body
    /// limit (413), panic
    /// catching (500 envelope), `/healthz` and `/readyz`, and the 404 and 405
    /// envelopes, and `/metrics` when `METRICS` is on. The result is ready
    /// for `axum::serve` or `tower::ServiceExt::oneshot`.
    pub fn app(&self, routes: impl Into<Router>) -> Router {
        self.routes(routes.into())
            .layer(crate::layer::RequestLayer(self.clone()))
    }

    /// [`Runtime::app`] as [`Server`] serves it: the request service
    /// around the whole router, once per connection, rather than around
    /// each route (`Router::layer` wraps every route in a boxed `Route`
    /// that is cloned per request), and answering static action routes
    /// without the router ([`crate::Routes`]) unless CORS is on (its layer
    /// is in the router). Same stack, same answers.
    fn service(
        &self,
        routes: crate::Routes,
    ) -> crate::layer::RequestService<crate::layer::BodyLimited<Router>> {
        let (routes, direct) = routes.into_parts();
        let direct = self.config().cors_origins.is_empty().then_some(direct);
        crate::layer::RequestService::new(self, self.routes(routes), direct)
    }

    /// The generated `routes` with everything [`Runtime::app`] adds but
    /// the request service: `/metrics`, the health endpoints, the 404 and
    /// 405 envelopes and CORS.
    fn routes(&self, routes: Router) -> Router {
        let routes = crate::observe::mount(self, routes);
        let app = routes
            .route("/healthz", get(healthz))
            .route("/readyz", {
                let rt = self.clone();
                get(move || readyz(rt.clone()))
            })
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed);
        match cors(&self.config().cors_origins) {
            Some(layer) => app.layer(layer),
            None => app,
        }
    }
}

/// The CORS layer for `CORS_ALLOWED_ORIGINS`: explicit origins may send
/// cookies; `*` allows any origin without cookies. Preflights are answered
/// before routing, so they never meet the 405 envelope.
fn cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return None;
    }
    let expose = [axum::http::HeaderName::from_static(
        crate::trace::REQUEST_ID_HEADER,
    )];
    let layer = CorsLayer::new()
        .allow_methods(AllowMethods::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers(expose)
        .max_age(Duration::from_secs(600));
    if origins.iter().any(|o| o == "*") {
        return Some(layer.allow_origin(AllowOrigin::any()));
    }
    let list: Vec<axum::http::HeaderValue> =
        origins.iter().filter_map(|o| o.parse().ok()).collect();
    Some(
        layer
            .allow_origin(AllowOrigin::list(list))
            .allow_credentials(true),
    )
}

async fn healthz() -> Response {
    axum::Json(serde_json::json!({ "status": "ok" })).into_response()
}

async fn readyz(rt: Runtime) -> Response {
    match tokio::time::timeout(Duration::from_secs(5), rt.db().ping()).await {
        Ok(Ok(())) => {
            axum::Json(serde_json::json!({ "status": "ready", "database": "ok" })).into_response()
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            unavailable()
        }
        Err(_) => unavailable(),
    }
}

fn unavailable() -> Response {
    ApiError::framework(
        StatusCode::SERVICE_UNAVAILABLE,
        codes::UNAVAILABLE,
        "The database is not reachable.",
    )
    .into_response()
}

async fn not_found() -> ApiError {
    ApiError::framework(
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
        "No route matches this path.",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::framework(
        StatusCode::METHOD_NOT_ALLOWED,
        codes::METHOD_NOT_ALLOWED,
        "This path does not accept this HTTP method.",
    )
}

/// A bound, not yet running server.
pub struct Server {
    listener: TcpListener,
    app: crate::layer::RequestService<crate::layer::BodyLimited<Router>>,
    rt: Runtime,
}

impl Server {
    /// Binds `HOST:PORT` from the runtime's config and prepares
    /// [`Runtime::app`] over `routes`. Refuses to start when a webhook in
    /// `routes` cannot verify its deliveries ([`crate::webhooks::check`]).
    pub async fn bind(rt: Runtime, routes: impl Into<crate::Routes>) -> Result<Server, Error> {
        crate::webhooks::check(&rt)?;
        let addr = SocketAddr::new(rt.config().host, rt.config().port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        let app = rt.service(routes.into());
        Ok(Server { listener, app, rt })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully.
    pub async fn run(self) -> Result<(), Error> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `signal` completes; then stops accepting, gives in-flight
    /// requests and event deliveries up to `SHUTDOWN_GRACE_SECS`, flushes run
    /// history and closes the database.
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        let Server { listener, app, rt } = self;
        let grace = rt.config().shutdown_grace;
        tracing::info!(addr = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "listening");
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let signal = async move {
            signal.await;
            tracing::info!("shutting down");
            let _ = stop_tx.send(true);
        };
        // Heads hyper refuses (431, 414, 400) answer the envelope too.
        let listener = axum::serve::ListenerExt::tap_io(
            head_errors::EnvelopeListener(listener),
            |_: &mut head_errors::EnvelopeIo<tokio::net::TcpStream>| {},
        );
        let server = axum::serve(listener, crate::layer::Connections(app))
            .with_graceful_shutdown(signal)
            .into_future();
        tokio::pin!(server);
        let mut stop = stop_rx.clone();
        let result = tokio::select! {
            r = &mut server => r,
            _ = async { let _ = stop.wait_for(|s| *s).await; } => {
                match tokio::time::timeout(grace, &mut server).await {
                    Ok(r) => r,
                    Err(_) => {
                        tracing::warn!(grace_secs = grace.as_secs(), "in-flight requests did not finish in time");
                        Ok(())
                    }
                }
            }
        };
        if tokio::time::timeout(grace, rt.events().idle())
            .await
            .is_err()
        {
            tracing::warn!("event deliveries did not finish in time");
        }
        rt.shutdown().await;
        tracing::info!(
            runs_written = rt.runs().written(),
            runs_dropped = rt.runs().dropped(),
            runs_skipped = rt.runs().skipped(),
            "stopped"
        );
        result.map_err(Error::Serve)
    }
}

/// Binds and serves `routes` until SIGINT/SIGTERM (see [`Server`]).
pub async fn serve(rt: Runtime, routes: impl Into<crate::Routes>) -> Result<(), Error> {
    Server::bind(rt, routes).await?.run().await
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// The scaffolded server's `main`: `serve` (the default; applies pending
/// migrations first unless `AUTO_MIGRATE=false`), `worker` (runs the job
/// worker and the scheduler until SIGINT/SIGTERM, without HTTP) or
/// `migrate`. Reads the
/// configuration from the environment and prints fatal errors with how to
/// fix them.
///
/// ```no_run
/// # use bunbase_runtime::{Migrations, Runtime, axum::Router};
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     let migrations = Migrations::locate(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"));
///     bunbase_runtime::run_main("my_app", migrations, |_rt: &Runtime| Router::new()).await
/// }
/// ```
pub async fn run_main(
    app_name: &str,
    migrations: Migrations,
    routes: impl FnOnce(&Runtime) -> Router,
) -> ExitCode {
    crate::init_tracing();
    let command = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "serve".to_owned());
    let result = async {
        let config = Config::from_env(app_name)?;
        match command.as_str() {
            "serve" => {
                let rt = Runtime::start(config).await?;
                let auto = std::env::var("AUTO_MIGRATE")
                    .map(|v| v != "false" && v != "0")
                    .unwrap_or(true);
                if auto {
                    rt.migrate(&migrations).await?;
                }
                let routes = routes(&rt);
                serve(rt, routes).await
            }
            "worker" => {
                let rt = Runtime::start(config).await?;
                // The routes register the job handlers, schedules and
                // event subscriptions; no listener is bound.
                let _routes = routes(&rt);
                tracing::info!(kinds = ?rt.jobs().kind_names(), "worker running");
                shutdown_signal().await;
                tracing::info!("shutting down");
                rt.shutdown().await;
                Ok(())
            }
            "migrate" => {
                let rt = Runtime::start(config).await?;
                rt.migrate(&migrations).await?;
                rt.shutdown().await;
                tracing::info!("migrations applied");
                Ok(())
            }
            other => {
                eprintln!(
                    "unknown command {other:?}: use `serve` (default), `worker` or `migrate`"
                );
                return Ok(Err(ExitCode::from(2)));
            }
        }
        .map(Ok)
    }
    .await;
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(code)) => code,
        Err(e) => {
            tracing::error!(error = %e, "fatal");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
