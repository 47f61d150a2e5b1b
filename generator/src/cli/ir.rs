//! `bunbase ir`: print the lowered IR of a contract set as JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::diag;

/// Arguments of `bunbase ir`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The contracts folder (holding bunbase.yaml).
    #[arg(default_value = "contracts")]
    pub dir: PathBuf,
}

/// Runs `bunbase ir`: the IR JSON on stdout, or the diagnostics on stderr
/// and exit 1 when the contracts do not check.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let sources = crate::load::from_dir(&args.dir)?;
    match crate::compile(&sources) {
        Ok(compiled) => {
            if !compiled.warnings.is_empty() {
                eprint!(
                    "{}",
                    diag::render(&compiled.warnings, &sources, super::check::use_color())
                );
            }
            print!("{}", compiled.ir.to_json());
            Ok(ExitCode::SUCCESS)
        }
        Err(diags) => {
            eprint!(
                "{}",
                diag::render(&diags, &sources, super::check::use_color())
            );
            Ok(ExitCode::from(1))
        }
    }
}
