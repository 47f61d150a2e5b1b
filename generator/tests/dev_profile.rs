//! The generated workspace's `[profile.dev]` equals the repository's: the suite builds generated workspaces and the repository's own build-script example in one target directory, so dependencies compiled once serve both, and users get the edit-build loop the repository measures.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("generator/ has a parent")
        .to_path_buf()
}

/// Every leaf under `[profile]` as `dotted.key = value`, comments and
/// formatting dropped.
fn profile(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).expect("manifest reads");
    let doc: DocumentMut = text.parse().expect("manifest parses");
    let mut out = BTreeMap::new();
    fn walk(prefix: &str, item: &Item, out: &mut BTreeMap<String, String>) {
        if let Some(t) = item.as_table_like() {
            for (k, v) in t.iter() {
                walk(&format!("{prefix}.{k}"), v, out);
            }
        } else if let Some(v) = item.as_value() {
            out.insert(prefix.to_owned(), v.to_string().trim().to_owned());
        }
    }
    walk(
        "profile",
        doc.get("profile").expect("a [profile] section"),
        &mut out,
    );
    out
}

#[test]
fn generated_dev_profile_equals_the_repository_one() {
    let root = profile(&repo_root().join("Cargo.toml"));
    let generated = profile(&repo_root().join("generated-example/Cargo.toml"));
    assert!(
        root.contains_key("profile.dev.package.*.debug"),
        "the repository's profile lost its dependency setting: {root:?}"
    );
    assert_eq!(
        generated, root,
        "templates/rust/workspace.Cargo.toml.tera and the root Cargo.toml disagree on [profile]"
    );
}
