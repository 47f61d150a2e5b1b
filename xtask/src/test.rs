//! `cargo xtask test`: installs the pinned test tooling (npm packages, Python tools) into `.tooling/` and Debian's chromium when missing, runs the whole test suite, then checks rustfmt and clippy.
//!
//! This is the README's test command and what `.ci/run` runs. Tooling goes
//! into the repository's git-ignored `.tooling/` folder, so nothing is
//! installed globally and a fresh clone needs only cargo, Node.js and Python.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

use crate::project_root;

/// Runs the test task; extra arguments go to `cargo test`.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let root = project_root();
    let tooling = root.join(".tooling");
    install_npm(&root, &tooling)?;
    install_python(&root, &tooling)?;
    install_chromium()?;

    let cargo = env_or("CARGO", "cargo");
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&root)
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(args);
    cmd.env("BUNBASE_TOOLING", &tooling);
    let tests = status(&mut cmd, "cargo test");

    // House rules for our own code, checked after the tests so a style slip
    // never hides a test result: rustfmt-clean and clippy-clean.
    let fmt = status(
        Command::new(&cargo)
            .current_dir(&root)
            .args(["fmt", "--all", "--check"]),
        "cargo fmt --check",
    );
    let clippy = status(
        Command::new(&cargo).current_dir(&root).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ]),
        "cargo clippy",
    );
    tests.and(fmt).and(clippy)
}

fn install_npm(root: &Path, tooling: &Path) -> anyhow::Result<()> {
    let manifest = root.join("tests/tooling/package.json");
    if !manifest.exists() {
        return Ok(());
    }
    let dir = tooling.join("npm");
    std::fs::create_dir_all(&dir)?;
    for f in ["package.json", "package-lock.json"] {
        let src = root.join("tests/tooling").join(f);
        if src.exists() {
            copy_if_changed(&src, &dir.join(f))?;
        }
    }
    if dir.join("node_modules/.package-lock.json").exists()
        && std::fs::read(dir.join("package-lock.json")).ok()
            == std::fs::read(dir.join("node_modules/.lock-copy")).ok()
    {
        return Ok(());
    }
    eprintln!(
        "xtask test: installing npm test tooling into {}",
        dir.display()
    );
    status(
        Command::new("npm").current_dir(&dir).args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ]),
        "npm ci",
    )?;
    std::fs::copy(
        dir.join("package-lock.json"),
        dir.join("node_modules/.lock-copy"),
    )?;
    Ok(())
}

fn install_python(root: &Path, tooling: &Path) -> anyhow::Result<()> {
    let reqs = root.join("tests/tooling/requirements.txt");
    if !reqs.exists() {
        return Ok(());
    }
    let venv = tooling.join("venv");
    let stamp = venv.join(".requirements");
    let wanted = std::fs::read(&reqs)?;
    if std::fs::read(&stamp).ok().as_deref() == Some(&wanted[..]) {
        return Ok(());
    }
    eprintln!(
        "xtask test: installing Python test tooling into {}",
        venv.display()
    );
    status(
        Command::new(env_or("PYTHON", "python3"))
            .args(["-m", "venv"])
            .arg(&venv),
        "python3 -m venv",
    )?;
    status(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&reqs),
        "pip install",
    )?;
    std::fs::write(&stamp, wanted)?;
    Ok(())
}

/// The headless browser of the docs page test: Debian's `chromium`,
/// installed with apt when missing (quietly; once: later runs find it).
/// Where apt cannot run (not root, not Debian) it says so and goes on: the
/// browser tests then skip, or fail under `CI=true`.
fn install_chromium() -> anyhow::Result<()> {
    const BIN: &str = "/usr/bin/chromium";
    if Path::new(BIN).exists() || std::env::var_os("BUNBASE_CHROMIUM").is_some() {
        return Ok(());
    }
    let apt = Path::new("/usr/bin/apt-get");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if !apt.exists() || !root {
        eprintln!(
            "xtask test: {BIN} is missing and apt-get cannot run here; \
             install Chromium (or set BUNBASE_CHROMIUM) for the browser tests"
        );
        return Ok(());
    }
    eprintln!("xtask test: installing chromium (Debian package) for the browser tests");
    for args in [
        &["update", "-qq"][..],
        &[
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "chromium",
        ][..],
    ] {
        let out = Command::new(apt)
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .context("could not start apt-get")?;
        if !out.status.success() {
            bail!(
                "apt-get {} failed ({}):\n{}{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    Ok(())
}

fn copy_if_changed(src: &Path, dst: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(src)?;
    if std::fs::read(dst).ok().as_deref() != Some(&bytes[..]) {
        std::fs::write(dst, bytes)?;
    }
    Ok(())
}

fn env_or(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_string())
}

fn status(cmd: &mut Command, what: &str) -> anyhow::Result<()> {
    let st = cmd
        .status()
        .with_context(|| format!("could not start {what}"))?;
    if !st.success() {
        bail!("{what} failed ({st})");
    }
    Ok(())
}
