//! Name rules: the project file, case conventions and reserved names. (Names that would collide once converted for Rust or TypeScript are made unique while resolving and lowering, never reported.)

use std::collections::{BTreeMap, HashMap};

use crate::diag::{self, Diagnostic};
use crate::ir::{TypeDef, TypeKind};
use crate::naming;
use crate::parse::ast::*;
use crate::resolve::symbols::{Body, Symbols};

use crate::naming::RESERVED_TYPE_NAMES;

/// Checks `bunbase.yaml`.
pub fn project(p: &ProjectDecl, diags: &mut Vec<Diagnostic>) {
    let name = &p.name.value;
    let valid = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && !name.ends_with(['-', '_']);
    if !valid {
        diags.push(
            Diagnostic::error("E0014", &p.name.span, format!("invalid project name `{name}`"))
                .with_hint("use lower case letters, digits, `-` or `_`, starting with a letter (`acme`, `my-app`)"),
        );
    }
    if semver::Version::parse(&p.version.value).is_err() {
        diags.push(
            Diagnostic::error(
                "E0013",
                &p.version.span,
                format!("`{}` is not a semver version", p.version.value),
            )
            .with_hint("write three numbers, e.g. `1.0.0`"),
        );
    }
    if let Some(db) = &p.database
        && db.value != "sqlite"
        && db.value != "postgres"
    {
        diags.push(
            Diagnostic::error(
                "E0015",
                &db.span,
                format!("unknown database `{}`", db.value),
            )
            .with_hint(
                diag::did_you_mean(&db.value, ["sqlite", "postgres"])
                    .unwrap_or_else(|| "`sqlite` or `postgres`".to_owned()),
            ),
        );
    }
    if let Some(b) = &p.base_path {
        path_prefix(b, "base path", diags);
    }
    if let Some(pkg) = &p.sdk_package {
        let v = &pkg.value;
        let body = v
            .strip_prefix('@')
            .and_then(|s| s.split_once('/'))
            .map_or(v.as_str(), |(_, n)| n);
        let ok = !v.is_empty()
            && v.len() <= 214
            && !body.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._~@/".contains(c))
            && v.matches('/').count() == usize::from(v.starts_with('@'));
        if !ok {
            diags.push(
                Diagnostic::error(
                    "E0014",
                    &pkg.span,
                    format!("`{v}` is not a valid npm package name"),
                )
                .with_hint("use lower case, e.g. `@acme/sdk` or `acme-sdk`"),
            );
        }
    }
}

/// Checks a base path or module prefix.
pub fn path_prefix(p: &Spanned<String>, what: &str, diags: &mut Vec<Diagnostic>) {
    let v = &p.value;
    let ok = v.starts_with('/')
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~/".contains(c));
    if !ok {
        diags.push(
            Diagnostic::error("E0015", &p.span, format!("invalid {what} `{v}`"))
                .with_hint("a path starts with `/` and uses letters, digits, `-`, `_`, `.` or `~` (no parameters)"),
        );
    }
}

fn snake(what: &str, name: &Spanned<String>, diags: &mut Vec<Diagnostic>) -> bool {
    if naming::is_snake_case(&name.value) {
        return true;
    }
    diags.push(
        Diagnostic::error(
            "E0012",
            &name.span,
            format!("{what} `{}` is not snake_case", name.value),
        )
        .with_hint(format!("write `{}`", naming::snake(&name.value))),
    );
    false
}

/// Checks the names a module declares.
pub fn module(m: &ModuleDecl, diags: &mut Vec<Diagnostic>) {
    snake("module name", &m.name, diags);
    if let Some(p) = &m.prefix {
        path_prefix(p, "module prefix", diags);
    }
    for t in &m.types {
        if !naming::is_pascal_case(&t.name.value) {
            diags.push(
                Diagnostic::error(
                    "E0012",
                    &t.name.span,
                    format!("type name `{}` is not PascalCase", t.name.value),
                )
                .with_hint(format!("write `{}`", naming::pascal(&t.name.value))),
            );
        } else if RESERVED_TYPE_NAMES.contains(&t.name.value.as_str()) {
            diags.push(
                Diagnostic::error(
                    "E0108",
                    &t.name.span,
                    format!(
                        "type name `{}` is reserved: generated Rust or TypeScript code uses it",
                        t.name.value
                    ),
                )
                .with_hint(format!(
                    "choose a more specific name, e.g. `{}{}`",
                    naming::pascal(&m.name.value),
                    t.name.value
                )),
            );
        }
    }
    for e in &m.events {
        if !naming::is_event_name(&e.name.value) {
            diags.push(
                Diagnostic::error(
                    "E0012",
                    &e.name.span,
                    format!("event name `{}` is not dotted lower_snake", e.name.value),
                )
                .with_hint("write events like `task.created`"),
            );
        }
    }
    for a in &m.actions {
        snake("action name", &a.name, diags);
        for e in &a.errors {
            snake("error code", &e.code, diags);
        }
    }
}

/// Checks the field, enum value and union variant names of every type
/// (`types` are the resolved types, for the identifiers fields became).
pub fn type_members(
    symbols: &Symbols<'_>,
    types: &BTreeMap<String, TypeDef>,
    diags: &mut Vec<Diagnostic>,
) {
    for t in &symbols.types {
        match t.body {
            Body::Object(fields) => {
                let rust_names: Vec<&str> = match types.get(&t.name).map(|d| &d.kind) {
                    Some(TypeKind::Object { fields }) => {
                        fields.iter().map(|f| f.rust_name.as_str()).collect()
                    }
                    _ => Vec::new(),
                };
                object_fields(fields, &rust_names, diags)
            }
            Body::Enum(values) => {
                if values.is_empty() {
                    diags.push(Diagnostic::error(
                        "E0107",
                        &t.span,
                        format!("enum `{}` has no values", t.contract_name),
                    ));
                }
                let mut wire: HashMap<&str, &Spanned<String>> = HashMap::new();
                for v in values {
                    if !is_wire_value(&v.value.value) {
                        diags.push(
                            Diagnostic::error(
                                "E0107",
                                &v.value.span,
                                format!("invalid enum value `{}`", v.value.value),
                            )
                            .with_hint("use printable ASCII without spaces, with at least one letter or digit"),
                        );
                        continue;
                    }
                    if let Some(first) = wire.insert(&v.value.value, &v.value) {
                        diags.push(
                            Diagnostic::error(
                                "E0107",
                                &v.value.span,
                                format!("enum value `{}` is listed twice", v.value.value),
                            )
                            .with_hint(format!("first listed on line {}", first.span.line)),
                        );
                    }
                }
            }
            Body::Union { tag, variants } => {
                if !naming::is_snake_case(&tag.value) {
                    snake("union tag", tag, diags);
                }
                if variants.is_empty() {
                    diags.push(Diagnostic::error(
                        "E0105",
                        &t.span,
                        format!("union `{}` has no variants", t.contract_name),
                    ));
                }
                for (value, _) in variants {
                    if !is_wire_value(&value.value) {
                        diags.push(
                            Diagnostic::error(
                                "E0105",
                                &value.span,
                                format!("invalid union tag value `{}`", value.value),
                            )
                            .with_hint("use printable ASCII without spaces, with at least one letter or digit"),
                        );
                    }
                }
            }
        }
    }
}

/// Field names: valid identifiers, snake_case preferred. `rust_names` are
/// the fields' resolved Rust identifiers, in declaration order.
fn object_fields(fields: &[FieldDecl], rust_names: &[&str], diags: &mut Vec<Diagnostic>) {
    for (i, f) in fields.iter().enumerate() {
        let name = &f.name;
        let valid = name
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name
                .value
                .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
        if !valid {
            diags.push(
                Diagnostic::error(
                    "E0012",
                    &name.span,
                    format!("field name `{}` is not a valid identifier", name.value),
                )
                .with_hint(format!(
                    "use snake_case, e.g. `{}`",
                    naming::snake(&name.value)
                )),
            );
            continue;
        }
        if !naming::is_snake_case(&name.value) {
            let rust = rust_names.get(i).map_or_else(
                || naming::rust_snake_ident(&name.value),
                |n| (*n).to_owned(),
            );
            diags.push(
                Diagnostic::warning(
                    "W0003",
                    &name.span,
                    format!("field name `{}` is not snake_case", name.value),
                )
                .with_hint(format!(
                    "the wire name stays `{}` and the Rust field is `{rust}`",
                    name.value
                )),
            );
        }
    }
}

/// True for an enum value or union tag value: printable ASCII without
/// spaces, with at least one letter or digit (so the Rust variant name it
/// becomes is meaningful).
pub fn is_wire_value(v: &str) -> bool {
    v.chars().all(|c| c.is_ascii_graphic()) && v.chars().any(|c| c.is_ascii_alphanumeric())
}
