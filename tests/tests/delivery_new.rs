//! `bunbase new` end to end: the new project builds with no setup, serves on SQLite, answers its health endpoint, and its first action answers the typed 501 of an unimplemented handler.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bunbase_e2e::repo_root;

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// The shared target dir for generated workspaces.
fn target_dir() -> PathBuf {
    repo_root().join("target/generated-ws")
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds the `bunbase` binary (in the shared target dir, so this does not
/// wait on the test run's own build lock) and returns its path.
fn bunbase_bin() -> PathBuf {
    run(
        cargo()
            .current_dir(repo_root())
            .args(["build", "-q", "-p", "bunbase", "--bin", "bunbase"])
            .env("CARGO_TARGET_DIR", target_dir()),
        "building bunbase",
    );
    target_dir()
        .join("debug")
        .join(format!("bunbase{}", std::env::consts::EXE_SUFFIX))
}

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 GET; returns the status code and body.
fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_new_project_builds_and_serves_on_sqlite() {
    let bin = bunbase_bin();
    let tmp = tempfile::tempdir().unwrap();
    run(
        Command::new(&bin)
            .current_dir(tmp.path())
            .args(["new", "starter-app"])
            .env_remove("BUNBASE_RUNTIME_PATH"),
        "bunbase new starter-app",
    );
    let root = tmp.path().join("starter-app");
    // Resolve the same dependency versions as this repository, so the shared
    // target dir's compiled dependencies are reused.
    std::fs::copy(repo_root().join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
    run(
        cargo()
            .current_dir(&root)
            .args(["build", "-q", "-p", "starter-app-server"])
            .env("CARGO_TARGET_DIR", target_dir()),
        "cargo build of the new project",
    );

    let port = free_port();
    let server = target_dir().join("debug").join(format!(
        "starter-app-server{}",
        std::env::consts::EXE_SUFFIX
    ));
    let child = Command::new(&server)
        .current_dir(&root)
        .arg("serve")
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let _server = Server(child);

    let deadline = Instant::now() + Duration::from_secs(60);
    let health = loop {
        match get(port, "/healthz") {
            Ok(answer) => break answer,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => panic!("the new project's server never answered /healthz: {e}"),
        }
    };
    assert_eq!(health.0, 200, "{}", health.1);
    assert!(
        Path::new(&root).join("data").is_dir(),
        "the SQLite database folder was not created"
    );

    // The first action exists and answers the typed 501 of a stub handler.
    let (status, body) = get(port, "/api/hello?name=ada").unwrap();
    assert_eq!(status, 501, "{body}");
    assert!(body.contains("\"not_implemented\""), "{body}");
}
