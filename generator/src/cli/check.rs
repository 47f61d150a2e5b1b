//! `bunbase check`.

use std::process::ExitCode;

/// Arguments of `bunbase check`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `bunbase check`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`bunbase check` is not built yet")
}
