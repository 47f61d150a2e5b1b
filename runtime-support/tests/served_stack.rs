//! What `Server` gives a request over a real socket, now that it wraps the whole router once per connection: the peer address (axum's `ConnectInfo` and `HttpRequest::ip`), and the trace id a caller names (`x-request-id`, else `traceparent`) or a fresh one, current for the request's task (`current_trace_id`) and echoed on every answer.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::extract::ConnectInfo;
use bunbase_runtime::axum::routing::get;
use bunbase_runtime::http::HttpRequest;
use bunbase_runtime::tokio;
use bunbase_runtime::trace::current_trace_id;

/// Sends one `GET path` with `extra` header lines and reads the answer:
/// `(status, x-request-id, body)`.
async fn get_with(addr: SocketAddr, path: &str, extra: &str) -> (u16, String, String) {
    let answer = common::send_over(addr, "GET", path, extra).await;
    let id = answer
        .header("x-request-id")
        .unwrap_or_else(|| panic!("no x-request-id in {}", answer.head))
        .to_owned();
    (answer.status, id, answer.body)
}

#[tokio::test]
async fn a_served_request_knows_its_peer_and_trace_id() {
    let (rt, _dir) = common::runtime().await;
    let routes = Router::new()
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        )
        .route(
            "/request",
            get(|req: HttpRequest| async move {
                format!(
                    "{} {}",
                    req.ip().map(|ip| ip.to_string()).unwrap_or_default(),
                    req.trace_id()
                )
            }),
        )
        .route(
            "/current",
            get(|| async {
                current_trace_id()
                    .map(|id| id.to_string())
                    .unwrap_or_default()
            }),
        );
    let serving = common::Serving::start(rt, routes).await;
    let addr = serving.addr;

    let (status, id, body) = get_with(addr, "/peer", "").await;
    assert_eq!((status, body.as_str()), (200, "127.0.0.1"));
    assert_eq!(id.len(), 32, "a fresh trace id: {id}");

    let (status, id, body) = get_with(addr, "/request", "x-request-id: req-42\r\n").await;
    assert_eq!((status, id.as_str()), (200, "req-42"));
    assert_eq!(body, "127.0.0.1 req-42");

    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent = format!("traceparent: 00-{trace}-00f067aa0ba902b7-01\r\n");
    let (status, id, body) = get_with(addr, "/current", &parent).await;
    assert_eq!((status, id.as_str()), (200, trace));
    assert_eq!(body, trace);

    // A name the pipeline does not read, however close, is not a trace id.
    let (_, id, _) = get_with(addr, "/peer", "x-request-ids: nope\r\n").await;
    assert_ne!(id, "nope");

    // The 404 envelope carries the trace id it answers with.
    let (status, id, body) = get_with(addr, "/missing", "x-request-id: lost-1\r\n").await;
    assert_eq!((status, id.as_str()), (404, "lost-1"));
    let v: serde_json::Value = serde_json::from_str(&body).expect("an envelope");
    assert_eq!(v["error"]["trace_id"], "lost-1");

    serving.stop(Duration::from_secs(10)).await;
}
