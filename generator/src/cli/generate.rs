//! `bunbase gen`: load and compile the contracts, emit every target, then write only what changed (or, with `--check`, report drift and write nothing).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use super::workspace::{self, Layout};
use crate::builder::{self, CompileError};
use crate::emit::{GeneratedFile, Ownership, RuntimeSource};
use crate::runtime_version;
use crate::write::{self, PlanOptions, report};

mod watch;

/// Arguments of `bunbase gen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The contracts folder (holding `bunbase.yaml`).
    #[arg(default_value = "contracts")]
    pub dir: PathBuf,
    /// The output folder.
    #[arg(long, short, default_value = ".")]
    pub out: PathBuf,
    /// Write nothing; exit 1 listing every file that would be created,
    /// changed or removed (with a diff), 0 when the output is up to date.
    #[arg(long, conflicts_with_all = ["force", "watch"])]
    pub check: bool,
    /// Overwrite generated files that were edited by hand, and files bunbase
    /// did not write that stand where it writes.
    #[arg(long)]
    pub force: bool,
    /// Regenerate whenever a contract changes.
    #[arg(long)]
    pub watch: bool,
    /// Write a workspace of its own even when the output folder lies inside
    /// an existing Cargo workspace (by default the crates join it).
    #[arg(long)]
    pub standalone: bool,
    /// Take `bunbase-runtime` from this folder (default: this checkout's
    /// `runtime-support`).
    #[arg(long, env = "BUNBASE_RUNTIME_PATH", value_name = "DIR")]
    pub runtime_path: Option<PathBuf>,
    /// Take `bunbase-runtime` from this git repository.
    #[arg(long, value_name = "URL", conflicts_with = "runtime_version")]
    pub runtime_git: Option<String>,
    /// The git revision for `--runtime-git`.
    #[arg(long, value_name = "REV", requires = "runtime_git")]
    pub runtime_rev: Option<String>,
    /// Take `bunbase-runtime` from crates.io with this version requirement.
    #[arg(long, value_name = "VERSION")]
    pub runtime_version: Option<String>,
}

impl Args {
    /// The runtime source the flags choose, in order of precedence: git,
    /// registry version, path (flag or `BUNBASE_RUNTIME_PATH`), default.
    pub fn runtime(&self) -> RuntimeSource {
        if let Some(url) = &self.runtime_git {
            return RuntimeSource::Git {
                url: url.clone(),
                rev: self.runtime_rev.clone(),
            };
        }
        if let Some(v) = &self.runtime_version {
            return RuntimeSource::Registry(v.clone());
        }
        match &self.runtime_path {
            Some(p) => builder::runtime_path(&self.out, p),
            None => builder::default_runtime(&self.out),
        }
    }
}

/// Runs `bunbase gen`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.watch {
        return watch::run(&args);
    }
    let outcome = generate_once(&args)?;
    Ok(outcome.exit_code())
}

/// How one generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Written (or, with `--check`, already up to date).
    Done,
    /// Contract errors, drift under `--check`, or conflicts without `--force`.
    Failed,
}

impl Outcome {
    /// The process exit code: 0 when done, 1 otherwise.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Done => ExitCode::SUCCESS,
            Outcome::Failed => ExitCode::from(1),
        }
    }
}

/// One full generation (or check), printing diagnostics, drift or a summary.
/// Tool failures (I/O) are errors; everything the user must fix is reported
/// and returned as [`Outcome::Failed`].
pub fn generate_once(args: &Args) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    // Where the output goes and which runtime it resolves do not depend on
    // the contracts; finding out may run `cargo metadata` (a process of its
    // own, about 0.1 s), so it runs beside the emitters.
    let (emitted, layout) = std::thread::scope(|s| {
        let layout = s.spawn(|| -> anyhow::Result<_> {
            let join = match workspace::detect(&args.out, args.standalone)? {
                Layout::Standalone => None,
                Layout::Member(join) => Some(join),
            };
            let version = runtime_mismatch(args, join.as_ref());
            Ok((join, version))
        });
        let emitted = emit_dir(&args.dir, &args.out, args.runtime());
        match layout.join() {
            Ok(layout) => (emitted, layout),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    let Some(files) = emitted? else {
        return Ok(Outcome::Failed);
    };
    let (join, version) = layout?;
    let files = match join {
        None => files,
        Some(_) => write::workspace::as_members(files)?,
    };
    let members = match &join {
        Some(j) => {
            let members = j.members(&write::workspace::member_dirs(&files));
            let manifest = j.manifest();
            let text = std::fs::read_to_string(&manifest)?;
            let edit = write::workspace::add_members(
                &crate::builder::slashes(&manifest),
                &text,
                &members,
            )?;
            Some((manifest, text, edit))
        }
        None => None,
    };
    // The handler check below reads only the scaffold files; the rest
    // moves into the plan rather than being held twice.
    let scaffold_files: Vec<GeneratedFile> = files
        .iter()
        .filter(|f| f.ownership == Ownership::Scaffold)
        .cloned()
        .collect();
    // The handler check's parse of the scaffold reads no disk: it runs
    // while the plan is made and written (syntax trees stay on this
    // thread).
    let (planned, scaffold) = std::thread::scope(|s| {
        let planned = s.spawn(|| {
            let plan = write::plan_owned(
                files,
                &write::DirTree(args.out.clone()),
                PlanOptions { force: args.force },
            )?;
            let applied = (!args.check).then(|| write::apply(&plan, &args.out));
            Ok::<_, write::Error>((plan, applied))
        });
        let scaffold = super::handlers::Scaffold::parse(&scaffold_files);
        match planned.join() {
            Ok(planned) => (planned, scaffold),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    let (plan, applied) = planned?;

    let Some(applied) = applied else {
        let missing_members = members.as_ref().filter(|(_, _, e)| !e.added.is_empty());
        if let Some((manifest, _, edit)) = missing_members {
            println!(
                "bunbase gen --check: {} does not list the generated crates as workspace members: {}",
                manifest.display(),
                edit.added.join(", ")
            );
        }
        if let Some(mismatch) = &version {
            eprintln!("error: {mismatch}");
        }
        if plan.is_up_to_date() && missing_members.is_none() && version.is_none() {
            eprintln!("bunbase gen --check: {} is up to date", args.out.display());
            return Ok(Outcome::Done);
        }
        if plan.is_up_to_date() {
            return Ok(Outcome::Failed);
        }
        println!(
            "bunbase gen --check: {} is stale; run `bunbase gen {} --out {}` to update it:",
            args.out.display(),
            args.dir.display(),
            args.out.display()
        );
        print!("{}", report::drift(&plan));
        eprint!("{}", scaffold.check(&args.out).render());
        return Ok(Outcome::Failed);
    };
    let summary = match applied {
        Ok(s) => s,
        Err(write::Error::Conflicts(c)) => {
            eprintln!("error: nothing was written: {}", report::conflicts(&c));
            return Ok(Outcome::Failed);
        }
        Err(e) => return Err(e.into()),
    };
    for c in plan.conflicts.iter().filter(|_| plan.forced) {
        eprintln!("warning: overwrote {} (--force)", c.path);
    }
    for path in report::orphans(&plan) {
        eprintln!(
            "note: {path} is no longer generated; it is yours, so it was kept (delete it if unused)"
        );
    }
    eprintln!(
        "bunbase gen: {}",
        report::summary_line(&summary, started.elapsed())
    );
    if let (Some(join), Some((manifest, text, edit))) = (&join, &members) {
        if edit.added.is_empty() {
            eprintln!(
                "bunbase gen: the crates are members of the workspace at {}",
                join.root.display()
            );
        } else {
            if edit.text != *text {
                std::fs::write(manifest, &edit.text)?;
            }
            eprintln!(
                "bunbase gen: joined the workspace at {}: added {} to workspace.members (nothing else in {} changed)",
                join.root.display(),
                edit.added
                    .iter()
                    .map(|m| format!("\"{m}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
                manifest.display()
            );
        }
    }
    // Actions added to the contracts need methods in files that are the
    // user's: say exactly what to paste before the compiler says E0046.
    eprint!("{}", scaffold.check(&args.out).render());
    if let Some(mismatch) = version {
        eprintln!("error: {mismatch}");
        return Ok(Outcome::Failed);
    }
    Ok(Outcome::Done)
}

/// The runtime the generated workspace resolves, when it is not one the
/// code bunbase generates can be built against.
fn runtime_mismatch(
    args: &Args,
    join: Option<&workspace::Join>,
) -> Option<runtime_version::Mismatch> {
    let root = join.map_or_else(|| args.out.clone(), |j| j.root.clone());
    let manifest = match args.runtime() {
        RuntimeSource::Path(p) => Some(args.out.join(p).join("Cargo.toml")),
        _ => None,
    };
    let resolved = runtime_version::resolve_workspace(&root, manifest.as_deref())?;
    runtime_version::check(runtime_version::GENERATED_FOR, &resolved).err()
}

/// Compiles `dir` and emits every file for `out`, printing warnings;
/// prints the diagnostics and returns `None` when the contracts have errors.
pub fn emit_dir(
    dir: &Path,
    out: &Path,
    runtime: RuntimeSource,
) -> anyhow::Result<Option<Vec<GeneratedFile>>> {
    match builder::emit_dir(dir, out, Some(runtime)) {
        Ok((files, warnings)) => {
            eprint!("{warnings}");
            Ok(Some(files))
        }
        Err(CompileError::Contracts { rendered, count }) => {
            eprint!("{rendered}");
            eprintln!(
                "bunbase gen: {count} error(s) in {}; nothing was generated",
                dir.display()
            );
            Ok(None)
        }
        Err(e @ CompileError::Load(_)) => Err(e.into()),
    }
}
