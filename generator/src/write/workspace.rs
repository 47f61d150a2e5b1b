//! Joining an existing Cargo workspace: the generated crates become members of the user's workspace instead of forming their own, and the root manifest gains their member paths and nothing else (edited with `toml_edit`, so its formatting and comments stay).
//!
//! Both steps are pure: [`as_members`] turns the emitted files of a
//! standalone workspace into member crates (the generated root `Cargo.toml`
//! is dropped, and each crate's `x.workspace = true` is replaced by the
//! value the generated root would have given it, so nothing is asked of the
//! user's `[workspace.package]` or `[workspace.dependencies]`);
//! [`add_members`] returns the root manifest's new text and what changed.

use toml_edit::{Array, DocumentMut, Item, Table, Value};

use crate::emit::GeneratedFile;

/// Why the manifests could not be rewritten.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// A manifest is not valid TOML.
    #[error("{path} is not valid TOML: {message}")]
    Toml {
        /// The manifest.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// The root manifest's `workspace.members` is not an array of strings.
    #[error(
        "{path}: `workspace.members` must be an array of strings for bunbase to add its crates"
    )]
    Members {
        /// The manifest.
        path: String,
    },
}

fn parse(path: &str, text: &str) -> Result<DocumentMut, WorkspaceError> {
    text.parse::<DocumentMut>()
        .map_err(|e| WorkspaceError::Toml {
            path: path.to_owned(),
            message: e.to_string(),
        })
}

/// The generated member crates' folders (`crates/tasks-api`, ...), relative
/// to the output folder: every emitted `crates/<name>/Cargo.toml`.
pub fn member_dirs(files: &[GeneratedFile]) -> Vec<String> {
    let mut dirs: Vec<String> = files
        .iter()
        .filter_map(|f| f.path.strip_suffix("/Cargo.toml"))
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect();
    dirs.sort();
    dirs
}

/// The emitted files laid out as members of another workspace: without the
/// generated root `Cargo.toml`, with each crate manifest's inherited fields
/// (`edition.workspace = true`, `bunbase-runtime.workspace = true`, ...)
/// replaced by the values the generated root held. Path dependencies are
/// rebased from the output folder to the crate's folder.
pub fn as_members(files: Vec<GeneratedFile>) -> Result<Vec<GeneratedFile>, WorkspaceError> {
    let Some(root) = files.iter().find(|f| f.path == "Cargo.toml") else {
        return Ok(files);
    };
    let root = parse("Cargo.toml", &root.contents)?;
    let ws = root.get("workspace").and_then(Item::as_table);
    let package = ws
        .and_then(|w| w.get("package"))
        .and_then(Item::as_table)
        .cloned()
        .unwrap_or_default();
    let deps = ws
        .and_then(|w| w.get("dependencies"))
        .and_then(Item::as_table)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::with_capacity(files.len());
    for mut f in files {
        if f.path == "Cargo.toml" {
            continue;
        }
        if let Some(dir) = f.path.strip_suffix("/Cargo.toml") {
            let mut doc = parse(&f.path, &f.contents)?;
            let depth = dir.split('/').count();
            if let Some(p) = doc.get_mut("package").and_then(Item::as_table_mut) {
                inline_package(p, &package);
            }
            for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
                if let Some(t) = doc.get_mut(section).and_then(Item::as_table_mut) {
                    inline_deps(t, &deps, depth);
                }
            }
            f.contents = doc.to_string();
        }
        out.push(f);
    }
    Ok(out)
}

/// Whether `item` is `{ workspace = true, ... }` (inline or dotted).
fn inherits(item: &Item) -> bool {
    item.get("workspace")
        .and_then(Item::as_bool)
        .unwrap_or(false)
}

fn inline_package(package: &mut Table, from: &Table) {
    let keys: Vec<String> = package
        .iter()
        .filter(|(_, v)| inherits(v))
        .map(|(k, _)| k.to_owned())
        .collect();
    for k in keys {
        if let Some(v) = from.get(&k) {
            package.insert(&k, v.clone());
        }
    }
}

fn inline_deps(deps: &mut Table, from: &Table, depth: usize) {
    let keys: Vec<String> = deps
        .iter()
        .filter(|(_, v)| inherits(v))
        .map(|(k, _)| k.to_owned())
        .collect();
    for k in keys {
        let Some(source) = from.get(&k) else {
            continue;
        };
        // The workspace's entry, as an inline table (a bare version string
        // becomes `{ version = ".." }`).
        let mut merged = match source {
            Item::Value(Value::InlineTable(t)) => t.clone(),
            Item::Value(Value::String(s)) => {
                let mut t = toml_edit::InlineTable::new();
                t.insert("version", Value::from(s.value().as_str()));
                t
            }
            Item::Table(t) => t.clone().into_inline_table(),
            _ => continue,
        };
        if let Some(Value::String(p)) = merged.get("path") {
            let p = p.value().clone();
            if !p.starts_with('/') {
                let rebased = format!("{}{p}", "../".repeat(depth));
                merged.insert("path", Value::from(rebased));
            }
        }
        // What the member adds to the inherited entry (`features`,
        // `optional`, ...) stays.
        if let Some(own) = deps.get(&k).and_then(Item::as_table_like) {
            for (key, value) in own.iter() {
                if key != "workspace"
                    && let Some(v) = value.as_value()
                {
                    merged.insert(key, v.clone());
                }
            }
        }
        merged.fmt();
        deps.insert(&k, Item::Value(Value::InlineTable(merged)));
    }
}

/// What [`add_members`] did to the root manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembersEdit {
    /// The manifest's new text (equal to the old when nothing changed).
    pub text: String,
    /// The member paths added, in order.
    pub added: Vec<String>,
}

/// Adds each of `members` (paths relative to the workspace root,
/// `/`-separated) that `workspace.members` does not list or match with a
/// glob. Touches nothing else: other keys, comments and formatting keep
/// their bytes. A multi-line array gets one member per line in its style.
pub fn add_members(
    path: &str,
    text: &str,
    members: &[String],
) -> Result<MembersEdit, WorkspaceError> {
    let mut doc = parse(path, text)?;
    let bad = || WorkspaceError::Members {
        path: path.to_owned(),
    };
    let ws = doc
        .get_mut("workspace")
        .and_then(Item::as_table_like_mut)
        .ok_or_else(bad)?;
    if ws.get("members").is_none() {
        ws.insert("members", Item::Value(Value::Array(Array::new())));
    }
    let array = ws
        .get_mut("members")
        .and_then(Item::as_array_mut)
        .ok_or_else(bad)?;
    let listed: Vec<String> = array
        .iter()
        .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
        .collect::<Result<_, _>>()?;
    let missing: Vec<String> = members
        .iter()
        .filter(|m| !listed.iter().any(|l| glob_match(l, m)))
        .cloned()
        .collect();
    if missing.is_empty() {
        return Ok(MembersEdit {
            text: text.to_owned(),
            added: Vec::new(),
        });
    }
    let multiline = array.iter().any(|v| {
        v.decor()
            .prefix()
            .and_then(|p| p.as_str())
            .is_some_and(|p| p.contains('\n'))
    });
    // The last element's indentation, without any comment its prefix holds.
    let prefix = match array
        .iter()
        .last()
        .and_then(|v| v.decor().prefix().and_then(|p| p.as_str()))
    {
        Some(p) if multiline => format!("\n{}", p.rsplit('\n').next().unwrap_or("    ")),
        _ if multiline => "\n    ".to_owned(),
        _ => " ".to_owned(),
    };
    let empty = array.is_empty();
    for (i, m) in missing.iter().enumerate() {
        let mut v = Value::from(m.as_str());
        let pre = if empty && i == 0 && !multiline {
            ""
        } else {
            prefix.as_str()
        };
        v.decor_mut().set_prefix(pre);
        v.decor_mut().set_suffix("");
        array.push_formatted(v);
    }
    Ok(MembersEdit {
        text: doc.to_string(),
        added: missing,
    })
}

/// Cargo's member globs, segment by segment: `*` matches any run of
/// characters within a segment, `?` one character.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    let norm = |s: &str| s.trim_start_matches("./").trim_end_matches('/').to_owned();
    let (pattern, path) = (norm(pattern), norm(path));
    let ps: Vec<&str> = pattern.split('/').collect();
    let xs: Vec<&str> = path.split('/').collect();
    ps.len() == xs.len()
        && ps
            .iter()
            .zip(&xs)
            .all(|(p, x)| segment_match(p.as_bytes(), x.as_bytes()))
}

fn segment_match(p: &[u8], x: &[u8]) -> bool {
    match (p.first(), x.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            segment_match(&p[1..], x) || (!x.is_empty() && segment_match(p, &x[1..]))
        }
        (Some(b'?'), Some(_)) => segment_match(&p[1..], &x[1..]),
        (Some(a), Some(b)) if a == b => segment_match(&p[1..], &x[1..]),
        _ => false,
    }
}

/// Whether `path` (relative to the workspace root) lies in one of the
/// root's `workspace.exclude` folders.
pub fn is_excluded(root_text: &str, path: &str) -> bool {
    let Ok(doc) = root_text.parse::<DocumentMut>() else {
        return false;
    };
    let norm = |s: &str| s.trim_start_matches("./").trim_end_matches('/').to_owned();
    let path = norm(path);
    doc.get("workspace")
        .and_then(|w| w.get("exclude"))
        .and_then(Item::as_array)
        .is_some_and(|a| {
            a.iter().filter_map(Value::as_str).any(|e| {
                let e = norm(e);
                path == e || path.starts_with(&format!("{e}/"))
            })
        })
}

/// Whether a manifest's text declares a `[workspace]`.
pub fn declares_workspace(text: &str) -> bool {
    text.parse::<DocumentMut>()
        .is_ok_and(|d| d.get("workspace").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::Ownership;

    fn file(path: &str, contents: &str) -> GeneratedFile {
        GeneratedFile {
            path: path.into(),
            contents: contents.into(),
            ownership: Ownership::Generated,
        }
    }

    #[test]
    fn members_inherit_nothing_from_the_users_workspace() {
        let files = vec![
            file(
                "Cargo.toml",
                "[workspace]\nmembers = [\"crates/*\"]\n[workspace.package]\nedition = \"2024\"\nversion = \"0.3.0\"\npublish = false\n[workspace.dependencies]\nbunbase-runtime = { path = \"../runtime\" }\nx-api = { path = \"crates/x-api\" }\n",
            ),
            file(
                "crates/x-server/Cargo.toml",
                "[package]\nname = \"x-server\"\nedition.workspace = true\nversion.workspace = true\npublish.workspace = true\n\n[dependencies]\nbunbase-runtime = { workspace = true, features = [\"otel\"] }\nx-api.workspace = true\n",
            ),
            file("crates/x-server/src/main.rs", "fn main() {}\n"),
        ];
        let out = as_members(files).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].contents,
            "[package]\nname = \"x-server\"\nedition = \"2024\"\nversion = \"0.3.0\"\npublish = false\n\n[dependencies]\nbunbase-runtime = { path = \"../../../runtime\", features = [\"otel\"] }\nx-api = { path = \"../../crates/x-api\" }\n"
        );
    }

    #[test]
    fn adding_members_keeps_everything_else() {
        let root = "# The team's workspace.\n[workspace]\nresolver = \"2\" # keep\nmembers = [\n    \"app\",  # the app\n    \"libs/*\",\n]\n\n[profile.release]\nlto = true\n";
        let edit = add_members(
            "Cargo.toml",
            root,
            &[
                "libs/x".into(),
                "api/crates/x-api".into(),
                "api/crates/x-server".into(),
            ],
        )
        .unwrap();
        assert_eq!(edit.added, ["api/crates/x-api", "api/crates/x-server"]);
        assert_eq!(
            edit.text,
            "# The team's workspace.\n[workspace]\nresolver = \"2\" # keep\nmembers = [\n    \"app\",  # the app\n    \"libs/*\",\n    \"api/crates/x-api\",\n    \"api/crates/x-server\",\n]\n\n[profile.release]\nlto = true\n"
        );
        let again = add_members("Cargo.toml", &edit.text, &["api/crates/x-api".into()]).unwrap();
        assert!(again.added.is_empty());
        assert_eq!(again.text, edit.text);
        let inline = add_members(
            "Cargo.toml",
            "[workspace]\nmembers = [\"a\"]\n",
            &["b".into()],
        )
        .unwrap();
        assert_eq!(inline.text, "[workspace]\nmembers = [\"a\", \"b\"]\n");
        let none = add_members("Cargo.toml", "[workspace]\n", &["b".into()]).unwrap();
        assert_eq!(none.text, "[workspace]\nmembers = [\"b\"]\n");
    }

    #[test]
    fn globs_and_excludes() {
        assert!(glob_match("crates/*", "crates/x-api"));
        assert!(glob_match("./crates/x-*/", "crates/x-api"));
        assert!(!glob_match("crates/*", "crates/x/y"));
        assert!(!glob_match("crates/a?", "crates/a"));
        let root = "[workspace]\nexclude = [\"generated-example\", \"tests/x/\"]\n";
        assert!(is_excluded(root, "generated-example"));
        assert!(is_excluded(root, "tests/x/deep"));
        assert!(!is_excluded(root, "tests/xy"));
    }
}
