//! Inbound webhooks over real HTTP, for each scheme: valid, tampered body, wrong secret, rotated secret, stale timestamp, replayed id, missing headers, oversized body; plus queued deliveries, start-up refusal and the delivery store on SQLite and PostgreSQL.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::body::Body;
use bunbase_runtime::config::SecretSource;
use bunbase_runtime::futures::future::BoxFuture;
use bunbase_runtime::sqlx::{AssertSqlSafe, PgPool, raw_sql};
use bunbase_runtime::webhooks::{
    self, Claim, DeliveryStore, Encoding, Mode, PgDeliveries, Scheme, SqliteDeliveries, WebhookJob,
    WebhookQueue, WebhookSpec,
};
use bunbase_runtime::{ActionContext, ActionSpec, ApiError, Runtime, Server, http::decode_value};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

static RECEIVE: ActionSpec = ActionSpec {
    name: "hooks.receive",
    guards: &[],
    retry: bunbase_runtime::RetryPolicy::NONE,
};

/// The three schemes, as providers configure them.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// GitHub: `x-hub-signature-256: sha256=<hex>`, `x-github-delivery`.
    Github,
    /// Shopify-like: base64 signature, no prefix, no id header.
    Base64,
    /// Stripe: `stripe-signature: t=…,v1=…`.
    Stripe,
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    Standard,
}

impl Kind {
    fn scheme(self) -> Scheme {
        match self {
            Kind::Github => Scheme::HmacSha256 {
                header: "x-hub-signature-256",
                prefix: "sha256=",
                encoding: Encoding::Hex,
                id_header: Some("x-github-delivery"),
            },
            Kind::Base64 => Scheme::HmacSha256 {
                header: "x-signature",
                prefix: "",
                encoding: Encoding::Base64,
                id_header: None,
            },
            Kind::Stripe => Scheme::Stripe {
                header: "stripe-signature",
                tolerance_secs: webhooks::DEFAULT_TOLERANCE_SECS,
            },
            Kind::Standard => Scheme::StandardWebhooks {
                tolerance_secs: webhooks::DEFAULT_TOLERANCE_SECS,
            },
        }
    }

    /// Two secrets in the form the provider hands them out.
    fn secrets(self) -> (String, String) {
        match self {
            Kind::Standard => (
                format!("whsec_{}", STANDARD.encode(b"old-key-0123456789")),
                format!("whsec_{}", STANDARD.encode(b"new-key-9876543210")),
            ),
            Kind::Stripe => ("whsec_old".into(), "whsec_new".into()),
            _ => ("old-secret".into(), "new-secret".into()),
        }
    }

    /// The headers a provider sends for `body` signed with `secret`.
    fn sign(self, secret: &str, body: &[u8], id: &str, ts: i64) -> Vec<(String, String)> {
        let mac = |key: &[u8], parts: &[&[u8]]| {
            let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        };
        let hex = |b: Vec<u8>| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        match self {
            Kind::Github => vec![
                (
                    "x-hub-signature-256".into(),
                    format!("sha256={}", hex(mac(secret.as_bytes(), &[body]))),
                ),
                ("x-github-delivery".into(), id.into()),
            ],
            Kind::Base64 => vec![(
                "x-signature".into(),
                STANDARD.encode(mac(secret.as_bytes(), &[body])),
            )],
            Kind::Stripe => {
                let t = ts.to_string();
                let sig = hex(mac(secret.as_bytes(), &[t.as_bytes(), b".", body]));
                vec![("stripe-signature".into(), format!("t={t},v1={sig}"))]
            }
            Kind::Standard => {
                let key = STANDARD
                    .decode(secret.strip_prefix("whsec_").unwrap())
                    .unwrap();
                let t = ts.to_string();
                let sig = mac(&key, &[id.as_bytes(), b".", t.as_bytes(), b".", body]);
                vec![
                    ("webhook-id".into(), id.into()),
                    ("webhook-timestamp".into(), t),
                    (
                        "webhook-signature".into(),
                        format!("v1,{}", STANDARD.encode(sig)),
                    ),
                ]
            }
        }
    }

    fn has_timestamp(self) -> bool {
        matches!(self, Kind::Stripe | Kind::Standard)
    }

    /// Whether a delivery's id comes from a header (else from the body).
    fn id_in_header(self) -> bool {
        matches!(self, Kind::Github | Kind::Standard)
    }
}

fn now() -> i64 {
    bunbase_runtime::chrono::Utc::now().timestamp()
}

/// A response read to the end.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    /// Asserts a 401 envelope with `details.reason` = `reason`.
    fn refused(&self, reason: &str) {
        assert_eq!(
            self.status,
            401,
            "{:?}",
            String::from_utf8_lossy(&self.body)
        );
        let v = self.json();
        assert_eq!(v["error"]["code"], "unauthorized", "{v}");
        assert_eq!(v["error"]["details"]["reason"], reason, "{v}");
        assert!(!v["error"]["trace_id"].as_str().unwrap().is_empty());
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 POST over TCP (`connection: close`), read to the end.
async fn post(addr: SocketAddr, path: &str, headers: &[(String, String)], body: &[u8]) -> Reply {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.expect("write head");
    // A server may answer 413 before reading everything: ignore a reset.
    let _ = s.write_all(body).await;
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw).await;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16)
            .expect("chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}

/// A running server with one webhook of `kind` at `/hooks/<kind>`, whose
/// handler counts its runs and fails on `{"fail": true}`.
struct Harness {
    addr: SocketAddr,
    rt: Runtime,
    runs: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Harness {
    async fn start(
        kind: Kind,
        mode: Mode,
        secret_env_value: Option<String>,
    ) -> Result<Harness, bunbase_runtime::Error> {
        Self::start_on(kind, mode, secret_env_value, None).await
    }

    /// [`Harness::start`] on the database at `url` (default: an SQLite file).
    async fn start_on(
        kind: Kind,
        mode: Mode,
        secret_env_value: Option<String>,
        url: Option<String>,
    ) -> Result<Harness, bunbase_runtime::Error> {
        let path: &'static str =
            Box::leak(format!("/hooks/{kind:?}").to_lowercase().into_boxed_str());
        let spec: &'static WebhookSpec = Box::leak(Box::new(WebhookSpec {
            action: &RECEIVE,
            path,
            secret_env: "HOOK_SECRET",
            scheme: kind.scheme(),
            mode,
            body_limit: Some(512),
        }));
        let (rt, dir) = common::runtime_with(|c| {
            c.secrets = SecretSource::from_pairs(secret_env_value.map(|v| ("HOOK_SECRET", v)));
            if let Some(url) = url {
                c.database_url = url;
            }
        })
        .await;
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = runs.clone();
        let routes = webhooks::route(
            &rt,
            spec,
            decode_value::<Value>,
            move |_ctx: ActionContext, input: Value| {
                let counter = counter.clone();
                async move {
                    if input["fail"] == json!(true) {
                        return Err(ApiError::new(
                            422,
                            "refused_by_handler",
                            "The handler refused.",
                        ));
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, ApiError>(json!({ "received": input }))
                }
            },
        );
        Self::serve(rt, routes, runs, dir).await
    }

    async fn serve(
        rt: Runtime,
        routes: Router,
        runs: Arc<AtomicUsize>,
        dir: tempfile::TempDir,
    ) -> Result<Harness, bunbase_runtime::Error> {
        let server = Server::bind(rt.clone(), routes).await?;
        let addr = server.local_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.run_until(async {
            let _ = rx.await;
        }));
        Ok(Harness {
            addr,
            rt,
            runs,
            stop: Some(tx),
            _dir: dir,
        })
    }

    fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }

    /// `bunbase_runs` rows of `hooks.receive` with trigger `webhook` and `error_code`.
    async fn recorded(&self, error_code: Option<&str>) -> i64 {
        self.rt.runs().flush().await;
        let codes: Vec<Option<String>> = bunbase_runtime::with_pool!(self.rt.db(), pool => {
            bunbase_runtime::sqlx::query_scalar(
                "SELECT error_code FROM bunbase_runs WHERE action = 'hooks.receive' AND trigger_kind = 'webhook'",
            )
            .fetch_all(pool)
            .await
            .expect("read runs")
        });
        codes.iter().filter(|c| c.as_deref() == error_code).count() as i64
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// The whole list of cases for one scheme, over HTTP.
async fn scheme_suite(kind: Kind) {
    scheme_suite_on(kind, None).await;
}

/// [`scheme_suite`] on the database at `url`.
async fn scheme_suite_on(kind: Kind, url: Option<String>) {
    let (old, new) = kind.secrets();
    let h = Harness::start_on(kind, Mode::Sync, Some(format!("{old}, {new}")), url)
        .await
        .expect("server starts");
    let path = format!("/hooks/{kind:?}").to_lowercase();
    let body = br#"{"event":"paid","n":1}"#;

    // Valid, under the newest secret: the handler runs once and its output answers.
    let valid = kind.sign(&new, body, "msg_1", now());
    let r = post(h.addr, &path, &valid, body).await;
    assert_eq!(
        r.status,
        200,
        "{kind:?}: {:?}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.json(), json!({ "received": { "event": "paid", "n": 1 } }));
    assert!(r.header("x-request-id").is_some());
    assert_eq!(h.runs(), 1);

    // Replayed: the same delivery again is acknowledged, not run again.
    let r = post(h.addr, &path, &valid, body).await;
    assert_eq!(r.status, 200, "{kind:?}");
    assert_eq!(r.json()["duplicate"], true, "{kind:?}");
    assert_eq!(h.runs(), 1, "{kind:?}: a replay must not run the action");
    if kind.id_in_header() {
        // The same id with another body, freshly signed, is the same delivery.
        let other = br#"{"event":"paid","n":2}"#;
        let r = post(
            h.addr,
            &path,
            &kind.sign(&new, other, "msg_1", now()),
            other,
        )
        .await;
        assert_eq!(r.json()["duplicate"], true, "{kind:?}");
        assert_eq!(h.runs(), 1);
    }

    // Rotated: a delivery signed with the older secret still verifies.
    let body2 = br#"{"event":"paid","n":3}"#;
    let r = post(
        h.addr,
        &path,
        &kind.sign(&old, body2, "msg_2", now()),
        body2,
    )
    .await;
    assert_eq!(
        r.status,
        200,
        "{kind:?}: {:?}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(h.runs(), 2);

    // Tampered: signed for one body, sent with another.
    let tampered = br#"{"event":"paid","n":9}"#;
    post(
        h.addr,
        &path,
        &kind.sign(&new, body2, "msg_3", now()),
        tampered,
    )
    .await
    .refused("signature_mismatch");

    // Wrong secret.
    let wrong = match kind {
        Kind::Standard => format!("whsec_{}", STANDARD.encode(b"not-the-key-at-all")),
        _ => "not-the-secret".to_owned(),
    };
    let body4 = br#"{"event":"paid","n":4}"#;
    post(
        h.addr,
        &path,
        &kind.sign(&wrong, body4, "msg_4", now()),
        body4,
    )
    .await
    .refused("signature_mismatch");

    // Stale: a genuine signature an hour old (schemes with a timestamp).
    if kind.has_timestamp() {
        let body5 = br#"{"event":"paid","n":5}"#;
        post(
            h.addr,
            &path,
            &kind.sign(&new, body5, "msg_5", now() - 3600),
            body5,
        )
        .await
        .refused("stale_timestamp");
    }

    // Missing headers: nothing signed at all, and a signature without its id.
    post(h.addr, &path, &[], body4)
        .await
        .refused("missing_header");
    if kind == Kind::Standard {
        let mut no_id = kind.sign(&new, body4, "msg_6", now());
        no_id.retain(|(k, _)| k != "webhook-id");
        post(h.addr, &path, &no_id, body4)
            .await
            .refused("missing_header");
    }

    // Oversized: over this webhook's 512-byte limit, even when signed.
    let big = format!(r#"{{"pad":"{}"}}"#, "x".repeat(600));
    let r = post(
        h.addr,
        &path,
        &kind.sign(&new, big.as_bytes(), "msg_7", now()),
        big.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 413, "{kind:?}");
    assert_eq!(r.json()["error"]["code"], "payload_too_large");

    // Signed but not JSON: refused after verification, the handler never runs.
    let r = post(
        h.addr,
        &path,
        &kind.sign(&new, b"{nope", "msg_8", now()),
        b"{nope",
    )
    .await;
    assert_eq!(r.status, 400, "{kind:?}");
    assert_eq!(r.json()["error"]["code"], "malformed_json");

    // A failed run releases its id: the provider's retry runs again.
    let failing = br#"{"fail":true}"#;
    let signed = kind.sign(&new, failing, "msg_9", now());
    let r = post(h.addr, &path, &signed, failing).await;
    assert_eq!(r.status, 422, "{kind:?}");
    assert_eq!(r.json()["error"]["code"], "refused_by_handler");
    let r = post(h.addr, &path, &signed, failing).await;
    assert_eq!(
        r.status, 422,
        "{kind:?}: the retry ran, it was not a duplicate"
    );
    assert_eq!(h.runs(), 2);

    // Every refusal is a run of the action with trigger `webhook`.
    let refusals = if kind.has_timestamp() { 4 } else { 3 } + usize::from(kind == Kind::Standard);
    assert_eq!(
        h.recorded(Some("unauthorized")).await,
        refusals as i64,
        "{kind:?}"
    );
    assert_eq!(h.recorded(Some("payload_too_large")).await, 1);
    assert_eq!(
        h.recorded(None).await,
        2,
        "{kind:?}: the two successful runs"
    );
}

#[tokio::test]
async fn github_style_hmac_hex_over_http() {
    scheme_suite(Kind::Github).await;
}

#[tokio::test]
async fn base64_hmac_without_id_header_over_http() {
    scheme_suite(Kind::Base64).await;
}

#[tokio::test]
async fn stripe_over_http() {
    scheme_suite(Kind::Stripe).await;
}

#[tokio::test]
async fn standard_webhooks_over_http() {
    scheme_suite(Kind::Standard).await;
}

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
    let err = Harness::start(Kind::Standard, Mode::Queue, Some(new.clone()))
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
        mode: Mode::Queue,
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

/// A fresh PostgreSQL database: the admin URL and the database's URL
/// (drop it with [`drop_pg`]); `None` after a loud skip when
/// `BUNBASE_TEST_POSTGRES_URL` is unset (a failure under `CI=true`).
async fn fresh_pg(test: &str) -> Option<(String, String)> {
    let Some(admin_url) = std::env::var("BUNBASE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        let msg = format!("SKIPPED {test}: BUNBASE_TEST_POSTGRES_URL is not set");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg} (CI must run every test)");
        }
        eprintln!("\n==================== {msg} ====================\n");
        return None;
    };
    let name = format!("bunbase_wh_{}", uuid::Uuid::new_v4().simple());
    let admin = PgPool::connect(&admin_url).await.expect("connect");
    raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .expect("create database");
    admin.close().await;
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&format!("/{name}"));
    Some((admin_url, url.to_string()))
}

/// Drops the database at `url` (made by [`fresh_pg`]).
async fn drop_pg(admin_url: &str, url: &str) {
    let parsed = url::Url::parse(url).unwrap();
    let name = parsed.path().trim_start_matches('/');
    let admin = PgPool::connect(admin_url).await.expect("connect");
    raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&admin)
    .await
    .expect("drop database");
    admin.close().await;
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
async fn standard_webhooks_over_http_on_postgres() {
    let Some((admin, url)) = fresh_pg("standard_webhooks_over_http_on_postgres").await else {
        return;
    };
    scheme_suite_on(Kind::Standard, Some(url.clone())).await;
    drop_pg(&admin, &url).await;
}
