//! The server binary's API-key subcommands (`create-api-key`, `list-api-keys`, `revoke-api-key`) on SQLite and PostgreSQL: the printed key authenticates over HTTP with its scopes as permissions, `--email` finds the user through the application's loader, expiry and revocation end it, and listing never shows a secret.

mod common;

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::body::Body;
use bunbase_runtime::axum::routing::post;
use bunbase_runtime::futures::future::BoxFuture;
use bunbase_runtime::{
    ActionContext, ActionSpec, ApiError, ApiKeyCommand, ApiKeyCommandError, Auth, GuardSpec,
    HttpRequest, Principal, PrincipalLoader, RetryPolicy, Runtime, auth::command::ApiKeyReport,
};
use common::{TestDb, request, send};
use serde_json::json;

static ME: ActionSpec = ActionSpec {
    name: "me",
    guards: &[GuardSpec::Authenticated],
    retry: RetryPolicy::NONE,
};
static WRITE: ActionSpec = ActionSpec {
    name: "write",
    guards: &[
        GuardSpec::Authenticated,
        GuardSpec::HasPermission {
            permission: "tasks:write",
        },
    ],
    retry: RetryPolicy::NONE,
};

/// The application's users: `ada` (ada@example.com) exists, nobody else.
struct Users;

impl PrincipalLoader for Users {
    fn load<'a>(
        &'a self,
        auth: &'a Auth,
        user_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Principal>, ApiError>> {
        Box::pin(async move {
            if user_id == "ada" {
                Ok(Some(auth.default_principal(user_id).await?))
            } else {
                Ok(None)
            }
        })
    }

    fn user_id_by_email<'a>(
        &'a self,
        email: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, ApiError>> {
        Box::pin(async move { Ok((email == "ada@example.com").then(|| "ada".to_owned())) })
    }
}

fn route(rt: &Runtime, spec: &'static ActionSpec) -> bunbase_runtime::axum::routing::MethodRouter {
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

fn call(path: &str, key: &str) -> bunbase_runtime::axum::http::Request<Body> {
    request("POST", path)
        .header("authorization", format!("Bearer {key}"))
        .body(Body::empty())
        .unwrap()
}

async fn run(rt: &Runtime, args: &[&str]) -> Result<ApiKeyReport, ApiKeyCommandError> {
    ApiKeyCommand::parse(args.iter().copied())?
        .run(rt.auth())
        .await
}

/// Creates a key and returns its id and token, checking the printed report.
async fn create(rt: &Runtime, args: &[&str]) -> (String, String) {
    let report = run(rt, args).await.expect("create-api-key succeeds");
    let printed = report.to_string();
    let ApiKeyReport::Created { key, token } = report else {
        panic!("not a creation: {printed}")
    };
    assert!(token.starts_with(&format!("bb_{}_", key.prefix)));
    assert_eq!(
        printed.lines().last(),
        Some(token.as_str()),
        "the token is printed, on its own last line"
    );
    assert!(printed.contains("shown only this once"), "{printed}");
    (key.id, token)
}

async fn suite(db: TestDb) {
    let rt = db.runtime(|_| {}).await;
    rt.auth().set_principal_loader(std::sync::Arc::new(Users));
    let app: Router = rt.app(
        Router::new()
            .route("/me", route(&rt, &ME))
            .route("/write", route(&rt, &WRITE)),
    );

    // A key for a user found by e-mail (any case), with a scope.
    let (id, token) = create(
        &rt,
        &[
            "create-api-key",
            "--email",
            "Ada@Example.com",
            "--scope",
            "tasks:write",
            "--expires-in",
            "90d",
            "--name",
            "ci",
        ],
    )
    .await;
    let r = send(&app, call("/me", &token)).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["user"], "ada", "the key acts for its user");
    assert_eq!(send(&app, call("/write", &token)).await.status, 200);

    // A key without the scope is authenticated but forbidden.
    let (_, reader) = create(
        &rt,
        &["create-api-key", "--user", "ada", "--scope", "tasks:read"],
    )
    .await;
    assert_eq!(send(&app, call("/me", &reader)).await.status, 200);
    let r = send(&app, call("/write", &reader)).await;
    assert_eq!(r.status, 403);
    r.envelope("forbidden");

    // Listing shows ids, prefixes and scopes, never a secret.
    let listed = run(&rt, &["list-api-keys", "--email", "ada@example.com"])
        .await
        .expect("lists")
        .to_string();
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(listed.contains(&id) && listed.contains("tasks:write") && listed.contains("\"ci\""));
    // `bb_<prefix>_<secret>`: the secret may hold `_` itself.
    let secret = token
        .strip_prefix("bb_")
        .and_then(|r| r.split_once('_'))
        .unwrap()
        .1;
    assert!(!listed.contains(secret), "{listed}");

    // Revoked: 401 at once; revoking again says so.
    let revoked = run(&rt, &["revoke-api-key", &id]).await.expect("revokes");
    assert!(revoked.to_string().contains(&id));
    let r = send(&app, call("/me", &token)).await;
    assert_eq!(r.status, 401);
    r.envelope("unauthorized");
    let again = run(&rt, &["revoke-api-key", &id])
        .await
        .expect_err("already revoked");
    assert!(matches!(again, ApiKeyCommandError::NoSuchKey(_)), "{again}");
    let listed = run(&rt, &["list-api-keys", "--user", "ada"])
        .await
        .unwrap()
        .to_string();
    assert!(listed.contains("REVOKED"), "{listed}");

    // Unknown users are refused before a key exists.
    for args in [
        &["create-api-key", "--email", "nobody@example.com"][..],
        &["create-api-key", "--user", "ghost"],
    ] {
        let err = run(&rt, args).await.expect_err("no such user");
        assert!(matches!(err, ApiKeyCommandError::NoSuchUser(_)), "{err}");
    }

    // A service key acts for no user; garbage is no key.
    let (service_id, service) = create(&rt, &["create-api-key", "--service"]).await;
    let r = send(&app, call("/me", &service)).await;
    assert_eq!(r.json()["user"], format!("api_key:{service_id}"));
    assert_eq!(
        send(&app, call("/me", "bb_garbage00000_nope")).await.status,
        401
    );

    // A key past its lifetime answers 401.
    let (_, short) = create(
        &rt,
        &["create-api-key", "--user", "ada", "--expires-in", "1s"],
    )
    .await;
    assert_eq!(send(&app, call("/me", &short)).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_eq!(send(&app, call("/me", &short)).await.status, 401);

    drop(app);
    rt.shutdown().await;
    db.drop_db().await;
}

#[tokio::test]
async fn sqlite_api_key_command() {
    suite(TestDb::sqlite()).await;
}

#[tokio::test]
async fn postgres_api_key_command() {
    if let Some(db) = TestDb::postgres("postgres_api_key_command").await {
        suite(db).await;
    }
}
