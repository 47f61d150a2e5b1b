//! Per table: the typed queries (`get`, `insert`, `update`, `delete`, `list`), each run on the `Db`'s typed pool through that dialect's `QueryBuilder`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, lit, rust_type};
use crate::ir::Database;
use crate::migrations::{Column, DbModel, Table};

/// An SQL identifier, double-quoted (the same on SQLite and PostgreSQL).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Takes a connection from `db` (a `&Db`, or the caller's connection or
/// transaction) and runs `body` with `pool` bound to it on every targeted
/// dialect; an untargeted dialect answers a configuration error.
fn on_pool(db: &DbModel, body: &TokenStream) -> TokenStream {
    let arm = |d: Database| {
        let (variant, name) = match d {
            Database::Sqlite => (quote!(Sqlite), "sqlite"),
            Database::Postgres => (quote!(Postgres), "postgres"),
        };
        if db.dialects.contains(&d) {
            quote!(Conn::#variant(pool) => { #body })
        } else {
            let msg = lit(&format!(
                "this project has no migrations/{name}/: its generated queries do not run on {name}"
            ));
            quote!(Conn::#variant(_) => ::std::result::Result::Err(sqlx::Error::Configuration(#msg.into())))
        }
    };
    let (s, p) = (arm(Database::Sqlite), arm(Database::Postgres));
    quote! {
        let exec: Exec<'_> = db.into();
        let mut held = exec.acquire().await?;
        match held.conn() {
            #s,
            #p,
        }
    }
}

/// The typed queries of `t`.
pub(super) fn table_queries(db: &DbModel, t: &Table) -> TokenStream {
    let row = ident(&t.row);
    let columns: Vec<String> = t.columns.iter().map(|c| quoted(&c.name)).collect();
    let select = lit(&format!(
        "SELECT {} FROM {} WHERE ",
        columns.join(", "),
        quoted(&t.name)
    ));
    let returning = lit(&format!(" RETURNING {}", columns.join(", ")));
    let keys: Vec<&Column> = t.primary_key.iter().filter_map(|k| t.column(k)).collect();
    let key_params = keys.iter().map(|c| {
        let f = ident(&c.field);
        let ty = rust_type(db, &c.ty);
        quote!(#f: #ty)
    });
    let key_params = quote!(#(#key_params),*);
    let key_args = keys.iter().map(|c| ident(&c.field));
    let key_args = quote!(#(#key_args),*);
    let key_where = keys.iter().enumerate().map(|(i, c)| {
        let f = ident(&c.field);
        let sql = lit(&format!(
            "{}{} = ",
            if i > 0 { " AND " } else { "" },
            quoted(&c.name)
        ));
        quote!(q.push(#sql); q.push_bind(#f);)
    });
    let key_where = quote!(#(#key_where)*);
    let key_doc = keys
        .iter()
        .map(|c| format!("`{}`", c.name))
        .collect::<Vec<_>>()
        .join(", ");

    let by_key = (!keys.is_empty()).then(|| {
        let get_doc = lit(&format!(" The row of `{}` with primary key {key_doc}, if any.", t.name));
        let get_body = on_pool(db, &quote! {
            let mut q = sqlx::QueryBuilder::new(#select);
            #key_where
            q.build_query_as::<#row>().fetch_optional(pool).await
        });
        let delete_sql = lit(&format!("DELETE FROM {} WHERE ", quoted(&t.name)));
        let delete_doc = lit(&format!(" Deletes the row of `{}` with primary key {key_doc}; `true` when there was one.", t.name));
        let delete_body = on_pool(db, &quote! {
            let mut q = sqlx::QueryBuilder::new(#delete_sql);
            #key_where
            ::std::result::Result::Ok(q.build().execute(pool).await?.rows_affected() > 0)
        });
        let patch = ident(&t.patch);
        let update_sql = lit(&format!("UPDATE {} SET ", quoted(&t.name)));
        let sets = t.columns.iter().filter(|c| !t.primary_key.contains(&c.name)).map(|c| {
            let f = ident(&c.field);
            let sql = lit(&format!("{} = ", quoted(&c.name)));
            quote! {
                if let ::std::option::Option::Some(v) = &patch.#f {
                    if set > 0 {
                        q.push(", ");
                    }
                    q.push(#sql);
                    q.push_bind(v);
                    set += 1;
                }
            }
        });
        let update_doc = lit(&format!(
            " Applies `patch` to the row of `{}` with primary key {key_doc} and returns the row as stored; `None` when there is no such row. An empty patch reads the row.",
            t.name
        ));
        let empty = t.columns.iter().filter(|c| !t.primary_key.contains(&c.name)).map(|c| {
            let f = ident(&c.field);
            quote!(patch.#f.is_none())
        });
        let empty: Vec<TokenStream> = empty.collect();
        let update_pool = on_pool(db, &quote! {
            let mut q = sqlx::QueryBuilder::new(#update_sql);
            let mut set = 0usize;
            #(#sets)*
            q.push(" WHERE ");
            #key_where
            q.push(#returning);
            q.build_query_as::<#row>().fetch_optional(pool).await
        });
        let update_body = if empty.is_empty() {
            quote!(get(db, #key_args).await)
        } else {
            quote! {
                if #(#empty)&&* {
                    return get(db, #key_args).await;
                }
                #update_pool
            }
        };
        quote! {
            #[doc = #get_doc]
            #[allow(clippy::needless_borrows_for_generic_args)]
            pub async fn get<'e>(db: impl ::std::convert::Into<Exec<'e>>, #key_params) -> ::std::result::Result<::std::option::Option<#row>, sqlx::Error> {
                #get_body
            }

            #[doc = #update_doc]
            #[allow(unused_mut, unused_variables, unused_assignments, clippy::needless_borrows_for_generic_args)]
            pub async fn update<'e>(db: impl ::std::convert::Into<Exec<'e>>, #key_params, patch: &#patch) -> ::std::result::Result<::std::option::Option<#row>, sqlx::Error> {
                #update_body
            }

            #[doc = #delete_doc]
            #[allow(clippy::needless_borrows_for_generic_args)]
            pub async fn delete<'e>(db: impl ::std::convert::Into<Exec<'e>>, #key_params) -> ::std::result::Result<bool, sqlx::Error> {
                #delete_body
            }
        }
    });

    let insert = ident(&t.insert);
    let insert_sql = lit(&format!("INSERT INTO {} ", quoted(&t.name)));
    let names = t.columns.iter().map(|c| {
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
    let n = t.columns.len();
    let insert_doc = lit(&format!(
        " Inserts `new` into `{}` and returns the row as stored (defaults filled).",
        t.name
    ));
    let insert_body = on_pool(
        db,
        &quote! {
            let mut names: ::std::vec::Vec<&'static str> = ::std::vec::Vec::with_capacity(#n);
            #(#names)*
            let mut q = sqlx::QueryBuilder::new(#insert_sql);
            if names.is_empty() {
                q.push("DEFAULT VALUES");
            } else {
                q.push("(");
                q.push(names.join(", "));
                q.push(") VALUES (");
                let mut values = q.separated(", ");
                #(#binds)*
                q.push(")");
            }
            q.push(#returning);
            q.build_query_as::<#row>().fetch_one(pool).await
        },
    );

    let list = list_query(db, t, &keys);
    quote! {
        #by_key

        #[doc = #insert_doc]
        #[allow(clippy::needless_borrows_for_generic_args, clippy::vec_init_then_push)]
        pub async fn insert<'e>(db: impl ::std::convert::Into<Exec<'e>>, new: &#insert) -> ::std::result::Result<#row, sqlx::Error> {
            #insert_body
        }

        #list
    }
}

/// `list`: equality filters, an order, keyset paging after a row, a limit.
fn list_query(db: &DbModel, t: &Table, keys: &[&Column]) -> TokenStream {
    let row = ident(&t.row);
    let filter = ident(&t.filter);
    let order = ident(&t.order);
    let columns: Vec<String> = t.columns.iter().map(|c| quoted(&c.name)).collect();
    let select = lit(&format!(
        "SELECT {} FROM {} WHERE 1 = 1",
        columns.join(", "),
        quoted(&t.name)
    ));
    let filters = t.columns.iter().filter(|c| c.filterable).map(|c| {
        let f = ident(&c.field);
        let eq = lit(&format!(" AND {} = ", quoted(&c.name)));
        if c.nullable {
            let null = lit(&format!(" AND {} IS NULL", quoted(&c.name)));
            quote! {
                match &filter.#f {
                    ::std::option::Option::Some(::std::option::Option::Some(v)) => {
                        q.push(#eq);
                        q.push_bind(v);
                    }
                    ::std::option::Option::Some(::std::option::Option::None) => {
                        q.push(#null);
                    }
                    ::std::option::Option::None => {}
                }
            }
        } else {
            quote! {
                if let ::std::option::Option::Some(v) = &filter.#f {
                    q.push(#eq);
                    q.push_bind(v);
                }
            }
        }
    });
    let orderable: Vec<&Column> = t.columns.iter().filter(|c| c.orderable).collect();
    let has_order = !orderable.is_empty();
    let paged = has_order && !keys.is_empty();
    let mut order_arms = Vec::new();
    let mut after_arms = Vec::new();
    for c in &orderable {
        let base = crate::naming::pascal(crate::naming::snake(&c.name).as_str());
        let mut tuple: Vec<&Column> = vec![c];
        tuple.extend(keys.iter().filter(|k| k.name != c.name));
        for (suffix, dir, cmp) in [("Asc", "ASC", ">"), ("Desc", "DESC", "<")] {
            let v = ident(&format!("{base}{suffix}"));
            let by = tuple
                .iter()
                .map(|k| format!("{} {dir}", quoted(&k.name)))
                .collect::<Vec<_>>()
                .join(", ");
            let by = lit(&format!(" ORDER BY {by}"));
            order_arms.push(quote!(#order::#v => #by));
            if paged {
                let lhs = tuple
                    .iter()
                    .map(|k| quoted(&k.name))
                    .collect::<Vec<_>>()
                    .join(", ");
                let open = lit(&format!(" AND ({lhs}) {cmp} ("));
                let binds = tuple.iter().enumerate().map(|(i, k)| {
                    let f = ident(&k.field);
                    let sep = (i > 0).then(|| quote!(q.push(", ");));
                    quote!(#sep q.push_bind(&after.#f);)
                });
                after_arms.push(quote! {
                    #order::#v => {
                        q.push(#open);
                        #(#binds)*
                        q.push(")");
                    }
                });
            }
        }
    }
    let order_param = has_order.then(|| quote!(order: #order,));
    let after_param = paged.then(|| quote!(after: ::std::option::Option<&#row>,));
    let after_code = paged.then(|| {
        quote! {
            if let ::std::option::Option::Some(after) = after {
                match order {
                    #(#after_arms)*
                }
            }
        }
    });
    let order_code = has_order.then(|| {
        quote! {
            q.push(match order {
                #(#order_arms,)*
            });
        }
    });
    let doc = lit(&format!(
        " Rows of `{}` matching `filter`{}, at most `limit`{}.",
        t.name,
        if has_order { " in `order`" } else { "" },
        if paged {
            "; `after` (the last row of the previous page) pages by keyset"
        } else {
            ""
        }
    ));
    let body = on_pool(
        db,
        &quote! {
            let mut q = sqlx::QueryBuilder::new(#select);
            #(#filters)*
            #after_code
            #order_code
            q.push(" LIMIT ");
            q.push_bind(limit);
            q.build_query_as::<#row>().fetch_all(pool).await
        },
    );
    quote! {
        #[doc = #doc]
        #[allow(clippy::needless_borrows_for_generic_args)]
        pub async fn list<'e>(db: impl ::std::convert::Into<Exec<'e>>, filter: &#filter, #order_param #after_param limit: i64) -> ::std::result::Result<::std::vec::Vec<#row>, sqlx::Error> {
            #body
        }
    }
}
