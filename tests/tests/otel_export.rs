//! OpenTelemetry export (`bunbase-runtime` feature `otel`): with `OTEL_EXPORTER_OTLP_ENDPOINT` set, a runtime server's request and action spans reach an OTLP/HTTP collector (a fake one on loopback), under the request's own trace id, and a `traceparent` caller becomes the parent.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::routing::post;
use bunbase_runtime::serde_json::json;
use bunbase_runtime::{
    ActionContext, ActionSpec, ApiError, Config, HttpRequest, RetryPolicy, Runtime, Server, tokio,
};

static OK: ActionSpec = ActionSpec {
    name: "tasks.traced",
    guards: &[],
    retry: RetryPolicy::NONE,
};

/// What the collector received: each request line with its body.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A fake collector: answers every request 200 and keeps each body.
fn collector() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = listener.local_addr().expect("an address");
    let seen: Received = Arc::default();
    let keep = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            keep.lock()
                .unwrap()
                .push((request_line.trim().to_owned(), body));
            let mut stream = reader.into_inner();
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    (format!("http://{addr}"), seen)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn request_and_action_spans_reach_the_collector_under_the_request_trace_id() {
    let (endpoint, seen) = collector();
    // SAFETY: set before any other thread of this test binary reads the
    // environment (this is the binary's only test, and no runtime runs yet).
    unsafe {
        std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint);
        std::env::set_var("OTEL_SERVICE_NAME", "otel-test");
        std::env::set_var("OTEL_BSP_SCHEDULE_DELAY", "100");
    }
    bunbase_runtime::init_tracing();

    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    rt.block_on(async {
        let runtime = Runtime::start(Config::for_test("otel")).await.expect("starts");
        let route = {
            let runtime = runtime.clone();
            post(move |req: HttpRequest| async move {
                OK.run_http(&runtime, req, 200, |_| Ok(()), |_ctx: ActionContext, _: ()| async {
                    Ok::<_, ApiError>(json!({ "ok": true }))
                })
                .await
            })
        };
        let server = Server::bind(runtime.clone(), Router::new().route("/traced", route))
            .await
            .expect("binds");
        let addr = server.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.run_until(async {
            let _ = stopped.await;
        }));
        for header in [
            "x-request-id: 0af7651916cd43dd8448eb211c80319c",
            "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            let mut s = tokio::net::TcpStream::connect(addr).await.expect("connects");
            let req = format!(
                "POST /traced HTTP/1.1\r\nhost: x\r\n{header}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            tokio::io::AsyncWriteExt::write_all(&mut s, req.as_bytes()).await.unwrap();
            let mut raw = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut s, &mut raw).await.unwrap();
            assert!(raw.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&raw));
        }
        // Shutting down flushes the spans still buffered.
        let _ = stop.send(());
        serving.await.expect("joins").expect("serves");
    });

    let deadline = Instant::now() + Duration::from_secs(30);
    let bodies = loop {
        let bodies: Vec<u8> = seen
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(_, b)| b.clone())
            .collect();
        let both = contains(&bodies, &hex("0af7651916cd43dd8448eb211c80319c"))
            && contains(&bodies, &hex("4bf92f3577b34da6a3ce929d0e0e4736"));
        if both || Instant::now() > deadline {
            break bodies;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let requests: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(r, _)| r.clone())
        .collect();
    assert!(
        requests.iter().all(|r| r == "POST /v1/traces HTTP/1.1"),
        "{requests:?}"
    );
    // Both traces, under the ids the requests carried.
    assert!(
        contains(&bodies, &hex("0af7651916cd43dd8448eb211c80319c")),
        "{requests:?}"
    );
    assert!(contains(&bodies, &hex("4bf92f3577b34da6a3ce929d0e0e4736")));
    // The traceparent caller's span is the request span's parent.
    assert!(contains(&bodies, &hex("00f067aa0ba902b7")));
    // The request and action spans, the action named, the service named.
    for text in ["request", "action", "tasks.traced", "otel-test"] {
        assert!(contains(&bodies, text.as_bytes()), "{text} is exported");
    }
}
