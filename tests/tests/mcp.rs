//! MCP with the official TypeScript SDK: `tests/mcp/mcp.test.mjs` lists and calls the tools of a runtime server (`runtime-support/examples/mcp_server.rs`) over Streamable HTTP and over stdio, as anonymous and signed-in callers.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use bunbase_e2e::{repo_root, skip, tooling_dir};

/// Builds the example server (feature `mcp`) into the shared target dir
/// used for binaries built by tests, and returns its path.
fn build_server() -> PathBuf {
    let target = repo_root().join("target/generated-ws");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--quiet",
            "-p",
            "bunbase-runtime",
            "--features",
            "mcp",
            "--example",
            "mcp_server",
        ])
        .current_dir(repo_root())
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "building the MCP example server failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    target.join("debug/examples/mcp_server")
}

/// The server process, killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_typescript_sdk_lists_and_calls_tools_over_http_and_stdio() {
    let test = "the_typescript_sdk_lists_and_calls_tools_over_http_and_stdio";
    let Some(modules) = tooling_dir()
        .map(|d| d.join("npm/node_modules"))
        .filter(|m| m.join("@modelcontextprotocol/sdk").exists())
    else {
        skip(
            test,
            "@modelcontextprotocol/sdk is not installed; run `cargo xtask test`",
        );
        return;
    };
    if Command::new("node").arg("--version").output().is_err() {
        skip(test, "node is not installed");
        return;
    }
    let bin = build_server();
    let secret: String = (0..48)
        .map(|i| char::from(b'a' + ((i * 7 + std::process::id() as usize) % 26) as u8))
        .collect();
    // Shared by the HTTP server and the stdio servers node starts, so a
    // session signed and stored by one verifies in the others: the same
    // secret and the same database (sessions live in `bunbase_sessions`).
    let db_dir = tempfile::tempdir().expect("temp dir");
    let env = [
        (
            "DATABASE_URL",
            format!("sqlite://{}/mcp.db?mode=rwc", db_dir.path().display()),
        ),
        ("SESSION_SECRET", secret),
        ("SESSION_COOKIE_SECURE", "false".to_owned()),
        ("HOST", "127.0.0.1".to_owned()),
        ("PORT", "0".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ];
    let mut child = Command::new(&bin)
        .arg("serve")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the MCP example server");
    let stdout = child.stdout.take().expect("piped stdout");
    let server = Running(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("mcp_server listening on ") {
                let _ = tx.send(url.to_owned());
            }
        }
    });
    let base_url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server prints its address");

    let tmp = tempfile::tempdir().expect("temp dir");
    std::os::unix::fs::symlink(&modules, tmp.path().join("node_modules")).expect("link modules");
    let file = tmp.path().join("mcp.test.mjs");
    std::fs::copy(repo_root().join("tests/mcp/mcp.test.mjs"), &file).expect("copy the test");
    let out = Command::new("node")
        .arg("--test")
        .arg(&file)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("MCP_BASE_URL", &base_url)
        .env("MCP_SERVER_BIN", &bin)
        .output()
        .expect("run node --test");
    drop(server);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "node --test failed:\n{text}");
    eprintln!("{text}");
}
