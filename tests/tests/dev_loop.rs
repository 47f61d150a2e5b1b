//! `bunbase dev` end to end, each step observed over HTTP: it starts the server; a contract edit is regenerated, rebuilt and served; a handler edit is rebuilt and served; a compile error keeps the last good server answering and shows the compiler's error; fixing it serves the fix.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bunbase_e2e::{bunbase_bin, generated_target_dir, repo_root};

const MODULE: &str = r#"module: items
prefix: /items
actions:
  create_item:
    input:
      name: { type: string, max_len: 50 }
    output: { id: string }
    triggers:
      - api: { method: POST, path: /, status: 201 }
"#;

/// The `bunbase dev` process group, killed (server included) when the test
/// ends, pass or fail.
struct Dev {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

impl Dev {
    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log holds `count` status lines of finished cycles.
    fn wait_cycles(&self, count: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(900);
        loop {
            let log = self.log();
            if log.matches("bunbase dev: [").count() >= count {
                return log;
            }
            assert!(Instant::now() < deadline, "no cycle {count} in:\n{log}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One JSON POST; the status and body, or `None` while nothing listens.
fn post(port: u16, path: &str, body: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let status = raw.get(9..12)?.parse().ok()?;
    Some((status, raw.split_once("\r\n\r\n")?.1.to_owned()))
}

/// Polls until `POST /api/items` with `body` answers `status` with a body
/// containing `needle` (the server restarts in between).
fn until(dev: &Dev, port: u16, body: &str, status: u16, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        if let Some((s, b)) = post(port, "/api/items", body)
            && s == status
            && b.contains(needle)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no {status} with {needle:?} for {body}; log:\n{}",
            dev.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(
        text.contains(from),
        "{from:?} not in {}:\n{text}",
        path.display()
    );
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn dev_regenerates_rebuilds_and_restarts_and_survives_a_compile_error() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    std::fs::create_dir_all(root.join("contracts")).unwrap();
    std::fs::write(
        root.join("contracts/bunbase.yaml"),
        "project: stock\nversion: 0.1.0\ntitle: Stock API\napi:\n  base_path: /api\n",
    )
    .unwrap();
    std::fs::write(root.join("contracts/items.yaml"), MODULE).unwrap();
    // The example's pinned versions, so the shared target dir's compiled
    // dependencies are reused.
    std::fs::create_dir_all(root.join("app")).unwrap();
    std::fs::copy(
        repo_root().join("generated-example/Cargo.lock"),
        root.join("app/Cargo.lock"),
    )
    .unwrap();

    let port = free_port();
    let mut cmd = Command::new(bunbase_bin());
    cmd.current_dir(root)
        .args(["dev", "contracts", "--out", "app"])
        .env("CARGO_TARGET_DIR", generated_target_dir())
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/data/stock.db?mode=rwc", root.display()),
        )
        .env(
            "SESSION_SECRET",
            "a-test-secret-that-is-long-enough-0123456789",
        )
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().expect("bunbase dev starts");
    let log = Arc::new(Mutex::new(String::new()));
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let mut l = log.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
    }
    let dev = Dev { child, log };

    // Start: the stub answers 501; a 60-character name is valid.
    let long = r#"{"name":"abcdefghij"}"#;
    until(&dev, port, long, 501, "not_implemented");
    assert!(
        dev.log()
            .contains("bunbase dev: [1] start: regenerated, built in"),
        "{}",
        dev.log()
    );

    // A contract edit: the name's limit drops to 5, so the same body is now
    // refused by validation.
    edit(
        &root.join("contracts/items.yaml"),
        "max_len: 50",
        "max_len: 5",
    );
    until(&dev, port, long, 400, "validation_failed");
    let log = dev.wait_cycles(2);
    assert!(
        log.contains("bunbase dev: [2] contracts changed: regenerated, built in"),
        "{log}"
    );

    // A handler edit: the action answers.
    let handler = root.join("app/crates/stock-server/src/items.rs");
    edit(
        &handler,
        "Err(CreateItemError::NotImplemented)",
        "Ok(CreateItemOutput { id: format!(\"item-{}\", input.name) })",
    );
    until(&dev, port, r#"{"name":"ab"}"#, 201, r#""id":"item-ab""#);

    // A compile error: the build fails, the compiler's error is shown, and
    // the last good server keeps answering.
    let cycles = dev.log().matches("bunbase dev: [").count();
    edit(&handler, "format!(\"item-{}\", input.name)", "42");
    let log = dev.wait_cycles(cycles + 1);
    assert!(
        log.contains("code changed: build failed: error[E0308]: mismatched types"),
        "{log}"
    );
    assert!(log.contains("still serving build"), "{log}");
    assert!(
        log.contains("expected `String`, found integer"),
        "the compiler's error:\n{log}"
    );
    let (status, body) = post(port, "/api/items", r#"{"name":"ab"}"#).expect("the server answers");
    assert_eq!((status, body.contains("item-ab")), (201, true), "{body}");

    // The fix is built and served.
    edit(&handler, "42", "format!(\"fixed-{}\", input.name)");
    until(&dev, port, r#"{"name":"ab"}"#, 201, r#""id":"fixed-ab""#);
    eprintln!("{}", dev.log());
}
