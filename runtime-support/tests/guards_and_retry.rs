//! Guards (sessions, roles and permissions from the database, rate limits, custom guards) and the retry policy, over HTTP.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::body::Body;
use bunbase_runtime::axum::routing::post;
use bunbase_runtime::futures::future::BoxFuture;
use bunbase_runtime::{
    ActionContext, ActionSpec, ApiError, Backoff, CustomGuards, GuardRequest, GuardSpec,
    HttpRequest, Principal, RateLimitKey, RetryPolicy, Runtime, Session, SessionManager,
};
use common::{request, send};
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
spec!(LOGOUT, &[GuardSpec::Authenticated]);
spec!(ME, &[GuardSpec::Authenticated]);
spec!(ADMIN, &[GuardSpec::HasRole { role: "admin" }]);
spec!(
    READ_TASKS,
    &[GuardSpec::HasPermission {
        permission: "tasks:read"
    }]
);
spec!(
    LIMITED_IP,
    &[GuardSpec::RateLimit {
        limit: 2,
        window_ms: 60_000,
        key: RateLimitKey::Ip
    }]
);
spec!(
    LIMITED_USER,
    &[
        GuardSpec::Authenticated,
        GuardSpec::RateLimit {
            limit: 1,
            window_ms: 60_000,
            key: RateLimitKey::User
        }
    ]
);
spec!(
    CUSTOM,
    &[
        GuardSpec::Authenticated,
        GuardSpec::Custom { name: "is_owner" }
    ]
);
spec!(
    UNREGISTERED,
    &[GuardSpec::Custom {
        name: "nobody_implements_me"
    }]
);

static FLAKY: ActionSpec = ActionSpec {
    name: "tasks.flaky",
    guards: &[GuardSpec::Custom { name: "counted" }],
    retry: RetryPolicy {
        attempts: 3,
        backoff: Backoff::Exponential,
        base_ms: 1,
        max_ms: 5,
    },
};
static DECLARED: ActionSpec = ActionSpec {
    name: "tasks.declared",
    guards: &[],
    retry: RetryPolicy {
        attempts: 5,
        backoff: Backoff::Fixed,
        base_ms: 1,
        max_ms: 5,
    },
};
static ALWAYS_FAILS: ActionSpec = ActionSpec {
    name: "tasks.always_fails",
    guards: &[],
    retry: RetryPolicy {
        attempts: 4,
        backoff: Backoff::Fixed,
        base_ms: 1,
        max_ms: 1,
    },
};

/// A route running `spec` with no input, answering `{"user": <id or null>}`.
fn who(rt: &Runtime, spec: &'static ActionSpec) -> bunbase_runtime::axum::routing::MethodRouter {
    let rt = rt.clone();
    post(move |req: HttpRequest| async move {
        spec.run_http(
            &rt,
            req,
            200,
            |_| Ok(()),
            |ctx: ActionContext, _: ()| async move {
                Ok::<_, ApiError>(json!({ "user": ctx.user_id() }))
            },
        )
        .await
    })
}

#[derive(Default)]
struct Counters {
    guard_calls: AtomicU32,
    flaky_calls: AtomicU32,
    declared_calls: AtomicU32,
    failing_calls: AtomicU32,
    attempts_seen: std::sync::Mutex<Vec<u32>>,
}

struct Guards(Arc<Counters>);

impl CustomGuards for Guards {
    fn check<'a>(
        &'a self,
        name: &'a str,
        req: &'a GuardRequest<'a>,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            match name {
                "is_owner" => {
                    if req.headers.get("x-owner").and_then(|v| v.to_str().ok())
                        == req.session.map(|s| s.principal.user_id.as_str())
                    {
                        Ok(())
                    } else {
                        Err(ApiError::forbidden("Only the owner may do this."))
                    }
                }
                "counted" => {
                    self.0.guard_calls.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
                _ => Err(ApiError::forbidden("unknown guard")),
            }
        })
    }
}

fn routes(rt: &Runtime, counters: Arc<Counters>) -> Router {
    let login_rt = rt.clone();
    let logout_rt = rt.clone();
    let (c1, c2, c3) = (counters.clone(), counters.clone(), counters.clone());
    let (r1, r2, r3) = (rt.clone(), rt.clone(), rt.clone());
    Router::new()
        .route(
            "/login",
            post(move |req: HttpRequest| async move {
                LOGIN
                    .run_http(
                        &login_rt,
                        req,
                        200,
                        |r| r.json::<serde_json::Value>(),
                        |ctx: ActionContext, p: serde_json::Value| async move {
                            let user = p["user_id"].as_str().unwrap_or("nobody").to_owned();
                            ctx.sign_in(&user).await?;
                            Ok::<_, ApiError>(json!({ "ok": true }))
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
                        &logout_rt,
                        req,
                        204,
                        |_| Ok(()),
                        |ctx: ActionContext, _: ()| async move {
                            ctx.sign_out().await?;
                            Ok::<_, ApiError>(())
                        },
                    )
                    .await
            }),
        )
        .route("/me", who(rt, &ME))
        .route("/admin", who(rt, &ADMIN))
        .route("/read", who(rt, &READ_TASKS))
        .route("/limited-ip", who(rt, &LIMITED_IP))
        .route("/limited-user", who(rt, &LIMITED_USER))
        .route("/custom", who(rt, &CUSTOM))
        .route("/unregistered", who(rt, &UNREGISTERED))
        .route(
            "/flaky",
            post(move |req: HttpRequest| async move {
                FLAKY
                    .run_http(
                        &r1,
                        req,
                        200,
                        |_| Ok(()),
                        move |ctx: ActionContext, _: ()| {
                            let c = c1.clone();
                            async move {
                                c.attempts_seen.lock().unwrap().push(ctx.attempt);
                                let n = c.flaky_calls.fetch_add(1, Ordering::SeqCst) + 1;
                                if n < 3 {
                                    Err(ApiError::internal("transient"))
                                } else {
                                    Ok(json!({ "attempt": ctx.attempt }))
                                }
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
                        &r2,
                        req,
                        200,
                        |_| Ok(()),
                        move |_ctx: ActionContext, _: ()| {
                            let c = c2.clone();
                            async move {
                                c.declared_calls.fetch_add(1, Ordering::SeqCst);
                                Err::<(), _>(ApiError::new(409, "title_taken", "Title taken"))
                            }
                        },
                    )
                    .await
            }),
        )
        .route(
            "/always-fails",
            post(move |req: HttpRequest| async move {
                ALWAYS_FAILS
                    .run_http(
                        &r3,
                        req,
                        200,
                        |_| Ok(()),
                        move |_ctx: ActionContext, _: ()| {
                            let c = c3.clone();
                            async move {
                                c.failing_calls.fetch_add(1, Ordering::SeqCst);
                                Err::<(), _>(ApiError::internal("still broken"))
                            }
                        },
                    )
                    .await
            }),
        )
}

async fn setup_with(
    keys: Option<Vec<Vec<u8>>>,
) -> (Router, Runtime, Arc<Counters>, tempfile::TempDir) {
    let (rt, dir) = common::runtime_with(|c| {
        if let Some(k) = keys {
            c.session_keys = k;
        }
    })
    .await;
    let counters = Arc::new(Counters::default());
    rt.set_custom_guards(Arc::new(Guards(counters.clone())));
    let app = rt.app(routes(&rt, counters.clone()));
    (app, rt, counters, dir)
}

async fn setup() -> (Router, Runtime, Arc<Counters>, tempfile::TempDir) {
    setup_with(None).await
}

fn call(path: &str, cookie: Option<&str>) -> bunbase_runtime::axum::http::Request<Body> {
    let mut b = request("POST", path);
    if let Some(c) = cookie {
        b = b.header("cookie", format!("other=1; bunbase_session={c}"));
    }
    b.body(Body::empty()).unwrap()
}

/// Stores the principal's roles and permissions in the runtime's tables and
/// signs them in: the session cookie's value.
async fn cookie_for(rt: &Runtime, p: &Principal) -> String {
    for role in &p.roles {
        rt.auth().grant_role(&p.user_id, role).await.unwrap();
    }
    for perm in &p.permissions {
        rt.auth().grant_permission(&p.user_id, perm).await.unwrap();
    }
    common::login(rt, &p.user_id).await
}

#[tokio::test]
async fn login_sets_a_cookie_that_authenticates_and_logout_clears_it() {
    let (app, _rt, _c, _d) = setup().await;
    let r = send(
        &app,
        common::post_json("/login", &json!({ "user_id": "u1", "roles": ["admin"] })),
    )
    .await;
    assert_eq!(r.status, 200);
    let set = r.header("set-cookie").expect("set-cookie").to_owned();
    assert!(set.starts_with("bunbase_session="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Max-Age=604800"),
        "{set}"
    );
    let value = set
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("bunbase_session=")
        .to_owned();

    let r = send(&app, call("/me", Some(&value))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({ "user": "u1" }));

    let r = send(&app, call("/logout", Some(&value))).await;
    assert_eq!(r.status, 204);
    let cleared = r.header("set-cookie").expect("logout clears");
    assert!(
        cleared.starts_with("bunbase_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
}

#[tokio::test]
async fn missing_tampered_expired_or_garbage_cookies_are_401() {
    let (app, rt, _c, _d) = setup().await;
    let r = send(&app, call("/me", None)).await;
    assert_eq!(r.status, 401);
    r.envelope("unauthorized");

    let good = cookie_for(&rt, &Principal::new("u1")).await;
    // Flip one character of the payload.
    let mut bytes = good.clone().into_bytes();
    bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    assert_eq!(send(&app, call("/me", Some(&tampered))).await.status, 401);
    // Forge: another payload with the old signature.
    let (_, tag) = good.split_once('.').unwrap();
    let other = cookie_for(&rt, &Principal::new("admin"))
        .await
        .split_once('.')
        .unwrap()
        .0
        .to_owned();
    assert_eq!(
        send(&app, call("/me", Some(&format!("{other}.{tag}x"))))
            .await
            .status,
        401
    );

    let now = chrono::Utc::now().timestamp();
    // The live session's own id, signed with an expiry in the past.
    let live = rt.sessions().verify(&good).unwrap();
    let expired = rt.sessions().sign_session(&Session {
        issued_at: now - 100,
        expires_at: now - 1,
        ..live
    });
    let r = send(&app, call("/me", Some(&expired))).await;
    assert_eq!(r.status, 401);
    r.envelope("unauthorized");

    for garbage in ["", ".", "abc", "a.b.c", "%%%.%%%", "eyJ2IjoxfQ.AAAA"] {
        assert_eq!(
            send(&app, call("/me", Some(garbage))).await.status,
            401,
            "{garbage:?}"
        );
    }
    assert_eq!(send(&app, call("/me", Some(&good))).await.status, 200);
}

#[tokio::test]
async fn rotated_keys_still_verify_old_cookies() {
    let old = b"old-key-old-key-old-key-old-key-0123".to_vec();
    let new = b"new-key-new-key-new-key-new-key-4567".to_vec();
    // A session signed while `old` was the only key.
    let (app, rt, _c, dir) = setup_with(Some(vec![old.clone()])).await;
    let old_cookie = cookie_for(&rt, &Principal::new("u1")).await;
    assert_eq!(send(&app, call("/me", Some(&old_cookie))).await.status, 200);
    let url = rt.config().database_url.clone();
    drop((app, rt));

    // Rotated: `new` signs, `old` still verifies.
    let (rt, _d) = common::runtime_with(|c| {
        c.database_url = url.clone();
        c.session_keys = vec![new.clone(), old.clone()];
    })
    .await;
    let app = rt.app(Router::new().route("/me", who(&rt, &ME)));
    assert_eq!(
        send(&app, call("/me", Some(&old_cookie))).await.status,
        200,
        "old key still verifies"
    );
    // New cookies are signed with the new (first) key.
    let fresh = common::login(&rt, "u2").await;
    assert!(
        SessionManager::new(vec![new.clone()])
            .unwrap()
            .verify(&fresh)
            .is_some()
    );
    assert!(
        SessionManager::new(vec![old.clone()])
            .unwrap()
            .verify(&fresh)
            .is_none()
    );
    drop((app, rt));

    // Retired: only `new` is left, and the old cookie's live session no
    // longer authenticates.
    let (rt, _d) = common::runtime_with(|c| {
        c.database_url = url.clone();
        c.session_keys = vec![new];
    })
    .await;
    let app = rt.app(Router::new().route("/me", who(&rt, &ME)));
    assert_eq!(
        send(&app, call("/me", Some(&old_cookie))).await.status,
        401,
        "retired key no longer verifies"
    );
    assert_eq!(send(&app, call("/me", Some(&fresh))).await.status, 200);
    drop(dir);
}

#[tokio::test]
async fn roles_and_permissions_with_wildcards() {
    let (app, rt, _c, _d) = setup().await;
    let plain = cookie_for(&rt, &Principal::new("u1")).await;
    let admin = cookie_for(&rt, &Principal::new("u2").with_role("admin")).await;
    assert_eq!(send(&app, call("/admin", None)).await.status, 401);
    let r = send(&app, call("/admin", Some(&plain))).await;
    assert_eq!(r.status, 403);
    r.envelope("forbidden");
    assert_eq!(send(&app, call("/admin", Some(&admin))).await.status, 200);

    for (granted, ok) in [
        ("tasks:read", true),
        ("tasks:*", true),
        ("*:read", true),
        ("*:*", true),
        ("tasks:write", false),
        ("notes:*", false),
        ("*:write", false),
    ] {
        let c = cookie_for(
            &rt,
            &Principal::new(format!("u3-{granted}")).with_permission(granted),
        )
        .await;
        let status = send(&app, call("/read", Some(&c))).await.status;
        assert_eq!(status, if ok { 200 } else { 403 }, "granted {granted}");
    }
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let (app, rt, _c, _d) = setup().await;
    assert_eq!(send(&app, call("/limited-ip", None)).await.status, 200);
    assert_eq!(send(&app, call("/limited-ip", None)).await.status, 200);
    let r = send(&app, call("/limited-ip", None)).await;
    assert_eq!(r.status, 429);
    r.envelope("rate_limited");
    let retry: u64 = r
        .header("retry-after")
        .expect("retry-after")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");

    // Per user: each user has their own budget.
    let a = cookie_for(&rt, &Principal::new("a")).await;
    let b = cookie_for(&rt, &Principal::new("b")).await;
    assert_eq!(
        send(&app, call("/limited-user", Some(&a))).await.status,
        200
    );
    assert_eq!(
        send(&app, call("/limited-user", Some(&a))).await.status,
        429
    );
    assert_eq!(
        send(&app, call("/limited-user", Some(&b))).await.status,
        200
    );
}

#[tokio::test]
async fn custom_guards_run_through_the_registered_implementation() {
    let (app, rt, _c, _d) = setup().await;
    let c = cookie_for(&rt, &Principal::new("u1")).await;
    let mut req = call("/custom", Some(&c));
    req.headers_mut().insert("x-owner", "u1".parse().unwrap());
    assert_eq!(send(&app, req).await.status, 200);
    let mut req = call("/custom", Some(&c));
    req.headers_mut().insert("x-owner", "u2".parse().unwrap());
    assert_eq!(send(&app, req).await.status, 403);
    // Module/action order: authentication answers before the custom guard.
    assert_eq!(send(&app, call("/custom", None)).await.status, 401);
    // A custom guard name nobody handles denies.
    assert_eq!(send(&app, call("/unregistered", None)).await.status, 403);
}

#[tokio::test]
async fn custom_guards_without_registration_deny() {
    let (rt, _d) = common::runtime().await;
    let app = rt.app(Router::new().route("/custom", who(&rt, &CUSTOM)));
    let c = cookie_for(&rt, &Principal::new("u1")).await;
    let r = send(&app, call("/custom", Some(&c))).await;
    assert_eq!(r.status, 403);
    r.envelope("forbidden");
}

#[tokio::test]
async fn internal_errors_retry_with_attempt_numbers_and_guards_run_once() {
    let (app, _rt, c, _d) = setup().await;
    let r = send(&app, call("/flaky", None)).await;
    assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json(), json!({ "attempt": 3 }));
    assert_eq!(c.flaky_calls.load(Ordering::SeqCst), 3);
    assert_eq!(*c.attempts_seen.lock().unwrap(), vec![1, 2, 3]);
    assert_eq!(
        c.guard_calls.load(Ordering::SeqCst),
        1,
        "guards run once per invocation"
    );
}

#[tokio::test]
async fn declared_errors_never_retry_and_exhausted_retries_answer_500() {
    let (app, _rt, c, _d) = setup().await;
    let r = send(&app, call("/declared", None)).await;
    assert_eq!(r.status, 409);
    r.envelope("title_taken");
    assert_eq!(c.declared_calls.load(Ordering::SeqCst), 1);

    let r = send(&app, call("/always-fails", None)).await;
    assert_eq!(r.status, 500);
    r.envelope("internal");
    assert_eq!(
        c.failing_calls.load(Ordering::SeqCst),
        4,
        "attempts include the first"
    );
}

#[tokio::test]
async fn guards_answer_before_input_is_decoded() {
    let (app, _rt, _c, _d) = setup().await;
    let req = request("POST", "/me")
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    assert_eq!(send(&app, req).await.status, 401);
}

#[test]
fn backoff_is_exponential_or_fixed_and_capped() {
    let exp = RetryPolicy {
        attempts: 5,
        backoff: Backoff::Exponential,
        base_ms: 100,
        max_ms: 350,
    };
    let ms: Vec<u128> = (1..=4).map(|n| exp.delay_after(n).as_millis()).collect();
    assert_eq!(ms, vec![100, 200, 350, 350]);
    let fixed = RetryPolicy {
        attempts: 5,
        backoff: Backoff::Fixed,
        base_ms: 100,
        max_ms: 50,
    };
    assert_eq!(fixed.delay_after(1).as_millis(), 50);
    assert_eq!(fixed.delay_after(3).as_millis(), 50);
    let huge = RetryPolicy {
        attempts: 100,
        backoff: Backoff::Exponential,
        base_ms: 1000,
        max_ms: 30_000,
    };
    assert_eq!(huge.delay_after(90).as_millis(), 30_000, "no overflow");
}

#[tokio::test]
async fn per_ip_limits_use_the_forwarded_address_only_behind_a_trusted_proxy() {
    let (rt, _d) = common::runtime_with(|c| c.trust_proxy = true).await;
    let app = rt.app(Router::new().route("/limited-ip", who(&rt, &LIMITED_IP)));
    let from = |ip: &str| {
        request("POST", "/limited-ip")
            .header("x-forwarded-for", format!("{ip}, 10.0.0.1"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send(&app, from("1.1.1.1")).await.status, 200);
    assert_eq!(send(&app, from("1.1.1.1")).await.status, 200);
    assert_eq!(send(&app, from("1.1.1.1")).await.status, 429);
    assert_eq!(
        send(&app, from("2.2.2.2")).await.status,
        200,
        "another client has its own budget"
    );

    // Without TRUST_PROXY the header is ignored: every request shares one key here.
    let (rt, _d) = common::runtime().await;
    let app = rt.app(Router::new().route("/limited-ip", who(&rt, &LIMITED_IP)));
    for (ip, status) in [("1.1.1.1", 200), ("2.2.2.2", 200), ("3.3.3.3", 429)] {
        assert_eq!(send(&app, from(ip)).await.status, status, "{ip}");
    }
}
