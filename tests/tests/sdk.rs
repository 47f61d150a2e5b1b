//! The generated TypeScript SDK compiles under `tsc --strict` (plus exact optional types and unchecked index access), and the usage file's narrowing and `@ts-expect-error` lines hold.

use std::path::{Path, PathBuf};
use std::process::Command;

use bunbase::emit::{GenOptions, RuntimeSource, header, ts};
use bunbase::ir::Ir;
use bunbase_e2e::{npm_bin, repo_root, tooling_dir};

#[path = "../../generator/tests/support/sets.rs"]
mod sets;

fn opts() -> GenOptions {
    GenOptions {
        runtime: RuntimeSource::Path("../runtime-support".into()),
        contracts_label: "contracts".into(),
    }
}

/// The contract fixtures in `tests/sdk/contracts/`, compiled, by folder
/// name.
fn fixtures() -> Vec<(String, Ir)> {
    sets::compiled(&repo_root().join("tests/sdk/contracts"))
}

/// Every example contract set in `contracts-examples/`, compiled, named
/// `example_<dir>`.
fn examples() -> Vec<(String, Ir)> {
    sets::compiled(&repo_root().join("contracts-examples"))
        .into_iter()
        .map(|(name, ir)| (format!("example_{name}"), ir))
        .collect()
}

/// Writes the SDK of `ir` (as `bunbase gen` would, headers included) into
/// `dir` and links the tooling's `node_modules` beside it.
fn write_sdk(ir: &Ir, dir: &Path) {
    for f in ts::emit(ir, &opts()) {
        let rel = f
            .path
            .strip_prefix("sdk/typescript/")
            .expect("SDK files live under sdk/typescript/");
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dir");
        std::fs::write(
            &path,
            header::with_header(&f.path, &f.contents, "contracts"),
        )
        .expect("write SDK file");
    }
    let modules = tooling_dir()
        .expect("tooling is installed")
        .join("npm/node_modules");
    std::os::unix::fs::symlink(modules, dir.join("node_modules")).expect("link node_modules");
}

fn tsc(tsc: &Path, project: &Path) -> Result<(), String> {
    let out = Command::new(tsc)
        .arg("-p")
        .arg(project)
        .arg("--noEmit")
        .output()
        .expect("run tsc");
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[test]
#[cfg_attr(
    any(bunbase_skip_npm, bunbase_skip_node),
    ignore = "needs node and the npm test tooling: run `cargo xtask test`"
)]
fn sdk_of_every_example_and_fixture_type_checks_strictly() {
    let Some(tsc_bin) = npm_bin(
        "tsc",
        "sdk_of_every_example_and_fixture_type_checks_strictly",
    ) else {
        return;
    };
    let mut failures = Vec::new();
    for (name, ir) in examples().into_iter().chain(fixtures()) {
        let tmp = tempfile::tempdir().expect("temp dir");
        write_sdk(&ir, tmp.path());
        // The README's usage example must compile too (its import pointed at
        // the sources).
        let readme = std::fs::read_to_string(tmp.path().join("README.md")).expect("README");
        let example = readme_example(&readme).replace(
            &format!("from \"{}\"", ir.project.sdk_package),
            "from \"../src/index.js\"",
        );
        std::fs::create_dir_all(tmp.path().join("readme")).expect("create dir");
        std::fs::write(tmp.path().join("readme/usage.ts"), example).expect("write readme example");
        // The SDK's own settings (nodenext, strict, exact optional types),
        // then what an app bundled by Vite or webpack sees: bundler
        // resolution, strict but without exact optional property types.
        let configs = [
            ("own tsconfig", serde_json::json!({})),
            (
                "bundler resolution, no exact optional types",
                serde_json::json!({
                    "module": "esnext",
                    "moduleResolution": "bundler",
                    "exactOptionalPropertyTypes": false,
                    "noUncheckedIndexedAccess": false,
                }),
            ),
        ];
        for (i, (label, mut options)) in configs.into_iter().enumerate() {
            options["rootDir"] = ".".into();
            options["noEmit"] = true.into();
            let config = serde_json::json!({
                "extends": "./tsconfig.json",
                "compilerOptions": options,
                "include": ["src", "readme"],
            });
            let path = tmp.path().join(format!("tsconfig.check{i}.json"));
            std::fs::write(&path, config.to_string()).expect("write tsconfig");
            if let Err(e) = tsc(&tsc_bin, &path) {
                failures.push(format!("== {name} ({label})\n{e}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "tsc rejected generated SDKs:\n{}",
        failures.join("\n")
    );
}

/// The first TypeScript block of a README.
fn readme_example(readme: &str) -> String {
    let start = readme
        .find("```ts\n")
        .expect("README has a TypeScript example")
        + 6;
    let len = readme[start..].find("```").expect("the example block ends");
    readme[start..start + len].to_string()
}

/// Compiles `tests/sdk/usage.ts` against the `acme` fixture's SDK: its
/// narrowing compiles and each `@ts-expect-error` still marks an error.
#[test]
#[cfg_attr(
    any(bunbase_skip_npm, bunbase_skip_node),
    ignore = "needs node and the npm test tooling: run `cargo xtask test`"
)]
fn usage_file_narrows_and_rejects_misuse() {
    let Some(tsc_bin) = npm_bin("tsc", "usage_file_narrows_and_rejects_misuse") else {
        return;
    };
    let (_, ir) = fixtures()
        .into_iter()
        .find(|(n, _)| n == "acme")
        .expect("acme fixture");
    let tmp = tempfile::tempdir().expect("temp dir");
    write_sdk(&ir, tmp.path());
    let test_dir: PathBuf = tmp.path().join("test");
    std::fs::create_dir_all(&test_dir).expect("create test dir");
    std::fs::copy(
        repo_root().join("tests/sdk/usage.ts"),
        test_dir.join("usage.ts"),
    )
    .expect("copy usage.ts");
    let config = serde_json::json!({
        "extends": "./tsconfig.json",
        "compilerOptions": { "rootDir": ".", "noEmit": true },
        "include": ["src", "test"],
    });
    std::fs::write(tmp.path().join("tsconfig.test.json"), config.to_string())
        .expect("write tsconfig");
    if let Err(e) = tsc(&tsc_bin, &tmp.path().join("tsconfig.test.json")) {
        panic!("usage.ts does not type-check against the SDK:\n{e}");
    }
}

/// Compiles the `acme` fixture's SDK to JavaScript and runs
/// `tests/sdk/runtime.test.mjs` with `node --test`: bindings, envelopes,
/// unknown codes, hooks, timeouts, aborts and the TanStack helpers, against a
/// loopback server the test file starts.
#[test]
#[cfg_attr(
    any(bunbase_skip_npm, bunbase_skip_node),
    ignore = "needs node and the npm test tooling: run `cargo xtask test`"
)]
fn runtime_behaves_against_a_loopback_server() {
    let Some(tsc_bin) = npm_bin("tsc", "runtime_behaves_against_a_loopback_server") else {
        return;
    };
    let (_, ir) = fixtures()
        .into_iter()
        .find(|(n, _)| n == "acme")
        .expect("acme fixture");
    let tmp = tempfile::tempdir().expect("temp dir");
    write_sdk(&ir, tmp.path());
    let build = Command::new(&tsc_bin)
        .arg("-p")
        .arg(tmp.path().join("tsconfig.json"))
        .output()
        .expect("run tsc");
    assert!(
        build.status.success(),
        "tsc build failed:\n{}",
        String::from_utf8_lossy(&build.stdout)
    );
    let test_dir = tmp.path().join("test");
    std::fs::create_dir_all(&test_dir).expect("create test dir");
    std::fs::copy(
        repo_root().join("tests/sdk/runtime.test.mjs"),
        test_dir.join("runtime.test.mjs"),
    )
    .expect("copy test");
    node_test(&test_dir.join("runtime.test.mjs"), &[]);
}

/// Runs `node --test` on one file and fails with its output unless it passes.
fn node_test(file: &Path, env: &[(&str, &str)]) {
    let out = Command::new("node")
        .arg("--test")
        .arg(file)
        .envs(env.iter().copied())
        .output()
        .expect("node is installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "node --test {} failed:\n{text}",
        file.display()
    );
    eprintln!("{text}");
}

/// The SDK also compiles with TypeScript 5 (the `typescript-5` alias in the
/// tooling, 5.9), the line most apps still use: the `acme` fixture with the
/// usage file, and the tasks example.
#[test]
#[cfg_attr(
    any(bunbase_skip_npm, bunbase_skip_node),
    ignore = "needs node and the npm test tooling: run `cargo xtask test`"
)]
fn sdk_type_checks_with_typescript_5() {
    let test = "sdk_type_checks_with_typescript_5";
    let Some(tooling) = tooling_dir() else {
        bunbase_e2e::skip(
            test,
            "the npm tooling is not installed; run `cargo xtask test`",
        );
        return;
    };
    let tsc5 = tooling.join("npm/node_modules/typescript-5/bin/tsc");
    if !tsc5.exists() {
        bunbase_e2e::skip(
            test,
            "typescript-5 is not installed; run `cargo xtask test`",
        );
        return;
    }
    let version = Command::new("node")
        .arg(&tsc5)
        .arg("--version")
        .output()
        .expect("run tsc 5");
    assert!(
        String::from_utf8_lossy(&version.stdout).contains("Version 5."),
        "typescript-5 is TypeScript 5"
    );
    let wanted = ["acme", "example_tasks"];
    let mut failures = Vec::new();
    for (name, ir) in examples()
        .into_iter()
        .chain(fixtures())
        .filter(|(n, _)| wanted.contains(&n.as_str()))
    {
        let tmp = tempfile::tempdir().expect("temp dir");
        write_sdk(&ir, tmp.path());
        let mut include = vec!["src"];
        if name == "acme" {
            std::fs::create_dir_all(tmp.path().join("test")).expect("create dir");
            std::fs::copy(
                repo_root().join("tests/sdk/usage.ts"),
                tmp.path().join("test/usage.ts"),
            )
            .expect("copy usage.ts");
            include.push("test");
        }
        let config = serde_json::json!({
            "extends": "./tsconfig.json",
            "compilerOptions": { "rootDir": ".", "noEmit": true },
            "include": include,
        });
        let path = tmp.path().join("tsconfig.ts5.json");
        std::fs::write(&path, config.to_string()).expect("write tsconfig");
        let out = Command::new("node")
            .arg(&tsc5)
            .arg("-p")
            .arg(&path)
            .output()
            .expect("run tsc 5");
        if !out.status.success() {
            failures.push(format!(
                "== {name}\n{}",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
    }
    assert_eq!(
        failures.len(),
        0,
        "TypeScript 5 rejected generated SDKs:\n{}",
        failures.join("\n")
    );
}
