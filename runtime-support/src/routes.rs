//! [`Routes`]: the application's routes as a generated router builds them, an axum `Router` and the table of static action routes that [`crate::Server`] answers without the router.
//!
//! Every request through an axum `Router` pays for its routing: the path
//! matched, three request extensions inserted (`OriginalUri`,
//! `MatchedPath`, `UrlParams`: the map they live in grows past its first
//! table with the runtime's own two), the route's boxed service cloned, its
//! future boxed again, and the content length set on the way out (about
//! 4,700 instructions, 7 % of a request whose handler does no I/O). An
//! action route at a path without parameters is a `(method, path)` pair
//! nothing else can claim: axum refuses two routes for one method and path,
//! and a static path wins over any pattern. `Server` answers such a request
//! from the table, calling the same service the router would, after the
//! same request layer (trace id, limits, panics, envelopes).
//!
//! The table follows what is done to the routes: a route or a merge adds
//! to it, and a layer empties it (a layer wraps the routes it finds, so
//! they are served through the router, inside it). A `Routes` turned into a
//! `Router` (to nest it, say) is served by the router alone. Paths with
//! parameters are always served by the router, which decides between
//! patterns; so are `HEAD` requests, and everything when CORS is on (its
//! layer sits in the router).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, Route};
use futures::future::BoxFuture;

/// A service the table can call directly: an action's route.
pub(crate) trait Direct: Send + Sync + 'static {
    /// Serves `req`, as the route's tower service would.
    fn serve(&self, req: Request) -> BoxFuture<'static, Result<Response, Infallible>>;
}

/// One action's route for one method, as
/// [`Action::get`](crate::route::Action::get) and its siblings build it:
/// the axum method router, and the same service for the server's table.
/// Into a `MethodRouter` with `.into()`, for an axum `Router`.
pub struct ActionRoute {
    router: MethodRouter,
    direct: Option<(Method, Arc<dyn Direct>)>,
}

impl ActionRoute {
    pub(crate) fn new(router: MethodRouter, method: Method, direct: Arc<dyn Direct>) -> Self {
        ActionRoute {
            router,
            direct: Some((method, direct)),
        }
    }
}

impl From<ActionRoute> for MethodRouter {
    fn from(route: ActionRoute) -> Self {
        route.router
    }
}

impl From<MethodRouter> for ActionRoute {
    fn from(router: MethodRouter) -> Self {
        ActionRoute {
            router,
            direct: None,
        }
    }
}

impl std::fmt::Debug for ActionRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActionRoute")
            .field("method", &self.direct.as_ref().map(|(m, _)| m))
            .finish_non_exhaustive()
    }
}

/// The application's routes: an axum [`Router`] with the action routes
/// that [`crate::Server`] may answer without it (see the module docs).
/// [`crate::Server::bind`] takes it or a plain `Router`; `Router::from`
/// gives the router alone.
#[derive(Default)]
pub struct Routes {
    router: Router,
    /// Static action routes not wrapped by a layer since they were added.
    direct: Vec<(String, Method, Arc<dyn Direct>)>,
}

impl Routes {
    /// No routes.
    pub fn new() -> Self {
        Routes::default()
    }

    /// Adds `route` at `path`, as [`Router::route`] does (and panics as it
    /// does, on a path given twice for one method).
    pub fn route(mut self, path: &str, route: impl Into<ActionRoute>) -> Self {
        let route = route.into();
        if let Some((method, direct)) = route.direct
            && !path.contains('{')
        {
            self.direct.push((path.to_owned(), method, direct));
        }
        Routes {
            router: self.router.route(path, route.router),
            direct: self.direct,
        }
    }

    /// Adds every route of `other`, as [`Router::merge`] does.
    pub fn merge(mut self, other: impl Into<Routes>) -> Self {
        let other = other.into();
        self.direct.extend(other.direct);
        Routes {
            router: self.router.merge(other.router),
            direct: self.direct,
        }
    }

    /// Wraps every route added so far in `layer`, as [`Router::layer`]
    /// does; they are then served through the router.
    pub fn layer<L>(self, layer: L) -> Self
    where
        L: tower::Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: tower::Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as tower::Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as tower::Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as tower::Service<Request>>::Future: Send + 'static,
    {
        Routes {
            router: self.router.layer(layer),
            direct: Vec::new(),
        }
    }

    /// The routes as an axum `Router` alone.
    pub fn into_router(self) -> Router {
        self.router
    }

    /// The router, and the table of the routes it may skip.
    pub(crate) fn into_parts(self) -> (Router, DirectTable) {
        let mut table = DirectTable::default();
        for (path, method, direct) in self.direct {
            table.paths.entry(path).or_default().push((method, direct));
        }
        (self.router, table)
    }
}

impl From<Router> for Routes {
    fn from(router: Router) -> Self {
        Routes {
            router,
            direct: Vec::new(),
        }
    }
}

impl From<Routes> for Router {
    fn from(routes: Routes) -> Self {
        routes.router
    }
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let direct: Vec<_> = self.direct.iter().map(|(p, m, _)| (m, p)).collect();
        f.debug_struct("Routes")
            .field("router", &self.router)
            .field("direct", &direct)
            .finish()
    }
}

/// The action routes of one path, by method.
type Methods = Vec<(Method, Arc<dyn Direct>)>;

/// The static action routes by path, then method.
#[derive(Default)]
pub(crate) struct DirectTable {
    paths: HashMap<String, Methods, foldhash::fast::RandomState>,
}

impl DirectTable {
    /// The action route serving `method` at `path`, if the table has it.
    pub(crate) fn find(&self, method: &Method, path: &str) -> Option<&Arc<dyn Direct>> {
        self.paths
            .get(path)?
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, d)| d)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A direct route that answers 204.
    struct NoContent;

    impl Direct for NoContent {
        fn serve(&self, _req: Request) -> BoxFuture<'static, Result<Response, Infallible>> {
            Box::pin(async { Ok(axum::http::StatusCode::NO_CONTENT.into_response()) })
        }
    }

    fn action(method: Method) -> ActionRoute {
        let router = axum::routing::post(|| async {});
        ActionRoute::new(router, method, Arc::new(NoContent))
    }

    #[test]
    fn the_table_holds_static_action_routes_not_wrapped_since() {
        let identity = tower::layer::util::Identity::new();
        let routes = Routes::new()
            .route("/wrapped", action(Method::POST))
            .layer(identity)
            .route("/tasks", action(Method::POST))
            .route("/tasks/{id}", action(Method::GET))
            .route("/plain", axum::routing::post(|| async {}))
            .merge(Routes::new().route("/merged", action(Method::PUT)))
            .merge(Router::new().route("/router", axum::routing::get(|| async {})));
        let (_, table) = routes.into_parts();
        let found = |m: Method, p: &str| table.find(&m, p).is_some();
        assert!(found(Method::POST, "/tasks"));
        assert!(found(Method::PUT, "/merged"));
        assert!(!found(Method::GET, "/tasks"), "another method");
        assert!(!found(Method::HEAD, "/tasks"));
        assert!(!found(Method::GET, "/tasks/7"), "a pattern");
        assert!(!found(Method::POST, "/wrapped"), "inside a layer");
        assert!(!found(Method::POST, "/plain"), "not an action route");
        assert!(!found(Method::GET, "/router"));
        assert!(!found(Method::POST, "/tasks/"));
    }
}
