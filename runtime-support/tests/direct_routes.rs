//! `Server` answers a static action route of `Routes` without the axum router and everything else through it, and a client cannot tell which: the trace id, the peer the guards see, the 405 envelope for another method, parameter routes, layers (a layer's routes go through the router, as axum would have them), panics as the 500 envelope, and CORS.

mod common;

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bunbase_runtime::axum::extract::Request;
use bunbase_runtime::axum::middleware::{Next, from_fn};
use bunbase_runtime::axum::response::Response;
use bunbase_runtime::futures::future::BoxFuture;
use bunbase_runtime::route::Action;
use bunbase_runtime::tokio;
use bunbase_runtime::{
    ActionContext, ActionSpec, ApiError, CustomGuards, GuardRequest, GuardSpec, Routes, wire,
};
use common::send_over as send;

static ECHO: ActionSpec = ActionSpec::new("test.echo", &[GuardSpec::Custom { name: "seen" }]);
static BOOM: ActionSpec = ActionSpec::new("test.boom", &[]);

/// Records the client address each guarded request came from.
struct Seen(Arc<Mutex<Vec<Option<IpAddr>>>>);

impl CustomGuards for Seen {
    fn check<'a>(
        &'a self,
        _name: &'a str,
        req: &'a GuardRequest<'a>,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        self.0.lock().unwrap().push(req.ip);
        Box::pin(async { Ok(()) })
    }
}

struct App;

/// `/echo` (static) and `/items/{id}` (a pattern) answer the trace id the
/// handler saw; `/boom` panics; `/layered` is wrapped in a layer that
/// marks its answers, and `/later` is added after that layer.
fn routes(rt: &bunbase_runtime::Runtime) -> Routes {
    let app = Arc::new(App);
    let echo = Action::new(
        rt,
        &app,
        &ECHO,
        wire::http_input::<()>,
        |_: Arc<App>, ctx: ActionContext, _: ()| async move {
            Ok::<_, ApiError>(ctx.trace_id.to_string())
        },
    );
    let boom = Action::new(
        rt,
        &app,
        &BOOM,
        wire::http_input::<()>,
        |_: Arc<App>, _: ActionContext, _: ()| async move {
            if true {
                panic!("the handler fell over");
            }
            Ok::<_, ApiError>(())
        },
    );
    let mark = from_fn(|req: Request, next: Next| async move {
        let mut res: Response = next.run(req).await;
        res.headers_mut()
            .insert("x-layered", "yes".parse().unwrap());
        res
    });
    Routes::new()
        .route("/layered", echo.post(200, &[]))
        .layer(mark)
        .route("/echo", echo.post(200, &[]))
        .route("/items/{id}", echo.get(200, &[]))
        .route("/boom", boom.post(200, &[]))
        .merge(Routes::new().route("/later", echo.post(200, &[])))
}

#[tokio::test]
async fn static_action_routes_answer_as_the_router_would() {
    let (rt, _dir) = common::runtime().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    rt.set_custom_guards(Arc::new(Seen(seen.clone())));
    let serving = common::Serving::start(rt.clone(), routes(&rt)).await;
    let addr = serving.addr;
    let local = Some(IpAddr::from([127, 0, 0, 1]));

    // A static action route: the caller's trace id reaches the handler and
    // comes back, and the guard sees the peer (no `ConnectInfo` is
    // inserted on this path: the request's scope carries it).
    let a = send(addr, "POST", "/echo", "x-request-id: direct-1\r\n").await;
    assert_eq!(
        (a.status, a.header("x-request-id")),
        (200, Some("direct-1"))
    );
    assert_eq!(a.body, "\"direct-1\"");
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(a.header("content-length"), Some("10"));
    assert_eq!(seen.lock().unwrap().pop(), Some(local));

    // Another method at that path: the router's 405 envelope.
    let a = send(addr, "GET", "/echo", "x-request-id: wrong-1\r\n").await;
    assert_eq!((a.status, a.header("allow")), (405, Some("post")));
    let v: serde_json::Value = serde_json::from_str(&a.body).expect("an envelope");
    assert_eq!(
        (v["error"]["code"].as_str(), v["error"]["trace_id"].as_str()),
        (Some("method_not_allowed"), Some("wrong-1"))
    );

    // A pattern goes through the router, peer and all.
    let a = send(addr, "GET", "/items/7", "x-request-id: pattern-1\r\n").await;
    assert_eq!((a.status, a.body.as_str()), (200, "\"pattern-1\""));
    assert_eq!(seen.lock().unwrap().pop(), Some(local));

    // A layered route is served inside its layer; a route added after the
    // layer, or merged in, is not in it (as with axum's `Router::layer`).
    let a = send(addr, "POST", "/layered", "").await;
    assert_eq!((a.status, a.header("x-layered")), (200, Some("yes")));
    assert_eq!(
        send(addr, "POST", "/echo", "").await.header("x-layered"),
        None
    );
    let a = send(addr, "POST", "/later", "x-request-id: merged-1\r\n").await;
    assert_eq!(
        (a.status, a.body.as_str(), a.header("x-layered")),
        (200, "\"merged-1\"", None)
    );

    // A panic in a handler answered directly is the 500 envelope.
    let a = send(addr, "POST", "/boom", "x-request-id: boom-1\r\n").await;
    assert_eq!(a.status, 500);
    let v: serde_json::Value = serde_json::from_str(&a.body).expect("an envelope");
    assert_eq!(
        (v["error"]["code"].as_str(), v["error"]["trace_id"].as_str()),
        (Some("internal"), Some("boom-1"))
    );

    // A path the table does not hold, nor the router: 404.
    assert_eq!(send(addr, "POST", "/echo/", "").await.status, 404);
    serving.stop(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn with_cors_on_every_route_goes_through_the_router() {
    let (rt, _dir) =
        common::runtime_with(|c| c.cors_origins = vec!["https://app.example".into()]).await;
    rt.set_custom_guards(Arc::new(Seen(Arc::default())));
    let serving = common::Serving::start(rt.clone(), routes(&rt)).await;
    let a = send(
        serving.addr,
        "POST",
        "/echo",
        "origin: https://app.example\r\n",
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    serving.stop(Duration::from_secs(10)).await;
}
