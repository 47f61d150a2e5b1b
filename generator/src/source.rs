//! The contract sources of a project as in-memory text, independent of where they were read from (a folder or git objects).

use std::collections::BTreeMap;

/// Every contract file of a project, keyed by path relative to the contracts
/// root with `/` separators. Sorted by path, so discovery order never matters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceSet {
    /// File path (relative, `/`-separated) to file text.
    pub files: BTreeMap<String, String>,
}

impl SourceSet {
    /// Builds a source set from (path, text) pairs; later duplicates win.
    pub fn from_files<I, P, T>(files: I) -> Self
    where
        I: IntoIterator<Item = (P, T)>,
        P: Into<String>,
        T: Into<String>,
    {
        SourceSet {
            files: files
                .into_iter()
                .map(|(p, t)| (p.into(), t.into()))
                .collect(),
        }
    }

    /// The text of one file, if present.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }
}
