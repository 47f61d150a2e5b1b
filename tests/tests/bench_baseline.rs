//! The server benchmark's hand-written baseline (`tests/bench-baseline/`) does the work it claims: the task stored and answered, the trace id echoed, the subscriber's log line and both runs recorded; and, with `BENCH_BASELINE=minimal`, the endpoint alone.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[allow(dead_code)]
#[path = "../src/server.rs"]
mod server;

#[allow(unused_imports)]
use bunbase_e2e::repo_root;
use bunbase_runtime::sqlx;
use server::{HttpResponse, block_on, build_binary, http_request};

/// The request `cargo xtask bench server` sends.
const BODY: &str = r#"{"title":"Write the release notes","description":"For version 1.2","status":"in_progress","tags":["docs","release"],"due_at":"2026-12-01T09:30:00Z"}"#;
const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";

/// A running baseline; killed on drop.
struct Baseline {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    cookie: String,
    database_url: String,
}

impl Baseline {
    fn start(env: &[(&str, &str)]) -> Baseline {
        let bin = build_binary("tests/bench-baseline", "bench-baseline");
        let dir = tempfile::tempdir().expect("a temp dir");
        let database_url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        );
        let log = |n: &str| std::fs::File::create(dir.path().join(n)).expect("a log file");
        let child = Command::new(&bin)
            .current_dir(dir.path())
            .env("PORT", "0")
            .env("DATABASE_URL", &database_url)
            .env(
                "SESSION_SECRET",
                "a-baseline-test-secret-that-is-long-enough-0123456789",
            )
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::from(log("stdout.log")))
            .stderr(Stdio::from(log("stderr.log")))
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let mut baseline = Baseline {
            child,
            dir,
            port: 0,
            cookie: String::new(),
            database_url,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = read(baseline.dir.path(), "stdout.log");
            let port = out
                .lines()
                .find_map(|l| l.strip_prefix("API: http://127.0.0.1:"))
                .and_then(|rest| rest.trim_end_matches("/api").parse().ok());
            let cookie = out.lines().find_map(|l| l.strip_prefix("Cookie: "));
            if let (Some(port), Some(cookie)) = (port, cookie) {
                baseline.port = port;
                baseline.cookie = cookie.to_owned();
                return baseline;
            }
            if let Ok(Some(status)) = baseline.child.try_wait() {
                panic!("the baseline exited ({status}):\n{}", baseline.logs());
            }
            assert!(
                Instant::now() < deadline,
                "the baseline did not start within 60 s:\n{}",
                baseline.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn post(&self, cookie: bool) -> HttpResponse {
        let mut headers = vec![
            ("content-type", "application/json"),
            ("x-request-id", TRACE),
        ];
        if cookie {
            headers.push(("cookie", &self.cookie));
        }
        http_request(self.port, "POST", "/api/tasks", Some(BODY), &headers)
            .unwrap_or_else(|e| panic!("POST /api/tasks: {e}\n{}", self.logs()))
    }

    fn logs(&self) -> String {
        let path = self.dir.path();
        format!("{}{}", read(path, "stdout.log"), read(path, "stderr.log"))
    }

    /// `(action, trigger, status, trace id)` of every recorded run, once at
    /// least `at_least` are written (or after 3 s).
    fn runs(&self, at_least: usize) -> Vec<(String, String, String, String)> {
        let deadline = Instant::now() + Duration::from_secs(3);
        block_on(async {
            let db = bunbase_runtime::Db::connect(&self.database_url)
                .await
                .expect("open the baseline's database");
            loop {
                let runs: Vec<(String, String, String, String)> = bunbase_runtime::with_pool!(db, pool => {
                    sqlx::query_as(
                        "SELECT action, trigger_kind, status, trace_id FROM bunbase_runs ORDER BY action, status",
                    )
                    .fetch_all(pool)
                    .await
                    .expect("read bunbase_runs")
                });
                if runs.len() >= at_least || Instant::now() > deadline {
                    db.close().await;
                    return runs;
                }
                bunbase_runtime::tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

#[test]
fn the_baseline_does_the_contracts_work_by_hand() {
    let server = Baseline::start(&[]);
    let res = server.post(true);
    assert_eq!(res.status, 201, "{}\n{}", res.body, server.logs());
    assert_eq!(res.json()["title"], "Write the release notes");
    assert_eq!(res.header("x-request-id"), Some(TRACE));
    assert_eq!(server.post(false).status, 401);

    let runs = server.runs(3);
    let run = |action: &str, trigger: &str, status: &str| {
        (action.into(), trigger.into(), status.into(), TRACE.into())
    };
    assert_eq!(
        runs,
        vec![
            run("tasks.create_task", "http", "error"),
            run("tasks.create_task", "http", "ok"),
            run("tasks.on_task_created", "event", "ok"),
        ],
        "{}",
        server.logs()
    );
    let logs = server.logs();
    assert!(
        logs.lines()
            .any(|l| l.contains("task created") && l.contains(&format!("trace_id={TRACE}"))),
        "the subscriber's line with the trace id is missing:\n{logs}"
    );
}

#[test]
fn the_minimal_baseline_does_the_endpoint_alone() {
    let server = Baseline::start(&[("BENCH_BASELINE", "minimal")]);
    let res = server.post(true);
    assert_eq!(res.status, 201, "{}\n{}", res.body, server.logs());
    assert_eq!(res.header("x-request-id"), None);
    assert!(server.logs().contains("task created"), "{}", server.logs());
    // The writer flushes every 500 ms; none runs here, so nothing appears.
    assert_eq!(server.runs(1), Vec::new());
}

#[test]
fn the_noio_baseline_checks_and_answers_without_a_database() {
    let server = Baseline::start(&[("BENCH_BASELINE", "noio")]);
    let res = server.post(true);
    assert_eq!(res.status, 201, "{}\n{}", res.body, server.logs());
    assert_eq!(res.json()["title"], "Write the release notes");
    assert_eq!(res.json()["tags"], serde_json::json!(["docs", "release"]));
    assert_eq!(server.post(false).status, 401);
    // Every violation is listed, as the generated decoder lists them.
    let bad = http_request(
        server.port,
        "POST",
        "/api/tasks",
        Some(r#"{"title":"","tags":["a","a"]}"#),
        &[
            ("content-type", "application/json"),
            ("cookie", &server.cookie),
        ],
    )
    .expect("POST a bad body");
    assert_eq!(bad.status, 400, "{}", bad.body);
    let paths: Vec<String> = bad.json()["error"]["details"]["violations"]
        .as_array()
        .unwrap_or_else(|| panic!("no violations: {}", bad.body))
        .iter()
        .map(|v| v["path"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(paths, ["/title", "/tags"], "{}", bad.body);
    assert!(
        !server.dir.path().join("bench.db").exists(),
        "the noio baseline opens no database"
    );
}
