//! The API docs page (`bunbase_runtime::docs`) in headless Chromium with the network cut off: it lists every operation of the example's OpenAPI document, and "try it" sends requests that reach the server.
//!
//! The server is a runtime test server: the docs routes over the committed
//! `generated-example/openapi.json`, plus three recording routes standing in
//! for the actions the page tries. The browser runs through
//! `tests/browser/docs_page.mjs` (playwright-core, pinned in
//! `tests/tooling/package.json`), which refuses every request to another
//! origin and makes every other host name unresolvable.

use std::process::Command;
use std::sync::{Arc, Mutex};

use bunbase_e2e::{chromium_bin, node_available, npm_bin, repo_root, tooling_dir};
use bunbase_runtime::axum::extract::Path;
use bunbase_runtime::axum::routing::{get, post};
use bunbase_runtime::axum::{Json, Router};
use bunbase_runtime::serde_json::{Value, json};
use bunbase_runtime::{Config, Runtime, Server, tokio};

const OPENAPI_JSON: &str = include_str!("../../generated-example/openapi.json");

/// What the stand-in routes received, in order.
type Seen = Arc<Mutex<Vec<String>>>;

fn routes(seen: &Seen) -> Router {
    let (health, create, get_task) = (seen.clone(), seen.clone(), seen.clone());
    Router::new()
        .merge(bunbase_runtime::docs::routes("/api", OPENAPI_JSON))
        .route(
            "/api/health",
            get(move || async move {
                health.lock().unwrap().push("GET /api/health".into());
                Json(json!({ "status": "ok" }))
            }),
        )
        .route(
            "/api/tasks",
            post(move |Json(body): Json<Value>| async move {
                create
                    .lock()
                    .unwrap()
                    .push(format!("POST /api/tasks {body}"));
                (
                    bunbase_runtime::axum::http::StatusCode::CREATED,
                    Json(json!({ "id": "t1", "title": body["title"] })),
                )
            }),
        )
        .route(
            "/api/tasks/{id}",
            get(move |Path(id): Path<String>| async move {
                get_task
                    .lock()
                    .unwrap()
                    .push(format!("GET /api/tasks/{id}"));
                Json(json!({ "id": id }))
            }),
        )
}

#[test]
#[cfg_attr(
    any(bunbase_skip_chromium, bunbase_skip_npm, bunbase_skip_node),
    ignore = "needs Chromium, node and the npm test tooling: run `cargo xtask test`"
)]
fn docs_page_works_offline_in_chromium() {
    let test = "docs_page_works_offline_in_chromium";
    let Some(chromium) = chromium_bin(test) else {
        return;
    };
    if !node_available(test) || npm_bin("playwright-core", test).is_none() {
        return;
    }
    let playwright = tooling_dir()
        .expect("tooling is installed")
        .join("npm/node_modules/playwright-core/index.mjs");

    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let seen: Seen = Arc::default();
    let (addr, stop) = rt.block_on(async {
        let runtime = Runtime::start(Config::for_test("docs"))
            .await
            .expect("the runtime starts");
        let server = Server::bind(runtime, routes(&seen))
            .await
            .expect("the server binds");
        let addr = server.local_addr();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.run_until(async {
            let _ = stopped.await;
        }));
        (addr, stop)
    });

    let tries = json!({
        "health.health": {},
        "tasks.create_task": {},
        "tasks.get_task": { "id": "0193c1d2-0000-7000-8000-000000000001" },
    });
    let out = Command::new("node")
        .arg(repo_root().join("tests/browser/docs_page.mjs"))
        .env("BUNBASE_BASE_URL", format!("http://{addr}"))
        .env("BUNBASE_DOCS_PATH", "/api/docs")
        .env("BUNBASE_TRY", tries.to_string())
        .env("PLAYWRIGHT_CORE", &playwright)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    let _ = stop.send(());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser script failed:\n{stdout}\n{stderr}"
    );
    let result: Value = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .and_then(|l| bunbase_runtime::serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no RESULT line in:\n{stdout}\n{stderr}"));

    // Every operation of the document is listed, once.
    let spec: Value = bunbase_runtime::serde_json::from_str(OPENAPI_JSON).expect("valid JSON");
    let mut expected: Vec<String> = spec["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().expect("a path item").values())
        .filter_map(|op| op["operationId"].as_str().map(str::to_owned))
        .collect();
    expected.sort();
    let mut listed: Vec<String> = result["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|o| o.as_str().unwrap_or_default().to_owned())
        .collect();
    listed.sort();
    assert_eq!(listed, expected, "the page lists every operation once");
    assert_eq!(result["title"], "Tasks API docs");

    // Nothing left this machine, and the page reported no error.
    assert_eq!(result["blocked"], json!([]), "requests to other origins");
    assert_eq!(result["errors"], json!([]), "page errors");

    // "Try it" reached the server and showed its answers.
    assert_eq!(result["tried"]["health.health"]["status"], "200 OK");
    assert_eq!(
        result["tried"]["tasks.create_task"]["status"],
        "201 Created"
    );
    assert_eq!(result["tried"]["tasks.get_task"]["status"], "200 OK");
    let shown = result["tried"]["tasks.create_task"]["shown"]
        .as_str()
        .unwrap_or_default();
    assert!(shown.contains("x-request-id: "), "{shown}");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "GET /api/health".to_owned(),
            // The body the page prefilled from the schema: required fields, with their examples.
            r#"POST /api/tasks {"title":"Write the release notes"}"#.to_owned(),
            "GET /api/tasks/0193c1d2-0000-7000-8000-000000000001".to_owned(),
        ]
    );
}
