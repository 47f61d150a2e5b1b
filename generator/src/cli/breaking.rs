//! `bunbase breaking`.

use std::process::ExitCode;

/// Arguments of `bunbase breaking`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `bunbase breaking`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`bunbase breaking` is not built yet")
}
