//! The generated example's inbound webhook (`inbox.receive_email`, hmac-sha256 with `sha256=` hex in `X-Signature`), served by the real server: signed deliveries run the action, bad ones answer 401 in the envelope and are recorded as runs, replays run nothing, rotated secrets verify, and a missing secret stops the server at start.

use std::process::Command;
use std::time::Duration;

#[allow(dead_code)]
#[path = "../src/server.rs"]
mod server;

#[allow(unused_imports)]
use bunbase_e2e::repo_root;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use server::{
    Database, HttpResponse, INBOUND_EMAIL_SECRET, INBOUND_EMAIL_SECRET_ENV, TestServer,
    server_binary,
};

const HOOK: &str = "/api/webhooks/inbound-email";

/// `sha256=<hex HMAC-SHA256(secret, body)>`, as the mail provider signs.
fn sign(secret: &str, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

fn deliver(s: &TestServer, body: &str, signature: Option<&str>) -> HttpResponse {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(sig) = signature {
        headers.push(("x-signature", sig));
    }
    s.request("POST", HOOK, Some(body), &headers)
}

/// The demo user's session cookie.
fn demo_login(s: &TestServer) -> String {
    let res = s.send_json(
        "POST",
        "/api/auth/login",
        &json!({ "email": "demo@example.com", "password": "demo-password" }),
        None,
    );
    assert_eq!(res.status, 200, "{}", res.body);
    res.cookie().expect("a session cookie")
}

/// The 401 envelope's `details.reason`.
fn refused(res: &HttpResponse) -> String {
    assert_eq!(res.status, 401, "{}", res.body);
    let body = res.json();
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    assert!(
        body["error"]["trace_id"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    body["error"]["details"]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn signed_deliveries_run_the_action_and_bad_ones_are_refused() {
    deliveries(Database::Sqlite);
}

#[test]
#[cfg_attr(
    bunbase_skip_postgres,
    ignore = "needs PostgreSQL: set BUNBASE_TEST_POSTGRES_URL (.ci/run does)"
)]
fn signed_deliveries_on_postgres() {
    let Some(url) = bunbase_e2e::postgres_url("signed_deliveries_on_postgres") else {
        return;
    };
    deliveries(Database::Postgres(url));
}

/// One suite of deliveries against a fresh server on `db` (the delivery
/// ids live in the server's database).
fn deliveries(db: Database) {
    let s = TestServer::start(db);
    let cookie = demo_login(&s);
    let body = json!({
        "from": "Demo@Example.com",
        "subject": "Renew the domain",
        "text": "Before Friday.",
    })
    .to_string();

    // A correctly signed delivery runs the action: the task exists, owned by
    // the sender's account.
    let res = deliver(&s, &body, Some(&sign(INBOUND_EMAIL_SECRET, &body)));
    assert_eq!(res.status, 200, "{}", res.body);
    let task_id = res.json()["task_id"]
        .as_str()
        .expect("a task id")
        .to_owned();
    let task = s.request(
        "GET",
        &format!("/api/tasks/{task_id}"),
        None,
        &[("cookie", &cookie)],
    );
    assert_eq!(task.status, 200, "{}", task.body);
    assert_eq!(task.json()["title"], "Renew the domain");
    assert_eq!(task.json()["description"], "Before Friday.");

    // The same delivery again (a provider's retry) runs nothing.
    let again = deliver(&s, &body, Some(&sign(INBOUND_EMAIL_SECRET, &body)));
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["duplicate"], true, "{}", again.body);
    let list = s.request("GET", "/api/tasks", None, &[("cookie", &cookie)]);
    let titles: Vec<Value> = list.json()["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["title"].clone())
        .collect();
    assert_eq!(titles, vec![json!("Renew the domain")], "one task, not two");

    // Wrong secret, tampered body, missing and malformed headers: 401 with
    // the reason, and nothing runs.
    let other = json!({ "from": "demo@example.com", "subject": "Forged" }).to_string();
    assert_eq!(
        refused(&deliver(&s, &other, Some(&sign("not-the-secret", &other)))),
        "signature_mismatch"
    );
    assert_eq!(
        refused(&deliver(
            &s,
            &other,
            Some(&sign(INBOUND_EMAIL_SECRET, &body))
        )),
        "signature_mismatch"
    );
    assert_eq!(refused(&deliver(&s, &other, None)), "missing_header");
    let unprefixed = sign(INBOUND_EMAIL_SECRET, &other).replace("sha256=", "");
    assert_eq!(
        refused(&deliver(&s, &other, Some(&unprefixed))),
        "malformed_header"
    );
    let list = s.request("GET", "/api/tasks", None, &[("cookie", &cookie)]);
    assert_eq!(list.json()["tasks"].as_array().map(Vec::len), Some(1));

    // A signed delivery the contract refuses answers its declared error.
    let stranger = json!({ "from": "nobody@example.com", "subject": "Hi" }).to_string();
    let res = deliver(&s, &stranger, Some(&sign(INBOUND_EMAIL_SECRET, &stranger)));
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(res.json()["error"]["code"], "unknown_sender");

    // Every delivery is a run of the action: 1 accepted, 4 refused, 1
    // declared error (the duplicate runs nothing and records nothing).
    assert!(
        s.recorded_runs("inbox.receive_email", 6) >= 6,
        "{}",
        s.logs()
    );
}

#[test]
fn a_rotated_secret_verifies_under_either_value_and_big_bodies_are_refused() {
    let secrets = format!("new-inbound-secret,{INBOUND_EMAIL_SECRET}");
    let s = TestServer::start_with(
        Database::Sqlite,
        &[
            (INBOUND_EMAIL_SECRET_ENV, &secrets),
            ("BODY_LIMIT_BYTES", "4096"),
        ],
    );
    for (i, secret) in ["new-inbound-secret", INBOUND_EMAIL_SECRET]
        .iter()
        .enumerate()
    {
        let body =
            json!({ "from": "demo@example.com", "subject": format!("Rotated {i}") }).to_string();
        let res = deliver(&s, &body, Some(&sign(secret, &body)));
        assert_eq!(res.status, 200, "secret {i}: {}", res.body);
    }
    let body = json!({ "from": "demo@example.com", "subject": "Retired" }).to_string();
    assert_eq!(
        refused(&deliver(&s, &body, Some(&sign("retired-secret", &body)))),
        "signature_mismatch"
    );

    // A body over the limit is refused before it is verified or parsed.
    let big = json!({ "from": "demo@example.com", "subject": "Big", "text": "x".repeat(5000) })
        .to_string();
    let res = deliver(&s, &big, Some(&sign(INBOUND_EMAIL_SECRET, &big)));
    assert_eq!(res.status, 413, "{}", res.body);
    assert_eq!(res.json()["error"]["code"], "payload_too_large");
}

#[test]
fn the_server_refuses_to_start_without_the_webhook_secret() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(server_binary())
        .arg("serve")
        .current_dir(dir.path())
        .env_remove(INBOUND_EMAIL_SECRET_ENV)
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/t.db?mode=rwc", dir.path().display()),
        )
        .env("SESSION_COOKIE_SECURE", "false")
        .env("DEMO_USER", "false")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the server");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("poll").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started without its webhook secret");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().expect("output");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: webhook /api/webhooks/inbound-email has no secret: set the environment variable TASKS_INBOUND_EMAIL_SECRET"),
        "{stderr}"
    );
}
