//! Maps a column's SQL type, per dialect, to its logical [`ColumnType`](super::model::ColumnType).

use sqlparser::ast::{DataType, ObjectNamePart, TimezoneInfo};

use super::model::ColumnType;
use crate::ir::Database;

/// What a declared type maps to.
pub enum Mapped {
    /// A known type.
    Known(ColumnType),
    /// A PostgreSQL serial type: an integer with a generated default.
    Serial(ColumnType),
    /// A name that is not a built-in type: an enum (or, on SQLite, a type
    /// name an enum `CHECK` may give meaning to).
    Named(String),
    /// A type the generated code cannot read.
    Unsupported,
}

/// The logical type of `ty` on `dialect`.
pub fn map(ty: &DataType, dialect: Database) -> Mapped {
    use ColumnType as C;
    use DataType as D;
    let sqlite = dialect == Database::Sqlite;
    let int = |pg: ColumnType| Mapped::Known(if sqlite { C::I64 } else { pg });
    match ty {
        D::Bool | D::Boolean => Mapped::Known(C::Bool),
        D::SmallInt(_) | D::Int2(_) => int(C::I16),
        D::Int(_) | D::Integer(_) | D::Int4(_) | D::MediumInt(_) => int(C::I32),
        D::BigInt(_) | D::Int8(_) | D::TinyInt(_) => Mapped::Known(C::I64),
        D::Real | D::Float4 => Mapped::Known(if sqlite { C::F64 } else { C::F32 }),
        D::DoublePrecision | D::Double(_) | D::Float8 | D::Float(_) => Mapped::Known(C::F64),
        // NUMERIC needs a decimal crate the runtime does not carry.
        D::Numeric(_) | D::Decimal(_) | D::Dec(_) => Mapped::Unsupported,
        D::Text
        | D::Varchar(_)
        | D::CharacterVarying(_)
        | D::CharVarying(_)
        | D::Char(_)
        | D::Character(_)
        | D::Nvarchar(_)
        | D::Clob(_)
        | D::String(_) => Mapped::Known(C::Text),
        D::Uuid => Mapped::Known(C::Uuid),
        D::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => {
            Mapped::Known(C::TimestampTz)
        }
        D::Timestamp(_, _) => Mapped::Known(C::Timestamp),
        D::Datetime(_) => Mapped::Known(C::TimestampTz),
        D::Date => Mapped::Known(C::Date),
        D::Time(_, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => Mapped::Known(C::Time),
        D::JSON | D::JSONB => Mapped::Known(C::Json),
        D::Bytea | D::Blob(_) | D::Binary(_) | D::Varbinary(_) => Mapped::Known(C::Bytes),
        D::Array(elem) => {
            if sqlite {
                return Mapped::Unsupported;
            }
            let item = match elem {
                sqlparser::ast::ArrayElemTypeDef::SquareBracket(t, _)
                | sqlparser::ast::ArrayElemTypeDef::AngleBracket(t)
                | sqlparser::ast::ArrayElemTypeDef::Parenthesis(t) => t,
                _ => return Mapped::Unsupported,
            };
            match map(item, dialect) {
                Mapped::Known(t) if !matches!(t, C::Array { .. }) => {
                    Mapped::Known(C::Array { item: Box::new(t) })
                }
                Mapped::Named(n) => Mapped::Known(C::Array {
                    item: Box::new(C::Enum { name: n }),
                }),
                _ => Mapped::Unsupported,
            }
        }
        D::Custom(name, args) if args.is_empty() => {
            let last = name
                .0
                .last()
                .and_then(ObjectNamePart::as_ident)
                .map(|i| i.value.clone())
                .unwrap_or_default();
            custom(&last, dialect)
        }
        _ => Mapped::Unsupported,
    }
}

/// Type names sqlparser leaves as custom: serials, SQLite's loose names,
/// and user-defined types.
fn custom(name: &str, dialect: Database) -> Mapped {
    use ColumnType as C;
    let lower = name.to_ascii_lowercase();
    let sqlite = dialect == Database::Sqlite;
    match lower.as_str() {
        "serial" | "serial4" if !sqlite => Mapped::Serial(C::I32),
        "bigserial" | "serial8" if !sqlite => Mapped::Serial(C::I64),
        "smallserial" | "serial2" if !sqlite => Mapped::Serial(C::I16),
        "timestamptz" => Mapped::Known(C::TimestampTz),
        "int2" | "int4" | "int8" if sqlite => Mapped::Known(C::I64),
        "int4" => Mapped::Known(C::I32),
        "int2" => Mapped::Known(C::I16),
        "int8" => Mapped::Known(C::I64),
        "float8" => Mapped::Known(C::F64),
        "citext" if !sqlite => Mapped::Known(C::Text),
        _ => Mapped::Named(name.to_owned()),
    }
}

/// A short English name of a logical type, for messages.
pub fn describe(ty: &ColumnType) -> String {
    match ty {
        ColumnType::Enum { name } => format!("enum {name}"),
        ColumnType::Array { item } => format!("{}[]", describe(item)),
        other => format!("{other:?}").to_ascii_lowercase(),
    }
}
