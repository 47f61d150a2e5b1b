//! The error envelope over HTTP: framework errors (404, 405, 413, 415, malformed JSON, panics), trace ids, decoding and validation.

mod common;

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::body::Body;
use bunbase_runtime::axum::routing::{get, post};
use bunbase_runtime::serde::{Deserialize, Serialize};
use bunbase_runtime::validate::{Pattern, Pointer, Validate, Violations, check};
use bunbase_runtime::{ActionContext, ActionSpec, ApiError, HttpRequest, RetryPolicy, Runtime};
use common::{post_json, request, send};
use serde_json::json;

#[derive(Debug, Clone, Deserialize)]
#[serde(crate = "::bunbase_runtime::serde", deny_unknown_fields)]
struct CreateInput {
    title: String,
    #[serde(default)]
    tags: Vec<String>,
    email: Option<String>,
    count: Option<i64>,
    items: Option<Vec<Item>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(crate = "::bunbase_runtime::serde", deny_unknown_fields)]
struct Item {
    name: String,
}

static SLUG: Pattern = Pattern::new("^[a-z]+$");

impl Validate for CreateInput {
    fn validate_into(&self, at: &Pointer, out: &mut Violations) {
        let p = at.field("title");
        check::min_len(out, &p, &self.title, 2);
        check::max_len(out, &p, &self.title, 5);
        check::pattern(out, &p, &self.title, &SLUG);
        let p = at.field("tags");
        check::max_items(out, &p, self.tags.len(), 3);
        check::unique(out, &p, &self.tags);
        if let Some(e) = &self.email {
            check::email(out, &at.field("email"), e);
        }
        if let Some(c) = self.count {
            check::int_range(out, &at.field("count"), c);
            check::min_int(out, &at.field("count"), c, 0);
        }
        self.items.validate_into(&at.field("items"), out);
    }
}

impl Validate for Item {
    fn validate_into(&self, at: &Pointer, out: &mut Violations) {
        check::min_len(out, &at.field("name"), &self.name, 1);
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(crate = "::bunbase_runtime::serde", deny_unknown_fields)]
struct GetParams {
    id: i64,
    #[serde(default)]
    verbose: bool,
    #[serde(default)]
    tag: Vec<String>,
}

impl Validate for GetParams {
    fn validate_into(&self, _: &Pointer, _: &mut Violations) {}
}

static CREATE: ActionSpec = ActionSpec {
    name: "tasks.create",
    guards: &[],
    retry: RetryPolicy::NONE,
};
static GET: ActionSpec = ActionSpec {
    name: "tasks.get",
    guards: &[],
    retry: RetryPolicy::NONE,
};
static BOOM: ActionSpec = ActionSpec {
    name: "tasks.boom",
    guards: &[],
    retry: RetryPolicy::NONE,
};
static REMOVE: ActionSpec = ActionSpec {
    name: "tasks.remove",
    guards: &[],
    retry: RetryPolicy::NONE,
};

fn routes(rt: &Runtime) -> Router {
    let r1 = rt.clone();
    let r2 = rt.clone();
    let r3 = rt.clone();
    let r4 = rt.clone();
    Router::new()
        .route(
            "/tasks",
            post(move |req: HttpRequest| async move {
                CREATE
                    .run_http(
                        &r1,
                        req,
                        201,
                        |r| r.json::<CreateInput>(),
                        |_ctx: ActionContext, input: CreateInput| async move {
                            Ok::<_, ApiError>(json!({ "title": input.title, "tags": input.tags }))
                        },
                    )
                    .await
            }),
        )
        .route(
            "/tasks/{id}",
            get(move |req: HttpRequest| async move {
                GET.run_http(
                    &r2,
                    req,
                    200,
                    |r| r.params::<GetParams>(),
                    |_ctx, p: GetParams| async move {
                        Ok::<_, ApiError>(json!({ "id": p.id, "verbose": p.verbose, "tag": p.tag }))
                    },
                )
                .await
            })
            .delete(move |req: HttpRequest| async move {
                REMOVE
                    .run_http(
                        &r4,
                        req,
                        204,
                        |_| Ok(()),
                        |_ctx, _: ()| async move { Ok::<_, ApiError>(()) },
                    )
                    .await
            }),
        )
        .route(
            "/boom",
            post(move |req: HttpRequest| async move {
                BOOM.run_http(
                    &r3,
                    req,
                    200,
                    |_| Ok(()),
                    |_ctx, _: ()| async move {
                        if true {
                            panic!("handler exploded");
                        }
                        Ok::<(), ApiError>(())
                    },
                )
                .await
            }),
        )
        .route("/raw-panic", get(raw_panic))
}

async fn app() -> (Router, Runtime, tempfile::TempDir) {
    let (rt, dir) = common::runtime_with(|c| c.body_limit = 1024).await;
    (rt.app(routes(&rt)), rt, dir)
}

#[tokio::test]
async fn unknown_route_is_a_404_envelope() {
    let (app, _rt, _d) = app().await;
    let r = send(&app, request("GET", "/nope").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 404);
    r.envelope("not_found");
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn wrong_method_is_a_405_envelope() {
    let (app, _rt, _d) = app().await;
    let r = send(&app, request("GET", "/tasks").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 405);
    r.envelope("method_not_allowed");
    assert_eq!(
        r.header("allow"),
        Some("POST"),
        "405 keeps the Allow header"
    );
}

#[tokio::test]
async fn oversized_body_is_a_413_envelope() {
    let (app, _rt, _d) = app().await;
    let big = json!({ "title": "x".repeat(4000) });
    let r = send(&app, post_json("/tasks", &big)).await;
    assert_eq!(r.status, 413);
    r.envelope("payload_too_large");
}

#[tokio::test]
async fn axum_extractors_in_custom_routes_get_the_runtime_body_limit() {
    let (rt, _d) = common::runtime_with(|c| c.body_limit = 1024).await;
    let app = rt.app(Router::new().route(
        "/raw",
        post(|body: bunbase_runtime::axum::body::Bytes| async move { body.len().to_string() }),
    ));
    let small = request("POST", "/raw")
        .body(Body::from(vec![b'x'; 1000]))
        .unwrap();
    let r = send(&app, small).await;
    assert_eq!((r.status.as_u16(), r.body.as_slice()), (200, &b"1000"[..]));
    // Above 1024 bytes, not axum's own default of 2 MB.
    let big = request("POST", "/raw")
        .body(Body::from(vec![b'x'; 4000]))
        .unwrap();
    assert_eq!(send(&app, big).await.status, 413);
}

#[tokio::test]
async fn malformed_json_is_a_400_envelope() {
    let (app, _rt, _d) = app().await;
    let req = request("POST", "/tasks")
        .header("content-type", "application/json")
        .body(Body::from("{\"title\":"))
        .unwrap();
    let r = send(&app, req).await;
    assert_eq!(r.status, 400);
    r.envelope("malformed_json");
    let req = request("POST", "/tasks")
        .header("content-type", "application/json")
        .body(Body::from("{} trailing"))
        .unwrap();
    let r = send(&app, req).await;
    assert_eq!(r.status, 400);
    r.envelope("malformed_json");
}

#[tokio::test]
async fn wrong_content_type_is_a_415_envelope() {
    let (app, _rt, _d) = app().await;
    let req = request("POST", "/tasks")
        .header("content-type", "text/plain")
        .body(Body::from("{\"title\":\"ab\"}"))
        .unwrap();
    let r = send(&app, req).await;
    assert_eq!(r.status, 415);
    r.envelope("unsupported_media_type");
    let req = request("POST", "/tasks")
        .body(Body::from("{\"title\":\"ab\"}"))
        .unwrap();
    assert_eq!(
        send(&app, req).await.status,
        415,
        "a body without content type is refused"
    );
    let req = request("POST", "/tasks")
        .header("content-type", "application/json; charset=utf-8")
        .body(Body::from("{\"title\":\"ab\"}"))
        .unwrap();
    assert_eq!(
        send(&app, req).await.status,
        201,
        "charset parameter is fine"
    );
}

#[tokio::test]
async fn handler_panic_is_a_500_envelope_and_raw_panics_too() {
    let (app, rt, _d) = app().await;
    let r = send(&app, request("POST", "/boom").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 500);
    let v = r.envelope("internal");
    assert!(
        !v.to_string().contains("exploded"),
        "panic text must not leak: {v}"
    );
    let r = send(
        &app,
        request("GET", "/raw-panic")
            .header("x-request-id", "panic-1")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 500);
    // The envelope's trace id is the request's (`envelope` checks it
    // matches the echoed header).
    r.envelope("internal");
    assert_eq!(r.header("x-request-id"), Some("panic-1"));
    // The server keeps serving after panics.
    let r = send(
        &app,
        request("GET", "/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    drop(rt);
}

#[tokio::test]
async fn trace_id_comes_from_x_request_id_then_traceparent_else_is_generated() {
    let (app, _rt, _d) = app().await;
    let req = request("GET", "/nope")
        .header("x-request-id", "req-123")
        .body(Body::empty())
        .unwrap();
    let r = send(&app, req).await;
    assert_eq!(r.header("x-request-id"), Some("req-123"));
    assert_eq!(r.json()["error"]["trace_id"], "req-123");

    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let req = request("GET", "/nope")
        .header("traceparent", tp)
        .body(Body::empty())
        .unwrap();
    let r = send(&app, req).await;
    assert_eq!(
        r.header("x-request-id"),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(
        r.json()["error"]["trace_id"],
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );

    let req = request("GET", "/nope")
        .header("traceparent", "garbage")
        .body(Body::empty())
        .unwrap();
    let r = send(&app, req).await;
    let id = r.header("x-request-id").expect("generated id").to_owned();
    assert_eq!(id.len(), 32);
    let r2 = send(&app, request("GET", "/nope").body(Body::empty()).unwrap()).await;
    assert_ne!(
        r2.header("x-request-id"),
        Some(id.as_str()),
        "fresh ids differ"
    );

    // Successful responses echo it too.
    let req = request("GET", "/healthz")
        .header("x-request-id", "ok-1")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, req).await.header("x-request-id"), Some("ok-1"));
}

#[tokio::test]
async fn validation_reports_every_violation_with_pointer_paths() {
    let (app, _rt, _d) = app().await;
    let body = json!({
        "title": "ABCDEFG",
        "tags": ["a", "b", "a", "c"],
        "email": "not-an-email",
        "count": 9007199254740993i64,
        "items": [{ "name": "ok" }, { "name": "" }]
    });
    let r = send(&app, post_json("/tasks", &body)).await;
    assert_eq!(r.status, 400);
    let v = r.envelope("validation_failed");
    let violations = v["error"]["details"]["violations"]
        .as_array()
        .expect("violations")
        .clone();
    let pairs: Vec<(String, String)> = violations
        .iter()
        .map(|x| {
            (
                x["path"].as_str().unwrap().to_owned(),
                x["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("/title", "max_len"),
        ("/title", "pattern"),
        ("/tags", "max_items"),
        ("/tags", "unique"),
        ("/email", "email"),
        ("/count", "int_range"),
        ("/items/1/name", "min_len"),
    ] {
        assert!(
            pairs.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "missing {expected:?} in {pairs:?}"
        );
    }
    assert_eq!(pairs.len(), 7, "{pairs:?}");
    assert!(
        violations
            .iter()
            .all(|x| x["message"].as_str().is_some_and(|m| !m.is_empty()))
    );
}

#[tokio::test]
async fn serde_failures_name_their_path() {
    let (app, _rt, _d) = app().await;
    let r = send(
        &app,
        post_json("/tasks", &json!({ "title": "ab", "extra": 1 })),
    )
    .await;
    assert_eq!(r.status, 400);
    let v = r.envelope("validation_failed");
    assert_eq!(
        v["error"]["details"]["violations"][0]["code"],
        "unknown_field"
    );
    assert_eq!(v["error"]["details"]["violations"][0]["path"], "/extra");

    let r = send(&app, post_json("/tasks", &json!({ "tags": [] }))).await;
    let v = r.envelope("validation_failed");
    assert_eq!(v["error"]["details"]["violations"][0]["code"], "required");
    assert_eq!(v["error"]["details"]["violations"][0]["path"], "/title");

    let r = send(
        &app,
        post_json(
            "/tasks",
            &json!({ "title": "ab", "items": [{ "name": 5 }] }),
        ),
    )
    .await;
    let v = r.envelope("validation_failed");
    assert_eq!(
        v["error"]["details"]["violations"][0]["code"],
        "invalid_type"
    );
    assert_eq!(
        v["error"]["details"]["violations"][0]["path"],
        "/items/0/name"
    );

    let r = send(
        &app,
        post_json(
            "/tasks",
            &json!({ "title": "ab", "items": [{ "name": "x", "bad": true }] }),
        ),
    )
    .await;
    let v = r.envelope("validation_failed");
    assert_eq!(
        v["error"]["details"]["violations"][0]["path"],
        "/items/0/bad"
    );

    // Optional fields accept null.
    let r = send(
        &app,
        post_json(
            "/tasks",
            &json!({ "title": "ab", "email": null, "count": null }),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", String::from_utf8_lossy(&r.body));
}

#[tokio::test]
async fn path_and_query_decode_with_types_and_repeated_keys() {
    let (app, _rt, _d) = app().await;
    let r = send(
        &app,
        request("GET", "/tasks/42?verbose=true&tag=a&tag=b")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.json(),
        json!({ "id": 42, "verbose": true, "tag": ["a", "b"] })
    );

    let r = send(
        &app,
        request("GET", "/tasks/abc").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, 400);
    let v = r.envelope("validation_failed");
    assert_eq!(v["error"]["details"]["violations"][0]["path"], "/id");

    let r = send(
        &app,
        request("GET", "/tasks/1?bogus=1")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let v = r.envelope("validation_failed");
    assert_eq!(
        v["error"]["details"]["violations"][0]["code"],
        "unknown_field"
    );
}

#[tokio::test]
async fn no_content_status_has_an_empty_body() {
    let (app, _rt, _d) = app().await;
    let r = send(
        &app,
        request("DELETE", "/tasks/1").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    assert!(r.header("x-request-id").is_some());
}

async fn raw_panic() -> &'static str {
    if true {
        panic!("raw handler exploded");
    }
    "unreachable"
}

#[tokio::test]
async fn cors_answers_preflights_for_allowed_origins_only() {
    let (rt, _d) =
        common::runtime_with(|c| c.cors_origins = vec!["https://app.example.com".into()]).await;
    let app = rt.app(routes(&rt));
    let preflight = request("OPTIONS", "/tasks")
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Body::empty())
        .unwrap();
    let r = send(&app, preflight).await;
    assert!(r.status.is_success(), "{}", r.status);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert!(r.header("x-request-id").is_some());

    let req = request("POST", "/tasks")
        .header("origin", "https://evil.example.com")
        .header("content-type", "application/json")
        .body(Body::from("{\"title\":\"ab\"}"))
        .unwrap();
    let r = send(&app, req).await;
    assert_eq!(r.header("access-control-allow-origin"), None);

    // Without configuration there are no CORS headers at all.
    let (rt, _d) = common::runtime().await;
    let app = rt.app(routes(&rt));
    let req = request("GET", "/healthz")
        .header("origin", "https://app.example.com")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&app, req).await.header("access-control-allow-origin"),
        None
    );
}

#[derive(Debug, Deserialize)]
#[serde(crate = "::bunbase_runtime::serde", deny_unknown_fields)]
struct Page {
    limit: u32,
}

#[derive(Debug, Deserialize)]
#[serde(crate = "::bunbase_runtime::serde")]
struct Id {
    id: uuid::Uuid,
}

#[tokio::test]
async fn plain_extractors_reject_into_the_envelope() {
    use bunbase_runtime::http::{Json, Path, Query};
    let (rt, _d) = common::runtime().await;
    let app = rt.app(
        Router::new()
            .route(
                "/things",
                post(
                    |Query(p): Query<Page>, Json(v): Json<serde_json::Value>| async move {
                        bunbase_runtime::axum::Json(json!({ "limit": p.limit, "body": v }))
                    },
                ),
            )
            .route(
                "/things/{id}",
                get(|Path(p): Path<Id>| async move { p.id.to_string() }),
            ),
    );
    let r = send(&app, post_json("/things?limit=5", &json!({ "a": 1 }))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({ "limit": 5, "body": { "a": 1 } }));
    let r = send(&app, post_json("/things?limit=x", &json!({}))).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.envelope("validation_failed")["error"]["details"]["violations"][0]["path"],
        "/limit"
    );
    let req = request("POST", "/things?limit=1")
        .header("content-type", "application/json")
        .body(Body::from("["))
        .unwrap();
    send(&app, req).await.envelope("malformed_json");
    let id = uuid::Uuid::new_v4();
    let r = send(
        &app,
        request("GET", &format!("/things/{id}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(String::from_utf8_lossy(&r.body), id.to_string());
    let r = send(
        &app,
        request("GET", "/things/not-a-uuid")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 400);
    r.envelope("validation_failed");
}
