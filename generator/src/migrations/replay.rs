//! Replays one dialect's migrations, statement by statement, into a [`Schema`], reporting unsupported SQL as diagnostics with the file and line.

use std::collections::BTreeMap;

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption, CreateTable, Expr,
    ObjectName, ObjectNamePart, ObjectType, RenameTableNameKind, Statement, TableConstraint,
    UserDefinedTypeRepresentation, Value,
};
use sqlparser::dialect::{Dialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token};

use super::model::{Column, ColumnType, ForeignKey, Index, Schema, SqlEnum, Table, View};
use super::types::{Mapped, map};
use super::{names, span_at};
use crate::diag::Diagnostic;
use crate::ir::Database;

/// Where a statement starts, for its diagnostics.
struct At<'a> {
    file: &'a str,
    text: &'a str,
    loc: Location,
}

impl At<'_> {
    fn error(&self, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, &span_at(self.file, self.text, self.loc), message)
    }
}

/// Replays `text` (the migration `file`) onto `schema`.
pub fn replay_file(
    dialect: Database,
    file: &str,
    text: &str,
    schema: &mut Schema,
    diags: &mut Vec<Diagnostic>,
) {
    let d: Box<dyn Dialect> = match dialect {
        Database::Sqlite => Box::new(SQLiteDialect {}),
        Database::Postgres => Box::new(PostgreSqlDialect {}),
    };
    let start = Location { line: 1, column: 1 };
    let mut parser = match Parser::new(&*d).try_with_sql(text) {
        Ok(p) => p,
        Err(e) => {
            diags.push(syntax_error(file, text, start, &e.to_string()));
            return;
        }
    };
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        let next = parser.peek_token();
        if next.token == Token::EOF {
            return;
        }
        let at = At {
            file,
            text,
            loc: next.span.start,
        };
        match parser.parse_statement() {
            Ok(stmt) => apply(dialect, &at, stmt, schema, diags),
            Err(e) => {
                diags.push(syntax_error(file, text, at.loc, &e.to_string()));
                return;
            }
        }
        let after = parser.peek_token();
        if after.token != Token::EOF && !parser.consume_token(&Token::SemiColon) {
            diags.push(syntax_error(
                file,
                text,
                after.span.start,
                &format!("expected `;` before {}", after.token),
            ));
            return;
        }
    }
}

/// E0701 at the position sqlparser names in `message` (`at Line: 3,
/// Column: 5`), else at `fallback`.
fn syntax_error(file: &str, text: &str, fallback: Location, message: &str) -> Diagnostic {
    let loc = parse_location(message).unwrap_or(fallback);
    let clean = message
        .split(" at Line:")
        .next()
        .unwrap_or(message)
        .trim_start_matches("sql parser error: ");
    Diagnostic::error(
        "E0701",
        &span_at(file, text, loc),
        format!("this migration is not valid SQL: {clean}"),
    )
    .with_hint("fix the statement; bunbase reads migrations with the dialect of their folder")
}

fn parse_location(message: &str) -> Option<Location> {
    let rest = message.split("Line: ").nth(1)?;
    let (line, rest) = rest.split_once(',')?;
    let col = rest.split("Column: ").nth(1)?;
    let col: String = col.chars().take_while(char::is_ascii_digit).collect();
    Some(Location {
        line: line.trim().parse().ok()?,
        column: col.parse().ok()?,
    })
}

/// The last part of a possibly qualified name, unquoted.
fn last(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(ObjectNamePart::as_ident)
        .map(|i| i.value.clone())
        .unwrap_or_default()
}

fn apply(
    dialect: Database,
    at: &At<'_>,
    stmt: Statement,
    schema: &mut Schema,
    diags: &mut Vec<Diagnostic>,
) {
    match stmt {
        Statement::CreateTable(ct) => create_table(dialect, at, ct, schema, diags),
        Statement::AlterTable(alter) => {
            let name = last(&alter.name);
            if !schema.tables.contains_key(&name) {
                if !alter.if_exists {
                    diags.push(missing_table(at, &name));
                }
                return;
            }
            for op in alter.operations {
                alter_table(dialect, at, &name, op, schema, diags);
            }
        }
        Statement::Drop {
            object_type,
            if_exists,
            names: dropped,
            ..
        } => {
            for n in &dropped {
                let name = last(n);
                let found = match object_type {
                    ObjectType::Table => schema.tables.remove(&name).is_some(),
                    ObjectType::View | ObjectType::MaterializedView => {
                        schema.views.remove(&name).is_some()
                    }
                    ObjectType::Type => schema.enums.remove(&name).is_some(),
                    ObjectType::Index => {
                        let mut found = false;
                        for t in schema.tables.values_mut() {
                            found |= t.indexes.remove(&name).is_some();
                        }
                        found
                    }
                    _ => true,
                };
                if !found && !if_exists {
                    diags.push(at.error(
                        "E0703",
                        format!("`DROP` names `{name}`, which no earlier migration creates"),
                    ));
                }
            }
        }
        Statement::CreateIndex(ci) => {
            let table = last(&ci.table_name);
            let Some(t) = schema.tables.get_mut(&table) else {
                diags.push(missing_table(at, &table));
                return;
            };
            let name = ci
                .name
                .as_ref()
                .map(last)
                .unwrap_or_else(|| format!("{table}_idx_{}", t.indexes.len() + 1));
            let columns = ci
                .columns
                .iter()
                .map(|c| c.column.expr.to_string())
                .collect();
            t.indexes.insert(
                name,
                Index {
                    columns,
                    unique: ci.unique,
                },
            );
        }
        Statement::CreateType {
            name,
            representation: Some(UserDefinedTypeRepresentation::Enum { labels }),
        } => {
            let name = last(&name);
            let values: Vec<String> = labels.iter().map(|l| l.value.clone()).collect();
            schema
                .enums
                .insert(name.clone(), names::sql_enum(&name, &values));
        }
        Statement::CreateView(v) => {
            let name = last(&v.name);
            schema.views.insert(
                name.clone(),
                View {
                    name,
                    query: v.query.to_string(),
                },
            );
        }
        // Data, comments, grants and settings leave the tables as they are.
        Statement::Insert(_)
        | Statement::Update { .. }
        | Statement::Delete(_)
        | Statement::Comment { .. }
        | Statement::Pragma { .. }
        | Statement::Grant { .. }
        | Statement::Revoke { .. }
        | Statement::CreateExtension { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Set(_) => {}
        other => {
            let text = other.to_string();
            let head: String = text
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ");
            diags.push(
                at.error(
                    "E0702",
                    format!("bunbase cannot model `{head} ...` in the schema"),
                )
                .with_hint(
                    "use CREATE/ALTER/DROP TABLE, CREATE INDEX, CREATE TYPE ... AS ENUM or CREATE VIEW; \
                     move other statements out of the migrations bunbase reads",
                ),
            );
        }
    }
}

fn missing_table(at: &At<'_>, name: &str) -> Diagnostic {
    at.error(
        "E0703",
        format!("table `{name}` does not exist at this point of the migrations"),
    )
    .with_hint("create it in an earlier migration, or check the table name")
}

fn create_table(
    dialect: Database,
    at: &At<'_>,
    ct: CreateTable,
    schema: &mut Schema,
    diags: &mut Vec<Diagnostic>,
) {
    let name = last(&ct.name);
    if ct.query.is_some() {
        diags.push(at.error(
            "E0702",
            format!("`CREATE TABLE {name} AS SELECT` cannot be modelled: its columns depend on the query"),
        ).with_hint("declare the columns explicitly"));
        return;
    }
    if schema.tables.contains_key(&name) {
        if !ct.if_not_exists {
            diags.push(at.error("E0703", format!("table `{name}` is created twice")));
        }
        return;
    }
    let mut table = names::table(&name);
    for c in &ct.columns {
        add_column(dialect, at, &mut table, c, schema, diags);
    }
    for constraint in &ct.constraints {
        add_constraint(dialect, at, &mut table, constraint, schema, diags);
    }
    finish(dialect, &mut table);
    schema.tables.insert(name, table);
}

/// Fills what depends on the whole table: insert optionality of rowid
/// aliases and sorted constraint lists.
fn finish(dialect: Database, table: &mut Table) {
    let pk = table.primary_key.clone();
    for c in &mut table.columns {
        let rowid = dialect == Database::Sqlite
            && pk.len() == 1
            && pk[0] == c.name
            && c.sql_type.eq_ignore_ascii_case("integer");
        c.optional_on_insert = c.nullable || c.default.is_some() || rowid;
        c.filterable = c.ty.is_scalar();
        c.orderable = c.ty.is_scalar();
        if pk.contains(&c.name) && dialect == Database::Postgres {
            c.nullable = false;
        }
    }
    super::names::filter_fields(table);
    table.unique.sort();
    table.unique.dedup();
    table.foreign_keys.sort();
    table.foreign_keys.dedup();
}

fn add_column(
    dialect: Database,
    at: &At<'_>,
    table: &mut Table,
    c: &ColumnDef,
    schema: &mut Schema,
    diags: &mut Vec<Diagnostic>,
) {
    let name = c.name.value.clone();
    if table.column(&name).is_some() {
        diags.push(at.error(
            "E0703",
            format!("column `{}.{name}` is declared twice", table.name),
        ));
        return;
    }
    let mut default = None;
    let mut nullable = true;
    let mut check_values: Option<Vec<String>> = None;
    let mut primary = false;
    for opt in &c.options {
        match &opt.option {
            ColumnOption::NotNull => nullable = false,
            ColumnOption::Null => nullable = true,
            ColumnOption::Default(e) => default = Some(e.to_string()),
            ColumnOption::PrimaryKey(_) => {
                primary = true;
                nullable = false;
            }
            ColumnOption::Unique(_) => table.unique.push(vec![name.clone()]),
            ColumnOption::ForeignKey(fk) => table.foreign_keys.push(ForeignKey {
                columns: vec![name.clone()],
                table: last(&fk.foreign_table),
                references: fk
                    .referred_columns
                    .iter()
                    .map(|i| i.value.clone())
                    .collect(),
            }),
            ColumnOption::Check(check) => {
                if let Some((col, values)) = in_list(&check.expr)
                    && col == name
                {
                    check_values = Some(values);
                }
            }
            ColumnOption::Generated { .. } | ColumnOption::Identity(_) => {
                default = Some("generated".into());
            }
            _ => {}
        }
    }
    let sql_type = c.data_type.to_string();
    let ty = match map(&c.data_type, dialect) {
        Mapped::Known(t) => t,
        Mapped::Serial(t) => {
            default.get_or_insert_with(|| "nextval(..)".into());
            t
        }
        Mapped::Named(n) => match (schema.enums.contains_key(&n), &check_values, dialect) {
            (true, _, _) => ColumnType::Enum { name: n },
            (false, Some(values), Database::Sqlite) => {
                schema.enums.insert(n.clone(), names::sql_enum(&n, values));
                ColumnType::Enum { name: n }
            }
            _ => {
                diags.push(unsupported_type(at, table, &name, &sql_type));
                return;
            }
        },
        Mapped::Unsupported => {
            diags.push(unsupported_type(at, table, &name, &sql_type));
            return;
        }
    };
    // On SQLite, a TEXT column limited to a list of values is an enum
    // named after its table and column.
    let ty = match (ty, &check_values, dialect) {
        (ColumnType::Text, Some(values), Database::Sqlite) => {
            let n = format!("{}_{name}", names::singular(&table.name));
            schema.enums.insert(n.clone(), names::sql_enum(&n, values));
            ColumnType::Enum { name: n }
        }
        (ty, _, _) => ty,
    };
    if primary {
        table.primary_key = vec![name.clone()];
    }
    table.columns.push(Column {
        field: crate::naming::escape_rust(&crate::naming::snake(&name)),
        name,
        sql_type,
        ty,
        nullable,
        default,
        optional_on_insert: false,
        filterable: false,
        orderable: false,
        filter_in: None,
        filter_range: None,
    });
}

fn unsupported_type(at: &At<'_>, table: &Table, column: &str, sql_type: &str) -> Diagnostic {
    at.error(
        "E0702",
        format!(
            "column `{}.{column}` has type `{sql_type}`, which the generated code cannot read",
            table.name
        ),
    )
    .with_hint(
        "use a type from the mapping table in generator/docs/database.md, or declare the enum type first",
    )
}

/// `col IN ('a', 'b')` as the column and its values.
fn in_list(expr: &Expr) -> Option<(String, Vec<String>)> {
    let Expr::InList {
        expr,
        list,
        negated: false,
    } = expr
    else {
        return None;
    };
    let Expr::Identifier(col) = &**expr else {
        return None;
    };
    let values = list
        .iter()
        .map(|e| match e {
            Expr::Value(v) => match &v.value {
                Value::SingleQuotedString(s) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some((col.value.clone(), values))
}

fn add_constraint(
    dialect: Database,
    at: &At<'_>,
    table: &mut Table,
    constraint: &TableConstraint,
    schema: &mut Schema,
    diags: &mut Vec<Diagnostic>,
) {
    let cols = |list: &[sqlparser::ast::IndexColumn]| -> Vec<String> {
        // A quoted column (`"id"`) names the column `id`.
        list.iter()
            .map(|c| match &c.column.expr {
                sqlparser::ast::Expr::Identifier(id) => id.value.clone(),
                other => other.to_string(),
            })
            .collect()
    };
    let known = |table: &Table, columns: &[String], diags: &mut Vec<Diagnostic>| {
        let mut ok = true;
        for c in columns {
            if table.column(c).is_none() {
                diags.push(at.error(
                    "E0703",
                    format!(
                        "the constraint names column `{}.{c}`, which does not exist",
                        table.name
                    ),
                ));
                ok = false;
            }
        }
        ok
    };
    match constraint {
        TableConstraint::PrimaryKey(pk) => {
            let columns = cols(&pk.columns);
            if known(table, &columns, diags) {
                for c in &mut table.columns {
                    if columns.contains(&c.name) {
                        c.nullable = false;
                    }
                }
                table.primary_key = columns;
            }
        }
        TableConstraint::Unique(u) => {
            let columns = cols(&u.columns);
            if known(table, &columns, diags) {
                table.unique.push(columns);
            }
        }
        TableConstraint::ForeignKey(fk) => {
            let columns: Vec<String> = fk.columns.iter().map(|i| i.value.clone()).collect();
            if known(table, &columns, diags) {
                table.foreign_keys.push(ForeignKey {
                    columns,
                    table: last(&fk.foreign_table),
                    references: fk
                        .referred_columns
                        .iter()
                        .map(|i| i.value.clone())
                        .collect(),
                });
            }
        }
        TableConstraint::Check(check) => {
            if dialect == Database::Sqlite
                && let Some((col, values)) = in_list(&check.expr)
                && let Some(c) = table.columns.iter_mut().find(|c| c.name == col)
                && c.ty == ColumnType::Text
            {
                let n = format!("{}_{col}", names::singular(&table.name));
                schema.enums.insert(n.clone(), names::sql_enum(&n, &values));
                c.ty = ColumnType::Enum { name: n };
            }
        }
        _ => {}
    }
}

fn alter_table(
    dialect: Database,
    at: &At<'_>,
    name: &str,
    op: AlterTableOperation,
    schema: &mut Schema,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(mut table) = schema.tables.remove(name) else {
        return;
    };
    let mut rename_to = None;
    match op {
        AlterTableOperation::AddColumn {
            column_def,
            if_not_exists,
            ..
        } => {
            if !(if_not_exists && table.column(&column_def.name.value).is_some()) {
                add_column(dialect, at, &mut table, &column_def, schema, diags);
            }
        }
        AlterTableOperation::AddConstraint { constraint, .. } => {
            add_constraint(dialect, at, &mut table, &constraint, schema, diags)
        }
        AlterTableOperation::DropColumn {
            column_names,
            if_exists,
            ..
        } => {
            for c in column_names {
                let before = table.columns.len();
                table.columns.retain(|x| x.name != c.value);
                if table.columns.len() == before && !if_exists {
                    diags.push(missing_column(at, name, &c.value));
                }
                table.primary_key.retain(|k| *k != c.value);
                table.unique.retain(|u| !u.contains(&c.value));
                table.foreign_keys.retain(|f| !f.columns.contains(&c.value));
                table.indexes.retain(|_, i| !i.columns.contains(&c.value));
            }
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            let (old, new) = (old_column_name.value, new_column_name.value);
            match table.columns.iter_mut().find(|c| c.name == old) {
                Some(c) => {
                    c.field = crate::naming::escape_rust(&crate::naming::snake(&new));
                    c.name = new.clone();
                }
                None => diags.push(missing_column(at, name, &old)),
            }
            let rename = |v: &mut String| {
                if *v == old {
                    *v = new.clone();
                }
            };
            table.primary_key.iter_mut().for_each(rename);
            table.unique.iter_mut().flatten().for_each(rename);
            for f in &mut table.foreign_keys {
                f.columns.iter_mut().for_each(rename);
            }
        }
        AlterTableOperation::RenameTable { table_name } => {
            let (RenameTableNameKind::To(n) | RenameTableNameKind::As(n)) = table_name;
            rename_to = Some(last(&n));
        }
        AlterTableOperation::AlterColumn { column_name, op } => {
            let col = column_name.value;
            let Some(c) = table.columns.iter_mut().find(|c| c.name == col) else {
                diags.push(missing_column(at, name, &col));
                schema.tables.insert(name.to_owned(), table);
                return;
            };
            match op {
                AlterColumnOperation::SetNotNull => c.nullable = false,
                AlterColumnOperation::DropNotNull => c.nullable = true,
                AlterColumnOperation::SetDefault { value } => c.default = Some(value.to_string()),
                AlterColumnOperation::DropDefault => c.default = None,
                AlterColumnOperation::SetDataType { data_type, .. } => {
                    match map(&data_type, dialect) {
                        Mapped::Known(t) | Mapped::Serial(t) => c.ty = t,
                        Mapped::Named(n) if schema.enums.contains_key(&n) => {
                            c.ty = ColumnType::Enum { name: n }
                        }
                        _ => diags.push(unsupported_type(at, &table, &col, &data_type.to_string())),
                    }
                    if let Some(c) = table.columns.iter_mut().find(|c| c.name == col) {
                        c.sql_type = data_type.to_string();
                    }
                }
                other => diags.push(at.error(
                    "E0702",
                    format!("bunbase cannot model `ALTER COLUMN {col} {other}`"),
                )),
            }
        }
        AlterTableOperation::DropConstraint { name: cname, .. } => {
            // Constraints are kept by columns, not names: a dropped named
            // constraint is only reflected when it is the primary key.
            if cname.value.ends_with("_pkey") {
                table.primary_key.clear();
            }
        }
        other => diags.push(at.error(
            "E0702",
            format!("bunbase cannot model `ALTER TABLE {name} {other}`"),
        )),
    }
    finish(dialect, &mut table);
    match rename_to {
        Some(new) => {
            let mut renamed = names::table(&new);
            renamed.columns = table.columns;
            renamed.primary_key = table.primary_key;
            renamed.unique = table.unique;
            renamed.foreign_keys = table.foreign_keys;
            renamed.indexes = table.indexes;
            for t in schema.tables.values_mut() {
                for f in &mut t.foreign_keys {
                    if f.table == name {
                        f.table = new.clone();
                    }
                }
            }
            schema.tables.insert(new, renamed);
        }
        None => {
            schema.tables.insert(name.to_owned(), table);
        }
    }
}

fn missing_column(at: &At<'_>, table: &str, column: &str) -> Diagnostic {
    at.error(
        "E0703",
        format!("column `{table}.{column}` does not exist at this point of the migrations"),
    )
}

/// The enums a set of tables uses, by SQL name.
pub fn used_enums(
    tables: &BTreeMap<String, Table>,
    enums: &BTreeMap<String, SqlEnum>,
) -> BTreeMap<String, SqlEnum> {
    let mut out = BTreeMap::new();
    for c in tables.values().flat_map(|t| &t.columns) {
        let mut ty = &c.ty;
        while let ColumnType::Array { item } = ty {
            ty = item;
        }
        if let ColumnType::Enum { name } = ty
            && let Some(e) = enums.get(name)
        {
            out.insert(name.clone(), e.clone());
        }
    }
    out
}
