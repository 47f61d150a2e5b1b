//! Conversions between the `db` module and the contract types, as the schema model's links decide: linked enums both ways, and a linked table's row into its contract type (`From`, or `TryFrom` when a JSON column reads as a typed list).

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, lit};
use crate::migrations::SqlEnum;
use crate::migrations::model::{ConversionKind, EnumLink, RowConversion, Wrap};

/// `From` both ways between a SQL enum and its linked contract enum.
pub(super) fn enum_link(e: &SqlEnum, link: &EnumLink) -> TokenStream {
    let db = ident(&e.rust_name);
    let contract = ident(&link.contract);
    let to = link.variants.iter().map(|(d, c)| {
        let (d, c) = (ident(d), ident(c));
        quote!(#db::#d => crate::#contract::#c)
    });
    let from = link.variants.iter().map(|(d, c)| {
        let (d, c) = (ident(d), ident(c));
        quote!(crate::#contract::#c => #db::#d)
    });
    quote! {
        impl ::std::convert::From<#db> for crate::#contract {
            fn from(value: #db) -> Self {
                match value {
                    #(#to,)*
                }
            }
        }
        impl ::std::convert::From<crate::#contract> for #db {
            fn from(value: crate::#contract) -> Self {
                match value {
                    #(#from,)*
                }
            }
        }
    }
}

/// The conversion of table `table`'s row (`row`) into its linked contract type.
pub(super) fn row_conversion(table: &str, row: &str, conv: &RowConversion) -> TokenStream {
    let row = ident(row);
    let ty = ident(&conv.type_name);
    let fields = conv.fields.iter().map(|f| {
        let field = ident(&f.field);
        let column = ident(&f.column);
        let value = match (f.kind, f.wrap) {
            (ConversionKind::Move, Wrap::Plain) => quote!(row.#column),
            (ConversionKind::Move, Wrap::Some) => quote!(::std::option::Option::Some(row.#column)),
            (ConversionKind::Into, Wrap::Plain) => quote!(row.#column.into()),
            (ConversionKind::Into, Wrap::Some) => {
                quote!(::std::option::Option::Some(row.#column.into()))
            }
            (ConversionKind::Into, Wrap::Map) | (ConversionKind::Move, Wrap::Map) => {
                quote!(row.#column.map(::std::convert::Into::into))
            }
            (ConversionKind::FromJson, Wrap::Plain) => quote!(json(row.#column)?),
            (ConversionKind::FromJson, Wrap::Some) => {
                quote!(::std::option::Option::Some(json(row.#column)?))
            }
            (ConversionKind::FromJson, Wrap::Map) => quote!(row.#column.map(json).transpose()?),
        };
        quote!(#field: #value)
    });
    let doc = lit(&format!(
        " The contract's `{}` from a `{table}` row: each field from its column of the same name.",
        conv.type_name
    ));
    if conv.fallible {
        quote! {
            #[doc = #doc]
            /// Fails when a JSON column does not hold the field's type.
            impl ::std::convert::TryFrom<#row> for crate::#ty {
                type Error = sqlx::Error;
                fn try_from(row: #row) -> ::std::result::Result<Self, sqlx::Error> {
                    fn json<T: ::bunbase_runtime::serde::de::DeserializeOwned>(
                        value: ::bunbase_runtime::serde_json::Value,
                    ) -> ::std::result::Result<T, sqlx::Error> {
                        ::bunbase_runtime::serde_json::from_value(value)
                            .map_err(|e| sqlx::Error::Decode(::std::boxed::Box::new(e)))
                    }
                    ::std::result::Result::Ok(crate::#ty {
                        #(#fields,)*
                    })
                }
            }
        }
    } else {
        quote! {
            #[doc = #doc]
            impl ::std::convert::From<#row> for crate::#ty {
                fn from(row: #row) -> Self {
                    crate::#ty {
                        #(#fields,)*
                    }
                }
            }
        }
    }
}
