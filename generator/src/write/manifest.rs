//! The manifest of generated files (`.bunbase/manifest.json` in the output folder): which files bunbase wrote, with the SHA-256 of what it wrote.
//!
//! The manifest is how the writer tells its own files from the user's: a file
//! is removed only when the manifest lists it as generated and its bytes are
//! still the ones bunbase wrote, and a generated file whose bytes differ from
//! the manifest's hash was edited by hand. The JSON is sorted by path and
//! carries no timestamps, so the same output always gives the same manifest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::emit::Ownership;

/// The manifest's path relative to the output folder.
pub const MANIFEST_PATH: &str = ".bunbase/manifest.json";

/// The version of the manifest's JSON shape.
pub const MANIFEST_VERSION: u32 = 1;

/// Every file of one generation, keyed by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Path (relative, `/`-separated) to what was written there.
    pub files: BTreeMap<String, ManifestEntry>,
}

/// One file in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// Lower-case hex SHA-256 of the bytes bunbase produced for the file.
    pub sha256: String,
    /// Whether bunbase keeps the file up to date or handed it to the user.
    pub ownership: Ownership,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    version: u32,
    files: Vec<WireEntry>,
}

#[derive(Serialize, Deserialize)]
struct WireEntry {
    path: String,
    sha256: String,
    ownership: WireOwnership,
}

#[derive(Serialize, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum WireOwnership {
    Generated,
    Scaffold,
}

impl Manifest {
    /// Parses manifest JSON; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let wire: Wire = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if wire.version != MANIFEST_VERSION {
            return Err(format!(
                "manifest version {} is not supported (expected {MANIFEST_VERSION})",
                wire.version
            ));
        }
        let files = wire
            .files
            .into_iter()
            .map(|e| {
                let ownership = match e.ownership {
                    WireOwnership::Generated => Ownership::Generated,
                    WireOwnership::Scaffold => Ownership::Scaffold,
                };
                (
                    e.path,
                    ManifestEntry {
                        sha256: e.sha256,
                        ownership,
                    },
                )
            })
            .collect();
        Ok(Manifest { files })
    }

    /// The manifest as pretty JSON with a trailing newline, sorted by path.
    pub fn to_json(&self) -> String {
        let wire = Wire {
            version: MANIFEST_VERSION,
            files: self
                .files
                .iter()
                .map(|(path, e)| WireEntry {
                    path: path.clone(),
                    sha256: e.sha256.clone(),
                    ownership: match e.ownership {
                        Ownership::Generated => WireOwnership::Generated,
                        Ownership::Scaffold => WireOwnership::Scaffold,
                    },
                })
                .collect(),
        };
        let mut s = serde_json::to_string_pretty(&wire).expect("the manifest always serialises");
        s.push('\n');
        s
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_is_sorted() {
        let mut m = Manifest::default();
        m.files.insert(
            "b.rs".into(),
            ManifestEntry {
                sha256: sha256_hex(b"b"),
                ownership: Ownership::Generated,
            },
        );
        m.files.insert(
            "a.rs".into(),
            ManifestEntry {
                sha256: sha256_hex(b"a"),
                ownership: Ownership::Scaffold,
            },
        );
        let json = m.to_json();
        assert!(json.find("a.rs").unwrap() < json.find("b.rs").unwrap());
        assert_eq!(Manifest::parse(&json).unwrap(), m);
    }

    #[test]
    fn sha256_is_the_standard_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn rejects_other_versions() {
        assert!(
            Manifest::parse(r#"{"version":99,"files":[]}"#)
                .unwrap_err()
                .contains("99")
        );
    }
}
