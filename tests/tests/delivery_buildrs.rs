//! The build.rs example (`tests/buildrs-example`) builds with the bunbase Builder, and a second build with no change is fresh: cargo recompiles nothing and does not rerun the build script.

use std::path::Path;
use std::process::Command;

use bunbase_e2e::repo_root;
use serde_json::Value;

/// Builds the example with `--message-format json` in the shared target dir
/// for generated workspaces and returns cargo's messages.
fn build(target: &Path) -> Vec<Value> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(repo_root())
        .args(["build", "-p", "buildrs-example", "--message-format", "json"])
        .env("CARGO_TARGET_DIR", target)
        .env_remove("BUNBASE_RUNTIME_PATH")
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "cargo build -p buildrs-example failed:\n{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn is_example(msg: &Value) -> bool {
    msg["package_id"]
        .as_str()
        .is_some_and(|id| id.contains("buildrs-example"))
}

#[test]
fn the_buildrs_example_builds_and_a_second_build_is_fresh() {
    let target = repo_root().join("target/generated-ws");
    let first = build(&target);

    // The build script announced every contract file and the folder.
    let executed = first
        .iter()
        .find(|m| m["reason"] == "build-script-executed" && is_example(m))
        .expect("the example's build script ran or was replayed");
    let out_dir = Path::new(executed["out_dir"].as_str().expect("out_dir"));
    let output = std::fs::read_to_string(out_dir.parent().expect("build dir").join("output"))
        .expect("build script output");
    let contracts = repo_root().join("contracts-examples/tasks");
    for entry in std::fs::read_dir(&contracts).expect("contracts-examples/tasks") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        // A folder (`migrations/`) is announced through each file in it.
        let folder = entry.path().is_dir();
        assert!(
            output
                .lines()
                .any(|l| l.starts_with("cargo:rerun-if-changed=")
                    && if folder {
                        l.contains(&format!("/{name}/")) && l.ends_with(".sql")
                    } else {
                        l.ends_with(&name)
                    }),
            "no rerun-if-changed for {name}:\n{output}"
        );
    }
    assert!(
        output.contains("cargo:rerun-if-changed=../../contracts-examples/tasks\n"),
        "{output}"
    );
    assert!(
        output.contains("cargo:rerun-if-env-changed=BUNBASE_RUNTIME_PATH"),
        "{output}"
    );
    assert!(out_dir.join("bunbase_api.rs").exists());

    let second = build(&target);
    let artifacts: Vec<&Value> = second
        .iter()
        .filter(|m| m["reason"] == "compiler-artifact" && is_example(m))
        .collect();
    assert!(
        !artifacts.is_empty(),
        "cargo reported no artifact for buildrs-example"
    );
    for a in artifacts {
        assert_eq!(
            a["fresh"], true,
            "a no-change rebuild recompiled {}",
            a["target"]["name"]
        );
    }
}
