//! The processes `queue_processes` starts (a chaos worker, a cron node, an event subscriber) and the private PostgreSQL cluster it restarts.

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::Duration;

use bunbase_runtime::events::{EventsMode, SubscribeOptions};
use bunbase_runtime::jobs::{Conn, JobKind, Jobs, PostgresJobs, SqliteJobs, WorkerOptions};
use bunbase_runtime::schedule::{MissedTicks, Schedule};
use bunbase_runtime::sqlx::{self, Connection as _};
use bunbase_runtime::{ApiError, Config, Runtime, TriggerKind, tokio};

/// The kind the chaos workers run.
pub const CHAOS_KIND: &str = "chaos";

/// Runs the role named `role` until killed.
pub fn main(role: &str) -> ExitCode {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    rt.block_on(async move {
        match role {
            "chaos-worker" => chaos_worker(&url).await,
            "cron-node" => cron_node(&url).await,
            "event-subscriber" => event_subscriber(&url).await,
            other => panic!("unknown role {other}"),
        }
    });
    ExitCode::SUCCESS
}

/// Writes each job's side effect in the transaction that completes it.
async fn chaos_worker(url: &str) {
    let opts = WorkerOptions {
        concurrency: 8,
        fetch_batch: 32,
        prefetch: 16,
        lease: Duration::from_secs(1),
        poll_interval: Duration::from_millis(100),
        ..WorkerOptions::default()
    };
    if url.starts_with("postgres") {
        let store = PostgresJobs::connect_lazy(url, 12).unwrap();
        let pool = store.pool().clone();
        let jobs = Jobs::new(Arc::new(store));
        jobs.register(JobKind::new(CHAOS_KIND).max_attempts(100), move |run| {
            let pool = pool.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(15)).await;
                let mut tx = pool.begin().await?;
                sqlx::query("INSERT INTO chaos_effects (job_id) VALUES ($1)")
                    .bind(run.id)
                    .execute(&mut *tx)
                    .await?;
                if run
                    .lease
                    .complete_in(Conn::from(&mut *tx))
                    .await
                    .map_err(ApiError::internal)?
                {
                    tx.commit().await?;
                }
                Ok(())
            }
        });
        jobs.start_worker(opts);
    } else {
        let store = SqliteJobs::connect_lazy(url, 4).unwrap();
        let pool = store.pool().clone();
        let jobs = Jobs::new(Arc::new(store));
        jobs.register(JobKind::new(CHAOS_KIND).max_attempts(100), move |run| {
            let pool = pool.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(15)).await;
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                sqlx::query("INSERT INTO chaos_effects (job_id) VALUES (?1)")
                    .bind(run.id)
                    .execute(&mut *tx)
                    .await?;
                if run
                    .lease
                    .complete_in(Conn::from(&mut *tx))
                    .await
                    .map_err(ApiError::internal)?
                {
                    tx.commit().await?;
                }
                Ok(())
            }
        });
        jobs.start_worker(opts);
    }
    std::future::pending::<()>().await;
}

fn config(url: &str) -> Config {
    let mut c = Config::for_test("queue_processes");
    c.database_url = url.to_owned();
    c.jobs.poll_interval = Duration::from_millis(50);
    c
}

/// Runs two schedules into one table, as a server would.
async fn cron_node(url: &str) {
    let rt = Runtime::start(config(url)).await.unwrap();
    for kind in ["tick_every", "tick_cron"] {
        rt.register_job(
            JobKind::new(kind).trigger(TriggerKind::Cron).internal(true),
            move |rt, run| async move {
                bunbase_runtime::with_pool!(rt.db(), pool => {
                    sqlx::query("INSERT INTO tick_runs (job_id, kind) VALUES ($1, $2)")
                        .bind(run.id)
                        .bind(kind)
                        .execute(pool)
                        .await
                        .map(|_| ())
                })?;
                Ok(())
            },
        );
    }
    let sched = rt.scheduler();
    sched
        .add(
            "tick_every",
            &Schedule::Every(Duration::from_millis(200)),
            MissedTicks::Skip,
            "tick_every",
        )
        .unwrap();
    sched
        .add(
            "tick_cron",
            &Schedule::cron("* * * * * *", "UTC"),
            MissedTicks::Skip,
            "tick_cron",
        )
        .unwrap();
    std::future::pending::<()>().await;
}

/// Subscribes to the test's event and records every delivery.
async fn event_subscriber(url: &str) {
    let mut c = config(url);
    c.events = EventsMode::parse(&std::env::var("EVENTS").unwrap()).unwrap();
    c.nats_url = std::env::var("NATS_URL").unwrap_or_default();
    let rt = Runtime::start(c).await.unwrap();
    let event: &'static str = Box::leak(std::env::var("BB_QP_EVENT").unwrap().into_boxed_str());
    rt.on_event(
        event,
        "notify.on_created",
        SubscribeOptions::default(),
        |rt, d| async move {
            let id = d.payload["id"].as_i64().unwrap_or(-1);
            let trace = d.trace_id.to_string();
            bunbase_runtime::with_pool!(rt.db(), pool => {
                sqlx::query("INSERT INTO event_effects (id, trace_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(trace.clone())
                    .execute(pool)
                    .await
                    .map(|_| ())
            })?;
            Ok(())
        },
    );
    // Give the subscription time to reach NATS or the database.
    tokio::time::sleep(Duration::from_millis(500)).await;
    bunbase_runtime::with_pool!(rt.db(), pool => {
        sqlx::query("INSERT INTO qp_ready (pid) VALUES ($1)")
            .bind(i64::from(std::process::id()))
            .execute(pool)
            .await
            .map(|_| ())
            .unwrap()
    });
    std::future::pending::<()>().await;
}

/// Waits until `n` subscriber processes said they are ready.
pub async fn wait_ready(url: &str, n: i64) -> Result<(), String> {
    for _ in 0..600 {
        let count: Option<i64> = if url.starts_with("postgres") {
            let mut c = sqlx::PgConnection::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::query_scalar("SELECT COUNT(*) FROM qp_ready")
                .fetch_one(&mut c)
                .await
                .ok()
        } else {
            let mut c = sqlx::SqliteConnection::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::query_scalar("SELECT COUNT(*) FROM qp_ready")
                .fetch_one(&mut c)
                .await
                .ok()
        };
        if count.unwrap_or(0) >= n {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("the subscriber processes did not start".into())
}

/// A private PostgreSQL cluster in a temp dir on a free port, stopped and
/// removed on drop. The machine's shared server is never touched.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl Cluster {
    /// Starts a cluster, or returns `None` after a loud skip when the
    /// server binaries are missing.
    pub fn start(test: &str) -> Result<Option<Cluster>, String> {
        let bin = std::fs::read_dir("/usr/lib/postgresql").ok().and_then(|d| {
            let mut v: Vec<PathBuf> = d
                .flatten()
                .map(|e| e.path().join("bin"))
                .filter(|b| b.join("initdb").exists())
                .collect();
            v.sort();
            v.pop()
        });
        let Some(bin) = bin else {
            crate::queue_support::skip(
                test,
                "PostgreSQL server binaries (initdb, pg_ctl) are missing: apt-get install postgresql",
            );
            return Ok(None);
        };
        let dir = tempfile::Builder::new()
            .prefix("bb-pgq-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let c = Cluster { dir, bin, port };
        if is_root() {
            sh(
                &format!("chown -R postgres {}", c.dir.path().display()),
                false,
            )?;
        }
        c.pg(&format!(
            "{}/initdb -D {}/data --auth=trust -U postgres --encoding=UTF8 >{}/initdb.log 2>&1",
            c.bin.display(),
            c.dir.path().display(),
            c.dir.path().display()
        ))?;
        c.pg_start()?;
        Ok(Some(c))
    }

    fn pg(&self, cmd: &str) -> Result<(), String> {
        sh(cmd, is_root())
    }

    fn pg_start(&self) -> Result<(), String> {
        let d = self.dir.path().display();
        self.pg(&format!(
            "{}/pg_ctl -D {d}/data -l {d}/server.log -w -t 60 -o \"-p {} -k {d} -c listen_addresses=127.0.0.1\" start >/dev/null",
            self.bin.display(),
            self.port
        ))
    }

    /// Stops the server (fast: connections are cut), waits a second, and
    /// starts it again.
    pub fn restart(&self) -> Result<(), String> {
        let d = self.dir.path().display();
        self.pg(&format!(
            "{}/pg_ctl -D {d}/data -m fast -w stop >/dev/null",
            self.bin.display()
        ))?;
        std::thread::sleep(Duration::from_secs(1));
        self.pg_start()
    }

    /// The URL of database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let d = self.dir.path().display();
        let _ = self.pg(&format!(
            "{}/pg_ctl -D {d}/data -m immediate -w stop >/dev/null 2>&1",
            self.bin.display()
        ));
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

fn sh(cmd: &str, as_postgres: bool) -> Result<(), String> {
    let status = if as_postgres {
        Command::new("su")
            .args(["postgres", "-s", "/bin/sh", "-c", cmd])
            .status()
    } else {
        Command::new("sh").args(["-c", cmd]).status()
    }
    .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{cmd}` failed ({status})"))
    }
}
