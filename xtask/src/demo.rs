//! `cargo xtask demo`: the README's first command. Regenerates `generated-example/` from `contracts-examples/tasks` and serves it on an embedded SQLite database with no other setup.

use std::process::Command;

use anyhow::{Context, bail};

use crate::project_root;

/// Runs the demo task; extra arguments go to the server's `serve` subcommand.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    crate::codegen::run(&[]).context("regenerating generated-example")?;
    let root = project_root();
    let manifest = root.join("generated-example/Cargo.toml");
    let st = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root.join("generated-example"))
        .arg("run")
        .arg("--manifest-path")
        .arg(&manifest)
        .args(["--bin", "tasks-server", "--", "serve"])
        .args(args)
        .status()
        .context("could not start cargo")?;
    if !st.success() {
        bail!("the example server exited with {st}");
    }
    Ok(())
}
