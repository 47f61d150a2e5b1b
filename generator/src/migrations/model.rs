//! The database schema model: plain, sorted data replayed from a project's SQL migrations, one [`Schema`] per dialect.
//!
//! Like the IR, the model holds every decision the `db` emitter needs: Rust
//! names of tables, columns and enums, the logical type of every column and
//! which columns can filter, order and page. The emitter only translates.
//! It holds no formatting and no locations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ir::Database;

/// Every targeted dialect's schema, as the migrations leave it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DbModel {
    /// The dialects the project targets (`database:` in `bunbase.yaml`),
    /// sorted.
    pub dialects: Vec<Database>,
    /// Each targeted dialect's schema, from `migrations/<dialect>/`.
    pub schemas: BTreeMap<Database, Schema>,
    /// The tables the generated code covers: on two dialects, the tables
    /// both schemas hold with the same Rust types (a checker diagnostic
    /// names every table or column that differs).
    pub tables: BTreeMap<String, Table>,
    /// The enums those tables use, by SQL name.
    pub enums: BTreeMap<String, SqlEnum>,
    /// Per table (by SQL name), how its row converts into the contract
    /// type that carries the same data (see [`crate::migrations::link`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub conversions: BTreeMap<String, RowConversion>,
    /// Per SQL enum (by SQL name), the contract enum with the same name
    /// and values: the two convert into each other.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub enum_links: BTreeMap<String, EnumLink>,
}

impl DbModel {
    /// True when the project has no migrations: nothing to emit.
    pub fn is_empty(&self) -> bool {
        self.schemas.is_empty()
    }
}

/// One dialect's schema after every migration, in version order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// The migration files, in version order.
    pub migrations: Vec<MigrationFile>,
    /// Tables by SQL name.
    pub tables: BTreeMap<String, Table>,
    /// Enum types by SQL name: PostgreSQL's `CREATE TYPE ... AS ENUM`, and
    /// on SQLite a column whose `CHECK (col IN ('a', 'b'))` lists its values.
    pub enums: BTreeMap<String, SqlEnum>,
    /// Views by SQL name, with their columns where they can be read from
    /// the view's `SELECT` (plain column references of one table).
    pub views: BTreeMap<String, View>,
}

/// One migration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationFile {
    /// The number before the first `_` of the file name.
    pub version: i64,
    /// The file name (`0001_init.sql`).
    pub file: String,
    /// The SQL text, embedded into the generated crate so the server
    /// applies exactly what the model was built from.
    #[serde(skip)]
    pub sql: String,
}

/// A table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// SQL name (`tasks`).
    pub name: String,
    /// The Rust module of its queries (`tasks`, keyword-escaped).
    pub module: String,
    /// The row struct (`TaskRow`); the insert struct is `New` + singular
    /// (`NewTask`), the patch struct singular + `Patch` (`TaskPatch`).
    pub row: String,
    /// The insert struct's name.
    pub insert: String,
    /// The patch struct's name.
    pub patch: String,
    /// The filter struct's name (`TaskFilter`).
    pub filter: String,
    /// The ordering enum's name (`TaskOrder`).
    pub order: String,
    /// The keyset cursor enum's name (`TaskAfter`): the order column's and
    /// the rest of the primary key's values of a page's last row.
    pub after: String,
    /// Columns in declaration order.
    pub columns: Vec<Column>,
    /// Primary key columns, in key order; empty when the table has none.
    pub primary_key: Vec<String>,
    /// Unique constraints (column lists), sorted.
    pub unique: Vec<Vec<String>>,
    /// Foreign keys, sorted.
    pub foreign_keys: Vec<ForeignKey>,
    /// Indexes by name.
    pub indexes: BTreeMap<String, Index>,
}

impl Table {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// SQL name.
    pub name: String,
    /// Rust field name (keyword-escaped snake_case).
    pub field: String,
    /// The type as written in the migration (`TIMESTAMPTZ`), for docs.
    pub sql_type: String,
    /// The logical type the generated code reads and writes.
    pub ty: ColumnType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The default expression as written, if any.
    pub default: Option<String>,
    /// Whether the insert struct may leave it out: nullable, defaulted or
    /// an SQLite `INTEGER PRIMARY KEY` (a rowid alias).
    pub optional_on_insert: bool,
    /// Whether `list` can filter on it by equality and `IN` (scalar types).
    pub filterable: bool,
    /// Whether `list` can filter on it by range, and order and page by it
    /// (scalar types; NULLs sort first ascending, last descending).
    pub orderable: bool,
    /// The filter struct's membership field (`status_in`) when `filterable`,
    /// clear of the table's column fields and of every other filter field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_in: Option<String>,
    /// The filter struct's range field (`due_at_range`) when `orderable`,
    /// claimed like [`Column::filter_in`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_range: Option<String>,
}

/// The logical type of a column. The `db` emitter maps each to one Rust
/// type (the table in `generator/docs/database.md`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ColumnType {
    /// `BOOLEAN`.
    Bool,
    /// `SMALLINT`.
    I16,
    /// `INTEGER`/`INT` on PostgreSQL.
    I32,
    /// `BIGINT`, `BIGSERIAL`, and every integer on SQLite.
    I64,
    /// `REAL` on PostgreSQL.
    F32,
    /// `DOUBLE PRECISION`, `FLOAT`, and `REAL` on SQLite.
    F64,
    /// `TEXT`, `VARCHAR`, `CHAR`.
    Text,
    /// `UUID`.
    Uuid,
    /// `TIMESTAMP` (without time zone).
    Timestamp,
    /// `TIMESTAMPTZ` (and `DATETIME` on SQLite).
    TimestampTz,
    /// `DATE`.
    Date,
    /// `TIME`.
    Time,
    /// `JSON`/`JSONB`.
    Json,
    /// `BYTEA`/`BLOB`.
    Bytes,
    /// An enum type, by SQL name (a key of [`DbModel::enums`]).
    Enum {
        /// The enum's SQL name.
        name: String,
    },
    /// A PostgreSQL array.
    Array {
        /// The element type.
        item: Box<ColumnType>,
    },
}

impl ColumnType {
    /// Whether values compare by equality and order (filters, ordering).
    pub fn is_scalar(&self) -> bool {
        !matches!(
            self,
            ColumnType::Json | ColumnType::Bytes | ColumnType::Array { .. }
        )
    }
}

/// An enum type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SqlEnum {
    /// SQL name (`task_status`).
    pub name: String,
    /// Rust name (`TaskStatus`).
    pub rust_name: String,
    /// Values in declaration order, with their Rust variant names.
    pub values: Vec<EnumValue>,
}

/// One enum value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumValue {
    /// The stored text (`in_progress`).
    pub sql: String,
    /// The Rust variant (`InProgress`).
    pub variant: String,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ForeignKey {
    /// The referencing columns.
    pub columns: Vec<String>,
    /// The referenced table.
    pub table: String,
    /// The referenced columns (empty: the referenced primary key).
    pub references: Vec<String>,
}

/// An index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    /// Its columns (expressions as written).
    pub columns: Vec<String>,
    /// Whether it is unique.
    pub unique: bool,
}

/// A view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// SQL name.
    pub name: String,
    /// The `SELECT` as written.
    pub query: String,
}

/// How a table's row converts into a contract type: the type's fields,
/// each read from the column of the same name. Columns the type lacks are
/// dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowConversion {
    /// The contract type's Rust name (`Task`).
    pub type_name: String,
    /// True when a field's conversion can fail (a JSON column read as a
    /// typed list or map): the conversion is `TryFrom`, else `From`.
    pub fallible: bool,
    /// The type's fields, in declaration order.
    pub fields: Vec<FieldConversion>,
}

/// One field of a [`RowConversion`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldConversion {
    /// The contract field's Rust name.
    pub field: String,
    /// The row field it reads.
    pub column: String,
    /// How the value converts.
    pub kind: ConversionKind,
    /// How optionality changes on the way.
    pub wrap: Wrap,
}

/// How one value converts from its column to its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversionKind {
    /// The same Rust type: moved.
    Move,
    /// A lossless `Into` (a narrower integer or float, a linked enum).
    Into,
    /// A JSON column read into a typed list or map (can fail).
    FromJson,
}

/// How optionality changes from column to field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wrap {
    /// Both required, or both optional with a `Move`.
    Plain,
    /// A NOT NULL column read into an optional field: `Some(..)`.
    Some,
    /// Both optional, converted inside the `Option`.
    Map,
}

/// A SQL enum linked to the contract enum with the same name and values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumLink {
    /// The contract enum's Rust name.
    pub contract: String,
    /// `(SQL enum variant, contract variant)` pairs, in SQL order.
    pub variants: Vec<(String, String)>,
}
