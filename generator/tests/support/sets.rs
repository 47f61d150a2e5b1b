//! Contract sets compiled for the SDK tests: every folder of a directory that holds a `bunbase.yaml`, by folder name; shared by `generator/tests/emit_ts.rs` and the e2e `tests/tests/sdk.rs` (through `#[path]`).

use std::path::{Path, PathBuf};

use bunbase::ir::Ir;

/// Every contract set directly under `dir` (a folder with a
/// `bunbase.yaml`), compiled, with its folder name, in name order. A set
/// that does not load or compile fails the test, naming its folder.
pub fn compiled(dir: &Path) -> Vec<(String, Ir)> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{} is readable: {e}", dir.display()))
        .map(|entry| entry.expect("readable dir entry").path())
        .filter(|path| path.join("bunbase.yaml").is_file())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|path| {
            let sources = bunbase::load::from_dir(&path)
                .unwrap_or_else(|e| panic!("{} loads: {e}", path.display()));
            let ir = bunbase::compile(&sources)
                .unwrap_or_else(|d| panic!("{} compiles: {d:?}", path.display()))
                .ir;
            let name = path
                .file_name()
                .expect("folder name")
                .to_string_lossy()
                .into_owned();
            (name, ir)
        })
        .collect()
}
