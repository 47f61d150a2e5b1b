//! Per table: the row, insert and patch structs, each field documented with its column's SQL declaration.

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, lit, option, rust_type};
use crate::migrations::{Column, DbModel, Table};

/// A column's field type in the row: `Option<T>` when nullable.
pub(super) fn field_type(db: &DbModel, c: &Column) -> TokenStream {
    let t = rust_type(db, &c.ty);
    if c.nullable { option(db, &t) } else { t }
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

/// The row, insert and patch structs of `t`.
pub(super) fn table_types(db: &DbModel, t: &Table) -> TokenStream {
    let row = ident(&t.row);
    let insert = ident(&t.insert);
    let patch = ident(&t.patch);
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
    let insert_doc = lit(&format!(
        " A new row of `{}`: a field left `None` is not inserted, so the column's default (or NULL) applies.",
        t.name
    ));
    let insert_fields = t.columns.iter().map(|c| {
        let f = ident(&c.field);
        let inner = rust_type(db, &c.ty);
        let ty = if c.optional_on_insert {
            option(db, &inner)
        } else {
            inner
        };
        let d = column_doc(c);
        quote!(#[doc = #d] pub #f: #ty)
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
            let ty = option(db, &field_type(db, c));
            let d = column_doc(c);
            quote!(#[doc = #d] pub #f: #ty)
        });
    quote! {
        #[doc = #row_doc]
        #[derive(Debug, Clone, PartialEq)]
        pub struct #row {
            #(#row_fields,)*
        }

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
    }
}

/// Whether `list` pages by keyset: the table has an order and a primary key.
pub(super) fn paged(t: &Table) -> bool {
    !t.primary_key.is_empty() && t.columns.iter().any(|c| c.orderable)
}
