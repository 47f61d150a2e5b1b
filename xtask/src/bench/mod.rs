//! `cargo xtask bench [NAME]`: benchmarks that print measured figures; targets are checked here, never in timed tests.

mod frontend;
mod generate;
mod sdk;
mod server;

/// A benchmark: its name and the function that runs it and prints figures.
type Bench = (&'static str, fn() -> anyhow::Result<()>);

const BENCHES: &[Bench] = &[
    ("frontend", frontend::run),
    ("gen", generate::run),
    ("server", server::run),
    ("sdk", sdk::run),
];

/// Runs every benchmark, or the one named.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let only = args.first().map(String::as_str);
    if let Some(name) = only {
        if !BENCHES.iter().any(|(n, _)| *n == name) {
            anyhow::bail!("unknown benchmark `{name}`; known: {}", BENCHES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "));
        }
    }
    for (name, f) in BENCHES {
        if only.is_none_or(|o| o == *name) {
            println!("== bench {name}");
            f()?;
        }
    }
    Ok(())
}
