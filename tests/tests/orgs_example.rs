//! The example's organization actions over HTTP on SQLite and PostgreSQL: `in_org`, `has_feature` and `trial_active_or_paid` decided by real rows in the runtime's built-in organization, plan and subscription tables, and what the guards leave in the handler's context.

#[allow(dead_code)]
#[path = "../src/server.rs"]
mod server;

#[allow(unused_imports)]
use bunbase_e2e::repo_root;
use serde_json::json;
use server::{Database, HttpResponse, TestServer};

fn code(res: &HttpResponse) -> String {
    res.json()["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn register(s: &TestServer, email: &str) -> String {
    let res = s.send_json(
        "POST",
        "/api/auth/register",
        &json!({"email": email, "password": "correct horse", "name": email}),
        None,
    );
    assert_eq!(res.status, 201, "{}", res.body);
    res.cookie().expect("register signs in")
}

fn suite(db: Database) {
    let s = TestServer::start(db);
    let owner = register(&s, "owner@example.com");
    let outsider = register(&s, "outsider@example.com");

    let created = s.send_json("POST", "/api/orgs", &json!({"name": "Acme"}), Some(&owner));
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["role"], "owner");
    let id = created.json()["id"].as_str().expect("an id").to_owned();
    let report = format!("/api/orgs/{id}/report");
    let trial = format!("/api/orgs/{id}/trial");

    // No plan yet: the member passes `in_org`, and `has_feature` refuses.
    let res = s.request("GET", &report, None, &[("cookie", &owner)]);
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(code(&res), "forbidden");

    // Someone outside the organization is refused by `in_org`, before the
    // handler's own owner check could run.
    let res = s.send_json("POST", &trial, &json!({}), Some(&outsider));
    assert_eq!(res.status, 403, "{}", res.body);
    assert_eq!(code(&res), "forbidden");

    // The owner starts the trial: the `pro` plan, with `reports`.
    let res = s.send_json("POST", &trial, &json!({}), Some(&owner));
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["plan"], "pro");

    // Now every guard passes, and the handler sees the caller's role.
    let res = s.request("GET", &report, None, &[("cookie", &owner)]);
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(
        res.json(),
        json!({"org_id": id, "role": "owner", "members": 1})
    );

    // Still refused: the outsider, an organization that does not exist, and
    // a caller without a session.
    let res = s.request("GET", &report, None, &[("cookie", &outsider)]);
    assert_eq!(res.status, 403, "{}", res.body);
    let missing = "/api/orgs/0193c1d2-0000-7000-8000-000000000001/report";
    let res = s.request("GET", missing, None, &[("cookie", &owner)]);
    assert_eq!(res.status, 403, "{}", res.body);
    let res = s.request("GET", &report, None, &[]);
    assert_eq!(res.status, 401, "{}", res.body);
}

#[test]
fn org_guards_on_sqlite() {
    suite(Database::Sqlite);
}

#[test]
#[cfg_attr(
    bunbase_skip_postgres,
    ignore = "needs PostgreSQL: set BUNBASE_TEST_POSTGRES_URL (cargo xtask test does)"
)]
fn org_guards_on_postgres() {
    if let Some(url) = bunbase_e2e::postgres_url("org_guards_on_postgres") {
        suite(Database::Postgres(url));
    }
}
