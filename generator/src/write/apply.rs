//! Carrying out a [`Plan`] on disk: the only part of the writer that touches the file system.

use std::path::Path;

use super::{Action, Error, MANIFEST_PATH, Plan};

/// What [`apply`] did, for one-line summaries. The manifest is not counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files created or rewritten.
    pub written: usize,
    /// Files left untouched because their bytes already matched (scaffold
    /// files that exist included).
    pub unchanged: usize,
    /// Files removed because they are no longer produced.
    pub removed: usize,
}

/// Carries out `plan` in the folder `out`, creating it when needed. Writes
/// nothing at all while the plan has conflicts and was not made with
/// `force`. Each file is written to a temporary sibling and renamed into
/// place, so a reader never sees half a file; folders left empty by a
/// removal are removed too.
pub fn apply(plan: &Plan, out: &Path) -> Result<Summary, Error> {
    if !plan.conflicts.is_empty() && !plan.forced {
        return Err(Error::Conflicts(plan.conflicts.clone()));
    }
    let mut summary = Summary::default();
    for entry in &plan.entries {
        let counted = entry.path != MANIFEST_PATH;
        let target = out.join(&entry.path);
        match &entry.action {
            Action::Create { contents } | Action::Update { contents, .. } => {
                write_atomic(&target, contents.as_bytes())?;
                summary.written += usize::from(counted);
            }
            Action::Remove { .. } => {
                std::fs::remove_file(&target).map_err(|source| io("removing", &target, source))?;
                remove_empty_parents(&target, out);
                summary.removed += 1;
            }
            Action::Unchanged | Action::KeepScaffold => summary.unchanged += usize::from(counted),
            Action::Orphaned => {}
        }
    }
    Ok(summary)
}

fn write_atomic(target: &Path, bytes: &[u8]) -> Result<(), Error> {
    let parent = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|source| io("creating", parent, source))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.bunbase-tmp"));
    std::fs::write(&tmp, bytes).map_err(|source| io("writing", &tmp, source))?;
    if let Err(source) = std::fs::rename(&tmp, target) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io("writing", target, source));
    }
    Ok(())
}

/// Removes the now-empty folders between `removed` and `out` (never `out`).
fn remove_empty_parents(removed: &Path, out: &Path) {
    let mut dir = removed.parent();
    while let Some(d) = dir {
        if d == out || !d.starts_with(out) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

fn io(action: &'static str, path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}
