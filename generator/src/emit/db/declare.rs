//! Per table: the `db_table!` declaration the runtime expands into the table's queries and its filter, order and cursor types.
//!
//! The declaration names the table's types and primary key and lists, per
//! column, its field, type, SQL name and what it filters, ranges, orders
//! and pages by (the grammar is documented on `bunbase_runtime::db::table`).
//! The SQL text, the dialect dispatch and the clause building live in the
//! runtime, so the generated module stays a short description per table.

use proc_macro2::TokenStream;
use quote::quote;

use super::rows::paged;
use super::{ident, lit, rust_type};
use crate::ir::Database;
use crate::migrations::{Column, DbModel, Table};

/// The order enum's variant stem for an order column (`created_at` →
/// `CreatedAt`): `CreatedAtAsc`, `CreatedAtDesc`, and the cursor's
/// `CreatedAt`.
fn stem(c: &Column) -> String {
    crate::naming::pascal(crate::naming::snake(&c.name).as_str())
}

/// `::bunbase_runtime::db_table! { ... }` for `t`.
pub(super) fn declaration(db: &DbModel, t: &Table) -> TokenStream {
    let dialect = match (
        db.dialects.contains(&Database::Sqlite),
        db.dialects.contains(&Database::Postgres),
    ) {
        (true, false) => quote!(sqlite),
        (false, true) => quote!(postgres),
        _ => quote!(both),
    };
    let name = lit(&t.name);
    let (row, new, patch, filter) = (
        ident(&t.row),
        ident(&t.insert),
        ident(&t.patch),
        ident(&t.filter),
    );
    let keys: Vec<&Column> = t.primary_key.iter().filter_map(|k| t.column(k)).collect();
    let key = keys.iter().map(|c| {
        let (f, ty, n) = (ident(&c.field), rust_type(db, &c.ty), lit(&c.name));
        quote!(#f(#ty) = #n)
    });
    let orderable: Vec<&Column> = t.columns.iter().filter(|c| c.orderable).collect();
    let order = keys
        .first()
        .filter(|k| k.orderable)
        .or_else(|| orderable.first())
        .map(|c| {
            let (order, default) = (ident(&t.order), ident(&format!("{}Asc", stem(c))));
            quote!(#order = #default)
        });
    let after = paged(t).then(|| ident(&t.after));
    let columns = t.columns.iter().map(|c| {
        let (f, ty, n) = (ident(&c.field), rust_type(db, &c.ty), lit(&c.name));
        let null = if c.nullable {
            quote!(null)
        } else {
            quote!(not_null)
        };
        let ins = if c.optional_on_insert {
            quote!(default)
        } else {
            quote!(required)
        };
        let pk = if t.primary_key.contains(&c.name) {
            quote!(key)
        } else {
            quote!(field)
        };
        let filter_in = c.filter_in.as_deref().map(|i| {
            let i = ident(i);
            quote!(in #i)
        });
        let range = c.filter_range.as_deref().map(|r| {
            let r = ident(r);
            quote!(range #r)
        });
        let order = c.orderable.then(|| {
            let s = stem(c);
            let (asc, desc, at) = (
                ident(&format!("{s}Asc")),
                ident(&format!("{s}Desc")),
                ident(&s),
            );
            let rest = keys.iter().filter(|k| k.name != c.name).map(|k| {
                let (kf, kty) = (ident(&k.field), rust_type(db, &k.ty));
                quote!(, #kf(#kty))
            });
            quote!(order(#asc, #desc, #at #(#rest)*))
        });
        quote!(#f(#ty) #null #ins #pk = #n #filter_in #range #order;)
    });
    quote! {
        ::bunbase_runtime::db_table! {
            table #name on #dialect;
            row #row, new #new, patch #patch, filter #filter;
            key (#(#key),*);
            order (#order);
            after (#after);
            columns {
                #(#columns)*
            }
        }
    }
}
