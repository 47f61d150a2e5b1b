//! Writing: write-if-changed output, the manifest of generated files, drift checks (`--check`) and protection of user-owned and hand-edited files.
//!
//! Split in the house manner: [`plan`] is pure (it compares the emitted files
//! with what a [`Tree`] holds and returns a [`Plan`] value); [`apply`] is the
//! thin step that carries a plan out on disk; [`report`] renders plans for
//! humans (`--check` listings with diffs, one-line summaries).
//!
//! Rules, each a test in `generator/tests/delivery_write.rs`:
//! - **A file is written only when its bytes change**, so an unchanged file
//!   keeps its mtime and cargo rebuilds nothing.
//! - **Only files bunbase wrote are removed**: a file is removed when the
//!   previous manifest lists it as generated, it is no longer produced, and
//!   its bytes are still the ones bunbase wrote.
//! - **Scaffold files are written only when missing**, never overwritten and
//!   never removed.
//! - **Hand edits are never clobbered silently**: a generated file whose bytes
//!   differ from what the manifest recorded (or an existing file bunbase did
//!   not write) is a [`Conflict`]; [`apply`] refuses to write anything while
//!   a plan has conflicts, unless the plan was made with `force`.

use std::path::{Path, PathBuf};

use crate::emit::{GeneratedFile, Ownership, header};

mod apply;
pub mod manifest;
pub mod report;
pub mod workspace;

pub use apply::{Summary, apply};
pub use manifest::{MANIFEST_PATH, Manifest, ManifestEntry, sha256_hex};

/// Read access to the current contents of an output folder. Implemented for
/// a real folder ([`DirTree`]) and for in-memory maps (tests).
pub trait Tree {
    /// The bytes at `path` (relative, `/`-separated), or `None` when no file
    /// is there.
    fn read(&self, path: &str) -> std::io::Result<Option<Vec<u8>>>;
}

/// A folder on disk as a [`Tree`].
#[derive(Debug, Clone)]
pub struct DirTree(pub PathBuf);

impl Tree for DirTree {
    fn read(&self, path: &str) -> std::io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.0.join(path)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Tree for std::collections::BTreeMap<String, Vec<u8>> {
    fn read(&self, path: &str) -> std::io::Result<Option<Vec<u8>>> {
        Ok(self.get(path).cloned())
    }
}

/// Failures of the writer itself (not of the user's contracts).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read, written or removed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What the writer was doing (`reading`, `writing`, `removing`).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The previous manifest exists but cannot be read.
    #[error(
        "{path} is not a valid bunbase manifest ({reason}); delete it and run `bunbase gen --force` to regenerate"
    )]
    BadManifest {
        /// The manifest's path relative to the output folder.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An emitted or recorded path would escape the output folder.
    #[error("refusing to write {0:?}: paths must be relative and stay inside the output folder")]
    BadPath(String),
    /// Two emitted files share a path.
    #[error("two generated files share the path {0:?}")]
    DuplicatePath(String),
    /// The plan has conflicts and was not made with `force`.
    #[error("{}", report::conflicts(.0))]
    Conflicts(Vec<Conflict>),
}

/// Options for [`plan`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Overwrite (or remove) files that conflict instead of refusing.
    pub force: bool,
}

/// What happens to one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The file is missing and will be written.
    Create {
        /// The new contents.
        contents: String,
    },
    /// The file exists with other bytes and will be rewritten.
    Update {
        /// The bytes on disk now.
        old: Vec<u8>,
        /// The new contents.
        contents: String,
    },
    /// The file is no longer produced and will be removed.
    Remove {
        /// The bytes on disk now.
        old: Vec<u8>,
    },
    /// The file already holds exactly these bytes; it is not touched.
    Unchanged,
    /// A scaffold file that exists: it is the user's and is not touched.
    KeepScaffold,
    /// A scaffold file that is no longer produced: it is the user's and is
    /// kept (reported so the user can delete it).
    Orphaned,
}

impl Action {
    /// Whether carrying out the action changes the folder.
    pub fn is_change(&self) -> bool {
        matches!(
            self,
            Action::Create { .. } | Action::Update { .. } | Action::Remove { .. }
        )
    }
}

/// One path of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the output folder, `/`-separated.
    pub path: String,
    /// Who owns the file.
    pub ownership: Ownership,
    /// What happens to it.
    pub action: Action,
}

/// Why a path cannot be written without `--force`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// A generated file was edited by hand since bunbase wrote it.
    Edited,
    /// A generated file that is no longer produced was edited by hand.
    EditedRemoved,
    /// A file exists where bunbase would write, and bunbase did not write it.
    Unmanaged,
}

/// A path whose current bytes bunbase did not write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Path relative to the output folder.
    pub path: String,
    /// What kind of conflict.
    pub kind: ConflictKind,
}

/// The result of [`plan`]: what to do with every path, sorted by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Every path, emitted or previously recorded, and the manifest itself.
    pub entries: Vec<Entry>,
    /// Paths whose current bytes bunbase did not write.
    pub conflicts: Vec<Conflict>,
    /// Whether the plan was made with `force` (conflicting paths are then
    /// overwritten or removed).
    pub forced: bool,
}

impl Plan {
    /// Whether the folder already matches the emitted files (nothing to write
    /// or remove, no conflicts).
    pub fn is_up_to_date(&self) -> bool {
        self.conflicts.is_empty() && !self.entries.iter().any(|e| e.action.is_change())
    }

    /// The entries that change the folder.
    pub fn changes(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.action.is_change())
    }
}

/// Compares `files` (the emitter's output) with what `tree` holds and the
/// manifest recorded there, and decides what to write, keep and remove.
/// Pure: reads through `tree`, writes nothing.
pub fn plan(files: &[GeneratedFile], tree: &dyn Tree, opts: PlanOptions) -> Result<Plan, Error> {
    plan_owned(files.to_vec(), tree, opts)
}

/// [`plan`], taking the files by value: their contents move into the plan
/// instead of being copied, so a large generation is held once (what
/// `bunbase gen` uses).
pub fn plan_owned(
    files: Vec<GeneratedFile>,
    tree: &dyn Tree,
    opts: PlanOptions,
) -> Result<Plan, Error> {
    let previous = read_manifest(tree)?;
    let mut next = Manifest::default();
    let mut entries = Vec::new();
    let mut conflicts = Vec::new();

    for f in files {
        check_path(&f.path)?;
        if f.path == MANIFEST_PATH || next.files.contains_key(&f.path) {
            return Err(Error::DuplicatePath(f.path.clone()));
        }
        next.files.insert(
            f.path.clone(),
            ManifestEntry {
                sha256: sha256_hex(f.contents.as_bytes()),
                ownership: f.ownership,
            },
        );
        let disk = read(tree, &f.path)?;
        let action = match (f.ownership, disk) {
            (_, None) => Action::Create {
                contents: f.contents,
            },
            (Ownership::Scaffold, Some(_)) => Action::KeepScaffold,
            (Ownership::Generated, Some(old)) if old == f.contents.as_bytes() => Action::Unchanged,
            (Ownership::Generated, Some(old)) => {
                let recorded = previous
                    .files
                    .get(&f.path)
                    .filter(|e| e.ownership == Ownership::Generated);
                let kind = match recorded {
                    Some(e) if e.sha256 == sha256_hex(&old) => None,
                    Some(_) => Some(ConflictKind::Edited),
                    // No record (first run, or the manifest was lost): a file
                    // carrying our header is ours, anything else is not.
                    None if header::has_header(&String::from_utf8_lossy(&old)) => None,
                    None => Some(ConflictKind::Unmanaged),
                };
                if let Some(kind) = kind {
                    conflicts.push(Conflict {
                        path: f.path.clone(),
                        kind,
                    });
                }
                Action::Update {
                    old,
                    contents: f.contents,
                }
            }
        };
        entries.push(Entry {
            path: f.path,
            ownership: f.ownership,
            action,
        });
    }

    for (path, recorded) in &previous.files {
        if next.files.contains_key(path) {
            continue;
        }
        check_path(path)?;
        let action = match recorded.ownership {
            Ownership::Scaffold => Action::Orphaned,
            Ownership::Generated => match read(tree, path)? {
                None => continue,
                Some(old) => {
                    if sha256_hex(&old) != recorded.sha256 {
                        conflicts.push(Conflict {
                            path: path.clone(),
                            kind: ConflictKind::EditedRemoved,
                        });
                    }
                    Action::Remove { old }
                }
            },
        };
        entries.push(Entry {
            path: path.clone(),
            ownership: recorded.ownership,
            action,
        });
    }

    let manifest_json = next.to_json();
    let action = match read(tree, MANIFEST_PATH)? {
        None => Action::Create {
            contents: manifest_json,
        },
        Some(old) if old == manifest_json.as_bytes() => Action::Unchanged,
        Some(old) => Action::Update {
            old,
            contents: manifest_json,
        },
    };
    entries.push(Entry {
        path: MANIFEST_PATH.to_string(),
        ownership: Ownership::Generated,
        action,
    });

    entries.sort_by(|a, b| a.path.cmp(&b.path));
    conflicts.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Plan {
        entries,
        conflicts,
        forced: opts.force,
    })
}

/// Plans against the folder `out` (which may not exist yet) and applies the
/// plan: the whole of `bunbase gen` after emitting.
pub fn write_dir(
    files: &[GeneratedFile],
    out: &Path,
    opts: PlanOptions,
) -> Result<(Plan, Summary), Error> {
    let plan = plan(files, &DirTree(out.to_path_buf()), opts)?;
    let summary = apply(&plan, out)?;
    Ok((plan, summary))
}

fn read_manifest(tree: &dyn Tree) -> Result<Manifest, Error> {
    match read(tree, MANIFEST_PATH)? {
        None => Ok(Manifest::default()),
        Some(bytes) => {
            let text = String::from_utf8(bytes).map_err(|_| Error::BadManifest {
                path: MANIFEST_PATH.into(),
                reason: "not UTF-8".into(),
            })?;
            Manifest::parse(&text).map_err(|reason| Error::BadManifest {
                path: MANIFEST_PATH.into(),
                reason,
            })
        }
    }
}

fn read(tree: &dyn Tree, path: &str) -> Result<Option<Vec<u8>>, Error> {
    tree.read(path).map_err(|source| Error::Io {
        action: "reading",
        path: PathBuf::from(path),
        source,
    })
}

/// Rejects paths that are empty, absolute, use `\`, or contain `.`/`..`
/// components: the writer never touches anything outside the output folder.
fn check_path(path: &str) -> Result<(), Error> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path.contains(':')
        || path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        Err(Error::BadPath(path.to_string()))
    } else {
        Ok(())
    }
}
