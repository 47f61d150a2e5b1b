//! The `queue` benchmark: the runtime's job queue against graphile-worker 0.18 on the same PostgreSQL in the same run (burn-down of 100,000 no-op jobs with and without batching, pickup latency with wake-ups), plus an SQLite burn-down on its own.
//!
//! The PostgreSQL comparison runs the peer-queue harness (`run.sh`), which
//! lives outside the repository: `BUNBASE_PEER_QUEUE` names its folder,
//! else `../shared/peers/queue` or `../../shared/peers/queue` from the
//! repository root is used. The harness starts its own PostgreSQL cluster
//! (127.0.0.1:5433, never the shared server), installs graphile-worker into
//! `/tmp/peer-queue-node`, and runs both arms interleaved, pinned to one
//! core each. Our arm is `runtime-support/examples/queue_bench.rs`, built
//! in release. `BUNBASE_BENCH_QUEUE_ARGS` passes options to the harness
//! (`--quick`, `--rounds 1`, `--cases ...`).
//!
//! Targets: batched burn-down at least 1.5x graphile-worker's, and pickup
//! p50 and p99 both below graphile-worker's, each in the same run (medians
//! over the rounds).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const BURN_TARGET: f64 = 1.5;

/// Runs the benchmark and prints its figures.
pub fn run() -> anyhow::Result<()> {
    let root = crate::project_root();
    let bin = build(&root)?;
    println!(
        "queue: load average before: {}",
        super::server::load_average()
    );
    sqlite_burn(&bin)?;
    let harness = harness(&root)?;
    let out = std::env::temp_dir().join(format!("bunbase-bench-queue-{}", std::process::id()));
    let extra: Vec<String> = std::env::var("BUNBASE_BENCH_QUEUE_ARGS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    println!(
        "queue: PostgreSQL, graphile-worker 0.18 vs bunbase, harness {} {}",
        harness.display(),
        extra.join(" ")
    );
    let st = Command::new("bash")
        .arg(harness.join("run.sh"))
        .arg("--arm")
        .arg(format!("bunbase={}", bin.display()))
        .arg("--out")
        .arg(&out)
        .args(&extra)
        .status()?;
    anyhow::ensure!(
        st.success(),
        "the peer-queue harness failed ({st}); see {}",
        out.display()
    );
    let verdict = report(&out.join("runs.tsv"));
    println!(
        "queue: load average after: {}",
        super::server::load_average()
    );
    println!("queue: results kept in {}", out.display());
    verdict
}

fn build(root: &Path) -> anyhow::Result<PathBuf> {
    println!("queue: building runtime-support/examples/queue_bench.rs (release)");
    let st = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args([
            "build",
            "--quiet",
            "--release",
            "-p",
            "bunbase-runtime",
            "--example",
            "queue_bench",
        ])
        .status()?;
    anyhow::ensure!(st.success(), "building the queue bench arm failed ({st})");
    Ok(root.join("target/release/examples/queue_bench"))
}

fn harness(root: &Path) -> anyhow::Result<PathBuf> {
    let candidates: Vec<PathBuf> = std::env::var_os("BUNBASE_PEER_QUEUE")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            root.join("../shared/peers/queue"),
            root.join("../../shared/peers/queue"),
        ])
        .collect();
    candidates
        .iter()
        .find(|d| d.join("run.sh").exists())
        .cloned()
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the peer-queue harness (run.sh, driver.py, graphile/) is not in {:?}: set BUNBASE_PEER_QUEUE to its folder",
                candidates
            )
        })
}

/// The SQLite burn-down, reported on its own (no peer: graphile-worker is
/// PostgreSQL only).
fn sqlite_burn(bin: &Path) -> anyhow::Result<()> {
    let dir =
        std::env::temp_dir().join(format!("bunbase-bench-queue-sqlite-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}/q.db?mode=rwc", dir.display());
    let out = Command::new(bin)
        .env("DATABASE_URL", &url)
        .env("QB_CASE", "burn")
        .env("QB_BATCHED", "1")
        .env("QB_CONCURRENCY", "16")
        .env("QB_N", "100000")
        .output()?;
    let _ = std::fs::remove_dir_all(&dir);
    anyhow::ensure!(
        out.status.success(),
        "SQLite burn-down failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("RESULT {k} ")))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    println!(
        "queue: SQLite (file, WAL), 100,000 no-op jobs, batched, concurrency 16: enqueue {:.0} jobs/s, burn-down {:.0} jobs/s",
        get("enqueue_jobs_per_s"),
        get("burn_jobs_per_s")
    );
    Ok(())
}

/// Medians per (case, arm, key) from the harness's `runs.tsv`, a table,
/// and PASS/MISS per target.
fn report(tsv: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(tsv)?;
    let mut values: BTreeMap<(String, String, String), Vec<f64>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if let [_, case, arm, key, value] = f[..]
            && let Ok(v) = value.parse::<f64>()
        {
            values
                .entry((case.to_owned(), arm.to_owned(), key.to_owned()))
                .or_default()
                .push(v);
        }
    }
    let median = |case: &str, arm: &str, key: &str| -> Option<f64> {
        let mut v = values
            .get(&(case.to_owned(), arm.to_owned(), key.to_owned()))?
            .clone();
        v.sort_by(f64::total_cmp);
        Some(v[v.len() / 2])
    };
    let cases: Vec<String> = values
        .keys()
        .map(|(c, _, _)| c.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    println!("queue: medians (graphile | bunbase):");
    let mut pass = true;
    for case in &cases {
        let keys: &[&str] = if case.starts_with("burn") {
            &["burn_jobs_per_s", "enqueue_jobs_per_s"]
        } else {
            &["pickup_p50_ms", "pickup_p99_ms"]
        };
        for key in keys {
            let (g, b) = (median(case, "graphile", key), median(case, "bunbase", key));
            println!(
                "  {case:<20} {key:<20} {:>12} | {:>12}",
                g.map_or("-".into(), |v| format!("{v:.2}")),
                b.map_or("-".into(), |v| format!("{v:.2}"))
            );
        }
        if case.starts_with("burn")
            && case.ends_with("batched")
            && let (Some(g), Some(b)) = (
                median(case, "graphile", "burn_jobs_per_s"),
                median(case, "bunbase", "burn_jobs_per_s"),
            )
        {
            let ratio = b / g;
            let ok = ratio >= BURN_TARGET;
            pass &= ok;
            println!(
                "  {case}: {ratio:.2}x graphile-worker's burn-down (target >= {BURN_TARGET}x): {}",
                if ok { "PASS" } else { "MISS" }
            );
        }
        if case.starts_with("pickup") {
            for key in ["pickup_p50_ms", "pickup_p99_ms"] {
                if let (Some(g), Some(b)) =
                    (median(case, "graphile", key), median(case, "bunbase", key))
                {
                    let ok = b < g;
                    pass &= ok;
                    println!(
                        "  {case} {key}: {b:.2} ms vs {g:.2} ms (target below graphile-worker's): {}",
                        if ok { "PASS" } else { "MISS" }
                    );
                }
            }
        }
    }
    if !pass {
        println!("queue: at least one target missed");
    }
    Ok(())
}
