//! Rust names for what the migrations declare: a table's row, insert, patch, filter, order and cursor types, and enum variants.

use super::model::{EnumValue, SqlEnum, Table};
use crate::naming::{Scope, escape_rust, pascal, snake, unraw};

/// The singular of a table name, by English suffix rules: `tasks` →
/// `task`, `categories` → `category`, `addresses` → `address`; a name
/// not ending in `s`, or ending in `ss`, `us` or `is`, stays as it is.
pub fn singular(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if let Some(stem) = lower.strip_suffix("ies")
        && !stem.is_empty()
    {
        return format!("{}y", &name[..stem.len()]);
    }
    for suffix in ["sses", "shes", "ches", "xes"] {
        if lower.ends_with(suffix) {
            return name[..name.len() - 2].to_owned();
        }
    }
    let keep = ["ss", "us", "is"].iter().any(|k| lower.ends_with(k));
    if lower.ends_with('s') && !keep && name.len() > 1 {
        return name[..name.len() - 1].to_owned();
    }
    name.to_owned()
}

/// An empty table named `name`, with its Rust names decided.
pub fn table(name: &str) -> Table {
    let one = pascal(&singular(name));
    Table {
        name: name.to_owned(),
        module: escape_rust(&snake(name)),
        row: format!("{one}Row"),
        insert: format!("New{one}"),
        patch: format!("{one}Patch"),
        filter: format!("{one}Filter"),
        order: format!("{one}Order"),
        after: format!("{one}After"),
        columns: Vec::new(),
        primary_key: Vec::new(),
        unique: Vec::new(),
        foreign_keys: Vec::new(),
        indexes: Default::default(),
    }
}

/// Names the filter struct's `_in` and `_range` fields of `table`'s
/// filterable columns, in column order, clear of every column field: a
/// table with columns `status` and `status_in` gets `status_in_2` for the
/// first one's membership filter, never two fields of one name.
pub fn filter_fields(table: &mut Table) {
    let mut scope = Scope::with_taken(table.columns.iter().map(|c| unraw(&c.field)));
    for c in &mut table.columns {
        let plain = unraw(&c.field).to_owned();
        c.filter_in = c
            .filterable
            .then(|| escape_rust(&scope.claim(&format!("{plain}_in"))));
        c.filter_range = c
            .orderable
            .then(|| escape_rust(&scope.claim(&format!("{plain}_range"))));
    }
}

/// An enum type named `name` with `values` in order.
pub fn sql_enum(name: &str, values: &[String]) -> SqlEnum {
    let mut seen = std::collections::BTreeSet::new();
    SqlEnum {
        name: name.to_owned(),
        rust_name: pascal(name),
        values: values
            .iter()
            .map(|v| {
                let base = pascal(v);
                let base = if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
                    format!("V{base}")
                } else {
                    base
                };
                let mut variant = base.clone();
                let mut n = 2;
                while !seen.insert(variant.clone()) {
                    variant = format!("{base}{n}");
                    n += 1;
                }
                EnumValue {
                    sql: v.clone(),
                    variant,
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singulars() {
        assert_eq!(singular("tasks"), "task");
        assert_eq!(singular("categories"), "category");
        assert_eq!(singular("addresses"), "address");
        assert_eq!(singular("boxes"), "box");
        assert_eq!(singular("status"), "status");
        assert_eq!(singular("access"), "access");
        assert_eq!(singular("user_data"), "user_data");
    }
}
