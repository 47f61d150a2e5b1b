//! Shared fixtures for the queue, scheduler and event tests: a fresh SQLite file or PostgreSQL database per test, loud skips, and waiting helpers.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use bunbase_runtime::jobs::{Clock, JobBackend, JobInfo, Jobs, PostgresJobs, SqliteJobs};

/// Loud skip; a failure under CI=true, where every service must be present.
pub fn skip(test: &str, why: &str) {
    let msg = format!("SKIPPED {test}: {why}");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI must run every test)");
    }
    eprintln!("\n==================== {msg} ====================\n");
}

/// A database for one test: a temp SQLite file, or a fresh PostgreSQL
/// database dropped when the fixture is dropped.
pub enum TestDb {
    /// A SQLite file in a temp dir.
    Sqlite {
        /// The URL.
        url: String,
        /// Keeps the folder.
        _dir: tempfile::TempDir,
    },
    /// A PostgreSQL database.
    Postgres {
        /// The URL of the test database.
        url: String,
        /// The server's admin URL.
        admin: String,
        /// The database name.
        name: String,
    },
}

impl TestDb {
    /// A temp SQLite file.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/jobs.db?mode=rwc", dir.path().display());
        TestDb::Sqlite { url, _dir: dir }
    }

    /// A fresh PostgreSQL database, or `None` after a loud skip.
    pub fn postgres(test: &str) -> Option<TestDb> {
        let Some(admin) = std::env::var("BUNBASE_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            skip(test, "BUNBASE_TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = format!("bb_q_{}", uuid::Uuid::new_v4().simple());
        psql(&admin, &format!("CREATE DATABASE {name}"));
        let mut url = url::Url::parse(&admin).expect("valid url");
        url.set_path(&format!("/{name}"));
        Some(TestDb::Postgres {
            url: url.to_string(),
            admin,
            name,
        })
    }

    /// Both dialects: SQLite always, PostgreSQL when configured.
    pub fn both(test: &str) -> Vec<TestDb> {
        let mut v = vec![TestDb::sqlite()];
        v.extend(TestDb::postgres(test));
        v
    }

    /// The URL.
    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    /// `sqlite` or `postgres`.
    pub fn name(&self) -> &'static str {
        match self {
            TestDb::Sqlite { .. } => "sqlite",
            TestDb::Postgres { .. } => "postgres",
        }
    }

    /// A backend over this database.
    pub fn backend(&self) -> Arc<dyn JobBackend> {
        match self {
            TestDb::Sqlite { url, .. } => Arc::new(SqliteJobs::connect_lazy(url, 4).unwrap()),
            TestDb::Postgres { url, .. } => Arc::new(PostgresJobs::connect_lazy(url, 8).unwrap()),
        }
    }

    /// A queue over this database with `clock`.
    pub fn jobs(&self, clock: Arc<dyn Clock>) -> Jobs {
        Jobs::with_clock(self.backend(), clock)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin, name, .. } = self {
            psql(
                admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

/// Runs one SQL statement on the admin URL through a one-off connection
/// on a thread of its own (usable from Drop inside a runtime).
fn psql(admin: &str, sql: &str) {
    let admin = admin.to_owned();
    let sql = sql.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            use bunbase_runtime::sqlx::Connection as _;
            let mut c = bunbase_runtime::sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to BUNBASE_TEST_POSTGRES_URL");
            bunbase_runtime::sqlx::raw_sql(bunbase_runtime::sqlx::AssertSqlSafe(sql))
                .execute(&mut c)
                .await
                .expect("admin statement");
        });
    })
    .join()
    .unwrap();
}

/// Polls `check` every 10 ms until it returns `Some`, failing after
/// `secs` seconds with `what` (a bound on a hang, not a timing assertion).
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let until = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "gave up after {secs} s waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The job `id`, which must exist.
pub async fn job(jobs: &Jobs, id: i64) -> JobInfo {
    jobs.get(id).await.unwrap().expect("job exists")
}
