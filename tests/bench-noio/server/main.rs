//! The no-I/O benchmark server (`cargo xtask bench overhead`): serves the generated `tasks.create_task`, whose handler builds the task in memory.
//!
//! Configuration comes from the environment like any generated server
//! (`PORT`, `HOST`, `DATABASE_URL`, `SESSION_SECRET`, `RUN_HISTORY`, ...;
//! see `bunbase_runtime::Config`). On start it opens a session for a fresh
//! user id and prints `Cookie: bunbase_session=...`, the credentials the
//! benchmark sends.

// The contract modules, kept up to date by `bunbase gen`.
include!("modules.rs");

use bunbase_runtime::{Config, Runtime, Server};

/// The allocator every generated server declares (and the hand-written
/// baseline too).
#[global_allocator]
static GLOBAL: bunbase_runtime::MiMalloc = bunbase_runtime::MiMalloc;

/// The application: implements the module's handler trait.
#[derive(Debug, Clone, Default)]
pub struct App;

/// Starts the async runtime as the generated `main` does: transparent
/// huge pages are turned off first (`HUGE_PAGES`).
fn main() -> Result<(), Box<dyn std::error::Error>> {
    bunbase_runtime::block_on(run())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    bunbase_runtime::init_tracing();
    let rt = Runtime::start(Config::from_env("noio")?).await?;
    let user = bunbase_runtime::uuid::Uuid::now_v7().to_string();
    let (_, cookie) = rt.auth().create_session(&user).await?;
    let routes = noio_api::router(&rt, App);
    let server = Server::bind(rt, routes).await?;
    println!("API: http://{}/api", server.local_addr());
    let pair = cookie.as_str().split(';').next().unwrap_or_default();
    println!("Cookie: {pair}");
    server.run().await?;
    Ok(())
}
