//! The `bunbase` command line: a thin adaptor that parses arguments and calls the engine; one file per subcommand.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod breaking;
mod check;
mod db;
mod dev;
mod generate;
mod handlers;
mod ir;
mod migrate;
mod new;
mod schema;
mod workspace;

/// Contract-first backend generator.
#[derive(Debug, Parser)]
#[command(name = "bunbase", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check contracts and report every problem.
    Check(check::Args),
    /// Print the lowered IR of a contract set as JSON.
    Ir(ir::Args),
    /// Print the JSON Schema for contract files (for editor support).
    Schema(schema::Args),
    /// Generate the server workspace, OpenAPI document and TypeScript SDK.
    Gen(generate::Args),
    /// Regenerate, rebuild and restart the server whenever the contracts or
    /// the server crate change.
    Dev(dev::Args),
    /// Create a new project that builds and serves with no setup.
    New(new::Args),
    /// Classify contract changes against a git ref or a folder.
    Breaking(breaking::Args),
    /// Create migrations (`migrate new NAME`); the server binary applies
    /// them and reports their status (`<server> migrate [status]`).
    Migrate(migrate::Args),
    /// Read a live database: `db types --from-database URL` emits the `db`
    /// module from it, `db check --database URL` compares it with the
    /// migrations.
    Db(db::Args),
}

/// Runs the CLI with the process arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(a) => check::run(a),
        Command::Ir(a) => ir::run(a),
        Command::Schema(a) => schema::run(a),
        Command::Gen(a) => generate::run(a),
        Command::Dev(a) => dev::run(a),
        Command::New(a) => new::run(a),
        Command::Breaking(a) => breaking::run(a),
        Command::Migrate(a) => migrate::run(a),
        Command::Db(a) => db::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
