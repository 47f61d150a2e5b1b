//! Offline and live schemas agree on the example: the tasks migrations applied to a real SQLite and PostgreSQL database read back (`bunbase db types`, `bunbase db check`) into the same model and the same `db` module; a change made only to the database is reported.

use bunbase::ir::Database;
use bunbase::migrations::live;
use bunbase_e2e::{postgres_url, repo_root};
use bunbase_runtime::{Db, Migrations, sqlx};
use scratch_db::ScratchPostgres;

#[path = "../src/scratch_db.rs"]
mod scratch_db;

fn block_on<F: Future>(f: F) -> F::Output {
    bunbase_runtime::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f)
}

fn suite(url: &str, dialect: Database) {
    let dir = repo_root().join("contracts-examples/tasks");
    let folder = dir
        .join("migrations")
        .join(bunbase::migrations::dialect_dir(dialect));
    block_on(async {
        let db = Db::connect(url).await.expect("connect");
        db.migrate(&Migrations::Dir(folder))
            .await
            .expect("the example's migrations apply");
        db.close().await;
    });
    let sources = bunbase::load::from_dir(&dir).expect("loads");
    let offline = bunbase::compile(&sources).expect("checks").ir;
    let (found, sql) = live::dump(url).expect("reads the live schema");
    assert_eq!(found, dialect);
    let (model, diags) = live::model(dialect, &sql);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}\n{sql}");
    let ours = &offline.db.schemas[&dialect];
    let theirs = &model.schemas[&dialect];
    assert_eq!(
        live::differences(ours, theirs),
        Vec::<String>::new(),
        "{sql}"
    );
    assert_eq!(
        ours.tables.keys().collect::<Vec<_>>(),
        ["task_reminders", "tasks", "users"]
    );

    // The same generated code: every column reads the same Rust type with
    // the same insert, filter and order rules, the same enums and the same
    // conversions into contract types (only the SQL spelling in doc
    // comments may differ: `timestamp with time zone` for `TIMESTAMPTZ`).
    let mut from_live = offline.clone();
    from_live.db = model;
    bunbase::migrations::link::link(&mut from_live, &mut Vec::new());
    let shape = |db: &bunbase::migrations::DbModel| {
        db.tables
            .values()
            .map(|t| {
                let cols: Vec<_> = t
                    .columns
                    .iter()
                    .map(|c| {
                        (
                            c.field.clone(),
                            c.ty.clone(),
                            c.nullable,
                            c.optional_on_insert,
                            c.filterable,
                            c.orderable,
                        )
                    })
                    .collect();
                (t.row.clone(), t.primary_key.clone(), cols)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&from_live.db), shape(&offline.db));
    assert_eq!(from_live.db.enums, offline.db.enums);
    assert_eq!(from_live.db.conversions, offline.db.conversions);
    assert_eq!(from_live.db.enum_links, offline.db.enum_links);
    let module = bunbase::emit::db::format(&from_live);
    assert!(module.contains("pub struct TaskRow"), "{module}");
    assert!(
        module.contains("impl ::std::convert::TryFrom<TaskRow> for crate::Task"),
        "{module}"
    );

    // A change made only to the database is reported.
    block_on(async {
        let db = Db::connect(url).await.expect("connect");
        bunbase_runtime::with_pool!(db, pool => {
            sqlx::query("ALTER TABLE tasks ADD COLUMN extra TEXT").execute(pool).await.expect("alter");
        });
        db.close().await;
    });
    let (_, sql) = live::dump(url).expect("reads the live schema");
    let (model, _) = live::model(dialect, &sql);
    assert_eq!(
        live::differences(ours, &model.schemas[&dialect]),
        ["column `tasks.extra` is in the database but not in the migrations"]
    );
}

#[test]
fn live_schema_agrees_on_sqlite() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("live.db").display());
    suite(&url, Database::Sqlite);
}

#[test]
#[cfg_attr(
    bunbase_skip_postgres,
    ignore = "needs PostgreSQL: set BUNBASE_TEST_POSTGRES_URL (.ci/run does)"
)]
fn live_schema_agrees_on_postgres() {
    let Some(admin) = postgres_url("live_schema_agrees_on_postgres") else {
        return;
    };
    let db = ScratchPostgres::create(&admin, &format!("bunbase_live_{}", std::process::id()));
    suite(&db.url, Database::Postgres);
}
