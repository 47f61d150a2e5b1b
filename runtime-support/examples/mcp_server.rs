//! A runtime server whose actions are MCP tools, shaped as generated code will be: `mcp_server serve` serves HTTP (tools at `/api/mcp`), `mcp_server mcp` serves the same tools over stdio. The MCP end-to-end test drives it with the official TypeScript SDK.
//!
//! Configuration comes from the environment (`Config::from_env`): the test
//! sets `DATABASE_URL`, `SESSION_SECRET`, `HOST` and `PORT`.

use std::process::ExitCode;

use bunbase_runtime::axum::Router;
use bunbase_runtime::axum::response::Response;
use bunbase_runtime::axum::routing::{get, post};
use bunbase_runtime::http::decode_value;
use bunbase_runtime::mcp::{self, McpTools, ToolSpec};
use bunbase_runtime::serde::{Deserialize, Serialize};
use bunbase_runtime::validate::{Pointer, Validate, Violations, check};
use bunbase_runtime::{
    ActionContext, ActionSpec, ApiError, Config, GuardSpec, HttpRequest, Principal, RetryPolicy,
    Runtime, Server,
};

/// Input of `notes.add_note`.
#[derive(Debug, Clone, Deserialize)]
#[serde(crate = "::bunbase_runtime::serde", deny_unknown_fields)]
struct AddNoteInput {
    title: String,
    #[serde(default)]
    tags: Vec<String>,
}

impl Validate for AddNoteInput {
    fn validate_into(&self, at: &Pointer, out: &mut Violations) {
        let p = at.field("title");
        check::min_len(out, &p, &self.title, 1);
        check::max_len(out, &p, &self.title, 40);
        let p = at.field("tags");
        check::max_items(out, &p, self.tags.len(), 3);
        check::unique(out, &p, &self.tags);
    }
}

/// A note.
#[derive(Debug, Clone, Serialize)]
#[serde(crate = "::bunbase_runtime::serde")]
struct Note {
    id: String,
    title: String,
    tags: Vec<String>,
}

/// An input with no fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(crate = "::bunbase_runtime::serde", deny_unknown_fields)]
struct NoInput {}

impl Validate for NoInput {
    fn validate_into(&self, _: &Pointer, _: &mut Violations) {}
}

/// Input of `notes.lock_note`.
#[derive(Debug, Clone, Deserialize)]
#[serde(crate = "::bunbase_runtime::serde", deny_unknown_fields)]
struct LockInput {
    id: String,
}

impl Validate for LockInput {
    fn validate_into(&self, at: &Pointer, out: &mut Violations) {
        check::min_len(out, &at.field("id"), &self.id, 1);
    }
}

/// Output of `notes.whoami`.
#[derive(Debug, Clone, Serialize)]
#[serde(crate = "::bunbase_runtime::serde")]
struct WhoAmI {
    user_id: String,
    roles: Vec<String>,
}

/// Input of `auth.login` (a demo sign-in: no password).
#[derive(Debug, Clone, Deserialize)]
#[serde(crate = "::bunbase_runtime::serde", deny_unknown_fields)]
struct LoginInput {
    user_id: String,
    #[serde(default)]
    roles: Vec<String>,
}

impl Validate for LoginInput {
    fn validate_into(&self, at: &Pointer, out: &mut Violations) {
        check::min_len(out, &at.field("user_id"), &self.user_id, 1);
    }
}

static ADD_NOTE: ActionSpec = ActionSpec {
    name: "notes.add_note",
    guards: &[],
    retry: RetryPolicy::NONE,
};
static LOCK_NOTE: ActionSpec = ActionSpec {
    name: "notes.lock_note",
    guards: &[],
    retry: RetryPolicy::NONE,
};
static WHOAMI: ActionSpec = ActionSpec {
    name: "notes.whoami",
    guards: &[GuardSpec::Authenticated],
    retry: RetryPolicy::NONE,
};
static LOGIN: ActionSpec = ActionSpec {
    name: "auth.login",
    guards: &[],
    retry: RetryPolicy::NONE,
};

static ADD_NOTE_TOOL: ToolSpec = ToolSpec {
    action: &ADD_NOTE,
    name: "notes_add_note",
    title: Some("Add a note"),
    description: "Adds a note with a title and up to three distinct tags.",
    input_schema: r#"{"type":"object","properties":{"title":{"type":"string","minLength":1,"maxLength":40,"examples":["Buy milk"]},"tags":{"type":"array","items":{"type":"string"},"maxItems":3,"uniqueItems":true,"default":[]}},"required":["title"],"additionalProperties":false}"#,
    output_schema: Some(
        r#"{"type":"object","properties":{"id":{"type":"string"},"title":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}}},"required":["id","title","tags"],"additionalProperties":false}"#,
    ),
};
static LOCK_NOTE_TOOL: ToolSpec = ToolSpec {
    action: &LOCK_NOTE,
    name: "notes_lock_note",
    title: None,
    description: "Locks a note. Always answers the declared error note_locked.",
    input_schema: r#"{"type":"object","properties":{"id":{"type":"string","minLength":1}},"required":["id"],"additionalProperties":false}"#,
    output_schema: None,
};
static WHOAMI_TOOL: ToolSpec = ToolSpec {
    action: &WHOAMI,
    name: "notes_whoami",
    title: Some("Who am I"),
    description: "The signed-in caller. Needs a session.",
    input_schema: r#"{"type":"object","properties":{},"additionalProperties":false}"#,
    output_schema: Some(
        r#"{"type":"object","properties":{"user_id":{"type":"string"},"roles":{"type":"array","items":{"type":"string"}}},"required":["user_id","roles"],"additionalProperties":false}"#,
    ),
};

async fn add_note(_ctx: ActionContext, input: AddNoteInput) -> Result<Note, ApiError> {
    Ok(Note {
        id: bunbase_runtime::uuid::Uuid::now_v7().to_string(),
        title: input.title,
        tags: input.tags,
    })
}

async fn lock_note(_ctx: ActionContext, input: LockInput) -> Result<(), ApiError> {
    Err(ApiError::new(
        409,
        "note_locked",
        format!("The note {} is locked.", input.id),
    ))
}

async fn whoami(ctx: ActionContext, _input: NoInput) -> Result<WhoAmI, ApiError> {
    let p = ctx
        .principal()
        .ok_or_else(|| ApiError::unauthorized("no session"))?;
    Ok(WhoAmI {
        user_id: p.user_id.clone(),
        roles: p.roles.clone(),
    })
}

/// Every tool, as generated code registers them.
fn tools() -> Result<McpTools, mcp::McpError> {
    let mut tools = McpTools::new();
    tools
        .version("1.4.0")
        .register(&ADD_NOTE_TOOL, decode_value::<AddNoteInput>, add_note)?
        .register(&LOCK_NOTE_TOOL, decode_value::<LockInput>, lock_note)?
        .register(&WHOAMI_TOOL, decode_value::<NoInput>, whoami)?;
    Ok(tools)
}

/// `POST /api/login` (signs the body's user in) and `GET /api/runs/mcp`
/// (how many runs were recorded with trigger `mcp`), plus the MCP endpoint.
fn routes(rt: &Runtime, tools: McpTools) -> Router {
    let login_rt = rt.clone();
    let runs_rt = rt.clone();
    Router::new()
        .route(
            "/api/login",
            post(move |req: HttpRequest| {
                let rt = login_rt.clone();
                async move {
                    LOGIN
                        .run_http(
                            &rt,
                            req,
                            200,
                            |req| req.json::<LoginInput>(),
                            |ctx: ActionContext, input: LoginInput| async move {
                                // Roles live in the database, not the cookie.
                                for role in &input.roles {
                                    ctx.auth().grant_role(&input.user_id, role).await?;
                                }
                                ctx.sign_in(&input.user_id).await?;
                                let mut principal = Principal::new(input.user_id);
                                principal.roles = input.roles;
                                Ok::<_, ApiError>(principal)
                            },
                        )
                        .await
                }
            }),
        )
        .route(
            "/api/runs/mcp",
            get(move || {
                let rt = runs_rt.clone();
                async move { mcp_runs(&rt).await }
            }),
        )
        .merge(mcp::router(rt, "/api/mcp", tools))
}

async fn mcp_runs(rt: &Runtime) -> Response {
    use bunbase_runtime::axum::response::IntoResponse as _;
    rt.runs().flush().await;
    let rows: Result<Vec<(String, String, Option<String>)>, _> = bunbase_runtime::with_pool!(rt.db(), pool => {
        bunbase_runtime::sqlx::query_as(
            "SELECT action, status, error_code FROM bunbase_runs WHERE trigger_kind = 'mcp' ORDER BY started_at",
        )
        .fetch_all(pool)
        .await
    });
    match rows {
        Ok(rows) => bunbase_runtime::axum::Json(
            rows.into_iter()
                .map(|(action, status, code)| {
                    bunbase_runtime::serde_json::json!({ "action": action, "status": status, "error_code": code })
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("mcp") => mcp::run_stdio("mcp_demo", |_rt| tools()).await,
        None | Some("serve") => {
            bunbase_runtime::init_tracing();
            match serve().await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(other) => {
            eprintln!("unknown command {other:?}: use serve or mcp");
            ExitCode::from(2)
        }
    }
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let rt = Runtime::start(Config::from_env("mcp_demo")?).await?;
    let server = Server::bind(rt.clone(), routes(&rt, tools()?)).await?;
    // The test reads this line to find the port.
    println!("mcp_server listening on http://{}", server.local_addr());
    server.run().await?;
    Ok(())
}
