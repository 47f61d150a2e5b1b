//! `bunbase schema`.

use std::process::ExitCode;

/// Arguments of `bunbase schema`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `bunbase schema`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`bunbase schema` is not built yet")
}
