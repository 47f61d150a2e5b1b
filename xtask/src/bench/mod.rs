//! `cargo xtask bench [NAME]`: benchmarks that print measured figures; targets are checked here, never in timed tests.

/// Runs every benchmark, or the one named.
pub fn run(_args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("no benchmark is built yet")
}
