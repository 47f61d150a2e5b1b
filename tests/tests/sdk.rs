//! The generated TypeScript SDK compiles under `tsc --strict` (plus exact optional types and unchecked index access), and the usage file's narrowing and `@ts-expect-error` lines hold.

use std::path::{Path, PathBuf};
use std::process::Command;

use bunbase::emit::{GenOptions, RuntimeSource, header, ts};
use bunbase::ir::Ir;
use bunbase_e2e::{npm_bin, repo_root, tooling_dir};

fn opts() -> GenOptions {
    GenOptions {
        runtime: RuntimeSource::Path("../runtime-support".into()),
        contracts_label: "contracts".into(),
    }
}

/// The IR fixtures in `tests/sdk/ir/`, by file stem.
fn fixtures() -> Vec<(String, Ir)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo_root().join("tests/sdk/ir")).expect("tests/sdk/ir exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let ir = serde_json::from_str(&std::fs::read_to_string(&path).expect("readable"))
                .expect("valid IR fixture");
            out.push((
                path.file_stem()
                    .expect("stem")
                    .to_string_lossy()
                    .into_owned(),
                ir,
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
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
fn sdk_of_every_fixture_type_checks_strictly() {
    let Some(tsc_bin) = npm_bin("tsc", "sdk_of_every_fixture_type_checks_strictly") else {
        return;
    };
    let mut failures = Vec::new();
    for (name, ir) in fixtures() {
        let tmp = tempfile::tempdir().expect("temp dir");
        write_sdk(&ir, tmp.path());
        if let Err(e) = tsc(&tsc_bin, &tmp.path().join("tsconfig.json")) {
            failures.push(format!(
                "== {name} (the SDK's own tsconfig: nodenext, strict, exact optional types)\n{e}"
            ));
        }
        // What an app bundled by Vite or webpack sees: bundler resolution,
        // strict but without exact optional property types.
        let bundler = serde_json::json!({
            "extends": "./tsconfig.json",
            "compilerOptions": {
                "module": "esnext",
                "moduleResolution": "bundler",
                "exactOptionalPropertyTypes": false,
                "noUncheckedIndexedAccess": false,
            },
        });
        let path = tmp.path().join("tsconfig.bundler.json");
        std::fs::write(&path, bundler.to_string()).expect("write tsconfig");
        if let Err(e) = tsc(&tsc_bin, &path) {
            failures.push(format!(
                "== {name} (bundler resolution, no exact optional types)\n{e}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "tsc rejected generated SDKs:\n{}",
        failures.join("\n")
    );
}

/// Compiles `tests/sdk/usage.ts` against the `acme` fixture's SDK: its
/// narrowing compiles and each `@ts-expect-error` still marks an error.
#[test]
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
