//! `bunbase db types --from-database URL` (the `db` module from a live schema) and `bunbase db check --database URL` (where the live schema and the migrations disagree).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::diag;
use crate::migrations::live;

/// Arguments of `bunbase db`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Print (or write) the `db` module generated from a live database's
    /// schema instead of the migrations.
    Types {
        /// The database to read (`sqlite://file.db`, `postgres://...`).
        #[arg(long = "from-database", env = "DATABASE_URL")]
        url: String,
        /// The contracts folder (holding bunbase.yaml), for the contract
        /// types rows convert into.
        #[arg(long, default_value = "contracts")]
        contracts: PathBuf,
        /// Write the module here instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Report where a live database's schema and the migrations disagree
    /// (exit 1 when they do).
    Check {
        /// The database to read.
        #[arg(long = "database", env = "DATABASE_URL")]
        url: String,
        /// The contracts folder (holding bunbase.yaml and migrations/).
        #[arg(long, default_value = "contracts")]
        contracts: PathBuf,
    },
}

/// Runs `bunbase db`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Sub::Types {
            url,
            contracts,
            out,
        } => {
            let Some(module) = types(&url, &contracts)? else {
                return Ok(ExitCode::from(1));
            };
            match out {
                Some(path) => std::fs::write(&path, module)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{module}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Sub::Check { url, contracts } => {
            let sources = crate::load::from_dir(&contracts)?;
            let compiled = match crate::compile(&sources) {
                Ok(c) => c,
                Err(diags) => {
                    eprint!(
                        "{}",
                        diag::render(&diags, &sources, super::check::use_color())
                    );
                    return Ok(ExitCode::from(1));
                }
            };
            let (dialect, sql) = live::dump(&url)?;
            let (model, diags) = live::model(dialect, &sql);
            report_live_diags(&diags)?;
            let name = crate::migrations::dialect_dir(dialect);
            let Some(ours) = compiled.ir.db.schemas.get(&dialect) else {
                bail!(
                    "the contracts have no migrations/{name}/ to compare the {name} database with"
                );
            };
            let live = model.schemas.get(&dialect).cloned().unwrap_or_default();
            let diffs = live::differences(ours, &live);
            if diffs.is_empty() {
                println!(
                    "the database matches migrations/{name}/ ({} tables)",
                    ours.tables.len()
                );
                Ok(ExitCode::SUCCESS)
            } else {
                for d in &diffs {
                    println!("{d}");
                }
                println!(
                    "the database and migrations/{name}/ disagree in {} place(s)",
                    diffs.len()
                );
                Ok(ExitCode::from(1))
            }
        }
    }
}

/// The formatted `db` module of the live schema at `url`, the contracts'
/// types linked; `None` (diagnostics printed) when the contracts do not check.
pub fn types(url: &str, contracts: &std::path::Path) -> anyhow::Result<Option<String>> {
    let sources = crate::load::from_dir(contracts)?;
    let mut ir = match crate::compile(&sources) {
        Ok(c) => c.ir,
        Err(diags) => {
            eprint!(
                "{}",
                diag::render(&diags, &sources, super::check::use_color())
            );
            return Ok(None);
        }
    };
    let (dialect, sql) = live::dump(url)?;
    let (model, diags) = live::model(dialect, &sql);
    report_live_diags(&diags)?;
    ir.db = model;
    let mut link_diags = Vec::new();
    crate::migrations::link::link(&mut ir, &mut link_diags);
    Ok(Some(crate::emit::db::format(&ir)))
}

fn report_live_diags(diags: &[crate::diag::Diagnostic]) -> anyhow::Result<()> {
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        bail!(
            "the live schema has SQL bunbase cannot model:\n{}",
            errors.join("\n")
        )
    }
}
