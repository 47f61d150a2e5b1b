//! MCP against the generated example: `tests/mcp/example.test.mjs` uses the official TypeScript SDK to list and call the contract's tools on the real `tasks-server`, over Streamable HTTP at `/api/mcp` and over stdio (`tasks-server mcp`), anonymous (the guard refuses) and signed in.

#[allow(dead_code)]
#[path = "../src/server.rs"]
mod server;

use std::process::Command;

use bunbase_e2e::{repo_root, skip, tooling_dir};
use server::{Database, TestServer, server_binary};

#[test]
#[cfg_attr(
    any(bunbase_skip_npm, bunbase_skip_node),
    ignore = "needs node and the npm test tooling: run `cargo xtask test`"
)]
fn the_typescript_sdk_calls_the_example_tools_with_guards() {
    let test = "the_typescript_sdk_calls_the_example_tools_with_guards";
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
    let s = TestServer::start(Database::Sqlite);
    let tmp = tempfile::tempdir().expect("temp dir");
    std::os::unix::fs::symlink(&modules, tmp.path().join("node_modules")).expect("link modules");
    let file = tmp.path().join("example.test.mjs");
    std::fs::copy(repo_root().join("tests/mcp/example.test.mjs"), &file).expect("copy the test");
    let out = Command::new("node")
        .arg("--test")
        .arg(&file)
        .env("MCP_BASE_URL", &s.base_url)
        .env("MCP_SERVER_BIN", server_binary())
        // The stdio server shares the HTTP server's database and session
        // key, so a session signed in over HTTP is valid there too.
        .env("DATABASE_URL", &s.database_url)
        .env("SESSION_SECRET", server::SESSION_SECRET)
        .env("SESSION_COOKIE_SECURE", "false")
        .output()
        .expect("run node --test");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "node --test failed:\n{text}\nserver log:\n{}",
        s.logs()
    );
    // Every call went through the pipeline: runs of the action with trigger mcp.
    assert!(s.recorded_runs("tasks.list_tasks", 3) >= 3, "{}", s.logs());
    eprintln!("{text}");
}
