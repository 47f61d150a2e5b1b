//! The `server` benchmark: requests per second and p99 latency of `POST /api/tasks` (`tasks.create_task`: session guard, body validation, insert) on the generated-example server versus a hand-written axum handler doing the same work, in the same run, loaded by `wrk`; target ≥ 0.95 of hand-written.
//!
//! Both servers are release builds sharing `target/generated-ws`, run one
//! after the other on the same fresh SQLite file with logging at `warn`, and
//! are driven by the same `wrk` script with the same session cookie. Needs
//! `wrk` on `PATH` (`apt-get install wrk`); the benchmark installs nothing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::project_root;

/// wrk settings: threads, connections, warm-up and measured seconds.
const THREADS: u32 = 2;
const CONNECTIONS: u32 = 32;
const WARMUP_SECS: u32 = 3;
const SECS: u32 = 10;
const SECRET: &str = "bench-session-secret-that-is-long-enough-0123456789";

/// The hand-written baseline's source, built as its own crate at bench time.
const BASELINE_MAIN: &str = r##"//! The hand-written axum baseline of the `server` benchmark: `POST /api/tasks` doing the work of the generated `tasks.create_task` (session check, body validation, insert, JSON answer) with no framework around it.

use bunbase_runtime::axum::body::Bytes;
use bunbase_runtime::axum::extract::State;
use bunbase_runtime::axum::http::{HeaderMap, StatusCode, header};
use bunbase_runtime::axum::response::{IntoResponse, Response};
use bunbase_runtime::axum::{Router, routing::post};
use bunbase_runtime::chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use bunbase_runtime::serde::{Deserialize, Serialize};
use bunbase_runtime::{ApiError, Config, Migrations, Runtime, Violation, sqlx, uuid::Uuid};

#[derive(Deserialize)]
#[serde(crate = "bunbase_runtime::serde", deny_unknown_fields)]
struct Input {
    title: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    due_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
#[serde(crate = "bunbase_runtime::serde")]
struct Task {
    id: Uuid,
    owner_id: Uuid,
    title: String,
    description: Option<String>,
    status: String,
    tags: Vec<String>,
    due_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn violation(path: &str, code: &str, message: &str) -> Violation {
    Violation { path: path.into(), code: code.into(), message: message.into() }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

async fn create_task(State(rt): State<Runtime>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(session) = rt.sessions().from_headers(&headers) else {
        return ApiError::unauthorized("Sign in first.").into_response();
    };
    let input: Input = match bunbase_runtime::serde_json::from_slice(&body) {
        Ok(i) => i,
        Err(e) => return ApiError::validation(vec![violation("", "invalid_value", &e.to_string())]).into_response(),
    };
    let mut v = Vec::new();
    let n = input.title.chars().count();
    if n < 1 {
        v.push(violation("/title", "min_len", "too short"));
    }
    if n > 200 {
        v.push(violation("/title", "max_len", "too long"));
    }
    if input.description.as_ref().is_some_and(|d| d.chars().count() > 5000) {
        v.push(violation("/description", "max_len", "too long"));
    }
    let status = input.status.unwrap_or_else(|| "open".into());
    if !["open", "in_progress", "done"].contains(&status.as_str()) {
        v.push(violation("/status", "invalid_value", "bad status"));
    }
    if input.tags.len() > 20 {
        v.push(violation("/tags", "max_items", "too many"));
    }
    if input.tags.iter().enumerate().any(|(i, t)| input.tags[..i].contains(t)) {
        v.push(violation("/tags", "unique", "duplicates"));
    }
    if !v.is_empty() {
        return ApiError::validation(v).into_response();
    }
    let now = Utc::now().trunc_subsecs(6);
    let Ok(owner_id) = Uuid::try_parse(&session.principal.user_id) else {
        return ApiError::unauthorized("bad session").into_response();
    };
    let task = Task {
        id: Uuid::now_v7(),
        owner_id,
        title: input.title,
        description: input.description,
        status,
        tags: input.tags,
        due_at: input.due_at,
        created_at: now,
        updated_at: now,
    };
    let tags = bunbase_runtime::serde_json::to_string(&task.tags).unwrap_or_default();
    let res = sqlx::query(
        "INSERT INTO tasks (id, owner_id, title, description, status, tags, due_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(task.id.to_string())
    .bind(task.owner_id.to_string())
    .bind(&task.title)
    .bind(task.description.clone())
    .bind(task.status.clone())
    .bind(tags)
    .bind(task.due_at.map(ts))
    .bind(ts(task.created_at))
    .bind(ts(task.updated_at))
    .execute(&**rt.db())
    .await;
    if let Err(e) = res {
        return ApiError::internal(e).into_response();
    }
    match bunbase_runtime::serde_json::to_vec(&task) {
        Ok(body) => (StatusCode::CREATED, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

#[bunbase_runtime::tokio::main(crate = "bunbase_runtime::tokio")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = Runtime::start(Config::from_env("tasks")?).await?;
    rt.migrate(&Migrations::locate("migrations")).await?;
    let app = Router::new().route("/api/tasks", post(create_task)).with_state(rt.clone());
    let listener = bunbase_runtime::tokio::net::TcpListener::bind((rt.config().host, rt.config().port)).await?;
    println!("listening on {}", listener.local_addr()?);
    bunbase_runtime::axum::serve(listener, app).await?;
    Ok(())
}
"##;

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn target_dir() -> PathBuf {
    project_root().join("target/generated-ws")
}

fn build(dir: &Path, package: &str) -> anyhow::Result<PathBuf> {
    let st = cargo()
        .args(["build", "--release", "--quiet", "-p", package])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .status()?;
    if !st.success() {
        bail!("building {package} in {} failed", dir.display());
    }
    Ok(target_dir().join("release").join(package))
}

/// Writes the baseline crate into `target/bench-baseline` (its own workspace).
fn baseline_crate() -> anyhow::Result<PathBuf> {
    let dir = project_root().join("target/bench-baseline");
    std::fs::create_dir_all(dir.join("src"))?;
    let runtime = project_root().join("runtime-support");
    let manifest = format!(
        "[package]\nname = \"bench-baseline\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nbunbase-runtime = {{ path = {:?} }}\n\n[workspace]\n",
        runtime.display().to_string()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest)?;
    std::fs::write(dir.join("src/main.rs"), BASELINE_MAIN)?;
    Ok(dir)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One request over a fresh connection; returns (status, set-cookie).
fn http(port: u16, method: &str, path: &str, body: &str, cookie: Option<&str>) -> anyhow::Result<(u16, Option<String>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n{cookie}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let status = raw.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let set_cookie = raw
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .and_then(|l| l.split_once(':'))
        .and_then(|(_, v)| v.trim().split(';').next())
        .map(str::to_owned);
    Ok((status, set_cookie))
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(bin: &Path, cwd: &Path, db: &str, port: u16) -> anyhow::Result<Running> {
    let child = Command::new(bin)
        .current_dir(cwd)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", db)
        .env("SESSION_SECRET", SECRET)
        .env("SESSION_COOKIE_SECURE", "false")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let mut running = Running(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let stdout = running.0.stdout.take();
    // Drain stdout so the server never blocks on a full pipe.
    if let Some(out) = stdout {
        std::thread::spawn(move || for _ in BufReader::new(out).lines() {});
    }
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(running);
        }
        if let Some(st) = running.0.try_wait()? {
            bail!("{} exited early ({st})", bin.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("{} did not listen within 60 s", bin.display())
}

/// Figures from one wrk run.
struct Figures {
    rps: f64,
    p99_ms: f64,
    non_2xx: u64,
}

fn ms(text: &str) -> Option<f64> {
    let t = text.trim();
    let (num, unit) = t.find(|c: char| c.is_ascii_alphabetic()).map(|i| t.split_at(i))?;
    let v: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => v / 1000.0,
        "ms" => v,
        "s" => v * 1000.0,
        _ => return None,
    })
}

fn wrk(port: u16, script: &Path, secs: u32) -> anyhow::Result<Figures> {
    let out = Command::new("wrk")
        .args(["-t", &THREADS.to_string(), "-c", &CONNECTIONS.to_string(), "-d", &format!("{secs}s"), "--latency", "-s"])
        .arg(script)
        .arg(format!("http://127.0.0.1:{port}/api/tasks"))
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("no Requests/sec in wrk output:\n{text}"))?;
    let p99_ms = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .and_then(ms)
        .with_context(|| format!("no 99% latency in wrk output:\n{text}"))?;
    let non_2xx = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Ok(Figures { rps, p99_ms, non_2xx })
}

/// Runs the benchmark and prints its figures.
pub fn run() -> anyhow::Result<()> {
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("skipped: `wrk` is not installed (install it with `apt-get install wrk`)");
        return Ok(());
    }
    let example = project_root().join("generated-example");
    println!("building release binaries (target/generated-ws)...");
    let generated = build(&example, "tasks-server")?;
    let baseline = build(&baseline_crate()?, "bench-baseline")?;
    let tmp = std::env::temp_dir().join(format!("bunbase-bench-server-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    std::fs::create_dir_all(tmp.join("migrations"))?;
    for entry in std::fs::read_dir(example.join("crates/tasks-server/migrations"))? {
        let entry = entry?;
        std::fs::copy(entry.path(), tmp.join("migrations").join(entry.file_name()))?;
    }
    let db = format!("sqlite://{}?mode=rwc", tmp.join("bench.db").display());

    // The generated server seeds the demo user; its session cookie is valid on
    // both servers (same SESSION_SECRET).
    let port = free_port()?;
    let server = start(&generated, &tmp, &db, port)?;
    let (status, cookie) = http(port, "POST", "/api/auth/login", r#"{"email":"demo@example.com","password":"demo-password"}"#, None)?;
    let cookie = cookie.filter(|_| status == 200).context("demo login failed")?;
    let (status, _) = http(port, "POST", "/api/tasks", r#"{"title":"Benchmark task","tags":["bench","load"]}"#, Some(&cookie))?;
    if status != 201 {
        bail!("create_task answered {status} on the generated server");
    }
    let script = tmp.join("create_task.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = '{{\"title\":\"Benchmark task\",\"tags\":[\"bench\",\"load\"]}}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Cookie\"] = \"{cookie}\"\n"
        ),
    )?;
    wrk(port, &script, WARMUP_SECS)?;
    let gen_fig = wrk(port, &script, SECS)?;
    drop(server);

    let port = free_port()?;
    let server = start(&baseline, &tmp, &db, port)?;
    let (status, _) = http(port, "POST", "/api/tasks", r#"{"title":"Benchmark task","tags":["bench","load"]}"#, Some(&cookie))?;
    if status != 201 {
        bail!("create_task answered {status} on the baseline");
    }
    wrk(port, &script, WARMUP_SECS)?;
    let base_fig = wrk(port, &script, SECS)?;
    drop(server);
    let _ = std::fs::remove_dir_all(&tmp);

    println!("POST /api/tasks (create_task: session guard + validation + SQLite insert), wrk -t{THREADS} -c{CONNECTIONS} -d{SECS}s");
    for (name, f) in [("generated", &gen_fig), ("hand-written axum", &base_fig)] {
        println!("  {name:<18} {:>9.0} req/s   p99 {:>7.2} ms   non-2xx {}", f.rps, f.p99_ms, f.non_2xx);
    }
    let ratio = gen_fig.rps / base_fig.rps;
    println!("  generated / hand-written: {ratio:.3} (target >= 0.95: {})", if ratio >= 0.95 { "met" } else { "MISSED" });
    Ok(())
}
