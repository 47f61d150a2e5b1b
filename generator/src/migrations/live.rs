//! A live database's schema, for `bunbase db types --from-database` and `bunbase db check`: read as DDL of its dialect and replayed like a migration into the same [`DbModel`], then compared with the migrations' model.
//!
//! PostgreSQL is read from `information_schema` (tables, columns, primary
//! keys) and `pg_enum` (enum types) in schema `public`; SQLite from
//! `sqlite_master`, whose `sql` is each table's `CREATE TABLE` as SQLite
//! keeps it after every `ALTER` (its `CHECK` enums included, which
//! `PRAGMA table_info` does not show). The runtime's own tables
//! (`bunbase_*`) and `_sqlx_migrations` are left out.

use std::collections::BTreeMap;

#[cfg(feature = "live-db")]
use anyhow::Context;
use anyhow::bail;
#[cfg(feature = "live-db")]
use sqlx::{Connection, Row};

use super::model::{DbModel, Schema};
use super::{MIGRATIONS_DIR, dialect_dir};
use crate::diag::Diagnostic;
use crate::ir::Database;
use crate::source::SourceSet;

/// The dialect a database URL selects.
pub fn dialect_of(url: &str) -> anyhow::Result<Database> {
    if url.starts_with("sqlite:") {
        Ok(Database::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Database::Postgres)
    } else {
        bail!(
            "unsupported database URL {url:?}: use sqlite://path/to/file.db or postgres://user@host/db"
        )
    }
}

/// The live schema of `url` as DDL of its dialect: a build without the
/// `live-db` feature cannot connect and says so.
#[cfg(not(feature = "live-db"))]
pub fn dump(url: &str) -> anyhow::Result<(Database, String)> {
    dialect_of(url)?;
    bail!(
        "this bunbase was built without its `live-db` feature, which reads live databases; \
         build it with default features (`cargo install bunbase`)"
    )
}

/// The live schema of `url` as DDL of its dialect.
#[cfg(feature = "live-db")]
pub fn dump(url: &str) -> anyhow::Result<(Database, String)> {
    let dialect = dialect_of(url)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting an async runtime")?;
    let sql = rt.block_on(async {
        match dialect {
            Database::Sqlite => dump_sqlite(url).await,
            Database::Postgres => dump_postgres(url).await,
        }
    });
    Ok((
        dialect,
        sql.with_context(|| format!("reading the schema of {}", masked(url)))?,
    ))
}

/// The model of the live schema `sql` of `dialect`, as if it were the
/// only migration; its diagnostics (SQL the model cannot read) come back
/// too. The model embeds no migrations.
pub fn model(dialect: Database, sql: &str) -> (DbModel, Vec<Diagnostic>) {
    let path = format!(
        "{MIGRATIONS_DIR}/{}/0_live_schema.sql",
        dialect_dir(dialect)
    );
    let sources = SourceSet::from_files([(path, sql.to_owned())]);
    let mut diags = Vec::new();
    let mut model = super::build(&sources, dialect, &mut diags);
    for s in model.schemas.values_mut() {
        s.migrations.clear();
    }
    (model, diags)
}

/// Where `live` and `migrations` (one dialect's schemas) disagree: one line
/// per table, column, key or enum that differs; empty when they agree.
pub fn differences(migrations: &Schema, live: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names: std::collections::BTreeSet<&String> =
        migrations.tables.keys().chain(live.tables.keys()).collect();
    for name in names {
        match (migrations.tables.get(name), live.tables.get(name)) {
            (Some(_), None) => out.push(format!(
                "table `{name}` is in the migrations but not in the database"
            )),
            (None, Some(_)) => out.push(format!(
                "table `{name}` is in the database but not in the migrations"
            )),
            (Some(m), Some(l)) => {
                for c in &m.columns {
                    match l.column(&c.name) {
                        None => out.push(format!(
                            "column `{name}.{}` is in the migrations but not in the database",
                            c.name
                        )),
                        Some(lc) if lc.ty != c.ty => out.push(format!(
                            "column `{name}.{}` is {} in the migrations but {} in the database",
                            c.name,
                            super::types::describe(&c.ty),
                            super::types::describe(&lc.ty)
                        )),
                        Some(lc) if lc.nullable != c.nullable => out.push(format!(
                            "column `{name}.{}` is {} in the migrations but {} in the database",
                            c.name,
                            null_word(c.nullable),
                            null_word(lc.nullable)
                        )),
                        Some(_) => {}
                    }
                }
                for c in &l.columns {
                    if m.column(&c.name).is_none() {
                        out.push(format!(
                            "column `{name}.{}` is in the database but not in the migrations",
                            c.name
                        ));
                    }
                }
                if m.primary_key != l.primary_key {
                    out.push(format!(
                        "table `{name}` has primary key ({}) in the migrations but ({}) in the database",
                        m.primary_key.join(", "),
                        l.primary_key.join(", ")
                    ));
                }
            }
            (None, None) => {}
        }
    }
    let enums: BTreeMap<&String, Vec<&str>> = migrations
        .enums
        .iter()
        .map(|(n, e)| (n, e.values.iter().map(|v| v.sql.as_str()).collect()))
        .collect();
    for (n, e) in &live.enums {
        let values: Vec<&str> = e.values.iter().map(|v| v.sql.as_str()).collect();
        match enums.get(n) {
            Some(m) if *m != values => out.push(format!(
                "enum `{n}` is ({}) in the migrations but ({}) in the database",
                m.join(", "),
                values.join(", ")
            )),
            None => out.push(format!(
                "enum `{n}` is in the database but not in the migrations"
            )),
            Some(_) => {}
        }
    }
    for n in enums.keys() {
        if !live.enums.contains_key(*n) {
            out.push(format!(
                "enum `{n}` is in the migrations but not in the database"
            ));
        }
    }
    out
}

fn null_word(nullable: bool) -> &'static str {
    if nullable { "nullable" } else { "NOT NULL" }
}

#[cfg(feature = "live-db")]
/// `url` with any password hidden.
fn masked(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(feature = "live-db")]
async fn dump_sqlite(url: &str) -> Result<String, sqlx::Error> {
    let mut conn = sqlx::sqlite::SqliteConnection::connect(url).await?;
    let rows = sqlx::query(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'bunbase\\_%' ESCAPE '\\' \
         AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await?;
    let mut out = String::new();
    for r in rows {
        let sql: String = r.try_get(0)?;
        out.push_str(&sql);
        out.push_str(";\n");
    }
    conn.close().await?;
    Ok(out)
}

#[cfg(feature = "live-db")]
async fn dump_postgres(url: &str) -> Result<String, sqlx::Error> {
    let mut conn = sqlx::postgres::PgConnection::connect(url).await?;
    let mut out = String::new();
    let enums = sqlx::query(
        "SELECT t.typname::text, e.enumlabel::text FROM pg_type t \
         JOIN pg_enum e ON e.enumtypid = t.oid \
         JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE n.nspname = 'public' ORDER BY t.typname, e.enumsortorder",
    )
    .fetch_all(&mut conn)
    .await?;
    let mut by_enum: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in enums {
        by_enum
            .entry(r.try_get(0)?)
            .or_default()
            .push(r.try_get(1)?);
    }
    for (name, values) in &by_enum {
        let values: Vec<String> = values.iter().map(|v| quote_literal(v)).collect();
        out.push_str(&format!(
            "CREATE TYPE {} AS ENUM ({});\n",
            quote_ident(name),
            values.join(", ")
        ));
    }
    let columns = sqlx::query(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.udt_name::text, \
         c.is_nullable::text, c.column_default::text \
         FROM information_schema.columns c JOIN information_schema.tables t \
         ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
         AND c.table_name NOT LIKE 'bunbase\\_%' AND c.table_name <> '_sqlx_migrations' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(&mut conn)
    .await?;
    let keys = sqlx::query(
        "SELECT tc.table_name::text, kcu.column_name::text \
         FROM information_schema.table_constraints tc \
         JOIN information_schema.key_column_usage kcu \
         ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema \
         AND kcu.table_name = tc.table_name \
         WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public' \
         ORDER BY tc.table_name, kcu.ordinal_position",
    )
    .fetch_all(&mut conn)
    .await?;
    conn.close().await?;
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in columns {
        let (table, column, data_type, udt): (String, String, String, String) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
        let nullable: String = r.try_get(4)?;
        let default: Option<String> = r.try_get(5)?;
        let ty = match data_type.as_str() {
            "USER-DEFINED" => quote_ident(&udt),
            "ARRAY" => format!("{}[]", udt.strip_prefix('_').unwrap_or(&udt)),
            _ => data_type,
        };
        let mut def = format!("{} {ty}", quote_ident(&column));
        if nullable == "NO" {
            def.push_str(" NOT NULL");
        }
        if let Some(d) = default {
            def.push_str(&format!(" DEFAULT {d}"));
        }
        tables.entry(table).or_default().push(def);
    }
    let mut pks: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in keys {
        pks.entry(r.try_get(0)?)
            .or_default()
            .push(quote_ident(&r.try_get::<String, _>(1)?));
    }
    for (table, mut defs) in tables {
        if let Some(pk) = pks.get(&table) {
            defs.push(format!("PRIMARY KEY ({})", pk.join(", ")));
        }
        out.push_str(&format!(
            "CREATE TABLE {} (\n    {}\n);\n",
            quote_ident(&table),
            defs.join(",\n    ")
        ));
    }
    Ok(out)
}

#[cfg(feature = "live-db")]
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(feature = "live-db")]
fn quote_literal(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}
