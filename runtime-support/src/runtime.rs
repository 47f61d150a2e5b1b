//! [`Runtime`]: the shared state every action runs against (database, sessions, rate limits, run history, custom guards, events, metrics).

use std::sync::{Arc, OnceLock};

use crate::auth::store::AuthBackend;
use crate::auth::{Auth, AuthError, AuthOptions};
use crate::config::{Config, ConfigError};
use crate::db::{Db, DbError, Migrations};
use crate::events::EventBus;
use crate::guard::CustomGuards;
use crate::jobs::{JobKind, JobRun, Jobs};
use crate::ratelimit::{MemoryRateLimiter, RateLimiter};
use crate::runs::{DbRunSink, RecorderOptions, RunRecorder, RunSink};
use crate::session::{SessionError, SessionManager};

/// Failures starting or serving. Messages say how to fix the problem.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The environment is misconfigured.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database is unreachable or a migration failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The session keys are unusable.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The identity store or the rate-limit backend is unusable.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The listener could not bind.
    #[error("cannot listen on {addr}: {source}; set PORT/HOST to a free address")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// A webhook cannot verify its deliveries (missing secret, no queue).
    #[error(transparent)]
    Webhook(#[from] crate::webhooks::WebhookError),
    /// The job queue's tables cannot be created.
    #[error(transparent)]
    Jobs(#[from] crate::jobs::JobsError),
    /// The server failed while running.
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

struct Inner {
    config: Config,
    db: Db,
    auth: Auth,
    limiter: Arc<dyn RateLimiter>,
    runs: RunRecorder,
    custom_guards: OnceLock<Arc<dyn CustomGuards>>,
    events: EventBus,
    jobs: Jobs,
    scheduler: crate::schedule::Scheduler,
    webhooks: crate::webhooks::WebhookState,
    #[cfg(feature = "metrics")]
    metrics: Option<Arc<crate::observe::metrics::Metrics>>,
}

/// The shared runtime state. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("app", &self.inner.config.app_name)
            .field("dialect", &self.inner.db.dialect())
            .finish()
    }
}

/// Builds a [`Runtime`] with non-default backends.
pub struct RuntimeBuilder {
    config: Config,
    db: Option<Db>,
    limiter: Option<Arc<dyn RateLimiter>>,
    auth_store: Option<Arc<dyn AuthBackend>>,
    sink: Option<Arc<dyn RunSink>>,
    recorder: RecorderOptions,
    jobs: Option<Jobs>,
}

impl RuntimeBuilder {
    /// Uses an existing job queue (another store or a manual clock)
    /// instead of one over `config.database_url`.
    pub fn jobs(mut self, jobs: Jobs) -> Self {
        self.jobs = Some(jobs);
        self
    }

    /// Uses an existing database handle instead of connecting to
    /// `config.database_url`.
    pub fn db(mut self, db: Db) -> Self {
        self.db = Some(db);
        self
    }

    /// Uses another rate-limit backend (default: Redis when
    /// `RATE_LIMIT_REDIS_URL` is set, else in memory).
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Uses another identity store (default: the `bunbase_` tables in the
    /// database of `config.database_url`).
    pub fn auth_store(mut self, store: Arc<dyn AuthBackend>) -> Self {
        self.auth_store = Some(store);
        self
    }

    /// Sends run history elsewhere (default: the `bunbase_runs` table).
    pub fn run_sink(mut self, sink: Arc<dyn RunSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Tunes the run writer.
    pub fn recorder_options(mut self, opts: RecorderOptions) -> Self {
        self.recorder = opts;
        self
    }

    /// Connects the database (unless given), creates the runtime's own
    /// tables, and starts the run writer. Must run inside a tokio runtime.
    pub async fn build(self) -> Result<Runtime, Error> {
        let config = self.config;
        huge_pages(config.huge_pages);
        let db = match self.db {
            Some(db) => db,
            None => Db::connect_with(&config.database_url, config.database_max_connections).await?,
        };
        crate::runs::ensure_schema(&db).await?;
        let sessions = if config.session_keys.is_empty() {
            tracing::warn!(
                "SESSION_SECRET is not set: using a random session key. Sessions will not survive a restart \
                 and will not work across instances. Set SESSION_SECRET (at least 32 characters) in production."
            );
            SessionManager::random()
        } else {
            SessionManager::new(config.session_keys.clone())?
        }
        .with_ttl(config.session_ttl)
        .with_secure(config.session_cookie_secure);
        // The identity tables live in the application's database.
        let store = match self.auth_store {
            Some(store) => store,
            None => crate::auth::store::from_db(&db).await?,
        };
        let mut trusted_origins = config.cors_origins.clone();
        trusted_origins.extend(config.csrf_trusted_origins.iter().cloned());
        let auth = Auth::new(
            store.clone(),
            sessions,
            AuthOptions {
                cache_ttl: config.auth_cache,
                session_cache_ttl: config.session_cache,
                idempotency_retention: config.idempotency_retention,
                idempotency_wait: config.idempotency_wait,
                trusted_origins,
            },
        );
        let limiter = match self.limiter {
            Some(l) => l,
            None => default_limiter(&config, store).await?,
        };
        let sink = self.sink.unwrap_or_else(|| Arc::new(DbRunSink(db.clone())));
        // The queue lives in the application's database, on its pool.
        let jobs = match self.jobs {
            Some(jobs) => jobs,
            None => Jobs::from_db(&db),
        };
        // The queue's tables exist before any handler runs: a first enqueue
        // inside a handler's SQLite transaction must not create them from
        // another connection while the transaction holds the write lock.
        jobs.ready().await?;
        if config.jobs_worker {
            jobs.start_worker(config.jobs.clone());
        }
        let scheduler = crate::schedule::Scheduler::new(jobs.clone());
        let rt = Runtime {
            inner: Arc::new(Inner {
                auth,
                limiter,
                runs: {
                    let opts = RecorderOptions {
                        retention: config.run_history_retention,
                        ..self.recorder
                    };
                    let runs = RunRecorder::spawn(sink, opts);
                    runs.set_history(config.run_history);
                    runs
                },
                custom_guards: OnceLock::new(),
                events: EventBus::default(),
                jobs,
                scheduler,
                webhooks: Default::default(),
                #[cfg(feature = "metrics")]
                metrics: config.metrics.enabled.then(|| {
                    let m = Arc::new(crate::observe::metrics::Metrics::new());
                    crate::observe::metrics::Metrics::spawn_upkeep(&m);
                    m
                }),
                db,
                config,
            }),
        };
        if rt.inner.config.jobs_worker {
            rt.inner.scheduler.start();
        }
        Ok(rt)
    }
}

impl Runtime {
    /// A builder over `config`.
    pub fn builder(config: Config) -> RuntimeBuilder {
        RuntimeBuilder {
            config,
            db: None,
            limiter: None,
            auth_store: None,
            sink: None,
            recorder: RecorderOptions::default(),
            jobs: None,
        }
    }

    /// Starts a runtime with default backends: `Runtime::builder(config).build()`.
    pub async fn start(config: Config) -> Result<Runtime, Error> {
        Self::builder(config).build().await
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The session cookie signer.
    pub fn sessions(&self) -> &SessionManager {
        self.inner.auth.cookies()
    }

    /// The identity service: sessions, roles and permissions, API keys,
    /// organizations, plans and subscriptions.
    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    /// The rate-limit backend.
    pub fn rate_limiter(&self) -> &dyn RateLimiter {
        &*self.inner.limiter
    }

    /// The run history writer.
    pub fn runs(&self) -> &RunRecorder {
        &self.inner.runs
    }

    /// The in-process event bus.
    pub fn events(&self) -> &EventBus {
        &self.inner.events
    }

    /// The job queue.
    pub fn jobs(&self) -> &Jobs {
        &self.inner.jobs
    }

    /// The scheduler (cron, interval and one-shot schedules).
    pub fn scheduler(&self) -> &crate::schedule::Scheduler {
        &self.inner.scheduler
    }

    /// Registers the handler of jobs of `kind`, called with this runtime
    /// (held weakly: registering does not keep the runtime alive).
    /// Generated code calls [`crate::ActionSpec::run_job`] in it.
    pub fn register_job<F, Fut>(&self, kind: JobKind, handler: F)
    where
        F: Fn(Runtime, JobRun) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), crate::ApiError>> + Send + 'static,
    {
        let weak = Arc::downgrade(&self.inner);
        self.inner.jobs.register(kind, move |run| {
            let fut = weak.upgrade().map(|inner| handler(Runtime { inner }, run));
            async move {
                match fut {
                    Some(fut) => fut.await,
                    None => Err(crate::ApiError::internal("the runtime has shut down")),
                }
            }
        });
    }

    /// The webhook layer's state (secrets problems, delivery store, queue).
    pub(crate) fn webhooks(&self) -> &crate::webhooks::WebhookState {
        &self.inner.webhooks
    }

    /// The metrics registry, when `METRICS` is on (feature `metrics`).
    #[cfg(feature = "metrics")]
    pub fn metrics(&self) -> Option<&crate::observe::metrics::Metrics> {
        self.inner.metrics.as_deref()
    }

    /// Registers the user's custom guards (once; later calls are ignored
    /// with a warning). Until registered, every custom guard denies.
    pub fn set_custom_guards(&self, guards: Arc<dyn CustomGuards>) {
        if self.inner.custom_guards.set(guards).is_err() {
            tracing::warn!(
                "custom guards were already registered; ignoring the second registration"
            );
        }
    }

    /// The registered custom guards.
    pub fn custom_guards(&self) -> Option<&dyn CustomGuards> {
        self.inner.custom_guards.get().map(|g| &**g)
    }

    /// Applies the runtime's tables and the user's migrations.
    pub async fn migrate(&self, migrations: &Migrations) -> Result<(), Error> {
        Ok(self.inner.db.migrate(migrations).await?)
    }

    /// Stops the scheduler, drains the job worker (running jobs get
    /// `SHUTDOWN_GRACE_SECS`, then their leases are released), flushes run
    /// history (and, with OpenTelemetry export, buffered spans) and closes
    /// the database pool. Called by
    /// [`crate::serve`] after the server stops.
    pub async fn shutdown(&self) {
        self.inner.scheduler.stop().await;
        self.inner
            .jobs
            .shutdown(self.inner.config.shutdown_grace)
            .await;
        self.inner.runs.flush().await;
        self.inner.db.close().await;
        #[cfg(feature = "otel")]
        crate::observe::otel::flush().await;
    }
}

/// The rate limiter the configuration asks for: the database with
/// `RATE_LIMIT_BACKEND=database`, Redis when `RATE_LIMIT_REDIS_URL` is set
/// (feature `redis`), else in memory.
async fn default_limiter(
    config: &Config,
    store: Arc<dyn AuthBackend>,
) -> Result<Arc<dyn RateLimiter>, Error> {
    if config.rate_limit_database {
        return Ok(Arc::new(crate::auth::ratelimit::DbRateLimiter(store)));
    }
    match &config.rate_limit_redis_url {
        None => Ok(Arc::new(MemoryRateLimiter::new())),
        #[cfg(feature = "redis")]
        Some(url) => Ok(Arc::new(
            crate::auth::redis::RedisRateLimiter::connect(url, &config.app_name).await?,
        )),
        #[cfg(not(feature = "redis"))]
        Some(_) => Err(AuthError::Config(
            "RATE_LIMIT_REDIS_URL is set but this server was built without the runtime's `redis` feature: enable it in Cargo.toml (bunbase-runtime = { features = [\"redis\"] })".into(),
        )
        .into()),
    }
}

/// Runs a server's `main` future on a multi-threaded tokio runtime, as
/// `#[tokio::main]` does, after what has to happen before the runtime's
/// threads start: with `HUGE_PAGES` off (the default; see
/// [`Config::huge_pages`]) the kernel is asked for no transparent huge
/// pages first, so no worker thread's arena is backed by one. The
/// generated `main` calls it:
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     bunbase_runtime::block_on(async { std::process::ExitCode::SUCCESS })
/// }
/// ```
///
/// An invalid `HUGE_PAGES` changes nothing here: [`Config::from_env`]
/// reports it.
///
/// # Panics
///
/// When the operating system refuses to start the runtime's threads, as
/// `#[tokio::main]` does.
pub fn block_on<F: Future>(main: F) -> F::Output {
    let allowed = std::env::var("HUGE_PAGES")
        .ok()
        .and_then(|v| crate::config::parse_bool(&v))
        .unwrap_or(false);
    huge_pages(allowed);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("failed to start the tokio runtime")
        .block_on(main)
}

/// Applies [`Config::huge_pages`]: off asks the kernel for no transparent
/// huge pages in this process from now on (pages already backed keep
/// theirs). Only with mimalloc on Linux, whose arenas ask for huge pages;
/// elsewhere nothing to do.
fn huge_pages(allowed: bool) {
    #[cfg(all(feature = "mimalloc", target_os = "linux"))]
    if !allowed && let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::debug!(error = %e, "could not turn transparent huge pages off");
    }
    #[cfg(not(all(feature = "mimalloc", target_os = "linux")))]
    let _ = allowed;
}
