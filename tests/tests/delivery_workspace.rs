//! `bunbase gen` inside an existing Cargo workspace (other members, a path dependency between them, comments and settings in the root manifest): the generated crates join it, the root manifest gains only their member lines, and `cargo build` builds the whole workspace.

use std::path::Path;
use std::process::{Command, Output};

use bunbase_e2e::{bunbase_bin, generated_target_dir, repo_root};

const ROOT: &str = r#"# The team's workspace: bunbase adds its members here and touches nothing else.
[workspace]
resolver = "3"
members = [
    "libs/util",   # shared helpers
    "tools/report",
]

[workspace.package]
version = "3.0.0" # the team's own version, not bunbase's

[workspace.dependencies]
util = { path = "libs/util" }
"#;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dir");
    std::fs::write(path, text).expect("write");
}

/// The fixture: two members (`tools/report` depends on `libs/util` by
/// path) and the contracts of a small `shop` project.
fn fixture(root: &Path) {
    write(&root.join("Cargo.toml"), ROOT);
    write(
        &root.join("libs/util/Cargo.toml"),
        "[package]\nname = \"util\"\nversion.workspace = true\nedition = \"2024\"\n",
    );
    write(
        &root.join("libs/util/src/lib.rs"),
        "//! Shared helpers.\n\n/// A greeting.\npub fn greeting() -> &'static str {\n    \"hello\"\n}\n",
    );
    write(
        &root.join("tools/report/Cargo.toml"),
        "[package]\nname = \"report\"\nversion.workspace = true\nedition = \"2024\"\n\n[dependencies]\nutil.workspace = true\n",
    );
    write(
        &root.join("tools/report/src/main.rs"),
        "fn main() {\n    println!(\"{}\", util::greeting());\n}\n",
    );
    write(
        &root.join("contracts/bunbase.yaml"),
        "project: shop\nversion: 0.1.0\ntitle: Shop API\napi:\n  base_path: /api\n",
    );
    write(
        &root.join("contracts/items.yaml"),
        "module: items\nprefix: /items\nactions:\n  count_items:\n    output: { count: int }\n    triggers:\n      - api: GET /\n",
    );
    // Start from the example's pinned versions, so the shared target dir's
    // compiled dependencies are reused.
    std::fs::copy(
        repo_root().join("generated-example/Cargo.lock"),
        root.join("Cargo.lock"),
    )
    .expect("copy the lockfile");
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the command runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn gen_joins_an_existing_workspace_and_it_builds() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    fixture(root);
    let bunbase = bunbase_bin();
    let gen_args = ["gen", "contracts", "--out", "services/shop"];

    let out = run(Command::new(&bunbase).current_dir(root).args(gen_args));
    let text = stderr(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "joined the workspace at {}: added \"services/shop/crates/shop-api\", \"services/shop/crates/shop-server\", \"services/shop/crates/shop-types\" to workspace.members",
            root.canonicalize().unwrap().display()
        )),
        "{text}"
    );
    // The root manifest gained exactly the three member lines.
    let after = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert_eq!(
        after,
        ROOT.replace(
            "    \"tools/report\",\n",
            "    \"tools/report\",\n    \"services/shop/crates/shop-api\",\n    \"services/shop/crates/shop-server\",\n    \"services/shop/crates/shop-types\",\n",
        )
    );
    assert!(
        !root.join("services/shop/Cargo.toml").exists(),
        "no nested workspace"
    );
    let server_manifest =
        std::fs::read_to_string(root.join("services/shop/crates/shop-server/Cargo.toml")).unwrap();
    assert!(
        !server_manifest.contains(".workspace = true"),
        "{server_manifest}"
    );
    assert!(
        server_manifest.contains("shop-api = { path = \"../../crates/shop-api\" }"),
        "{server_manifest}"
    );

    // The server crate is the user's: it may use the workspace's own crates.
    let with_util = format!("{server_manifest}util = {{ path = \"../../../../libs/util\" }}\n");
    std::fs::write(
        root.join("services/shop/crates/shop-server/Cargo.toml"),
        with_util,
    )
    .unwrap();

    let build = run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root)
            .args(["build", "--workspace", "--quiet"])
            .env("CARGO_TARGET_DIR", generated_target_dir()),
    );
    assert!(
        build.status.success(),
        "cargo build failed:\n{}",
        stderr(&build)
    );
    let metadata = run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root)
            .args([
                "metadata",
                "--no-deps",
                "--format-version",
                "1",
                "--offline",
            ]),
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&metadata.stdout).expect("metadata JSON");
    let mut names: Vec<&str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["report", "shop-api", "shop-server", "shop-types", "util"]
    );

    // A second run changes nothing, and --check agrees.
    let again = run(Command::new(&bunbase).current_dir(root).args(gen_args));
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("the crates are members of the workspace"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read_to_string(root.join("Cargo.toml")).unwrap(),
        after
    );
    let check = run(Command::new(&bunbase).current_dir(root).args([
        "gen",
        "contracts",
        "--out",
        "services/shop",
        "--check",
    ]));
    assert!(check.status.success(), "{}", stderr(&check));

    // Members removed by hand: --check says so and fails.
    std::fs::write(root.join("Cargo.toml"), ROOT).unwrap();
    let check = run(Command::new(&bunbase).current_dir(root).args([
        "gen",
        "contracts",
        "--out",
        "services/shop",
        "--check",
    ]));
    assert_eq!(check.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        stdout.contains("does not list the generated crates as workspace members: services/shop/crates/shop-api, services/shop/crates/shop-server, services/shop/crates/shop-types"),
        "{stdout}"
    );
}
