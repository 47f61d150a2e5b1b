//! `bunbase breaking`: classify contract changes against a folder or a git revision, with semver advice, for CI gates.
//!
//! Exit codes: 0 when nothing fails the gate, 100 when a breaking change (or
//! an insufficient version bump with `--check-version`) is found, 2 on bad
//! usage or unreadable input, including contracts that do not compile.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use crate::breaking::render::{self, Paths};
use crate::breaking::{self, CONFIG_FILE, Config, Location, Report, Severity, git};
use crate::ir::Ir;
use crate::source::SourceSet;

/// The exit code when the gate fails.
pub const EXIT_BREAKING: u8 = 100;

/// Arguments of `bunbase breaking`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The contracts folder to check (holding bunbase.yaml).
    #[arg(default_value = "contracts")]
    pub dir: PathBuf,
    /// The baseline: a folder, or a git revision read without a checkout
    /// (`origin/main`, `HEAD~1`, a tag). Prefix with `dir:` or `git:` to
    /// remove any doubt.
    #[arg(long, value_name = "DIR|REV", required_unless_present_any = ["list_rules", "explain"])]
    pub against: Option<String>,
    /// Print the rule catalogue (id, severity, semver effect, summary) and
    /// exit; with `--format json`, as JSON.
    #[arg(long)]
    pub list_rules: bool,
    /// Print why a rule exists, its severity, semver effect and an example,
    /// and exit.
    #[arg(long, value_name = "RULE")]
    pub explain: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also fail when `version` in bunbase.yaml is not bumped at least as
    /// much as the changes need.
    #[arg(long)]
    pub check_version: bool,
    /// The lowest severity that fails the check.
    #[arg(long, value_enum, default_value_t = FailOn::Breaking)]
    pub fail_on: FailOn,
    /// The configuration file (default: bunbase-breaking.yaml beside
    /// bunbase.yaml, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: one block per finding and a verdict.
    Text,
    /// For tools: a versioned JSON document.
    Json,
    /// GitHub Actions workflow commands (annotations on contract lines).
    Github,
    /// A Markdown PR comment with a table.
    Markdown,
}

/// Severity threshold of the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Fail on breaking findings only.
    Breaking,
    /// Fail on warnings too.
    Warning,
    /// Never fail on findings (report only).
    Never,
}

/// Where the baseline comes from.
enum Baseline {
    Dir(PathBuf),
    Rev(String),
}

impl Baseline {
    fn parse(s: &str) -> Baseline {
        if let Some(dir) = s.strip_prefix("dir:") {
            Baseline::Dir(dir.into())
        } else if let Some(rev) = s.strip_prefix("git:") {
            Baseline::Rev(rev.into())
        } else if Path::new(s).is_dir() {
            Baseline::Dir(s.into())
        } else {
            Baseline::Rev(s.into())
        }
    }
}

/// Removes `bunbase-breaking.yaml` from loaded sources: it is not a module.
fn without_config(mut sources: SourceSet) -> SourceSet {
    sources.files.remove(CONFIG_FILE);
    sources
}

/// Compiles a source set, or fails with its diagnostics rendered.
fn compile(sources: &SourceSet, what: &str) -> anyhow::Result<Ir> {
    match crate::compile(sources) {
        Ok(c) => Ok(c.ir),
        Err(diags) => {
            let color = super::check::use_color();
            eprint!("{}", crate::diag::render(&diags, sources, color));
            anyhow::bail!("the contracts in {what} do not compile; fix them first (see above)")
        }
    }
}

fn with_slash(p: &str) -> String {
    if p.is_empty() || p.ends_with('/') {
        p.to_owned()
    } else {
        format!("{p}/")
    }
}

/// Inside GitHub Actions, appends step outputs (`breaking`, `warning`,
/// `required_bump`, `suggested_version`) to `$GITHUB_OUTPUT` and the
/// Markdown report to `$GITHUB_STEP_SUMMARY`.
fn github_files(report: &Report, paths: &Paths) -> anyhow::Result<()> {
    use std::io::Write as _;
    let append = |var: &str, text: &str| -> anyhow::Result<()> {
        let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) else {
            return Ok(());
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open ${var}"))?;
        file.write_all(text.as_bytes())
            .with_context(|| format!("cannot write ${var}"))?;
        Ok(())
    };
    let outputs = format!(
        "breaking={}\nwarning={}\nrequired_bump={}\nsuggested_version={}\n",
        report.summary.breaking,
        report.summary.warning,
        report.version.effective.as_str(),
        report.version.suggested
    );
    append("GITHUB_OUTPUT", &outputs)?;
    append("GITHUB_STEP_SUMMARY", &render::markdown(report, paths))
}

/// Writes to stdout, ignoring a closed pipe (`bunbase breaking ... | head`).
fn emit(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Prints the rule catalogue.
fn list_rules(format: Format) -> ExitCode {
    use crate::breaking::Rule;
    if format == Format::Json {
        let rules: Vec<_> = Rule::ALL
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id(),
                    "area": r.area(),
                    "severity": r.severity().as_str(),
                    "semver": r.bump().as_str(),
                    "summary": r.summary(),
                })
            })
            .collect();
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&rules).unwrap_or_default()
        ));
    } else {
        let mut out = String::new();
        for r in Rule::ALL {
            out.push_str(&format!(
                "{:<34} {:<8} {:<5} {}\n",
                r.id(),
                r.severity().as_str(),
                r.bump().as_str(),
                r.summary()
            ));
        }
        emit(&out);
    }
    ExitCode::SUCCESS
}

/// Runs `bunbase breaking`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(id) = &args.explain {
        let rule = crate::breaking::Rule::from_id(id).ok_or_else(|| {
            let ids = crate::breaking::Rule::ALL.iter().map(|r| r.id());
            let hint = crate::diag::did_you_mean(id, ids)
                .map(|h| format!("; {h}"))
                .unwrap_or_default();
            anyhow::anyhow!("unknown rule `{id}`{hint} (see `bunbase breaking --list-rules`)")
        })?;
        emit(&format!("{}\n", rule.explain().unwrap_or(rule.summary())));
        return Ok(ExitCode::SUCCESS);
    }
    let Some(against) = args.against.clone().filter(|_| !args.list_rules) else {
        return Ok(list_rules(args.format));
    };
    let new_sources = without_config(crate::load::from_dir(&args.dir)?);
    let config_path = args
        .config
        .clone()
        .unwrap_or_else(|| args.dir.join(CONFIG_FILE));
    let config = match std::fs::read_to_string(&config_path) {
        Ok(text) => Config::parse(&text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && args.config.is_none() => {
            Config::default()
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read `{}`", config_path.display()));
        }
    };
    let new_label = args.dir.display().to_string();
    let (old_sources, old_label, old_prefix) = match Baseline::parse(&against) {
        Baseline::Dir(dir) => {
            let sources = without_config(crate::load::from_dir(&dir)?);
            let label = dir.display().to_string();
            (sources, label.clone(), with_slash(&label))
        }
        Baseline::Rev(rev) => {
            let (sources, prefix) = git::read_rev(&args.dir, &rev)?;
            (sources, format!("`{rev}`"), format!("{rev}:{prefix}"))
        }
    };
    let new = compile(&new_sources, &format!("`{new_label}`"))?;
    let old = compile(&old_sources, &old_label)?;

    let raw = breaking::compare(&old, &new);
    let report = Report::build(
        raw,
        &config,
        &old.project.version,
        &new.project.version,
        Location::of(&new.project.span),
        args.check_version,
    );
    let new_prefix = match args.format {
        // Annotations need paths from the repository root.
        Format::Github => git::repo_prefix(&args.dir).unwrap_or_else(|| with_slash(&new_label)),
        _ => with_slash(&new_label),
    };
    let paths = Paths {
        new_prefix,
        old_prefix,
        against,
    };
    let out = match args.format {
        Format::Text => render::text(&report, &paths),
        Format::Json => render::json(&report, &paths),
        Format::Github => render::github(&report, &paths),
        Format::Markdown => render::markdown(&report, &paths),
    };
    emit(&out);
    if args.format == Format::Github {
        github_files(&report, &paths)?;
    }
    let failing = match args.fail_on {
        FailOn::Breaking => report.failing(Severity::Breaking),
        FailOn::Warning => report.failing(Severity::Warning),
        FailOn::Never => 0,
    };
    if failing > 0 && args.format == Format::Text && std::io::stdout().is_terminal() {
        eprintln!("{failing} finding(s) fail the check; accept intended ones in {CONFIG_FILE}");
    }
    Ok(if failing > 0 {
        ExitCode::from(EXIT_BREAKING)
    } else {
        ExitCode::SUCCESS
    })
}
