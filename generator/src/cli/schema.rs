//! `bunbase schema`: prints the JSON Schema for contract files, for editors and other tools.

use std::io::Write;
use std::process::ExitCode;

use crate::schema::{self, FileKind};

/// Arguments of `bunbase schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the schema of one kind of file only; by default the schema
    /// covers both (a file with a top-level `project` key is the project file).
    #[arg(long, value_enum)]
    kind: Option<Kind>,
}

/// The file kinds `--kind` accepts.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Kind {
    /// `bunbase.yaml`.
    Project,
    /// Any other contract file.
    Module,
}

/// Runs `bunbase schema`: writes the schema to standard output.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let text = match args.kind {
        None => schema::contract_schema().to_owned(),
        Some(Kind::Project) => schema::schema_for(FileKind::Project),
        Some(Kind::Module) => schema::schema_for(FileKind::Module),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
