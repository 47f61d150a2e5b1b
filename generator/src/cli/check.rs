//! `bunbase check`: report every problem in a contract set.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::diag;

/// Arguments of `bunbase check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The contracts folder (holding bunbase.yaml).
    #[arg(default_value = "contracts")]
    pub dir: PathBuf,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-style snippets on stderr.
    Human,
    /// A JSON array on stdout.
    Json,
}

/// Runs `bunbase check`: exit 0 when clean, 1 on errors (or warnings with
/// `--deny-warnings`), 2 when the contracts cannot be read.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let sources = crate::load::from_dir(&args.dir)?;
    let diags = crate::diagnostics(&sources);
    let failed = diags.iter().any(|d| d.is_error() || args.deny_warnings);
    match args.format {
        Format::Json => print!("{}", diag::to_json(&diags)),
        Format::Human => {
            if diags.is_empty() {
                eprintln!("contracts in `{}` are valid", args.dir.display());
            } else {
                eprint!("{}", diag::render(&diags, &sources, use_color()));
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Colour only on a terminal, and never when `NO_COLOR` is set.
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}
