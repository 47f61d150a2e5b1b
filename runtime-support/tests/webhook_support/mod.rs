//! Shared helpers for the webhook tests: provider-style signing for each scheme, a raw HTTP/1.1 client, a running server with one webhook, fresh PostgreSQL databases.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bunbase_runtime::axum::Router;
use bunbase_runtime::config::SecretSource;
use bunbase_runtime::sqlx::{AssertSqlSafe, PgPool, raw_sql};
use bunbase_runtime::webhooks::{self, Encoding, Mode, Scheme, WebhookSpec};
use bunbase_runtime::{ActionContext, ActionSpec, ApiError, Runtime, Server, http::decode_value};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::common;

pub static RECEIVE: ActionSpec = ActionSpec {
    name: "hooks.receive",
    guards: &[],
    retry: bunbase_runtime::RetryPolicy::NONE,
};

/// The three schemes, as providers configure them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
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
    pub fn scheme(self) -> Scheme {
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
    pub fn secrets(self) -> (String, String) {
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
    pub fn sign(self, secret: &str, body: &[u8], id: &str, ts: i64) -> Vec<(String, String)> {
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

    pub fn has_timestamp(self) -> bool {
        matches!(self, Kind::Stripe | Kind::Standard)
    }

    /// Whether a delivery's id comes from a header (else from the body).
    pub fn id_in_header(self) -> bool {
        matches!(self, Kind::Github | Kind::Standard)
    }
}

pub fn now() -> i64 {
    bunbase_runtime::chrono::Utc::now().timestamp()
}

/// A response read to the end.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    /// Asserts a 401 envelope with `details.reason` = `reason`.
    pub fn refused(&self, reason: &str) {
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

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 POST over TCP (`connection: close`), read to the end.
pub async fn post(
    addr: SocketAddr,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Reply {
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
pub struct Harness {
    pub addr: SocketAddr,
    pub rt: Runtime,
    pub runs: Arc<AtomicUsize>,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub _dir: tempfile::TempDir,
}

impl Harness {
    pub async fn start(
        kind: Kind,
        mode: Mode,
        secret_env_value: Option<String>,
    ) -> Result<Harness, bunbase_runtime::Error> {
        Self::start_on(kind, mode, secret_env_value, None).await
    }

    /// [`Harness::start`] on the database at `url` (default: an SQLite file).
    pub async fn start_on(
        kind: Kind,
        mode: Mode,
        secret_env_value: Option<String>,
        url: Option<String>,
    ) -> Result<Harness, bunbase_runtime::Error> {
        Self::start_action(kind, mode, secret_env_value, url, &RECEIVE).await
    }

    /// [`Harness::start_on`] running `action` (its guards, its name).
    pub async fn start_action(
        kind: Kind,
        mode: Mode,
        secret_env_value: Option<String>,
        url: Option<String>,
        action: &'static ActionSpec,
    ) -> Result<Harness, bunbase_runtime::Error> {
        let path: &'static str =
            Box::leak(format!("/hooks/{kind:?}").to_lowercase().into_boxed_str());
        let spec: &'static WebhookSpec = Box::leak(Box::new(WebhookSpec {
            action,
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

    pub async fn serve(
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

    pub fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }

    /// `bunbase_runs` rows of `hooks.receive` with trigger `webhook` and `error_code`.
    pub async fn recorded(&self, error_code: Option<&str>) -> i64 {
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

/// A fresh PostgreSQL database: the admin URL and the database's URL
/// (drop it with [`drop_pg`]); `None` after a loud skip when
/// `BUNBASE_TEST_POSTGRES_URL` is unset (a failure under `CI=true`).
pub async fn fresh_pg(test: &str) -> Option<(String, String)> {
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
pub async fn drop_pg(admin_url: &str, url: &str) {
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
