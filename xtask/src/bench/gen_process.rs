//! The `gen` benchmark's whole-process half: the release `bunbase gen` binary on the 1,000-action set (wall time, peak memory, output bytes) and, on a 200-action set, a debug rebuild after a one-line contract change (gen + `cargo build`).
//!
//! What a user waits for is the process, not the engine: start-up, reading
//! the contracts, every emitter, formatting and writing, then cargo. The
//! figures are set against the ones measured before the generated-code
//! refactor of issue 13 (0.95 s, 316 MiB and 37 MB for the 1,000-action
//! set; 7.6 s for the 200-action rebuild) and against its targets.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Whole `bunbase gen` runs timed on the 1,000-action set.
const RUNS: usize = 5;
/// Rebuilds timed on the 200-action set.
const REBUILDS: usize = 3;

const TARGET_WALL: Duration = Duration::from_millis(450);
const TARGET_RSS_MIB: f64 = 150.0;
const BEFORE_WALL_S: f64 = 0.95;
const BEFORE_RSS_MIB: f64 = 316.0;
const BEFORE_BYTES: f64 = 37.0e6;
const TARGET_REBUILD: Duration = Duration::from_secs(4);
const BEFORE_REBUILD_S: f64 = 7.6;

/// Runs both halves and prints their figures.
pub fn run(scratch: &Path) -> anyhow::Result<()> {
    let root = crate::project_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let st = Command::new(&cargo)
        .current_dir(&root)
        .args(["build", "--quiet", "--release", "--package", "bunbase"])
        .status()?;
    anyhow::ensure!(st.success(), "building the release bunbase binary failed");
    let bin = root.join("target/release/bunbase");
    let runtime = root.join("runtime-support");

    let contracts = scratch.join("contracts-1000");
    write_set(&super::frontend::synthetic(), &contracts)?;
    let mut walls = Vec::new();
    let mut peaks = Vec::new();
    let mut bytes = 0;
    let mut files = 0;
    for i in 0..=RUNS {
        let out = scratch.join(format!("out-{i}"));
        let start = Instant::now();
        let peak = run_gen(&bin, &contracts, &out, &runtime)?;
        let wall = start.elapsed();
        (files, bytes) = tree_size(&out)?;
        std::fs::remove_dir_all(&out)?;
        // The first run fills the page cache; it is not counted.
        if i > 0 {
            walls.push(wall);
            peaks.extend(peak);
        }
    }
    walls.sort();
    let wall = walls[walls.len() / 2];
    let rss = peaks.iter().copied().reduce(f64::max);
    println!(
        "gen: whole `bunbase gen` process, 1,000 actions: median wall {:.0} ms over {RUNS} runs (before {:.0} ms, target < {} ms: {})",
        wall.as_secs_f64() * 1e3,
        BEFORE_WALL_S * 1e3,
        TARGET_WALL.as_millis(),
        verdict(wall < TARGET_WALL)
    );
    if let Some(rss) = rss {
        println!(
            "gen:   peak memory {rss:.0} MiB (before {BEFORE_RSS_MIB:.0} MiB, target < {TARGET_RSS_MIB:.0} MiB: {})",
            verdict(rss < TARGET_RSS_MIB)
        );
    }
    println!(
        "gen:   output {files} files, {:.1} MB = {:.2}x of before ({:.0} MB; target at most 0.50x: {})",
        bytes as f64 / 1e6,
        bytes as f64 / BEFORE_BYTES,
        BEFORE_BYTES / 1e6,
        verdict(bytes as f64 <= BEFORE_BYTES / 2.0)
    );
    rebuild(&bin, &cargo, &runtime, scratch)
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "MISS" }
}

/// The 200-action rebuild: generate and build once (not timed), then
/// [`REBUILDS`] times change one action's description, regenerate and
/// build, timed as a whole.
fn rebuild(bin: &Path, cargo: &str, runtime: &Path, scratch: &Path) -> anyhow::Result<()> {
    let sources = super::frontend::synthetic_sized(10);
    let contracts = scratch.join("contracts-200");
    write_set(&sources, &contracts)?;
    let ws = scratch.join("ws-200");
    let target = crate::project_root().join("target/generated-ws");
    let build = || -> anyhow::Result<()> {
        let st = Command::new(cargo)
            .current_dir(&ws)
            .env("CARGO_TARGET_DIR", &target)
            .args(["build", "--quiet", "--workspace"])
            .status()?;
        anyhow::ensure!(st.success(), "building the 200-action workspace failed");
        Ok(())
    };
    run_gen(bin, &contracts, &ws, runtime)?;
    build()?;
    // The API crate's Rust, now in two crates (`-api` and `-types`).
    let api_lines =
        count_lines(&ws.join("crates"), "-api")? + count_lines(&ws.join("crates"), "-types")?;
    let module = contracts.join("group0/mod0.yaml");
    let text = std::fs::read_to_string(&module)?;
    let mut times = Vec::new();
    for i in 0..REBUILDS {
        let changed = text.replacen("summary: Create", &format!("summary: Create ({i})"), 1);
        anyhow::ensure!(
            changed != text,
            "the synthetic set has no `summary: Create` line"
        );
        std::fs::write(&module, changed)?;
        let start = Instant::now();
        run_gen(bin, &contracts, &ws, runtime)?;
        let generated = start.elapsed();
        build()?;
        let t = start.elapsed();
        println!(
            "gen:   rebuild {}: {:.2} s (gen {:.2} s, cargo build {:.2} s)",
            i + 1,
            t.as_secs_f64(),
            generated.as_secs_f64(),
            (t - generated).as_secs_f64()
        );
        times.push(t);
    }
    std::fs::write(&module, text)?;
    times.sort();
    let t = times[times.len() / 2];
    println!(
        "gen: 200 actions, API and types crates {api_lines} lines of Rust: one-line contract change, gen + debug `cargo build` median {:.2} s over {REBUILDS} (before {BEFORE_REBUILD_S} s, target < {} s: {})",
        t.as_secs_f64(),
        TARGET_REBUILD.as_secs(),
        verdict(t < TARGET_REBUILD)
    );
    Ok(())
}

/// Runs `bunbase gen` and returns its peak resident set in MiB (from
/// `wait4`, so only that process counts; `None` off Linux).
fn run_gen(
    bin: &Path,
    contracts: &Path,
    out: &Path,
    runtime: &Path,
) -> anyhow::Result<Option<f64>> {
    let child = Command::new(bin)
        .arg("gen")
        .arg(contracts)
        .arg("--out")
        .arg(out)
        .arg("--standalone")
        .arg("--runtime-path")
        .arg(runtime)
        .stdout(Stdio::null())
        .spawn()?;
    let pid = libc::pid_t::try_from(child.id())?;
    let mut status = 0;
    // SAFETY: wait4 writes into the zeroed struct and the int we own; the
    // child is reaped here, so `child` is dropped without waiting.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    anyhow::ensure!(rc == pid, "waiting for bunbase gen failed");
    anyhow::ensure!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "bunbase gen {} failed (status {status})",
        contracts.display()
    );
    drop(child);
    Ok(Some(usage.ru_maxrss as f64 / 1024.0))
}

fn write_set(sources: &bunbase::source::SourceSet, dir: &Path) -> anyhow::Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    for (path, text) in &sources.files {
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(file, text)?;
    }
    Ok(())
}

/// Files and bytes under `dir`.
fn tree_size(dir: &Path) -> anyhow::Result<(usize, u64)> {
    let mut stack = vec![PathBuf::from(dir)];
    let (mut files, mut bytes) = (0, 0);
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            let meta = e.metadata()?;
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                files += 1;
                bytes += meta.len();
            }
        }
    }
    Ok((files, bytes))
}

/// Lines of the `.rs` files of the crate folder under `crates` whose name
/// ends with `suffix`.
fn count_lines(crates: &Path, suffix: &str) -> anyhow::Result<usize> {
    let mut n = 0;
    for e in std::fs::read_dir(crates)? {
        let p = e?.path();
        if p.file_name()
            .is_some_and(|f| f.to_string_lossy().ends_with(suffix))
        {
            for f in std::fs::read_dir(p.join("src"))? {
                let f = f?.path();
                if f.extension().is_some_and(|x| x == "rs") {
                    n += std::fs::read_to_string(&f)?.lines().count();
                }
            }
        }
    }
    Ok(n)
}
