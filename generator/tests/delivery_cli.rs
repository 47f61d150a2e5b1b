//! `bunbase gen`, `gen --check` and `bunbase new` end to end through the real binary, over a copy of `contracts-examples/tasks`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

const MANIFEST: &str = ".bunbase/manifest.json";

fn bunbase(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bunbase"))
        .current_dir(cwd)
        .args(args)
        .env_remove("BUNBASE_RUNTIME_PATH")
        .output()
        .expect("bunbase runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exit code")
}

/// A temporary project: `contracts/` copied from the tasks example.
fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts-examples/tasks");
    let dst = tmp.path().join("contracts");
    copy_tree(&src, &dst);
    tmp
}

/// Every file under `dir` with its mtime, sorted.
fn files(dir: &Path) -> Vec<(PathBuf, SystemTime)> {
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

/// Ages every generated file by an hour so a rewrite changes its mtime.
fn age(dir: &Path) {
    let old = SystemTime::now() - Duration::from_secs(3600);
    for (p, _) in files(dir) {
        std::fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
}

fn manifest_paths(out: &Path) -> Vec<String> {
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(MANIFEST)).unwrap()).unwrap();
    m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn gen_writes_then_a_second_run_touches_nothing() {
    let tmp = project();
    let out = tmp.path().join("out");
    let first = bunbase(tmp.path(), &["gen", "contracts", "--out", "out"]);
    assert_eq!(code(&first), 0, "{}", text(&first));
    let paths = manifest_paths(&out);
    assert!(paths.contains(&"openapi.json".to_string()), "{paths:?}");
    for p in &paths {
        assert!(
            out.join(p).is_file(),
            "{p} is in the manifest but was not written"
        );
    }
    assert!(text(&first).contains("bunbase gen: "), "{}", text(&first));

    age(&out);
    let before = files(&out);
    let second = bunbase(tmp.path(), &["gen", "contracts", "--out", "out"]);
    assert_eq!(code(&second), 0, "{}", text(&second));
    assert!(text(&second).contains(" 0 written,"), "{}", text(&second));
    assert!(text(&second).contains(" 0 removed"), "{}", text(&second));
    assert_eq!(files(&out), before, "a no-op regeneration touched files");
}

#[test]
fn check_exits_0_when_up_to_date_and_1_listing_drift() {
    let tmp = project();
    let out = tmp.path().join("out");
    assert_eq!(code(&bunbase(tmp.path(), &["gen", "--out", "out"])), 0);
    let ok = bunbase(tmp.path(), &["gen", "--check", "--out", "out"]);
    assert_eq!(code(&ok), 0, "{}", text(&ok));

    let project_file = tmp.path().join("contracts/bunbase.yaml");
    let yaml = std::fs::read_to_string(&project_file).unwrap();
    std::fs::write(
        &project_file,
        yaml.replace("title: Tasks API", "title: Task List API"),
    )
    .unwrap();
    age(&out);
    let before = files(&out);
    let stale = bunbase(tmp.path(), &["gen", "--check", "--out", "out"]);
    let msg = text(&stale);
    assert_eq!(code(&stale), 1, "{msg}");
    assert!(msg.contains("is stale; run `bunbase gen"), "{msg}");
    assert!(msg.contains("  change openapi.json"), "{msg}");
    assert!(msg.contains("+++ b/openapi.json"), "{msg}");
    assert!(msg.contains("+    \"title\": \"Task List API\""), "{msg}");
    assert_eq!(files(&out), before, "--check wrote files");

    // A missing output folder is drift too: every file would be created.
    let empty = bunbase(tmp.path(), &["gen", "--check", "--out", "nowhere"]);
    assert_eq!(code(&empty), 1, "{}", text(&empty));
    assert!(
        text(&empty).contains("  create openapi.json"),
        "{}",
        text(&empty)
    );
    assert!(!tmp.path().join("nowhere").exists());
}

#[test]
fn a_removed_module_removes_its_files_and_keeps_user_files() {
    let tmp = project();
    let out = tmp.path().join("out");
    assert_eq!(code(&bunbase(tmp.path(), &["gen", "--out", "out"])), 0);
    let with_health = manifest_paths(&out);
    std::fs::write(out.join("notes.md"), "mine\n").unwrap();

    std::fs::remove_file(tmp.path().join("contracts/health.yaml")).unwrap();
    let run = bunbase(tmp.path(), &["gen", "--out", "out"]);
    assert_eq!(code(&run), 0, "{}", text(&run));
    let without = manifest_paths(&out);
    let gone: Vec<&String> = with_health
        .iter()
        .filter(|p| !without.contains(p))
        .collect();
    for p in &gone {
        let generated = !p.contains("-server/");
        assert_eq!(
            out.join(p).exists(),
            !generated,
            "{p}: generated files go, scaffold files stay"
        );
    }
    assert_eq!(
        std::fs::read_to_string(out.join("notes.md")).unwrap(),
        "mine\n"
    );
}

#[test]
fn a_hand_edited_file_is_named_and_force_overwrites_it() {
    let tmp = project();
    let out = tmp.path().join("out");
    assert_eq!(code(&bunbase(tmp.path(), &["gen", "--out", "out"])), 0);
    let original = std::fs::read_to_string(out.join("openapi.json")).unwrap();
    std::fs::write(out.join("openapi.json"), "{}\n").unwrap();
    let project_file = tmp.path().join("contracts/bunbase.yaml");
    let yaml = std::fs::read_to_string(&project_file).unwrap();
    std::fs::write(
        &project_file,
        yaml.replace("version: 0.1.0", "version: 0.2.0"),
    )
    .unwrap();

    let refused = bunbase(tmp.path(), &["gen", "--out", "out"]);
    assert_eq!(code(&refused), 1, "{}", text(&refused));
    assert!(
        text(&refused).contains("openapi.json  (generated file edited by hand)"),
        "{}",
        text(&refused)
    );
    assert!(text(&refused).contains("--force"), "{}", text(&refused));
    assert_eq!(
        std::fs::read_to_string(out.join("openapi.json")).unwrap(),
        "{}\n"
    );

    let check = bunbase(tmp.path(), &["gen", "--check", "--out", "out"]);
    assert_eq!(code(&check), 1);
    assert!(text(&check).contains("edited by hand"), "{}", text(&check));

    let forced = bunbase(tmp.path(), &["gen", "--force", "--out", "out"]);
    assert_eq!(code(&forced), 0, "{}", text(&forced));
    let now = std::fs::read_to_string(out.join("openapi.json")).unwrap();
    assert_ne!(now, "{}\n");
    assert_ne!(now, original, "the new version is written");
}

#[test]
fn contract_errors_print_diagnostics_and_write_nothing() {
    let tmp = project();
    std::fs::write(
        tmp.path().join("contracts/broken.yaml"),
        "module: broken\nbogus_key: 1\n",
    )
    .unwrap();
    let run = bunbase(tmp.path(), &["gen", "--out", "out"]);
    assert_eq!(code(&run), 1, "{}", text(&run));
    assert!(text(&run).contains("broken.yaml:2:1"), "{}", text(&run));
    assert!(
        text(&run).contains("nothing was generated"),
        "{}",
        text(&run)
    );
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn new_creates_a_project_that_is_up_to_date() {
    let tmp = tempfile::tempdir().unwrap();
    let run = bunbase(tmp.path(), &["new", "todo-app"]);
    assert_eq!(code(&run), 0, "{}", text(&run));
    let root = tmp.path().join("todo-app");
    for f in [
        "contracts/bunbase.yaml",
        "contracts/hello.yaml",
        "README.md",
        MANIFEST,
        "openapi.json",
    ] {
        assert!(root.join(f).is_file(), "{f} missing:\n{}", text(&run));
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains("cargo run -p todo-app-server -- serve"),
        "{readme}"
    );
    let check = bunbase(&root, &["gen", "--check"]);
    assert_eq!(code(&check), 0, "{}", text(&check));

    let again = bunbase(tmp.path(), &["new", "todo-app"]);
    assert_ne!(code(&again), 0);
    assert!(text(&again).contains("not empty"), "{}", text(&again));
    let bad = bunbase(tmp.path(), &["new", "TodoApp"]);
    assert_ne!(code(&bad), 0);
    assert!(text(&bad).contains("todo-app"), "{}", text(&bad));
}

/// Kills a child process when the test ends, pass or fail.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn watch_regenerates_after_a_contract_change() {
    use std::io::BufRead;
    let tmp = project();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bunbase"))
        .current_dir(tmp.path())
        .args(["gen", "--watch", "--out", "out"])
        .env_remove("BUNBASE_RUNTIME_PATH")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("bunbase gen --watch starts");
    let stderr = child.stderr.take().expect("stderr");
    let _child = Killed(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let summary = |what: &str| loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no summary line {what}"));
        if line.starts_with("bunbase gen: ") {
            return line;
        }
    };
    let first = summary("for the first run");
    assert!(!first.contains(" 0 written"), "{first}");

    let project_file = tmp.path().join("contracts/bunbase.yaml");
    let yaml = std::fs::read_to_string(&project_file).unwrap();
    std::fs::write(
        &project_file,
        yaml.replace("title: Tasks API", "title: Watched API"),
    )
    .unwrap();
    let second = summary("after a contract change");
    assert!(
        second.contains(" removed in ") && !second.contains(" 0 written"),
        "{second}"
    );
    let doc = std::fs::read_to_string(tmp.path().join("out/openapi.json")).unwrap();
    assert!(doc.contains("Watched API"));
    // One burst of changes gives one run, not one per event.
    assert!(
        rx.recv_timeout(Duration::from_millis(800))
            .map_or(true, |l| !l.starts_with("bunbase gen: "))
    );
}

#[test]
fn runtime_flags_choose_the_runtime_dependency() {
    let tmp = project();
    let runtime_line = |out: &str| {
        let toml = std::fs::read_to_string(tmp.path().join(out).join("Cargo.toml")).unwrap();
        toml.lines()
            .find(|l| l.starts_with("bunbase-runtime"))
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        code(&bunbase(
            tmp.path(),
            &["gen", "--out", "v", "--runtime-version", "0.3"]
        )),
        0
    );
    assert!(
        runtime_line("v").contains("version = \"0.3\""),
        "{}",
        runtime_line("v")
    );
    let git = [
        "gen",
        "--out",
        "g",
        "--runtime-git",
        "https://example.com/rt.git",
        "--runtime-rev",
        "abc",
    ];
    assert_eq!(code(&bunbase(tmp.path(), &git)), 0);
    assert!(
        runtime_line("g").contains("git = \"https://example.com/rt.git\""),
        "{}",
        runtime_line("g")
    );
    // A path next to the output folder is written relative to it.
    std::fs::create_dir_all(tmp.path().join("rt")).unwrap();
    assert_eq!(
        code(&bunbase(
            tmp.path(),
            &["gen", "--out", "p", "--runtime-path", "rt"]
        )),
        0
    );
    let line = runtime_line("p");
    assert!(
        line.contains("path = \"") && !line.contains("path = \"/"),
        "{line}"
    );
    // The default is this checkout's runtime-support.
    assert_eq!(code(&bunbase(tmp.path(), &["gen", "--out", "d"])), 0);
    assert!(
        runtime_line("d").contains("runtime-support\""),
        "{}",
        runtime_line("d")
    );
}

/// Copies the folder `src` into `dst`, sub-folders (`migrations/`) included.
fn copy_tree(src: &std::path::Path, dst: &std::path::Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}
