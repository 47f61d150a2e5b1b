//! End-to-end tests of `bunbase breaking` through the real binary: exit codes, formats, accept file, version check and git revisions.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_bunbase");

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/breaking/cli")
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .arg("breaking")
        .args(args)
        .output()
        .expect("bunbase runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Copies a fixture folder into `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

#[test]
fn identical_contracts_exit_zero() {
    let o = run_in(&fixtures(), &["before", "--against", "before"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("no changes against before"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn breaking_changes_exit_100_naming_rule_location_and_reason() {
    let o = run_in(&fixtures(), &["after", "--against", "before"]);
    assert_eq!(code(&o), 100, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("breaking input_field_required_added at after/orders.yaml:23:7"),
        "{out}"
    );
    assert!(out.contains("requests without it are rejected"), "{out}");
    // Removals point into the old contracts.
    assert!(
        out.contains("breaking action_removed at before/orders.yaml:35:3"),
        "{out}"
    );
    assert!(
        out.contains("the changes need a major bump: 1.2.0 -> 2.0.0 suggested"),
        "{out}"
    );
}

#[test]
fn json_report() {
    let o = run_in(
        &fixtures(),
        &["after", "--against", "before", "--format", "json"],
    );
    assert_eq!(code(&o), 100, "{}", stderr(&o));
    insta::assert_snapshot!("breaking_cli_json", stdout(&o));
}

#[test]
fn markdown_and_github_formats() {
    let o = run_in(
        &fixtures(),
        &["after", "--against", "before", "--format", "markdown"],
    );
    assert_eq!(code(&o), 100);
    let md = stdout(&o);
    assert!(
        md.contains("| breaking | `action_removed` | `before/orders.yaml:35:3` |"),
        "{md}"
    );
    let o = run_in(
        &fixtures(),
        &["after", "--against", "before", "--format", "github"],
    );
    assert_eq!(code(&o), 100);
    let gh = stdout(&o);
    // Paths are from the repository root when the fixtures are in a git
    // checkout (as in CI), else relative to the working directory.
    let in_git = Command::new("git")
        .current_dir(fixtures())
        .args(["rev-parse", "--show-prefix"])
        .output()
        .is_ok_and(|o| o.status.success());
    let file = if in_git {
        "generator/tests/fixtures/breaking/cli/after/orders.yaml"
    } else {
        "after/orders.yaml"
    };
    let want =
        format!("::error file={file},line=23,col=7,title=input_field_required_added (breaking)::");
    assert!(gh.contains(&want), "{gh}");
    assert!(gh.contains("::warning file="), "{gh}");
}

#[test]
fn accepted_findings_and_overrides_pass_the_gate() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let after = tmp.path().join("after");
    copy_dir(&fixtures().join("after"), &after);
    std::fs::write(
        after.join("bunbase-breaking.yaml"),
        "accept:\n  - fingerprint: \"input_field_required_added:type/CreateOrderInput/currency\"\n    reason: the web client sends it already\n  - fingerprint: \"action_removed:action/orders.gone\"\n    reason: stale\nrules:\n  action_removed: warning\n",
    )
    .expect("write config");
    let before = fixtures().join("before");
    let o = run_in(
        tmp.path(),
        &["after", "--against", before.to_str().expect("utf8")],
    );
    let out = stdout(&o);
    assert_eq!(code(&o), 0, "{out}{}", stderr(&o));
    assert!(
        out.contains("accepted: the web client sends it already"),
        "{out}"
    );
    assert!(out.contains("warning  action_removed"), "{out}");
    assert!(
        out.contains("`action_removed:action/orders.gone` matches no change"),
        "{out}"
    );
    // A warning fails with --fail-on warning.
    let o = run_in(
        tmp.path(),
        &[
            "after",
            "--against",
            before.to_str().expect("utf8"),
            "--fail-on",
            "warning",
        ],
    );
    assert_eq!(code(&o), 100);
}

#[test]
fn check_version_needs_the_suggested_bump() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let after = tmp.path().join("after");
    copy_dir(&fixtures().join("after"), &after);
    std::fs::write(
        after.join("bunbase-breaking.yaml"),
        "rules:\n  action_removed: info\n  input_field_required_added: info\n",
    )
    .expect("write config");
    let before = fixtures().join("before");
    let before = before.to_str().expect("utf8");
    let o = run_in(tmp.path(), &["after", "--against", before]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let o = run_in(
        tmp.path(),
        &["after", "--against", before, "--check-version"],
    );
    assert_eq!(code(&o), 100);
    assert!(stdout(&o).contains("version_not_bumped"), "{}", stdout(&o));
    assert!(stdout(&o).contains("use 2.0.0 or later"), "{}", stdout(&o));
    let project = std::fs::read_to_string(after.join("bunbase.yaml")).expect("read");
    std::fs::write(
        after.join("bunbase.yaml"),
        project.replace("1.2.0", "1.3.0"),
    )
    .expect("write");
    let o = run_in(
        tmp.path(),
        &["after", "--against", before, "--check-version"],
    );
    assert_eq!(
        code(&o),
        100,
        "a minor bump is not enough for a major change"
    );
    std::fs::write(
        after.join("bunbase.yaml"),
        project.replace("1.2.0", "2.0.0"),
    )
    .expect("write");
    let o = run_in(
        tmp.path(),
        &["after", "--against", before, "--check-version"],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn below_one_a_breaking_change_needs_a_minor_bump() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for side in ["before", "after"] {
        copy_dir(&fixtures().join(side), &tmp.path().join(side));
        let p = tmp.path().join(side).join("bunbase.yaml");
        let text = std::fs::read_to_string(&p)
            .expect("read")
            .replace("1.2.0", "0.4.1");
        std::fs::write(p, text).expect("write");
    }
    let o = run_in(
        tmp.path(),
        &[
            "after",
            "--against",
            "before",
            "--check-version",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["version"]["required_bump"], "major");
    assert_eq!(v["version"]["effective_bump"], "minor");
    assert_eq!(v["version"]["suggested"], "0.5.0");
    let o = run_in(
        tmp.path(),
        &["after", "--against", "before", "--check-version"],
    );
    assert!(
        stdout(&o).contains("below 1.0 a breaking change needs a minor bump"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bad_input_exits_2() {
    // Usage error.
    let o = run_in(&fixtures(), &["after"]);
    assert_eq!(code(&o), 2);
    // Missing folder.
    let o = run_in(&fixtures(), &["nowhere", "--against", "before"]);
    assert_eq!(code(&o), 2);
    // Contracts that do not compile show their diagnostics.
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixtures().join("after"), &tmp.path().join("bad"));
    std::fs::write(
        tmp.path().join("bad/orders.yaml"),
        "module: orders\nactions:\n  x:\n    output: Nope\n",
    )
    .expect("write");
    let before = fixtures().join("before");
    let o = run_in(
        tmp.path(),
        &["bad", "--against", before.to_str().expect("utf8")],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("orders.yaml"), "{}", stderr(&o));
    assert!(stderr(&o).contains("do not compile"), "{}", stderr(&o));
    // A bad configuration file.
    std::fs::write(
        tmp.path().join("bad/orders.yaml"),
        std::fs::read_to_string(fixtures().join("after/orders.yaml")).expect("read"),
    )
    .expect("write");
    std::fs::write(
        tmp.path().join("bad/bunbase-breaking.yaml"),
        "rules: { no_such_rule: off }\n",
    )
    .expect("write");
    let o = run_in(
        tmp.path(),
        &["bad", "--against", before.to_str().expect("utf8")],
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown rule `no_such_rule`"),
        "{}",
        stderr(&o)
    );
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn against_a_git_revision_without_checkout() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path();
    git(repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("README"), "x").expect("write");
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "no contracts yet"]);
    copy_dir(&fixtures().join("before"), &repo.join("contracts"));
    // Hidden files and the breaking config are not modules, in git as on disk.
    std::fs::write(repo.join("contracts/.draft.yaml"), "not: a module\n").expect("write");
    std::fs::write(repo.join("contracts/bunbase-breaking.yaml"), "rules: {}\n").expect("write");
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "before"]);
    git(repo, &["tag", "v1"]);
    for entry in std::fs::read_dir(fixtures().join("after")).expect("read") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), repo.join("contracts").join(entry.file_name())).expect("copy");
    }
    git(repo, &["commit", "-q", "-am", "after"]);

    let o = run_in(repo, &["--against", "HEAD~1"]);
    assert_eq!(code(&o), 100, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("breaking action_removed at HEAD~1:contracts/orders.yaml:35:3"),
        "{out}"
    );
    assert!(
        out.contains("breaking input_field_required_added at contracts/orders.yaml:23:7"),
        "{out}"
    );

    // From inside the contracts folder, a tag, explicit prefix.
    let o = run_in(&repo.join("contracts"), &[".", "--against", "git:v1"]);
    assert_eq!(code(&o), 100, "{}", stderr(&o));
    let o = run_in(repo, &["--against", "HEAD"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    // A revision without contracts, and one that does not exist.
    let o = run_in(repo, &["--against", "HEAD~2"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("has no contracts at `contracts`"),
        "{}",
        stderr(&o)
    );
    let o = run_in(repo, &["--against", "origin/nope"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("git revision `origin/nope` not found"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn list_rules_prints_the_catalogue() {
    let o = run_in(&fixtures(), &["--list-rules", "--format", "json"]);
    assert_eq!(code(&o), 0);
    let rules: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).expect("json");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    let want: Vec<&str> = bunbase::breaking::Rule::ALL
        .iter()
        .map(|r| r.id())
        .collect();
    assert_eq!(ids, want);
}

#[test]
fn explain_prints_the_rule_docs() {
    let o = run_in(&fixtures(), &["--explain", "input_field_required_added"]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains("- severity: **breaking**, semver: **major**"),
        "{}",
        stdout(&o)
    );
    let o = run_in(&fixtures(), &["--explain", "input_field_requird_added"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("did you mean `input_field_required_added`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn github_format_writes_step_outputs_and_summary() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (outputs, summary) = (tmp.path().join("out"), tmp.path().join("summary"));
    let o = Command::new(BIN)
        .current_dir(fixtures())
        .args([
            "breaking",
            "after",
            "--against",
            "before",
            "--format",
            "github",
        ])
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("bunbase runs");
    assert_eq!(code(&o), 100);
    let outputs = std::fs::read_to_string(outputs).expect("outputs written");
    assert_eq!(
        outputs,
        "breaking=2\nwarning=1\nrequired_bump=major\nsuggested_version=2.0.0\n"
    );
    let summary = std::fs::read_to_string(summary).expect("summary written");
    assert!(
        summary.starts_with("### bunbase breaking: 2 breaking, 1 warning, 2 info"),
        "{summary}"
    );
}

#[test]
fn the_settings_file_is_not_a_module_for_check() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let after = tmp.path().join("after");
    copy_dir(&fixtures().join("after"), &after);
    std::fs::write(
        after.join("bunbase-breaking.yaml"),
        "accept:\n  - fingerprint: \"action_removed:action/orders.gone\"\n    reason: retired\n",
    )
    .expect("write config");
    let o = Command::new(BIN)
        .current_dir(tmp.path())
        .args(["check", "after"])
        .output()
        .expect("run bunbase check");
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}
