//! Generates the API code of the tasks example into `OUT_DIR`; cargo reruns this only when a contract changes.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    bunbase::builder::Builder::new()
        .contracts("../../contracts-examples/tasks")
        .compile()?;
    Ok(())
}
