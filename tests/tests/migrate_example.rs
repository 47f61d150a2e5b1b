//! The example server's `migrate` and `migrate status` on SQLite and PostgreSQL: the embedded migrations of `contracts-examples/tasks/migrations/<dialect>/` are pending, then applied.

#[path = "../src/scratch_db.rs"]
mod scratch_db;
#[path = "../src/server.rs"]
#[allow(dead_code)]
mod server;

use std::process::Command;

#[allow(unused_imports)]
use bunbase_e2e::repo_root;
use scratch_db::ScratchPostgres;
use server::server_binary;

fn run(url: &str, args: &[&str]) -> String {
    let out = Command::new(server_binary())
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the server runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{args:?} failed:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn suite(url: &str) {
    let before = run(url, &["migrate", "status"]);
    assert!(before.contains("pending  1 init"), "{before}");
    assert!(before.contains("pending  2 reminders"), "{before}");
    run(url, &["migrate"]);
    let after = run(url, &["migrate", "status"]);
    assert!(after.contains("applied  1 init"), "{after}");
    assert!(after.contains("applied  2 reminders"), "{after}");
    let bad = Command::new(server_binary())
        .args(["migrate", "sideways"])
        .env("DATABASE_URL", url)
        .output()
        .expect("the server runs");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn migrate_status_on_sqlite() {
    let dir = tempfile::tempdir().expect("a temp dir");
    suite(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("m.db").display()
    ));
}

#[test]
#[cfg_attr(
    bunbase_skip_postgres,
    ignore = "needs PostgreSQL: set BUNBASE_TEST_POSTGRES_URL (.ci/run does)"
)]
fn migrate_status_on_postgres() {
    let Some(admin) = bunbase_e2e::postgres_url("migrate_status_on_postgres") else {
        return;
    };
    let db = ScratchPostgres::create(&admin, &format!("bunbase_migrate_{}", std::process::id()));
    suite(&db.url);
}
