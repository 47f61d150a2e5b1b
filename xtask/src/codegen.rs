//! `cargo xtask codegen [--check]`: regenerates the committed `generated-example/` from `contracts-examples/tasks`.
//!
//! It runs the same engine and writer as `bunbase gen` (so the user-owned
//! server crate with real handlers, a scaffold, is never overwritten), with
//! the runtime as a path relative to the example so the committed output is
//! portable. `--check` writes nothing and fails listing the drift; a plain
//! `cargo test` runs the same check (`tests/tests/delivery_example.rs`).

use std::path::PathBuf;

use anyhow::bail;
use bunbase::write::{self, DirTree, PlanOptions, report};

use crate::project_root;

/// The command that refreshes the committed example, for messages.
pub const REFRESH: &str = "cargo xtask codegen";

/// The contracts the committed example is generated from.
pub fn contracts_dir() -> PathBuf {
    project_root().join("contracts-examples/tasks")
}

/// The committed example's folder.
pub fn example_dir() -> PathBuf {
    project_root().join("generated-example")
}

/// Runs the codegen task: `--check` reports drift, `--force` overwrites
/// hand-edited generated files.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let check = args.iter().any(|a| a == "--check");
    let force = args.iter().any(|a| a == "--force");
    if let Some(other) = args.iter().find(|a| *a != "--check" && *a != "--force") {
        bail!("unknown argument {other:?}; usage: cargo xtask codegen [--check] [--force]");
    }
    let (dir, out) = (contracts_dir(), example_dir());
    let runtime = bunbase::builder::runtime_path(&out, &project_root().join("runtime-support"));
    let (files, warnings) = bunbase::builder::emit_dir(&dir, &out, Some(runtime))?;
    eprint!("{warnings}");
    let plan = write::plan(&files, &DirTree(out.clone()), PlanOptions { force })?;
    if check {
        if plan.is_up_to_date() {
            eprintln!("xtask codegen: generated-example/ is up to date");
            return Ok(());
        }
        bail!(
            "generated-example/ is stale; run `{REFRESH}` to refresh it:\n{}",
            report::drift(&plan)
        );
    }
    let started = std::time::Instant::now();
    let summary = write::apply(&plan, &out)?;
    eprintln!(
        "xtask codegen: generated-example/: {}",
        report::summary_line(&summary, started.elapsed())
    );
    Ok(())
}
