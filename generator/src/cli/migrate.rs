//! `bunbase migrate new NAME`: a new, timestamped migration file in each dialect folder of the contracts' `migrations/`.
//!
//! Creating a migration is a file operation on the contracts folder, so it
//! lives in the CLI; `migrate status` and applying need the database and
//! the embedded migrations, so they are subcommands of the scaffolded
//! server binary (`<project>-server migrate [status]`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};

use crate::ir::Database;
use crate::migrations::{MIGRATIONS_DIR, dialect_dir};

/// Arguments of `bunbase migrate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Create `migrations/<dialect>/<timestamp>_<name>.sql` in each dialect
    /// folder (only the `database:` one when there is none yet).
    New {
        /// What the migration does, in snake_case (`add_due_dates`).
        name: String,
        /// The contracts folder (holding bunbase.yaml).
        #[arg(long, default_value = "contracts")]
        contracts: PathBuf,
    },
}

/// Runs `bunbase migrate`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Sub::New { name, contracts } => {
            let secs = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            for path in new_migration(&contracts, &name, secs)? {
                println!("created {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Creates the migration `name` at UTC time `secs` (Unix seconds) in every
/// dialect folder of `contracts/migrations/`, and returns the files. The
/// version is `YYYYMMDDHHMMSS`, or one more than the highest existing
/// version when that is not greater.
pub fn new_migration(contracts: &Path, name: &str, secs: u64) -> anyhow::Result<Vec<PathBuf>> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        bail!(
            "migration name {name:?} must be snake_case (lower-case letters, digits, `_`), like add_due_dates"
        );
    }
    if !contracts.join(crate::load::PROJECT_FILE).is_file() {
        bail!(
            "{} has no {}: pass the contracts folder with --contracts DIR",
            contracts.display(),
            crate::load::PROJECT_FILE
        );
    }
    let root = contracts.join(MIGRATIONS_DIR);
    let mut dirs: Vec<PathBuf> = [Database::Sqlite, Database::Postgres]
        .into_iter()
        .map(|d| root.join(dialect_dir(d)))
        .filter(|d| d.is_dir())
        .collect();
    if dirs.is_empty() {
        dirs.push(root.join(dialect_dir(primary(contracts))));
    }
    let stamp = chrono::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(0), 0)
        .unwrap_or_default()
        .format("%Y%m%d%H%M%S")
        .to_string();
    let mut version: i64 = stamp.parse().unwrap_or(0);
    for d in &dirs {
        if let Some(max) = highest_version(d)?
            && max >= version
        {
            version = max + 1;
        }
    }
    let mut out = Vec::new();
    for d in dirs {
        std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
        let path = d.join(format!("{version}_{name}.sql"));
        let dialect = d.file_name().and_then(|n| n.to_str()).unwrap_or("");
        std::fs::write(
            &path,
            format!(
                "-- {name}: the {dialect} SQL of this change. Run `bunbase gen` after editing.\n"
            ),
        )
        .with_context(|| format!("writing {}", path.display()))?;
        out.push(path);
    }
    Ok(out)
}

/// The `database:` of the project, `sqlite` when it does not check.
fn primary(contracts: &Path) -> Database {
    crate::load::from_dir(contracts)
        .ok()
        .and_then(|s| crate::compile(&s).ok())
        .map_or(Database::Sqlite, |c| c.ir.project.database)
}

/// The highest version among the `.sql` files of `dir`.
fn highest_version(dir: &Path) -> anyhow::Result<Option<i64>> {
    let mut max = None;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let v = name
            .strip_suffix(".sql")
            .and_then(|s| s.split_once('_'))
            .and_then(|(v, _)| v.parse::<i64>().ok());
        if v > max {
            max = v;
        }
    }
    Ok(max)
}
