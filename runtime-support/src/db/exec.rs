//! Where a generated query runs: a [`Db`] (a connection from its pool) or the caller's own connection or transaction, of either dialect.

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres, Sqlite, SqliteConnection};

use super::{Db, Pool};

/// What the generated queries of the API crate's `db` module run on:
/// `&Db` (a connection from its pool), or `&mut *tx` for a transaction
/// (or a connection) of either dialect, so a query commits together with
/// whatever else the transaction holds (a job enqueued with `enqueue_in`).
#[derive(Debug)]
pub enum Exec<'a> {
    /// A pooled database: the query takes one of its connections.
    Db(&'a Db),
    /// An SQLite connection or transaction.
    Sqlite(&'a mut SqliteConnection),
    /// A PostgreSQL connection or transaction.
    Postgres(&'a mut PgConnection),
}

impl<'a> From<&'a Db> for Exec<'a> {
    fn from(db: &'a Db) -> Self {
        Exec::Db(db)
    }
}

impl<'a> From<&'a mut SqliteConnection> for Exec<'a> {
    fn from(c: &'a mut SqliteConnection) -> Self {
        Exec::Sqlite(c)
    }
}

impl<'a> From<&'a mut PgConnection> for Exec<'a> {
    fn from(c: &'a mut PgConnection) -> Self {
        Exec::Postgres(c)
    }
}

impl<'a> Exec<'a> {
    /// A connection to run on: one taken from the pool, or the caller's.
    pub async fn acquire(self) -> Result<Held<'a>, sqlx::Error> {
        Ok(match self {
            Exec::Db(db) => match db.pool() {
                Pool::Sqlite(p) => Held::SqlitePooled(p.acquire().await?),
                Pool::Postgres(p) => Held::PostgresPooled(p.acquire().await?),
            },
            Exec::Sqlite(c) => Held::Sqlite(c),
            Exec::Postgres(c) => Held::Postgres(c),
        })
    }
}

/// A connection held for one query (see [`Exec::acquire`]); a pooled one
/// goes back to its pool on drop.
#[derive(Debug)]
pub enum Held<'a> {
    /// Taken from an SQLite pool.
    SqlitePooled(PoolConnection<Sqlite>),
    /// Taken from a PostgreSQL pool.
    PostgresPooled(PoolConnection<Postgres>),
    /// The caller's SQLite connection.
    Sqlite(&'a mut SqliteConnection),
    /// The caller's PostgreSQL connection.
    Postgres(&'a mut PgConnection),
}

/// A typed connection to run one query on.
#[derive(Debug)]
pub enum Conn<'c> {
    /// SQLite.
    Sqlite(&'c mut SqliteConnection),
    /// PostgreSQL.
    Postgres(&'c mut PgConnection),
}

impl Held<'_> {
    /// The connection, typed by dialect.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Held::SqlitePooled(c) => Conn::Sqlite(c),
            Held::PostgresPooled(c) => Conn::Postgres(c),
            Held::Sqlite(c) => Conn::Sqlite(c),
            Held::Postgres(c) => Conn::Postgres(c),
        }
    }
}
