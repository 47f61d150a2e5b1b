//! The `server` benchmark.

/// Runs the benchmark and prints its figures.
pub fn run() -> anyhow::Result<()> {
    println!("not built yet");
    Ok(())
}
