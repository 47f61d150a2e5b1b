//! The organization guards (`in_org`, `has_feature`, `trial_active_or_paid`) over HTTP with real rows on SQLite and PostgreSQL, what they put in the handler's context, invitations, and guards on non-HTTP invocations.

mod common;

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::body::Body;
use bunbase_runtime::axum::routing::post;
use bunbase_runtime::{
    ActionContext, ActionSpec, ApiError, GuardSpec, HttpRequest, Invocation, NewApiKey,
    RetryPolicy, Runtime, Subscription, TriggerKind,
};
use common::{TestDb, request, send};
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

spec!(IN_ORG, &[GuardSpec::Authenticated, GuardSpec::InOrg]);
spec!(
    EXPORT,
    &[
        GuardSpec::InOrg,
        GuardSpec::HasFeature { feature: "export" }
    ]
);
spec!(FEATURE_ONLY, &[GuardSpec::HasFeature { feature: "export" }]);
spec!(PAID, &[GuardSpec::TrialActiveOrPaid]);

/// A route answering what the guards put in the context.
fn org_route(
    rt: &Runtime,
    spec: &'static ActionSpec,
) -> bunbase_runtime::axum::routing::MethodRouter {
    let rt = rt.clone();
    post(move |req: HttpRequest| async move {
        spec.run_http(&rt, req, 200, |_| Ok(()), |ctx: ActionContext, _: ()| async move {
            Ok::<_, ApiError>(json!({
                "org": ctx.org_id(),
                "role": ctx.member_role(),
                "plan": ctx.org().and_then(|o| o.subscription.as_ref()).map(|s| s.plan_id.clone()),
            }))
        })
        .await
    })
}

fn routes(rt: &Runtime) -> Router {
    Router::new()
        .route("/orgs/{org_id}/things", org_route(rt, &IN_ORG))
        .route("/things", org_route(rt, &IN_ORG))
        .route("/orgs/{org_id}/export", org_route(rt, &EXPORT))
        .route("/export", org_route(rt, &FEATURE_ONLY))
        .route("/orgs/{org_id}/paid", org_route(rt, &PAID))
}

fn call(
    path: &str,
    cookie: Option<&str>,
    headers: &[(&str, &str)],
) -> bunbase_runtime::axum::http::Request<Body> {
    let mut b = request("POST", path);
    if let Some(c) = cookie {
        b = b.header("cookie", format!("bunbase_session={c}"));
    }
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::empty()).unwrap()
}

async fn suite(db: TestDb) {
    let rt = db.runtime(|_| {}).await;
    let app = rt.app(routes(&rt));
    let auth = rt.auth();
    let now = chrono::Utc::now().timestamp_millis();
    let day = 86_400_000;

    let acme = auth.create_org("Acme", "owner1").await.unwrap();
    auth.add_member(&acme, "member1", "member").await.unwrap();
    let other = auth.create_org("Other", "stranger").await.unwrap();
    let owner = common::login(&rt, "owner1").await;
    let member = common::login(&rt, "member1").await;
    let outsider = common::login(&rt, "stranger").await;

    // in_org from the path, the query, the header and the session.
    let r = send(
        &app,
        call(&format!("/orgs/{acme}/things"), Some(&owner), &[]),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({ "org": acme, "role": "owner", "plan": null })
    );
    let r = send(
        &app,
        call(&format!("/things?org_id={acme}"), Some(&member), &[]),
    )
    .await;
    assert_eq!(r.json()["role"], "member");
    let r = send(&app, call("/things", Some(&member), &[("x-org-id", &acme)])).await;
    assert_eq!(r.status, 200);
    let r = send(&app, call("/things", Some(&member), &[])).await;
    assert_eq!(r.status, 403, "no organization named");
    r.envelope("forbidden");
    let sid = rt.sessions().verify(&member).unwrap().id;
    auth.set_active_org(&sid, Some(&acme)).await.unwrap();
    let r = send(&app, call("/things", Some(&member), &[])).await;
    assert_eq!(
        r.json()["org"],
        acme.as_str(),
        "the session's active organization"
    );
    // Denied: not a member, anonymous, removed.
    let r = send(
        &app,
        call(&format!("/orgs/{acme}/things"), Some(&outsider), &[]),
    )
    .await;
    assert_eq!(r.status, 403);
    r.envelope("forbidden");
    assert_eq!(
        send(&app, call(&format!("/orgs/{acme}/things"), None, &[]))
            .await
            .status,
        401
    );
    auth.remove_member(&acme, "member1").await.unwrap();
    assert_eq!(
        send(
            &app,
            call(&format!("/orgs/{acme}/things"), Some(&member), &[])
        )
        .await
        .status,
        403
    );

    // An API key bound to an organization acts in that one only.
    let key = auth
        .create_api_key(NewApiKey {
            name: "acme ci".into(),
            org_id: Some(acme.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    let r = send(
        &app,
        call(
            &format!("/orgs/{acme}/things"),
            None,
            &[("x-api-key", &key.token)],
        ),
    )
    .await;
    assert_eq!(r.json()["role"], "api_key");
    let r = send(&app, call("/things", None, &[("x-api-key", &key.token)])).await;
    assert_eq!(
        r.json()["org"],
        acme.as_str(),
        "the key's organization by default"
    );
    let r = send(
        &app,
        call(
            &format!("/orgs/{other}/things"),
            None,
            &[("x-api-key", &key.token)],
        ),
    )
    .await;
    assert_eq!(r.status, 403);

    // Invitations: accepted once, by the invited address in any case.
    let (_, token) = auth
        .invite(
            &acme,
            "New.Person@Example.com",
            "member",
            Some("owner1"),
            std::time::Duration::from_secs(3600),
        )
        .await
        .unwrap();
    assert!(
        auth.accept_invitation(&token, "newbie", "someone@else.com")
            .await
            .unwrap()
            .is_none()
    );
    let (_, token) = auth
        .invite(
            &acme,
            "New.Person@Example.com",
            "member",
            Some("owner1"),
            std::time::Duration::from_secs(3600),
        )
        .await
        .unwrap();
    let joined = auth
        .accept_invitation(&token, "newbie", "new.person@example.com")
        .await
        .unwrap();
    assert_eq!(joined.map(|o| o.role), Some("member".to_owned()));
    assert!(
        auth.accept_invitation(&token, "newbie", "new.person@example.com")
            .await
            .unwrap()
            .is_none(),
        "used"
    );
    let newbie = common::login(&rt, "newbie").await;
    assert_eq!(
        send(
            &app,
            call(&format!("/orgs/{acme}/things"), Some(&newbie), &[])
        )
        .await
        .status,
        200
    );

    // Plans, features and subscriptions.
    auth.set_plan("free", "Free", &[]).await.unwrap();
    auth.set_plan("pro", "Pro", &["export", "sso"])
        .await
        .unwrap();
    let export = format!("/orgs/{acme}/export");
    let paid = format!("/orgs/{acme}/paid");
    // No subscription: both deny.
    assert_eq!(
        send(&app, call(&export, Some(&owner), &[])).await.status,
        403
    );
    assert_eq!(send(&app, call(&paid, Some(&owner), &[])).await.status, 403);
    let sub = |plan: &str, status: &str, trial: Option<i64>, period: Option<i64>| Subscription {
        plan_id: plan.into(),
        status: status.into(),
        trial_ends_at: trial,
        current_period_end: period,
    };
    // A running trial of Pro: allowed, and the handler sees the plan.
    auth.set_subscription(&acme, &sub("pro", "trialing", Some(now + day), None))
        .await
        .unwrap();
    let r = send(&app, call(&export, Some(&owner), &[])).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["plan"], "pro");
    assert_eq!(send(&app, call(&paid, Some(&owner), &[])).await.status, 200);
    // The trial ended: both deny.
    auth.set_subscription(&acme, &sub("pro", "trialing", Some(now - 1), None))
        .await
        .unwrap();
    assert_eq!(
        send(&app, call(&export, Some(&owner), &[])).await.status,
        403
    );
    assert_eq!(send(&app, call(&paid, Some(&owner), &[])).await.status, 403);
    // Paid Free plan: paid, but no export feature.
    auth.set_subscription(&acme, &sub("free", "active", None, Some(now + day)))
        .await
        .unwrap();
    assert_eq!(send(&app, call(&paid, Some(&owner), &[])).await.status, 200);
    let r = send(&app, call(&export, Some(&owner), &[])).await;
    assert_eq!(r.status, 403);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("export")
    );
    // Paid Pro: allowed; past due or canceled: denied.
    auth.set_subscription(&acme, &sub("pro", "active", None, None))
        .await
        .unwrap();
    assert_eq!(
        send(&app, call(&export, Some(&owner), &[])).await.status,
        200
    );
    for status in ["past_due", "canceled"] {
        auth.set_subscription(&acme, &sub("pro", status, None, None))
            .await
            .unwrap();
        assert_eq!(
            send(&app, call(&paid, Some(&owner), &[])).await.status,
            403,
            "{status}"
        );
    }
    // has_feature alone resolves and checks the organization itself.
    auth.set_subscription(&acme, &sub("pro", "active", None, None))
        .await
        .unwrap();
    assert_eq!(
        send(&app, call("/export", Some(&owner), &[("x-org-id", &acme)]))
            .await
            .status,
        200
    );
    assert_eq!(
        send(
            &app,
            call("/export", Some(&outsider), &[("x-org-id", &acme)])
        )
        .await
        .status,
        403
    );

    drop(app);
    rt.shutdown().await;
    db.drop_db().await;
}

#[tokio::test]
async fn sqlite_org_feature_and_trial_guards() {
    suite(TestDb::sqlite()).await;
}

#[tokio::test]
async fn postgres_org_feature_and_trial_guards() {
    if let Some(db) = TestDb::postgres("postgres_org_feature_and_trial_guards").await {
        suite(db).await;
    }
}

#[tokio::test]
async fn guards_run_for_non_http_invocations_too() {
    let db = TestDb::sqlite();
    let rt = db.runtime(|_| {}).await;
    // A queued or MCP call without a caller meets the same guards.
    for trigger in [TriggerKind::Queue, TriggerKind::Mcp, TriggerKind::Cron] {
        let r: Result<(), ApiError> = IN_ORG
            .run(
                &rt,
                Invocation::new(trigger),
                || Ok(()),
                |_ctx: ActionContext, _: ()| async { Ok::<_, ApiError>(()) },
            )
            .await;
        assert_eq!(r.unwrap_err().status().as_u16(), 401, "{trigger}");
    }
}
