//! `bunbase new`.

use std::process::ExitCode;

/// Arguments of `bunbase new`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `bunbase new`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`bunbase new` is not built yet")
}
