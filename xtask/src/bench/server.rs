//! The `server` benchmark: throughput and p99 latency of the generated `POST /api/tasks` (`tasks.create_task`) against a hand-written axum baseline doing the same work, loaded with `wrk`.
//!
//! Both servers are built in release into `target/generated-ws`, started on
//! free loopback ports with fresh SQLite databases in a temp folder and the
//! same `SESSION_SECRET` and `RUST_LOG`. The generated server's cookie comes
//! from logging in as the demo user; the baseline prints one it signed for
//! its seeded user. Each load setting runs both servers in [`PAIRS`] pairs
//! of short runs, alternating which goes first, after a warm-up. The
//! verdict uses the median of the pairs' throughput ratios: on a shared
//! virtual machine throughput drifts by a third within minutes, and a pair
//! run back to back sees the same machine, so its ratio cancels the drift
//! that a ratio of means would keep. Target: generated >= 0.95x baseline
//! req/s.
//! Each run also reports the server's CPU time per request (all its
//! threads, from `/proc`), which is steadier than throughput on a machine
//! where wrk and the server share the cores.
//! The baseline does the contract's whole work by hand (trace id, the
//! `task.created` subscriber on its own task, both runs recorded), so the
//! generated server runs its subscriber in process too (`EVENTS=memory`;
//! the example's default is durable delivery as a job); two more
//! servers run once per setting for comparison: the generated one with
//! `RUN_HISTORY=errors` (what storing every run costs) and the baseline with
//! `BENCH_BASELINE=minimal` (the endpoint alone: what the event and run
//! history cost, whoever writes them). The generated server also runs with
//! `METRICS=on` in every pair (order alternating too), and its throughput
//! and CPU per request are reported against the same server with metrics
//! off: what the Prometheus counters cost a request.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(super) const WRK: &str = "/usr/bin/wrk";
pub(super) const TASKSET: &str = "/usr/bin/taskset";
/// Connections per core of each load setting.
const CONNECTIONS_PER_CORE: [usize; 2] = [4, 32];
const DURATION_SECS: u32 = 5;
const WARMUP_SECS: u32 = 3;
/// Pairs of measured runs (one per server) per load setting. A run of one
/// server swings by a tenth or more against the next run of the same server
/// here (SQLite's busy waits and checkpoints, wrk on the same two cores, the
/// host), so the verdict takes the median over many short pairs.
const PAIRS: usize = 8;
/// The target: generated throughput at least this share of the baseline's.
const TARGET_RATIO: f64 = 0.95;
pub(super) const SECRET: &str = "a-benchmark-session-secret-that-is-long-enough-0123456789";
/// A valid `create_task` body that exercises the constraints. No `due_at`:
/// the example enqueues a reminder job for a task with one, which the
/// hand-written baseline does not model.
pub(super) const BODY: &str = r#"{"title":"Write the release notes","description":"For version 1.2","status":"in_progress","tags":["docs","release"]}"#;

/// Runs the benchmark and prints its figures.
pub fn run() -> anyhow::Result<()> {
    anyhow::ensure!(
        Path::new(WRK).exists(),
        "wrk is missing: apt-get install wrk"
    );
    let root = crate::project_root();
    let target = root.join("target/generated-ws");
    build(&root.join("generated-example/Cargo.toml"), &target)?;
    build(&root.join("tests/bench-baseline/Cargo.toml"), &target)?;
    let scratch = std::env::temp_dir().join(format!("bunbase-bench-server-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let result = bench(&target.join("release"), &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

pub(super) fn build(manifest: &Path, target: &Path) -> anyhow::Result<()> {
    println!("server: building {} (release)", manifest.display());
    let st = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "--release", "--manifest-path"])
        .arg(manifest)
        .env("CARGO_TARGET_DIR", target)
        .status()?;
    anyhow::ensure!(
        st.success(),
        "building {} failed ({st})",
        manifest.display()
    );
    Ok(())
}

fn bench(bin: &Path, scratch: &Path) -> anyhow::Result<()> {
    // Every run stored (`RUN_HISTORY=all`, not the default `sampled`):
    // the baseline writes both runs of every request.
    let generated = Server::start(
        "generated",
        &bin.join("tasks-server"),
        scratch,
        &[
            ("EVENTS", "memory".to_owned()),
            ("RUN_HISTORY", "all".to_owned()),
        ],
    )?;
    // The same server storing failed runs only (`RUN_HISTORY=errors`): not
    // the target's configuration, reported to show what run history costs.
    let errors_only = Server::start(
        "generated-errors-only",
        &bin.join("tasks-server"),
        scratch,
        &[
            ("EVENTS", "memory".to_owned()),
            ("RUN_HISTORY", "errors".to_owned()),
        ],
    )?;
    // The same server counting every run for `/metrics`.
    let metrics = Server::start(
        "generated-metrics",
        &bin.join("tasks-server"),
        scratch,
        &[
            ("EVENTS", "memory".to_owned()),
            ("RUN_HISTORY", "all".to_owned()),
            ("METRICS", "on".to_owned()),
        ],
    )?;
    let baseline = Server::start("baseline", &bin.join("bench-baseline"), scratch, &[])?;
    let minimal = Server::start(
        "baseline-minimal",
        &bin.join("bench-baseline"),
        scratch,
        &[("BENCH_BASELINE", "minimal".to_owned())],
    )?;
    for s in [&generated, &errors_only, &metrics] {
        s.wait_until(
            |s| get(s.addr, "/readyz").is_ok_and(|r| r.status == 200),
            "answer /readyz",
        )?;
    }
    let gen_cookie = login(generated.addr)?;
    let base_cookie = printed_cookie(&baseline)?;
    let minimal_cookie = printed_cookie(&minimal)?;
    same_answers(generated.addr, &gen_cookie, baseline.addr, &base_cookie)?;
    same_answers(generated.addr, &gen_cookie, minimal.addr, &minimal_cookie)?;
    let gen_script = script(scratch, "generated", &gen_cookie)?;
    let errors_script = script(scratch, "generated-errors-only", &login(errors_only.addr)?)?;
    let metrics_script = script(scratch, "generated-metrics", &login(metrics.addr)?)?;
    anyhow::ensure!(
        get(metrics.addr, "/metrics")?.status == 200,
        "the METRICS=on server does not serve /metrics"
    );
    let base_script = script(scratch, "baseline", &base_cookie)?;
    let minimal_script = script(scratch, "baseline-minimal", &minimal_cookie)?;

    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    println!(
        "server: POST /api/tasks (tasks.create_task), {cores} cores, wrk -t{cores}, {DURATION_SECS} s per run, body {} bytes",
        BODY.len()
    );
    println!("server: load average before: {}", load_average());
    let mut pass = true;
    for per_core in CONNECTIONS_PER_CORE {
        let conns = per_core * cores;
        for (s, sc) in [
            (&generated, &gen_script),
            (&baseline, &base_script),
            (&errors_only, &errors_script),
            (&minimal, &minimal_script),
            (&metrics, &metrics_script),
        ] {
            s.load(sc, cores, conns, WARMUP_SECS)?;
        }
        // Rounds alternate the order (generated first, then baseline first)
        // so neither server always runs on a warmer or fuller machine.
        // The metrics server runs between the two, beside the generated
        // one, for the metrics-on/off pairs.
        let (mut gs, mut bs, mut ms) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..PAIRS {
            if round % 2 == 0 {
                gs.push(generated.load(&gen_script, cores, conns, DURATION_SECS)?);
                ms.push(metrics.load(&metrics_script, cores, conns, DURATION_SECS)?);
                bs.push(baseline.load(&base_script, cores, conns, DURATION_SECS)?);
            } else {
                bs.push(baseline.load(&base_script, cores, conns, DURATION_SECS)?);
                ms.push(metrics.load(&metrics_script, cores, conns, DURATION_SECS)?);
                gs.push(generated.load(&gen_script, cores, conns, DURATION_SECS)?);
            }
        }
        let e = errors_only.load(&errors_script, cores, conns, DURATION_SECS)?;
        let m = minimal.load(&minimal_script, cores, conns, DURATION_SECS)?;
        let (g, b) = (Load::mean(&gs), Load::mean(&bs));
        let ratios: Vec<f64> = gs.iter().zip(&bs).map(|(g, b)| g.rps / b.rps).collect();
        let ratio = median(&ratios);
        let ok = ratio >= TARGET_RATIO;
        pass &= ok;
        println!("server: {conns} connections ({per_core} per core)");
        println!(
            "server:   generated  {:>9.0} req/s  p99 {:>7.2} ms  CPU {:>5.0} µs/req  (runs {} req/s)",
            g.rps,
            g.p99_ms,
            g.cpu_us,
            Load::list(&gs)
        );
        println!(
            "server:   baseline   {:>9.0} req/s  p99 {:>7.2} ms  CPU {:>5.0} µs/req  (runs {} req/s)",
            b.rps,
            b.p99_ms,
            b.cpu_us,
            Load::list(&bs)
        );
        println!(
            "server:   ratio {ratio:.3} of hand-written throughput (median of {PAIRS} pairs, {:.3} to {:.3}; ratio of means {:.3}), p99 {:.2}x, CPU per request {:.2}x; target >= {TARGET_RATIO}: {}",
            ratios.iter().copied().fold(f64::INFINITY, f64::min),
            ratios.iter().copied().fold(0.0, f64::max),
            g.rps / b.rps,
            g.p99_ms / b.p99_ms,
            g.cpu_us / b.cpu_us,
            if ok { "PASS" } else { "MISS" }
        );
        let mm = Load::mean(&ms);
        let metric_ratios: Vec<f64> = ms.iter().zip(&gs).map(|(m, g)| m.rps / g.rps).collect();
        println!(
            "server:   generated with METRICS=on {:.0} req/s, p99 {:.2} ms, CPU {:.0} µs/req: {:.3} of METRICS=off throughput (median of {PAIRS} pairs, {:.3} to {:.3}), CPU per request {:+.1} µs (runs {} req/s)",
            mm.rps,
            mm.p99_ms,
            mm.cpu_us,
            median(&metric_ratios),
            metric_ratios.iter().copied().fold(f64::INFINITY, f64::min),
            metric_ratios.iter().copied().fold(0.0, f64::max),
            mm.cpu_us - g.cpu_us,
            Load::list(&ms)
        );
        println!(
            "server:   generated with RUN_HISTORY=errors {:.0} req/s, p99 {:.2} ms, CPU {:.0} µs/req: {:.3} of hand-written (for comparison; not the target's configuration)",
            e.rps,
            e.p99_ms,
            e.cpu_us,
            e.rps / b.rps
        );
        println!(
            "server:   minimal hand-written (no event, no run history) {:.0} req/s, p99 {:.2} ms, CPU {:.0} µs/req: generated is {:.3} of it (for comparison)",
            m.rps,
            m.p99_ms,
            m.cpu_us,
            g.rps / m.rps
        );
    }
    println!("server: load average after: {}", load_average());
    println!("server: overall {}", if pass { "PASS" } else { "MISS" });
    Ok(())
}

/// Waits for a baseline to print the session cookie it signed and returns it.
pub(super) fn printed_cookie(server: &Server) -> anyhow::Result<String> {
    server.wait_until(
        |s| s.stdout().contains("Cookie: "),
        "print its session cookie",
    )?;
    server
        .stdout()
        .lines()
        .find_map(|l| l.strip_prefix("Cookie: ").map(str::to_owned))
        .ok_or_else(|| anyhow::anyhow!("the {} server printed no cookie", server.name))
}

/// One running server; killed when dropped.
pub(super) struct Server {
    pub(super) name: &'static str,
    pub(super) addr: SocketAddr,
    child: Child,
    dir: PathBuf,
    /// The CPU the server and its load generator are pinned to
    /// ([`Server::start_pinned`]); `None` when they share every core.
    cpu: Option<Pin>,
}

/// Where a pinned server runs and where its load generator runs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pin {
    pub(super) server: usize,
    pub(super) load: usize,
}

impl Server {
    fn start(
        name: &'static str,
        bin: &Path,
        scratch: &Path,
        env: &[(&str, String)],
    ) -> anyhow::Result<Server> {
        Server::start_pinned(name, bin, scratch, env, None)
    }

    /// [`Server::start`], the server pinned to `pin.server` with `taskset`
    /// (which execs it: the child's pid is the server's) and its load
    /// generator, in [`Server::load`], to `pin.load`.
    pub(super) fn start_pinned(
        name: &'static str,
        bin: &Path,
        scratch: &Path,
        env: &[(&str, String)],
        cpu: Option<Pin>,
    ) -> anyhow::Result<Server> {
        let dir = scratch.join(name);
        std::fs::create_dir_all(&dir)?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = |n: &str| std::fs::File::create(dir.join(n));
        let mut cmd = match cpu {
            Some(pin) => {
                let mut c = Command::new(TASKSET);
                c.args(["-c", &pin.server.to_string()]).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.current_dir(&dir)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
            )
            .env("SESSION_SECRET", SECRET)
            .env("SESSION_COOKIE_SECURE", "false")
            .env("TASKS_INBOUND_EMAIL_SECRET", SECRET)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log("stdout.log")?)
            .stderr(log("stderr.log")?);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .map_err(|e| anyhow::anyhow!("start {}: {e}", bin.display()))?;
        Ok(Server {
            name,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            child,
            dir,
            cpu,
        })
    }

    /// Loads the server's `POST /api/tasks` with wrk and measures the CPU
    /// time its process spent per request meanwhile (all threads, from
    /// `/proc`): steadier than throughput, which swings with scheduling.
    pub(super) fn load(
        &self,
        script: &Path,
        threads: usize,
        conns: usize,
        secs: u32,
    ) -> anyhow::Result<Load> {
        let url = format!("http://{}/api/tasks", self.addr);
        let before = self.cpu_ns();
        let mut load = wrk(&url, script, threads, conns, secs, self.cpu.map(|p| p.load))?;
        let spent = self.cpu_ns().saturating_sub(before);
        load.cpu_us = spent as f64 / 1_000.0 / (load.rps * f64::from(secs)).max(1.0);
        Ok(load)
    }

    /// CPU time of every thread of the process so far, in nanoseconds (the
    /// first field of each `/proc/PID/task/TID/schedstat`).
    fn cpu_ns(&self) -> u64 {
        let tasks = format!("/proc/{}/task", self.child.id());
        std::fs::read_dir(tasks)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
            .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .sum()
    }

    /// The process's peak resident set so far, in KiB (`VmHWM` in
    /// `/proc/PID/status`).
    pub(super) fn peak_rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(self.dir.join("stdout.log")).unwrap_or_default()
    }

    pub(super) fn wait_until(
        &self,
        ready: impl Fn(&Server) -> bool,
        what: &str,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ready(self) {
            if Instant::now() > deadline {
                let err = std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default();
                anyhow::bail!(
                    "the {} server did not {what} within 60 s:\n{}{err}",
                    self.name,
                    self.stdout()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 response.
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) head: String,
    pub(super) body: String,
}

/// One request over a fresh connection (`Connection: close`).
pub(super) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<&str>,
) -> anyhow::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: {c}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or_default());
    stream.write_all(req.as_bytes())?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("no HTTP response from {addr}"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok(Response {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    })
}

pub(super) fn get(addr: SocketAddr, path: &str) -> anyhow::Result<Response> {
    request(addr, "GET", path, None, None)
}

/// Logs in as the generated server's demo user: the `bunbase_session=...` pair.
fn login(addr: SocketAddr) -> anyhow::Result<String> {
    let res = request(
        addr,
        "POST",
        "/api/auth/login",
        None,
        Some(r#"{"email":"demo@example.com","password":"demo-password"}"#),
    )?;
    anyhow::ensure!(
        res.status == 200,
        "demo login answered {}: {}",
        res.status,
        res.body
    );
    res.head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| {
            v.trim()
                .split(';')
                .next()
                .filter(|c| c.starts_with("bunbase_session="))
                .map(str::to_owned)
        })
        .ok_or_else(|| anyhow::anyhow!("the demo login set no session cookie"))
}

/// Both servers answer the benchmark request with 201 and a task of the same
/// shape, and refuse it without a session: they do the same work.
pub(super) fn same_answers(
    gen_addr: SocketAddr,
    gen_cookie: &str,
    base_addr: SocketAddr,
    base_cookie: &str,
) -> anyhow::Result<()> {
    let shape = |addr, cookie| -> anyhow::Result<Vec<(String, String)>> {
        let res = request(addr, "POST", "/api/tasks", Some(cookie), Some(BODY))?;
        anyhow::ensure!(
            res.status == 201,
            "{addr} answered {}: {}",
            res.status,
            res.body
        );
        let v: serde_json::Value = serde_json::from_str(&res.body)?;
        let obj = v
            .as_object()
            .ok_or_else(|| anyhow::anyhow!("{addr} answered no object: {}", res.body))?;
        Ok(obj
            .iter()
            .map(|(k, v)| {
                // Ids and timestamps differ; compare the kind of value and fixed values.
                let kept = matches!(
                    k.as_str(),
                    "title" | "description" | "status" | "tags" | "due_at"
                );
                (
                    k.clone(),
                    if kept {
                        v.to_string()
                    } else {
                        kind(v).to_owned()
                    },
                )
            })
            .collect())
    };
    let (g, b) = (shape(gen_addr, gen_cookie)?, shape(base_addr, base_cookie)?);
    anyhow::ensure!(
        g == b,
        "the servers answer differently:\n generated {g:?}\n baseline  {b:?}"
    );
    for addr in [gen_addr, base_addr] {
        let res = request(addr, "POST", "/api/tasks", None, Some(BODY))?;
        anyhow::ensure!(
            res.status == 401,
            "{addr} accepted a request without a session ({})",
            res.status
        );
        let bad = request(
            addr,
            "POST",
            "/api/tasks",
            Some(if addr == gen_addr {
                gen_cookie
            } else {
                base_cookie
            }),
            Some(r#"{"title":""}"#),
        )?;
        anyhow::ensure!(
            bad.status == 400,
            "{addr} accepted an empty title ({})",
            bad.status
        );
    }
    Ok(())
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// A wrk Lua script sending the benchmark POST with `cookie`.
pub(super) fn script(dir: &Path, name: &str, cookie: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{name}.lua"));
    let lua = format!(
        "wrk.method = \"POST\"\nwrk.body = [[{BODY}]]\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Cookie\"] = [[{cookie}]]\n"
    );
    std::fs::write(&path, lua)?;
    Ok(path)
}

/// The median of `values` (the mean of the middle two for an even count).
pub(super) fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// What one wrk run measured.
pub(super) struct Load {
    pub(super) rps: f64,
    pub(super) p99_ms: f64,
    /// Server CPU time per request, in microseconds ([`Server::load`]).
    pub(super) cpu_us: f64,
}

impl Load {
    pub(super) fn mean(runs: &[Load]) -> Load {
        let n = runs.len().max(1) as f64;
        let avg = |f: fn(&Load) -> f64| runs.iter().map(f).sum::<f64>() / n;
        Load {
            rps: avg(|l| l.rps),
            p99_ms: avg(|l| l.p99_ms),
            cpu_us: avg(|l| l.cpu_us),
        }
    }

    /// The runs' throughputs, `7015 / 7887 / ...`.
    pub(super) fn list(runs: &[Load]) -> String {
        runs.iter()
            .map(|l| format!("{:.0}", l.rps))
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

/// Runs wrk (pinned to CPU `pin` when given) and reads requests/second and
/// the 99th latency percentile; any non-2xx answer or socket error fails
/// the benchmark.
fn wrk(
    url: &str,
    script: &Path,
    threads: usize,
    conns: usize,
    secs: u32,
    pin: Option<usize>,
) -> anyhow::Result<Load> {
    let mut cmd = match pin {
        Some(cpu) => {
            let mut c = Command::new(TASKSET);
            c.args(["-c", &cpu.to_string(), WRK]);
            c
        }
        None => Command::new(WRK),
    };
    let out = cmd
        .args([
            "--latency",
            "-t",
            &threads.to_string(),
            "-c",
            &conns.to_string(),
            "-d",
            &format!("{secs}s"),
            "-s",
        ])
        .arg(script)
        .arg(url)
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "wrk failed: {}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    anyhow::ensure!(
        !text.contains("Non-2xx or 3xx responses") && !text.contains("Socket errors"),
        "wrk saw failures against {url}:\n{text}"
    );
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no Requests/sec in wrk's output:\n{text}"))?;
    let p99_ms = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .and_then(|v| duration_ms(v.trim()))
        .ok_or_else(|| anyhow::anyhow!("no 99% latency in wrk's output:\n{text}"))?;
    Ok(Load {
        rps,
        p99_ms,
        cpu_us: 0.0,
    })
}

/// wrk's durations: `812.00us`, `3.21ms`, `1.02s`, `2.00m`.
fn duration_ms(v: &str) -> Option<f64> {
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = v.split_at(split);
    let n: f64 = n.parse().ok()?;
    Some(match unit {
        "us" => n / 1_000.0,
        "ms" => n,
        "s" => n * 1_000.0,
        "m" => n * 60_000.0,
        _ => return None,
    })
}

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`).
pub(super) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[0.9, 1.2, 0.8]), 0.9);
        assert_eq!(median(&[1.0, 0.5, 0.9, 2.0]), 0.95);
        assert!(median(&[]).is_nan());
    }
}
