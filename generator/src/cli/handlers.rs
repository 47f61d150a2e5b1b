//! What the user-owned handler files lack after the contracts changed: per file, the methods to add (ready to paste, with their doc comments) and the ones no contract declares any more, found by parsing both sides with `syn`.
//!
//! The scaffold emitter writes a module's handler file once; later runs of
//! `gen` keep the user's file, so an action added to the contracts would
//! otherwise surface as E0046 (missing trait item) at the next build. Here
//! the freshly emitted scaffold (every stub of every action, as a new
//! project would get it) is compared with the `impl <Trait> for ...` blocks
//! in the server crate's files on disk.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::emit::{GeneratedFile, Ownership};

/// One user file that does not match its handler trait any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The file holding the `impl` (relative to the output folder), or the
    /// file bunbase scaffolded for the module when no `impl` was found.
    pub path: String,
    /// The trait (`TasksHandler`).
    pub trait_name: String,
    /// The methods to add, each as Rust source with its doc comments.
    pub missing: Vec<(String, String)>,
    /// Methods the trait no longer has (E0407 until removed or renamed).
    pub extra: Vec<String>,
}

/// A module file the server crate does not declare (`mod x;`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undeclared {
    /// The crate's `main.rs`, relative to the output folder.
    pub main: String,
    /// The module name.
    pub module: String,
}

/// What the server crate in `out` lacks against the scaffold in `files`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Handler files whose methods differ from their traits.
    pub mismatches: Vec<Mismatch>,
    /// Module files `main.rs` does not declare.
    pub undeclared: Vec<Undeclared>,
}

/// The `impl Trait for T` blocks of a parsed file: trait name (last path
/// segment) to its method items.
fn impls(file: &syn::File) -> BTreeMap<String, Vec<syn::ImplItemFn>> {
    let mut out: BTreeMap<String, Vec<syn::ImplItemFn>> = BTreeMap::new();
    for item in &file.items {
        if let syn::Item::Impl(imp) = item
            && let Some((path, _)) = &imp.trait_
            && let Some(last) = path.segments.last()
        {
            let methods = imp.items.iter().filter_map(|i| match i {
                syn::ImplItem::Fn(f) => Some(f.clone()),
                _ => None,
            });
            out.entry(last.ident.to_string())
                .or_default()
                .extend(methods);
        }
    }
    out
}

/// Trait name to the names of the methods its impls define.
type MethodNames = BTreeMap<String, Vec<String>>;

/// The method names of [`impls`]' blocks.
fn method_names(impls: &BTreeMap<String, Vec<syn::ImplItemFn>>) -> MethodNames {
    impls
        .iter()
        .map(|(name, methods)| {
            let names = methods.iter().map(|m| m.sig.ident.to_string()).collect();
            (name.clone(), names)
        })
        .collect()
}

/// Every `.rs` file below `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                found.push(p);
            }
        }
    }
    found.sort();
    found
}

/// A method as the user would paste it inside their `impl` block: its doc
/// comments, signature and stub body, indented by four spaces.
fn method_source(f: &syn::ImplItemFn) -> String {
    let file: syn::File = syn::parse_quote!(impl Stub for App { #f });
    let text = prettyplease::unparse(&file);
    let lines: Vec<&str> = text.lines().collect();
    // Drop `impl Stub for App {` and the closing `}`: the body is already
    // indented as it sits inside the user's block.
    lines[1..lines.len().saturating_sub(1)].join("\n")
}

/// The handler impls of the freshly emitted scaffold, parsed: the half of
/// the check that reads no disk, so `gen` runs it while it plans and
/// writes. [`Scaffold::check`] compares them with the server crate on disk;
/// a file that does not parse (the user is mid-edit) is skipped: the
/// compiler reports it better.
pub struct Scaffold<'a> {
    files: &'a [GeneratedFile],
    /// Scaffold impls by trait: (scaffold path, method names). The methods'
    /// source is printed from a second parse of that file, only for a
    /// mismatch.
    wanted: BTreeMap<String, (String, Vec<String>)>,
    /// The folders the impls live in.
    src_dirs: BTreeSet<PathBuf>,
    /// Per scaffold file, its contents and the method names of its impls: a
    /// file on disk with the same bytes (as a fresh output has) is not
    /// parsed again.
    names: BTreeMap<&'a str, (&'a str, MethodNames)>,
}

impl<'a> Scaffold<'a> {
    /// Parses the scaffold files in `files`, half of them on another
    /// thread (what is kept of each is plain data).
    pub fn parse(files: &'a [GeneratedFile]) -> Self {
        let rust: Vec<&GeneratedFile> = files
            .iter()
            .filter(|f| {
                f.ownership == Ownership::Scaffold
                    && f.path.ends_with(".rs")
                    && f.path.contains("/src/")
            })
            .collect();
        let parse = |fs: &[&'a GeneratedFile]| -> Vec<(&'a GeneratedFile, MethodNames)> {
            fs.iter()
                .filter_map(|f| {
                    let parsed = syn::parse_file(&f.contents).ok()?;
                    Some((*f, method_names(&impls(&parsed))))
                })
                .collect()
        };
        let parsed = crate::halves::map(&rust, parse);
        let mut wanted = BTreeMap::new();
        let mut src_dirs = BTreeSet::new();
        let mut names = BTreeMap::new();
        for (f, found) in parsed {
            for (name, methods) in &found {
                if let Some(dir) = Path::new(&f.path).parent() {
                    src_dirs.insert(dir.to_path_buf());
                }
                wanted.insert(name.clone(), (f.path.clone(), methods.clone()));
            }
            names.insert(f.path.as_str(), (f.contents.as_str(), found));
        }
        Self {
            files,
            wanted,
            src_dirs,
            names,
        }
    }

    /// Compares the parsed scaffold with the server crate on disk in `out`.
    pub fn check(self, out: &Path) -> Report {
        let Self {
            files,
            wanted,
            src_dirs,
            names: scaffold_names,
        } = self;
        compare(files, wanted, &src_dirs, &scaffold_names, out)
    }
}

/// [`Scaffold::check`], its parts given.
fn compare(
    files: &[GeneratedFile],
    wanted: BTreeMap<String, (String, Vec<String>)>,
    src_dirs: &BTreeSet<PathBuf>,
    scaffold_names: &BTreeMap<&str, (&str, MethodNames)>,
    out: &Path,
) -> Report {
    let mut report = Report::default();
    // The user's impls, from every file of those folders.
    let mut have: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for dir in src_dirs {
        for path in rust_files(&out.join(dir)) {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let rel = path
                .strip_prefix(out)
                .map(crate::builder::slashes)
                .unwrap_or_else(|_| crate::builder::slashes(&path));
            let names = match scaffold_names.get(rel.as_str()) {
                Some((contents, names)) if *contents == text => names.clone(),
                _ => match syn::parse_file(&text) {
                    Ok(parsed) => method_names(&impls(&parsed)),
                    Err(_) => continue,
                },
            };
            for (name, methods) in names {
                let entry = have
                    .entry(name)
                    .or_insert_with(|| (rel.clone(), BTreeSet::new()));
                entry.1.extend(methods);
            }
        }
        report.undeclared.extend(undeclared(files, out, dir));
    }
    for (trait_name, (scaffold_path, methods)) in wanted {
        let Some((path, existing)) = have.get(&trait_name) else {
            // No impl anywhere: a file bunbase just wrote has them all; a
            // file the user emptied gets the full list.
            if out.join(&scaffold_path).exists()
                && std::fs::read_to_string(out.join(&scaffold_path))
                    .ok()
                    .as_deref()
                    != files
                        .iter()
                        .find(|f| f.path == scaffold_path)
                        .map(|f| f.contents.as_str())
            {
                let missing = sources(files, &scaffold_path, &trait_name, &methods);
                report.mismatches.push(Mismatch {
                    path: scaffold_path,
                    trait_name,
                    missing,
                    extra: Vec::new(),
                });
            }
            continue;
        };
        let names: BTreeSet<String> = methods.iter().cloned().collect();
        let absent: Vec<String> = methods
            .iter()
            .filter(|m| !existing.contains(*m))
            .cloned()
            .collect();
        let missing = if absent.is_empty() {
            Vec::new()
        } else {
            sources(files, &scaffold_path, &trait_name, &absent)
        };
        let extra: Vec<String> = existing.difference(&names).cloned().collect();
        if !missing.is_empty() || !extra.is_empty() {
            report.mismatches.push(Mismatch {
                path: path.clone(),
                trait_name,
                missing,
                extra,
            });
        }
    }
    report
}

/// The methods named in `names` of the impls of `trait_name` in the
/// scaffold file at `path`, as (name, source to paste), in the impls'
/// order: the file is parsed again, which happens only for a mismatch.
fn sources(
    files: &[GeneratedFile],
    path: &str,
    trait_name: &str,
    names: &[String],
) -> Vec<(String, String)> {
    let Some(parsed) = files
        .iter()
        .find(|f| f.path == path)
        .and_then(|f| syn::parse_file(&f.contents).ok())
    else {
        return Vec::new();
    };
    let methods = impls(&parsed).remove(trait_name).unwrap_or_default();
    methods
        .iter()
        .map(|m| (m.sig.ident.to_string(), m))
        .filter(|(name, _)| names.contains(name))
        .map(|(name, m)| (name, method_source(m)))
        .collect()
}

/// Module files of the scaffold in `dir` that the user's `main.rs` there
/// does not declare. A `main.rs` that includes a generated module list
/// (`include!`) declares them all.
fn undeclared(files: &[GeneratedFile], out: &Path, dir: &Path) -> Vec<Undeclared> {
    let main = dir.join("main.rs");
    let Ok(text) = std::fs::read_to_string(out.join(&main)) else {
        return Vec::new();
    };
    let Ok(parsed) = syn::parse_file(&text) else {
        return Vec::new();
    };
    let declared: BTreeSet<String> = parsed
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Mod(m) => Some(m.ident.to_string()),
            _ => None,
        })
        .collect();
    if parsed
        .items
        .iter()
        .any(|i| matches!(i, syn::Item::Macro(m) if m.mac.path.is_ident("include")))
    {
        return Vec::new();
    }
    files
        .iter()
        .filter(|f| f.ownership == Ownership::Scaffold)
        .filter_map(|f| {
            let p = Path::new(&f.path);
            (p.parent() == Some(dir) && p.extension().is_some_and(|x| x == "rs"))
                .then(|| p.file_stem()?.to_str().map(str::to_owned))
                .flatten()
        })
        .filter(|m| m != "main" && !declared.contains(m))
        .map(|module| Undeclared {
            main: crate::builder::slashes(&main),
            module,
        })
        .collect()
}

impl Report {
    /// The report as the CLI prints it: per file, what to paste or remove.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for m in &self.mismatches {
            if !m.missing.is_empty() {
                let names: Vec<&str> = m.missing.iter().map(|(n, _)| n.as_str()).collect();
                s.push_str(&format!(
                    "note: {} lacks {} method(s) of {} ({}); add them to its `impl {} for ...` block:\n\n",
                    m.path,
                    m.missing.len(),
                    m.trait_name,
                    names.join(", "),
                    m.trait_name,
                ));
                for (_, source) in &m.missing {
                    s.push_str(source);
                    s.push_str("\n\n");
                }
            }
            if !m.extra.is_empty() {
                s.push_str(&format!(
                    "note: {} implements {} method(s) that {} no longer declares ({}): remove or rename them\n\n",
                    m.path,
                    m.extra.len(),
                    m.trait_name,
                    m.extra.join(", "),
                ));
            }
        }
        for u in &self.undeclared {
            s.push_str(&format!(
                "note: {} does not declare the module file {}.rs; add this line to it:\n\n    mod {};\n\n\
                 or replace its `mod` lines for contract modules by `include!(\"modules.rs\");`, \
                 the module list `bunbase gen` keeps up to date\n\n",
                u.main, u.module, u.module
            ));
        }
        s
    }
}
