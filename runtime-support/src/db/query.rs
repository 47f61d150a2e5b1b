//! What the generated queries of an API crate's `db` module are built from: [`on_conn!`](crate::on_conn), which dispatches one query body on the connection's dialect, and the clause helpers its dynamic queries call (filters, ranges, keyset paging), generic over `sqlx::Database`.
//!
//! A generated query is written once. Its body is expanded by
//! [`on_conn!`](crate::on_conn) once per dialect, so it is compiled against
//! each dialect's own `Database`: native types (uuid, timestamptz, enums,
//! jsonb on PostgreSQL) stay exactly typed. Fixed statements are static
//! SQL text with numbered placeholders (`$1`), which SQLite and PostgreSQL
//! both read; dynamic ones go through a `QueryBuilder` and the helpers here.

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

/// Appends ` AND column = value` when `value` is `Some`.
pub fn push_eq<DB: Database, T: Bind<DB>>(
    q: &mut QueryBuilder<DB>,
    column: &str,
    value: Option<&T>,
) {
    if let Some(v) = value {
        q.push(" AND ").push(column).push(" = ").push_bind(v);
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
            q.push(" AND ").push(column).push(" = ").push_bind(v);
        }
        Some(None) => {
            q.push(" AND ").push(column).push(" IS NULL");
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
    q.push(" AND ").push(column).push(" IN (");
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
            q.push(" AND ").push(column).push(op).push_bind(v);
        }
    }
}

/// How a keyset listing is ordered: by `column`, then by the `keys` (the
/// rest of the primary key, comma-separated, maybe empty) in the same
/// direction. NULLs of a nullable column sort first ascending and last
/// descending on both databases (SQLite's own rule, spelt out for
/// PostgreSQL with `NULLS FIRST`/`NULLS LAST`).
#[derive(Debug, Clone, Copy)]
pub struct Keyset<'a> {
    /// The quoted order column.
    pub column: &'a str,
    /// The other primary key columns, quoted and comma-separated (empty
    /// when the order column is the whole key).
    pub keys: &'a str,
    /// Descending order.
    pub desc: bool,
    /// Whether the order column is nullable.
    pub nullable: bool,
}

impl Keyset<'_> {
    /// Appends ` ORDER BY ...` for this order.
    pub fn push_order<DB: Database>(&self, q: &mut QueryBuilder<DB>) {
        let dir = if self.desc { " DESC" } else { " ASC" };
        q.push(" ORDER BY ").push(self.column).push(dir);
        if self.nullable {
            q.push(if self.desc {
                " NULLS LAST"
            } else {
                " NULLS FIRST"
            });
        }
        for key in self.keys.split(", ").filter(|k| !k.is_empty()) {
            q.push(", ").push(key).push(dir);
        }
    }

    /// Appends ` AND (...)`: the rows strictly after the cursor whose order
    /// column `column` holds `value` (`None`: NULL) and whose other key
    /// columns hold what `bind_keys` binds (comma-separated, in `keys`
    /// order). A cursor of another column than this order's is refused.
    pub fn push_after<DB: Database, T: Bind<DB>>(
        &self,
        q: &mut QueryBuilder<DB>,
        column: &str,
        value: Option<&T>,
        bind_keys: impl FnOnce(&mut QueryBuilder<DB>),
    ) -> Result<(), sqlx::Error> {
        if column != self.column {
            return Err(sqlx::Error::InvalidArgument(format!(
                "a listing ordered by {} got an `after` cursor of column {column}: make the cursor with the row's `after(order)` for the same order",
                self.column
            )));
        }
        let (cmp, c) = (if self.desc { " < " } else { " > " }, self.column);
        let ties = !self.keys.is_empty();
        q.push(" AND (");
        match value {
            Some(v) if ties && !self.nullable => {
                // A row value: what a hand-written keyset query says, and
                // what both planners match against a composite index.
                q.push("(")
                    .push(c)
                    .push(", ")
                    .push(self.keys)
                    .push(")")
                    .push(cmp);
                q.push("(").push_bind(v).push(", ");
                bind_keys(q);
                q.push(")");
            }
            Some(v) => {
                q.push(c).push(cmp).push_bind(v);
                if ties {
                    q.push(" OR (").push(c).push(" = ").push_bind(v);
                    q.push(" AND (")
                        .push(self.keys)
                        .push(")")
                        .push(cmp)
                        .push("(");
                    bind_keys(q);
                    q.push("))");
                }
                if self.nullable && self.desc {
                    q.push(" OR ").push(c).push(" IS NULL");
                }
            }
            None => {
                if ties {
                    q.push("(").push(c).push(" IS NULL AND (").push(self.keys);
                    q.push(")").push(cmp).push("(");
                    bind_keys(q);
                    q.push("))");
                } else {
                    q.push("1 = 0");
                }
                if !self.desc {
                    q.push(" OR ").push(c).push(" IS NOT NULL");
                }
            }
        }
        q.push(")");
        Ok(())
    }
}
