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

/// The seam to the front end (load, compile, render diagnostics).
mod frontend {
    use super::{CompileError, Project};
    use std::path::Path;

    pub(super) fn compile_dir(dir: &Path) -> Result<Project, CompileError> {
        Err(CompileError::Load(format!(
            "cannot compile {}: the contract front end is not part of this build yet",
            dir.display()
        )))
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
/// relative to `out` when possible, absolute otherwise; `/`-separated.
pub fn runtime_path(out: &Path, runtime: &Path) -> RuntimeSource {
    let runtime = absolute(runtime);
    let out = absolute(out);
    let path = relative_to(&runtime, &out).unwrap_or(runtime);
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
