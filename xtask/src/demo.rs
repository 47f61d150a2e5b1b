//! `cargo xtask demo`: the README's first command. Regenerates `generated-example/` from `contracts-examples/tasks` and serves it on an embedded SQLite database with no other setup.
//!
//! The example's inbound e-mail webhook needs a secret, and the server
//! refuses to start without one (it never accepts unsigned deliveries, and
//! has no built-in default). So the demo, and only the demo, sets
//! `TASKS_INBOUND_EMAIL_SECRET` to a fresh random value when it is unset,
//! and prints it for signing test deliveries.

use std::process::Command;

use anyhow::{Context, bail};

use crate::project_root;

/// Runs the demo task; extra arguments go to the server's `serve` subcommand.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    crate::codegen::run(&[]).context("regenerating generated-example")?;
    let root = project_root();
    let manifest = root.join("generated-example/Cargo.toml");
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    if std::env::var_os(INBOUND_EMAIL_SECRET_ENV).is_none() {
        let secret = random_secret();
        println!(
            "Demo inbound e-mail webhook secret: {INBOUND_EMAIL_SECRET_ENV}={secret} (this run only)"
        );
        cmd.env(INBOUND_EMAIL_SECRET_ENV, secret);
    }
    let st = cmd
        .current_dir(root.join("generated-example"))
        .arg("run")
        .arg("--manifest-path")
        .arg(&manifest)
        .args(["--bin", "tasks-server", "--", "serve"])
        .args(args)
        .status()
        .context("could not start cargo")?;
    if !st.success() {
        bail!("the example server exited with {st}");
    }
    Ok(())
}

/// The variable holding the example's inbound e-mail webhook secret.
const INBOUND_EMAIL_SECRET_ENV: &str = "TASKS_INBOUND_EMAIL_SECRET";

/// 32 random hex digits, from the standard library's randomly seeded
/// hasher (a development secret for one demo run, not key material).
fn random_secret() -> String {
    use std::hash::{BuildHasher, Hasher};
    (0..2)
        .map(|i| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u32(i);
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or_default(),
            );
            format!("{:016x}", h.finish())
        })
        .collect()
}
