//! The `guards` benchmark: what the guard chain (session read from its table, role from the database through the cache, a rate limit) costs per request, against the same action unguarded (target: under 10 % on SQLite with the in-process limiter; reported with Redis).
//!
//! The measuring itself is the runtime's `guard_chain` example, built and
//! run here in release: it serves one action that inserts a row through the
//! whole request layer in process, with and without the chain, in pairs of
//! short runs, and prints `RESULT <limiter> <overhead>` lines: the median
//! over the pairs of the extra CPU time per request (all of the process's
//! threads), the figure a busy machine disturbs least; throughput is
//! printed beside it. Redis is measured when `BUNBASE_TEST_REDIS_URL` is set
//! (`.ci/run` sets it).

use std::process::Command;

use anyhow::{Context, bail};

use crate::project_root;

/// The target for the in-process limiter.
const TARGET: f64 = 0.10;

/// Runs the benchmark and prints its figures.
pub fn run() -> anyhow::Result<()> {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "machine load before (1, 5, 15 min): {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(project_root())
        .args([
            "run",
            "--quiet",
            "--release",
            "--package",
            "bunbase-runtime",
            "--example",
            "guard_chain",
        ])
        .output()
        .context("running the guard_chain example")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "the guard_chain example failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut memory = None;
    for line in stdout.lines() {
        match line.strip_prefix("RESULT ") {
            Some(rest) => {
                let (label, value) = rest.split_once(' ').unwrap_or((rest, ""));
                let value: f64 = value.parse().context("a RESULT line's figure")?;
                if label == "memory" {
                    memory = Some(value);
                }
            }
            None => println!("{line}"),
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "machine load after (1, 5, 15 min): {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let memory = memory.context("the example printed no in-memory result")?;
    let verdict = if memory < TARGET { "PASS" } else { "MISS" };
    println!(
        "guard chain with the in-process limiter: {:+.1} % CPU per request (target < {:.0} %): {verdict}",
        memory * 100.0,
        TARGET * 100.0
    );
    Ok(())
}
