//! `bunbase ir`.

use std::process::ExitCode;

/// Arguments of `bunbase ir`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `bunbase ir`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`bunbase ir` is not built yet")
}
