//! The `sdk` benchmark: bytes the TypeScript SDK adds to an app, minified and gzipped with the pinned esbuild (target: runtime under 3 kB).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use bunbase::emit::{GenOptions, RuntimeSource, ts};

use crate::project_root;

/// The budget for the runtime, minified and gzipped.
const RUNTIME_BUDGET: usize = 3 * 1024;

/// Runs the benchmark and prints its figures.
pub fn run() -> anyhow::Result<()> {
    let root = project_root();
    let esbuild = root.join(".tooling/npm/node_modules/.bin/esbuild");
    if !esbuild.exists() {
        bail!("esbuild is not installed in .tooling/npm: run `cargo xtask test --no-run` first");
    }
    let tmp = root.join("target/bench-sdk");
    std::fs::create_dir_all(&tmp)?;

    // The runtime alone, every export kept.
    let runtime = tmp.join("runtime.ts");
    std::fs::write(&runtime, ts::RUNTIME_TS)?;
    let rt = measure(&esbuild, &runtime)?;
    let verdict = if rt.1 <= RUNTIME_BUDGET {
        "within"
    } else {
        "OVER"
    };
    println!(
        "sdk runtime: {} B minified, {} B gzipped ({verdict} the {RUNTIME_BUDGET} B budget)",
        rt.0, rt.1
    );

    // What an app pays: createClient plus one call, for the acme fixture's SDK.
    let ir = compile_fixture(&root.join("tests/sdk/contracts/acme"))?;
    let sdk = tmp.join("acme");
    let opts = GenOptions {
        runtime: RuntimeSource::Path("../runtime-support".into()),
        contracts_label: "contracts".into(),
    };
    for f in ts::emit(&ir, &opts) {
        let path = sdk.join(f.path.trim_start_matches("sdk/typescript/"));
        std::fs::create_dir_all(path.parent().context("SDK file has a parent")?)?;
        std::fs::write(path, f.contents)?;
    }
    let app = sdk.join("app.ts");
    std::fs::write(
        &app,
        "import { createClient } from \"./src/index.js\";\n\
         const api = createClient({ baseUrl: \"https://example.com\" });\n\
         export const run = () => api.tasks.getTask({ id: \"1\" });\n",
    )?;
    let whole = measure(&esbuild, &app)?;
    let actions = ir.actions().filter(|a| !a.triggers.http.is_empty()).count();
    println!(
        "sdk app bundle (createClient + 1 call, acme fixture, {actions} HTTP actions): {} B minified, {} B gzipped",
        whole.0, whole.1
    );
    if rt.1 > RUNTIME_BUDGET {
        bail!(
            "the SDK runtime is {} B gzipped, over its {RUNTIME_BUDGET} B budget",
            rt.1
        );
    }
    Ok(())
}

/// The IR of a contract fixture folder.
fn compile_fixture(dir: &Path) -> anyhow::Result<bunbase::ir::Ir> {
    let sources =
        bunbase::load::from_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    match bunbase::compile(&sources) {
        Ok(c) => Ok(c.ir),
        Err(d) => bail!(
            "{} does not check:\n{}",
            dir.display(),
            bunbase::diag::render(&d, &sources, false)
        ),
    }
}

/// Bundles and minifies `entry` with esbuild; returns (minified, gzipped) sizes.
fn measure(esbuild: &Path, entry: &Path) -> anyhow::Result<(usize, usize)> {
    let out = Command::new(esbuild)
        .arg(entry)
        .args([
            "--bundle",
            "--minify",
            "--format=esm",
            "--platform=neutral",
            "--log-level=error",
        ])
        .output()
        .context("running esbuild")?;
    if !out.status.success() {
        bail!("esbuild failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let min = out.stdout;
    let mut gzip = Command::new("gzip")
        .args(["-9", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("running gzip")?;
    gzip.stdin.take().context("gzip stdin")?.write_all(&min)?;
    let gz = gzip.wait_with_output()?;
    if !gz.status.success() {
        bail!("gzip failed");
    }
    Ok((min.len(), gz.stdout.len()))
}
