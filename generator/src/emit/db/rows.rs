//! Per table: the row struct with its `FromRow` impl (generic over the row type, so one serves each dialect), and the insert, patch, filter and order types.

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, lit, rust_type};
use crate::migrations::{Column, DbModel, Table};

/// A column's field type in the row: `Option<T>` when nullable.
pub(super) fn field_type(db: &DbModel, c: &Column) -> TokenStream {
    let t = rust_type(db, &c.ty);
    if c.nullable {
        quote!(::std::option::Option<#t>)
    } else {
        t
    }
}

fn column_doc(c: &Column) -> proc_macro2::Literal {
    let mut d = format!(" `{}` {}", c.name, c.sql_type);
    if !c.nullable {
        d.push_str(" NOT NULL");
    }
    if let Some(def) = &c.default {
        d.push_str(&format!(" DEFAULT {def}"));
    }
    lit(&d)
}

/// The row, insert, patch, filter and order types of `t`.
pub(super) fn table_types(db: &DbModel, t: &Table) -> TokenStream {
    let row = ident(&t.row);
    let insert = ident(&t.insert);
    let patch = ident(&t.patch);
    let filter = ident(&t.filter);
    let order = ident(&t.order);
    let row_doc = lit(&format!(
        " A row of `{}`, every column in declaration order.",
        t.name
    ));
    let row_fields = t.columns.iter().map(|c| {
        let f = ident(&c.field);
        let ty = field_type(db, c);
        let d = column_doc(c);
        quote!(#[doc = #d] pub #f: #ty)
    });
    let from_row = from_row(db, t);
    let insert_doc = lit(&format!(
        " A new row of `{}`: a field left `None` is not inserted, so the column's default (or NULL) applies.",
        t.name
    ));
    let insert_fields = t.columns.iter().map(|c| {
        let f = ident(&c.field);
        let inner = rust_type(db, &c.ty);
        let d = column_doc(c);
        if c.optional_on_insert {
            quote!(#[doc = #d] pub #f: ::std::option::Option<#inner>)
        } else {
            quote!(#[doc = #d] pub #f: #inner)
        }
    });
    let patch_doc = lit(&format!(
        " Changes to a row of `{}`: `None` leaves a column as it is; a nullable column takes `Some(None)` to become NULL.",
        t.name
    ));
    let patch_fields = t
        .columns
        .iter()
        .filter(|c| !t.primary_key.contains(&c.name))
        .map(|c| {
            let f = ident(&c.field);
            let ty = field_type(db, c);
            let d = column_doc(c);
            quote!(#[doc = #d] pub #f: ::std::option::Option<#ty>)
        });
    let filter_doc = lit(&format!(
        " Filters for listing `{}`: every `Some` and every range bound must hold. `column` tests equality (a nullable column takes `Some(None)` for IS NULL), `column_in` membership (an empty list matches nothing), `column_range` order (`gt`, `gte`, `lt`, `lte`).",
        t.name
    ));
    let filter_fields = t
        .columns
        .iter()
        .filter_map(|c| Some((c, c.filter_in.as_deref()?)))
        .map(|(c, in_f)| {
            let f = ident(&c.field);
            let ty = field_type(db, c);
            let inner = rust_type(db, &c.ty);
            let d = column_doc(c);
            let in_f = ident(in_f);
            let range = c.filter_range.as_deref().map(|r| {
                let r = ident(r);
                quote!(#[doc = #d] pub #r: ::bunbase_runtime::db::Range<#inner>,)
            });
            quote! {
                #[doc = #d] pub #f: ::std::option::Option<#ty>,
                #[doc = #d] pub #in_f: ::std::option::Option<::std::vec::Vec<#inner>>,
                #range
            }
        });
    let order_doc = lit(&format!(
        " The order of a `{}` listing: a column, then the rest of the primary key in the same direction, which also pages (keyset); NULLs come first ascending, last descending.",
        t.name
    ));
    let orderable: Vec<&Column> = t.columns.iter().filter(|c| c.orderable).collect();
    let order_variants: Vec<TokenStream> = Vec::new();
    let mut order_variants = order_variants;
    let default_column = t
        .primary_key
        .first()
        .and_then(|k| orderable.iter().find(|c| &c.name == k))
        .or_else(|| orderable.first())
        .map(|c| c.name.clone());
    for c in &orderable {
        let base = crate::naming::pascal(crate::naming::snake(&c.name).as_str());
        let asc = ident(&format!("{base}Asc"));
        let desc = ident(&format!("{base}Desc"));
        let da = lit(&format!(" By `{}`, ascending.", c.name));
        let dd = lit(&format!(" By `{}`, descending.", c.name));
        let default =
            (default_column.as_deref() == Some(c.name.as_str())).then(|| quote!(#[default]));
        order_variants.push(quote!(#[doc = #da] #default #asc));
        order_variants.push(quote!(#[doc = #dd] #desc));
    }
    let order_enum = (!orderable.is_empty()).then(|| {
        quote! {
            #[doc = #order_doc]
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
            pub enum #order {
                #(#order_variants,)*
            }
        }
    });
    quote! {
        #[doc = #row_doc]
        #[derive(Debug, Clone, PartialEq)]
        pub struct #row {
            #(#row_fields,)*
        }
        #from_row

        #[doc = #insert_doc]
        #[derive(Debug, Clone, PartialEq)]
        pub struct #insert {
            #(#insert_fields,)*
        }

        #[doc = #patch_doc]
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct #patch {
            #(#patch_fields,)*
        }

        #[doc = #filter_doc]
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct #filter {
            #(#filter_fields)*
        }

        #order_enum
    }
}

/// Whether `list` pages by keyset: the table has an order and a primary key.
pub(super) fn paged(t: &Table) -> bool {
    !t.primary_key.is_empty() && t.columns.iter().any(|c| c.orderable)
}

/// `FromRow` for any row type whose database decodes every column type:
/// one impl serves each targeted dialect.
fn from_row(db: &DbModel, t: &Table) -> TokenStream {
    let row = ident(&t.row);
    let mut seen = std::collections::BTreeSet::new();
    let bounds: Vec<TokenStream> = t
        .columns
        .iter()
        .map(|c| field_type(db, c))
        .filter(|ty| seen.insert(ty.to_string()))
        .map(|ty| quote!(#ty: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>))
        .collect();
    let gets = t.columns.iter().map(|c| {
        let f = ident(&c.field);
        let n = lit(&c.name);
        quote!(#f: row.try_get(#n)?)
    });
    quote! {
        impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for #row
        where
            &'r str: sqlx::ColumnIndex<R>,
            #(#bounds,)*
        {
            fn from_row(row: &'r R) -> ::std::result::Result<Self, sqlx::Error> {
                ::std::result::Result::Ok(#row { #(#gets,)* })
            }
        }
    }
}
