//! MCP tools (feature `mcp`): actions exposed to AI agents over Streamable HTTP on the same server and over stdio, each call running the full pipeline as its caller.
//!
//! Built on `rmcp`, the official Rust SDK; generated code never names an
//! rmcp type, only [`ToolSpec`], [`McpTools`], [`router`] and
//! [`serve_stdio`]:
//!
//! ```
//! # use bunbase_runtime::{ActionContext, ActionSpec, ApiError, RetryPolicy, Runtime};
//! # use bunbase_runtime::mcp::{self, McpTools, ToolSpec};
//! # use bunbase_runtime::serde_json::Value;
//! # static ECHO: ActionSpec = ActionSpec { name: "demo.echo", guards: &[], retry: RetryPolicy::NONE };
//! static ECHO_TOOL: ToolSpec = ToolSpec {
//!     action: &ECHO,
//!     name: "demo_echo",
//!     title: None,
//!     description: "Echoes its arguments.",
//!     input_schema: r#"{"type":"object"}"#,
//!     output_schema: Some(r#"{"type":"object"}"#),
//! };
//!
//! # fn routes(rt: &Runtime) -> Result<bunbase_runtime::axum::Router, mcp::McpError> {
//! let mut tools = McpTools::new();
//! tools.register(&ECHO_TOOL, bunbase_runtime::http::decode_value::<Value>, |_ctx: ActionContext, v: Value| async move {
//!     Ok::<_, ApiError>(v)
//! })?;
//! Ok(mcp::router(rt, "/api/mcp", tools))
//! # }
//! ```
//!
//! # What a tool call goes through
//!
//! - The caller is identified like an HTTP request to the action
//!   ([`caller_session`]: an API key or the `bunbase_session` cookie); over
//!   stdio, by the credentials the process was started with
//!   ([`stdio_credentials_from_env`]: `MCP_SESSION_TOKEN`).
//! - The action runs through [`ActionSpec::run`](crate::ActionSpec::run)
//!   with trigger `mcp`: guards (an anonymous caller of an `authenticated`
//!   tool is denied), decoding, validation (every violation), the handler
//!   with retries, the run record.
//! - A success returns the output as JSON text, and as `structuredContent`
//!   when it is an object. A failure is a tool error (`isError: true`)
//!   whose text is the same envelope an HTTP caller gets:
//!   `{"error":{"code","message","trace_id","details"}}`, with the
//!   contract's error code. An unknown tool is a protocol error.
//!
//! # Transport
//!
//! Streamable HTTP at the path given to [`router`] (`{base_path}/mcp`),
//! stateless (no `Mcp-Session-Id`: any instance answers any request) with
//! plain JSON responses; the body limit is `BODY_LIMIT_BYTES`, and the
//! `Host` header must be one of `MCP_ALLOWED_HOSTS` (DNS-rebinding
//! protection). Over stdio, [`serve_stdio`] serves one session on the
//! process's standard input and output; logs must then go to standard
//! error ([`init_stdio_tracing`]). [`run_stdio`] is the whole `mcp`
//! subcommand of a server binary.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, header};
use rmcp::ServiceExt as _;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::Runtime;
use crate::Session;

mod server;
mod tools;

pub use tools::{McpTools, ToolSpec};

use server::McpServer;

/// The variable [`stdio_credentials_from_env`] reads: a signed session
/// value (what the `bunbase_session` cookie carries) to call tools as.
pub const SESSION_TOKEN_ENV: &str = "MCP_SESSION_TOKEN";

/// Failures registering or serving tools. Messages say how to fix them.
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    /// A tool name MCP clients would refuse.
    #[error("MCP tool name {0:?} is invalid: use 1 to 128 of A-Z a-z 0-9 _ - .")]
    InvalidName(&'static str),
    /// Two tools with one name.
    #[error("MCP tool {0:?} is registered twice: give each tool its own name")]
    Duplicate(&'static str),
    /// A schema text that is not a JSON object schema.
    #[error("the {which} schema of MCP tool {tool:?} is unusable: {problem}")]
    Schema {
        /// The tool.
        tool: &'static str,
        /// `input` or `output`.
        which: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The stdio session failed.
    #[error("the MCP stdio session failed: {0}")]
    Stdio(String),
}

/// The caller of whoever sends `headers`: the same authentication an HTTP
/// call of the action gets ([`crate::Auth::authenticate`]): an API key
/// (`Authorization: Bearer`, `X-API-Key`), else the `bunbase_session`
/// cookie naming a live server-side session. A store failure is logged and
/// counts as no caller (guarded tools then deny).
pub async fn caller_session(rt: &Runtime, headers: &HeaderMap) -> Option<Session> {
    match rt.auth().authenticate(headers).await {
        Ok(found) => found.map(|a| a.session),
        Err(e) => {
            tracing::error!(error = %e, "authenticating an MCP caller failed");
            None
        }
    }
}

/// The Streamable HTTP endpoint for `tools` at `path` (`/api/mcp`), to merge
/// into the routes given to [`Runtime::app`] or `run_main`.
pub fn router(rt: &Runtime, path: &str, tools: McpTools) -> Router {
    let server = McpServer {
        rt: rt.clone(),
        tools: Arc::new(tools),
        stdio_credentials: None,
    };
    let hosts = &rt.config().mcp_allowed_hosts;
    let mut config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(rt.config().body_limit);
    config = if hosts.iter().any(|h| h == "*") {
        config.disable_allowed_hosts()
    } else {
        config.with_allowed_hosts(hosts.iter().cloned())
    };
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    // rmcp may run the call on a task of its own, outside the request's
    // scope: the trace id the answer echoes travels in the request.
    let service = tower::ServiceBuilder::new()
        .map_request(|mut req: axum::extract::Request| {
            if let Some((id, _)) = crate::trace::current_request() {
                req.extensions_mut().insert(id);
            }
            req
        })
        .service(service);
    Router::new().route_service(path, service)
}

/// Serves `tools` over stdio until the client closes standard input. Every
/// call is made as the caller `credentials` identify (request headers, as
/// [`caller_session`] reads them; see [`stdio_credentials_from_env`]). The
/// scaffolded binary's `mcp` subcommand calls this.
pub async fn serve_stdio(
    rt: &Runtime,
    tools: McpTools,
    credentials: HeaderMap,
) -> Result<(), McpError> {
    let server = McpServer {
        rt: rt.clone(),
        tools: Arc::new(tools),
        stdio_credentials: Some(credentials),
    };
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| McpError::Stdio(e.to_string()))?;
    running
        .waiting()
        .await
        .map_err(|e| McpError::Stdio(e.to_string()))?;
    Ok(())
}

/// The credentials of a stdio session from the environment: a
/// `MCP_SESSION_TOKEN` holding an API key (`bb_…`) is sent as `X-API-Key`;
/// any other value (a signed session value, as the `bunbase_session` cookie
/// carries it) becomes that cookie; without it, calls are anonymous, so
/// guarded tools deny them.
pub fn stdio_credentials_from_env(rt: &Runtime) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let Ok(token) = std::env::var(SESSION_TOKEN_ENV) else {
        return headers;
    };
    let token = token.trim();
    // An API key (`bb_…`) is sent as one; anything else as the cookie.
    if token.starts_with("bb_") {
        if let Ok(value) = HeaderValue::from_str(token) {
            headers.insert("x-api-key", value);
        }
    } else if let Ok(value) =
        HeaderValue::from_str(&format!("{}={}", rt.sessions().cookie_name(), token))
    {
        headers.insert(header::COOKIE, value);
    }
    headers
}

/// The scaffolded binary's `mcp` subcommand: reads [`Config`](crate::Config)
/// from the environment, logs to standard error, starts the runtime (no
/// migrations: the HTTP server applies them), builds the tools and serves
/// them over stdio as the caller `MCP_SESSION_TOKEN` names
/// ([`stdio_credentials_from_env`]) until the client closes the session.
/// Fatal errors go to standard error with how to fix them.
///
/// ```no_run
/// # use bunbase_runtime::{Runtime, mcp::{self, McpTools}};
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     mcp::run_stdio("my_app", |_rt: &Runtime| Ok(McpTools::new())).await
/// }
/// ```
pub async fn run_stdio(
    app_name: &str,
    tools: impl FnOnce(&Runtime) -> Result<McpTools, McpError>,
) -> std::process::ExitCode {
    init_stdio_tracing();
    let result: Result<(), Box<dyn std::error::Error>> = async {
        let rt = Runtime::start(crate::Config::from_env(app_name)?).await?;
        let tools = tools(&rt)?;
        let credentials = stdio_credentials_from_env(&rt);
        let served = serve_stdio(&rt, tools, credentials).await;
        rt.shutdown().await;
        Ok(served?)
    }
    .await;
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "fatal");
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Installs the log subscriber for a stdio session: like
/// [`crate::init_tracing`], but writing to standard error, since standard
/// output carries the protocol.
pub fn init_stdio_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .event_format(crate::logging::TextLine::default())
        .try_init();
}
