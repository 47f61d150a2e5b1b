//! Short names for the Rust types of SQL columns, which the generated `db` module imports: each is the type itself or a plain alias, so values move freely between generated rows and handler code.

pub use chrono::{NaiveDate as Date, NaiveDateTime as Timestamp, NaiveTime as Time};
pub use uuid::Uuid;

/// `TIMESTAMPTZ` (and `DATETIME` on SQLite): an instant in UTC.
pub type TimestampTz = chrono::DateTime<chrono::Utc>;

/// `JSON`/`JSONB`: any JSON value.
pub type Json = serde_json::Value;

/// `BYTEA`/`BLOB`: raw bytes.
pub type Bytes = Vec<u8>;
