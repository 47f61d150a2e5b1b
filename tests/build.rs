//! Decides, when the e2e tests are compiled, which services and tools this machine lacks, so that tests needing them show as `ignored` (with the reason) in the test runner's own summary instead of passing silently.
//!
//! Each missing service or tool sets one cfg that tests use as
//! `#[cfg_attr(bunbase_skip_postgres, ignore = "needs PostgreSQL: ...")]`:
//!
//! | cfg | set when |
//! | --- | --- |
//! | `bunbase_skip_postgres` | `BUNBASE_TEST_POSTGRES_URL` is unset |
//! | `bunbase_skip_redis` | `BUNBASE_TEST_REDIS_URL` is unset |
//! | `bunbase_skip_nats` | `BUNBASE_TEST_NATS_URL` is unset |
//! | `bunbase_skip_node` | `node --version` does not run |
//! | `bunbase_skip_npm` | the npm tooling (`cargo xtask test` installs it) is missing |
//! | `bunbase_skip_python` | the Python tooling venv is missing |
//! | `bunbase_skip_chromium` | `$BUNBASE_CHROMIUM` / `/usr/bin/chromium` is missing |
//!
//! Under `CI=true` no cfg is set: every test runs, and one whose service is
//! missing fails (`bunbase_e2e::skip` panics there). Cargo recompiles the
//! tests when one of these variables changes (`cargo xtask test` sets
//! `BUNBASE_TOOLING`, so installing the tooling through it is seen at once);
//! a stamp file of the tooling is watched only when it exists, because a
//! watched path that is missing would rebuild the tests on every run.

use std::path::{Path, PathBuf};
use std::process::Command;

const CFGS: &[&str] = &[
    "bunbase_skip_postgres",
    "bunbase_skip_redis",
    "bunbase_skip_nats",
    "bunbase_skip_node",
    "bunbase_skip_npm",
    "bunbase_skip_python",
    "bunbase_skip_chromium",
];

fn main() {
    for cfg in CFGS {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
    }
    for var in [
        "CI",
        "BUNBASE_TOOLING",
        "BUNBASE_CHROMIUM",
        "BUNBASE_TEST_POSTGRES_URL",
        "BUNBASE_TEST_REDIS_URL",
        "BUNBASE_TEST_NATS_URL",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        return;
    }
    let unset = |var: &str| std::env::var(var).map_or(true, |v| v.trim().is_empty());
    let mut skip = Vec::new();
    for (var, cfg) in [
        ("BUNBASE_TEST_POSTGRES_URL", "bunbase_skip_postgres"),
        ("BUNBASE_TEST_REDIS_URL", "bunbase_skip_redis"),
        ("BUNBASE_TEST_NATS_URL", "bunbase_skip_nats"),
    ] {
        if unset(var) {
            skip.push(cfg);
        }
    }
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node {
        skip.push("bunbase_skip_node");
    }
    let tooling = tooling_dir();
    for (stamp, cfg) in [
        ("npm/node_modules/.lock-copy", "bunbase_skip_npm"),
        ("venv/.requirements", "bunbase_skip_python"),
    ] {
        match tooling.as_ref().map(|t| t.join(stamp)) {
            Some(path) if path.exists() => println!("cargo::rerun-if-changed={}", path.display()),
            _ => skip.push(cfg),
        }
    }
    let chromium = std::env::var_os("BUNBASE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if chromium.exists() {
        println!("cargo::rerun-if-changed={}", chromium.display());
    } else {
        skip.push("bunbase_skip_chromium");
    }
    for cfg in skip {
        println!("cargo::rustc-cfg={cfg}");
    }
}

/// The same folder `bunbase_e2e::tooling_dir` finds at run time.
fn tooling_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BUNBASE_TOOLING") {
        return Some(PathBuf::from(dir));
    }
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let local = Path::new(&manifest).parent()?.join(".tooling");
    local.exists().then_some(local)
}
