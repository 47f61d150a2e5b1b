//! The `overhead` benchmark: the framework's own cost. A generated endpoint whose handler does no I/O against a hand-written axum endpoint doing the same work, server on one core and wrk on the other.
//!
//! The generated side is `tests/bench-noio/`: a contract (`contracts/`,
//! `tasks.create_task` behind the `authenticated` guard, the same input
//! and `Task` as the tasks example, no event) and a hand-written server
//! crate (`server/`, whose handler builds the task in memory). It is
//! generated into `target/generated-ws/bench-noio` with the example's
//! `Cargo.lock` (the same dependency versions, so they compile once) and
//! built in release. The hand-written side is `tests/bench-baseline` with
//! `BENCH_BASELINE=noio`: the same signed-cookie check, content type,
//! serde decoding with every violation listed, the task built in memory,
//! 201; no database, trace id, run history or log line. Both use mimalloc.
//!
//! For each load setting ([`CONNECTIONS`]) fresh servers start (so each
//! setting's peak RSS is its own), pinned with `taskset` to CPU 0 while wrk
//! (one thread) runs on CPU 1. After a warm-up, [`PAIRS`] pairs of runs
//! alternate which server goes first; the verdict takes the median of the
//! pairs' ratios, which cancels the drift of a shared machine. Between the
//! two of each pair the generated server runs once more with
//! `RUN_HISTORY=all`, to show what storing every run costs (the default,
//! `sampled`, stores every failure and at most 100 successes of an action a
//! second). Reported per
//! setting: throughput ratio, p99 ratio, server CPU per request and peak
//! RSS (`VmHWM`). Targets (issue 18): throughput >= 0.95, p99 <= 1.1x,
//! peak RSS < 2x. The generated server turns transparent huge pages off
//! (`HUGE_PAGES=off`, the runtime's default); for comparison, a second
//! hand-written server with `MIMALLOC_ALLOW_THP=0`, loaded during the
//! warm-up only, reports its peak RSS.
//!
//! Wall-clock figures on a shared machine swing by a tenth; for counts that
//! repeat, `xtask/callgrind/overhead.sh` builds the same two servers and
//! counts each one's instructions per request (every thread) under
//! callgrind over a fixed number of requests.

use std::path::Path;

use bunbase::write::{self, DirTree, PlanOptions};

use super::server::{
    BODY, Load, Pin, Server, build, get, load_average, median, printed_cookie, same_answers, script,
};

/// Connections of each load setting.
const CONNECTIONS: [usize; 2] = [16, 64];
const DURATION_SECS: u32 = 5;
const WARMUP_SECS: u32 = 3;
/// Pairs of measured runs per load setting.
const PAIRS: usize = 6;
const TARGET_RATIO: f64 = 0.95;
const TARGET_P99: f64 = 1.1;
const TARGET_RSS: f64 = 2.0;
/// The server's CPU and wrk's.
const PIN: Pin = Pin { server: 0, load: 1 };

/// Generates and builds both servers, then runs the benchmark.
pub fn run() -> anyhow::Result<()> {
    anyhow::ensure!(
        Path::new(super::server::WRK).exists(),
        "wrk is missing: apt-get install wrk"
    );
    anyhow::ensure!(
        Path::new(super::server::TASKSET).exists(),
        "taskset is missing: apt-get install util-linux"
    );
    let root = crate::project_root();
    let target = root.join("target/generated-ws");
    let project = generate(&root, &target.join("bench-noio"))?;
    build(&project.join("Cargo.toml"), &target)?;
    build(&root.join("tests/bench-baseline/Cargo.toml"), &target)?;
    let scratch =
        std::env::temp_dir().join(format!("bunbase-bench-overhead-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let result = bench(&target.join("release"), &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// Generates `tests/bench-noio/contracts` into `out` the way `bunbase gen`
/// does and puts the bench's own server files over the scaffold.
fn generate(root: &Path, out: &Path) -> anyhow::Result<std::path::PathBuf> {
    let src = root.join("tests/bench-noio");
    let runtime = bunbase::builder::runtime_path(out, &root.join("runtime-support"));
    let (files, _warnings) =
        bunbase::builder::emit_dir(&src.join("contracts"), out, Some(runtime))?;
    let plan = write::plan(
        &files,
        &DirTree(out.to_path_buf()),
        PlanOptions { force: true },
    )?;
    write::apply(&plan, out)?;
    let server_src = out.join("crates/noio-server/src");
    for file in std::fs::read_dir(src.join("server"))? {
        let file = file?;
        std::fs::copy(file.path(), server_src.join(file.file_name()))?;
    }
    if !out.join("Cargo.lock").exists() {
        std::fs::copy(
            root.join("generated-example/Cargo.lock"),
            out.join("Cargo.lock"),
        )?;
    }
    Ok(out.to_path_buf())
}

fn bench(bin: &Path, scratch: &Path) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    anyhow::ensure!(cores >= 2, "the overhead benchmark needs two CPUs");
    println!(
        "overhead: POST /api/tasks, handler without I/O; server on CPU {}, wrk -t1 on CPU {}; {DURATION_SECS} s per run, {PAIRS} pairs, body {} bytes",
        PIN.server,
        PIN.load,
        BODY.len()
    );
    println!("overhead: load average before: {}", load_average());
    let mut pass = true;
    for conns in CONNECTIONS {
        pass &= setting(bin, scratch, conns)?;
    }
    println!("overhead: load average after: {}", load_average());
    println!("overhead: overall {}", if pass { "PASS" } else { "MISS" });
    Ok(())
}

/// One load setting on fresh servers; whether every target is met.
fn setting(bin: &Path, scratch: &Path, conns: usize) -> anyhow::Result<bool> {
    let dir = scratch.join(format!("c{conns}"));
    std::fs::create_dir_all(&dir)?;
    let start = |name, binary: &str, env: &[(&str, String)]| {
        Server::start_pinned(name, &bin.join(binary), &dir, env, Some(PIN))
    };
    let generated = start("generated", "noio-server", &[])?;
    let all = start(
        "generated-history-all",
        "noio-server",
        &[("RUN_HISTORY", "all".to_owned())],
    )?;
    let baseline = start(
        "baseline",
        "bench-baseline",
        &[("BENCH_BASELINE", "noio".to_owned())],
    )?;
    // The generated server turns transparent huge pages off (`HUGE_PAGES`,
    // default off); the hand-written one keeps the system's policy. For
    // comparison only, the hand-written server with them off too, loaded
    // during the warm-up alone (its peak RSS is all it reports).
    let baseline_no_thp = start(
        "baseline-no-thp",
        "bench-baseline",
        &[
            ("BENCH_BASELINE", "noio".to_owned()),
            ("MIMALLOC_ALLOW_THP", "0".to_owned()),
        ],
    )?;
    for s in [&generated, &all] {
        s.wait_until(
            |s| get(s.addr, "/readyz").is_ok_and(|r| r.status == 200),
            "answer /readyz",
        )?;
    }
    let (gen_cookie, all_cookie, base_cookie, no_thp_cookie) = (
        printed_cookie(&generated)?,
        printed_cookie(&all)?,
        printed_cookie(&baseline)?,
        printed_cookie(&baseline_no_thp)?,
    );
    same_answers(generated.addr, &gen_cookie, baseline.addr, &base_cookie)?;
    let gen_script = script(&dir, "generated", &gen_cookie)?;
    let all_script = script(&dir, "generated-history-all", &all_cookie)?;
    let base_script = script(&dir, "baseline", &base_cookie)?;
    let no_thp_script = script(&dir, "baseline-no-thp", &no_thp_cookie)?;
    for (s, sc) in [
        (&generated, &gen_script),
        (&all, &all_script),
        (&baseline, &base_script),
        (&baseline_no_thp, &no_thp_script),
    ] {
        s.load(sc, 1, conns, WARMUP_SECS)?;
    }
    let (mut gs, mut alls, mut bs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..PAIRS {
        if round % 2 == 0 {
            gs.push(generated.load(&gen_script, 1, conns, DURATION_SECS)?);
            alls.push(all.load(&all_script, 1, conns, DURATION_SECS)?);
            bs.push(baseline.load(&base_script, 1, conns, DURATION_SECS)?);
        } else {
            bs.push(baseline.load(&base_script, 1, conns, DURATION_SECS)?);
            alls.push(all.load(&all_script, 1, conns, DURATION_SECS)?);
            gs.push(generated.load(&gen_script, 1, conns, DURATION_SECS)?);
        }
    }
    let ratios = |a: &[Load], b: &[Load], f: fn(&Load) -> f64| -> Vec<f64> {
        a.iter().zip(b).map(|(a, b)| f(a) / f(b)).collect()
    };
    let rps = ratios(&gs, &bs, |l| l.rps);
    let p99 = ratios(&gs, &bs, |l| l.p99_ms);
    let all_rps = ratios(&alls, &bs, |l| l.rps);
    let all_p99 = ratios(&alls, &bs, |l| l.p99_ms);
    let (g_rss, a_rss, b_rss) = (
        generated.peak_rss_kib(),
        all.peak_rss_kib(),
        baseline.peak_rss_kib(),
    );
    let (rps_ratio, p99_ratio) = (median(&rps), median(&p99));
    let rss_ratio = g_rss as f64 / b_rss.max(1) as f64;
    let ok = rps_ratio >= TARGET_RATIO && p99_ratio <= TARGET_P99 && rss_ratio < TARGET_RSS;
    let line = |name: &str, runs: &[Load], rss: u64| {
        let m = Load::mean(runs);
        println!(
            "overhead:   {name:<22} {:>8.0} req/s  p99 {:>6.2} ms  CPU {:>5.1} µs/req  peak RSS {:>6.1} MiB  (runs {} req/s)",
            m.rps,
            m.p99_ms,
            m.cpu_us,
            rss as f64 / 1024.0,
            Load::list(runs)
        );
    };
    println!("overhead: {conns} connections");
    line("generated", &gs, g_rss);
    line("generated RUN_HISTORY=all", &alls, a_rss);
    line("hand-written", &bs, b_rss);
    let spread = |v: &[f64]| {
        format!(
            "{:.3} to {:.3}",
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(0.0, f64::max)
        )
    };
    println!(
        "overhead:   generated/hand-written: throughput {rps_ratio:.3} (median of {PAIRS} pairs, {}), p99 {p99_ratio:.2}x ({}), CPU per request {:.2}x, peak RSS {rss_ratio:.2}x; targets >= {TARGET_RATIO}, <= {TARGET_P99}x, < {TARGET_RSS}x: {}",
        spread(&rps),
        spread(&p99),
        Load::mean(&gs).cpu_us / Load::mean(&bs).cpu_us,
        if ok { "PASS" } else { "MISS" }
    );
    println!(
        "overhead:   with RUN_HISTORY=all: throughput {:.3}, p99 {:.2}x, peak RSS {:.2}x (for comparison)",
        median(&all_rps),
        median(&all_p99),
        a_rss as f64 / b_rss.max(1) as f64
    );
    let no_thp_rss = baseline_no_thp.peak_rss_kib();
    println!(
        "overhead:   hand-written with MIMALLOC_ALLOW_THP=0 (warm-up only): peak RSS {:.1} MiB; generated/that: {:.2}x (for comparison)",
        no_thp_rss as f64 / 1024.0,
        g_rss as f64 / no_thp_rss.max(1) as f64
    );
    Ok(ok)
}
