//! The `db` benchmark's `list_tasks` program: the example's generated `tasks::list` (what the `list_tasks` handler runs) against a hand-written sqlx query doing the same work, in pairs whose order alternates; `cargo xtask bench db` builds it in a scratch workspace and runs it (not a module of xtask).

use std::time::{Duration, Instant};

use bunbase_runtime::chrono::{DateTime, TimeDelta, Utc};
use bunbase_runtime::uuid::Uuid;
use bunbase_runtime::{Db, sqlx};
use tasks_api::db::tasks::{self, NewTask, TaskAfter, TaskFilter, TaskOrder, TaskRow};
use tasks_api::db::users::{self, NewUser};

/// Tasks of the listed owner (another owner holds as many).
const TASKS: usize = 2_000;
/// A page as the handler asks for it: the limit plus one.
const PAGE: i64 = 21;
/// Pages read per listing, each after the previous page's last row.
const PAGES: usize = 5;
/// Listings per measured run.
const LISTINGS: usize = 100;
/// Measured pairs (generated, hand-written), alternating which goes first.
const PAIRS: usize = 15;

const FIRST: &str = "SELECT id, owner_id, title, description, status, tags, due_at, created_at, updated_at FROM tasks WHERE owner_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2";
const AFTER: &str = "SELECT id, owner_id, title, description, status, tags, due_at, created_at, updated_at FROM tasks WHERE owner_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4";

/// Pages through the owner's tasks, newest first, with the generated query.
async fn generated(db: &Db, owner: Uuid) -> usize {
    let filter = TaskFilter { owner_id: Some(owner), ..TaskFilter::default() };
    let (mut after, mut n) = (None, 0);
    for _ in 0..PAGES {
        let rows = tasks::list(db, &filter, TaskOrder::CreatedAtDesc, after.as_ref(), PAGE).await.expect("generated list");
        n += rows.len();
        after = rows.last().map(|t| TaskAfter::CreatedAt { created_at: t.created_at, id: t.id });
    }
    n
}

/// The same pages with hand-written sqlx queries.
async fn hand_written(db: &Db, owner: Uuid) -> usize {
    let (mut after, mut n): (Option<(DateTime<Utc>, Uuid)>, usize) = (None, 0);
    for _ in 0..PAGES {
        let rows: Vec<TaskRow> = bunbase_runtime::with_pool!(db, pool => match after {
            None => {
                sqlx::query_as(FIRST)
                    .bind(owner)
                    .bind(PAGE)
                    .fetch_all(pool)
                    .await
            }
            Some((at, id)) => {
                sqlx::query_as(AFTER)
                .bind(owner)
                .bind(at)
                .bind(id)
                .bind(PAGE)
                .fetch_all(pool)
                .await
            }
        })
        .expect("hand-written list");
        n += rows.len();
        after = rows.last().map(|t| (t.created_at, t.id));
    }
    n
}

async fn seed(db: &Db) -> Uuid {
    db.migrate(&tasks_api::db::MIGRATIONS).await.expect("migrate");
    let start = DateTime::from_timestamp(1_767_225_600, 0).expect("a time");
    let mut owners = Vec::new();
    for i in 0..2 {
        let user = NewUser { id: Uuid::now_v7(), email: format!("u{i}@example.com"), name: format!("User {i}"), password_hash: "x".into(), created_at: start };
        owners.push(users::insert(db, &user).await.expect("user").id);
    }
    for i in 0..TASKS {
        for owner in &owners {
            // Every third task shares its creation time with the previous one: ties.
            let at = start + TimeDelta::seconds((i - i / 3) as i64);
            let new = NewTask {
                id: Uuid::now_v7(),
                owner_id: *owner,
                title: format!("Task {i}"),
                description: (i % 2 == 0).then(|| "A description".to_owned()),
                status: None,
                tags: Some(bunbase_runtime::serde_json::json!(["a", "b"])),
                due_at: None,
                created_at: at,
                updated_at: at,
            };
            tasks::insert(db, &new).await.expect("task");
        }
    }
    owners[0]
}

async fn run(label: &str, db: &Db) {
    let owner = seed(db).await;
    assert_eq!(generated(db, owner).await, hand_written(db, owner).await, "both read the same rows");
    for _ in 0..3 {
        generated(db, owner).await;
        hand_written(db, owner).await;
    }
    let (mut gen_t, mut hand_t, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for pair in 0..PAIRS {
        let mut g = Duration::ZERO;
        let mut h = Duration::ZERO;
        for first_generated in [pair % 2 == 0, pair % 2 != 0] {
            let start = Instant::now();
            for _ in 0..LISTINGS {
                if first_generated {
                    generated(db, owner).await;
                } else {
                    hand_written(db, owner).await;
                }
            }
            if first_generated {
                g = start.elapsed();
            } else {
                h = start.elapsed();
            }
        }
        gen_t.push(g);
        hand_t.push(h);
        ratios.push(g.as_secs_f64() / h.as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let per_page = |v: &[Duration]| {
        let mut us: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1e6 / (LISTINGS * PAGES) as f64).collect();
        median(&mut us)
    };
    let ratio = median(&mut ratios);
    println!(
        "db list_tasks ({label}): generated {:.1} µs/page, hand-written {:.1} µs/page, ratio {ratio:.3} (median of {PAIRS} alternated pairs of {LISTINGS} listings x {PAGES} pages of {PAGE}; target <= 1.05, no slower within noise): {}",
        per_page(&gen_t),
        per_page(&hand_t),
        if ratio <= 1.05 { "ok" } else { "MISSED" }
    );
}

#[bunbase_runtime::tokio::main(crate = "bunbase_runtime::tokio")]
async fn main() {
    let dir = std::env::temp_dir().join(format!("bunbase-bench-db-{}", std::process::id()));
    let db = Db::connect(&format!("sqlite://{}/list.db?mode=rwc", dir.display())).await.expect("sqlite");
    run("sqlite", &db).await;
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);

    let Ok(admin_url) = std::env::var("BUNBASE_TEST_POSTGRES_URL") else {
        println!("db list_tasks (postgres): skipped, BUNBASE_TEST_POSTGRES_URL is not set");
        return;
    };
    let name = format!("bb_bench_db_{}", Uuid::new_v4().simple());
    let admin = Db::connect_with(&admin_url, 1).await.expect("postgres admin");
    let pg = admin.postgres().expect("a PostgreSQL URL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(pg).await.expect("create database");
    let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b);
    let db = Db::connect(&format!("{base}/{name}")).await.expect("postgres");
    run("postgres", &db).await;
    db.close().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(pg).await.expect("drop database");
    admin.close().await;
}
