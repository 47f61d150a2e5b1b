//! `/metrics` over a real socket: traffic through the pipeline (successes, declared errors, guard denials, retries, another trigger), then a scrape parsed as the Prometheus text format and its values checked; the token and the off switch.
#![cfg(feature = "metrics")]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::routing::post;
use bunbase_runtime::tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use bunbase_runtime::tokio::net::TcpStream;
use bunbase_runtime::{
    ActionContext, ActionSpec, ApiError, Backoff, Config, GuardSpec, HttpRequest, Invocation,
    RetryPolicy, Runtime, Server, TriggerKind,
};
use serde_json::json;

static OK: ActionSpec = ActionSpec {
    name: "tasks.ok",
    guards: &[],
    retry: RetryPolicy::NONE,
};
static TAKEN: ActionSpec = ActionSpec {
    name: "tasks.taken",
    guards: &[],
    retry: RetryPolicy::NONE,
};
static PRIVATE: ActionSpec = ActionSpec {
    name: "tasks.private",
    guards: &[GuardSpec::Authenticated],
    retry: RetryPolicy::NONE,
};
static FLAKY: ActionSpec = ActionSpec {
    name: "tasks.flaky",
    guards: &[],
    retry: RetryPolicy {
        attempts: 3,
        backoff: Backoff::Fixed,
        base_ms: 1,
        max_ms: 1,
    },
};

const TOKEN: &str = "scrape-token-0123456789";

fn routes(rt: &Runtime, flaky_calls: Arc<AtomicU32>) -> Router {
    let route = |spec: &'static ActionSpec, fail: Option<(u16, &'static str)>| {
        let rt = rt.clone();
        post(move |req: HttpRequest| async move {
            spec.run_http(
                &rt,
                req,
                200,
                |_| Ok(()),
                move |_ctx: ActionContext, _: ()| async move {
                    match fail {
                        Some((status, code)) => {
                            Err(ApiError::new(status, code, "Declared failure"))
                        }
                        None => Ok(json!({ "ok": true })),
                    }
                },
            )
            .await
        })
    };
    let flaky = {
        let rt = rt.clone();
        post(move |req: HttpRequest| async move {
            FLAKY
                .run_http(
                    &rt,
                    req,
                    200,
                    |_| Ok(()),
                    move |_ctx: ActionContext, _: ()| {
                        let calls = flaky_calls.clone();
                        async move {
                            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                                Err(ApiError::internal("transient"))
                            } else {
                                Ok(json!({ "ok": true }))
                            }
                        }
                    },
                )
                .await
        })
    };
    Router::new()
        .route("/ok", route(&OK, None))
        .route("/taken", route(&TAKEN, Some((409, "title_taken"))))
        .route("/private", route(&PRIVATE, None))
        .route("/flaky", flaky)
}

async fn serve(config: Config) -> (Runtime, SocketAddr) {
    let rt = Runtime::start(config).await.expect("runtime starts");
    let routes = routes(&rt, Arc::default());
    let server = Server::bind(rt.clone(), routes).await.expect("binds");
    let addr = server.local_addr();
    bunbase_runtime::tokio::spawn(server.run_until(std::future::pending()));
    (rt, addr)
}

/// One HTTP/1.1 request over a fresh connection: (status, content type, body).
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: Option<&str>,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let auth = auth
        .map(|t| format!("authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nhost: test\r\n{auth}content-length: 0\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await.expect("writes");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("reads");
    let text = String::from_utf8(raw).expect("UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let status = head[9..12].parse().expect("a status code");
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    (status, content_type, body.to_owned())
}

/// A sample's identity: its name and sorted labels.
type Series = (String, BTreeMap<String, String>);

/// Parses the Prometheus text format (0.0.4) strictly: `# HELP`/`# TYPE`
/// lines and samples `name{label="value",...} number`. Panics on anything
/// else, so a malformed exposition fails the test.
fn parse(text: &str) -> (BTreeMap<Series, f64>, BTreeMap<String, String>) {
    let mut samples = BTreeMap::new();
    let mut types = BTreeMap::new();
    let is_name = |s: &str| {
        !s.is_empty()
            && s.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            })
    };
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(is_name(name), "bad metric name in {line:?}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line:?}"
            );
            types.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        assert!(!line.starts_with('#'), "unknown comment {line:?}");
        let (series, value) = line.rsplit_once(' ').expect("a sample and its value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {line:?}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("labels close with }");
                let mut labels = BTreeMap::new();
                let mut rest = body;
                while !rest.is_empty() {
                    let (key, after) = rest.split_once("=\"").expect("label=\"value\"");
                    assert!(is_name(key), "bad label name in {line:?}");
                    let mut value = String::new();
                    let mut chars = after.char_indices();
                    let end = loop {
                        match chars.next().expect("label value closes") {
                            (_, '\\') => value.push(chars.next().expect("escaped char").1),
                            (i, '"') => break i,
                            (_, c) => value.push(c),
                        }
                    };
                    labels.insert(key.to_owned(), value);
                    rest = after[end + 1..].trim_start_matches(',');
                }
                (name, labels)
            }
        };
        assert!(is_name(name), "bad metric name in {line:?}");
        let previous = samples.insert((name.to_owned(), labels), value);
        assert!(previous.is_none(), "duplicate series {line:?}");
    }
    (samples, types)
}

fn get(samples: &BTreeMap<Series, f64>, name: &str, labels: &[(&str, &str)]) -> f64 {
    let key = (
        name.to_owned(),
        labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    );
    *samples
        .get(&key)
        .unwrap_or_else(|| panic!("no sample {key:?} in {:#?}", samples.keys()))
}

#[bunbase_runtime::tokio::test(crate = "bunbase_runtime::tokio")]
async fn metrics_count_real_traffic_and_parse_as_prometheus_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_test("metrics_app");
    config.database_url = format!("sqlite://{}/app.db?mode=rwc", dir.path().display());
    config.metrics.enabled = true;
    config.metrics.token = Some(TOKEN.to_owned());
    let (rt, addr) = serve(config).await;

    for _ in 0..3 {
        assert_eq!(http(addr, "POST", "/ok", None).await.0, 200);
    }
    assert_eq!(http(addr, "POST", "/taken", None).await.0, 409);
    for _ in 0..2 {
        assert_eq!(http(addr, "POST", "/private", None).await.0, 401);
    }
    assert_eq!(http(addr, "POST", "/flaky", None).await.0, 200);
    // Another trigger: the same action run as a queued job.
    OK.run(
        &rt,
        Invocation::new(TriggerKind::Queue),
        || Ok(()),
        |_ctx: ActionContext, _: ()| async { Ok::<_, ApiError>(()) },
    )
    .await
    .expect("the job runs");

    // Without the token: 401 in the error envelope.
    let (status, content_type, body) = http(addr, "GET", "/metrics", None).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    assert!(body.contains(r#""code":"unauthorized""#), "{body}");
    assert_eq!(
        http(addr, "GET", "/metrics", Some("wrong-token-0123456789"))
            .await
            .0,
        401
    );

    let (status, content_type, body) = http(addr, "GET", "/metrics", Some(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    let (samples, types) = parse(&body);

    let runs = "bunbase_action_runs_total";
    assert_eq!(types[runs], "counter");
    let http_ok = [("action", "tasks.ok"), ("trigger", "http")];
    assert_eq!(
        get(&samples, runs, &[http_ok[0], http_ok[1], ("outcome", "ok")]),
        3.0
    );
    assert_eq!(
        get(
            &samples,
            runs,
            &[
                ("action", "tasks.ok"),
                ("trigger", "queue"),
                ("outcome", "ok")
            ]
        ),
        1.0
    );
    assert_eq!(
        get(
            &samples,
            runs,
            &[
                ("action", "tasks.taken"),
                ("trigger", "http"),
                ("outcome", "error")
            ]
        ),
        1.0
    );
    assert_eq!(
        get(
            &samples,
            "bunbase_action_errors_total",
            &[
                ("action", "tasks.taken"),
                ("code", "title_taken"),
                ("trigger", "http")
            ]
        ),
        1.0
    );
    assert_eq!(
        get(
            &samples,
            "bunbase_guard_denials_total",
            &[
                ("action", "tasks.private"),
                ("code", "unauthorized"),
                ("trigger", "http")
            ]
        ),
        2.0
    );
    assert_eq!(
        get(
            &samples,
            "bunbase_action_errors_total",
            &[
                ("action", "tasks.private"),
                ("code", "unauthorized"),
                ("trigger", "http")
            ]
        ),
        2.0
    );
    assert_eq!(
        get(
            &samples,
            "bunbase_action_retries_total",
            &[("action", "tasks.flaky"), ("trigger", "http")]
        ),
        2.0
    );

    // The latency histogram: cumulative buckets ending in +Inf = count.
    let hist = "bunbase_action_duration_seconds";
    assert_eq!(types[hist], "histogram");
    assert_eq!(get(&samples, &format!("{hist}_count"), &http_ok), 3.0);
    assert!(get(&samples, &format!("{hist}_sum"), &http_ok) > 0.0);
    let mut buckets: Vec<(f64, f64)> = samples
        .iter()
        .filter(|((name, labels), _)| {
            name == &format!("{hist}_bucket")
                && labels["action"] == "tasks.ok"
                && labels["trigger"] == "http"
        })
        .map(|((_, labels), v)| {
            let le = match labels["le"].as_str() {
                "+Inf" => f64::INFINITY,
                le => le.parse().expect("a bucket bound"),
            };
            (le, *v)
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(buckets.len(), 14, "13 bounds and +Inf: {buckets:?}");
    assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{buckets:?}");
    assert_eq!(buckets.last().map(|b| b.1), Some(3.0));

    // Pool and run-history gauges.
    assert_eq!(types["bunbase_db_pool_connections"], "gauge");
    let max = get(
        &samples,
        "bunbase_db_pool_max_connections",
        &[("pool", "app")],
    );
    assert_eq!(max, 10.0);
    let idle = get(
        &samples,
        "bunbase_db_pool_connections",
        &[("pool", "app"), ("state", "idle")],
    );
    let in_use = get(
        &samples,
        "bunbase_db_pool_connections",
        &[("pool", "app"), ("state", "in_use")],
    );
    assert!(
        idle + in_use >= 1.0 && idle + in_use <= max,
        "{idle} + {in_use}"
    );
    get(
        &samples,
        "bunbase_db_pool_max_connections",
        &[("pool", "history")],
    );
    get(
        &samples,
        "bunbase_run_history_total",
        &[("result", "dropped")],
    );
}

#[bunbase_runtime::tokio::test(crate = "bunbase_runtime::tokio")]
async fn metrics_are_off_by_default() {
    let config = Config::for_test("metrics_off");
    assert!(!config.metrics.enabled);
    let (rt, addr) = serve(config).await;
    assert!(rt.metrics().is_none());
    assert_eq!(http(addr, "POST", "/ok", None).await.0, 200);
    let (status, _, body) = http(addr, "GET", "/metrics", None).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains(r#""code":"not_found""#), "{body}");
}

#[test]
fn metrics_configuration_reads_the_environment() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let c = Config::from_lookup("x", env(&[])).expect("valid");
    assert!(!c.metrics.enabled && c.metrics.token.is_none());
    let c = Config::from_lookup("x", env(&[("METRICS", "on")])).expect("valid");
    assert!(c.metrics.enabled && c.metrics.token.is_none());
    let c = Config::from_lookup("x", env(&[("METRICS_TOKEN", TOKEN)])).expect("valid");
    assert!(c.metrics.enabled, "a token turns metrics on");
    assert_eq!(c.metrics.token.as_deref(), Some(TOKEN));
    let err = Config::from_lookup("x", env(&[("METRICS_TOKEN", "short")])).unwrap_err();
    assert!(err.to_string().contains("at least 16 characters"), "{err}");
    let err =
        Config::from_lookup("x", env(&[("METRICS", "off"), ("METRICS_TOKEN", TOKEN)])).unwrap_err();
    assert!(err.to_string().contains("METRICS"), "{err}");
    let err = Config::from_lookup("x", env(&[("METRICS", "maybe")])).unwrap_err();
    assert!(err.to_string().contains("on or off"), "{err}");
    assert!(
        !format!("{c:?}").contains(TOKEN),
        "the token is not printed"
    );
}
