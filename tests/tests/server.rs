//! End-to-end tests of the generated-example server over HTTP: the same suite on SQLite and, when `BUNBASE_TEST_POSTGRES_URL` is set, on PostgreSQL.

#[allow(dead_code)]
#[path = "../src/server.rs"]
mod server;

#[allow(unused_imports)]
use bunbase_e2e::repo_root;
use serde_json::{Value, json};
use server::{Database, HttpResponse, TestServer};

/// Asserts the error envelope's shape and code, and returns its `error` object.
fn envelope(res: &HttpResponse, status: u16, code: &str) -> Value {
    assert_eq!(res.status, status, "unexpected status; body: {}", res.body);
    let body = res.json();
    let err = body
        .get("error")
        .unwrap_or_else(|| panic!("no error envelope: {body}"))
        .clone();
    assert_eq!(err["code"], code, "{body}");
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let trace = err["trace_id"].as_str().unwrap_or_default();
    assert!(!trace.is_empty(), "{body}");
    assert_eq!(
        res.header("x-request-id"),
        Some(trace),
        "the trace id is echoed"
    );
    assert!(err.get("details").is_some(), "{body}");
    err
}

fn suite(db: Database) {
    let s = TestServer::start_with(db, &[("BODY_LIMIT_BYTES", "65536")]);

    // Health is public and counts rows.
    let health = s.get("/api/health");
    assert_eq!(health.status, 200, "{}", health.body);
    assert_eq!(health.json()["tasks"], 0);
    assert!(
        health.json()["users"].as_i64().is_some_and(|n| n >= 1),
        "the demo user is seeded"
    );

    // 401 without a session, before any validation.
    let res = s.send_json("POST", "/api/tasks", &json!({"title": ""}), None);
    envelope(&res, 401, "unauthorized");

    // Register, then log in (wrong password first).
    let email = "ada@example.com";
    let reg = s.send_json(
        "POST",
        "/api/auth/register",
        &json!({"email": email, "password": "correct horse", "name": "Ada"}),
        None,
    );
    assert_eq!(reg.status, 201, "{}", reg.body);
    assert!(
        reg.cookie()
            .is_some_and(|c| c.starts_with("bunbase_session=")),
        "register signs in"
    );
    let dup = s.send_json(
        "POST",
        "/api/auth/register",
        &json!({"email": email, "password": "another one", "name": "Ada"}),
        None,
    );
    let err = envelope(&dup, 409, "email_taken");
    assert_eq!(err["message"], "An account with this email already exists");
    let bad = s.send_json(
        "POST",
        "/api/auth/login",
        &json!({"email": email, "password": "wrong"}),
        None,
    );
    envelope(&bad, 401, "invalid_credentials");
    let login = s.send_json(
        "POST",
        "/api/auth/login",
        &json!({"email": email, "password": "correct horse"}),
        None,
    );
    assert_eq!(login.status, 200, "{}", login.body);
    let cookie = login.cookie().expect("login sets the session cookie");
    let c = Some(cookie.as_str());
    let me = s.request("GET", "/api/auth/me", None, &[("cookie", &cookie)]);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["email"], email);
    assert_eq!(
        me.json(),
        reg.json(),
        "what register answers is what a later read returns (times at the stored precision)"
    );

    // Create: defaults filled, optional fields answered as null.
    let created = s.send_json(
        "POST",
        "/api/tasks",
        &json!({"title": "Write the release notes", "tags": ["docs"]}),
        c,
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let task = created.json();
    assert_eq!(task["status"], "open");
    assert_eq!(task["tags"], json!(["docs"]));
    assert_eq!(task["description"], Value::Null);
    assert_eq!(task["due_at"], Value::Null);
    assert_eq!(task["owner_id"], me.json()["id"]);
    let id = task["id"].as_str().expect("an id").to_owned();

    // Read it back by the REST route and by the action endpoint.
    let got = s.request(
        "GET",
        &format!("/api/tasks/{id}"),
        None,
        &[("cookie", &cookie)],
    );
    assert_eq!(got.status, 200, "{}", got.body);
    assert_eq!(got.json(), task);
    let via_action = s.send_json(
        "POST",
        "/api/v1/actions/tasks.get_task",
        &json!({"id": id}),
        c,
    );
    assert_eq!(via_action.status, 200, "{}", via_action.body);
    assert_eq!(
        via_action.json(),
        got.json(),
        "the action endpoint matches the REST route"
    );

    // Update, list with filters and paging.
    let upd = s.send_json(
        "PATCH",
        &format!("/api/tasks/{id}"),
        &json!({"status": "done", "title": "Release notes"}),
        c,
    );
    assert_eq!(upd.status, 200, "{}", upd.body);
    assert_eq!(upd.json()["status"], "done");
    assert_eq!(upd.json()["title"], "Release notes");
    assert_eq!(
        upd.json()["tags"],
        json!(["docs"]),
        "absent fields are unchanged"
    );
    let second = s.send_json(
        "POST",
        "/api/tasks",
        &json!({"title": "Second", "status": "in_progress"}),
        c,
    );
    assert_eq!(second.status, 201, "{}", second.body);
    let page = s
        .request("GET", "/api/tasks?limit=1", None, &[("cookie", &cookie)])
        .json();
    assert_eq!(page["tasks"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["tasks"][0]["title"], "Second", "newest first");
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let next = s.request(
        "GET",
        &format!(
            "/api/tasks?limit=1&cursor={}",
            cursor.replace(':', "%3A").replace('+', "%2B")
        ),
        None,
        &[("cookie", &cookie)],
    );
    assert_eq!(next.status, 200, "{}", next.body);
    assert_eq!(next.json()["tasks"][0]["id"], id.as_str());
    assert_eq!(next.json()["next_cursor"], Value::Null);
    let done = s
        .request(
            "GET",
            "/api/tasks?status=done&tag=docs",
            None,
            &[("cookie", &cookie)],
        )
        .json();
    assert_eq!(done["tasks"].as_array().map(Vec::len), Some(1), "{done}");

    // 400 lists every violation with its JSON pointer.
    let invalid = s.send_json(
        "POST",
        "/api/tasks",
        &json!({"title": "", "tags": ["a", "a"], "status": "later", "bogus": 1}),
        c,
    );
    let err = envelope(&invalid, 400, "validation_failed");
    assert_eq!(
        violations(&err),
        [
            ("/bogus", "unknown_field"),
            ("/status", "invalid_value"),
            ("/tags", "unique"),
            ("/title", "min_len"),
        ]
    );
    // Array indexes and escaped keys (RFC 6901) in the pointers.
    let invalid = s.send_json(
        "POST",
        "/api/tasks",
        &json!({"title": "ok", "tags": ["a", 5], "a/b~c": 1}),
        c,
    );
    let err = envelope(&invalid, 400, "validation_failed");
    assert_eq!(
        violations(&err),
        [("/a~1b~0c", "unknown_field"), ("/tags/1", "invalid_type")]
    );
    let query = s.request(
        "GET",
        "/api/tasks?limit=0&extra=1",
        None,
        &[("cookie", &cookie)],
    );
    let err = envelope(&query, 400, "validation_failed");
    assert_eq!(
        err["details"]["violations"].as_array().map(Vec::len),
        Some(2),
        "{err}"
    );
    let wrong_type = s.send_json("POST", "/api/tasks", &json!({"title": 5}), c);
    let err = envelope(&wrong_type, 400, "validation_failed");
    assert_eq!(err["details"]["violations"][0]["path"], "/title");
    assert_eq!(err["details"]["violations"][0]["code"], "invalid_type");
    let bad_id = s.request("GET", "/api/tasks/not-a-uuid", None, &[("cookie", &cookie)]);
    envelope(&bad_id, 400, "validation_failed");

    // Declared errors with their status and message.
    let missing = s.request(
        "GET",
        "/api/tasks/00000000-0000-4000-8000-000000000000",
        None,
        &[("cookie", &cookie)],
    );
    assert_eq!(
        envelope(&missing, 404, "not_found")["message"],
        "No task with this id"
    );

    // Framework failures answer the same envelope.
    envelope(&s.get("/api/nope"), 404, "not_found");
    envelope(
        &s.request("PUT", "/api/tasks", None, &[]),
        405,
        "method_not_allowed",
    );
    let malformed = s.request(
        "POST",
        "/api/tasks",
        Some("{\"title\":"),
        &[("content-type", "application/json"), ("cookie", &cookie)],
    );
    envelope(&malformed, 400, "malformed_json");

    // Bodies are read strictly, the same on every database: a repeated key
    // is refused (the empty first title would otherwise never be
    // validated), a NUL character is refused (PostgreSQL cannot store it),
    // and a `null` body, which stands for no body, is not the object this
    // input needs. Every place is listed.
    let json_headers = [
        ("content-type", "application/json"),
        ("cookie", cookie.as_str()),
    ];
    let dup = s.request(
        "POST",
        "/api/tasks",
        Some(r#"{"title":"","title":"ok"}"#),
        &json_headers,
    );
    let err = envelope(&dup, 400, "validation_failed");
    assert_eq!(violations(&err), [("/title", "duplicate_key")]);
    let nul = s.request(
        "POST",
        "/api/tasks",
        Some(r#"{"title":"a\u0000b","tags":["ok","\u0000"]}"#),
        &json_headers,
    );
    let err = envelope(&nul, 400, "validation_failed");
    assert_eq!(
        violations(&err),
        [("/tags/1", "invalid_value"), ("/title", "invalid_value")]
    );
    let null = s.request("POST", "/api/tasks", Some("null"), &json_headers);
    let err = envelope(&null, 400, "validation_failed");
    assert_eq!(violations(&err), [("", "invalid_type")]);
    assert!(
        err["details"]["violations"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("expected an object")),
        "{err}"
    );

    let big = format!("{{\"title\":\"{}\"}}", "x".repeat(70_000));
    let too_large = s.request(
        "POST",
        "/api/tasks",
        Some(&big),
        &[("content-type", "application/json"), ("cookie", &cookie)],
    );
    envelope(&too_large, 413, "payload_too_large");
    let text = s.request(
        "POST",
        "/api/tasks",
        Some("title=x"),
        &[("content-type", "text/plain"), ("cookie", &cookie)],
    );
    envelope(&text, 415, "unsupported_media_type");

    // Delete, then it is gone.
    let del = s.request(
        "DELETE",
        &format!("/api/tasks/{id}"),
        None,
        &[("cookie", &cookie)],
    );
    assert_eq!(del.status, 204, "{}", del.body);
    envelope(
        &s.request(
            "DELETE",
            &format!("/api/tasks/{id}"),
            None,
            &[("cookie", &cookie)],
        ),
        404,
        "not_found",
    );

    // Logout clears the cookie.
    let out = s.request("POST", "/api/auth/logout", None, &[("cookie", &cookie)]);
    assert_eq!(out.status, 204, "{}", out.body);

    // OpenAPI and docs are served.
    let doc = s.get("/api/openapi.json");
    assert_eq!(doc.status, 200);
    assert!(
        doc.json()["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    // The docs page is the runtime's own, with its script and style served
    // beside it: nothing from a CDN, so it works offline.
    let docs = s.get("/api/docs");
    assert_eq!(docs.status, 200);
    assert!(docs.body.contains("/api/openapi.json"), "{}", docs.body);
    assert!(!docs.body.contains("https://"), "{}", docs.body);
    assert!(docs.header("content-security-policy").is_some());
    for asset in ["/api/docs/docs.js", "/api/docs/docs.css"] {
        assert_eq!(s.get(asset).status, 200, "{asset}");
    }

    // Runs are recorded (batched), and the event subscriber ran.
    assert!(
        s.recorded_runs("tasks.create_task", 2) >= 2,
        "create_task runs recorded\n{}",
        s.logs()
    );
    assert!(
        s.recorded_runs("tasks.on_task_created", 2) >= 2,
        "task.created handler ran\n{}",
        s.logs()
    );
    // The example's events are durable: each delivery was a job, completed.
    assert!(
        s.count_until(
            "SELECT COUNT(*) FROM bunbase_jobs WHERE kind = $1 AND state = 'completed'",
            &["event:task.created:tasks.on_task_created"],
            2,
            std::time::Duration::from_secs(10),
        ) >= 2,
        "task.created deliveries ran as durable jobs\n{}",
        s.logs()
    );
}

#[test]
fn server_on_sqlite() {
    suite(Database::Sqlite);
}

#[test]
#[cfg_attr(
    bunbase_skip_postgres,
    ignore = "needs PostgreSQL: set BUNBASE_TEST_POSTGRES_URL (.ci/run does)"
)]
fn server_on_postgres() {
    let Some(url) = bunbase_e2e::postgres_url("server_on_postgres") else {
        return;
    };
    suite(Database::Postgres(url));
}

/// The `(path, code)` of every violation in an envelope's details, sorted.
fn violations(err: &serde_json::Value) -> Vec<(&str, &str)> {
    let mut found: Vec<(&str, &str)> = err["details"]["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| {
            (
                v["path"].as_str().unwrap_or_default(),
                v["code"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    found.sort();
    found
}
