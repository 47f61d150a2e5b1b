//! Rate limits shared by two runtimes through Redis (`BUNBASE_TEST_REDIS_URL`), and the `RateLimit-*` headers.

mod common;

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::body::Body;
use bunbase_runtime::axum::routing::post;
use bunbase_runtime::{
    ActionContext, ActionSpec, ApiError, GuardSpec, HttpRequest, RateLimitKey, RetryPolicy, Runtime,
};
use common::{TestDb, request, send};

static LIMITED: ActionSpec = ActionSpec {
    name: "limited",
    guards: &[GuardSpec::RateLimit {
        limit: 3,
        window_ms: 60_000,
        key: RateLimitKey::Ip,
    }],
    retry: RetryPolicy::NONE,
};

fn app(rt: &Runtime) -> Router {
    let r = rt.clone();
    rt.app(Router::new().route(
        "/limited",
        post(move |req: HttpRequest| async move {
            LIMITED
                .run_http(
                    &r,
                    req,
                    200,
                    |_| Ok(()),
                    |_ctx: ActionContext, _: ()| async { Ok::<_, ApiError>(()) },
                )
                .await
        }),
    ))
}

fn call() -> bunbase_runtime::axum::http::Request<Body> {
    request("POST", "/limited").body(Body::empty()).unwrap()
}

#[tokio::test]
async fn rate_limit_headers_count_down_and_429_says_when_to_retry() {
    let db = TestDb::sqlite();
    let rt = db.runtime(|_| {}).await;
    let app = app(&rt);
    for left in ["2", "1", "0"] {
        let r = send(&app, call()).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("ratelimit-limit"), Some("3"));
        assert_eq!(r.header("ratelimit-remaining"), Some(left));
        assert_eq!(r.header("ratelimit-policy"), Some("3;w=60"));
        let reset: u64 = r.header("ratelimit-reset").unwrap().parse().unwrap();
        assert!((1..=60).contains(&reset), "{reset}");
    }
    let r = send(&app, call()).await;
    assert_eq!(r.status, 429);
    r.envelope("rate_limited");
    assert_eq!(r.header("ratelimit-remaining"), Some("0"));
    assert!(r.header("retry-after").is_some());
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn two_runtimes_share_one_limit_through_redis() {
    let Some(url) = std::env::var("BUNBASE_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        common::skip(
            "two_runtimes_share_one_limit_through_redis",
            "BUNBASE_TEST_REDIS_URL is not set",
        );
        return;
    };
    // A unique application name keeps this test's keys apart from anyone
    // else's on the shared Redis.
    let name = format!("rl_{}", uuid::Uuid::new_v4().simple());
    let (db_a, db_b) = (TestDb::sqlite(), TestDb::sqlite());
    let setup = |c: &mut bunbase_runtime::Config| {
        c.app_name = name.clone();
        c.rate_limit_redis_url = Some(url.clone());
    };
    let a = db_a.runtime(setup).await;
    let b = db_b.runtime(setup).await;
    let (app_a, app_b) = (app(&a), app(&b));
    // Three calls spread over both instances use up the one budget.
    assert_eq!(send(&app_a, call()).await.status, 200);
    assert_eq!(send(&app_b, call()).await.status, 200);
    let r = send(&app_a, call()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("ratelimit-remaining"), Some("0"));
    for app in [&app_b, &app_a] {
        let r = send(app, call()).await;
        assert_eq!(r.status, 429, "the limit is shared, not doubled");
        assert!(r.header("retry-after").is_some());
    }
    // Each runtime alone (in memory) would have allowed three more.
    let c = db_a.runtime(|_| {}).await;
    assert_eq!(send(&app(&c), call()).await.status, 200);
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn an_unreachable_redis_stops_the_runtime_with_a_clear_error() {
    let db = TestDb::sqlite();
    let mut config = bunbase_runtime::Config::for_test("test_app");
    config.database_url = db.url.clone();
    config.rate_limit_redis_url = Some("redis://127.0.0.1:1".into());
    let err = Runtime::start(config).await.expect_err("no Redis there");
    assert!(err.to_string().contains("RATE_LIMIT_REDIS_URL"), "{err}");
}

/// Two runtimes on one database share the limit through `bunbase_rate_limits`.
async fn database_limiter_suite(db: TestDb) {
    let a = db.runtime(|c| c.rate_limit_database = true).await;
    let b = db.runtime(|c| c.rate_limit_database = true).await;
    let (app_a, app_b) = (app(&a), app(&b));
    assert_eq!(send(&app_a, call()).await.status, 200);
    let r = send(&app_b, call()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("ratelimit-remaining"), Some("1"));
    assert_eq!(send(&app_a, call()).await.status, 200);
    for app in [&app_b, &app_a] {
        let r = send(app, call()).await;
        assert_eq!(r.status, 429, "the limit is shared, not doubled");
        r.envelope("rate_limited");
    }
    drop((app_a, app_b));
    a.shutdown().await;
    b.shutdown().await;
    db.drop_db().await;
}

#[tokio::test]
async fn sqlite_database_limiter_is_shared() {
    database_limiter_suite(TestDb::sqlite()).await;
}

#[tokio::test]
async fn postgres_database_limiter_is_shared() {
    if let Some(db) = TestDb::postgres("postgres_database_limiter_is_shared").await {
        database_limiter_suite(db).await;
    }
}
