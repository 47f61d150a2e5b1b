//! The build.rs Builder: generates the API crate's code into `OUT_DIR` and tells cargo when to rerun; also the load-and-compile step every delivery mode shares.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     bunbase::builder::Builder::new().contracts("contracts").compile()?;
//!     Ok(())
//! }
//! ```
//!
//! ```ignore
//! // src/lib.rs
//! include!(concat!(env!("OUT_DIR"), "/bunbase_api.rs"));
//! ```

use std::path::{Component, Path, PathBuf};

use crate::emit::{self, GenOptions, GeneratedFile, RuntimeSource};
use crate::ir::Ir;
use crate::source::SourceSet;

/// The file the Builder writes into `OUT_DIR` unless told otherwise.
pub const DEFAULT_FILE_NAME: &str = "bunbase_api.rs";

/// Environment variables the Builder reads; each is announced with
/// `cargo:rerun-if-env-changed`.
pub const ENV_VARS: &[&str] = &["BUNBASE_RUNTIME_PATH"];

/// Generates the API crate's code from a contracts folder into `OUT_DIR`, for
/// a build script (in the manner of prost-build and tonic-build).
///
/// It writes the file only when its bytes change, so a build with unchanged
/// contracts recompiles nothing, and prints `cargo:rerun-if-changed` for the
/// contracts folder and every contract file, so cargo reruns the script
/// exactly when a contract changes.
#[derive(Debug, Clone)]
pub struct Builder {
    contracts: PathBuf,
    out_dir: Option<PathBuf>,
    file_name: String,
    cargo_directives: bool,
    manifest_dir: Option<PathBuf>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// A Builder for the `contracts` folder, writing
    /// [`DEFAULT_FILE_NAME`] into `OUT_DIR`.
    pub fn new() -> Self {
        Builder {
            contracts: PathBuf::from("contracts"),
            out_dir: None,
            file_name: DEFAULT_FILE_NAME.to_string(),
            cargo_directives: true,
            manifest_dir: None,
        }
    }

    /// The contracts folder (holding `bunbase.yaml`); relative paths are
    /// relative to the package root, where cargo runs build scripts.
    pub fn contracts(mut self, dir: impl Into<PathBuf>) -> Self {
        self.contracts = dir.into();
        self
    }

    /// Writes into `dir` instead of `OUT_DIR`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Names the generated file (default [`DEFAULT_FILE_NAME`]).
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = name.into();
        self
    }

    /// Whether to print `cargo:` directives (on by default; turn off when
    /// calling the Builder outside a build script).
    pub fn cargo_directives(mut self, on: bool) -> Self {
        self.cargo_directives = on;
        self
    }

    /// The package whose `bunbase-runtime` dependency the generated code
    /// must match (default: `CARGO_MANIFEST_DIR`, the package whose build
    /// script runs). The Builder asks `cargo metadata --offline` which
    /// runtime it resolves and fails with [`BuildError::RuntimeMismatch`]
    /// when the generated code was written for another.
    pub fn manifest_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.manifest_dir = Some(dir.into());
        self
    }

    /// Compiles the contracts and writes the API code, returning the path of
    /// the file written (or left unchanged). On contract errors the rendered
    /// diagnostics are printed and returned in the error, so the build fails
    /// with a readable message.
    pub fn compile(self) -> Result<PathBuf, BuildError> {
        let directive = |line: String| {
            if self.cargo_directives {
                println!("cargo:{line}");
            }
        };
        for var in ENV_VARS {
            directive(format!("rerun-if-env-changed={var}"));
        }
        directive(format!("rerun-if-changed={}", self.contracts.display()));
        let out_dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(BuildError::NoOutDir)?,
        };
        let project = match compile_dir(&self.contracts) {
            Ok(p) => p,
            Err(CompileError::Contracts { rendered, count }) => {
                eprint!("{rendered}");
                return Err(BuildError::Contracts {
                    rendered,
                    count,
                    dir: self.contracts.clone(),
                });
            }
            Err(CompileError::Load(msg)) => return Err(BuildError::Load(msg)),
        };
        for input in &project.inputs {
            directive(format!("rerun-if-changed={}", input.display()));
        }
        for line in project.warnings.lines().filter(|l| !l.trim().is_empty()) {
            directive(format!("warning={line}"));
        }
        let runtime = match std::env::var_os("BUNBASE_RUNTIME_PATH") {
            Some(p) => runtime_path(&out_dir, Path::new(&p)),
            None => default_runtime(&out_dir),
        };
        let opts = GenOptions {
            runtime,
            contracts_label: slashes(&self.contracts),
        };
        let code = crate::emit::header::with_header(
            &self.file_name,
            &api_source(&project.ir, &opts),
            &opts.contracts_label,
        );
        let target = out_dir.join(&self.file_name);
        write_if_changed(&target, code.as_bytes())?;
        // In a build script: the runtime this package resolves must be one
        // the generated code was written for.
        let manifest_dir = self.manifest_dir.clone().or_else(|| {
            self.cargo_directives
                .then(|| std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from))
                .flatten()
        });
        if let Some(dir) = manifest_dir
            && let Some(resolved) = crate::runtime_version::resolve_package(&dir)
        {
            if Path::new(&resolved.from).is_file() {
                directive(format!("rerun-if-changed={}", resolved.from));
            }
            crate::runtime_version::check(crate::runtime_version::GENERATED_FOR, &resolved)
                .map_err(BuildError::RuntimeMismatch)?;
        }
        Ok(target)
    }
}

/// The API crate as one `include!`-able file (the Rust emitter's single-file
/// form: modules inline, no inner attributes).
fn api_source(ir: &Ir, opts: &GenOptions) -> String {
    crate::emit::rust::api_single_file(ir, opts)
}

/// Writes `bytes` to `target` unless it already holds exactly them, so the
/// file keeps its mtime and cargo recompiles nothing.
fn write_if_changed(target: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    if std::fs::read(target).ok().as_deref() == Some(bytes) {
        return Ok(());
    }
    let io = |source| BuildError::Io {
        path: target.to_path_buf(),
        source,
    };
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(target, bytes).map_err(io)
}

/// Why [`Builder::compile`] failed. Its `Debug` output is the readable
/// message, so `fn main() -> Result<(), Box<dyn Error>>` in a build script
/// prints the diagnostics rather than a struct dump.
#[derive(thiserror::Error)]
pub enum BuildError {
    /// Not run by cargo and no [`Builder::out_dir`] given.
    #[error("OUT_DIR is not set: run the Builder from a build script, or call `.out_dir(...)`")]
    NoOutDir,
    /// The contracts folder could not be read.
    #[error("{0}")]
    Load(String),
    /// The contracts have errors.
    #[error("{rendered}\nbunbase: {} has {count} contract error(s); fix them to build", dir.display())]
    Contracts {
        /// Every diagnostic, rendered.
        rendered: String,
        /// The number of errors.
        count: usize,
        /// The contracts folder.
        dir: PathBuf,
    },
    /// The package builds against a runtime the generated code was not
    /// written for.
    #[error("bunbase: {0}")]
    RuntimeMismatch(crate::runtime_version::Mismatch),
    /// The generated file could not be written.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl std::fmt::Debug for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// A contracts folder, loaded and compiled.
#[derive(Debug, Clone)]
pub struct Project {
    /// The contract texts.
    pub sources: SourceSet,
    /// The lowered IR.
    pub ir: Ir,
    /// Rendered warnings (empty when there are none).
    pub warnings: String,
    /// Every contract file read, as paths under the contracts folder.
    pub inputs: Vec<PathBuf>,
}

/// Why a contracts folder could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// The folder could not be read.
    #[error("{0}")]
    Load(String),
    /// The contracts have errors; `rendered` shows each with its snippet.
    #[error("{rendered}\ncontracts have {count} error(s); nothing was generated")]
    Contracts {
        /// Every diagnostic, rendered.
        rendered: String,
        /// The number of errors.
        count: usize,
    },
}

/// Loads every contract below `dir` and compiles it to the IR: the step every
/// delivery mode (CLI, build.rs, xtask) runs before emitting.
pub fn compile_dir(dir: &Path) -> Result<Project, CompileError> {
    frontend::compile_dir(dir)
}

/// Compiles `dir` and emits every file for the output folder `out`, with
/// the runtime taken from `runtime` (or [`default_runtime`]). Returns the
/// files and the rendered warnings. The CLI, xtask and tests share it, so
/// they produce the same bytes for the same folders.
pub fn emit_dir(
    dir: &Path,
    out: &Path,
    runtime: Option<RuntimeSource>,
) -> Result<(Vec<GeneratedFile>, String), CompileError> {
    // The SDK's templates parse on another thread while the contracts
    // compile (resolving, checking and lowering run on one core).
    // Best effort: without the thread the SDK emitter parses them itself.
    let _ = std::thread::Builder::new()
        .name("bunbase-templates".into())
        .spawn(|| {
            emit::ts::templates();
        });
    let project = compile_dir(dir)?;
    let opts = GenOptions {
        runtime: runtime.unwrap_or_else(|| default_runtime(out)),
        contracts_label: contracts_label(dir, out),
    };
    Ok((emit::generate(&project.ir, &opts), project.warnings))
}

/// The contracts folder as seen from the output folder (`contracts` for the
/// CLI defaults), `/`-separated: it names the contracts in file headers and
/// does not depend on the directory `gen` ran in.
pub fn contracts_label(dir: &Path, out: &Path) -> String {
    let (d, o) = (absolute(dir), absolute(out));
    match relative_to(&d, &o) {
        Some(rel) => slashes(&rel),
        None => slashes(&d),
    }
}

/// The seam to the front end: load, compile, render diagnostics.
mod frontend {
    use super::{CompileError, Project};
    use std::path::Path;

    pub(super) fn compile_dir(dir: &Path) -> Result<Project, CompileError> {
        let sources = crate::load::from_dir(dir).map_err(|e| CompileError::Load(e.to_string()))?;
        let inputs = sources.files.keys().map(|p| dir.join(p)).collect();
        match crate::compile(&sources) {
            Ok(compiled) => {
                let warnings = if compiled.warnings.is_empty() {
                    String::new()
                } else {
                    crate::diag::render(&compiled.warnings, &sources, false)
                };
                Ok(Project {
                    ir: compiled.ir,
                    sources,
                    warnings,
                    inputs,
                })
            }
            Err(diags) => Err(CompileError::Contracts {
                rendered: crate::diag::render(&diags, &sources, false),
                count: diags.iter().filter(|d| d.is_error()).count(),
            }),
        }
    }
}

/// Where the generated workspace in `out` takes `bunbase-runtime` from when
/// nothing is chosen: this checkout's `runtime-support` folder (known at
/// compile time), as a path relative to `out` when one exists so committed
/// output stays portable; the registry release of this version when the
/// checkout is gone (an installed binary).
pub fn default_runtime(out: &Path) -> RuntimeSource {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime-support");
    if checkout.join("Cargo.toml").exists() {
        runtime_path(out, &checkout)
    } else {
        RuntimeSource::Registry(env!("CARGO_PKG_VERSION").to_string())
    }
}

/// A path dependency on the runtime at `runtime` for a workspace in `out`:
/// relative to `out` when both lie in a shared folder below the root (two
/// levels, such as `/home/me`), absolute otherwise; `/`-separated.
pub fn runtime_path(out: &Path, runtime: &Path) -> RuntimeSource {
    let runtime = absolute(runtime);
    let out = absolute(out);
    // Relative only when the two share a folder below the root (the same
    // checkout or home): `../../../opt/x` from a temporary folder is less
    // portable than the absolute path.
    let shared = runtime
        .components()
        .zip(out.components())
        .take_while(|(a, b)| a == b)
        .count();
    let path = match relative_to(&runtime, &out) {
        Some(rel) if shared > 2 => rel,
        _ => runtime,
    };
    RuntimeSource::Path(slashes(&path))
}

/// `path` relative to `base` (both absolute and normalised), if they share a
/// root.
pub fn relative_to(path: &Path, base: &Path) -> Option<PathBuf> {
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    if p.first() != b.first() {
        return None;
    }
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &p[common..] {
        rel.push(c);
    }
    if rel.as_os_str().is_empty() {
        rel.push(".");
    }
    Some(rel)
}

/// `path` made absolute and normalised: the longest existing ancestor is
/// canonicalised (resolving symlinks and `..`), the rest appended as is.
pub fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut existing = joined.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canon) = existing.canonicalize() {
            let mut out = canon;
            for c in rest.iter().rev() {
                match c {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::CurDir => {}
                    other => out.push(other),
                }
            }
            return out;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return joined,
        }
    }
}

/// A path as a `/`-separated string.
pub fn slashes(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
        .replacen("//", "/", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let rel = relative_to(Path::new("/a/b/runtime"), Path::new("/a/c/out")).unwrap();
        assert_eq!(slashes(&rel), "../../b/runtime");
        assert_eq!(
            slashes(&relative_to(Path::new("/a/b"), Path::new("/a/b")).unwrap()),
            "."
        );
    }

    #[test]
    fn absolute_handles_missing_folders() {
        let tmp = std::env::temp_dir().canonicalize().unwrap();
        let p = absolute(&tmp.join("bunbase-does-not-exist/x/../y"));
        assert_eq!(p, tmp.join("bunbase-does-not-exist/y"));
    }

    #[test]
    fn default_runtime_is_this_checkout() {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/some-out");
        assert_eq!(
            default_runtime(&out),
            RuntimeSource::Path("../../runtime-support".into())
        );
    }
}
