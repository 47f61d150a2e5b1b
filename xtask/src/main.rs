//! Project automation (`cargo xtask <task>`): the test suite with its tooling, code generation of the committed example, and benchmarks.

use std::process::ExitCode;

/// The allocator `bunbase` itself uses (see `generator/src/main.rs`), so the
/// `gen` benchmark measures what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench;
mod codegen;
mod demo;
mod test;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((t, rest)) => (t.as_str(), rest.to_vec()),
        None => ("help", Vec::new()),
    };
    let result = match task {
        "test" => test::run(&rest),
        "codegen" => codegen::run(&rest),
        "bench" => bench::run(&rest),
        "demo" => demo::run(&rest),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n\
                 tasks:\n  \
                 demo                regenerate the example and serve it on SQLite\n  \
                 test [ARGS]         install test tooling (npm, Python) and run the whole suite\n  \
                 codegen [--check]   regenerate generated-example/ (or fail when it is stale)\n  \
                 bench [NAME]        run benchmarks and print measured figures"
            );
            return if task == "help" {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root (the parent of `xtask/`).
pub fn project_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository")
        .to_path_buf()
}
