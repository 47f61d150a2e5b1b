//! Per table: the typed queries (`get`, `insert`, `update`, `delete`, `list`, `delete_where`), each body written once and dispatched on the connection's dialect by the runtime's `on_conn!`.
//!
//! Fixed statements are static SQL with numbered placeholders (`$1`), which
//! SQLite and PostgreSQL both read. Dynamic ones (an insert leaving columns
//! to their defaults, an update's SET list, a listing's filters and keyset)
//! are built by a generic function over `sqlx::Database` whose bounds name
//! the table's column types, so the one body is compiled, exactly typed,
//! for each dialect.

use proc_macro2::TokenStream;
use quote::quote;

use super::rows::{field_type, paged};
use super::{ident, lit, rust_type};
use crate::ir::Database;
use crate::migrations::{Column, DbModel, Table};

/// An SQL identifier, double-quoted (the same on SQLite and PostgreSQL).
pub(super) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Runs `body` with `conn` bound to the typed connection of `db` on every
/// targeted dialect (`on_conn!`).
fn on_conn(db: &DbModel, body: &TokenStream) -> TokenStream {
    let only = match (
        db.dialects.contains(&Database::Sqlite),
        db.dialects.contains(&Database::Postgres),
    ) {
        (true, false) => quote!(sqlite only,),
        (false, true) => quote!(postgres only,),
        _ => quote!(),
    };
    quote!(::bunbase_runtime::on_conn!(db, #only conn => #body))
}

/// `where` bounds saying every column type of `t` (and `Option` of each
/// nullable one) binds on `DB`, plus `extra` types.
fn bounds(db: &DbModel, t: &Table, extra: &[TokenStream]) -> TokenStream {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    let types = t.columns.iter().flat_map(|c| {
        let inner = rust_type(db, &c.ty);
        let mut v = vec![inner.clone()];
        if c.nullable {
            v.push(quote!(::std::option::Option<#inner>));
        }
        v
    });
    for ty in types.chain(extra.iter().cloned()) {
        if seen.insert(ty.to_string()) {
            out.push(quote!(#ty: ::bunbase_runtime::db::query::Bind<DB>));
        }
    }
    quote!(where #(#out),*)
}

/// The typed queries of `t`.
pub(super) fn table_queries(db: &DbModel, t: &Table) -> TokenStream {
    let row = ident(&t.row);
    let columns: Vec<String> = t.columns.iter().map(|c| quoted(&c.name)).collect();
    let returning = format!(" RETURNING {}", columns.join(", "));
    let keys: Vec<&Column> = t.primary_key.iter().filter_map(|k| t.column(k)).collect();
    let key_params = keys.iter().map(|c| {
        let f = ident(&c.field);
        let ty = rust_type(db, &c.ty);
        quote!(#f: #ty)
    });
    let key_params = quote!(#(#key_params),*);
    let key_args: Vec<_> = keys.iter().map(|c| ident(&c.field)).collect();
    let key_sql = |from: usize| {
        keys.iter()
            .enumerate()
            .map(|(i, c)| format!("{} = ${}", quoted(&c.name), from + i))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    let key_doc = keys
        .iter()
        .map(|c| format!("`{}`", c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let bound = bounds(db, t, &[]);

    let by_key = (!keys.is_empty()).then(|| {
        let get_sql = lit(&format!(
            "SELECT {} FROM {} WHERE {}",
            columns.join(", "),
            quoted(&t.name),
            key_sql(1)
        ));
        let get_doc = lit(&format!(" The row of `{}` with primary key {key_doc}, if any.", t.name));
        let get_body = on_conn(db, &quote! {
            sqlx::query_as(SQL_GET)#(.bind(#key_args))*.fetch_optional(conn).await
        });
        let delete_sql = lit(&format!("DELETE FROM {} WHERE {}", quoted(&t.name), key_sql(1)));
        let delete_doc = lit(&format!(" Deletes the row of `{}` with primary key {key_doc}; `true` when there was one.", t.name));
        let delete_body = on_conn(db, &quote! {
            sqlx::query(SQL_DELETE)#(.bind(#key_args))*.execute(conn).await.map(|r| r.rows_affected() > 0)
        });
        let patch = ident(&t.patch);
        let settable: Vec<&Column> = t.columns.iter().filter(|c| !t.primary_key.contains(&c.name)).collect();
        let update_doc = lit(&format!(
            " Applies `patch` to the row of `{}` with primary key {key_doc} and returns the row as stored; `None` when there is no such row. An empty patch reads the row.",
            t.name
        ));
        let update_body = if settable.is_empty() {
            quote!(get(db, #(#key_args),*).await)
        } else {
            let empty = settable.iter().map(|c| {
                let f = ident(&c.field);
                quote!(patch.#f.is_none())
            });
            let body = on_conn(db, &quote! {
                update_sql(#(#key_args,)* patch).build_query_as().fetch_optional(conn).await
            });
            quote! {
                if #(#empty)&&* {
                    return get(db, #(#key_args),*).await;
                }
                #body
            }
        };
        let update_sql = (!settable.is_empty()).then(|| {
            let head = lit(&format!("UPDATE {} SET ", quoted(&t.name)));
            let sets = settable.iter().map(|c| {
                let f = ident(&c.field);
                let sql = lit(&format!("{} = ", quoted(&c.name)));
                quote!(if let ::std::option::Option::Some(v) = &patch.#f { set.push(#sql).push_bind_unseparated(v); })
            });
            let wheres = keys.iter().enumerate().map(|(i, c)| {
                let f = ident(&c.field);
                let sql = lit(&format!("{}{} = ", if i == 0 { " WHERE " } else { " AND " }, quoted(&c.name)));
                quote!(q.push(#sql).push_bind(#f);)
            });
            let ret = lit(&returning);
            quote! {
                /// The `UPDATE` of a non-empty `patch`.
                fn update_sql<DB: sqlx::Database>(#key_params, patch: &#patch) -> sqlx::QueryBuilder<DB> #bound {
                    let mut q = sqlx::QueryBuilder::new(#head);
                    let mut set = q.separated(", ");
                    #(#sets)*
                    #(#wheres)*
                    q.push(#ret);
                    q
                }
            }
        });
        quote! {
            /// `get`'s statement.
            const SQL_GET: &str = #get_sql;
            /// `delete`'s statement.
            const SQL_DELETE: &str = #delete_sql;

            #[doc = #get_doc]
            pub async fn get<'e>(db: impl ::std::convert::Into<Exec<'e>>, #key_params) -> ::std::result::Result<::std::option::Option<#row>, sqlx::Error> {
                #get_body
            }

            #[doc = #update_doc]
            pub async fn update<'e>(db: impl ::std::convert::Into<Exec<'e>>, #key_params, patch: &#patch) -> ::std::result::Result<::std::option::Option<#row>, sqlx::Error> {
                #update_body
            }

            #update_sql

            #[doc = #delete_doc]
            pub async fn delete<'e>(db: impl ::std::convert::Into<Exec<'e>>, #key_params) -> ::std::result::Result<bool, sqlx::Error> {
                #delete_body
            }
        }
    });

    let insert = insert_query(db, t, &returning, &bound);
    let list = list_query(db, t, &keys);
    quote! {
        #by_key
        #insert
        #list
    }
}

/// `insert`: static SQL when every column is given, else built per call
/// (a `None` column is left to its default).
fn insert_query(db: &DbModel, t: &Table, returning: &str, bound: &TokenStream) -> TokenStream {
    let row = ident(&t.row);
    let insert = ident(&t.insert);
    let doc = lit(&format!(
        " Inserts `new` into `{}` and returns the row as stored (defaults filled).",
        t.name
    ));
    let names: Vec<String> = t.columns.iter().map(|c| quoted(&c.name)).collect();
    let optional = t.columns.iter().any(|c| c.optional_on_insert);
    if !optional {
        let sql = lit(&format!(
            "INSERT INTO {} ({}) VALUES ({}){returning}",
            quoted(&t.name),
            names.join(", "),
            (1..=names.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let fields = t.columns.iter().map(|c| ident(&c.field));
        let body = on_conn(
            db,
            &quote!(sqlx::query_as(SQL_INSERT)#(.bind(&new.#fields))*.fetch_one(conn).await),
        );
        return quote! {
            /// `insert`'s statement.
            const SQL_INSERT: &str = #sql;

            #[doc = #doc]
            #[allow(clippy::needless_borrows_for_generic_args)]
            pub async fn insert<'e>(db: impl ::std::convert::Into<Exec<'e>>, new: &#insert) -> ::std::result::Result<#row, sqlx::Error> {
                #body
            }
        };
    }
    let push_names = t.columns.iter().map(|c| {
        let f = ident(&c.field);
        let n = lit(&quoted(&c.name));
        if c.optional_on_insert {
            quote!(if new.#f.is_some() { names.push(#n); })
        } else {
            quote!(names.push(#n);)
        }
    });
    let binds = t.columns.iter().map(|c| {
        let f = ident(&c.field);
        if c.optional_on_insert {
            quote!(if let ::std::option::Option::Some(v) = &new.#f { values.push_bind(v); })
        } else {
            quote!(values.push_bind(&new.#f);)
        }
    });
    let all_default = t.columns.iter().all(|c| c.optional_on_insert).then(|| {
        let none = t.columns.iter().map(|c| {
            let f = ident(&c.field);
            quote!(new.#f.is_none())
        });
        let sql = lit(&format!(
            "INSERT INTO {} DEFAULT VALUES{returning}",
            quoted(&t.name)
        ));
        quote! {
            if #(#none)&&* {
                return sqlx::QueryBuilder::new(#sql);
            }
        }
    });
    let head = lit(&format!("INSERT INTO {} (", quoted(&t.name)));
    let tail = lit(&format!("){returning}"));
    let body = on_conn(
        db,
        &quote!(insert_sql(new).build_query_as().fetch_one(conn).await),
    );
    quote! {
        #[doc = #doc]
        pub async fn insert<'e>(db: impl ::std::convert::Into<Exec<'e>>, new: &#insert) -> ::std::result::Result<#row, sqlx::Error> {
            #body
        }

        /// The `INSERT` of `new`, naming only the columns it sets.
        #[allow(clippy::needless_borrows_for_generic_args)]
        fn insert_sql<DB: sqlx::Database>(new: &#insert) -> sqlx::QueryBuilder<DB> #bound {
            #all_default
            let mut q = sqlx::QueryBuilder::new(#head);
            let mut names = q.separated(", ");
            #(#push_names)*
            q.push(") VALUES (");
            let mut values = q.separated(", ");
            #(#binds)*
            q.push(#tail);
            q
        }
    }
}

/// `list` and `delete_where`: filters (equality, `IN`, ranges), an order,
/// keyset paging after a cursor, a limit.
fn list_query(db: &DbModel, t: &Table, keys: &[&Column]) -> TokenStream {
    let row = ident(&t.row);
    let filter = ident(&t.filter);
    let order = ident(&t.order);
    let after_ty = ident(&t.after);
    let columns: Vec<String> = t.columns.iter().map(|c| quoted(&c.name)).collect();
    let select = lit(&format!(
        "SELECT {} FROM {} WHERE 1 = 1",
        columns.join(", "),
        quoted(&t.name)
    ));
    let bound = bounds(db, t, &[quote!(i64)]);
    let filters = t
        .columns
        .iter()
        .filter_map(|c| Some((c, c.filter_in.as_deref()?)))
        .map(|(c, in_f)| {
            let f = ident(&c.field);
            let n = lit(&quoted(&c.name));
            let in_f = ident(in_f);
            let eq = if c.nullable {
                quote!(push_eq_nullable(q, #n, filter.#f.as_ref());)
            } else {
                quote!(push_eq(q, #n, filter.#f.as_ref());)
            };
            let range = c.filter_range.as_deref().map(|r| {
                let r = ident(r);
                quote!(push_range(q, #n, &filter.#r);)
            });
            quote!(#eq push_in(q, #n, filter.#in_f.as_deref()); #range)
        });
    let orderable: Vec<&Column> = t.columns.iter().filter(|c| c.orderable).collect();
    let has_order = !orderable.is_empty();
    let paged = paged(t);
    let mut keyset_arms = Vec::new();
    let mut after_arms = Vec::new();
    for c in &orderable {
        let base = crate::naming::pascal(crate::naming::snake(&c.name).as_str());
        let rest: Vec<&&Column> = keys.iter().filter(|k| k.name != c.name).collect();
        let n = lit(&quoted(&c.name));
        let rest_sql = lit(&rest
            .iter()
            .map(|k| quoted(&k.name))
            .collect::<Vec<_>>()
            .join(", "));
        let nullable = c.nullable;
        keyset_arms.push(quote!((#n, #rest_sql, #nullable)));
        if paged {
            let v = ident(&base);
            let f = ident(&c.field);
            let fields = std::iter::once(&f)
                .cloned()
                .chain(rest.iter().map(|k| ident(&k.field)))
                .collect::<Vec<_>>();
            let value = if c.nullable {
                quote!(#f.as_ref())
            } else {
                quote!(::std::option::Option::Some(#f))
            };
            let key_binds = rest.iter().enumerate().map(|(i, k)| {
                let kf = ident(&k.field);
                let sep = (i > 0).then(|| quote!(q.push(", ");));
                quote!(#sep q.push_bind(#kf);)
            });
            let binder = if rest.is_empty() {
                quote!(|_| {})
            } else {
                quote!(|q| { #(#key_binds)* })
            };
            after_arms.push(quote! {
                #after_ty::#v { #(#fields),* } => keyset.push_after(&mut q, #n, #value, #binder)
            });
        }
    }
    let order_param = has_order.then(|| quote!(order: #order,));
    let order_arg = has_order.then(|| quote!(order,));
    let after_param = paged.then(|| quote!(after: ::std::option::Option<&#after_ty>,));
    let after_arg = paged.then(|| quote!(after,));
    let after_code = paged.then(|| {
        quote! {
            if let ::std::option::Option::Some(after) = after {
                match after {
                    #(#after_arms,)*
                }?;
            }
        }
    });
    let n_keysets = keyset_arms.len();
    let order_code = has_order.then(|| {
        quote! {
            // Each order column's (column, other key columns, nullable), in
            // the order of the enum's ascending/descending variant pairs.
            const KEYSETS: [(&str, &str, bool); #n_keysets] = [#(#keyset_arms),*];
            let (column, keys, nullable) = KEYSETS[order as usize / 2];
            let keyset = ::bunbase_runtime::db::Keyset { column, keys, desc: order as usize % 2 == 1, nullable };
            #after_code
            keyset.push_order(&mut q);
        }
    });
    let doc = lit(&format!(
        " Rows of `{}` matching `filter`{}, at most `limit`{}.",
        t.name,
        if has_order { " in `order`" } else { "" },
        if paged {
            "; `after` (a page's last row's `after(order)`) pages by keyset"
        } else {
            ""
        }
    ));
    let delete_doc = lit(&format!(
        " Deletes the rows of `{}` matching `filter` (every row when it sets nothing); the number deleted.",
        t.name
    ));
    let body = on_conn(
        db,
        &quote!(list_sql(filter, #order_arg #after_arg limit)?.build_query_as().fetch_all(conn).await),
    );
    let delete_head = lit(&format!("DELETE FROM {} WHERE 1 = 1", quoted(&t.name)));
    let delete_body = on_conn(
        db,
        &quote!(
            delete_where_sql(filter)
                .build()
                .execute(conn)
                .await
                .map(|r| r.rows_affected())
        ),
    );
    quote! {
        #[doc = #doc]
        pub async fn list<'e>(db: impl ::std::convert::Into<Exec<'e>>, filter: &#filter, #order_param #after_param limit: i64) -> ::std::result::Result<::std::vec::Vec<#row>, sqlx::Error> {
            #body
        }

        #[doc = #delete_doc]
        pub async fn delete_where<'e>(db: impl ::std::convert::Into<Exec<'e>>, filter: &#filter) -> ::std::result::Result<u64, sqlx::Error> {
            #delete_body
        }

        /// The `DELETE` of `delete_where`.
        fn delete_where_sql<DB: sqlx::Database>(filter: &#filter) -> sqlx::QueryBuilder<DB> #bound {
            let mut q = sqlx::QueryBuilder::new(#delete_head);
            filter_sql(&mut q, filter);
            q
        }

        /// Appends `filter`'s conditions.
        #[allow(unused_variables)]
        fn filter_sql<DB: sqlx::Database>(q: &mut sqlx::QueryBuilder<DB>, filter: &#filter) #bound {
            #[allow(unused_imports)]
            use ::bunbase_runtime::db::query::{push_eq, push_eq_nullable, push_in, push_range};
            #(#filters)*
        }

        /// The `SELECT` of a listing.
        fn list_sql<DB: sqlx::Database>(filter: &#filter, #order_param #after_param limit: i64) -> ::std::result::Result<sqlx::QueryBuilder<DB>, sqlx::Error> #bound {
            let mut q = sqlx::QueryBuilder::new(#select);
            filter_sql(&mut q, filter);
            #order_code
            q.push(" LIMIT ").push_bind(limit);
            ::std::result::Result::Ok(q)
        }
    }
}

/// The row's `after`: the cursor of the page after it, in an order.
pub(super) fn row_after(db: &DbModel, t: &Table) -> TokenStream {
    if !paged(t) {
        return quote!();
    }
    let row = ident(&t.row);
    let order = ident(&t.order);
    let after_ty = ident(&t.after);
    let keys: Vec<&Column> = t.primary_key.iter().filter_map(|k| t.column(k)).collect();
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    for c in t.columns.iter().filter(|c| c.orderable) {
        let base = crate::naming::pascal(crate::naming::snake(&c.name).as_str());
        let v = ident(&base);
        let cols: Vec<&Column> = std::iter::once(c)
            .chain(keys.iter().copied().filter(|k| k.name != c.name))
            .collect();
        let fields = cols.iter().map(|k| {
            let f = ident(&k.field);
            let ty = field_type(db, k);
            let d = lit(&format!(" `{}`", k.name));
            quote!(#[doc = #d] #f: #ty)
        });
        let d = lit(&format!(
            " After a row with these values, ordered by `{}`.",
            c.name
        ));
        variants.push(quote!(#[doc = #d] #v { #(#fields),* }));
        let (asc, desc) = (ident(&format!("{base}Asc")), ident(&format!("{base}Desc")));
        let inits = cols.iter().map(|k| {
            let f = ident(&k.field);
            quote!(#f: self.#f.clone())
        });
        arms.push(quote!(#order::#asc | #order::#desc => #after_ty::#v { #(#inits),* }));
    }
    let doc = lit(&format!(
        " A keyset cursor for listing `{}`: the order column's and the rest of the primary key's values of a page's last row (`{}::after`).",
        t.name, t.row
    ));
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq)]
        pub enum #after_ty {
            #(#variants,)*
        }

        impl #row {
            /// The cursor of the page after this row, listed in `order`.
            #[allow(clippy::clone_on_copy)]
            pub fn after(&self, order: #order) -> #after_ty {
                match order {
                    #(#arms,)*
                }
            }
        }
    }
}
