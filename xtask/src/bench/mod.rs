//! `cargo xtask bench [NAME]`: benchmarks that print measured figures; targets are checked here, never in timed tests.

mod db;
mod decode;
mod frontend;
mod gen_process;
mod generate;
mod guards;
mod overhead;
mod queue;
mod sdk;
mod server;

/// A benchmark: its name and the function that runs it and prints figures.
type Bench = (&'static str, fn() -> anyhow::Result<()>);

const BENCHES: &[Bench] = &[
    ("frontend", frontend::run),
    ("gen", generate::run),
    ("server", server::run),
    ("overhead", overhead::run),
    ("guards", guards::run),
    ("sdk", sdk::run),
    ("queue", queue::run),
    ("db", db::run),
    ("decode", decode::run),
];

/// Runs every benchmark, or the one named. A debug build of xtask re-runs
/// itself in release mode first: figures from unoptimised code mean nothing.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        let st =
            std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .current_dir(crate::project_root())
                .args([
                    "run",
                    "--quiet",
                    "--release",
                    "--package",
                    "xtask",
                    "--",
                    "bench",
                ])
                .args(args)
                .status()?;
        anyhow::ensure!(st.success(), "release benchmark run failed ({st})");
        return Ok(());
    }
    let only = args.first().map(String::as_str);
    if let Some(name) = only
        && !BENCHES.iter().any(|(n, _)| *n == name)
    {
        anyhow::bail!(
            "unknown benchmark `{name}`; known: {}",
            BENCHES
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for (name, f) in BENCHES {
        if only.is_none_or(|o| o == *name) {
            println!("== bench {name}");
            f()?;
        }
    }
    Ok(())
}
