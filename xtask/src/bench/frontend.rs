//! The `frontend` benchmark: parse, check and lower a synthetic contract set of 50 modules, 1,500 types and 1,000 actions with references across modules.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use bunbase::source::SourceSet;

const MODULES: usize = 50;
const TYPES_PER_MODULE: usize = 30;
const ACTIONS_PER_MODULE: usize = 20;
const RUNS: usize = 7;
/// The target for check + lowering of the synthetic set (release build).
const TARGET: Duration = Duration::from_millis(300);

/// Runs the benchmark and prints its figures.
pub fn run() -> anyhow::Result<()> {
    let sources = synthetic();
    let bytes: usize = sources.files.values().map(String::len).sum();
    // Make sure the set is valid, so the timing covers the whole pipeline.
    let compiled = bunbase::compile(&sources).map_err(|d| {
        anyhow::anyhow!(
            "synthetic contracts do not check:\n{}",
            bunbase::diag::render(&d[..d.len().min(5)], &sources, false)
        )
    })?;
    let actions = compiled.ir.actions().count();
    let types = compiled.ir.types.len();
    anyhow::ensure!(
        compiled.warnings.is_empty(),
        "the synthetic set should be clean: {:?}",
        compiled.warnings.first()
    );
    let mut times = Vec::with_capacity(RUNS);
    let mut cpu_times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let cpu = thread_cpu_time();
        let start = Instant::now();
        let result = bunbase::compile(&sources);
        times.push(start.elapsed());
        if let (Some(a), Some(b)) = (cpu, thread_cpu_time()) {
            cpu_times.push(b.saturating_sub(a));
        }
        anyhow::ensure!(result.is_ok(), "synthetic contracts stopped checking");
    }
    times.sort();
    cpu_times.sort();
    let median = times[RUNS / 2];
    println!(
        "frontend: {MODULES} modules, {types} types (incl. inline), {actions} actions, {} KiB of YAML",
        bytes / 1024
    );
    println!(
        "frontend: parse + check + lower median {:.1} ms over {RUNS} runs (min {:.1} ms, max {:.1} ms); target < {} ms: {}",
        ms(median),
        ms(times[0]),
        ms(times[RUNS - 1]),
        TARGET.as_millis(),
        if median < TARGET { "met" } else { "MISSED" }
    );
    if let Some(cpu) = cpu_times.get(cpu_times.len() / 2) {
        // On a shared machine wall time includes waiting for a core; the
        // thread's own CPU time is what the front-end costs.
        println!(
            "frontend: median CPU time of the compiling thread {:.1} ms; target < {} ms: {}",
            ms(*cpu),
            TARGET.as_millis(),
            if *cpu < TARGET { "met" } else { "MISSED" }
        );
    }
    Ok(())
}

/// CPU time consumed by this thread (Linux: `/proc/thread-self/schedstat`).
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// 50 modules; each declares 30 types (an enum, objects referring to the
/// previous module's types) and 20 actions over them.
pub(crate) fn synthetic() -> SourceSet {
    synthetic_sized(MODULES)
}

/// The synthetic set with `modules` modules of [`ACTIONS_PER_MODULE`]
/// actions each (the 200-action set of the rebuild benchmark has 10).
pub(crate) fn synthetic_sized(modules: usize) -> SourceSet {
    let mut files = vec![(
        "bunbase.yaml".to_owned(),
        "project: bench\nversion: 1.0.0\napi: { base_path: /api }\n".to_owned(),
    )];
    for m in 0..modules {
        let prev = if m == 0 { modules - 1 } else { m - 1 };
        let last = TYPES_PER_MODULE - 1;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "module: mod{m}\nprefix: /mod{m}\nguards: [authenticated]\ntypes:"
        );
        let _ = writeln!(s, "  Status{m}:\n    enum: [open, in_progress, done]");
        for t in 1..TYPES_PER_MODULE {
            let _ = writeln!(
                s,
                "  Thing{m}x{t}:\n    description: Thing {t}\n    fields:"
            );
            let _ = writeln!(s, "      id: uuid");
            let _ = writeln!(
                s,
                "      title: {{ type: string, min_len: 1, max_len: 200 }}"
            );
            let _ = writeln!(s, "      status: {{ type: Status{m}, default: open }}");
            let _ = writeln!(
                s,
                "      count: {{ type: int, min: 0, max: 1000, default: 1 }}"
            );
            let _ = writeln!(s, "      tags: {{ type: \"list<string>\", max_items: 20 }}");
            let _ = writeln!(s, "      at: datetime?");
            if t > 1 {
                let _ = writeln!(s, "      prev: Thing{m}x{}?", t - 1);
            }
            let _ = writeln!(s, "      other: \"list<mod{prev}.Thing{prev}x{t}>\"");
        }
        let _ = writeln!(
            s,
            "events:\n  mod{m}.changed:\n    payload: {{ id: uuid, status: Status{m} }}"
        );
        let _ = writeln!(s, "actions:");
        for a in 0..ACTIONS_PER_MODULE {
            let t = a % (TYPES_PER_MODULE - 1) + 1;
            match a % 4 {
                0 => {
                    let _ = writeln!(
                        s,
                        "  get_{a}:\n    input: {{ id: uuid }}\n    output: Thing{m}x{t}\n    errors: {{ gone_{a}: {{ status: 410 }} }}\n    triggers: [{{ api: \"GET /things{a}/{{id}}\" }}]"
                    );
                }
                1 => {
                    let _ = writeln!(
                        s,
                        "  list_{a}:\n    input:\n      status: Status{m}?\n      limit: {{ type: int, min: 1, max: 100, default: 20 }}\n    output: {{ items: \"list<Thing{m}x{t}>\", last: \"list<Thing{m}x{last}>\", next: string? }}\n    triggers: [{{ api: GET /things{a} }}]"
                    );
                }
                2 => {
                    let _ = writeln!(
                        s,
                        "  create_{a}:\n    summary: Create\n    input:\n      title: {{ type: string, min_len: 1, max_len: 200 }}\n      body: {{ street: string, city: string }}\n    output: Thing{m}x{t}\n    guards: [{{ has_permission: \"things:create\" }}]\n    retry: {{ attempts: 3, base: 1s, max: 30s }}\n    emits: [mod{m}.changed]\n    triggers:\n      - api: {{ method: POST, path: /things{a}, status: 201 }}\n      - mcp: {{ description: Create a thing }}"
                    );
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "  on_change_{a}:\n    input: mod{prev}.changed\n    triggers: [{{ event: mod{prev}.changed }}, {{ queue: {{ priority: 1 }} }}]"
                    );
                }
            }
        }
        files.push((format!("group{}/mod{m}.yaml", m % 5), s));
    }
    SourceSet::from_files(files)
}
