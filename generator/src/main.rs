//! The `bunbase` command-line entry point; all logic lives in the library's `cli` module.

/// mimalloc: generation allocates millions of small token trees, and the
/// system allocator made a third of `bunbase gen`'s time.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    bunbase::cli::main()
}
