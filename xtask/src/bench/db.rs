//! The `db` benchmark: the schema model and the emitted `db` module for 200 tables over 400 migrations (200 CREATE TABLE, 200 ALTER TABLE), both dialects, target under 200 ms; then the example's `list_tasks` query, generated against hand-written, on SQLite (and PostgreSQL when `BUNBASE_TEST_POSTGRES_URL` is set).

use std::time::{Duration, Instant};

use bunbase::ir::Database;
use bunbase::source::SourceSet;

const TABLES: usize = 200;
const RUNS: usize = 7;
/// The target for replaying the migrations and emitting the module (release build).
const TARGET: Duration = Duration::from_millis(200);

/// Runs the benchmark and prints its figures.
pub fn run() -> anyhow::Result<()> {
    let sources = synthetic();
    let compiled = bunbase::compile(&sources).map_err(|d| {
        anyhow::anyhow!(
            "synthetic migrations do not check:\n{}",
            bunbase::diag::render(&d[..d.len().min(5)], &sources, false)
        )
    })?;
    anyhow::ensure!(
        compiled.ir.db.tables.len() == TABLES,
        "expected {TABLES} tables, got {}",
        compiled.ir.db.tables.len()
    );
    let mut ir = compiled.ir;
    let (mut model, mut emit, mut format, mut total) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut bytes = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let mut diags = Vec::new();
        ir.db = bunbase::migrations::build(&sources, Database::Postgres, &mut diags);
        bunbase::migrations::link::link(&mut ir, &mut diags);
        let built = start.elapsed();
        anyhow::ensure!(
            diags.iter().all(|d| !d.is_error()),
            "diagnostics: {:?}",
            diags.first()
        );
        let start = Instant::now();
        let tokens = bunbase::emit::db::module(&ir);
        let emitted = start.elapsed();
        drop(tokens);
        // `format` builds the tokens again, then parses and prints them.
        let start = Instant::now();
        let module = bunbase::emit::db::format(&ir);
        let formatted = start.elapsed();
        bytes = module.len();
        model.push(built);
        emit.push(emitted);
        format.push(formatted.saturating_sub(emitted));
        total.push(built + formatted);
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (m, e, f, t) = (
        median(&mut model),
        median(&mut emit),
        median(&mut format),
        median(&mut total),
    );
    println!(
        "db: {TABLES} tables, {} migrations per dialect, 2 dialects; schema model {:.1} ms, emit (tokens) {:.1} ms, format {:.1} ms ({} KiB), total {:.1} ms (median of {RUNS}; target < {} ms): {}",
        2 * TABLES,
        m.as_secs_f64() * 1e3,
        e.as_secs_f64() * 1e3,
        f.as_secs_f64() * 1e3,
        bytes / 1024,
        t.as_secs_f64() * 1e3,
        TARGET.as_millis(),
        if t < TARGET { "ok" } else { "MISSED" }
    );
    list_tasks()
}

/// The `list_tasks` pair: builds `db_list/main.rs` (release) in a scratch
/// workspace beside the example's crates and runs it; it prints its own
/// figures.
fn list_tasks() -> anyhow::Result<()> {
    let root = crate::project_root();
    let ws = root.join("target/bench-db-list");
    std::fs::create_dir_all(ws.join("src"))?;
    let write = |path: std::path::PathBuf, text: String| -> anyhow::Result<()> {
        if std::fs::read_to_string(&path).ok() != Some(text.clone()) {
            std::fs::write(path, text)?;
        }
        Ok(())
    };
    write(
        ws.join("Cargo.toml"),
        format!(
            "[package]\nname = \"bench-db-list\"\nedition = \"2024\"\nversion = \"0.0.0\"\npublish = false\n\n[dependencies]\nbunbase-runtime = {{ path = \"{}\" }}\ntasks-api = {{ path = \"{}\" }}\n\n[workspace]\n",
            root.join("runtime-support").display(),
            root.join("generated-example/crates/tasks-api").display()
        ),
    )?;
    write(
        ws.join("Cargo.lock"),
        std::fs::read_to_string(root.join("generated-example/Cargo.lock"))?,
    )?;
    write(
        ws.join("src/main.rs"),
        include_str!("db_list/main.rs").to_owned(),
    )?;
    let target = root.join("target/generated-ws");
    super::server::build(&ws.join("Cargo.toml"), &target)?;
    let st = std::process::Command::new(target.join("release/bench-db-list")).status()?;
    anyhow::ensure!(st.success(), "the list_tasks benchmark failed ({st})");
    Ok(())
}

/// A project with `TABLES` tables in both dialects: migration `2i` creates
/// table `i`, migration `2i+1` adds a column to it.
fn synthetic() -> SourceSet {
    let mut files = vec![(
        "bunbase.yaml".to_owned(),
        "project: bench\nversion: 1.0.0\ndatabase: postgres\n".to_owned(),
    )];
    files.push((
        "health.yaml".to_owned(),
        "module: health\nactions:\n  ping:\n    triggers: [{ api: GET /ping }]\n".to_owned(),
    ));
    for (dir, json, ts, enum_ddl, status) in [
        ("postgres", "JSONB", "TIMESTAMPTZ", true, "item_status"),
        ("sqlite", "JSON", "TIMESTAMPTZ", false, "item_status"),
    ] {
        for i in 0..TABLES {
            let mut create = String::new();
            if i == 0 && enum_ddl {
                create.push_str("CREATE TYPE item_status AS ENUM ('open', 'done');\n");
            }
            let check = if enum_ddl {
                String::new()
            } else {
                " CHECK (status IN ('open', 'done'))".to_owned()
            };
            create.push_str(&format!(
                "CREATE TABLE t{i} (\n    id UUID PRIMARY KEY,\n    owner_id UUID NOT NULL,\n    title TEXT NOT NULL,\n    body TEXT,\n    status {status} NOT NULL DEFAULT 'open'{check},\n    count BIGINT NOT NULL DEFAULT 0,\n    meta {json} NOT NULL,\n    created_at {ts} NOT NULL\n);\nCREATE INDEX t{i}_owner ON t{i} (owner_id, created_at);\n"
            ));
            files.push((
                format!("migrations/{dir}/{:04}_create_t{i}.sql", 2 * i + 1),
                create,
            ));
            files.push((
                format!("migrations/{dir}/{:04}_alter_t{i}.sql", 2 * i + 2),
                format!("ALTER TABLE t{i} ADD COLUMN updated_at {ts};\n"),
            ));
        }
    }
    SourceSet::from_files(files)
}
