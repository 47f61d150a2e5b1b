//! The generated example's identity, as a security reviewer would check it over HTTP on SQLite and PostgreSQL: e-mail addresses compared case-insensitively, logout revokes the session, login rate-limited, log lines that user input cannot forge, and the demo user only in development with its password never printed.

#[allow(dead_code)]
#[path = "../src/server.rs"]
mod server;

#[allow(unused_imports)]
use bunbase_e2e::repo_root;
use serde_json::json;
use server::{Database, TestServer};

fn suite(db: Database) {
    let s = TestServer::start(db);

    // E-mail addresses are one account whatever their case.
    let reg = s.send_json(
        "POST",
        "/api/auth/register",
        &json!({"email": "Case.Person@Example.com", "password": "correct horse", "name": "Case"}),
        None,
    );
    assert_eq!(reg.status, 201, "{}", reg.body);
    assert_eq!(reg.json()["email"], "case.person@example.com");
    let dup = s.send_json(
        "POST",
        "/api/auth/register",
        &json!({"email": "case.person@example.com", "password": "another one", "name": "Twin"}),
        None,
    );
    assert_eq!(dup.status, 409, "{}", dup.body);
    assert_eq!(dup.json()["error"]["code"], "email_taken");
    let login = s.send_json(
        "POST",
        "/api/auth/login",
        &json!({"email": "CASE.PERSON@example.COM", "password": "correct horse"}),
        None,
    );
    assert_eq!(login.status, 200, "{}", login.body);
    let cookie = login.cookie().expect("login sets the cookie");

    // A title with a newline cannot write a log line of its own.
    let forged = "harmless\n2026-12-06T00:00:00.000000Z ERROR forged: admin password reset";
    let created = s.send_json(
        "POST",
        "/api/tasks",
        &json!({"title": forged}),
        Some(&cookie),
    );
    assert_eq!(created.status, 201, "{}", created.body);

    // Logout revokes the session: the old cookie answers 401 at once.
    let me = s.request("GET", "/api/auth/me", None, &[("cookie", &cookie)]);
    assert_eq!(me.status, 200);
    let out = s.request("POST", "/api/auth/logout", None, &[("cookie", &cookie)]);
    assert_eq!(out.status, 204, "{}", out.body);
    let me = s.request("GET", "/api/auth/me", None, &[("cookie", &cookie)]);
    assert_eq!(me.status, 401, "a logged-out cookie is no session");
    let list = s.request("GET", "/api/tasks", None, &[("cookie", &cookie)]);
    assert_eq!(list.status, 401);
    // The action endpoint runs the same guards.
    let rpc = s.send_json(
        "POST",
        "/api/v1/actions/tasks.list_tasks",
        &json!({}),
        Some(&cookie),
    );
    assert_eq!(rpc.status, 401, "{}", rpc.body);
    // A cross-origin form post with a live session cookie is refused.
    let fresh = s
        .send_json(
            "POST",
            "/api/auth/login",
            &json!({"email": "case.person@example.com", "password": "correct horse"}),
            None,
        )
        .cookie()
        .expect("signed in again");
    let csrf = s.request(
        "POST",
        "/api/tasks",
        Some("title=pwned"),
        &[
            ("cookie", &fresh),
            ("origin", "https://evil.example"),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
    );
    assert_eq!(csrf.status, 403, "{}", csrf.body);
    assert_eq!(csrf.json()["error"]["code"], "csrf_rejected");
    let same = s.send_json(
        "POST",
        "/api/v1/actions/tasks.list_tasks",
        &json!({}),
        Some(&fresh),
    );
    assert_eq!(same.status, 200, "{}", same.body);

    // Login is rate-limited per client address: 20 a minute (two used
    // above). The guard runs before the input is checked, so attempts with
    // no password count too, and they answer at once (no argon2 work):
    // the attempts stay well inside one minute. When they straddle the
    // minute's boundary the earlier minute counts by its overlap, so a few
    // more may pass; never 40.
    let wrong = json!({"email": "case.person@example.com"});
    let mut statuses = Vec::new();
    while statuses.last() != Some(&429) && statuses.len() < 40 {
        statuses.push(s.send_json("POST", "/api/auth/login", &wrong, None).status);
    }
    let refused = statuses.iter().filter(|&&st| st == 400).count();
    assert!(
        (17..=30).contains(&refused) && statuses.last() == Some(&429),
        "{statuses:?}"
    );
    let limited = s.send_json("POST", "/api/auth/login", &wrong, None);
    assert_eq!(limited.status, 429);
    assert!(limited.header("retry-after").is_some());
    assert_eq!(limited.json()["error"]["code"], "rate_limited");

    // The server's output: the forged line is escaped inside the real one,
    // and the demo password never appears.
    let logs = s.logs();
    assert!(
        !logs
            .lines()
            .any(|l| l.starts_with("2026-12-06T00:00:00.000000Z ERROR forged")),
        "a forged line:\n{logs}"
    );
    assert!(logs.contains(r"title=harmless\n2026-12-06"), "{logs}");
    assert!(!logs.contains("demo-password"), "{logs}");
    assert!(
        logs.contains("Demo user: demo@example.com"),
        "development seeds it"
    );
}

#[test]
fn identity_example_on_sqlite() {
    suite(Database::Sqlite);
}

#[test]
fn identity_example_on_postgres() {
    let Some(url) = bunbase_e2e::postgres_url("identity_example_on_postgres") else {
        return;
    };
    suite(Database::Postgres(url));
}

#[test]
fn no_demo_user_in_production() {
    // A secret and Secure cookies: production settings.
    let s = TestServer::start_with(Database::Sqlite, &[("SESSION_COOKIE_SECURE", "true")]);
    let login = s.send_json(
        "POST",
        "/api/auth/login",
        &json!({"email": "demo@example.com", "password": "demo-password"}),
        None,
    );
    assert_eq!(login.status, 401, "{}", login.body);
    assert!(!s.logs().contains("Demo user"), "{}", s.logs());
}
