//! The `bunbase` command-line entry point; all logic lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    bunbase::cli::main()
}
