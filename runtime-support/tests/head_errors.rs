//! A request head hyper refuses before routing (a 1 MB cookie: 431; a 100 KB URI: 414 or 431; garbage: 400) answers the JSON error envelope over a real socket, and the server still serves other connections and shuts down gracefully.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::routing::get;
use bunbase_runtime::tokio;
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
    let serving = common::Serving::start(rt, routes).await;
    let addr = serving.addr;

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

    serving.stop(Duration::from_secs(10)).await;
}

/// `HEAD_LIMIT_BYTES` is read from the environment (default 64 KiB).
#[test]
fn head_limit_comes_from_the_environment() {
    use bunbase_runtime::Config;
    assert_eq!(Config::defaults("x").head_limit, 64 * 1024);
    let lookup = |k: &str| (k == "HEAD_LIMIT_BYTES").then(|| "4096".to_owned());
    assert_eq!(
        Config::from_lookup("x", lookup).expect("valid").head_limit,
        4096
    );
    let bad = |k: &str| (k == "HEAD_LIMIT_BYTES").then(|| "big".to_owned());
    assert!(
        Config::from_lookup("x", bad).is_err_and(|e| e.to_string().contains("HEAD_LIMIT_BYTES"))
    );
}

/// A head over the configured limit answers 431 (414 for a URI over it)
/// with the envelope, before any route runs; one just under it is served.
#[tokio::test]
async fn heads_over_the_configured_limit_answer_431() {
    const LIMIT: usize = 4096;
    let (rt, _dir) = common::runtime_with(|c| c.head_limit = LIMIT).await;
    let routes = Router::new().route("/hello", get(|| async { "hello" }));
    let serving = common::Serving::start(rt, routes).await;
    let addr = serving.addr;

    // A head of exactly `len` bytes: the cookie fills what the rest leaves.
    let head_of = |len: usize| {
        let bare = "GET /hello HTTP/1.1\r\nhost: test\r\nconnection: close\r\ncookie: c=\r\n\r\n";
        let head = format!(
            "GET /hello HTTP/1.1\r\nhost: test\r\nconnection: close\r\ncookie: c={}\r\n\r\n",
            "v".repeat(len - bare.len())
        );
        assert_eq!(head.len(), len);
        head
    };
    let (status, _, body) = exchange(addr, head_of(LIMIT).as_bytes()).await;
    assert_eq!(
        (status, body.as_str()),
        (200, "hello"),
        "a head at the limit passes"
    );
    let (status, head, body) = exchange(addr, head_of(LIMIT + 1).as_bytes()).await;
    assert_eq!(status, 431, "{head}");
    let v = envelope(&head, &body);
    assert_eq!(v["error"]["code"], "headers_too_large");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("HEAD_LIMIT_BYTES")),
        "{body}"
    );

    let uri = format!("/hello?q={}", "x".repeat(LIMIT));
    let long = format!("GET {uri} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n");
    let (status, head, body) = exchange(addr, long.as_bytes()).await;
    assert_eq!(status, 414, "{head}");
    assert_eq!(envelope(&head, &body)["error"]["code"], "uri_too_long");

    serving.stop(Duration::from_secs(10)).await;
}
