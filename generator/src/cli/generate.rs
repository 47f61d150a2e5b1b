//! `bunbase gen`.

use std::process::ExitCode;

/// Arguments of `bunbase gen`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `bunbase gen`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`bunbase gen` is not built yet")
}
