//! The `gen` benchmark: `bunbase gen` time (load, check, lower, emit every target) on a synthetic 1,000-action contract set; target under 1 s.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use bunbase::emit::{GenOptions, RuntimeSource};

/// Modules in the synthetic set.
const MODULES: usize = 20;
/// Actions per module (20 × 50 = 1,000).
const ACTIONS: usize = 50;
/// Timed repetitions; the median is reported.
const RUNS: usize = 5;

/// Writes the synthetic contracts into `dir`: every module has two declared
/// types, and each action an inline input with constraints, a named output,
/// a declared error, a guard and an `api` route.
fn write_contracts(dir: &Path) -> anyhow::Result<()> {
    std::fs::write(dir.join("bunbase.yaml"), "project: synthetic\nversion: 1.0.0\napi:\n  base_path: /api\n")?;
    for m in 0..MODULES {
        let mut y = String::new();
        writeln!(y, "module: mod{m}\nprefix: /mod{m}\nguards: [authenticated]\n\ntypes:")?;
        writeln!(y, "  Status{m}:\n    enum: [open, in_progress, done]")?;
        writeln!(
            y,
            "  Item{m}:\n    fields:\n      id: uuid\n      title: {{ type: string, min_len: 1, max_len: 200 }}\n      status: Status{m}\n      tags: {{ type: \"list<string>\", max_items: 20 }}\n      count: {{ type: int, min: 0 }}\n      due_at: datetime?"
        )?;
        writeln!(y, "\nactions:")?;
        for a in 0..ACTIONS {
            writeln!(
                y,
                "  action{a}:\n    summary: Action {a}\n    input:\n      id: uuid\n      title: {{ type: string, min_len: 1, max_len: 200 }}\n      limit: {{ type: int, min: 1, max: 100, default: 20 }}\n      note: string?\n    output: Item{m}\n    errors:\n      conflict: {{ status: 409 }}\n    triggers:\n      - api: \"POST /a{a}/{{id}}\""
            )?;
        }
        std::fs::write(dir.join(format!("mod{m}.yaml")), y)?;
    }
    Ok(())
}

/// Runs the benchmark and prints its figures.
pub fn run() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("bunbase-bench-gen-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    write_contracts(&dir)?;
    let opts = GenOptions { runtime: RuntimeSource::Path("../runtime-support".into()), contracts_label: "contracts".into() };
    let mut total = Vec::new();
    let mut rust = Vec::new();
    let mut files = 0;
    let mut bytes = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let sources = bunbase::load::from_dir(&dir)?;
        let compiled = bunbase::compile(&sources).map_err(|d| anyhow::anyhow!("the synthetic contracts do not check: {} problems", d.len()))?;
        let out = bunbase::emit::generate(&compiled.ir, &opts);
        total.push(started.elapsed());
        files = out.len();
        bytes = out.iter().map(|f| f.contents.len()).sum::<usize>();
        let started = Instant::now();
        let _ = bunbase::emit::rust::emit(&compiled.ir, &opts);
        rust.push(started.elapsed());
    }
    let _ = std::fs::remove_dir_all(&dir);
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (t, r) = (median(&mut total), median(&mut rust));
    println!("synthetic set: {MODULES} modules, {} actions -> {files} files, {:.1} MiB", MODULES * ACTIONS, bytes as f64 / (1024.0 * 1024.0));
    println!("gen (load + check + lower + emit all targets), median of {RUNS}: {:.0} ms (target < 1000 ms: {})", t.as_secs_f64() * 1e3, if t < Duration::from_secs(1) { "met" } else { "MISSED" });
    println!("  of which the Rust emitter alone: {:.0} ms", r.as_secs_f64() * 1e3);
    Ok(())
}
