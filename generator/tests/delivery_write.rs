//! The writer's rules on synthetic file lists in real temporary folders: write-if-changed, the manifest, removal of stale files, scaffold and hand-edit protection, and the `--check` report.

use std::path::Path;
use std::time::{Duration, SystemTime};

use bunbase::emit::{GeneratedFile, Ownership, header};
use bunbase::write::{self, Action, ConflictKind, DirTree, MANIFEST_PATH, PlanOptions, report};

fn generated(path: &str, body: &str) -> GeneratedFile {
    GeneratedFile {
        path: path.into(),
        contents: header::with_header(path, body, "contracts"),
        ownership: Ownership::Generated,
    }
}

fn scaffold(path: &str, body: &str) -> GeneratedFile {
    GeneratedFile {
        path: path.into(),
        contents: body.into(),
        ownership: Ownership::Scaffold,
    }
}

/// A small project: two modules, a JSON document and scaffolded handlers.
fn project(modules: &[&str]) -> Vec<GeneratedFile> {
    let mut files = vec![
        generated("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
        generated("openapi.json", "{\"openapi\":\"3.0.3\"}\n"),
        scaffold("crates/app-server/src/main.rs", "fn main() {}\n"),
    ];
    for m in modules {
        files.push(generated(
            &format!("crates/app-api/src/{m}/mod.rs"),
            &format!("pub struct {m};\n"),
        ));
        files.push(scaffold(
            &format!("crates/app-server/src/{m}.rs"),
            &format!("// handlers for {m}\n"),
        ));
    }
    files.sort();
    files
}

fn run_gen(files: &[GeneratedFile], out: &Path) -> Result<write::Summary, write::Error> {
    write::write_dir(files, out, PlanOptions::default()).map(|(_, s)| s)
}

fn read(out: &Path, path: &str) -> String {
    std::fs::read_to_string(out.join(path)).unwrap()
}

/// Sets every file's mtime to an hour ago, so a rewrite cannot go unnoticed
/// within the file system's timestamp granularity.
fn age_all(dir: &Path) -> Vec<(std::path::PathBuf, SystemTime)> {
    let old = SystemTime::now() - Duration::from_secs(3600);
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                std::fs::File::options()
                    .write(true)
                    .open(&p)
                    .unwrap()
                    .set_modified(old)
                    .unwrap();
                out.push((
                    p.clone(),
                    std::fs::metadata(&p).unwrap().modified().unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn first_run_writes_everything_with_a_sorted_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let files = project(&["tasks", "users"]);
    let s = run_gen(&files, tmp.path()).unwrap();
    assert_eq!(s.written, files.len());
    assert_eq!((s.unchanged, s.removed), (0, 0));
    for f in &files {
        assert_eq!(read(tmp.path(), &f.path), f.contents);
    }
    let manifest = read(tmp.path(), MANIFEST_PATH);
    let listed: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.trim().strip_prefix("\"path\": \""))
        .collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted);
    assert_eq!(listed.len(), files.len());
    assert!(manifest.contains(&write::sha256_hex(files[0].contents.as_bytes())));
}

#[test]
fn no_op_regeneration_keeps_every_mtime() {
    let tmp = tempfile::tempdir().unwrap();
    let files = project(&["tasks", "users"]);
    run_gen(&files, tmp.path()).unwrap();
    let before = age_all(tmp.path());
    let plan = write::plan(&files, &DirTree(tmp.path().into()), PlanOptions::default()).unwrap();
    assert!(plan.is_up_to_date(), "{plan:?}");
    let s = write::apply(&plan, tmp.path()).unwrap();
    assert_eq!((s.written, s.removed, s.unchanged), (0, 0, files.len()));
    assert_eq!(age_all_readonly(tmp.path()), before);
}

fn age_all_readonly(dir: &Path) -> Vec<(std::path::PathBuf, SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.clone(),
                    std::fs::metadata(&p).unwrap().modified().unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn only_changed_files_are_rewritten() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = project(&["tasks"]);
    run_gen(&files, tmp.path()).unwrap();
    let before = age_all(tmp.path());
    let changed = files.iter_mut().find(|f| f.path == "openapi.json").unwrap();
    changed.contents = "{\"openapi\":\"3.0.3\",\"paths\":{}}\n".into();
    let s = run_gen(&files, tmp.path()).unwrap();
    assert_eq!(s.written, 1);
    let after = age_all_readonly(tmp.path());
    let touched: Vec<String> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| {
            b.0.strip_prefix(tmp.path())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    assert_eq!(
        touched,
        vec![MANIFEST_PATH.to_string(), "openapi.json".to_string()]
    );
}

#[test]
fn a_removed_modules_files_are_removed_and_user_files_survive() {
    let tmp = tempfile::tempdir().unwrap();
    run_gen(&project(&["tasks", "users"]), tmp.path()).unwrap();
    std::fs::write(
        tmp.path().join("crates/app-api/src/users/notes.txt"),
        "mine",
    )
    .unwrap();
    std::fs::write(tmp.path().join("crates/app-api/src/mine.rs"), "// mine\n").unwrap();

    let (plan, s) =
        write::write_dir(&project(&["tasks"]), tmp.path(), PlanOptions::default()).unwrap();
    assert_eq!(s.removed, 1);
    assert!(!tmp.path().join("crates/app-api/src/users/mod.rs").exists());
    // Files bunbase did not write stay, and so does their folder.
    assert_eq!(
        read(tmp.path(), "crates/app-api/src/users/notes.txt"),
        "mine"
    );
    assert_eq!(read(tmp.path(), "crates/app-api/src/mine.rs"), "// mine\n");
    // The module's scaffold (the user's handlers) is kept and reported.
    assert!(tmp.path().join("crates/app-server/src/users.rs").exists());
    assert_eq!(
        report::orphans(&plan),
        vec!["crates/app-server/src/users.rs"]
    );
    assert!(!read(tmp.path(), MANIFEST_PATH).contains("users/mod.rs"));
}

#[test]
fn folders_emptied_by_a_removal_are_removed() {
    let tmp = tempfile::tempdir().unwrap();
    run_gen(&project(&["tasks", "users"]), tmp.path()).unwrap();
    run_gen(&project(&["tasks"]), tmp.path()).unwrap();
    assert!(!tmp.path().join("crates/app-api/src/users").exists());
    assert!(tmp.path().join("crates/app-api/src/tasks/mod.rs").exists());
}

#[test]
fn scaffold_files_are_written_once_and_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = project(&["tasks"]);
    run_gen(&files, tmp.path()).unwrap();
    std::fs::write(
        tmp.path().join("crates/app-server/src/tasks.rs"),
        "// real handlers\n",
    )
    .unwrap();
    for f in &mut files {
        if f.ownership == Ownership::Scaffold {
            f.contents.push_str("// a newer template\n");
        }
    }
    let (plan, _) = write::write_dir(&files, tmp.path(), PlanOptions::default()).unwrap();
    assert!(plan.conflicts.is_empty());
    assert_eq!(
        read(tmp.path(), "crates/app-server/src/tasks.rs"),
        "// real handlers\n"
    );
    // A deleted scaffold file is written again.
    std::fs::remove_file(tmp.path().join("crates/app-server/src/main.rs")).unwrap();
    run_gen(&files, tmp.path()).unwrap();
    assert_eq!(
        read(tmp.path(), "crates/app-server/src/main.rs"),
        "fn main() {}\n// a newer template\n"
    );
}

#[test]
fn a_hand_edited_generated_file_stops_the_run_until_forced() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = project(&["tasks"]);
    run_gen(&files, tmp.path()).unwrap();
    let edited = "crates/app-api/src/tasks/mod.rs";
    std::fs::write(tmp.path().join(edited), "// my fix\n").unwrap();
    for f in &mut files {
        f.contents.push_str("// v2\n");
    }

    let err = run_gen(&files, tmp.path()).unwrap_err();
    let write::Error::Conflicts(conflicts) = &err else {
        panic!("expected conflicts, got {err}")
    };
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        (conflicts[0].path.as_str(), conflicts[0].kind),
        (edited, ConflictKind::Edited)
    );
    let msg = err.to_string();
    assert!(msg.contains(edited) && msg.contains("--force"), "{msg}");
    // Nothing at all was written: not even the files without conflicts.
    assert_eq!(read(tmp.path(), edited), "// my fix\n");
    assert!(!read(tmp.path(), "Cargo.toml").contains("v2"));

    let (_, s) = write::write_dir(&files, tmp.path(), PlanOptions { force: true }).unwrap();
    assert!(s.written >= 3);
    assert!(read(tmp.path(), edited).ends_with("// v2\n"));
    // Once forced, the next run is clean.
    assert!(run_gen(&files, tmp.path()).is_ok());
}

#[test]
fn an_edited_file_that_is_no_longer_generated_is_not_removed_silently() {
    let tmp = tempfile::tempdir().unwrap();
    run_gen(&project(&["tasks", "users"]), tmp.path()).unwrap();
    let edited = "crates/app-api/src/users/mod.rs";
    std::fs::write(tmp.path().join(edited), "// keep me\n").unwrap();
    let err = run_gen(&project(&["tasks"]), tmp.path()).unwrap_err();
    assert!(matches!(&err, write::Error::Conflicts(c) if c[0].kind == ConflictKind::EditedRemoved));
    assert!(tmp.path().join(edited).exists());
}

#[test]
fn a_file_bunbase_did_not_write_is_not_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("Cargo.toml"),
        "[package]\nname = \"mine\"\n",
    )
    .unwrap();
    let files = project(&["tasks"]);
    let err = run_gen(&files, tmp.path()).unwrap_err();
    assert!(
        matches!(&err, write::Error::Conflicts(c) if c[0].kind == ConflictKind::Unmanaged && c[0].path == "Cargo.toml")
    );
    assert!(!tmp.path().join(MANIFEST_PATH).exists());
}

#[test]
fn a_lost_manifest_is_recovered_from_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = project(&["tasks"]);
    run_gen(&files, tmp.path()).unwrap();
    std::fs::remove_file(tmp.path().join(MANIFEST_PATH)).unwrap();
    files.retain(|f| f.path != "openapi.json");
    for f in &mut files {
        if f.path == "Cargo.toml" {
            f.contents.push_str("# v2\n");
        }
    }
    // Cargo.toml carries the header, so it is ours and may be rewritten.
    let (plan, _) = write::write_dir(&files, tmp.path(), PlanOptions::default()).unwrap();
    assert!(plan.conflicts.is_empty());
    assert!(read(tmp.path(), "Cargo.toml").ends_with("# v2\n"));
    // Without a manifest, bunbase cannot know openapi.json was its own: kept.
    assert!(tmp.path().join("openapi.json").exists());
}

#[test]
fn the_plan_does_not_depend_on_input_order() {
    let tmp = tempfile::tempdir().unwrap();
    let files = project(&["tasks", "users"]);
    let mut reversed = files.clone();
    reversed.reverse();
    let tree = DirTree(tmp.path().into());
    let a = write::plan(&files, &tree, PlanOptions::default()).unwrap();
    let b = write::plan(&reversed, &tree, PlanOptions::default()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn paths_outside_the_output_folder_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in ["../evil.rs", "/etc/passwd", "a/./b.rs", "a//b.rs", ""] {
        let files = vec![generated(bad, "x\n")];
        let err =
            write::plan(&files, &DirTree(tmp.path().into()), PlanOptions::default()).unwrap_err();
        assert!(matches!(err, write::Error::BadPath(_)), "{bad}: {err}");
    }
    let dup = vec![generated("a.rs", "x\n"), generated("a.rs", "y\n")];
    assert!(matches!(
        write::plan(&dup, &DirTree(tmp.path().into()), PlanOptions::default()),
        Err(write::Error::DuplicatePath(_))
    ));
}

#[test]
fn the_check_report_lists_every_change_with_a_diff() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = project(&["tasks", "users"]);
    run_gen(&files, tmp.path()).unwrap();
    files.retain(|f| !f.path.contains("users"));
    files.push(generated(
        "crates/app-api/src/billing/mod.rs",
        "pub struct Billing;\n",
    ));
    for f in &mut files {
        if f.path == "Cargo.toml" {
            f.contents = f.contents.replace("crates/*", "crates/*\", \"tools");
        }
    }
    files.sort();
    let plan = write::plan(&files, &DirTree(tmp.path().into()), PlanOptions::default()).unwrap();
    assert!(!plan.is_up_to_date());
    let text = report::drift(&plan);
    assert!(
        text.contains("  create crates/app-api/src/billing/mod.rs"),
        "{text}"
    );
    assert!(text.contains("  change Cargo.toml"), "{text}");
    assert!(
        text.contains("  remove crates/app-api/src/users/mod.rs"),
        "{text}"
    );
    assert!(
        text.contains("--- a/Cargo.toml\n+++ b/Cargo.toml\n"),
        "{text}"
    );
    assert!(
        text.contains("-members = [\"crates/*\"]\n+members = [\"crates/*\", \"tools\"]\n"),
        "{text}"
    );
    // The user's scaffold of the removed module is not listed as a change.
    assert!(!text.contains("app-server/src/users.rs"), "{text}");
    assert!(
        plan.changes()
            .all(|e| !matches!(e.action, Action::Unchanged))
    );
}

#[test]
fn long_diffs_are_cut() {
    let old: String = (0..500).map(|i| format!("line {i}\n")).collect();
    let new: String = (0..500).map(|i| format!("line {}\n", i * 2)).collect();
    let d = report::diff("big.rs", &old, &new);
    assert!(d.lines().count() <= 62);
    assert!(d.contains("more diff lines"));
}
