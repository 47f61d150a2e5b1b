//! Shared helpers for the runtime's HTTP tests: a runtime on a temporary SQLite file, one-shot requests, envelope parsing.
#![allow(dead_code)]

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::body::Body;
use bunbase_runtime::axum::http::{HeaderMap, Request, StatusCode};
use bunbase_runtime::{Config, Runtime};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

/// A runtime over a fresh SQLite file in a temp dir (kept alive by the
/// returned guard).
pub async fn runtime() -> (Runtime, tempfile::TempDir) {
    runtime_with(|_| {}).await
}

/// [`runtime`] with a config tweak.
pub async fn runtime_with(tweak: impl FnOnce(&mut Config)) -> (Runtime, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_test("test_app");
    config.database_url = format!("sqlite://{}/db/test.db?mode=rwc", dir.path().display());
    tweak(&mut config);
    let rt = Runtime::start(config).await.expect("runtime starts");
    (rt, dir)
}

/// A response read to the end.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts the body is the error envelope with `code`, and returns it.
    pub fn envelope(&self, code: &str) -> serde_json::Value {
        let v = self.json();
        let err = &v["error"];
        assert_eq!(err["code"], code, "envelope: {v}");
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "message missing: {v}"
        );
        let trace = err["trace_id"].as_str().expect("trace_id is a string");
        assert!(!trace.is_empty(), "trace id empty: {v}");
        assert_eq!(
            Some(trace),
            self.header("x-request-id"),
            "envelope trace id matches x-request-id"
        );
        assert!(
            err.as_object().unwrap().contains_key("details"),
            "details key present: {v}"
        );
        v
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends `req` through `app` (already wrapped by `Runtime::app`).
pub async fn send(app: &Router, req: Request<Body>) -> Reply {
    let res = app.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

/// A request builder shortcut.
pub fn request(method: &str, uri: &str) -> bunbase_runtime::axum::http::request::Builder {
    Request::builder().method(method).uri(uri)
}

/// A JSON POST.
pub fn post_json(uri: &str, body: &serde_json::Value) -> Request<Body> {
    request("POST", uri)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

/// Starts a server-side session for `user` and returns the cookie value
/// (what a browser sends back after signing in).
pub async fn login(rt: &Runtime, user: &str) -> String {
    let (_, cookie) = rt
        .auth()
        .create_session(user)
        .await
        .expect("session created");
    cookie_value(cookie.as_str())
}

/// The value of a `Set-Cookie` header (`name=value; ...`).
pub fn cookie_value(set_cookie: &str) -> String {
    let pair = set_cookie.split(';').next().unwrap_or("");
    pair.split_once('=')
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

/// Loud skip; a failure under CI=true, where every service must be present.
pub fn skip(test: &str, why: &str) {
    let msg = format!("SKIPPED {test}: {why}");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI must run every test)");
    }
    eprintln!("\n==================== {msg} ====================\n");
}

/// A database for one test: a fresh SQLite file, or a fresh PostgreSQL
/// database (`bb_<random>`, dropped by [`TestDb::drop_db`]).
pub struct TestDb {
    /// The URL to give the runtime.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A fresh SQLite file.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        TestDb {
            url: format!("sqlite://{}/test.db?mode=rwc", dir.path().display()),
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` (with a loud skip) when
    /// `BUNBASE_TEST_POSTGRES_URL` is not set.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let Some(admin_url) = std::env::var("BUNBASE_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            skip(test, "BUNBASE_TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = format!("bb_{}", uuid::Uuid::new_v4().simple());
        let admin = bunbase_runtime::sqlx::PgPool::connect(&admin_url)
            .await
            .expect("connect to BUNBASE_TEST_POSTGRES_URL");
        bunbase_runtime::sqlx::raw_sql(bunbase_runtime::sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name}"
        )))
        .execute(&admin)
        .await
        .expect("create test database");
        admin.close().await;
        let mut url = url::Url::parse(&admin_url).expect("valid url");
        url.set_path(&format!("/{name}"));
        Some(TestDb {
            url: url.to_string(),
            _dir: None,
            pg: Some((admin_url, name)),
        })
    }

    /// Drops the PostgreSQL database (no-op for SQLite).
    pub async fn drop_db(self) {
        if let Some((admin_url, name)) = &self.pg {
            let admin = bunbase_runtime::sqlx::PgPool::connect(admin_url)
                .await
                .expect("reconnect");
            bunbase_runtime::sqlx::raw_sql(bunbase_runtime::sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&admin)
            .await
            .expect("drop test database");
            admin.close().await;
        }
    }

    /// A runtime on this database, with a config tweak.
    pub async fn runtime(&self, tweak: impl FnOnce(&mut Config)) -> Runtime {
        let mut config = Config::for_test("test_app");
        config.database_url = self.url.clone();
        tweak(&mut config);
        Runtime::start(config).await.expect("runtime starts")
    }
}

/// A [`bunbase_runtime::Server`] serving on a task of its own until
/// [`Serving::stop`]: the stack a deployed server runs, over a real socket.
pub struct Serving {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    stop: bunbase_runtime::tokio::sync::oneshot::Sender<()>,
    task: bunbase_runtime::tokio::task::JoinHandle<Result<(), bunbase_runtime::Error>>,
}

impl Serving {
    /// Binds `routes` on `rt` and serves them.
    pub async fn start(rt: Runtime, routes: impl Into<bunbase_runtime::Routes>) -> Serving {
        let server = bunbase_runtime::Server::bind(rt, routes)
            .await
            .expect("bind");
        let addr = server.local_addr();
        let (stop, stopped) = bunbase_runtime::tokio::sync::oneshot::channel::<()>();
        let task = bunbase_runtime::tokio::spawn(server.run_until(async {
            let _ = stopped.await;
        }));
        Serving { addr, stop, task }
    }

    /// Signals shutdown and asserts that the server stops cleanly within
    /// `grace`.
    pub async fn stop(self, grace: std::time::Duration) {
        let _ = self.stop.send(());
        bunbase_runtime::tokio::time::timeout(grace, self.task)
            .await
            .expect("graceful shutdown completes")
            .expect("the server task")
            .expect("serving ends cleanly");
    }
}

/// One answer read off a socket: status, head lines (lowercase) and body.
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    /// The value of header `name` (lowercase), if the head has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        let prefix = format!("{name}: ");
        self.head
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
    }
}

/// Sends `method path` with an empty body and `extra` header lines (each
/// ending in CRLF) to a served address, on a connection of its own, and
/// reads the whole answer.
pub async fn send_over(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    extra: &str,
) -> Answer {
    use bunbase_runtime::tokio;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: test\r\ncontent-length: 0\r\n{extra}connection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut buf))
        .await
        .expect("answered in time")
        .expect("read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status");
    Answer {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    }
}
