//! Identity over HTTP on SQLite and PostgreSQL: revocable sessions (logout, everywhere, rotation, sliding expiry, deleted users), roles read from the database, API keys (scopes, expiry, revocation), idempotency keys and CSRF.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::body::Body;
use bunbase_runtime::axum::routing::post;
use bunbase_runtime::futures::future::BoxFuture;
use bunbase_runtime::{
    ActionContext, ActionSpec, ApiError, Auth, GuardSpec, HttpRequest, NewApiKey, Principal,
    PrincipalLoader, RetryPolicy, Runtime,
};
use common::{Reply, TestDb, request, send};
use serde_json::json;

macro_rules! spec {
    ($name:ident, $guards:expr) => {
        static $name: ActionSpec = ActionSpec {
            name: stringify!($name),
            guards: $guards,
            retry: RetryPolicy::NONE,
        };
    };
}

spec!(LOGIN, &[]);
spec!(LOGOUT, &[]);
spec!(LOGOUT_ALL, &[GuardSpec::Authenticated]);
spec!(ME, &[GuardSpec::Authenticated]);
spec!(ADMIN, &[GuardSpec::HasRole { role: "admin" }]);
spec!(
    READ,
    &[GuardSpec::HasPermission {
        permission: "tasks:read"
    }]
);
spec!(
    WRITE,
    &[GuardSpec::HasPermission {
        permission: "tasks:write"
    }]
);
spec!(CREATE, &[GuardSpec::Authenticated]);
spec!(DECLARED, &[GuardSpec::Authenticated]);
spec!(SLOW, &[GuardSpec::Authenticated]);
static FLAKY: ActionSpec = ActionSpec {
    name: "FLAKY",
    guards: &[GuardSpec::Authenticated],
    retry: RetryPolicy::NONE,
};

#[derive(Default)]
struct Counters {
    created: AtomicU32,
    declared: AtomicU32,
    flaky: AtomicU32,
    slow: AtomicU32,
    gate: tokio::sync::Notify,
}

/// A no-input route answering who called.
fn who(rt: &Runtime, spec: &'static ActionSpec) -> bunbase_runtime::axum::routing::MethodRouter {
    let rt = rt.clone();
    post(move |req: HttpRequest| async move {
        spec.run_http(
            &rt,
            req,
            200,
            |_| Ok(()),
            |ctx: ActionContext, _: ()| async move {
                let s = ctx.session().cloned();
                Ok::<_, ApiError>(json!({
                    "user": ctx.user_id(),
                    "via": s.as_ref().map(|s| format!("{:?}", s.via)),
                    "permissions": s.map(|s| s.principal.permissions),
                }))
            },
        )
        .await
    })
}

fn routes(rt: &Runtime, c: Arc<Counters>) -> Router {
    let r = rt.clone();
    let (c1, c2, c3, c4) = (c.clone(), c.clone(), c.clone(), c.clone());
    let (r1, r2, r3, r4, r5, r6, r7) = (
        r.clone(),
        r.clone(),
        r.clone(),
        r.clone(),
        r.clone(),
        r.clone(),
        r.clone(),
    );
    Router::new()
        .route(
            "/login",
            post(move |req: HttpRequest| async move {
                LOGIN
                    .run_http(
                        &r1,
                        req,
                        200,
                        |r| r.json::<serde_json::Value>(),
                        |ctx: ActionContext, p: serde_json::Value| async move {
                            ctx.sign_in(p["user_id"].as_str().unwrap_or("x")).await?;
                            Ok::<_, ApiError>(json!({}))
                        },
                    )
                    .await
            }),
        )
        .route(
            "/logout",
            post(move |req: HttpRequest| async move {
                LOGOUT
                    .run_http(
                        &r2,
                        req,
                        204,
                        |_| Ok(()),
                        |ctx: ActionContext, _: ()| async move { ctx.sign_out().await },
                    )
                    .await
            }),
        )
        .route(
            "/logout-all",
            post(move |req: HttpRequest| async move {
                LOGOUT_ALL
                    .run_http(
                        &r3,
                        req,
                        200,
                        |_| Ok(()),
                        |ctx: ActionContext, _: ()| async move {
                            let n = ctx.sign_out_everywhere().await?;
                            Ok::<_, ApiError>(json!({ "revoked": n }))
                        },
                    )
                    .await
            }),
        )
        .route("/me", who(rt, &ME))
        .route("/admin", who(rt, &ADMIN))
        .route("/read", who(rt, &READ))
        .route("/write", who(rt, &WRITE))
        .route(
            "/create",
            post(move |req: HttpRequest| async move {
                CREATE
                    .run_http(
                        &r4,
                        req,
                        201,
                        |r| r.json::<serde_json::Value>(),
                        move |_ctx: ActionContext, p: serde_json::Value| {
                            let c = c1.clone();
                            async move {
                                if p.get("title")
                                    .and_then(|t| t.as_str())
                                    .is_none_or(str::is_empty)
                                {
                                    return Err(ApiError::validation(vec![]));
                                }
                                let n = c.created.fetch_add(1, Ordering::SeqCst) + 1;
                                Ok::<_, ApiError>(json!({ "n": n, "title": p["title"] }))
                            }
                        },
                    )
                    .await
            }),
        )
        .route(
            "/declared",
            post(move |req: HttpRequest| async move {
                DECLARED
                    .run_http(
                        &r5,
                        req,
                        200,
                        |_| Ok(()),
                        move |_ctx: ActionContext, _: ()| {
                            let c = c2.clone();
                            async move {
                                c.declared.fetch_add(1, Ordering::SeqCst);
                                Err::<(), _>(ApiError::new(409, "title_taken", "Title taken"))
                            }
                        },
                    )
                    .await
            }),
        )
        .route(
            "/flaky",
            post(move |req: HttpRequest| async move {
                FLAKY
                    .run_http(
                        &r6,
                        req,
                        200,
                        |_| Ok(()),
                        move |_ctx: ActionContext, _: ()| {
                            let c = c3.clone();
                            async move {
                                if c.flaky.fetch_add(1, Ordering::SeqCst) == 0 {
                                    Err(ApiError::internal("transient"))
                                } else {
                                    Ok(json!({ "ok": true }))
                                }
                            }
                        },
                    )
                    .await
            }),
        )
        .route(
            "/slow",
            post(move |req: HttpRequest| async move {
                SLOW.run_http(
                    &r7,
                    req,
                    200,
                    |_| Ok(()),
                    move |_ctx: ActionContext, _: ()| {
                        let c = c4.clone();
                        async move {
                            c.slow.fetch_add(1, Ordering::SeqCst);
                            c.gate.notified().await;
                            Ok::<_, ApiError>(json!({ "slow": true }))
                        }
                    },
                )
                .await
            }),
        )
}

fn call(path: &str, cookie: Option<&str>) -> bunbase_runtime::axum::http::Request<Body> {
    let mut b = request("POST", path);
    if let Some(c) = cookie {
        b = b.header("cookie", format!("bunbase_session={c}"));
    }
    b.body(Body::empty()).unwrap()
}

fn with_key(path: &str, header: &str, value: &str) -> bunbase_runtime::axum::http::Request<Body> {
    request("POST", path)
        .header(header, value)
        .body(Body::empty())
        .unwrap()
}

fn idem(
    path: &str,
    cookie: &str,
    key: &str,
    body: serde_json::Value,
) -> bunbase_runtime::axum::http::Request<Body> {
    idem_raw(path, cookie, key, &body.to_string())
}

fn idem_raw(
    path: &str,
    cookie: &str,
    key: &str,
    body: &str,
) -> bunbase_runtime::axum::http::Request<Body> {
    request("POST", path)
        .header("cookie", format!("bunbase_session={cookie}"))
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn set_cookie(r: &Reply) -> Option<String> {
    r.header("set-cookie").map(common::cookie_value)
}

async fn sessions_suite(app: &Router, rt: &Runtime) {
    // Login sets a cookie naming a server-side session.
    let r = send(
        app,
        common::post_json("/login", &json!({ "user_id": "alice" })),
    )
    .await;
    assert_eq!(r.status, 200);
    let alice = set_cookie(&r).expect("login sets the cookie");
    assert_eq!(
        send(app, call("/me", Some(&alice))).await.json()["user"],
        "alice"
    );

    // Logout answers 204 and the old cookie is refused at once.
    let r = send(app, call("/logout", Some(&alice))).await;
    assert_eq!(r.status, 204);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    let r = send(app, call("/me", Some(&alice))).await;
    assert_eq!(r.status, 401, "a revoked session is no session");
    r.envelope("unauthorized");

    // A correctly signed cookie for a session that was never created.
    let forged = rt.sessions().sign(&Principal::new("alice"));
    assert_eq!(send(app, call("/me", Some(&forged))).await.status, 401);

    // Rotation: signing in again replaces the session the caller had.
    let first = common::login(rt, "bob").await;
    let r = send(
        app,
        request("POST", "/login")
            .header("cookie", format!("bunbase_session={first}"))
            .header("content-type", "application/json")
            .body(Body::from(r#"{"user_id":"bob"}"#))
            .unwrap(),
    )
    .await;
    let second = set_cookie(&r).unwrap();
    assert_eq!(
        send(app, call("/me", Some(&first))).await.status,
        401,
        "rotated away"
    );
    assert_eq!(send(app, call("/me", Some(&second))).await.status, 200);

    // Log out everywhere: every session of the user goes.
    let other_device = common::login(rt, "bob").await;
    let r = send(app, call("/logout-all", Some(&second))).await;
    assert_eq!(r.json()["revoked"], 2);
    assert_eq!(send(app, call("/me", Some(&second))).await.status, 401);
    assert_eq!(
        send(app, call("/me", Some(&other_device))).await.status,
        401
    );

    // Roles come from the database, not the cookie: a promotion and a
    // demotion take effect on the same cookie.
    let carol = common::login(rt, "carol").await;
    assert_eq!(send(app, call("/admin", Some(&carol))).await.status, 403);
    rt.auth().grant_role("carol", "admin").await.unwrap();
    assert_eq!(send(app, call("/admin", Some(&carol))).await.status, 200);
    rt.auth().revoke_role("carol", "admin").await.unwrap();
    assert_eq!(send(app, call("/admin", Some(&carol))).await.status, 403);
    rt.auth().grant_role("carol", "reader").await.unwrap();
    rt.auth()
        .grant_role_permission("reader", "tasks:*")
        .await
        .unwrap();
    assert_eq!(send(app, call("/read", Some(&carol))).await.status, 200);
    rt.auth()
        .revoke_role_permission("reader", "tasks:*")
        .await
        .unwrap();
    assert_eq!(send(app, call("/read", Some(&carol))).await.status, 403);

    // Sliding expiry: a session past half its life is extended and the
    // response carries a fresh cookie; a young one is left alone.
    assert!(
        send(app, call("/me", Some(&carol)))
            .await
            .header("set-cookie")
            .is_none()
    );
    let (old, _) = rt.auth().create_session("dave").await.unwrap();
    let now = chrono::Utc::now().timestamp();
    let ttl = rt.sessions().ttl().as_secs() as i64;
    // Age the row and its cookie to a quarter of their life left.
    let aged_exp = now + ttl / 4;
    age_session(rt, &old.id, aged_exp * 1000).await;
    let aged = rt.sessions().sign_session(&bunbase_runtime::Session {
        expires_at: aged_exp,
        ..old
    });
    let r = send(app, call("/me", Some(&aged))).await;
    assert_eq!(r.status, 200);
    let renewed = set_cookie(&r).expect("a renewed cookie");
    let s = rt.sessions().verify(&renewed).unwrap();
    assert!(
        s.expires_at > aged_exp + ttl / 2,
        "extended to a full lifetime"
    );
    assert_eq!(send(app, call("/me", Some(&renewed))).await.status, 200);
}

/// Sets a session row's expiry by hand (as time passing would).
async fn age_session(rt: &Runtime, id: &str, expires_ms: i64) {
    // Extending is the store's only expiry write; moving it back uses the
    // same statement.
    rt.auth()
        .store()
        .extend_session(id, expires_ms)
        .await
        .unwrap();
}

struct OnlyKnown;

impl PrincipalLoader for OnlyKnown {
    fn load<'a>(
        &'a self,
        auth: &'a Auth,
        user_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Principal>, ApiError>> {
        Box::pin(async move {
            if user_id == "deleted" {
                Ok(None)
            } else {
                Ok(Some(auth.default_principal(user_id).await?))
            }
        })
    }
}

async fn deleted_users_suite(app: &Router, rt: &Runtime) {
    rt.auth().set_principal_loader(Arc::new(OnlyKnown));
    let ghost = common::login(rt, "deleted").await;
    assert_eq!(send(app, call("/me", Some(&ghost))).await.status, 401);
    let key = rt
        .auth()
        .create_api_key(NewApiKey {
            name: "ghost".into(),
            user_id: Some("deleted".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let r = send(app, with_key("/me", "x-api-key", &key.token)).await;
    assert_eq!(r.status, 401, "a key of a deleted user is refused");
}

async fn api_keys_suite(app: &Router, rt: &Runtime) {
    let key = rt
        .auth()
        .create_api_key(NewApiKey {
            name: "ci".into(),
            scopes: vec!["tasks:read".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(key.token.starts_with("bb_"));
    // Bearer and X-API-Key both work; scopes are permissions.
    let r = send(
        app,
        with_key("/me", "authorization", &format!("Bearer {}", key.token)),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["user"], format!("api_key:{}", key.id));
    assert_eq!(r.json()["via"], "ApiKey");
    assert_eq!(
        send(app, with_key("/read", "x-api-key", &key.token))
            .await
            .status,
        200
    );
    let r = send(app, with_key("/write", "x-api-key", &key.token)).await;
    assert_eq!(r.status, 403, "tasks:read does not cover tasks:write");
    assert_eq!(
        send(app, with_key("/admin", "x-api-key", &key.token))
            .await
            .status,
        403
    );
    // Stored hashed: the table has no trace of the secret.
    let rows = rt.auth().list_api_keys(None).await.unwrap();
    let row = rows.iter().find(|r| r.id == key.id).unwrap();
    assert!(!key.token.contains(&row.secret_hash));
    assert_eq!(row.prefix, key.prefix);
    // Wrong secret, unknown prefix, garbage.
    let wrong = format!("{}x", key.token);
    for bad in [
        wrong.as_str(),
        "bb_AAAAAAAAAAAA_secret",
        "Bearer",
        "nonsense",
    ] {
        assert_eq!(
            send(app, with_key("/me", "x-api-key", bad)).await.status,
            401,
            "{bad}"
        );
    }
    // Revocation takes effect at once.
    assert!(rt.auth().revoke_api_key(&key.id).await.unwrap());
    assert_eq!(
        send(app, with_key("/me", "x-api-key", &key.token))
            .await
            .status,
        401
    );
    // Expiry.
    let expired = rt
        .auth()
        .create_api_key(NewApiKey {
            name: "old".into(),
            expires_at: Some(chrono::Utc::now().timestamp_millis() - 1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        send(app, with_key("/me", "x-api-key", &expired.token))
            .await
            .status,
        401
    );
    // A user's key acts as the user, with the key's scopes.
    let mine = rt
        .auth()
        .create_api_key(NewApiKey {
            name: "laptop".into(),
            user_id: Some("erin".into()),
            scopes: vec!["tasks:*".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    let r = send(app, with_key("/write", "x-api-key", &mine.token)).await;
    assert_eq!(r.json()["user"], "erin");
    // Last use is recorded (off the request's path).
    for _ in 0..50 {
        let rows = rt.auth().list_api_keys(Some("erin")).await.unwrap();
        if rows[0].last_used_at.is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("last_used_at was never recorded");
}

async fn idempotency_suite(app: &Router, rt: &Runtime, c: &Counters) {
    let cookie = common::login(rt, "frank").await;
    // The same key twice: one run, the same answer, marked as a replay.
    let body = json!({ "title": "once" });
    let first = send(app, idem("/create", &cookie, "k1", body.clone())).await;
    assert_eq!(first.status, 201);
    let again = send(app, idem("/create", &cookie, "k1", body.clone())).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(c.created.load(Ordering::SeqCst), 1, "ran once");
    // Another caller's same key is another request.
    let other = common::login(rt, "grace").await;
    assert_eq!(
        send(app, idem("/create", &other, "k1", body.clone()))
            .await
            .status,
        201
    );
    assert_eq!(c.created.load(Ordering::SeqCst), 2);
    // The same key with another body.
    let r = send(
        app,
        idem("/create", &cookie, "k1", json!({ "title": "twice" })),
    )
    .await;
    assert_eq!(r.status, 422);
    r.envelope("idempotency_key_reused");
    // Guards still run on a retry: without the session the replay is 401.
    let r = send(
        app,
        request("POST", "/create")
            .header("idempotency-key", "k1")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 401);
    // An input that fails to decode stores nothing: the corrected retry
    // (same key, another body) runs.
    assert_eq!(
        send(app, idem_raw("/create", &cookie, "k2", "{not json"))
            .await
            .status,
        400
    );
    let r = send(
        app,
        idem("/create", &cookie, "k2", json!({ "title": "fixed" })),
    )
    .await;
    assert_eq!(r.status, 201);
    assert!(r.header("idempotent-replayed").is_none());
    // A declared error is the handler's answer: stored and replayed.
    assert_eq!(
        send(app, idem("/declared", &cookie, "k3", json!({})))
            .await
            .status,
        409
    );
    let r = send(app, idem("/declared", &cookie, "k3", json!({}))).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.header("idempotent-replayed"), Some("true"));
    assert_eq!(c.declared.load(Ordering::SeqCst), 1);
    // A retryable failure is not stored: the retry runs and succeeds.
    assert_eq!(
        send(app, idem("/flaky", &cookie, "k4", json!({})))
            .await
            .status,
        500
    );
    assert_eq!(
        send(app, idem("/flaky", &cookie, "k4", json!({})))
            .await
            .status,
        200
    );
    assert_eq!(c.flaky.load(Ordering::SeqCst), 2);
    // A sign-in is never replayed without its cookie: it runs again.
    for _ in 0..2 {
        let r = send(
            app,
            request("POST", "/login")
                .header("idempotency-key", "k-login")
                .header("content-type", "application/json")
                .body(Body::from(r#"{"user_id":"frank"}"#))
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 200);
        assert!(set_cookie(&r).is_some_and(|c| !c.is_empty()));
        assert!(r.header("idempotent-replayed").is_none());
    }
    // A malformed key.
    let r = send(app, idem("/create", &cookie, "", body.clone())).await;
    assert_eq!(r.status, 400);

    // Concurrently: while the first request runs, the retry (which waits
    // up to IDEMPOTENCY_WAIT_MS, 300 ms here) gets 409; once the first
    // finished, the retry gets its response. The handler ran once.
    let first = tokio::spawn({
        let app = app.clone();
        let cookie = cookie.clone();
        async move { send(&app, idem("/slow", &cookie, "k5", json!({}))).await }
    });
    while c.slow.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let r = send(app, idem("/slow", &cookie, "k5", json!({}))).await;
    assert_eq!(r.status, 409);
    r.envelope("idempotency_in_progress");
    c.gate.notify_one();
    assert_eq!(first.await.unwrap().status, 200);
    let r = send(app, idem("/slow", &cookie, "k5", json!({}))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("idempotent-replayed"), Some("true"));
    assert_eq!(c.slow.load(Ordering::SeqCst), 1);
}

async fn csrf_suite(app: &Router, rt: &Runtime) {
    let cookie = common::login(rt, "heidi").await;
    let form = |origin: Option<&str>, site: Option<&str>| {
        let mut b = request("POST", "/me")
            .header("host", "api.example.com")
            .header("cookie", format!("bunbase_session={cookie}"))
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        if let Some(s) = site {
            b = b.header("sec-fetch-site", s);
        }
        b.body(Body::from("title=pwned")).unwrap()
    };
    // A cross-origin form post with the cookie is refused.
    let r = send(app, form(Some("https://evil.example"), Some("cross-site"))).await;
    assert_eq!(r.status, 403);
    r.envelope("csrf_rejected");
    assert_eq!(
        send(app, form(Some("https://evil.example"), None))
            .await
            .status,
        403
    );
    // Same origin, an allowed origin (CORS_ALLOWED_ORIGINS), and programs pass.
    assert_eq!(
        send(app, form(Some("https://api.example.com"), None))
            .await
            .status,
        200
    );
    assert_eq!(send(app, form(None, Some("same-origin"))).await.status, 200);
    assert_eq!(
        send(
            app,
            form(Some("https://app.example.com"), Some("same-site"))
        )
        .await
        .status,
        200
    );
    assert_eq!(send(app, form(None, None)).await.status, 200);
    // API-key callers carry no cookie and are never checked.
    let key = rt
        .auth()
        .create_api_key(NewApiKey {
            name: "k".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let r = send(
        app,
        request("POST", "/me")
            .header("origin", "https://evil.example")
            .header("x-api-key", &key.token)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
}

/// Another instance on the same database sees a revocation: at once with
/// `SESSION_CACHE_MS=0`, within the cache time otherwise.
async fn second_instance_suite(db: &TestDb, app: &Router, rt: &Runtime) {
    let keys = rt.config().session_keys.clone();
    let other = db
        .runtime(|c| {
            c.session_cache = std::time::Duration::ZERO;
            c.session_keys = keys;
        })
        .await;
    let other_app = other.app(routes(&other, Arc::new(Counters::default())));
    let cookie = common::login(rt, "ivan").await;
    assert_eq!(
        send(&other_app, call("/me", Some(&cookie))).await.status,
        200
    );
    assert_eq!(send(app, call("/logout", Some(&cookie))).await.status, 204);
    assert_eq!(
        send(&other_app, call("/me", Some(&cookie))).await.status,
        401
    );
    drop(other_app);
    other.shutdown().await;
}

async fn suite(db: TestDb) {
    let rt = db
        .runtime(|c| {
            c.idempotency_wait = std::time::Duration::from_millis(300);
            c.cors_origins = vec!["https://app.example.com".into()];
        })
        .await;
    let c = Arc::new(Counters::default());
    let app = rt.app(routes(&rt, c.clone()));
    sessions_suite(&app, &rt).await;
    api_keys_suite(&app, &rt).await;
    idempotency_suite(&app, &rt, &c).await;
    csrf_suite(&app, &rt).await;
    second_instance_suite(&db, &app, &rt).await;
    deleted_users_suite(&app, &rt).await;
    drop(app);
    rt.shutdown().await;
    db.drop_db().await;
}

#[tokio::test]
async fn sqlite_identity() {
    suite(TestDb::sqlite()).await;
}

#[tokio::test]
async fn postgres_identity() {
    if let Some(db) = TestDb::postgres("postgres_identity").await {
        suite(db).await;
    }
}
