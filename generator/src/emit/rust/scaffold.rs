//! Emits the scaffolded server crate: `main.rs` with `serve`, `worker`, `migrate` and the API-key subcommands, one file per module with stub handlers answering 501, and the initial migration.

use proc_macro2::TokenStream;
use quote::quote;

use super::format::{Part, part, shaped};
use super::handlers::action_doc;
use super::manifests;
use super::tokens::{custom_guards, ident, lit, output_type, uses_custom_guards};
use crate::emit::{GenOptions, GeneratedFile, Ownership};
use crate::ir::{Action, ErrorKind, Ir, Module};

/// A file of the server crate whose Rust is still to be formatted: the
/// Rust emitter formats it with its own modules, on every core.
pub struct RustFile<'a> {
    /// Path relative to the output folder.
    pub path: String,
    /// [`Ownership::Scaffold`], but for the generated module list.
    pub ownership: Ownership,
    /// The file's tokens.
    pub parts: Vec<Part<'a>>,
}

/// The server crate's files: all [`Ownership::Scaffold`] but the generated
/// module list `modules.rs`. The Rust files come apart, to be formatted.
pub fn emit<'a>(ir: &'a Ir, opts: &GenOptions) -> (Vec<GeneratedFile>, Vec<RustFile<'a>>) {
    let server = manifests::server_crate(ir);
    let mut files = vec![GeneratedFile {
        path: format!("crates/{server}/Cargo.toml"),
        contents: manifests::render("server", ir, opts),
        ownership: Ownership::Scaffold,
    }];
    let mut rust = vec![RustFile {
        path: format!("crates/{server}/src/main.rs"),
        ownership: Ownership::Scaffold,
        parts: vec![part(move || main_rs(ir))],
    }];
    // Migrations in the contracts folder are embedded in the API crate
    // (`db::MIGRATIONS`); without them the server crate gets a folder.
    if ir.db.is_empty() {
        files.push(GeneratedFile {
            path: format!("crates/{server}/migrations/0001_init.sql"),
            contents: initial_migration(),
            ownership: Ownership::Scaffold,
        });
    }
    rust.push(RustFile {
        path: format!("crates/{server}/src/modules.rs"),
        ownership: Ownership::Generated,
        parts: vec![part(move || modules_rs(ir))],
    });
    // Module files differ mostly in names: each is printed through its
    // shape.
    for m in ir.modules.values() {
        rust.push(RustFile {
            path: format!("crates/{server}/src/{}.rs", m.name),
            ownership: Ownership::Scaffold,
            parts: vec![shaped(move || module_rs(ir, m))],
        });
    }
    if uses_custom_guards(ir) {
        rust.push(RustFile {
            path: format!("crates/{server}/src/guards.rs"),
            ownership: Ownership::Scaffold,
            parts: vec![part(move || guards_rs(ir))],
        });
    }
    (files, rust)
}

fn api_lib(ir: &Ir) -> proc_macro2::Ident {
    ident(&format!("{}_api", ir.project.snake_name))
}

fn main_rs(ir: &Ir) -> TokenStream {
    let api = api_lib(ir);
    let app_name = lit(&ir.project.snake_name);
    let base = &ir.project.base_path;
    let api_url = lit(&format!("API:     http://{{addr}}{base}"));
    let docs_url = lit(&format!("Docs:    http://{{addr}}{base}/docs"));
    // With MCP tools, an `mcp` subcommand serves them over stdio as well.
    let mcp = super::mcp::any(ir);
    let doc = lit(&format!(
        " The {} server. `serve` (the default) applies pending migrations and serves, running queued and scheduled jobs in the same process unless `JOBS_WORKER=false`; `worker` runs only the jobs (no HTTP); `migrate` only applies migrations and `migrate status` lists them{}; `create-api-key`, `list-api-keys` and `revoke-api-key` manage API keys.",
        ir.project.title,
        if mcp {
            "; `mcp` serves the MCP tools over stdio (as the caller `MCP_SESSION_TOKEN` names)"
        } else {
            ""
        }
    ));
    let (mcp_arm, usage, mcp_url) = if mcp {
        (
            quote!("mcp" => {
                return bunbase_runtime::mcp::run_stdio(#app_name, |_rt: &Runtime| {
                    #api::mcp::tools(std::sync::Arc::new(App))
                })
                .await;
            }),
            lit(
                "unknown command {other:?}: use `serve` (the default), `worker`, `migrate`, `mcp`, `create-api-key`, `list-api-keys` or `revoke-api-key`",
            ),
            {
                let url = lit(&format!("MCP:     http://{{addr}}{base}/mcp"));
                quote!(println!(#url);)
            },
        )
    } else {
        (
            TokenStream::new(),
            lit(
                "unknown command {other:?}: use `serve` (the default), `worker`, `migrate`, `create-api-key`, `list-api-keys` or `revoke-api-key`",
            ),
            TokenStream::new(),
        )
    };
    let migrations = if ir.db.is_empty() {
        quote!(Migrations::locate(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations"
        )))
    } else {
        quote!(#api::db::MIGRATIONS.clone())
    };
    // The server's handlers drop the same deep types as the API crate, so
    // its root needs the same limit.
    let limit = super::recursion_limit(ir);
    quote! {
        #![doc = #doc]
        //!
        //! Configuration comes from the environment: `PORT`, `HOST`, `DATABASE_URL`
        //! (SQLite or PostgreSQL), `SESSION_SECRET`, `RUST_LOG` and more (see
        //! `bunbase_runtime::Config`). bunbase wrote this file once; it is yours.
        //!
        //! The contract modules are declared in `modules.rs`, which `bunbase gen`
        //! keeps up to date: a module added to the contracts needs no line here.
        #limit

        include!("modules.rs");

        use std::net::{IpAddr, SocketAddr};
        use std::process::ExitCode;

        use bunbase_runtime::{Config, Migrations, Runtime, Server};

        /// mimalloc rather than the system allocator: a request makes many
        /// small, short-lived allocations (see `bunbase_runtime::MiMalloc`).
        #[global_allocator]
        static GLOBAL: bunbase_runtime::MiMalloc = bunbase_runtime::MiMalloc;

        /// The application: implements every module's handler trait, one file
        /// per module. Add what your handlers share (clients, settings) here.
        #[derive(Debug, Clone, Default)]
        pub struct App;

        /// Starts the async runtime, once transparent huge pages are turned
        /// off (`HUGE_PAGES`, see `bunbase_runtime::block_on`), and runs the
        /// command.
        fn main() -> ExitCode {
            bunbase_runtime::block_on(run())
        }

        /// Runs the command the first argument names (`serve` by default).
        async fn run() -> ExitCode {
            bunbase_runtime::init_tracing();
            let migrations = #migrations;
            let command = std::env::args().nth(1).unwrap_or_else(|| "serve".to_owned());
            let result = match command.as_str() {
                "serve" => serve(migrations).await,
                "worker" => worker().await,
                "migrate" => match std::env::args().nth(2).as_deref() {
                    None => migrate(migrations).await,
                    Some("status") => migrate_status(migrations, #app_name).await,
                    Some(other) => {
                        eprintln!("unknown command `migrate {other}`: use `migrate` (apply pending migrations) or `migrate status`");
                        return ExitCode::from(2);
                    }
                },
                #mcp_arm
                name if bunbase_runtime::auth::command::COMMANDS.contains(&name) => api_keys(#app_name).await,
                other => {
                    eprintln!(#usage);
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

        /// Applies pending migrations, then serves until SIGINT or SIGTERM.
        async fn serve(migrations: Migrations) -> Result<(), Box<dyn std::error::Error>> {
            let rt = Runtime::start(Config::from_env(#app_name)?).await?;
            rt.migrate(&migrations).await?;
            let routes = #api::router(&rt, App);
            let server = Server::bind(rt, routes).await?;
            let bound = server.local_addr();
            let addr = if bound.ip().is_unspecified() { SocketAddr::new(IpAddr::from([127, 0, 0, 1]), bound.port()) } else { bound };
            println!(#api_url);
            println!(#docs_url);
            #mcp_url
            println!("Health:  http://{addr}/readyz");
            server.run().await?;
            Ok(())
        }

        /// Runs the job worker and the scheduler, without HTTP, until SIGINT or
        /// SIGTERM: queued and scheduled actions and durable event deliveries.
        /// Start servers with `JOBS_WORKER=false` to run jobs only in such processes.
        async fn worker() -> Result<(), Box<dyn std::error::Error>> {
            let mut config = Config::from_env(#app_name)?;
            config.jobs_worker = true;
            let rt = Runtime::start(config).await?;
            #api::workers(&rt, App);
            println!("Worker:  running {} job kinds", rt.jobs().kind_names().len());
            bunbase_runtime::server::shutdown_signal().await;
            rt.shutdown().await;
            Ok(())
        }

        /// Applies pending migrations and exits.
        async fn migrate(migrations: Migrations) -> Result<(), Box<dyn std::error::Error>> {
            let rt = Runtime::start(Config::from_env(#app_name)?).await?;
            rt.migrate(&migrations).await?;
            rt.shutdown().await;
            println!("migrations applied");
            Ok(())
        }

        /// `migrate status`: every migration with its state on `DATABASE_URL`:
        /// applied, pending, modified (changed after it was applied: `serve`
        /// refuses to start) or missing (applied, but no file has its version).
        async fn migrate_status(migrations: Migrations, app: &str) -> Result<(), Box<dyn std::error::Error>> {
            let db = bunbase_runtime::Db::connect(&Config::from_env(app)?.database_url).await?;
            for m in db.migration_status(&migrations).await? {
                println!("{:<9}{} {}", m.state.as_str(), m.version, m.description);
            }
            db.close().await;
            Ok(())
        }

        /// `create-api-key --user <id> --scope <resource:verb> --expires-in 90d` prints a new key once;
        /// `list-api-keys` and `revoke-api-key <id>` manage them (see `bunbase_runtime::auth::command`).
        async fn api_keys(app: &str) -> Result<(), Box<dyn std::error::Error>> {
            let rt = Runtime::start(Config::from_env(app)?).await?;
            let done = bunbase_runtime::api_key_command(&rt, std::env::args().skip(1)).await;
            rt.shutdown().await;
            Ok(done?)
        }
    }
}

fn stub(a: &Action) -> TokenStream {
    let doc = action_doc(a, false);
    let err = ident(&a.error_enum);
    let m = ident(&a.rust_name);
    let out = output_type(a.output.as_ref());
    let sig = match super::tokens::input_type(a) {
        Some(i) => {
            quote!(async fn #m(&self, ctx: ActionContext, input: #i) -> Result<#out, #err>)
        }
        None => quote!(async fn #m(&self, ctx: ActionContext) -> Result<#out, #err>),
    };
    let variant = a
        .errors
        .iter()
        .find(|e| e.kind == ErrorKind::NotImplemented)
        .map(|e| ident(&e.rust_name));
    let uses = match super::tokens::input_type(a) {
        Some(_) => quote!(let _ = (&ctx, &input);),
        None => quote!(let _ = &ctx;),
    };
    let body = match variant {
        Some(v) => quote!(Err(#err::#v)),
        None => quote!(Err(#err::from(::bunbase_runtime::ApiError::not_implemented(ctx.action)))),
    };
    quote! {
        #doc
        ///
        /// bunbase stub: answers 501 `not_implemented` until you write it.
        #sig {
            #uses
            #body
        }
    }
}

/// The generated module list `main.rs` includes: one `mod` per contract
/// module (and `guards` for custom guards), so that a module added to the
/// contracts needs no hand-written line. Outer docs only: the file is
/// `include!`d, where inner attributes are not allowed.
fn modules_rs(ir: &Ir) -> TokenStream {
    let mods = ir.modules.values().map(|m| {
        let n = ident(&m.rust_name);
        let doc = lit(&format!(
            " Handlers of module `{}` (`src/{}.rs`, yours to edit).",
            m.name, m.name
        ));
        quote! {
            #[doc = #doc]
            mod #n;
        }
    });
    let guards = uses_custom_guards(ir).then(|| {
        quote! {
            /// The contracts' custom guards (`src/guards.rs`, yours to edit).
            mod guards;
        }
    });
    quote! {
        #(#mods)*
        #guards
    }
}

fn module_rs(ir: &Ir, m: &Module) -> TokenStream {
    let api = api_lib(ir);
    let tr = ident(&m.rust_handler);
    let stubs = m.actions.values().map(stub);
    let doc = lit(&format!(
        " Handlers of module `{}`. bunbase wrote this file once; it is yours to edit.",
        m.name
    ));
    quote! {
        #![doc = #doc]

        use bunbase_runtime::ActionContext;
        #[allow(unused_imports)]
        use #api::*;

        use crate::App;

        impl #tr for App {
            #(#stubs)*
        }
    }
}

fn guards_rs(ir: &Ir) -> TokenStream {
    let api = api_lib(ir);
    let names = custom_guards(ir);
    let methods = names.iter().map(|(n, r)| {
        let m = ident(r);
        let msg = lit(&format!("The custom guard {n} is not implemented yet: implement it in src/guards.rs."));
        quote! {
            #[allow(clippy::manual_async_fn)]
            fn #m(&self, _req: &bunbase_runtime::GuardRequest<'_>) -> impl Future<Output = Result<(), bunbase_runtime::ApiError>> + Send {
                async move { Err(bunbase_runtime::ApiError::forbidden(#msg)) }
            }
        }
    });
    quote! {
        //! The contracts' `custom` guards. Each stub denies (403) until you write it.

        use std::future::Future;

        use crate::App;

        impl #api::CustomGuards for App {
            #(#methods)*
        }
    }
}

fn initial_migration() -> String {
    "-- The initial migration. Write portable SQL: it runs on SQLite and PostgreSQL\n\
     -- (TEXT ids and timestamps, BIGINT, BOOLEAN; `$1` placeholders in queries).\n\
     CREATE TABLE IF NOT EXISTS app_settings (\n    key TEXT PRIMARY KEY,\n    value TEXT NOT NULL\n);\n"
        .to_string()
}
