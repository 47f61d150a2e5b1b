//! Loading: finds `bunbase.yaml` and every module file below a contracts folder and reads them into a [`SourceSet`](crate::source::SourceSet).
//!
//! Loading only reads files; it never interprets them. Problems inside files
//! are diagnostics reported later; problems reaching the files (no folder, no
//! `bunbase.yaml`, an unreadable file) are this module's [`Error`].

use std::path::{Path, PathBuf};

use crate::source::SourceSet;

/// The project file's name, at the root of the contracts folder.
pub const PROJECT_FILE: &str = "bunbase.yaml";

/// A failure to read contracts from disk.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The contracts folder does not exist or is not a folder.
    #[error("contracts folder `{}` does not exist (pass the folder holding bunbase.yaml)", .0.display())]
    MissingDir(PathBuf),
    /// The folder has no `bunbase.yaml` at its root.
    #[error("no bunbase.yaml in `{}`: every contracts folder needs one at its root (run `bunbase new` to create a project)", .0.display())]
    MissingProjectFile(PathBuf),
    /// A file or folder could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Unreadable {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A contract file is not UTF-8 text.
    #[error("`{}` is not UTF-8 text", .0.display())]
    NotUtf8(PathBuf),
}

/// Reads `bunbase.yaml`, every `*.yaml`/`*.yml` file below `dir` (any
/// depth; hidden folders and files are skipped) and the SQL migrations
/// under `migrations/` into a [`SourceSet`] keyed by `/`-separated paths
/// relative to `dir`.
pub fn from_dir(dir: &Path) -> Result<SourceSet, Error> {
    if !dir.is_dir() {
        return Err(Error::MissingDir(dir.to_path_buf()));
    }
    if !dir.join(PROJECT_FILE).is_file() {
        return Err(Error::MissingProjectFile(dir.to_path_buf()));
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    Ok(SourceSet::from_files(files))
}

/// True when `path` (relative, `/`-separated) names a contract file: a
/// `.yaml` or `.yml` file with no hidden (`.`-led) file or folder name,
/// other than the root `bunbase-breaking.yaml` settings file.
pub fn is_contract_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    // The breaking-change settings file sits beside bunbase.yaml but is not a
    // module: `bunbase breaking` reads it on its own.
    path != crate::breaking::CONFIG_FILE
        && !path.split('/').any(|seg| seg.starts_with('.'))
        && (name.ends_with(".yaml") || name.ends_with(".yml"))
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<(), Error> {
    let unreadable = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Unreadable { path, source }
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable(dir))? {
        let entry = entry.map_err(unreadable(dir))?;
        entries.push(entry.path());
    }
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(root, &path, out)?;
            continue;
        }
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if !is_contract_file(&rel) && !crate::migrations::is_migration_file(&rel) {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(unreadable(&path))?;
        let text = String::from_utf8(bytes).map_err(|_| Error::NotUtf8(path.clone()))?;
        out.push((rel, text));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_files() {
        assert!(is_contract_file("billing/invoices.yml"));
        assert!(is_contract_file("bunbase.yaml"));
        assert!(!is_contract_file(".github/workflow.yaml"));
        assert!(!is_contract_file("a/.hidden.yaml"));
        assert!(!is_contract_file("README.md"));
        assert!(!is_contract_file("bunbase-breaking.yaml"));
        assert!(is_contract_file("billing/bunbase-breaking.yaml"));
    }

    #[test]
    fn tool_failures_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            from_dir(&dir.path().join("nope")),
            Err(Error::MissingDir(_))
        ));
        assert!(matches!(
            from_dir(dir.path()),
            Err(Error::MissingProjectFile(_))
        ));
        std::fs::write(
            dir.path().join("bunbase.yaml"),
            "project: a\nversion: 1.0.0\n",
        )
        .expect("write");
        std::fs::create_dir_all(dir.path().join("x/.hidden")).expect("mkdir");
        std::fs::write(dir.path().join("x/m.yml"), "module: m\n").expect("write");
        std::fs::write(dir.path().join("x/.hidden/h.yaml"), "module: h\n").expect("write");
        std::fs::write(dir.path().join("x/notes.txt"), "hi").expect("write");
        let set = from_dir(dir.path()).expect("loads");
        assert_eq!(
            set.files.keys().collect::<Vec<_>>(),
            ["bunbase.yaml", "x/m.yml"]
        );
        std::fs::write(dir.path().join("bad.yaml"), [0xff, 0xfe]).expect("write");
        assert!(matches!(from_dir(dir.path()), Err(Error::NotUtf8(_))));
    }
}
