//! [`Config`]: server settings read from the environment, with development defaults.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Failures reading the configuration. Messages say how to fix the problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable has a value that does not parse.
    #[error("environment variable {name}={value:?} is invalid: {hint}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What a valid value looks like.
        hint: &'static str,
    },
}

/// The default [`Config::head_limit`]: 64 KiB, room for large cookies and
/// tokens, far below hyper's own buffer.
pub const DEFAULT_HEAD_LIMIT: usize = 64 * 1024;

/// Server settings. [`Config::from_env`] reads them; tests build one with
/// [`Config::for_test`] and adjust fields.
#[derive(Debug, Clone)]
pub struct Config {
    /// snake_case project name (used for the default database file and logs).
    pub app_name: String,
    /// `HOST` (default `0.0.0.0`).
    pub host: IpAddr,
    /// `PORT` (default 8080; 0 picks a free port).
    pub port: u16,
    /// `DATABASE_URL` (default `sqlite://./data/<app_name>.db?mode=rwc`).
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS` (default 10).
    pub database_max_connections: u32,
    /// `SESSION_SECRET`: comma-separated keys, newest first (sign with the
    /// first, verify with any). Empty means development: a random key is
    /// generated and a loud warning logged.
    pub session_keys: Vec<Vec<u8>>,
    /// `SESSION_TTL_SECS` (default 7 days).
    pub session_ttl: Duration,
    /// `SESSION_COOKIE_SECURE` (default true): whether the cookie carries
    /// `Secure`.
    pub session_cookie_secure: bool,
    /// `BODY_LIMIT_BYTES` (default 1 MiB).
    pub body_limit: usize,
    /// `HEAD_LIMIT_BYTES` (default 64 KiB): the largest request head (the
    /// request line and every header field, counted as HTTP/1.1 text,
    /// `name: value` and a line break each). A larger head answers 431
    /// `headers_too_large` (414 `uri_too_long` when the URI alone is over
    /// it) with the error envelope. hyper refuses heads past its own
    /// read buffer (about 400 KiB) or with more than 100 fields before
    /// any limit here applies, with the same envelope.
    pub head_limit: usize,
    /// `HUGE_PAGES` (default off): whether the process may get transparent
    /// huge pages. With mimalloc (the generated servers' allocator) on
    /// Linux, off asks the kernel for none at start (`prctl`
    /// `PR_SET_THP_DISABLE`; [`crate::block_on`], which the generated
    /// `main` calls, does it before the async runtime's threads start,
    /// and [`crate::Runtime::start`] again): mimalloc asks for huge pages on every
    /// thread's arena, so each thread that allocates (the tokio workers,
    /// one per SQLite connection) held a 2 MiB page for a few KiB, most of
    /// the server's resident memory. `on` leaves the system's policy.
    pub huge_pages: bool,
    /// `TRUST_PROXY` (default false): take the client IP from the first
    /// `X-Forwarded-For` hop (for per-IP rate limits behind a proxy).
    pub trust_proxy: bool,
    /// `SHUTDOWN_GRACE_SECS` (default 30): how long in-flight requests get
    /// after SIGINT/SIGTERM.
    pub shutdown_grace: Duration,
    /// `CORS_ALLOWED_ORIGINS` (default none: no CORS headers): comma-separated
    /// origins (`https://app.example.com`) allowed to call the API from a
    /// browser with cookies; `*` allows any origin, without cookies.
    pub cors_origins: Vec<String>,
    /// `RUN_HISTORY` (default `sampled`): which runs `bunbase_runs` keeps,
    /// `sampled` (every failure, and of each action's successes the first
    /// `RUN_HISTORY_PER_SECOND` in each second, default 100), `all`,
    /// `errors` (failed runs only) or `off`.
    pub run_history: crate::runs::RunHistory,
    /// `RUN_HISTORY_RETENTION` (default `7d`; `never` keeps any age) and
    /// `RUN_HISTORY_MAX_ROWS` (default 500,000; `0` for no limit): what
    /// the pruner, every 10 s, keeps of `bunbase_runs`.
    pub run_history_retention: crate::runs::Retention,
    /// `JOBS_WORKER` (default true): whether this process runs a job worker
    /// (and the scheduler). Turn it off on instances that should only
    /// serve HTTP; run `<server> worker` elsewhere.
    pub jobs_worker: bool,
    /// The worker's tuning: `JOBS_CONCURRENCY` (10),
    /// `JOBS_POLL_INTERVAL_MS` (1000), `JOBS_LEASE_SECS` (30),
    /// `JOBS_RETENTION_SECS` (86400; 0 deletes jobs as they complete) and
    /// `JOBS_DEAD_RETENTION_SECS` (604800).
    pub jobs: crate::jobs::WorkerOptions,
    /// `EVENTS` (default `memory`): how emitted events reach subscribers
    /// (see [`crate::events::EventsMode`]).
    pub events: crate::events::EventsMode,
    /// `NATS_URL` (default `nats://127.0.0.1:4222`): the NATS server for
    /// `EVENTS=nats` and `EVENTS=jetstream`.
    pub nats_url: String,
    /// `AUTH_CACHE_MS` (default 5000): how long a user's roles and
    /// permissions read from the database are reused (0: read every time).
    pub auth_cache: Duration,
    /// `SESSION_CACHE_MS` (default 1000): how long a session row read from
    /// the database is reused by this instance. A logout or revocation made
    /// on this instance takes effect at once; one made on another instance
    /// within this time. 0 reads the table on every request.
    pub session_cache: Duration,
    /// `IDEMPOTENCY_RETENTION_SECS` (default 24 h): how long an
    /// `Idempotency-Key`'s response is kept.
    pub idempotency_retention: Duration,
    /// `IDEMPOTENCY_WAIT_MS` (default 5000): how long a retry waits for the
    /// request with its key that is still running before answering 409.
    pub idempotency_wait: Duration,
    /// `CSRF_TRUSTED_ORIGINS` (default none): comma-separated origins,
    /// besides `CORS_ALLOWED_ORIGINS` and the server's own, that may send
    /// cookie-authenticated mutating requests.
    pub csrf_trusted_origins: Vec<String>,
    /// `RATE_LIMIT_REDIS_URL` (default none: in memory): share rate limits
    /// across instances through this Redis (needs the `redis` feature).
    pub rate_limit_redis_url: Option<String>,
    /// `RATE_LIMIT_BACKEND=database` (default `memory`; `redis` follows
    /// `RATE_LIMIT_REDIS_URL`): share rate limits across instances through
    /// the `bunbase_rate_limits` table.
    pub rate_limit_database: bool,
    /// Where secrets the contracts name by environment variable (a
    /// webhook's `secret_env`) are read: the process environment, except
    /// in [`Config::for_test`], which starts empty.
    pub secrets: SecretSource,
    /// `MCP_ALLOWED_HOSTS` (default `localhost,127.0.0.1,::1`): the `Host`
    /// values the MCP endpoint accepts, comma-separated (`host` or
    /// `host:port`); `*` accepts any. Guards against DNS rebinding: set it to
    /// the server's public host names in production.
    pub mcp_allowed_hosts: Vec<String>,
    /// `METRICS` (default off) and `METRICS_TOKEN`: the Prometheus
    /// `/metrics` endpoint and the counting behind it (see
    /// [`crate::observe`]).
    pub metrics: crate::observe::MetricsConfig,
}

/// The function behind a [`SecretSource`].
type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// A lookup of secrets by variable name. Never printed: its `Debug` shows
/// only where the values come from.
#[derive(Clone)]
pub struct SecretSource {
    lookup: Lookup,
    label: &'static str,
}

impl SecretSource {
    /// Reads the process environment.
    pub fn env() -> SecretSource {
        SecretSource {
            lookup: Arc::new(|name| std::env::var(name).ok()),
            label: "environment",
        }
    }

    /// A fixed set of `(name, value)` pairs (tests, or secrets fetched from
    /// a vault at start).
    pub fn from_pairs<N: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> SecretSource {
        let map: std::collections::BTreeMap<String, String> = pairs
            .into_iter()
            .map(|(n, v)| (n.into(), v.into()))
            .collect();
        SecretSource {
            lookup: Arc::new(move |name| map.get(name).cloned()),
            label: "fixed pairs",
        }
    }

    /// The value of `name`, if set and not blank.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }
}

impl std::fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretSource({})", self.label)
    }
}

impl Config {
    /// Defaults for `app_name` without reading the environment.
    pub fn defaults(app_name: &str) -> Config {
        Config {
            app_name: app_name.to_owned(),
            host: IpAddr::from([0, 0, 0, 0]),
            port: 8080,
            database_url: crate::Db::default_url(app_name),
            database_max_connections: 10,
            session_keys: Vec::new(),
            session_ttl: crate::session::DEFAULT_SESSION_TTL,
            session_cookie_secure: true,
            body_limit: 1024 * 1024,
            head_limit: DEFAULT_HEAD_LIMIT,
            huge_pages: false,
            trust_proxy: false,
            shutdown_grace: Duration::from_secs(30),
            cors_origins: Vec::new(),
            run_history: crate::runs::RunHistory::default(),
            run_history_retention: crate::runs::Retention::default(),
            jobs_worker: true,
            jobs: crate::jobs::WorkerOptions::default(),
            events: crate::events::EventsMode::Memory,
            nats_url: "nats://127.0.0.1:4222".to_owned(),
            auth_cache: Duration::from_millis(5000),
            session_cache: Duration::from_millis(1000),
            idempotency_retention: Duration::from_secs(24 * 3600),
            idempotency_wait: Duration::from_millis(5000),
            csrf_trusted_origins: Vec::new(),
            rate_limit_redis_url: None,
            rate_limit_database: false,
            secrets: SecretSource::env(),
            mcp_allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            metrics: crate::observe::MetricsConfig::default(),
        }
    }

    /// A test configuration: in-memory SQLite, a random session key, port 0,
    /// cookies without `Secure`.
    pub fn for_test(app_name: &str) -> Config {
        let key: [u8; 32] = rand::random();
        Config {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            database_url: "sqlite::memory:".to_owned(),
            session_keys: vec![key.to_vec()],
            session_cookie_secure: false,
            secrets: SecretSource::from_pairs(Vec::<(String, String)>::new()),
            ..Config::defaults(app_name)
        }
    }

    /// Reads `PORT`, `HOST`, `DATABASE_URL`, `DATABASE_MAX_CONNECTIONS`,
    /// `SESSION_SECRET`, `SESSION_TTL_SECS`, `SESSION_COOKIE_SECURE`,
    /// `BODY_LIMIT_BYTES`, `HEAD_LIMIT_BYTES`, `HUGE_PAGES`, `TRUST_PROXY`, `SHUTDOWN_GRACE_SECS`,
    /// `CORS_ALLOWED_ORIGINS`, `RUN_HISTORY`, `RUN_HISTORY_PER_SECOND`, `RUN_HISTORY_RETENTION`,
    /// `RUN_HISTORY_MAX_ROWS`, `JOBS_WORKER`, `JOBS_*`,
    /// `EVENTS`, `NATS_URL`, `MCP_ALLOWED_HOSTS`, `METRICS`, `METRICS_TOKEN`,
    /// `AUTH_CACHE_MS`, `SESSION_CACHE_MS`, `IDEMPOTENCY_RETENTION_SECS`,
    /// `IDEMPOTENCY_WAIT_MS`, `CSRF_TRUSTED_ORIGINS`, `RATE_LIMIT_REDIS_URL` and
    /// `RATE_LIMIT_BACKEND` over
    /// [`Config::defaults`]. (`RUST_LOG` is read by [`crate::init_tracing`].)
    pub fn from_env(app_name: &str) -> Result<Config, ConfigError> {
        Self::from_lookup(app_name, |k| std::env::var(k).ok())
    }

    /// [`Config::from_env`] over any variable lookup (for tests).
    pub fn from_lookup(
        app_name: &str,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut c = Config::defaults(app_name);
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("HOST") {
            c.host = v
                .trim()
                .parse()
                .map_err(|_| invalid("HOST", &v, "an IP address such as 0.0.0.0 or 127.0.0.1"))?;
        }
        if let Some(v) = get("PORT") {
            c.port = v
                .trim()
                .parse()
                .map_err(|_| invalid("PORT", &v, "a port number from 0 to 65535"))?;
        }
        if let Some(v) = get("DATABASE_URL") {
            c.database_url = v.trim().to_owned();
        }
        if let Some(v) = get("DATABASE_MAX_CONNECTIONS") {
            c.database_max_connections = v
                .trim()
                .parse()
                .map_err(|_| invalid("DATABASE_MAX_CONNECTIONS", &v, "a positive integer"))?;
        }
        if let Some(v) = get("SESSION_SECRET") {
            c.session_keys = v
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| k.as_bytes().to_vec())
                .collect();
            if c.session_keys.iter().any(|k| k.len() < 32) {
                return Err(invalid(
                    "SESSION_SECRET",
                    "<hidden>",
                    "comma-separated keys of at least 32 characters each, newest first",
                ));
            }
        }
        if let Some(v) = get("SESSION_TTL_SECS") {
            let secs: u64 = v
                .trim()
                .parse()
                .map_err(|_| invalid("SESSION_TTL_SECS", &v, "a number of seconds"))?;
            c.session_ttl = Duration::from_secs(secs);
        }
        if let Some(v) = get("SESSION_COOKIE_SECURE") {
            c.session_cookie_secure = parse_bool(&v)
                .ok_or_else(|| invalid("SESSION_COOKIE_SECURE", &v, "true or false"))?;
        }
        if let Some(v) = get("BODY_LIMIT_BYTES") {
            c.body_limit = v
                .trim()
                .parse()
                .map_err(|_| invalid("BODY_LIMIT_BYTES", &v, "a number of bytes"))?;
        }
        if let Some(v) = get("HEAD_LIMIT_BYTES") {
            c.head_limit = v
                .trim()
                .parse()
                .map_err(|_| invalid("HEAD_LIMIT_BYTES", &v, "a number of bytes"))?;
        }
        if let Some(v) = get("HUGE_PAGES") {
            c.huge_pages = parse_bool(&v).ok_or_else(|| invalid("HUGE_PAGES", &v, "on or off"))?;
        }
        if let Some(v) = get("TRUST_PROXY") {
            c.trust_proxy =
                parse_bool(&v).ok_or_else(|| invalid("TRUST_PROXY", &v, "true or false"))?;
        }
        if let Some(v) = get("SHUTDOWN_GRACE_SECS") {
            let secs: u64 = v
                .trim()
                .parse()
                .map_err(|_| invalid("SHUTDOWN_GRACE_SECS", &v, "a number of seconds"))?;
            c.shutdown_grace = Duration::from_secs(secs);
        }
        if let Some(v) = get("CORS_ALLOWED_ORIGINS") {
            c.cors_origins = v
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect();
            if let Some(bad) = c
                .cors_origins
                .iter()
                .find(|o| o.as_str() != "*" && axum::http::HeaderValue::from_str(o).is_err())
            {
                return Err(invalid(
                    "CORS_ALLOWED_ORIGINS",
                    bad,
                    "comma-separated origins like https://app.example.com, or *",
                ));
            }
        }
        if let Some(v) = get("RUN_HISTORY") {
            c.run_history = crate::runs::RunHistory::parse(&v)
                .ok_or_else(|| invalid("RUN_HISTORY", &v, "sampled, all, errors or off"))?;
        }
        if let Some(v) = get("RUN_HISTORY_PER_SECOND") {
            let per_second = v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    invalid(
                        "RUN_HISTORY_PER_SECOND",
                        &v,
                        "a number of successful runs per action and second, at least 1",
                    )
                })?;
            if let crate::runs::RunHistory::Sampled { .. } = c.run_history {
                c.run_history = crate::runs::RunHistory::Sampled { per_second };
            }
        }
        if let Some(v) = get("RUN_HISTORY_RETENTION") {
            c.run_history_retention.max_age = match v.trim() {
                "never" => None,
                age => Some(parse_age(age).ok_or_else(|| {
                    invalid(
                        "RUN_HISTORY_RETENTION",
                        &v,
                        "an age such as 7d, 12h, 30m, 2w, or never",
                    )
                })?),
            };
        }
        if let Some(v) = get("RUN_HISTORY_MAX_ROWS") {
            let rows: u64 = v.trim().parse().map_err(|_| {
                invalid("RUN_HISTORY_MAX_ROWS", &v, "a number of rows (0: no limit)")
            })?;
            c.run_history_retention.max_rows = (rows > 0).then_some(rows);
        }
        if let Some(v) = get("JOBS_WORKER") {
            c.jobs_worker =
                parse_bool(&v).ok_or_else(|| invalid("JOBS_WORKER", &v, "true or false"))?;
        }
        if let Some(v) = get("JOBS_CONCURRENCY") {
            c.jobs.concurrency = v
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| invalid("JOBS_CONCURRENCY", &v, "a positive integer"))?;
        }
        let millis = |name: &'static str, v: &str, unit: u64| {
            v.trim()
                .parse::<u64>()
                .map(|n| Duration::from_millis(n.saturating_mul(unit)))
                .map_err(|_| invalid(name, v, "a whole number"))
        };
        if let Some(v) = get("JOBS_POLL_INTERVAL_MS") {
            c.jobs.poll_interval =
                millis("JOBS_POLL_INTERVAL_MS", &v, 1)?.max(Duration::from_millis(10));
        }
        if let Some(v) = get("JOBS_LEASE_SECS") {
            c.jobs.lease = millis("JOBS_LEASE_SECS", &v, 1000)?.max(Duration::from_secs(1));
        }
        if let Some(v) = get("JOBS_RETENTION_SECS") {
            c.jobs.completed_retention = millis("JOBS_RETENTION_SECS", &v, 1000)?;
        }
        if let Some(v) = get("JOBS_DEAD_RETENTION_SECS") {
            c.jobs.dead_retention = millis("JOBS_DEAD_RETENTION_SECS", &v, 1000)?;
        }
        if let Some(v) = get("EVENTS") {
            c.events = crate::events::EventsMode::parse(&v)
                .ok_or_else(|| invalid("EVENTS", &v, "memory, durable, nats or jetstream"))?;
        }
        if let Some(v) = get("NATS_URL") {
            c.nats_url = v.trim().to_owned();
        }
        let ms = |name: &'static str, v: &str| -> Result<Duration, ConfigError> {
            v.trim()
                .parse()
                .map(Duration::from_millis)
                .map_err(|_| invalid(name, v, "a number of milliseconds"))
        };
        if let Some(v) = get("AUTH_CACHE_MS") {
            c.auth_cache = ms("AUTH_CACHE_MS", &v)?;
        }
        if let Some(v) = get("SESSION_CACHE_MS") {
            c.session_cache = ms("SESSION_CACHE_MS", &v)?;
        }
        if let Some(v) = get("IDEMPOTENCY_WAIT_MS") {
            c.idempotency_wait = ms("IDEMPOTENCY_WAIT_MS", &v)?;
        }
        if let Some(v) = get("IDEMPOTENCY_RETENTION_SECS") {
            let secs: u64 = v
                .trim()
                .parse()
                .map_err(|_| invalid("IDEMPOTENCY_RETENTION_SECS", &v, "a number of seconds"))?;
            c.idempotency_retention = Duration::from_secs(secs);
        }
        if let Some(v) = get("CSRF_TRUSTED_ORIGINS") {
            c.csrf_trusted_origins = v
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(v) = get("RATE_LIMIT_REDIS_URL") {
            c.rate_limit_redis_url = Some(v.trim().to_owned());
        }
        if let Some(v) = get("RATE_LIMIT_BACKEND") {
            match v.trim().to_ascii_lowercase().as_str() {
                "memory" => c.rate_limit_redis_url = None,
                "database" => c.rate_limit_database = true,
                "redis" if c.rate_limit_redis_url.is_some() => {}
                _ => {
                    return Err(invalid(
                        "RATE_LIMIT_BACKEND",
                        &v,
                        "memory, database, or redis (with RATE_LIMIT_REDIS_URL set)",
                    ));
                }
            }
        }
        if let Some(v) = get("MCP_ALLOWED_HOSTS") {
            c.mcp_allowed_hosts = v
                .split(',')
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(str::to_owned)
                .collect();
        }
        c.metrics = metrics_config(&get)?;
        Ok(c)
    }
}

/// `METRICS` (`on`/`off`, default off) and `METRICS_TOKEN` (a bearer token
/// of at least 16 characters; setting it turns metrics on).
fn metrics_config(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<crate::observe::MetricsConfig, ConfigError> {
    let switch = match get("METRICS") {
        Some(v) => Some(parse_bool(&v).ok_or_else(|| invalid("METRICS", &v, "on or off"))?),
        None => None,
    };
    let token = get("METRICS_TOKEN").map(|t| t.trim().to_owned());
    if token.as_ref().is_some_and(|t| t.len() < 16) {
        return Err(invalid(
            "METRICS_TOKEN",
            "<hidden>",
            "a bearer token of at least 16 characters",
        ));
    }
    if switch == Some(false) && token.is_some() {
        return Err(invalid(
            "METRICS",
            "off",
            "on, or unset METRICS_TOKEN: a token protects an endpoint that METRICS=off turns off",
        ));
    }
    let enabled = switch.unwrap_or(token.is_some());
    if enabled && !crate::observe::METRICS_BUILT {
        return Err(invalid(
            "METRICS",
            "on",
            "off: this server was built without the bunbase-runtime feature `metrics`",
        ));
    }
    Ok(crate::observe::MetricsConfig { enabled, token })
}

pub(crate) fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn invalid(name: &'static str, value: &str, hint: &'static str) -> ConfigError {
    ConfigError::Invalid {
        name,
        value: value.to_owned(),
        hint,
    }
}

/// `7d`, `12h`, `30m`, `45s` or `2w` as a duration (more than zero).
fn parse_age(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().ok().filter(|&n| n > 0)?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    n.checked_mul(secs).map(Duration::from_secs)
}
