//! Shared helpers for the end-to-end tests: locating test tooling (tsc, validators) and skipping loudly when it is absent.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the repository")
        .to_path_buf()
}

/// The folder `cargo xtask test` installs tooling into: `$BUNBASE_TOOLING`,
/// else `<repo>/.tooling` when it exists.
pub fn tooling_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BUNBASE_TOOLING") {
        return Some(PathBuf::from(dir));
    }
    let local = repo_root().join(".tooling");
    local.exists().then_some(local)
}

/// Path to an executable installed by the npm tooling (`tsc`), or `None`
/// after printing a loud skip notice naming the test.
pub fn npm_bin(name: &str, test: &str) -> Option<PathBuf> {
    let bin = tooling_dir().map(|d| d.join("npm/node_modules/.bin").join(name));
    match bin {
        Some(b) if b.exists() => Some(b),
        _ => {
            skip(
                test,
                &format!("npm tool `{name}` is not installed; run `cargo xtask test`"),
            );
            None
        }
    }
}

/// Path to an executable installed in the Python tooling venv, or `None`
/// after printing a loud skip notice naming the test.
pub fn venv_bin(name: &str, test: &str) -> Option<PathBuf> {
    let bin = tooling_dir().map(|d| d.join("venv/bin").join(name));
    match bin {
        Some(b) if b.exists() => Some(b),
        _ => {
            skip(
                test,
                &format!("Python tool `{name}` is not installed; run `cargo xtask test`"),
            );
            None
        }
    }
}

/// The PostgreSQL URL for tests, or `None` after a loud skip notice.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var("BUNBASE_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            skip(test, "BUNBASE_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

/// Prints a skip notice that stands out in test output. In CI
/// (`CI=true`), a skip is a failure: CI installs every tool and service.
///
/// This is the second line of defence. A test that needs a service or tool
/// carries `#[cfg_attr(bunbase_skip_<what>, ignore = "needs ...")]`, and
/// `tests/build.rs` sets that cfg when the machine lacks it, so the test
/// shows as `ignored, needs ...` in the runner's own summary. `skip` covers
/// what the build script cannot see (a tool that vanished after the build).
pub fn skip(test: &str, why: &str) {
    let msg = format!("SKIPPED {test}: {why}");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI must run every test)");
    }
    eprintln!("\n==================== {msg} ====================\n");
}

/// Whether `node` runs; prints a loud skip notice naming the test when not.
pub fn node_available(test: &str) -> bool {
    let ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip(test, "node is not installed");
    }
    ok
}

/// The headless browser the browser tests drive: `$BUNBASE_CHROMIUM`, else
/// Debian's `/usr/bin/chromium` (`cargo xtask test` installs it), or `None`
/// after a loud skip notice naming the test.
pub fn chromium_bin(test: &str) -> Option<PathBuf> {
    let bin = std::env::var_os("BUNBASE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if bin.exists() {
        Some(bin)
    } else {
        skip(
            test,
            &format!(
                "{} is missing; run `cargo xtask test` (it installs Debian's chromium)",
                bin.display()
            ),
        );
        None
    }
}

/// The shared target dir for generated workspaces, so dependencies compile once.
pub fn generated_target_dir() -> PathBuf {
    repo_root().join("target/generated-ws")
}

/// Builds the `bunbase` binary into [`generated_target_dir`] (so this does
/// not wait on the test run's own build lock) and returns its path. Panics
/// with cargo's output when the build fails.
pub fn bunbase_bin() -> PathBuf {
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(repo_root())
        .args(["build", "-q", "-p", "bunbase", "--bin", "bunbase"])
        .env("CARGO_TARGET_DIR", generated_target_dir())
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "building bunbase failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    generated_target_dir()
        .join("debug")
        .join(format!("bunbase{}", std::env::consts::EXE_SUFFIX))
}
