//! Runs the committed `generated-example` server for end-to-end tests: builds it once (shared target dir), starts it on a free port with a fresh database, waits for `/readyz`, and stops it on drop.
//!
//! ```no_run
//! # use bunbase_e2e::server::{Database, TestServer};
//! let server = TestServer::start(Database::Sqlite);
//! let res = server.get("/api/health");
//! assert_eq!(res.status, 200);
//! ```

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Which database the server runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A fresh SQLite file in a temporary folder.
    Sqlite,
    /// A fresh, uniquely named database created through this admin URL
    /// (`postgres://user@host:port/db`) and dropped afterwards.
    Postgres(String),
}

/// The shared target dir for generated workspaces, so dependencies compile once.
pub fn generated_target_dir() -> PathBuf {
    crate::repo_root().join("target/generated-ws")
}

/// Builds the `generated-example` server binary once per test process and
/// returns its path. Panics with cargo's output when the build fails.
pub fn server_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_binary("generated-example", "tasks-server"))
        .clone()
}

/// Builds binary `bin` of the workspace in repository folder `dir` (debug,
/// into the shared target dir) and returns its path. Panics with cargo's
/// output when the build fails.
pub fn build_binary(dir: &str, bin: &str) -> PathBuf {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "--bin", bin])
        .current_dir(crate::repo_root().join(dir))
        .env("CARGO_TARGET_DIR", generated_target_dir())
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "building {dir} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    generated_target_dir().join("debug").join(bin)
}

/// The session key every [`TestServer`] signs its cookies with.
pub const SESSION_SECRET: &str = "an-e2e-test-secret-that-is-long-enough-0123456789";

/// The variable holding the secret of the example's inbound e-mail webhook
/// (`inbox.receive_email`); the server refuses to start without it.
pub const INBOUND_EMAIL_SECRET_ENV: &str = "TASKS_INBOUND_EMAIL_SECRET";

/// The inbound e-mail webhook secret every [`TestServer`] starts with
/// (override it through [`TestServer::start_with`]).
pub const INBOUND_EMAIL_SECRET: &str = "an-e2e-inbound-email-secret";

/// A running generated-example server; stopped (and its database dropped) on drop.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`, without the `/api` base path.
    pub base_url: String,
    /// The server's `DATABASE_URL`.
    pub database_url: String,
    port: u16,
    child: Child,
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

/// One HTTP response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl HttpResponse {
    /// The body parsed as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("response is not JSON ({e}): {}", self.body))
    }

    /// The first header named `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `name=value` part of the first `Set-Cookie` header, if any.
    pub fn cookie(&self) -> Option<String> {
        self.header("set-cookie")
            .and_then(|c| c.split(';').next())
            .map(str::to_owned)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Runs `f` to completion on a fresh current-thread runtime.
pub fn block_on<F: Future>(f: F) -> F::Output {
    bunbase_runtime::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(f)
}

/// Runs one SQL statement on `url` (admin work on Postgres).
fn admin_sql(url: &str, sql: String) {
    use bunbase_runtime::sqlx::{self, Connection};
    block_on(async {
        let mut conn = sqlx::postgres::PgConnection::connect(url)
            .await
            .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
    })
}

/// `url` with its database name replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let head = match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").map_or(0, |j| j + 2) => {
            &base[..i]
        }
        _ => base,
    };
    match query {
        Some(q) => format!("{head}/{db}?{q}"),
        None => format!("{head}/{db}"),
    }
}

impl TestServer {
    /// Builds (once) and starts the server on `db`, waiting until `/readyz`
    /// answers 200. Panics with the server's output when it does not start.
    pub fn start(db: Database) -> TestServer {
        Self::start_with(db, &[])
    }

    /// [`TestServer::start`] with extra environment variables.
    pub fn start_with(db: Database, env: &[(&str, &str)]) -> TestServer {
        // The example embeds its migrations (`tasks_api::db::MIGRATIONS`);
        // the folder named here is not read.
        let migrations = crate::repo_root().join("contracts-examples/tasks/migrations");
        Self::start_bin(&server_binary(), &migrations, db, env)
    }

    /// Starts `bin serve` (any generated server) with the migrations in
    /// `migrations` on `db`, waiting until `/readyz` answers 200.
    pub fn start_bin(
        bin: &Path,
        migrations: &Path,
        db: Database,
        env: &[(&str, &str)],
    ) -> TestServer {
        let dir = tempfile::tempdir().expect("a temp dir");
        let (database_url, postgres) = match &db {
            Database::Sqlite => (
                format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
                None,
            ),
            Database::Postgres(admin) => {
                let name = format!("bunbase_e2e_{}_{}", std::process::id(), free_port());
                admin_sql(admin, format!("CREATE DATABASE {name}"));
                (with_database(admin, &name), Some((admin.clone(), name)))
            }
        };
        let port = free_port();
        let log = |n: &str| std::fs::File::create(dir.path().join(n)).expect("a log file");
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .current_dir(dir.path())
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("DATABASE_URL", &database_url)
            .env("SESSION_SECRET", SESSION_SECRET)
            .env("SESSION_COOKIE_SECURE", "false")
            .env(INBOUND_EMAIL_SECRET_ENV, INBOUND_EMAIL_SECRET)
            .env("BUNBASE_MIGRATIONS_DIR", migrations)
            .env("RUST_LOG", "info")
            .stdout(Stdio::from(log("stdout.log")))
            .stderr(Stdio::from(log("stderr.log")));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let mut server = TestServer {
            base_url: format!("http://127.0.0.1:{port}"),
            database_url,
            port,
            child,
            dir,
            postgres,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the server exited ({status}) before it was ready:\n{}",
                    self.logs()
                );
            }
            if let Ok(res) = self.try_request("GET", "/readyz", None, &[])
                && res.status == 200
            {
                return;
            }
            if Instant::now() > deadline {
                panic!("the server was not ready within 60 s:\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's stdout and stderr so far.
    pub fn logs(&self) -> String {
        let read = |n: &str| std::fs::read_to_string(self.dir.path().join(n)).unwrap_or_default();
        format!(
            "--- stdout\n{}--- stderr\n{}",
            read("stdout.log"),
            read("stderr.log")
        )
    }

    /// The temporary folder the server runs in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Sends a request; `path` starts with `/` (include `/api`). Panics on
    /// connection errors.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> HttpResponse {
        self.try_request(method, path, body, headers)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", self.logs()))
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> HttpResponse {
        self.request("GET", path, None, &[])
    }

    /// Sends `body` as JSON with `method`, and an optional session cookie.
    pub fn send_json(
        &self,
        method: &str,
        path: &str,
        body: &Value,
        cookie: Option<&str>,
    ) -> HttpResponse {
        let text = body.to_string();
        let mut headers = vec![("content-type", "application/json")];
        if let Some(c) = cookie {
            headers.push(("cookie", c));
        }
        self.request(method, path, Some(&text), &headers)
    }

    /// A minimal HTTP/1.1 exchange over one connection (`Connection: close`).
    pub fn try_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> std::io::Result<HttpResponse> {
        http_request(self.port, method, path, body, headers)
    }

    /// Counts the recorded runs of `action` (`tasks.create_task`), waiting up
    /// to 10 s for the batched writer to flush at least `at_least`.
    pub fn recorded_runs(&self, action: &str, at_least: i64) -> i64 {
        self.count_until(
            "SELECT COUNT(*) FROM bunbase_runs WHERE action = $1",
            &[action],
            at_least,
            Duration::from_secs(10),
        )
    }

    /// Runs the counting query `sql` (text parameters `args`) on the
    /// server's database until it answers at least `at_least` or `timeout`
    /// passes; returns the last count.
    pub fn count_until(&self, sql: &str, args: &[&str], at_least: i64, timeout: Duration) -> i64 {
        use bunbase_runtime::sqlx;
        let deadline = Instant::now() + timeout;
        block_on(async {
            let db = bunbase_runtime::Db::connect(&self.database_url)
                .await
                .expect("connect to the server's database");
            loop {
                // A table the server has not created yet counts as 0 until
                // the deadline; then the error fails the test.
                let n: Result<i64, sqlx::Error> = bunbase_runtime::with_pool!(db, pool => {
                    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
                    for a in args {
                        q = q.bind(*a);
                    }
                    q.fetch_one(pool).await
                });
                let done = Instant::now() > deadline;
                let n = match n {
                    Ok(n) => n,
                    Err(e) if done => panic!("{sql}: {e}"),
                    Err(_) => 0,
                };
                if n >= at_least || done {
                    db.close().await;
                    return n;
                }
                bunbase_runtime::tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    }
}

/// A minimal HTTP/1.1 exchange with `127.0.0.1:port` over one connection
/// (`Connection: close`); `path` starts with `/`.
pub fn http_request(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> std::io::Result<HttpResponse> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.unwrap_or("");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    // The server may answer (413) before reading the whole body and close.
    let _ = stream.read_to_end(&mut raw);
    parse_response(&raw).ok_or_else(|| {
        std::io::Error::other(format!(
            "unparseable response: {:?}",
            String::from_utf8_lossy(&raw)
        ))
    })
}

fn parse_response(raw: &[u8]) -> Option<HttpResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body)?;
    }
    Some(HttpResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(
            std::str::from_utf8(&data[..line_end])
                .ok()?
                .split(';')
                .next()?
                .trim(),
            16,
        )
        .ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((admin, name)) = self.postgres.take() {
            admin_sql(
                &admin,
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}
