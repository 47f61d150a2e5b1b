//! Links tables to the contract types that carry the same data (`tasks` → `Task`) and SQL enums to contract enums, deciding how each field converts; what cannot convert is a `W0701` warning with a hint.
//!
//! The link is by name: a table whose row is `<Name>Row` links to the
//! declared object type `<Name>` (`tasks` → `TaskRow` → `Task`), a SQL enum
//! to the contract enum with the same Rust name (`task_status` →
//! `TaskStatus`) when both hold the same values. Every field of the type
//! must read from the column of the same name; columns the type lacks
//! (`password_hash`) are dropped.

use std::collections::BTreeMap;

use crate::diag::Diagnostic;
use crate::ir::{Field, Ir, TypeDef, TypeKind, TypeOrigin, TypeRef};
use crate::migrations::model::{ConversionKind, EnumLink, FieldConversion, RowConversion, Wrap};
use crate::migrations::{Column, ColumnType, DbModel};

/// Fills [`DbModel::enum_links`] and [`DbModel::conversions`] from the IR's
/// types; warns (`W0701`) where a linked type cannot be read from its row.
pub fn link(ir: &mut Ir, diags: &mut Vec<Diagnostic>) {
    let mut enum_links = BTreeMap::new();
    for (sql_name, e) in &ir.db.enums {
        let Some(def) = ir.types.get(&e.rust_name) else {
            continue;
        };
        let TypeKind::Enum { values } = &def.kind else {
            continue;
        };
        let pairs: Option<Vec<(String, String)>> = e
            .values
            .iter()
            .map(|v| {
                values
                    .iter()
                    .find(|c| c.value == v.sql)
                    .map(|c| (v.variant.clone(), c.rust_name.clone()))
            })
            .collect();
        match pairs {
            Some(pairs) if pairs.len() == values.len() => {
                enum_links.insert(
                    sql_name.clone(),
                    EnumLink {
                        contract: def.name.clone(),
                        variants: pairs,
                    },
                );
            }
            _ => diags.push(
                Diagnostic::warning(
                    "W0701",
                    &def.span,
                    format!(
                        "enum `{}` does not hold the same values as the SQL enum `{sql_name}`, so the two do not convert",
                        def.name
                    ),
                )
                .with_hint(format!(
                    "give both the values {}",
                    e.values.iter().map(|v| format!("`{}`", v.sql)).collect::<Vec<_>>().join(", ")
                )),
            ),
        }
    }
    ir.db.enum_links = enum_links;

    let mut conversions = BTreeMap::new();
    for (name, table) in &ir.db.tables {
        let Some(type_name) = table.row.strip_suffix("Row") else {
            continue;
        };
        let Some(def) = ir.types.get(type_name) else {
            continue;
        };
        let TypeKind::Object { fields } = &def.kind else {
            continue;
        };
        if def.origin != TypeOrigin::Declared {
            continue;
        }
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for f in fields {
            match table.columns.iter().find(|c| c.name == f.name) {
                None => problems.push(format!("field `{}` has no column in `{name}`", f.name)),
                Some(c) => match field_conversion(&ir.db, f, c) {
                    Ok(fc) => out.push(fc),
                    Err(why) => problems.push(format!("field `{}`: {why}", f.name)),
                },
            }
        }
        if problems.is_empty() {
            conversions.insert(
                name.clone(),
                RowConversion {
                    type_name: def.name.clone(),
                    fallible: out.iter().any(|f| f.kind == ConversionKind::FromJson),
                    fields: out,
                },
            );
        } else {
            diags.push(unlinked(def, name, &table.row, &problems));
        }
    }
    ir.db.conversions = conversions;
}

fn unlinked(def: &TypeDef, table: &str, row: &str, problems: &[String]) -> Diagnostic {
    Diagnostic::warning(
        "W0701",
        &def.span,
        format!(
            "type `{}` does not convert from the `{table}` row `{row}`: {}",
            def.name,
            problems.join("; ")
        ),
    )
    .with_hint(format!(
        "give `{table}` a column of the same name and a matching type for every field of `{}` (see the conversion table in generator/docs/database.md), or rename the type if it is not a `{table}` row",
        def.name
    ))
}

/// How field `f` reads from column `c`, or why it cannot.
fn field_conversion(db: &DbModel, f: &Field, c: &Column) -> Result<FieldConversion, String> {
    let (optional, ty) = match &f.ty {
        TypeRef::Optional { inner } => (true, inner.as_ref()),
        other => (false, other),
    };
    if c.nullable && !optional {
        return Err(format!(
            "column `{}` is nullable but the field is required",
            c.name
        ));
    }
    let kind = value_conversion(db, &c.ty, ty).ok_or_else(|| {
        format!(
            "column `{}` is {} and cannot be read as the field's type",
            c.name,
            super::types::describe(&c.ty)
        )
    })?;
    let wrap = if !optional {
        Wrap::Plain
    } else if !c.nullable {
        Wrap::Some
    } else if kind == ConversionKind::Move {
        Wrap::Plain
    } else {
        Wrap::Map
    };
    Ok(FieldConversion {
        field: f.rust_name.clone(),
        column: c.field.clone(),
        kind,
        wrap,
    })
}

/// How a value of column type `col` converts into contract type `ty`.
fn value_conversion(db: &DbModel, col: &ColumnType, ty: &TypeRef) -> Option<ConversionKind> {
    use ConversionKind::{FromJson, Into, Move};
    Some(match (col, ty) {
        (ColumnType::Bool, TypeRef::Bool)
        | (ColumnType::I64, TypeRef::Int | TypeRef::Int64)
        | (ColumnType::I32, TypeRef::I32)
        | (ColumnType::F64, TypeRef::Float)
        | (ColumnType::Text, TypeRef::String | TypeRef::Email | TypeRef::Url)
        | (ColumnType::Uuid, TypeRef::Uuid)
        | (ColumnType::TimestampTz, TypeRef::DateTime)
        | (ColumnType::Date, TypeRef::Date)
        | (ColumnType::Json, TypeRef::Json)
        | (ColumnType::Bytes, TypeRef::Bytes) => Move,
        (ColumnType::I16 | ColumnType::I32, TypeRef::Int | TypeRef::Int64)
        | (ColumnType::I16, TypeRef::I32)
        | (ColumnType::F32, TypeRef::Float) => Into,
        (ColumnType::Enum { name }, TypeRef::Named { name: t, .. })
            if db.enum_links.get(name).is_some_and(|l| &l.contract == t) =>
        {
            Into
        }
        (ColumnType::Array { item }, TypeRef::List { item: t })
            if value_conversion(db, item, t) == Some(Move) =>
        {
            Move
        }
        (ColumnType::Json, TypeRef::List { .. } | TypeRef::Map { .. }) if plain_json(ty) => {
            FromJson
        }
        _ => return None,
    })
}

/// Whether `ty` reads from JSON with serde alone: strings, numbers, bools,
/// and lists and maps of them.
fn plain_json(ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Bool
        | TypeRef::Int
        | TypeRef::I32
        | TypeRef::Float
        | TypeRef::String
        | TypeRef::Json => true,
        TypeRef::List { item } => plain_json(item),
        TypeRef::Map { value } => plain_json(value),
        TypeRef::Optional { inner } => plain_json(inner),
        _ => false,
    }
}
