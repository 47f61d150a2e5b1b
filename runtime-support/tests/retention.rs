//! Run history retention: [`runs::prune`] deletes runs past their age and beyond the row limit in indexed batches, and the runtime's pruner does it on its schedule; on SQLite and, when `BUNBASE_TEST_POSTGRES_URL` is set, PostgreSQL.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bunbase_runtime::runs::{self, DbRunSink, Retention, RunRecord, RunSink, RunStatus};
use bunbase_runtime::{Config, Db, Runtime};
use common::TestDb;

/// A run that started `ago` before now, with a UUID v7 id of that time.
fn run_at(ago: Duration, n: u32) -> RunRecord {
    let t = SystemTime::now() - ago;
    let since = t.duration_since(UNIX_EPOCH).expect("after the epoch");
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, since.as_secs(), since.subsec_nanos());
    RunRecord {
        id: uuid::Uuid::new_v7(ts).to_string(),
        action: "notes.ok".into(),
        trigger: "http".into(),
        status: RunStatus::Ok,
        error_code: None,
        duration_ms: 1,
        attempt: 1,
        trace_id: format!("trace-{n}"),
        started_at: bunbase_runtime::chrono::DateTime::<bunbase_runtime::chrono::Utc>::from(t)
            .to_rfc3339_opts(bunbase_runtime::chrono::SecondsFormat::Millis, true),
    }
}

/// The trace ids of the runs kept, oldest first.
async fn kept(db: &Db) -> Vec<String> {
    bunbase_runtime::with_pool!(db.history(), pool => {
        bunbase_runtime::sqlx::query_scalar("SELECT trace_id FROM bunbase_runs ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("read runs")
    })
}

async fn count(db: &Db) -> i64 {
    bunbase_runtime::with_pool!(db.history(), pool => {
        bunbase_runtime::sqlx::query_scalar("SELECT COUNT(*) FROM bunbase_runs")
            .fetch_one(pool)
            .await
            .expect("count runs")
    })
}

/// A runtime whose own pruner stays out of the way.
async fn runtime(db: &TestDb) -> Runtime {
    db.runtime(|c: &mut Config| c.run_history_retention = Retention::KEEP_ALL)
        .await
}

async fn prune_suite(db: &TestDb) {
    let rt = runtime(db).await;
    let sink = DbRunSink(rt.db().clone());
    let day = Duration::from_secs(86_400);
    // Ten runs 8 to 17 days old, five from the last hour (oldest first).
    let mut rows: Vec<RunRecord> = (0..10).map(|i| run_at(day * (17 - i), i)).collect();
    rows.extend((10..15).map(|i| run_at(Duration::from_secs(60 * (75 - 5 * u64::from(i))), i)));
    sink.write(&rows).await.expect("write runs");
    let week = Retention {
        max_age: Some(day * 7),
        max_rows: None,
        ..Retention::KEEP_ALL
    };
    let now = SystemTime::now();
    assert_eq!(runs::prune(rt.db(), &week, now).await.expect("prune"), 10);
    let recent: Vec<String> = (10..15).map(|i| format!("trace-{i}")).collect();
    assert_eq!(kept(rt.db()).await, recent, "runs younger than 7 days stay");
    assert_eq!(runs::prune(rt.db(), &week, now).await.expect("prune"), 0);

    let three = Retention {
        max_age: None,
        max_rows: Some(3),
        ..Retention::KEEP_ALL
    };
    assert_eq!(runs::prune(rt.db(), &three, now).await.expect("prune"), 2);
    assert_eq!(
        kept(rt.db()).await,
        recent[2..].to_vec(),
        "the newest 3 stay"
    );
    assert_eq!(
        runs::prune(rt.db(), &Retention::KEEP_ALL, now)
            .await
            .expect("prune"),
        0
    );

    // More than one delete batch (5,000 rows): every batch runs.
    let bulk: Vec<RunRecord> = (0..12_000)
        .map(|i| {
            run_at(
                Duration::from_millis(3_600_000 + 12_000 - i),
                100 + i as u32,
            )
        })
        .collect();
    sink.write(&bulk).await.expect("write bulk");
    let limit = Retention {
        max_age: None,
        max_rows: Some(1_000),
        ..Retention::KEEP_ALL
    };
    assert_eq!(
        runs::prune(rt.db(), &limit, now).await.expect("prune"),
        12_003 - 1_000
    );
    assert_eq!(count(rt.db()).await, 1_000);
    let newest = kept(rt.db()).await;
    assert_eq!(newest.last().map(String::as_str), Some("trace-14"));
    rt.shutdown().await;
}

/// The runtime prunes on its own schedule, through the same writer that
/// stores the runs.
async fn scheduled_suite(db: &TestDb) {
    let rt = db
        .runtime(|c: &mut Config| {
            c.run_history_retention = Retention {
                max_age: Some(Duration::from_secs(3_600)),
                max_rows: Some(4),
                every: Duration::from_millis(100),
            }
        })
        .await;
    rt.runs().record(run_at(Duration::from_secs(7_200), 0));
    for i in 1..=6 {
        rt.runs()
            .record(run_at(Duration::from_secs(60 - i), i as u32));
    }
    rt.runs().flush().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while count(rt.db()).await > 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "the pruner did not run: {:?}",
            kept(rt.db()).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let expected: Vec<String> = (3..=6).map(|i| format!("trace-{i}")).collect();
    assert_eq!(kept(rt.db()).await, expected);
    rt.shutdown().await;
}

#[tokio::test]
async fn sqlite_prunes_by_age_and_count_in_batches() {
    let db = TestDb::sqlite();
    prune_suite(&db).await;
    scheduled_suite(&TestDb::sqlite()).await;
}

#[tokio::test]
async fn postgres_prunes_by_age_and_count_in_batches() {
    for suite in 0..2 {
        let Some(db) = TestDb::postgres("postgres_prunes_by_age_and_count_in_batches").await else {
            return;
        };
        let outcome = bunbase_runtime::futures::FutureExt::catch_unwind(
            std::panic::AssertUnwindSafe(async {
                if suite == 0 {
                    prune_suite(&db).await
                } else {
                    scheduled_suite(&db).await
                }
            }),
        )
        .await;
        db.drop_db().await;
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }
}

#[test]
fn retention_reads_its_variables() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let d = Config::from_lookup("x", env(&[])).expect("valid");
    assert_eq!(d.run_history_retention, Retention::default());
    assert_eq!(
        d.run_history_retention.max_age,
        Some(Duration::from_secs(7 * 86_400))
    );
    let c = Config::from_lookup(
        "x",
        env(&[
            ("RUN_HISTORY_RETENTION", "36h"),
            ("RUN_HISTORY_MAX_ROWS", "5000"),
        ]),
    )
    .expect("valid");
    assert_eq!(
        c.run_history_retention.max_age,
        Some(Duration::from_secs(36 * 3_600))
    );
    assert_eq!(c.run_history_retention.max_rows, Some(5_000));
    let off = Config::from_lookup(
        "x",
        env(&[
            ("RUN_HISTORY_RETENTION", "never"),
            ("RUN_HISTORY_MAX_ROWS", "0"),
        ]),
    )
    .expect("valid");
    assert_eq!(off.run_history_retention.max_age, None);
    assert_eq!(off.run_history_retention.max_rows, None);
    let bad = Config::from_lookup("x", env(&[("RUN_HISTORY_RETENTION", "soon")]));
    assert!(bad.is_err_and(|e| e.to_string().contains("RUN_HISTORY_RETENTION")));
}
