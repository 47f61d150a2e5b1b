//! Reads a contracts folder as it was at a git revision, straight from the object database (no checkout, no clone).
//!
//! `git rev-parse --show-prefix` maps the folder to its path in the
//! repository; `git ls-tree` lists the files at the revision and `git
//! cat-file` reads each one. A revision the clone does not have is an error
//! that names the fix (shallow CI clones are the usual cause).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::source::SourceSet;

use super::CONFIG_FILE;

/// Why a revision could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git itself could not be run.
    #[error("could not run git: {0}")]
    Spawn(#[from] std::io::Error),
    /// The folder is not inside a git work tree.
    #[error(
        "`{dir}` is not inside a git repository, so `--against {rev}` cannot be read as a git revision (pass a folder instead)"
    )]
    NotARepo {
        /// The contracts folder.
        dir: String,
        /// The revision asked for.
        rev: String,
    },
    /// The revision does not exist in this clone.
    #[error(
        "git revision `{rev}` not found: fetch it first (`git fetch origin {rev}`, or `fetch-depth: 0` in actions/checkout), or pass an existing folder"
    )]
    MissingRev {
        /// The revision asked for.
        rev: String,
    },
    /// The revision has no `bunbase.yaml` at the folder's path.
    #[error("git revision `{rev}` has no contracts at `{path}` (no bunbase.yaml there)")]
    NoContracts {
        /// The revision.
        rev: String,
        /// The folder's path inside the repository.
        path: String,
    },
    /// A git command failed.
    #[error("`git {args}` failed: {stderr}")]
    Failed {
        /// The arguments.
        args: String,
        /// What git printed.
        stderr: String,
    },
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, GitError> {
    Ok(Command::new("git").arg("-C").arg(dir).args(args).output()?)
}

fn git_ok(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let out = git(dir, args)?;
    if !out.status.success() {
        return Err(GitError::Failed {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(out.stdout)
}

/// Reads many blobs with one `git cat-file --batch`, in request order.
fn read_blobs<'a>(
    dir: &Path,
    objects: impl Iterator<Item = &'a str>,
) -> Result<Vec<String>, GitError> {
    use std::io::{BufRead as _, Read as _, Write as _};
    let requests: String = objects.map(|o| format!("{o}\n")).collect();
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| std::io::Error::other("no stdin"))?;
    // Write from another thread so a full stdout pipe cannot deadlock us.
    let writer = std::thread::spawn(move || stdin.write_all(requests.as_bytes()));
    let mut out = std::io::BufReader::new(
        child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout"))?,
    );
    let mut blobs = Vec::new();
    let mut header = String::new();
    loop {
        header.clear();
        if out.read_line(&mut header)? == 0 {
            break;
        }
        // `<oid> blob <size>`, or `<object> missing`.
        let size = match header.trim_end().rsplit_once(' ') {
            Some((_, n)) if header.contains(" blob ") => n.parse::<usize>().ok(),
            _ => None,
        };
        let Some(size) = size else {
            return Err(GitError::Failed {
                args: "cat-file --batch".into(),
                stderr: header.trim_end().to_owned(),
            });
        };
        let mut blob = vec![0; size + 1];
        out.read_exact(&mut blob)?;
        blob.truncate(size);
        blobs.push(String::from_utf8_lossy(&blob).into_owned());
    }
    writer
        .join()
        .map_err(|_| std::io::Error::other("writer thread panicked"))??;
    let status = child.wait()?;
    if !status.success() {
        return Err(GitError::Failed {
            args: "cat-file --batch".into(),
            stderr: format!("exited with {status}"),
        });
    }
    Ok(blobs)
}

/// The path of `dir` inside its repository (`contracts/`, or empty at the
/// root), or `None` when `dir` is not in a git work tree.
pub fn repo_prefix(dir: &Path) -> Option<String> {
    let out = git(dir, &["rev-parse", "--show-prefix"]).ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// True when `rev` names a commit in the repository containing `dir`.
pub fn rev_exists(dir: &Path, rev: &str) -> bool {
    git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .is_ok_and(|o| o.status.success())
}

/// Reads every contract file (`*.yaml`, `*.yml`) below `dir` as of `rev`,
/// keyed by path relative to `dir`. Returns the sources (without
/// `bunbase-breaking.yaml`) and the folder's path in the repository.
pub fn read_rev(dir: &Path, rev: &str) -> Result<(SourceSet, String), GitError> {
    let prefix = repo_prefix(dir).ok_or_else(|| GitError::NotARepo {
        dir: dir.display().to_string(),
        rev: rev.to_owned(),
    })?;
    if !rev_exists(dir, rev) {
        return Err(GitError::MissingRev {
            rev: rev.to_owned(),
        });
    }
    let listing = git_ok(
        dir,
        &[
            "ls-tree",
            "-r",
            "-z",
            "--full-name",
            "--name-only",
            rev,
            "--",
            ".",
        ],
    )?;
    // The same files `load::from_dir` reads: YAML, no hidden files or folders.
    let mut wanted = Vec::new();
    for full in listing.split(|b| *b == 0).filter(|s| !s.is_empty()) {
        let full = String::from_utf8_lossy(full).into_owned();
        let Some(rel) = full.strip_prefix(&prefix) else {
            continue;
        };
        let hidden = rel.split('/').any(|part| part.starts_with('.'));
        if hidden || !crate::load::is_contract_file(rel) || rel == CONFIG_FILE {
            continue;
        }
        wanted.push((rel.to_owned(), format!("{rev}:{full}")));
    }
    let blobs = read_blobs(dir, wanted.iter().map(|(_, object)| object.as_str()))?;
    let files = wanted.into_iter().map(|(rel, _)| rel).zip(blobs);
    let sources = SourceSet::from_files(files);
    if sources.get("bunbase.yaml").is_none() {
        let path = if prefix.is_empty() {
            ".".to_owned()
        } else {
            prefix.trim_end_matches('/').to_owned()
        };
        return Err(GitError::NoContracts {
            rev: rev.to_owned(),
            path,
        });
    }
    Ok((sources, prefix))
}
