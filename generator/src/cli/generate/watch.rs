//! `bunbase gen --watch`: regenerates whenever a contract changes, debounced, with a one-line summary per run.

use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use notify::{RecursiveMode, Watcher};

use super::{Args, generate_once};

/// How long the contracts must be quiet before a run starts: editors save in
/// bursts (temporary file, rename, metadata), and one run should follow.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// Generates once, then again after every burst of contract changes, until
/// the process is stopped. Contract errors are reported and watching goes
/// on, and so does a failed write; only a failure of the watcher itself
/// ends it.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let _ = tx.send(event);
    })
    .context("starting the file watcher")?;
    watcher
        .watch(&args.dir, RecursiveMode::Recursive)
        .with_context(|| format!("watching {}", args.dir.display()))?;
    eprintln!(
        "bunbase gen --watch: watching {} (Ctrl-C to stop)",
        args.dir.display()
    );
    if let Err(e) = generate_once(args) {
        eprintln!("error: {e:#}");
    }
    loop {
        let first = rx.recv().context("the file watcher stopped")?;
        let mut relevant = is_contract_change(&first);
        // Drain the burst: keep reading until the folder is quiet.
        while let Ok(event) = rx.recv_timeout(DEBOUNCE) {
            relevant |= is_contract_change(&event);
        }
        if relevant && let Err(e) = generate_once(args) {
            eprintln!("error: {e:#}");
        }
    }
}

/// Whether an event touches a contract file (`*.yaml`, `*.yml`, not hidden:
/// editors' swap files are ignored), or is a
/// watcher error worth a rerun (events may have been lost).
fn is_contract_change(event: &notify::Result<notify::Event>) -> bool {
    match event {
        Ok(e) => !e.kind.is_access() && e.paths.iter().any(|p| is_contract(p)),
        Err(_) => true,
    }
}

fn is_contract(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !name.starts_with('.') && (name.ends_with(".yaml") || name.ends_with(".yml"))
}
