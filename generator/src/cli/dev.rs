//! `bunbase dev`: the inner loop in one command. Watches the contracts and the server crate; on a change it regenerates (contracts only), rebuilds incrementally, and restarts the server, keeping the last good server running while a build fails; one status line per cycle.
//!
//! A cycle is: `bunbase gen` (when a contract changed; it also prints the
//! handler methods the user's files lack), `cargo build -p <server>` with
//! cargo's JSON messages (so the compiler's first error can be shown in
//! full), then, when the build succeeded, SIGTERM to the running server
//! (it drains in-flight requests) and a start of the new binary with
//! `serve`. Changes that arrive during a cycle start the next one.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use notify::{RecursiveMode, Watcher};

use super::generate::{self, Outcome};

/// How long the watched folders must be quiet before a cycle starts (as
/// `gen --watch`: editors save in bursts).
const DEBOUNCE: Duration = Duration::from_millis(200);

/// Arguments of `bunbase dev`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The contracts folder (holding `bunbase.yaml`).
    #[arg(default_value = "contracts")]
    pub dir: PathBuf,
    /// The output folder (as for `bunbase gen`).
    #[arg(long, short, default_value = ".")]
    pub out: PathBuf,
    /// Overwrite generated files that were edited by hand (as `gen --force`).
    #[arg(long)]
    pub force: bool,
    /// Keep the output a workspace of its own (as `gen --standalone`).
    #[arg(long)]
    pub standalone: bool,
    /// Take `bunbase-runtime` from this folder (as for `bunbase gen`).
    #[arg(long, env = "BUNBASE_RUNTIME_PATH", value_name = "DIR")]
    pub runtime_path: Option<PathBuf>,
    /// Arguments for the server after `serve` (after `--`).
    #[arg(last = true)]
    pub server_args: Vec<String>,
}

impl Args {
    fn gen_args(&self) -> generate::Args {
        generate::Args {
            dir: self.dir.clone(),
            out: self.out.clone(),
            check: false,
            force: self.force,
            watch: false,
            standalone: self.standalone,
            runtime_path: self.runtime_path.clone(),
            runtime_git: None,
            runtime_rev: None,
            runtime_version: None,
        }
    }
}

/// What changed since the last cycle.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Changes {
    contracts: bool,
    code: bool,
}

/// The server process of the last good build.
struct Running {
    child: Child,
    build: u32,
}

impl Running {
    /// Asks the server to stop (SIGTERM: it drains in-flight requests),
    /// then kills it if it is still running after 10 s.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How one build ended.
enum Build {
    Ok {
        binary: PathBuf,
        took: Duration,
        /// Cargo rebuilt nothing: the running server is this binary.
        fresh: bool,
    },
    Failed {
        first_error: Option<String>,
        summary: String,
    },
}

/// Runs `bunbase dev` until it is stopped (Ctrl-C stops the server too:
/// it shares the terminal's process group).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let gen_args = args.gen_args();
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let _ = tx.send(event);
    })
    .context("starting the file watcher")?;
    watcher
        .watch(&args.dir, RecursiveMode::Recursive)
        .with_context(|| format!("watching {}", args.dir.display()))?;
    eprintln!(
        "bunbase dev: watching {} and the server crate in {} (Ctrl-C to stop)",
        args.dir.display(),
        args.out.display()
    );
    let mut server: Option<Running> = None;
    let mut watched: Option<PathBuf> = None;
    let mut changes = Changes {
        contracts: true,
        code: true,
    };
    let mut cycle = 0u32;
    loop {
        cycle += 1;
        let started = Instant::now();
        let mut parts = Vec::new();
        let mut generated = true;
        if changes.contracts {
            match generate::generate_once(&gen_args) {
                Ok(Outcome::Done) => parts.push("regenerated".to_owned()),
                Ok(Outcome::Failed) => {
                    generated = false;
                    parts.push("generation failed (see above)".to_owned());
                }
                Err(e) => {
                    generated = false;
                    parts.push(format!("generation failed: {e:#}"));
                }
            }
        }
        let crate_dir = server_crate(&args.out);
        if let Some(dir) = &crate_dir
            && watched.as_deref() != Some(dir.as_path())
        {
            // The server crate exists once the first generation wrote it.
            watcher
                .watch(dir, RecursiveMode::Recursive)
                .with_context(|| format!("watching {}", dir.display()))?;
            watched = Some(dir.clone());
        }
        match (&crate_dir, generated) {
            (Some(dir), true) => match build(&args.out, dir)? {
                Build::Ok { fresh: true, .. } if server.is_some() => {
                    parts.push("nothing to rebuild".to_owned());
                    parts.push(still_serving(&server));
                }
                Build::Ok { binary, took, .. } => {
                    parts.push(format!("built in {:.1} s", took.as_secs_f64()));
                    if let Some(old) = server.take() {
                        old.stop();
                    }
                    let child = Command::new(&binary)
                        .arg("serve")
                        .args(&args.server_args)
                        .current_dir(&args.out)
                        .spawn()
                        .with_context(|| format!("starting {}", binary.display()))?;
                    parts.push(format!("serving build {cycle} (pid {})", child.id()));
                    server = Some(Running {
                        child,
                        build: cycle,
                    });
                }
                Build::Failed {
                    first_error,
                    summary,
                } => {
                    if let Some(e) = &first_error {
                        eprintln!("{}", e.trim_end());
                    }
                    parts.push(format!("build failed: {summary}"));
                    parts.push(still_serving(&server));
                }
            },
            (None, true) => parts.push("no server crate found (a crates/*/src/main.rs)".to_owned()),
            (_, false) => parts.push(still_serving(&server)),
        }
        let what = match (changes.contracts, changes.code, cycle) {
            (_, _, 1) => "start",
            (true, true, _) => "contracts and code changed",
            (true, false, _) => "contracts changed",
            _ => "code changed",
        };
        eprintln!(
            "bunbase dev: [{cycle}] {what}: {} ({:.1} s)",
            parts.join(", "),
            started.elapsed().as_secs_f64()
        );
        changes = wait_for_changes(&rx, &args.dir, crate_dir.as_deref())?;
    }
}

fn still_serving(server: &Option<Running>) -> String {
    match server {
        Some(s) => format!("still serving build {} (pid {})", s.build, s.child.id()),
        None => "no server running yet".to_owned(),
    }
}

/// The server crate of the workspace in `out`: the folder of the first
/// `crates/*/src/main.rs`.
fn server_crate(out: &Path) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(out.join("crates"))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("src/main.rs").is_file() && p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs.into_iter().next()
}

/// The package name in `dir/Cargo.toml`.
fn package_name(dir: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml"))
        .with_context(|| format!("reading {}/Cargo.toml", dir.display()))?;
    let doc: toml_edit::DocumentMut = text
        .parse()
        .with_context(|| format!("{}/Cargo.toml is not valid TOML", dir.display()))?;
    doc.get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_owned)
        .with_context(|| format!("{}/Cargo.toml names no package", dir.display()))
}

/// `cargo build -p <server>` with JSON messages: the binary on success,
/// the compiler's first error (rendered as rustc prints it) on failure.
fn build(out: &Path, crate_dir: &Path) -> anyhow::Result<Build> {
    let package = package_name(crate_dir)?;
    let started = Instant::now();
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(out)
        .args(["build", "-p", &package, "--message-format=json"])
        .stdin(Stdio::null())
        .output()
        .context("running cargo build")?;
    let mut binary = None;
    let mut fresh = false;
    let mut first_error = None;
    let mut errors = 0;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        match msg["reason"].as_str() {
            Some("compiler-artifact")
                if msg["target"]["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin")) =>
            {
                if let Some(exe) = msg["executable"].as_str() {
                    binary = Some(PathBuf::from(exe));
                    fresh = msg["fresh"].as_bool().unwrap_or(false);
                }
            }
            Some("compiler-message") if msg["message"]["level"] == "error" => {
                errors += 1;
                if first_error.is_none() {
                    first_error = msg["message"]["rendered"].as_str().map(str::to_owned);
                }
            }
            _ => {}
        }
    }
    if output.status.success()
        && let Some(binary) = binary
    {
        return Ok(Build::Ok {
            binary,
            took: started.elapsed(),
            fresh,
        });
    }
    let summary = match (&first_error, errors) {
        (Some(e), n) => format!(
            "{} ({n} error(s))",
            e.lines().next().unwrap_or("error").trim()
        ),
        (None, _) => {
            // Not a compiler error (a manifest problem, say): cargo's own words.
            let stderr = String::from_utf8_lossy(&output.stderr);
            eprintln!("{}", stderr.trim_end());
            stderr
                .lines()
                .find(|l| l.starts_with("error"))
                .unwrap_or("cargo build failed")
                .to_owned()
        }
    };
    Ok(Build::Failed {
        first_error,
        summary,
    })
}

/// Blocks until a relevant change, then drains the burst (200 ms of quiet,
/// as `gen --watch`) and says what changed.
fn wait_for_changes(
    rx: &mpsc::Receiver<notify::Result<notify::Event>>,
    contracts: &Path,
    crate_dir: Option<&Path>,
) -> anyhow::Result<Changes> {
    let contracts = crate::builder::absolute(contracts);
    let crate_dir = crate_dir.map(crate::builder::absolute);
    let classify = |event: &notify::Result<notify::Event>, c: &mut Changes| match event {
        Ok(e) if !e.kind.is_access() => {
            for p in &e.paths {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name.starts_with('.') || name.ends_with('~') {
                    continue;
                }
                let p = crate::builder::absolute(p);
                if p.starts_with(&contracts) && (name.ends_with(".yaml") || name.ends_with(".yml"))
                {
                    c.contracts = true;
                } else if let Some(dir) = &crate_dir
                    && p.starts_with(dir)
                    && !p.starts_with(dir.join("target"))
                    && (name.ends_with(".rs") || name.ends_with(".sql") || name == "Cargo.toml")
                {
                    c.code = true;
                }
            }
        }
        Ok(_) => {}
        // Events may have been lost: redo everything.
        Err(_) => {
            c.contracts = true;
            c.code = true;
        }
    };
    loop {
        let mut changes = Changes::default();
        let first = rx.recv().context("the file watcher stopped")?;
        classify(&first, &mut changes);
        while let Ok(event) = rx.recv_timeout(DEBOUNCE) {
            classify(&event, &mut changes);
        }
        if changes != Changes::default() {
            return Ok(changes);
        }
    }
}
