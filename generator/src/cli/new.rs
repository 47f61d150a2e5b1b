//! `bunbase new NAME`: a ready project (contracts with a first module, the generated workspace, a README with the next steps) that builds and serves on SQLite with no setup.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use heck::{ToKebabCase, ToSnakeCase};

use crate::builder;
use crate::emit::RuntimeSource;
use crate::write::{self, PlanOptions, report};

/// Arguments of `bunbase new`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project name: lower case letters, digits, `-` or `_`, starting
    /// with a letter (`todo-app`). Crates are named after it.
    pub name: String,
    /// Where to create the project (default: a new folder `NAME` here).
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,
    /// Take `bunbase-runtime` from this folder (default: this checkout's
    /// `runtime-support`).
    #[arg(long, env = "BUNBASE_RUNTIME_PATH", value_name = "DIR")]
    pub runtime_path: Option<PathBuf>,
    /// Take `bunbase-runtime` from crates.io with this version requirement.
    #[arg(long, value_name = "VERSION", conflicts_with = "runtime_path")]
    pub runtime_version: Option<String>,
}

/// Runs `bunbase new`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    check_name(&args.name)?;
    let root = args
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    if root.exists()
        && std::fs::read_dir(&root)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} already exists and is not empty; choose another name or `--path`",
            root.display()
        );
    }
    let runtime = match (&args.runtime_version, &args.runtime_path) {
        (Some(v), _) => RuntimeSource::Registry(v.clone()),
        (None, Some(p)) => builder::runtime_path(&root, p),
        (None, None) => builder::default_runtime(&root),
    };

    for (path, text) in starter_files(&args.name) {
        let target = root.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, text).with_context(|| format!("writing {}", target.display()))?;
    }

    let contracts = root.join("contracts");
    let (files, warnings) = builder::emit_dir(&contracts, &root, Some(runtime))
        .context("the starter contracts do not compile (a bug in bunbase new; please report it)")?;
    eprint!("{warnings}");
    let (_, summary) = write::write_dir(&files, &root, PlanOptions::default())?;
    eprintln!(
        "bunbase new: created {} ({})\n\nnext:\n  cd {}\n  cargo run -p {}-server -- serve\n  curl http://127.0.0.1:8080/healthz",
        root.display(),
        report::summary_line(&summary, started.elapsed()),
        root.display(),
        args.name.to_kebab_case(),
    );
    Ok(ExitCode::SUCCESS)
}

/// Rejects names that cannot become crate and package names.
fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !name.ends_with(['-', '_']);
    if !ok {
        bail!(
            "{name:?} is not a valid project name: use lower case letters, digits, `-` or `_`, \
             starting with a letter (for example `{}`)",
            suggest(name)
        );
    }
    Ok(())
}

fn suggest(name: &str) -> String {
    let s = name.to_kebab_case();
    let s: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    match s.trim_start_matches(|c: char| !c.is_ascii_lowercase()) {
        "" => "my-app".to_string(),
        t => t.to_string(),
    }
}

/// The files `new` writes before generating: the contracts and the README.
/// They are the user's from the start (not in the manifest).
pub fn starter_files(name: &str) -> Vec<(&'static str, String)> {
    let kebab = name.to_kebab_case();
    let snake = name.to_snake_case();
    let project = format!(
        "# The project file: one per contracts folder. Reference: bunbase's generator/docs/contracts.md.\n\
         project: {name}\n\
         version: 0.1.0\n\
         title: {kebab} API\n\
         # sqlite needs no setup (the database file is created in ./data on start);\n\
         # set DATABASE_URL=postgres://... to run the same server on PostgreSQL.\n\
         database: sqlite\n\
         api:\n  base_path: /api\n"
    );
    let module = "# A first module: one file per module. Replace it with your own.\n\
        module: hello\n\
        description: Greets whoever asks.\n\
        \n\
        actions:\n  \
          say_hello:\n    \
            summary: Greet someone\n    \
            input:\n      \
              name: { type: string, min_len: 1, max_len: 100, default: world }\n    \
            output:\n      \
              message: string\n    \
            triggers:\n      \
              - api: GET /hello\n"
        .to_string();
    let readme = format!(
        "# {name}\n\n\
         A backend generated by [bunbase](https://github.com/bunbase/bunbase) from the YAML\n\
         contracts in `contracts/`: an axum + sqlx server workspace (`crates/`), an OpenAPI\n\
         document (`openapi.json`) and a TypeScript SDK (`sdk/typescript/`).\n\n\
         ## Next steps\n\n\
         1. **Run it.** `cargo run -p {kebab}-server -- serve`, then\n   \
            `curl http://127.0.0.1:8080/healthz`. It serves on SQLite (`./data/{snake}.db`,\n   \
            created on start) with no setup; `PORT` and `DATABASE_URL` change that.\n\
         2. **Implement the first action.** `GET /api/hello` answers a typed 501\n   \
            `not_implemented` until you fill in `say_hello` in\n   \
            `crates/{kebab}-server/src/hello.rs`. Files under `crates/{kebab}-server/` are\n   \
            yours; bunbase never overwrites them.\n\
         3. **Change the contracts.** Edit or add modules in `contracts/`, then run\n   \
            `bunbase gen` (or `bunbase gen --watch`). Generated files carry a \"do not edit\"\n   \
            header; in CI, `bunbase gen --check` fails when they are stale.\n"
    );
    vec![
        ("contracts/bunbase.yaml", project),
        ("contracts/hello.yaml", module),
        ("README.md", readme),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("todo-app").is_ok());
        assert!(check_name("todo_app2").is_ok());
        for bad in ["TodoApp", "1app", "app-", "my app", ""] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(
            check_name("TodoApp")
                .unwrap_err()
                .to_string()
                .contains("todo-app")
        );
    }
}
