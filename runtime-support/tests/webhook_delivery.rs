//! Webhook deliveries beyond verification: the start-up refusal without a usable secret, queued deliveries, guards on webhook actions, and the delivery store on SQLite and PostgreSQL.

mod common;
mod webhook_support;

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

use bunbase_runtime::axum::body::Body;
use bunbase_runtime::config::SecretSource;
use bunbase_runtime::futures::future::BoxFuture;
use bunbase_runtime::sqlx::PgPool;
use bunbase_runtime::webhooks::{
    self, Claim, DeliveryStore, Mode, PgDeliveries, Scheme, SqliteDeliveries, WebhookJob,
    WebhookQueue, WebhookSpec,
};
use bunbase_runtime::{ActionContext, ApiError, http::decode_value};
use serde_json::{Value, json};
use webhook_support::{Harness, Kind, RECEIVE, drop_pg, fresh_pg, now, post};

#[tokio::test]
async fn a_missing_secret_stops_the_server_and_the_route_accepts_nothing() {
    let err = match Harness::start(Kind::Stripe, Mode::Sync, None).await {
        Ok(_) => panic!("the server must not start without its webhook secret"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("HOOK_SECRET") && err.contains("/hooks/stripe"),
        "the message names the variable and the webhook: {err}"
    );

    // Mounted anyway (without `Server::bind`), it refuses every delivery.
    let (rt, _dir) = common::runtime().await;
    let spec: &'static WebhookSpec = Box::leak(Box::new(WebhookSpec {
        action: &RECEIVE,
        path: "/hooks/unset",
        secret_env: "UNSET_SECRET",
        scheme: Kind::Github.scheme(),
        mode: Mode::Sync,
        body_limit: None,
    }));
    let app = rt.app(webhooks::route(
        &rt,
        spec,
        decode_value::<Value>,
        |_c: ActionContext, v: Value| async move { Ok::<_, ApiError>(v) },
    ));
    let reply = common::send(
        &app,
        common::request("POST", "/hooks/unset")
            .header("x-hub-signature-256", "sha256=00")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, 503);
    reply.envelope("unavailable");
    assert!(webhooks::check(&rt).is_err());
}

#[tokio::test]
async fn a_path_axum_cannot_mount_is_a_start_up_error_not_a_panic() {
    let (rt, _dir) = common::runtime_with(|c| {
        c.secrets = SecretSource::from_pairs([("HOOK_SECRET", "s")]);
    })
    .await;
    static RELATIVE: WebhookSpec = WebhookSpec {
        action: &RECEIVE,
        path: "hooks/{id}",
        secret_env: "HOOK_SECRET",
        scheme: Scheme::StandardWebhooks {
            tolerance_secs: 300,
        },
        mode: Mode::Sync,
        body_limit: None,
    };
    let _ = webhooks::route(
        &rt,
        &RELATIVE,
        decode_value::<Value>,
        |_c: ActionContext, v: Value| async move { Ok::<_, ApiError>(v) },
    );
    let err = webhooks::check(&rt).expect_err("refused").to_string();
    assert!(err.contains("hooks/{id}"), "{err}");
}

#[tokio::test]
async fn an_unusable_standard_webhooks_secret_stops_the_server() {
    let err = Harness::start(Kind::Standard, Mode::Sync, Some("whsec_***".into()))
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("HOOK_SECRET") && err.contains("base64"),
        "{err}"
    );
}

/// A queue that keeps jobs in memory, once per unique key.
#[derive(Default)]
struct MemoryQueue(Mutex<Vec<WebhookJob>>);

impl WebhookQueue for MemoryQueue {
    fn enqueue(&self, job: WebhookJob) -> BoxFuture<'_, Result<(), ApiError>> {
        Box::pin(async move {
            let mut jobs = self.0.lock().unwrap();
            if !jobs.iter().any(|j| j.unique_key == job.unique_key) {
                jobs.push(job);
            }
            Ok(())
        })
    }
}

#[tokio::test]
async fn queued_webhooks_enqueue_once_per_delivery_and_need_a_queue() {
    let (old, new) = Kind::Standard.secrets();
    let err = Harness::start(
        Kind::Standard,
        Mode::Queue {
            job_kind: "receive@webhook",
        },
        Some(new.clone()),
    )
    .await
    .err()
    .expect("no queue registered: refused")
    .to_string();
    assert!(err.contains("set_queue"), "{err}");

    // With a queue: registered before serving.
    let (rt, dir) = common::runtime_with(|c| {
        c.secrets = SecretSource::from_pairs([("HOOK_SECRET", format!("{old},{new}"))]);
    })
    .await;
    let queue = Arc::new(MemoryQueue::default());
    webhooks::set_queue(&rt, queue.clone());
    static QUEUED: WebhookSpec = WebhookSpec {
        action: &RECEIVE,
        path: "/hooks/queued",
        secret_env: "HOOK_SECRET",
        scheme: Scheme::StandardWebhooks {
            tolerance_secs: 300,
        },
        mode: Mode::Queue {
            job_kind: "receive@webhook",
        },
        body_limit: None,
    };
    let routes = webhooks::route(
        &rt,
        &QUEUED,
        decode_value::<Value>,
        |_c: ActionContext, v: Value| async move { Ok::<_, ApiError>(v) },
    );
    let h = Harness::serve(rt, routes, Arc::new(AtomicUsize::new(0)), dir)
        .await
        .expect("starts with a queue");
    let body = br#"{"kind":"invoice.paid"}"#;
    let signed = Kind::Standard.sign(&new, body, "msg_q1", now());
    let first = post(h.addr, "/hooks/queued", &signed, body).await;
    assert_eq!(
        first.status,
        202,
        "{:?}",
        String::from_utf8_lossy(&first.body)
    );
    assert_eq!(
        first.json(),
        json!({ "enqueued": true, "delivery_id": "msg_q1" })
    );
    let r = post(h.addr, "/hooks/queued", &signed, body).await;
    assert_eq!(r.json()["duplicate"], true);
    let jobs = queue.0.lock().unwrap().clone();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].action, "hooks.receive");
    assert_eq!(jobs[0].unique_key, "webhook:/hooks/queued:msg_q1");
    assert_eq!(jobs[0].payload, json!({ "kind": "invoice.paid" }));
    assert_eq!(
        Some(jobs[0].trace_id.as_str()),
        first.header("x-request-id"),
        "the job carries the delivery's trace id"
    );
    assert_eq!(
        h.recorded(None).await,
        1,
        "the accepted delivery is recorded"
    );
}

/// The delivery store's contract, for every backend.
async fn store_suite(store: &dyn DeliveryStore) {
    store.ensure_schema().await.expect("schema");
    store
        .ensure_schema()
        .await
        .expect("schema twice is a no-op");
    let w = "/hooks/store";
    assert_eq!(store.claim(w, "a", 1_000, 0).await.unwrap(), Claim::New);
    assert_eq!(
        store.claim(w, "a", 1_001, 0).await.unwrap(),
        Claim::InProgress
    );
    assert_eq!(
        store.claim("/other", "a", 1_001, 0).await.unwrap(),
        Claim::New,
        "ids are per webhook"
    );
    store.complete(w, "a", 1_002).await.unwrap();
    assert_eq!(
        store.claim(w, "a", 1_003, 0).await.unwrap(),
        Claim::Duplicate
    );
    // A failed run's id is released and can run again.
    assert_eq!(store.claim(w, "b", 2_000, 0).await.unwrap(), Claim::New);
    store.release(w, "b").await.unwrap();
    assert_eq!(store.claim(w, "b", 2_001, 0).await.unwrap(), Claim::New);
    // A claim left `processing` past its lease (a dead server) is taken over.
    assert_eq!(store.claim(w, "b", 9_000, 5_000).await.unwrap(), Claim::New);
    // Pruning drops what was received before the cut-off.
    assert_eq!(store.prune(1_500).await.unwrap(), 2, "`a` on both webhooks");
    assert_eq!(store.claim(w, "a", 10_000, 0).await.unwrap(), Claim::New);
}

#[tokio::test]
async fn delivery_store_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/d.db?mode=rwc", dir.path().display());
    let pool = bunbase_runtime::sqlx::SqlitePool::connect(&url)
        .await
        .unwrap();
    store_suite(&SqliteDeliveries(pool)).await;
}

#[tokio::test]
async fn delivery_store_on_postgres() {
    let Some((admin, url)) = fresh_pg("delivery_store_on_postgres").await else {
        return;
    };
    let pool = PgPool::connect(&url).await.expect("connect test db");
    store_suite(&PgDeliveries(pool.clone())).await;
    pool.close().await;
    drop_pg(&admin, &url).await;
}

#[tokio::test]
async fn a_webhook_action_runs_its_guards() {
    static LIMITED: bunbase_runtime::ActionSpec = bunbase_runtime::ActionSpec {
        name: "hooks.receive",
        guards: &[bunbase_runtime::GuardSpec::RateLimit {
            limit: 2,
            window_ms: 60_000,
            key: bunbase_runtime::RateLimitKey::Ip,
        }],
        retry: bunbase_runtime::RetryPolicy::NONE,
    };
    let (_, secret) = Kind::Github.secrets();
    let h = Harness::start_action(
        Kind::Github,
        Mode::Sync,
        Some(secret.clone()),
        None,
        &LIMITED,
    )
    .await
    .expect("starts");
    let mut statuses = Vec::new();
    for n in 0..3 {
        let body = format!(r#"{{"n":{n}}}"#);
        let signed = Kind::Github.sign(&secret, body.as_bytes(), &format!("d-{n}"), now());
        let r = post(h.addr, "/hooks/github", &signed, body.as_bytes()).await;
        statuses.push(r.status);
        if r.status == 429 {
            assert_eq!(r.json()["error"]["code"], "rate_limited");
        }
    }
    assert_eq!(
        statuses,
        [200, 200, 429],
        "the per-IP limit of 2 applies to deliveries"
    );
    assert_eq!(h.runs(), 2);
    assert_eq!(h.recorded(Some("rate_limited")).await, 1);
}
