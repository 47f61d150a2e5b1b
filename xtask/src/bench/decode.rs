//! The `decode` benchmark: one `create_task` body decoded by the typed fast path and by the decoding path (strict `Value` reader, then the violation-collecting decoder), median of alternating rounds in one process; prints both and their ratio.
//!
//! The measuring is the runtime's `decode_bench` example, built and run here
//! in release. There is no target: the figure says what the fast path saves
//! per request before any I/O (the end-to-end effect is `bench server`'s).

use std::process::Command;

use anyhow::{Context, bail};

use crate::project_root;

/// Runs the benchmark and prints its figures.
pub fn run() -> anyhow::Result<()> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(project_root())
        .args([
            "run",
            "--quiet",
            "--release",
            "--package",
            "bunbase-runtime",
            "--example",
            "decode_bench",
        ])
        .output()
        .context("running the decode_bench example")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "the decode_bench example failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    print!("{stdout}");
    Ok(())
}
