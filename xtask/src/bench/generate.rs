//! The `gen` benchmark: the whole `bunbase gen` process ([`super::gen_process`]), then its engine (compile, emit every target, plan and write) in this process, on the synthetic 1,000-action contract set.
//!
//! `BUNBASE_BENCH_CONTRACTS=DIR` also writes the set to `DIR`, so the
//! `bunbase` binary can be timed on it (`time bunbase gen DIR --out OUT`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bunbase::emit::{self, GenOptions, GeneratedFile, RuntimeSource};
use bunbase::write::{self, PlanOptions};

const RUNS: usize = 7;
/// The target for a whole generation (release build).
const TARGET: Duration = Duration::from_secs(1);

/// The stages of one generation, in order.
const STAGES: [&str; 3] = ["compile", "emit (all targets)", "write plan + apply"];

/// Runs the benchmark and prints its figures.
pub fn run() -> anyhow::Result<()> {
    let sources = super::frontend::synthetic();
    let opts = GenOptions {
        runtime: RuntimeSource::Path(
            crate::project_root()
                .join("runtime-support")
                .display()
                .to_string(),
        ),
        contracts_label: "contracts".to_owned(),
    };
    let scratch = std::env::temp_dir().join(format!("bunbase-bench-gen-{}", std::process::id()));
    if let Some(dir) = std::env::var_os("BUNBASE_BENCH_CONTRACTS") {
        // Writes the synthetic set out, to time the `bunbase gen` binary on it.
        let dir = PathBuf::from(dir);
        for (path, text) in &sources.files {
            let file = dir.join(path);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(file, text)?;
        }
        println!("gen: wrote the synthetic contracts to {}", dir.display());
    }
    // The whole process first, while this one is still small: a child's
    // peak RSS (`wait4`) counts the address space it was spawned from up
    // to its `exec` (Linux records the old memory's high-water mark
    // then), and the in-process runs below grow this process past the
    // peak being measured.
    let process = scratch.join("process");
    let whole = super::gen_process::run(&process);
    let result = measure(&sources, &opts, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    whole?;
    let (runs, files, bytes, actions) = result?;
    let detail = detail(&sources, &opts)?;

    let median = |f: &dyn Fn(&Run) -> Duration| {
        let mut v: Vec<Duration> = runs.iter().map(f).collect();
        v.sort();
        v[v.len() / 2]
    };
    let total = median(&|r| r.total);
    println!(
        "gen: synthetic set of {actions} actions -> {files} files, {} KiB; {RUNS} runs, each into a fresh folder",
        bytes / 1024
    );
    for (i, stage) in STAGES.iter().enumerate() {
        println!(
            "gen:   {stage:<20} median {:>8.1} ms",
            ms(median(&|r| r.stages[i]))
        );
    }
    println!(
        "gen:     each emitter alone: rust {:.1} ms, openapi {:.1} ms, ts {:.1} ms; re-formatting the {} .rs files ({} KiB) on one thread takes {:.1} ms",
        ms(detail.rust),
        ms(detail.openapi),
        ms(detail.ts),
        detail.rs_files,
        detail.rs_bytes / 1024,
        ms(detail.format),
    );
    let largest: Vec<String> = detail
        .largest
        .iter()
        .map(|(p, b)| format!("{p} {} KiB", b / 1024))
        .collect();
    println!("gen:     largest .rs files: {}", largest.join(", "));
    let mut totals: Vec<Duration> = runs.iter().map(|r| r.total).collect();
    totals.sort();
    println!(
        "gen: total median {:.1} ms (min {:.1}, max {:.1}); target < {} ms: {}",
        ms(total),
        ms(totals[0]),
        ms(totals[RUNS - 1]),
        TARGET.as_millis(),
        if total < TARGET { "PASS" } else { "MISS" }
    );
    let mut cpu: Vec<Duration> = runs.iter().filter_map(|r| r.cpu).collect();
    cpu.sort();
    if let Some(c) = cpu.get(cpu.len() / 2) {
        // On a shared machine wall time includes waiting for a core.
        println!(
            "gen: median CPU time of the process (all threads) {:.0} ms on {} cores (load average {})",
            ms(*c),
            std::thread::available_parallelism().map_or(1, |n| n.get()),
            super::server::load_average()
        );
    }
    Ok(())
}

/// CPU time consumed by this process, all threads included (Linux:
/// `utime + stime` of `/proc/self/stat`, in clock ticks of 10 ms).
fn process_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at state.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The stage times of one generation.
struct Run {
    stages: [Duration; 3],
    total: Duration,
    /// CPU time of the whole process, every thread (`None` off Linux).
    cpu: Option<Duration>,
}

/// Runs the generation `RUNS` times (after one warm-up) and returns the
/// timings with the number of files, their bytes and the number of actions.
fn measure(
    sources: &bunbase::source::SourceSet,
    opts: &GenOptions,
    scratch: &Path,
) -> anyhow::Result<(Vec<Run>, usize, usize, usize)> {
    let mut runs = Vec::with_capacity(RUNS);
    let (mut files, mut bytes, mut actions) = (0, 0, 0);
    for i in 0..=RUNS {
        let out = scratch.join(format!("run{i}"));
        let (run, generated, n) = once(sources, opts, &out)?;
        std::fs::remove_dir_all(&out)?;
        files = generated.len();
        bytes = generated.iter().map(|f| f.contents.len()).sum();
        actions = n;
        // The first run warms caches and the allocator; it is not counted.
        if i > 0 {
            runs.push(run);
        }
    }
    Ok((runs, files, bytes, actions))
}

/// One generation into `out`, stage by stage, as `bunbase gen` does it:
/// compile, `emit::generate` (the emitters run concurrently), write.
fn once(
    sources: &bunbase::source::SourceSet,
    opts: &GenOptions,
    out: &Path,
) -> anyhow::Result<(Run, Vec<GeneratedFile>, usize)> {
    let mut stages = [Duration::ZERO; 3];
    let cpu_start = process_cpu_time();
    let start = Instant::now();
    let mut lap = Instant::now();
    let mut next = |i: usize| {
        stages[i] = lap.elapsed();
        lap = Instant::now();
    };
    let compiled = bunbase::compile(sources)
        .map_err(|d| anyhow::anyhow!("the synthetic set does not compile: {} errors", d.len()))?;
    next(0);
    let files = emit::generate(&compiled.ir, opts);
    next(1);
    let plan = write::plan(
        &files,
        &write::DirTree(PathBuf::from(out)),
        PlanOptions { force: false },
    )?;
    write::apply(&plan, out)?;
    next(2);
    let total = start.elapsed();
    let cpu = cpu_start
        .zip(process_cpu_time())
        .map(|(a, b)| b.saturating_sub(a));
    Ok((
        Run { stages, total, cpu },
        files,
        compiled.ir.actions().count(),
    ))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// Each emitter timed alone, one after another, and what part of the Rust
/// emitter is formatting.
struct Detail {
    rust: Duration,
    openapi: Duration,
    ts: Duration,
    /// Re-parsing and printing the emitted `.rs` files on one thread.
    format: Duration,
    rs_files: usize,
    rs_bytes: usize,
    /// The three largest `.rs` files: path and bytes.
    largest: Vec<(String, usize)>,
}

/// Times the emitters one at a time (`emit::generate` runs them
/// concurrently). Re-parsing and pretty-printing the Rust output on one
/// thread approximates the formatting share of the Rust emitter's work.
fn detail(sources: &bunbase::source::SourceSet, opts: &GenOptions) -> anyhow::Result<Detail> {
    let ir = bunbase::compile(sources)
        .map_err(|d| anyhow::anyhow!("the synthetic set does not compile: {} errors", d.len()))?
        .ir;
    let start = Instant::now();
    let rust_files = emit::rust::emit(&ir, opts);
    let rust = start.elapsed();
    let start = Instant::now();
    std::hint::black_box(emit::openapi::emit(&ir, opts));
    let openapi = start.elapsed();
    let start = Instant::now();
    std::hint::black_box(emit::ts::emit(&ir, opts));
    let ts = start.elapsed();
    let mut rs: Vec<GeneratedFile> = rust_files
        .into_iter()
        .filter(|f| f.path.ends_with(".rs"))
        .collect();
    let start = Instant::now();
    for f in &rs {
        let file = syn::parse_file(&f.contents)
            .map_err(|e| anyhow::anyhow!("{} does not parse: {e}", f.path))?;
        std::hint::black_box(prettyplease::unparse(&file));
    }
    let format = start.elapsed();
    rs.sort_by_key(|f| std::cmp::Reverse(f.contents.len()));
    Ok(Detail {
        rust,
        openapi,
        ts,
        format,
        rs_files: rs.len(),
        rs_bytes: rs.iter().map(|f| f.contents.len()).sum(),
        largest: rs
            .iter()
            .take(3)
            .map(|f| (f.path.clone(), f.contents.len()))
            .collect(),
    })
}
