//! What the generated queries of an API crate's `db` module are built from: [`on_conn!`](crate::on_conn), which dispatches one query body on the connection's dialect, and the clause helpers its dynamic queries call (filters, ranges, keyset paging), generic over `sqlx::Database`.
//!
//! A generated query is written once. Its body is expanded by
//! [`on_conn!`](crate::on_conn) once per dialect, so it is compiled against
//! each dialect's own `Database`: native types (uuid, timestamptz, enums,
//! jsonb on PostgreSQL) stay exactly typed. Fixed statements are static
//! SQL text with numbered placeholders (`$1`), which SQLite and PostgreSQL
//! both read; dynamic ones go through a `QueryBuilder` and the helpers here.

use sqlx::query_builder::Separated;
use sqlx::{Database, Encode, QueryBuilder, Type};

/// Runs a query body on the connection an `Exec` (a `&Db`, or the
/// caller's connection or transaction) gives, with `$conn` bound to the
/// typed connection: the body is expanded once per dialect, so it is
/// compiled against each dialect's own `Database`. Write
/// `on_conn!(exec, conn => body)` when the project targets both dialects,
/// `on_conn!(exec, sqlite only, conn => body)` or
/// `on_conn!(exec, postgres only, conn => body)` when it has one dialect's
/// migrations (the other answers a configuration error). Use it inside an
/// `async fn` returning `Result<_, sqlx::Error>`.
#[macro_export]
macro_rules! on_conn {
    ($exec:expr, $conn:ident => $body:expr $(,)?) => {{
        let exec: $crate::db::Exec<'_> = ($exec).into();
        let mut held = exec.acquire().await?;
        match held.conn() {
            $crate::db::Conn::Sqlite($conn) => $body,
            $crate::db::Conn::Postgres($conn) => $body,
        }
    }};
    ($exec:expr, sqlite only, $conn:ident => $body:expr $(,)?) => {{
        let exec: $crate::db::Exec<'_> = ($exec).into();
        let mut held = exec.acquire().await?;
        match held.conn() {
            $crate::db::Conn::Sqlite($conn) => $body,
            $crate::db::Conn::Postgres(_) => {
                ::std::result::Result::Err($crate::db::query::untargeted("postgres"))
            }
        }
    }};
    ($exec:expr, postgres only, $conn:ident => $body:expr $(,)?) => {{
        let exec: $crate::db::Exec<'_> = ($exec).into();
        let mut held = exec.acquire().await?;
        match held.conn() {
            $crate::db::Conn::Sqlite(_) => {
                ::std::result::Result::Err($crate::db::query::untargeted("sqlite"))
            }
            $crate::db::Conn::Postgres($conn) => $body,
        }
    }};
}

/// The error a generated query answers on a dialect the project has no
/// migrations for.
pub fn untargeted(dialect: &str) -> sqlx::Error {
    sqlx::Error::Configuration(
        format!(
            "this project has no migrations/{dialect}/: its generated queries do not run on {dialect}; add migrations/{dialect}/ and run `bunbase gen`"
        )
        .into(),
    )
}

/// Bounds for a value a helper binds: it encodes on `DB`.
pub trait Bind<DB: Database>: for<'t> Encode<'t, DB> + Type<DB> {}

impl<DB: Database, T: for<'t> Encode<'t, DB> + Type<DB>> Bind<DB> for T {}

/// Appends ` AND "column" = value` when `value` is `Some`.
pub fn push_eq<DB: Database, T: Bind<DB>>(
    q: &mut QueryBuilder<DB>,
    column: &str,
    value: Option<&T>,
) {
    if let Some(v) = value {
        q.push(" AND ");
        push_ident(q, column);
        q.push(" = ").push_bind(v);
    }
}

/// For a nullable column: appends ` AND column = value` for `Some(Some)`,
/// ` AND column IS NULL` for `Some(None)`, nothing for `None`.
pub fn push_eq_nullable<DB: Database, T: Bind<DB>>(
    q: &mut QueryBuilder<DB>,
    column: &str,
    value: Option<&Option<T>>,
) {
    match value {
        Some(Some(v)) => {
            q.push(" AND ");
            push_ident(q, column);
            q.push(" = ").push_bind(v);
        }
        Some(None) => {
            q.push(" AND ");
            push_ident(q, column);
            q.push(" IS NULL");
        }
        None => {}
    }
}

/// Appends ` AND column IN (...)` when `values` is `Some`; an empty list
/// matches no row.
pub fn push_in<DB: Database, T: Bind<DB>>(
    q: &mut QueryBuilder<DB>,
    column: &str,
    values: Option<&[T]>,
) {
    let Some(values) = values else { return };
    if values.is_empty() {
        q.push(" AND 1 = 0");
        return;
    }
    q.push(" AND ");
    push_ident(q, column);
    q.push(" IN (");
    let mut list = q.separated(", ");
    for v in values {
        list.push_bind(v);
    }
    q.push(")");
}

/// Bounds on an orderable column for a listing's filter: each `Some` bound
/// must hold (`gt`: greater than, `gte`: greater or equal, `lt`, `lte`). A
/// NULL never matches a bound. The default has no bound.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Range<T> {
    /// Greater than this.
    pub gt: Option<T>,
    /// Greater than or equal to this.
    pub gte: Option<T>,
    /// Less than this.
    pub lt: Option<T>,
    /// Less than or equal to this.
    pub lte: Option<T>,
}

impl<T> Default for Range<T> {
    fn default() -> Self {
        Range {
            gt: None,
            gte: None,
            lt: None,
            lte: None,
        }
    }
}

impl<T> Range<T> {
    /// Values greater than `v`.
    pub fn gt(v: T) -> Self {
        Range {
            gt: Some(v),
            ..Range::default()
        }
    }

    /// Values greater than or equal to `v`.
    pub fn gte(v: T) -> Self {
        Range {
            gte: Some(v),
            ..Range::default()
        }
    }

    /// Values less than `v`.
    pub fn lt(v: T) -> Self {
        Range {
            lt: Some(v),
            ..Range::default()
        }
    }

    /// Values less than or equal to `v`.
    pub fn lte(v: T) -> Self {
        Range {
            lte: Some(v),
            ..Range::default()
        }
    }

    /// Whether no bound is set.
    pub fn is_empty(&self) -> bool {
        self.gt.is_none() && self.gte.is_none() && self.lt.is_none() && self.lte.is_none()
    }
}

/// Appends ` AND column > gt`, `>= gte`, `< lt`, `<= lte` for each bound set.
pub fn push_range<DB: Database, T: Bind<DB>>(
    q: &mut QueryBuilder<DB>,
    column: &str,
    range: &Range<T>,
) {
    for (op, v) in [
        (" > ", &range.gt),
        (" >= ", &range.gte),
        (" < ", &range.lt),
        (" <= ", &range.lte),
    ] {
        if let Some(v) = v {
            q.push(" AND ");
            push_ident(q, column);
            q.push(op).push_bind(v);
        }
    }
}

/// Appends `name` as a double-quoted SQL identifier (the same on SQLite
/// and PostgreSQL), doubling any `"` inside it.
pub fn push_ident<DB: Database>(q: &mut QueryBuilder<DB>, name: &str) {
    if name.contains('"') {
        q.push('"').push(name.replace('"', "\"\"")).push('"');
    } else {
        q.push('"').push(name).push('"');
    }
}

/// `name` as a double-quoted SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The quoted, comma-separated `columns`.
pub fn column_list(columns: &[&str]) -> String {
    columns
        .iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `column = $n AND ...` over `key`, placeholders numbered from 1.
fn key_condition(key: &[&str]) -> String {
    key.iter()
        .enumerate()
        .map(|(i, k)| format!("{} = ${}", quote_ident(k), i + 1))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// `SELECT <columns> FROM <table> WHERE <key> = $1 ...`: a generated
/// table's `get` (built once per table, then cached by the caller).
pub fn select_by_key(table: &str, columns: &[&str], key: &[&str]) -> String {
    format!(
        "SELECT {} FROM {} WHERE {}",
        column_list(columns),
        quote_ident(table),
        key_condition(key)
    )
}

/// `DELETE FROM <table> WHERE <key> = $1 ...`: a generated table's `delete`.
pub fn delete_by_key(table: &str, key: &[&str]) -> String {
    format!(
        "DELETE FROM {} WHERE {}",
        quote_ident(table),
        key_condition(key)
    )
}

/// `SELECT <columns> FROM <table> WHERE 1 = 1`: the head of a generated
/// table's listing, which filters append ` AND ...` to.
pub fn select_head(table: &str, columns: &[&str]) -> String {
    format!(
        "SELECT {} FROM {} WHERE 1 = 1",
        column_list(columns),
        quote_ident(table)
    )
}

/// Appends `" WHERE "` for the first key column (`*n == 0`), `" AND "`
/// after it, then `column = ` (the caller binds the value); counts in `n`.
pub fn push_key<DB: Database>(q: &mut QueryBuilder<DB>, n: &mut usize, column: &str) {
    q.push(if *n == 0 { " WHERE " } else { " AND " });
    push_ident(q, column);
    q.push(" = ");
    *n += 1;
}

/// Appends `column = value` to an `UPDATE`'s SET list, after a `", "`
/// unless it is the first (`*n == 0`); counts in `n`.
pub fn push_set<DB: Database, T: Bind<DB>>(
    q: &mut QueryBuilder<DB>,
    n: &mut usize,
    column: &str,
    value: &T,
) {
    if *n > 0 {
        q.push(", ");
    }
    push_ident(q, column);
    q.push(" = ").push_bind(value);
    *n += 1;
}

/// Appends `column` to a column list, after a `", "` unless it is the
/// first (`*n == 0`); counts in `n`.
pub fn push_listed<DB: Database>(q: &mut QueryBuilder<DB>, n: &mut usize, column: &str) {
    if *n > 0 {
        q.push(", ");
    }
    push_ident(q, column);
    *n += 1;
}

/// Appends ` RETURNING <columns>`.
pub fn push_returning<DB: Database>(q: &mut QueryBuilder<DB>, columns: &[&str]) {
    q.push(" RETURNING ");
    push_columns(q, columns);
}

/// Appends the quoted, comma-separated `columns`.
pub fn push_columns<DB: Database>(q: &mut QueryBuilder<DB>, columns: &[&str]) {
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        push_ident(q, c);
    }
}

/// How a keyset listing is ordered: by `column`, then by the rest of the
/// primary key (`key` without `column`) in the same direction. NULLs of a
/// nullable column sort first ascending and last descending on both
/// databases (SQLite's own rule, spelt out for PostgreSQL with
/// `NULLS FIRST`/`NULLS LAST`).
#[derive(Debug, Clone, Copy)]
pub struct Keyset<'a> {
    /// The order column's SQL name.
    pub column: &'a str,
    /// The table's primary key columns (SQL names, key order); those other
    /// than `column` break ties. Empty when the table has no key.
    pub key: &'a [&'a str],
    /// Descending order.
    pub desc: bool,
    /// Whether the order column is nullable.
    pub nullable: bool,
}

impl Keyset<'_> {
    /// The primary key columns other than the order column.
    fn ties(&self) -> impl Iterator<Item = &str> + '_ {
        self.key.iter().copied().filter(|k| *k != self.column)
    }

    /// Appends the tie-breaking key columns, quoted and comma-separated.
    fn push_ties<DB: Database>(&self, q: &mut QueryBuilder<DB>) {
        for (i, k) in self.ties().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            push_ident(q, k);
        }
    }

    /// Appends ` ORDER BY ...` for this order.
    pub fn push_order<DB: Database>(&self, q: &mut QueryBuilder<DB>) {
        let dir = if self.desc { " DESC" } else { " ASC" };
        q.push(" ORDER BY ");
        push_ident(q, self.column);
        q.push(dir);
        if self.nullable {
            q.push(if self.desc {
                " NULLS LAST"
            } else {
                " NULLS FIRST"
            });
        }
        for key in self.ties() {
            q.push(", ");
            push_ident(q, key);
            q.push(dir);
        }
    }

    /// Appends ` AND (...)`: the rows strictly after the cursor whose order
    /// column `column` holds `value` (`None`: NULL) and whose other key
    /// columns hold what `bind_keys` binds (one `push_bind` each, in key
    /// order; the separator is added). A cursor of another column than
    /// this order's is refused.
    pub fn push_after<DB: Database, T: Bind<DB>>(
        &self,
        q: &mut QueryBuilder<DB>,
        column: &str,
        value: Option<&T>,
        bind_keys: impl FnOnce(&mut Separated<'_, DB, &'static str>),
    ) -> Result<(), sqlx::Error> {
        if column != self.column {
            return Err(sqlx::Error::InvalidArgument(format!(
                "a listing ordered by {} got an `after` cursor of column {column}: make the cursor with the row's `after(order)` for the same order",
                self.column
            )));
        }
        let cmp = if self.desc { " < " } else { " > " };
        let ties = self.ties().next().is_some();
        let mut bind_keys = Some(bind_keys);
        let mut keys = |q: &mut QueryBuilder<DB>| {
            if let Some(bind) = bind_keys.take() {
                bind(&mut q.separated(", "));
            }
        };
        q.push(" AND (");
        match value {
            Some(v) if ties && !self.nullable => {
                // A row value: what a hand-written keyset query says, and
                // what both planners match against a composite index.
                q.push("(");
                push_ident(q, self.column);
                q.push(", ");
                self.push_ties(q);
                q.push(")").push(cmp).push("(").push_bind(v).push(", ");
                keys(q);
                q.push(")");
            }
            Some(v) => {
                push_ident(q, self.column);
                q.push(cmp).push_bind(v);
                if ties {
                    q.push(" OR (");
                    push_ident(q, self.column);
                    q.push(" = ").push_bind(v).push(" AND (");
                    self.push_ties(q);
                    q.push(")").push(cmp).push("(");
                    keys(q);
                    q.push("))");
                }
                if self.nullable && self.desc {
                    q.push(" OR ");
                    push_ident(q, self.column);
                    q.push(" IS NULL");
                }
            }
            None => {
                if ties {
                    q.push("(");
                    push_ident(q, self.column);
                    q.push(" IS NULL AND (");
                    self.push_ties(q);
                    q.push(")").push(cmp).push("(");
                    keys(q);
                    q.push("))");
                } else {
                    q.push("1 = 0");
                }
                if !self.desc {
                    q.push(" OR ");
                    push_ident(q, self.column);
                    q.push(" IS NOT NULL");
                }
            }
        }
        q.push(")");
        Ok(())
    }
}
