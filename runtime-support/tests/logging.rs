//! Log lines: every line a request or action writes carries its trace id and action, in text and JSON, with no span at the default level.

mod common;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::body::Body;
use bunbase_runtime::axum::routing::post;
use bunbase_runtime::logging::{JsonLine, TextLine};
use bunbase_runtime::{ActionContext, ActionSpec, ApiError, HttpRequest, RetryPolicy, Runtime};
use common::{request, send};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

static CREATE: ActionSpec = ActionSpec {
    name: "tasks.create",
    guards: &[],
    retry: RetryPolicy::NONE,
};
static NOTIFY: ActionSpec = ActionSpec {
    name: "notify.on_created",
    guards: &[],
    retry: RetryPolicy::NONE,
};

/// Log output collected in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The one line containing `text`.
    fn line(&self, text: &str) -> String {
        let lines = self.lines();
        let found: Vec<&String> = lines.iter().filter(|l| l.contains(text)).collect();
        assert_eq!(
            found.len(),
            1,
            "one line with {text:?} in:\n{}",
            lines.join("\n")
        );
        found[0].clone()
    }
}

/// An app whose `POST /tasks` logs from the handler, from work the handler
/// spawns and from the subscriber of the event it emits; `POST /fail`
/// answers 500.
fn app(rt: &Runtime) -> Router {
    rt.events()
        .subscribe("task.created", NOTIFY.name, |rt: Runtime, d| async move {
            let _ = NOTIFY
                .run_event(
                    &rt,
                    d,
                    bunbase_runtime::http::decode_value,
                    |_ctx: ActionContext, _: serde_json::Value| async move {
                        tracing::info!("in the subscriber");
                        Ok::<_, ApiError>(())
                    },
                )
                .await;
        });
    let (r1, r2) = (rt.clone(), rt.clone());
    rt.app(
        Router::new()
            .route(
                "/tasks",
                post(move |req: HttpRequest| async move {
                    CREATE
                        .run_http(
                            &r1,
                            req,
                            201,
                            |_| Ok(()),
                            |ctx: ActionContext, _: ()| async move {
                                tracing::info!(answer = 42, "in the handler");
                                let spawned = tokio::spawn(ctx.traced(async {
                                    tracing::info!("in spawned work");
                                }));
                                let _ = spawned.await;
                                ctx.emit("task.created", &serde_json::json!({"id": "t1"}))?;
                                Ok::<_, ApiError>(serde_json::json!({}))
                            },
                        )
                        .await
                }),
            )
            .route(
                "/fail",
                post(move |req: HttpRequest| async move {
                    CREATE
                        .run_http(
                            &r2,
                            req,
                            201,
                            |_| Ok(()),
                            |_ctx: ActionContext, _: ()| async move {
                                Err::<serde_json::Value, _>(ApiError::internal(
                                    "the disk is on fire",
                                ))
                            },
                        )
                        .await
                }),
            ),
    )
}

async fn exercise(rt: &Runtime) {
    let app = app(rt);
    let ok = request("POST", "/tasks")
        .header("x-request-id", "trace-log-1")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, ok).await.status, 201);
    tokio::time::timeout(Duration::from_secs(10), rt.events().idle())
        .await
        .expect("deliveries finish");
    let fail = request("POST", "/fail")
        .header("x-request-id", "trace-log-2")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, fail).await.status, 500);
}

// One thread, so the subscriber set for this test sees every task's events.
#[tokio::test(flavor = "current_thread")]
async fn text_lines_carry_the_trace_id_and_the_action() {
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new("info"))
        .with_ansi(false)
        .with_writer(out.clone())
        .event_format(TextLine::default())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let (rt, _d) = common::runtime().await;
    exercise(&rt).await;

    let line = out.line("in the handler");
    assert!(
        line.contains(" INFO trace_id=trace-log-1 action=tasks.create: "),
        "{line}"
    );
    assert!(line.ends_with("in the handler answer=42"), "{line}");
    assert!(!line.contains("request{"), "no span at info: {line}");
    let line = out.line("in spawned work");
    assert!(
        line.contains("trace_id=trace-log-1 action=tasks.create: "),
        "{line}"
    );
    let line = out.line("in the subscriber");
    assert!(
        line.contains("trace_id=trace-log-1 action=notify.on_created: "),
        "{line}"
    );

    let line = out.line("action failed");
    assert!(
        line.contains("ERROR trace_id=trace-log-2 action=tasks.create: "),
        "{line}"
    );
    assert!(line.contains("code=\"internal\""), "{line}");
    let line = out.line("request failed");
    // The request's line names the action the request ran.
    assert!(
        line.contains("ERROR trace_id=trace-log-2 action=tasks.create: "),
        "{line}"
    );
    assert!(
        line.contains("method=POST path=\"/fail\" status=500"),
        "{line}"
    );

    // Startup lines belong to no request.
    for l in out.lines().iter().filter(|l| !l.contains("trace-log-")) {
        assert!(!l.contains("trace_id="), "{l}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn json_lines_carry_the_trace_id_and_the_action() {
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new("info"))
        .with_writer(out.clone())
        .json()
        .event_format(JsonLine::default())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let (rt, _d) = common::runtime().await;
    exercise(&rt).await;

    let parsed: Vec<serde_json::Value> = out
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let find = |message: &str| {
        parsed
            .iter()
            .find(|v| v["fields"]["message"] == message)
            .unwrap_or_else(|| panic!("no line {message:?} in {parsed:#?}"))
    };
    let v = find("in the handler");
    assert_eq!(v["trace_id"], "trace-log-1", "{v}");
    assert_eq!(v["action"], "tasks.create", "{v}");
    assert_eq!(v["level"], "INFO", "{v}");
    assert_eq!(v["fields"]["answer"], 42, "{v}");
    assert!(v.get("span").is_none(), "no span at info: {v}");
    assert_eq!(find("in the subscriber")["action"], "notify.on_created");
    let v = find("request failed");
    assert_eq!(v["trace_id"], "trace-log-2", "{v}");
    assert_eq!(v["action"], "tasks.create", "{v}");
    assert_eq!(v["fields"]["path"], "/fail", "{v}");
}

#[test]
fn user_input_cannot_forge_a_text_line() {
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new("info"))
        .with_ansi(false)
        .with_writer(out.clone())
        .event_format(TextLine::default())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let title =
            "harmless\n2026-12-06T00:00:00Z ERROR forged: admin logged in\r\t\u{1b}[31m\u{0}";
        tracing::info!(title = %title, "task created");
        tracing::info!(title = %"\n", "lonely newline");
        tracing::warn!("{title}");
    });
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "one line per event: {text:?}");
    assert!(
        lines[0].contains(
            r"title=harmless\n2026-12-06T00:00:00Z ERROR forged: admin logged in\r\t\u{1b}[31m\u{0}"
        ),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains(r"title=\n"), "{}", lines[1]);
    assert!(
        lines[2].contains(r"WARN") && lines[2].contains(r"harmless\n2026"),
        "{}",
        lines[2]
    );
    assert!(text.ends_with('\n') && !text.ends_with("\n\n"));
    assert!(!lines.iter().any(|l| l.starts_with("2026-12-06T00:00:00Z")));
}
