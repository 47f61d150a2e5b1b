//! The Tasks API server. `serve` (the default) applies pending migrations, seeds a demo user and serves, running queued and scheduled jobs in the same process unless `JOBS_WORKER=false`; `worker` runs only the jobs (no HTTP); `migrate` only applies migrations and `migrate status` lists them (applied, pending, modified); `create-api-key`, `list-api-keys` and `revoke-api-key` manage machines' keys; `mcp` serves the MCP tools over stdio, as the caller `MCP_SESSION_TOKEN` names (a session cookie's value or an API key).
//!
//! Configuration comes from the environment: `PORT`, `HOST`, `DATABASE_URL`
//! (SQLite or PostgreSQL), `SESSION_SECRET`, `RUST_LOG` and more (see
//! `bunbase_runtime::Config`). The demo user is created in development
//! only (no `SESSION_SECRET`, or `SESSION_COOKIE_SECURE=false`), never
//! with `DEMO_USER=false`, and its password is never printed or logged.

// The contract modules (`auth`, `health`, `inbox`, `tasks`), kept up to date by `bunbase gen`.
include!("modules.rs");
mod db;

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use bunbase_runtime::{Config, Migrations, Runtime, Server};

/// mimalloc rather than the system allocator: a request makes many
/// small, short-lived allocations (see `bunbase_runtime::MiMalloc`).
#[global_allocator]
static GLOBAL: bunbase_runtime::MiMalloc = bunbase_runtime::MiMalloc;

/// The application: implements every module's handler trait, one file per module.
#[derive(Debug, Clone, Default)]
pub struct App;

/// The demo account created on first start.
const DEMO_EMAIL: &str = "demo@example.com";
const DEMO_PASSWORD: &str = "demo-password";

/// Starts the async runtime, once transparent huge pages are turned
/// off (`HUGE_PAGES`, see `bunbase_runtime::block_on`), and runs the
/// command.
fn main() -> ExitCode {
    bunbase_runtime::block_on(run())
}

/// Runs the command the first argument names (`serve` by default).
async fn run() -> ExitCode {
    bunbase_runtime::init_tracing();
    // The migrations of contracts/migrations/<dialect>/, embedded by `bunbase gen`.
    let migrations = tasks_api::db::MIGRATIONS.clone();
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".to_owned());
    let result = match command.as_str() {
        "serve" => serve(migrations).await,
        "worker" => worker().await,
        "migrate" => match std::env::args().nth(2).as_deref() {
            None => migrate(migrations).await,
            Some("status") => migrate_status(migrations).await,
            Some(other) => {
                eprintln!("unknown command `migrate {other}`: use `migrate` (apply pending migrations) or `migrate status`");
                return ExitCode::from(2);
            }
        },
        "mcp" => {
            return bunbase_runtime::mcp::run_stdio("tasks", |rt: &Runtime| {
                rt.auth().set_principal_loader(std::sync::Arc::new(auth::Users(rt.db().clone())));
                tasks_api::mcp::tools(std::sync::Arc::new(App))
            })
            .await;
        }
        name if bunbase_runtime::auth::command::COMMANDS.contains(&name) => api_keys().await,
        other => {
            eprintln!("unknown command {other:?}: use `serve` (the default), `worker`, `migrate`, `mcp`, `create-api-key`, `list-api-keys` or `revoke-api-key`");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The configuration from the environment, with one default of this
/// example's own: events are durable (`EVENTS=durable`) unless `EVENTS`
/// says otherwise, so the `task.created` subscriber runs as a job that
/// survives a restart, retries with its backoff, and stays as a dead job
/// when it fails for good.
fn config() -> Result<Config, Box<dyn std::error::Error>> {
    let mut config = Config::from_env("tasks")?;
    if std::env::var_os("EVENTS").is_none() {
        config.events = bunbase_runtime::EventsMode::Durable;
    }
    Ok(config)
}

/// Applies pending migrations, seeds the demo user, then serves until SIGINT or SIGTERM.
async fn serve(migrations: Migrations) -> Result<(), Box<dyn std::error::Error>> {
    let config = config()?;
    let development = config.session_keys.is_empty() || !config.session_cookie_secure;
    let rt = Runtime::start(config).await?;
    rt.migrate(&migrations).await?;
    rt.auth().set_principal_loader(std::sync::Arc::new(auth::Users(rt.db().clone())));
    if development && std::env::var("DEMO_USER").map(|v| v != "false").unwrap_or(true) {
        if auth::create_user(rt.db(), DEMO_EMAIL, "Demo User", DEMO_PASSWORD).await?.is_some() {
            bunbase_runtime::tracing::info!(email = DEMO_EMAIL, "created the demo user");
        }
        println!("Demo user: {DEMO_EMAIL} (development only; the password is in the README)");
    }
    let routes = tasks_api::router(&rt, App);
    let server = Server::bind(rt, routes).await?;
    let bound = server.local_addr();
    let addr = if bound.ip().is_unspecified() { SocketAddr::new(IpAddr::from([127, 0, 0, 1]), bound.port()) } else { bound };
    println!("API:     http://{addr}/api");
    println!("Docs:    http://{addr}/api/docs");
    println!("MCP:     http://{addr}/api/mcp (Streamable HTTP; `tasks-server mcp` for stdio)");
    println!("Health:  http://{addr}/api/health (liveness /healthz, readiness /readyz)");
    server.run().await?;
    Ok(())
}

/// Runs the job worker and the scheduler, without HTTP, until SIGINT or
/// SIGTERM: queued and scheduled actions and durable event deliveries.
/// Start servers with `JOBS_WORKER=false` to run jobs only in such processes.
async fn worker() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = config()?;
    config.jobs_worker = true;
    let rt = Runtime::start(config).await?;
    rt.auth().set_principal_loader(std::sync::Arc::new(auth::Users(rt.db().clone())));
    tasks_api::workers(&rt, App);
    println!("Worker:  running {} job kinds", rt.jobs().kind_names().len());
    bunbase_runtime::server::shutdown_signal().await;
    rt.shutdown().await;
    Ok(())
}

/// Applies pending migrations and exits.
async fn migrate(migrations: Migrations) -> Result<(), Box<dyn std::error::Error>> {
    let rt = Runtime::start(Config::from_env("tasks")?).await?;
    rt.migrate(&migrations).await?;
    rt.shutdown().await;
    println!("migrations applied");
    Ok(())
}

/// `migrate status`: every migration with its state on `DATABASE_URL`:
/// applied, pending, modified (changed after it was applied: `serve`
/// refuses to start) or missing (applied, but no file has its version).
async fn migrate_status(migrations: Migrations) -> Result<(), Box<dyn std::error::Error>> {
    let db = bunbase_runtime::Db::connect(&Config::from_env("tasks")?.database_url).await?;
    for m in db.migration_status(&migrations).await? {
        println!("{:<9}{} {}", m.state.as_str(), m.version, m.description);
    }
    db.close().await;
    Ok(())
}

/// `create-api-key --email <address> --scope <resource:verb> --expires-in 90d --name <label>` prints a new key once;
/// `list-api-keys` and `revoke-api-key <id>` manage them (see `bunbase_runtime::auth::command`).
async fn api_keys() -> Result<(), Box<dyn std::error::Error>> {
    let rt = Runtime::start(Config::from_env("tasks")?).await?;
    rt.auth().set_principal_loader(std::sync::Arc::new(auth::Users(rt.db().clone())));
    let done = bunbase_runtime::api_key_command(&rt, std::env::args().skip(1)).await;
    rt.shutdown().await;
    Ok(done?)
}
