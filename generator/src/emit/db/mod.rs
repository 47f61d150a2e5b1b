//! Emits the API crate's `db` module from the IR's schema model: the embedded migrations, enums, and per table its row, insert and patch structs and a `db_table!` declaration.
//!
//! Everything is `quote!` tokens; the module is formatted with the rest of
//! the API crate, whose printer then lays out each `db_table!` declaration
//! (`layout`). The per-table queries, `FromRow` impl and filter, order
//! and cursor types are not emitted as code: the runtime's
//! `bunbase_runtime::db_table!` expands them from the declaration, each
//! query body compiled once per targeted dialect against its own types.
//! Column types use the short names of `bunbase_runtime::db::types`
//! (`Uuid`, `TimestampTz`, `Json`), spelt out in full only where a SQL
//! enum of the same name would shadow them.

mod convert;
mod declare;
mod layout;
mod rows;

pub(crate) use layout::declarations as lay_out_declarations;

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
            " The `{}` table: its row, insert and patch structs, and (from its `db_table!` declaration) its filter, order and cursor types and queries.",
            t.name
        ));
        let items = rows::table_types(db, t);
        let declaration = declare::declaration(db, t);
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
                #declaration
                #conversion
            }
        }
    });
    quote! {
        #[allow(unused_imports)]
        use ::bunbase_runtime::db::types::*;
        #[allow(unused_imports)]
        use ::bunbase_runtime::sqlx;

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
        Ok(f) => layout::declarations(prettyplease::unparse(&f)),
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

/// Whether a SQL enum of the module is named `name` (and so shadows the
/// short type name imported from `bunbase_runtime::db::types` or the
/// prelude).
fn shadowed(db: &DbModel, name: &str) -> bool {
    db.enums.values().any(|e| e.rust_name == name)
}

/// `name` when nothing shadows it, else `full`.
fn short(db: &DbModel, name: &str, full: TokenStream) -> TokenStream {
    if shadowed(db, name) {
        full
    } else {
        let id = ident(name);
        quote!(#id)
    }
}

/// `Option<inner>`.
pub(crate) fn option(db: &DbModel, inner: &TokenStream) -> TokenStream {
    let option = short(db, "Option", quote!(::std::option::Option));
    quote!(#option<#inner>)
}

/// The Rust type of a column's value (without `Option`).
pub(crate) fn rust_type(db: &DbModel, ty: &ColumnType) -> TokenStream {
    let types = |name: &str| {
        let id = ident(name);
        short(db, name, quote!(::bunbase_runtime::db::types::#id))
    };
    match ty {
        ColumnType::Bool => quote!(bool),
        ColumnType::I16 => quote!(i16),
        ColumnType::I32 => quote!(i32),
        ColumnType::I64 => quote!(i64),
        ColumnType::F32 => quote!(f32),
        ColumnType::F64 => quote!(f64),
        ColumnType::Text => short(db, "String", quote!(::std::string::String)),
        ColumnType::Uuid => types("Uuid"),
        ColumnType::Timestamp => types("Timestamp"),
        ColumnType::TimestampTz => types("TimestampTz"),
        ColumnType::Date => types("Date"),
        ColumnType::Time => types("Time"),
        ColumnType::Json => types("Json"),
        ColumnType::Bytes => types("Bytes"),
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
            let vec = short(db, "Vec", quote!(::std::vec::Vec));
            quote!(#vec<#inner>)
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
