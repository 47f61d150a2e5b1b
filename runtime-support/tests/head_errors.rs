//! A request head hyper refuses before routing (a 1 MB cookie: 431; a 100 KB URI: 414 or 431; garbage: 400) answers the JSON error envelope over a real socket, and the server still serves other connections and shuts down gracefully.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::routing::get;
use bunbase_runtime::{Server, tokio};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Sends `head` (and nothing else) and reads the whole answer:
/// `(status, head, body)`.
async fn exchange(addr: SocketAddr, head: &[u8]) -> (u16, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    // The server may answer and close before it has read all of a huge
    // head; the answer is still there to read.
    let _ = s.write_all(head).await;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    (status, head.to_owned(), body.to_owned())
}

fn envelope(head: &str, body: &str) -> serde_json::Value {
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let v: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}\n{head}"));
    let id = head
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .unwrap_or_else(|| panic!("no x-request-id in {head}"));
    assert_eq!(v["error"]["trace_id"], id, "{body}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    v
}

#[tokio::test]
async fn refused_heads_answer_the_envelope() {
    let (rt, _dir) = common::runtime().await;
    let routes = Router::new().route("/hello", get(|| async { "hello" }));
    let server = Server::bind(rt, routes).await.expect("bind");
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));

    let cookie = "a".repeat(1024 * 1024);
    let big = format!("GET /hello HTTP/1.1\r\nhost: test\r\ncookie: big={cookie}\r\n\r\n");
    let (status, head, body) = exchange(addr, big.as_bytes()).await;
    assert_eq!(status, 431, "{head}");
    assert_eq!(envelope(&head, &body)["error"]["code"], "headers_too_large");

    let (status, head, body) = exchange(addr, b"NOT HTTP AT ALL\r\n\r\n").await;
    assert_eq!(status, 400, "{head}");
    assert_eq!(envelope(&head, &body)["error"]["code"], "malformed_request");

    // Ordinary requests are untouched, on fresh and kept-alive connections.
    let (status, _, body) = exchange(
        addr,
        b"GET /hello HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "hello"));
    let (status, head, body) = exchange(
        addr,
        b"GET /missing HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(envelope(&head, &body)["error"]["code"], "not_found");

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("graceful shutdown completes")
        .expect("the server task")
        .expect("serving ends cleanly");
}
