//! Migration status and the checksum refusal, on SQLite (temp file) and PostgreSQL (when `BUNBASE_TEST_POSTGRES_URL` is set): pending, applied, a changed file refused by `migrate` with what to do, and an applied version with no file.

mod common;

use bunbase_runtime::db::{MigrationState, MigrationStatus};
use bunbase_runtime::{Db, Migrations};
use common::TestDb;

const V1: &[(&str, &str)] = &[(
    "0001_init.sql",
    "CREATE TABLE notes (id BIGINT PRIMARY KEY);",
)];
const V1_V2: &[(&str, &str)] = &[
    (
        "0001_init.sql",
        "CREATE TABLE notes (id BIGINT PRIMARY KEY);",
    ),
    (
        "0002_add_body.sql",
        "ALTER TABLE notes ADD COLUMN body TEXT;",
    ),
];
const V1_CHANGED: &[(&str, &str)] = &[
    (
        "0001_init.sql",
        "CREATE TABLE notes (id BIGINT PRIMARY KEY, extra TEXT);",
    ),
    (
        "0002_add_body.sql",
        "ALTER TABLE notes ADD COLUMN body TEXT;",
    ),
];

fn states(list: &[MigrationStatus]) -> Vec<(i64, MigrationState)> {
    list.iter().map(|m| (m.version, m.state)).collect()
}

async fn suite(url: &str) {
    let db = Db::connect(url).await.expect("connect");
    let v1 = Migrations::embedded(V1);
    let v12 = Migrations::embedded(V1_V2);
    assert_eq!(
        states(&db.migration_status(&v12).await.expect("status")),
        [(1, MigrationState::Pending), (2, MigrationState::Pending)]
    );
    db.migrate(&v1).await.expect("migrate v1");
    let status = db.migration_status(&v12).await.expect("status");
    assert_eq!(
        states(&status),
        [(1, MigrationState::Applied), (2, MigrationState::Pending)]
    );
    assert_eq!(status[1].description, "add body");
    db.migrate(&v12).await.expect("migrate v2");
    assert_eq!(
        states(&db.migration_status(&v12).await.expect("status")),
        [(1, MigrationState::Applied), (2, MigrationState::Applied)]
    );

    // An applied file that changed: reported, and `migrate` (which `serve`
    // runs first) refuses with what to do.
    let changed = Migrations::embedded(V1_CHANGED);
    assert_eq!(
        states(&db.migration_status(&changed).await.expect("status")),
        [(1, MigrationState::Modified), (2, MigrationState::Applied)]
    );
    let err = db
        .migrate(&changed)
        .await
        .expect_err("a changed migration is refused")
        .to_string();
    assert!(
        err.contains("migration(s) 1 changed after they were applied"),
        "{err}"
    );
    assert!(err.contains("bunbase migrate new NAME"), "{err}");

    // An applied version with no file left.
    assert_eq!(
        states(&db.migration_status(&v1).await.expect("status")),
        [(1, MigrationState::Applied), (2, MigrationState::Missing)]
    );
    db.close().await;
}

#[tokio::test]
async fn migration_status_on_sqlite() {
    let t = TestDb::sqlite();
    suite(&t.url).await;
}

#[tokio::test]
async fn migration_status_on_postgres() {
    let Some(t) = TestDb::postgres("migration_status_on_postgres").await else {
        return;
    };
    suite(&t.url).await;
    t.drop_db().await;
}
