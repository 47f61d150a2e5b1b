//! Emits the API crate's `db` module from the IR's schema model: the embedded migrations, enums, and per table a row, insert, patch, filter and order type with typed queries.
//!
//! Everything is `quote!` tokens; the module is formatted with the rest of
//! the API crate. Rows implement `sqlx::FromRow` by hand, generic over the
//! row type (sqlx's derive names the `sqlx` crate, which generated crates
//! reach only through `bunbase_runtime`). Each query body is emitted once
//! and dispatched on the connection's dialect by `bunbase_runtime::on_conn!`,
//! which compiles it against each dialect's own types.

mod convert;
mod queries;
mod rows;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{Database, Ir};
use crate::migrations::{ColumnType, DbModel, SqlEnum};

/// The `db` module's items (without its inner doc).
pub fn module(ir: &Ir) -> TokenStream {
    let db = &ir.db;
    let migrations = migrations(db);
    let enums = db.enums.values().map(|e| {
        let item = sql_enum(db, e);
        let link = db.enum_links.get(&e.name).map(|l| convert::enum_link(e, l));
        quote!(#item #link)
    });
    let tables = db.tables.values().map(|t| {
        let m = ident(&t.module);
        let doc = lit(&format!(
            " The `{}` table: its row, insert, patch, filter and order types and its queries.",
            t.name
        ));
        let items = rows::table_types(db, t);
        let fns = queries::table_queries(db, t);
        let after = queries::row_after(db, t);
        let conversion = db
            .conversions
            .get(&t.name)
            .map(|c| convert::row_conversion(&t.name, &t.row, c));
        quote! {
            #[doc = #doc]
            pub mod #m {
                #[allow(unused_imports)]
                use super::*;
                #items
                #after
                #fns
                #conversion
            }
        }
    });
    quote! {
        #[allow(unused_imports)]
        use ::bunbase_runtime::sqlx::{self, Row as _};
        #[allow(unused_imports)]
        use ::bunbase_runtime::db::Exec;

        #migrations
        #(#enums)*
        #(#tables)*
    }
}

/// The `db` module as a formatted file (what `bunbase db types` prints).
pub fn format(ir: &Ir) -> String {
    let items = module(ir);
    let file = quote! {
        //! Typed rows and queries generated from the database schema.
        #items
    };
    match syn::parse2::<syn::File>(file) {
        Ok(f) => prettyplease::unparse(&f),
        Err(e) => format!("// bunbase bug: the db module does not parse: {e}\n"),
    }
}

/// `MIGRATIONS`: every dialect's files, embedded, for
/// `bunbase_runtime::Migrations::by_dialect`.
fn migrations(db: &DbModel) -> TokenStream {
    let list = |d: Database| {
        let files = db
            .schemas
            .get(&d)
            .into_iter()
            .flat_map(|s| &s.migrations)
            .map(|m| {
                let f = lit(&m.file);
                let sql = lit(&m.sql);
                quote!((#f, #sql))
            });
        quote!(&[#(#files),*])
    };
    let sqlite = list(Database::Sqlite);
    let postgres = list(Database::Postgres);
    quote! {
        /// The migrations bunbase read, embedded: `(file name, SQL)` per
        /// dialect, applied by the runtime to the database `DATABASE_URL`
        /// selects.
        pub static MIGRATIONS: ::bunbase_runtime::Migrations =
            ::bunbase_runtime::Migrations::by_dialect(#sqlite, #postgres);
    }
}

fn sql_enum(db: &DbModel, e: &SqlEnum) -> TokenStream {
    let name = ident(&e.rust_name);
    let doc = lit(&format!(" The SQL enum `{}`.", e.name));
    let variants = e.values.iter().map(|v| {
        let id = ident(&v.variant);
        let d = lit(&format!(" `{}`", v.sql));
        quote!(#[doc = #d] #id)
    });
    let to_str = e.values.iter().map(|v| {
        let id = ident(&v.variant);
        let s = lit(&v.sql);
        quote!(#name::#id => #s)
    });
    let from_str = e.values.iter().map(|v| {
        let id = ident(&v.variant);
        let s = lit(&v.sql);
        quote!(#s => ::std::option::Option::Some(#name::#id))
    });
    let bad = lit(&format!("not a value of enum {}: {{:?}}", e.name));
    let sqlite = db.dialects.contains(&Database::Sqlite).then(|| {
        quote! {
            impl sqlx::Type<sqlx::Sqlite> for #name {
                fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
                    <str as sqlx::Type<sqlx::Sqlite>>::type_info()
                }
                fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
                    <str as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
                }
            }
            impl<'q> sqlx::Encode<'q, sqlx::Sqlite> for #name {
                fn encode_by_ref(
                    &self,
                    buf: &mut <sqlx::Sqlite as sqlx::Database>::ArgumentBuffer,
                ) -> ::std::result::Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                    <&str as sqlx::Encode<'q, sqlx::Sqlite>>::encode(self.as_str(), buf)
                }
            }
            impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for #name {
                fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> ::std::result::Result<Self, sqlx::error::BoxDynError> {
                    let text = <&str as sqlx::Decode<'r, sqlx::Sqlite>>::decode(value)?;
                    #name::parse(text).ok_or_else(|| format!(#bad, text).into())
                }
            }
        }
    });
    let pg_name = lit(&e.name);
    let pg_array = lit(&format!("_{}", e.name));
    let postgres = db.dialects.contains(&Database::Postgres).then(|| {
        quote! {
            impl sqlx::Type<sqlx::Postgres> for #name {
                fn type_info() -> sqlx::postgres::PgTypeInfo {
                    sqlx::postgres::PgTypeInfo::with_name(#pg_name)
                }
            }
            impl sqlx::postgres::PgHasArrayType for #name {
                fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                    sqlx::postgres::PgTypeInfo::with_name(#pg_array)
                }
            }
            impl<'q> sqlx::Encode<'q, sqlx::Postgres> for #name {
                fn encode_by_ref(
                    &self,
                    buf: &mut <sqlx::Postgres as sqlx::Database>::ArgumentBuffer,
                ) -> ::std::result::Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                    <&str as sqlx::Encode<'q, sqlx::Postgres>>::encode(self.as_str(), buf)
                }
            }
            impl<'r> sqlx::Decode<'r, sqlx::Postgres> for #name {
                fn decode(value: sqlx::postgres::PgValueRef<'r>) -> ::std::result::Result<Self, sqlx::error::BoxDynError> {
                    let text = <&str as sqlx::Decode<'r, sqlx::Postgres>>::decode(value)?;
                    #name::parse(text).ok_or_else(|| format!(#bad, text).into())
                }
            }
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name {
            #(#variants,)*
        }
        impl #name {
            /// The stored text of this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    #(#to_str,)*
                }
            }
            /// The value stored as `text`, if it is one.
            pub fn parse(text: &str) -> ::std::option::Option<Self> {
                match text {
                    #(#from_str,)*
                    _ => ::std::option::Option::None,
                }
            }
        }
        #sqlite
        #postgres
    }
}

/// The Rust type of a column's value (without `Option`).
pub(crate) fn rust_type(db: &DbModel, ty: &ColumnType) -> TokenStream {
    match ty {
        ColumnType::Bool => quote!(bool),
        ColumnType::I16 => quote!(i16),
        ColumnType::I32 => quote!(i32),
        ColumnType::I64 => quote!(i64),
        ColumnType::F32 => quote!(f32),
        ColumnType::F64 => quote!(f64),
        ColumnType::Text => quote!(::std::string::String),
        ColumnType::Uuid => quote!(::bunbase_runtime::uuid::Uuid),
        ColumnType::Timestamp => quote!(::bunbase_runtime::chrono::NaiveDateTime),
        ColumnType::TimestampTz => {
            quote!(::bunbase_runtime::chrono::DateTime<::bunbase_runtime::chrono::Utc>)
        }
        ColumnType::Date => quote!(::bunbase_runtime::chrono::NaiveDate),
        ColumnType::Time => quote!(::bunbase_runtime::chrono::NaiveTime),
        ColumnType::Json => quote!(::bunbase_runtime::serde_json::Value),
        ColumnType::Bytes => quote!(::std::vec::Vec<u8>),
        ColumnType::Enum { name } => {
            let e = db
                .enums
                .get(name)
                .map_or_else(|| crate::naming::pascal(name), |e| e.rust_name.clone());
            let id = ident(&e);
            quote!(super::#id)
        }
        ColumnType::Array { item } => {
            let inner = rust_type(db, item);
            quote!(::std::vec::Vec<#inner>)
        }
    }
}

/// An identifier, accepting the raw form (`r#type`).
pub(crate) fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

/// A string literal.
pub(crate) fn lit(s: &str) -> proc_macro2::Literal {
    proc_macro2::Literal::string(s)
}
