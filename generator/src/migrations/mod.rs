//! Migrations: reads a project's SQL migrations (`migrations/<dialect>/NNNN_name.sql` beside `bunbase.yaml`) and replays them into the [`DbModel`], with no database running.
//!
//! The stage runs after lowering, on the same [`SourceSet`]: [`build`]
//! parses every migration with `sqlparser` in its folder's dialect, in
//! version order, and replays CREATE/ALTER/DROP TABLE, indexes, enum types
//! and views into one [`Schema`] per dialect. SQL it cannot model is a
//! diagnostic (`E07xx`) with the file and line, never a panic. When a
//! project has migrations for both dialects, the tables the generated code
//! covers must read the same Rust types on both (`E0705` otherwise).

pub mod link;
pub mod live;
pub mod model;
pub mod names;
mod replay;
pub mod types;

use std::collections::BTreeMap;

use sqlparser::tokenizer::Location;

use crate::diag::Diagnostic;
use crate::ir::{Database, Span};
use crate::source::SourceSet;
pub use model::{Column, ColumnType, DbModel, MigrationFile, Schema, SqlEnum, Table};

/// The folder, beside `bunbase.yaml`, that holds one subfolder of
/// migrations per dialect.
pub const MIGRATIONS_DIR: &str = "migrations";

/// The dialect folder name of `db` (`sqlite`, `postgres`).
pub fn dialect_dir(db: Database) -> &'static str {
    match db {
        Database::Sqlite => "sqlite",
        Database::Postgres => "postgres",
    }
}

/// True for a path (relative to the contracts root) that is a migration.
pub fn is_migration_file(path: &str) -> bool {
    path.starts_with("migrations/") && path.ends_with(".sql")
}

/// Builds the model from the migrations in `sources`; `primary` is the
/// project's `database:` setting.
pub fn build(sources: &SourceSet, primary: Database, diags: &mut Vec<Diagnostic>) -> DbModel {
    let mut by_dialect: BTreeMap<Database, Vec<(i64, &str, &str)>> = BTreeMap::new();
    for (path, text) in &sources.files {
        if !is_migration_file(path) {
            continue;
        }
        let rel = &path[MIGRATIONS_DIR.len() + 1..];
        let (dir, file) = rel.split_once('/').unwrap_or(("", rel));
        let dialect = match dir {
            "sqlite" => Database::Sqlite,
            "postgres" => Database::Postgres,
            _ => {
                diags.push(
                    Diagnostic::error(
                        "E0704",
                        &file_span(path),
                        format!("`{path}` is not in a dialect folder"),
                    )
                    .with_hint("put migrations in migrations/sqlite/ or migrations/postgres/"),
                );
                continue;
            }
        };
        let version = file
            .split_once('_')
            .and_then(|(v, _)| v.parse::<i64>().ok())
            .filter(|_| !file.contains('/'));
        let Some(version) = version else {
            diags.push(
                Diagnostic::error(
                    "E0704",
                    &file_span(path),
                    format!("migration `{file}` does not start with a version number"),
                )
                .with_hint("name it like 0002_add_due_dates.sql (`bunbase migrate new NAME`)"),
            );
            continue;
        };
        by_dialect
            .entry(dialect)
            .or_default()
            .push((version, path.as_str(), text.as_str()));
    }
    let mut model = DbModel::default();
    if by_dialect.is_empty() {
        return model;
    }
    if !by_dialect.contains_key(&primary) {
        diags.push(
            Diagnostic::error(
                "E0706",
                &file_span(crate::load::PROJECT_FILE),
                format!(
                    "`database: {}` has no migrations: the project has migrations only for {}",
                    dialect_dir(primary),
                    by_dialect
                        .keys()
                        .map(|d| dialect_dir(*d))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_hint(format!(
                "add migrations/{}/ or change `database:`",
                dialect_dir(primary)
            )),
        );
    }
    for (dialect, mut files) in by_dialect {
        files.sort();
        let mut schema = Schema::default();
        for pair in files.windows(2) {
            if pair[0].0 == pair[1].0 {
                diags.push(Diagnostic::error(
                    "E0704",
                    &file_span(pair[1].1),
                    format!(
                        "migration version {} is used twice (`{}` and `{}`)",
                        pair[0].0, pair[0].1, pair[1].1
                    ),
                ));
            }
        }
        for (version, path, text) in files {
            replay::replay_file(dialect, path, text, &mut schema, diags);
            schema.migrations.push(MigrationFile {
                version,
                file: path.rsplit('/').next().unwrap_or(path).to_owned(),
                sql: text.to_owned(),
            });
        }
        model.dialects.push(dialect);
        model.schemas.insert(dialect, schema);
    }
    unify(&mut model, diags);
    model
}

/// Fills [`DbModel::tables`] and [`DbModel::enums`]: one dialect's tables as
/// they are; on two, the tables both hold with the same columns and Rust
/// types, and an `E0705` for every difference.
fn unify(model: &mut DbModel, diags: &mut Vec<Diagnostic>) {
    let mut schemas = model.schemas.iter();
    let Some((first_dialect, first)) = schemas.next() else {
        return;
    };
    let mut tables = first.tables.clone();
    let mut enums = first.enums.clone();
    for (dialect, other) in schemas {
        let span = other
            .migrations
            .last()
            .map(|m| file_span(&format!("migrations/{}/{}", dialect_dir(*dialect), m.file)))
            .unwrap_or_default();
        let (a, b) = (dialect_dir(*first_dialect), dialect_dir(*dialect));
        let names: std::collections::BTreeSet<String> =
            tables.keys().chain(other.tables.keys()).cloned().collect();
        for name in names {
            let (Some(t1), Some(t2)) = (tables.get(&name), other.tables.get(&name)) else {
                if tables.remove(&name).is_some() || !first.tables.contains_key(&name) {
                    diags.push(
                        Diagnostic::error(
                            "E0705",
                            &span,
                            format!("table `{name}` exists on only one of {a} and {b}"),
                        )
                        .with_hint("create it in both dialects' migrations, or drop it from both"),
                    );
                }
                continue;
            };
            let mut problems = Vec::new();
            let cols1: Vec<_> = t1.columns.iter().map(|c| &c.name).collect();
            let cols2: Vec<_> = t2.columns.iter().map(|c| &c.name).collect();
            if cols1 != cols2 {
                problems.push(format!(
                    "its columns differ ({a}: {}; {b}: {})",
                    join(&cols1),
                    join(&cols2)
                ));
            } else {
                for (c1, c2) in t1.columns.iter().zip(&t2.columns) {
                    if !same_type(&c1.ty, &c2.ty, &enums, &other.enums) {
                        problems.push(format!(
                            "column `{}` is {} on {a} but {} on {b}",
                            c1.name,
                            types::describe(&c1.ty),
                            types::describe(&c2.ty)
                        ));
                    } else if c1.nullable != c2.nullable {
                        problems.push(format!(
                            "column `{}` is nullable on only one dialect",
                            c1.name
                        ));
                    }
                }
                if t1.primary_key != t2.primary_key {
                    problems.push("its primary keys differ".into());
                }
            }
            if !problems.is_empty() {
                for p in problems {
                    diags.push(
                        Diagnostic::error("E0705", &span, format!("table `{name}`: {p}"))
                            .with_hint("the generated structs are shared by both dialects: give each column the same logical type (see the mapping in generator/docs/database.md)"),
                    );
                }
                tables.remove(&name);
            }
        }
        for (name, e) in &other.enums {
            enums.entry(name.clone()).or_insert_with(|| e.clone());
        }
    }
    model.enums = replay::used_enums(&tables, &enums);
    model.tables = tables;
}

fn same_type(
    a: &ColumnType,
    b: &ColumnType,
    ea: &BTreeMap<String, SqlEnum>,
    eb: &BTreeMap<String, SqlEnum>,
) -> bool {
    match (a, b) {
        (ColumnType::Enum { name: n1 }, ColumnType::Enum { name: n2 }) => {
            n1 == n2 && ea.get(n1).map(|e| &e.values) == eb.get(n2).map(|e| &e.values)
        }
        _ => a == b,
    }
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A span covering the first character of `file`.
fn file_span(file: &str) -> Span {
    Span {
        file: file.to_owned(),
        line: 1,
        col: 1,
        start: 0,
        end: 0,
    }
}

/// The span of `loc` (1-based line and column) in `text`, one character
/// long (to the end of the word).
pub(crate) fn span_at(file: &str, text: &str, loc: Location) -> Span {
    let line = loc.line.max(1) as usize;
    let col = loc.column.max(1) as usize;
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let start = text[line_start.min(text.len())..]
        .char_indices()
        .nth(col - 1)
        .map(|(i, _)| line_start + i)
        .unwrap_or(text.len());
    let end = text[start..]
        .find(|c: char| c.is_whitespace() || c == ';' || c == '(' || c == ',')
        .map(|n| start + n.max(1))
        .unwrap_or(text.len());
    Span {
        file: file.to_owned(),
        line: line as u32,
        col: col as u32,
        start,
        end: end.max(start),
    }
}
