//! The `bunbase` command-line entry point; all logic lives in the library's `cli` module.

/// mimalloc: generation allocates millions of small token trees, and the
/// system allocator made a third of `bunbase gen`'s time.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // mimalloc asks for transparent huge pages on each thread's arena, so a
    // generation's peak memory moved by 2 MiB steps from run to run (143 to
    // 219 MiB on the 1,000-action benchmark). Asked first, before the
    // arenas grow; a kernel that refuses leaves the system's policy.
    #[cfg(all(feature = "mimalloc", target_os = "linux"))]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    bunbase::cli::main()
}
