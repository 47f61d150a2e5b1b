//! Where `bunbase gen` writes its crates: its own workspace in the output folder, or, when the output folder lies inside an existing Cargo workspace (found with `cargo metadata`), as members of that workspace.
//!
//! The output folder joins the enclosing workspace unless one of these
//! holds (then it stays a workspace of its own, as before):
//! - `--standalone` was given;
//! - the output folder already holds a workspace bunbase generated;
//! - no enclosing manifest declares `[workspace]` (a plain package is not
//!   a workspace to join);
//! - the output folder lies in that workspace's target directory (or its
//!   `target/`), or in one of its `workspace.exclude` folders.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::builder::{absolute, relative_to, slashes};
use crate::emit::header;
use crate::write::workspace as ws;

/// How the generated crates relate to Cargo workspaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// The output folder is a workspace of its own (`Cargo.toml` generated).
    Standalone,
    /// The crates are members of the workspace at `root`.
    Member(Join),
}

/// An enclosing workspace the generated crates join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    /// The workspace root folder.
    pub root: PathBuf,
    /// The output folder relative to `root` (`""` when it is the root),
    /// `/`-separated.
    pub prefix: String,
}

impl Join {
    /// The root manifest.
    pub fn manifest(&self) -> PathBuf {
        self.root.join("Cargo.toml")
    }

    /// The member paths of `member_dirs` (relative to the output folder) as
    /// the root manifest lists them.
    pub fn members(&self, member_dirs: &[String]) -> Vec<String> {
        member_dirs
            .iter()
            .map(|d| {
                if self.prefix.is_empty() {
                    d.clone()
                } else {
                    format!("{}/{d}", self.prefix)
                }
            })
            .collect()
    }
}

/// Decides the layout for output folder `out` (see the module docs).
pub fn detect(out: &Path, standalone: bool) -> anyhow::Result<Layout> {
    if standalone {
        return Ok(Layout::Standalone);
    }
    let out = absolute(out);
    let own = out.join("Cargo.toml");
    if let Ok(text) = std::fs::read_to_string(&own) {
        if header::has_header(&text) {
            return Ok(Layout::Standalone);
        }
        if ws::declares_workspace(&text) {
            // The user's own workspace root is the output folder.
            return Ok(Layout::Member(Join {
                root: out,
                prefix: String::new(),
            }));
        }
    }
    // `cargo metadata` from the nearest existing folder finds the manifest
    // cargo itself would use there.
    let mut anchor = out.as_path();
    while !anchor.exists() {
        match anchor.parent() {
            Some(p) => anchor = p,
            None => return Ok(Layout::Standalone),
        }
    }
    let meta = match cargo_metadata::MetadataCommand::new()
        .no_deps()
        .current_dir(anchor)
        .exec()
    {
        Ok(m) => m,
        // No manifest up the tree, or one cargo rejects: nothing to join.
        Err(_) => return Ok(Layout::Standalone),
    };
    let root = absolute(meta.workspace_root.as_std_path());
    let manifest = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    if !ws::declares_workspace(&text) {
        return Ok(Layout::Standalone);
    }
    let target = absolute(meta.target_directory.as_std_path());
    if out.starts_with(&target) || out.starts_with(root.join("target")) {
        return Ok(Layout::Standalone);
    }
    let Some(rel) = relative_to(&out, &root) else {
        return Ok(Layout::Standalone);
    };
    let prefix = match slashes(&rel).as_str() {
        "." => String::new(),
        p => p.to_owned(),
    };
    if prefix.starts_with("..") || (!prefix.is_empty() && ws::is_excluded(&text, &prefix)) {
        return Ok(Layout::Standalone);
    }
    Ok(Layout::Member(Join { root, prefix }))
}
