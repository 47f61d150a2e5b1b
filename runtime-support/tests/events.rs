//! The in-process event bus: emitted events run subscribed actions through the pipeline after the emitter succeeds.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::body::Body;
use bunbase_runtime::axum::routing::post;
use bunbase_runtime::serde::{Deserialize, Serialize};
use bunbase_runtime::validate::{Pointer, Validate, Violations, check};
use bunbase_runtime::{
    ActionContext, ActionSpec, ApiError, Backoff, GuardSpec, HttpRequest, Principal, RetryPolicy,
    Runtime, TriggerKind,
};
use common::{request, send};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(crate = "::bunbase_runtime::serde", deny_unknown_fields)]
struct TaskCreated {
    id: String,
    title: String,
}

impl Validate for TaskCreated {
    fn validate_into(&self, at: &Pointer, out: &mut Violations) {
        check::min_len(out, &at.field("title"), &self.title, 1);
    }
}

static CREATE: ActionSpec = ActionSpec {
    name: "tasks.create",
    guards: &[],
    retry: RetryPolicy {
        attempts: 2,
        backoff: Backoff::Fixed,
        base_ms: 1,
        max_ms: 1,
    },
};
static NOTIFY: ActionSpec = ActionSpec {
    name: "notify.on_task_created",
    guards: &[GuardSpec::Authenticated],
    retry: RetryPolicy::NONE,
};

#[derive(Debug, Clone)]
struct Seen {
    payload: TaskCreated,
    trace_id: String,
    trigger: TriggerKind,
    user: Option<String>,
}

#[tokio::test]
async fn emitted_events_run_subscribers_once_after_success() {
    let (rt, _d) = common::runtime().await;
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let attempts = Arc::new(AtomicU32::new(0));

    let sink = seen.clone();
    rt.events()
        .subscribe("task.created", NOTIFY.name, move |rt: Runtime, delivery| {
            let sink = sink.clone();
            async move {
                let _ = NOTIFY
                    .run_event(
                        &rt,
                        delivery,
                        bunbase_runtime::http::decode_value,
                        move |ctx: ActionContext, payload: TaskCreated| {
                            let sink = sink.clone();
                            async move {
                                sink.lock().unwrap().push(Seen {
                                    payload,
                                    trace_id: ctx.trace_id.to_string(),
                                    trigger: ctx.trigger,
                                    user: ctx.user_id().map(str::to_owned),
                                });
                                Ok::<_, ApiError>(())
                            }
                        },
                    )
                    .await;
            }
        });
    assert_eq!(
        rt.events().subscribers("task.created"),
        vec!["notify.on_task_created"]
    );

    let r = rt.clone();
    let a = attempts.clone();
    let app = rt.app(Router::new().route(
        "/tasks",
        post(move |req: HttpRequest| async move {
            CREATE
                .run_http(
                    &r,
                    req,
                    201,
                    |_| Ok(()),
                    move |ctx: ActionContext, _: ()| {
                        let a = a.clone();
                        async move {
                            let n = a.fetch_add(1, Ordering::SeqCst) + 1;
                            let title = if n == 1 {
                                "from the failed attempt"
                            } else {
                                "kept"
                            };
                            ctx.emit(
                                "task.created",
                                &TaskCreated {
                                    id: format!("t{n}"),
                                    title: title.into(),
                                },
                            )?;
                            if n == 1 {
                                return Err(ApiError::internal("transient"));
                            }
                            Ok(serde_json::json!({ "id": format!("t{n}") }))
                        }
                    },
                )
                .await
        }),
    ));

    let cookie = common::login(&rt, "alice").await;
    let req = request("POST", "/tasks")
        .header("x-request-id", "trace-evt")
        .header("cookie", format!("bunbase_session={cookie}"))
        .body(Body::empty())
        .unwrap();
    let res = send(&app, req).await;
    assert_eq!(res.status, 201);
    tokio::time::timeout(Duration::from_secs(10), rt.events().idle())
        .await
        .expect("deliveries finish");

    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        1,
        "only the successful attempt's event is published: {seen:?}"
    );
    assert_eq!(seen[0].payload.title, "kept");
    assert_eq!(seen[0].trace_id, "trace-evt", "trace id carried over");
    assert_eq!(seen[0].trigger, TriggerKind::Event);
    assert_eq!(
        seen[0].user.as_deref(),
        Some("alice"),
        "session carried over"
    );

    rt.runs().flush().await;
    let n: i64 = bunbase_runtime::with_pool!(rt.db(), pool => {
        bunbase_runtime::sqlx::query_scalar(
            "SELECT COUNT(*) AS n FROM bunbase_runs WHERE action = $1 AND trigger_kind = $2",
        )
        .bind("notify.on_task_created")
        .bind("event")
        .fetch_one(pool)
        .await
        .unwrap()
    });
    assert_eq!(n, 1, "the subscriber's run is recorded with trigger event");
}

#[tokio::test]
async fn subscriber_guards_and_validation_apply_to_event_payloads() {
    let (rt, _d) = common::runtime().await;
    let results: Arc<Mutex<Vec<Result<(), String>>>> = Arc::default();
    let sink = results.clone();
    rt.events()
        .subscribe("task.created", NOTIFY.name, move |rt: Runtime, delivery| {
            let sink = sink.clone();
            async move {
                let r = NOTIFY
                    .run_event(
                        &rt,
                        delivery,
                        bunbase_runtime::http::decode_value,
                        |_ctx: ActionContext, _p: TaskCreated| async move { Ok::<_, ApiError>(()) },
                    )
                    .await;
                sink.lock()
                    .unwrap()
                    .push(r.map_err(|e| e.code().to_owned()));
            }
        });
    let anon = bunbase_runtime::TraceId::generate();
    let session = bunbase_runtime::Session {
        id: "s1".into(),
        principal: Principal::new("bob"),
        issued_at: 0,
        expires_at: i64::MAX,
        via: bunbase_runtime::AuthMethod::Cookie,
        org_id: None,
    };
    let payload = |title: &str| serde_json::json!({ "id": "t1", "title": title });
    assert_eq!(
        rt.events()
            .publish(&rt, "task.created", payload("x"), &anon, None),
        1
    );
    rt.events()
        .publish(&rt, "task.created", payload(""), &anon, Some(&session));
    rt.events().publish(
        &rt,
        "task.created",
        serde_json::json!({ "id": "t1" }),
        &anon,
        Some(&session),
    );
    rt.events()
        .publish(&rt, "task.created", payload("ok"), &anon, Some(&session));
    assert_eq!(
        rt.events()
            .publish(&rt, "nobody.listens", payload("x"), &anon, None),
        0
    );
    tokio::time::timeout(Duration::from_secs(10), rt.events().idle())
        .await
        .expect("deliveries finish");
    let mut got = results.lock().unwrap().clone();
    got.sort();
    let mut want = vec![
        Err("unauthorized".to_owned()),
        Err("validation_failed".to_owned()),
        Err("validation_failed".to_owned()),
        Ok(()),
    ];
    want.sort();
    assert_eq!(got, want);
}
