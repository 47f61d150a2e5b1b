//! Value rules: constraints that fit their field's type and each other, valid patterns, and defaults that match their type and constraints.

use std::collections::BTreeMap;

use serde_json::Value;

use super::types::innermost;
use crate::diag::Diagnostic;
use crate::ir::{TypeDef, TypeKind, TypeRef};
use crate::parse::ast::{FieldDecl, Spanned};
use crate::resolve::types::constraints as lower_constraints;

/// The largest integer JavaScript represents exactly (2^53 - 1).
pub const MAX_SAFE_INT: i64 = 9_007_199_254_740_991;

fn describe(ty: &TypeRef, types: &BTreeMap<String, TypeDef>) -> String {
    match ty {
        TypeRef::Named { name, .. } => match types.get(name).map(|t| &t.kind) {
            Some(TypeKind::Enum { .. }) => format!("the enum `{name}`"),
            Some(TypeKind::Union { .. }) => format!("the union `{name}`"),
            _ => format!("the object `{name}`"),
        },
        TypeRef::List { .. } => "a list".to_owned(),
        TypeRef::Map { .. } => "a map".to_owned(),
        other => format!(
            "`{}`",
            serde_json::to_value(other)
                .ok()
                .and_then(|v| v["kind"].as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
    }
}

/// Checks one field's constraints against its type and each other.
pub fn constraints(
    decl: &FieldDecl,
    ty: &TypeRef,
    types: &BTreeMap<String, TypeDef>,
    diags: &mut Vec<Diagnostic>,
) {
    let inner = innermost(ty);
    let is_string = matches!(inner, TypeRef::String | TypeRef::Email | TypeRef::Url);
    let is_number = matches!(
        inner,
        TypeRef::Int | TypeRef::Int64 | TypeRef::I32 | TypeRef::Float
    );
    let is_list = matches!(inner, TypeRef::List { .. });
    for c in &decl.constraints {
        let name = c.name.value.as_str();
        let (fits, wants) = match name {
            "min_len" | "max_len" | "pattern" => (is_string, "strings (`string`, `email`, `url`)"),
            "min" | "max" => (is_number, "numbers (`int`, `int64`, `i32`, `float`)"),
            _ => (is_list, "lists"),
        };
        if !fits {
            diags.push(
                Diagnostic::error(
                    "E0201",
                    &c.name.span,
                    format!(
                        "`{name}` does not apply to field `{}` of type {}",
                        decl.name.value,
                        describe(inner, types)
                    ),
                )
                .with_hint(format!("`{name}` applies to {wants}")),
            );
            continue;
        }
        let v = &c.value.value;
        let bad = |diags: &mut Vec<Diagnostic>, what: &str| {
            diags.push(Diagnostic::error(
                "E0206",
                &c.value.span,
                format!("`{name}` must be {what}, found `{v}`"),
            ));
        };
        match name {
            "min_len" | "max_len" | "min_items" | "max_items" => {
                if v.as_u64().is_none() {
                    bad(diags, "a whole number, 0 or more");
                }
            }
            "unique" => {
                if !v.is_boolean() {
                    bad(diags, "`true` or `false`");
                }
            }
            "pattern" => match v.as_str() {
                None => bad(diags, "a regular expression in a string"),
                Some(p) => {
                    if let Err(e) = regex::Regex::new(p) {
                        let msg = e.to_string();
                        let last = msg
                            .lines()
                            .rev()
                            .find(|l| !l.trim().is_empty())
                            .unwrap_or("")
                            .trim()
                            .to_owned();
                        diags.push(
                            Diagnostic::error("E0203", &c.value.span, format!("invalid regular expression: {last}"))
                                .with_hint("patterns use Rust `regex` syntax (no look-around or backreferences)"),
                        );
                    }
                }
            },
            _ => {
                let integral = !matches!(inner, TypeRef::Float);
                if !v.is_number() || (integral && !(v.is_i64() || v.is_u64())) {
                    bad(diags, if integral { "an integer" } else { "a number" });
                }
            }
        }
    }
    let c = lower_constraints(&decl.constraints);
    let pairs = [
        (
            "min_len",
            "max_len",
            c.min_len.map(|x| x as f64),
            c.max_len.map(|x| x as f64),
        ),
        (
            "min_items",
            "max_items",
            c.min_items.map(|x| x as f64),
            c.max_items.map(|x| x as f64),
        ),
        (
            "min",
            "max",
            c.min.as_ref().and_then(|n| n.as_f64()),
            c.max.as_ref().and_then(|n| n.as_f64()),
        ),
    ];
    for (lo, hi, a, b) in pairs {
        if let (Some(a), Some(b)) = (a, b)
            && a > b
        {
            let span = decl
                .constraints
                .iter()
                .find(|c| c.name.value == lo)
                .map(|c| c.value.span.clone());
            if let Some(span) = span {
                diags.push(
                    Diagnostic::error(
                        "E0202",
                        &span,
                        format!(
                            "`{lo}` ({a}) is greater than `{hi}` ({b}) on field `{}`",
                            decl.name.value
                        ),
                    )
                    .with_hint("no value can satisfy both"),
                );
            }
        }
    }
    if let (TypeRef::I32, Some(min)) = (inner, c.min.as_ref().and_then(|n| n.as_i64()))
        && min < i64::from(i32::MIN)
    {
        diags.push(Diagnostic::error(
            "E0206",
            &decl.name.span,
            "`min` is below the range of `i32`",
        ));
    }
}

/// Checks a field's default against its type and constraints.
pub fn default(
    decl: &FieldDecl,
    default: &Spanned<Value>,
    ty: &TypeRef,
    types: &BTreeMap<String, TypeDef>,
    diags: &mut Vec<Diagnostic>,
) {
    if let Err(why) = fits(ty, &default.value, types, 0) {
        diags.push(
            Diagnostic::error(
                "E0204",
                &default.span,
                format!(
                    "the default of field `{}` does not match its type: {why}",
                    decl.name.value
                ),
            )
            .with_hint(format!(
                "the field's type is {}",
                describe(innermost(ty), types)
            )),
        );
        return;
    }
    let problems = broken_constraints(decl, &default.value);
    for p in problems {
        diags.push(Diagnostic::error(
            "E0205",
            &default.span,
            format!(
                "the default of field `{}` breaks its constraints: {p}",
                decl.name.value
            ),
        ));
    }
}

/// Which of the field's constraints `v` (already of the right type) breaks,
/// worded as "it is ...".
fn broken_constraints(decl: &FieldDecl, v: &Value) -> Vec<String> {
    let c = lower_constraints(&decl.constraints);
    let mut problems = Vec::new();
    if let Some(s) = v.as_str() {
        let len = s.chars().count() as u64;
        if c.min_len.is_some_and(|m| len < m) {
            problems.push(format!(
                "it is shorter than `min_len` ({})",
                c.min_len.unwrap_or(0)
            ));
        }
        if c.max_len.is_some_and(|m| len > m) {
            problems.push(format!(
                "it is longer than `max_len` ({})",
                c.max_len.unwrap_or(0)
            ));
        }
        if let Some(re) = c.pattern.as_deref().and_then(|p| regex::Regex::new(p).ok())
            && !re.is_match(s)
        {
            problems.push("it does not match `pattern`".to_owned());
        }
    }
    if let Some(n) = v.as_f64() {
        if c.min
            .as_ref()
            .and_then(|m| m.as_f64())
            .is_some_and(|m| n < m)
        {
            problems.push("it is below `min`".to_owned());
        }
        if c.max
            .as_ref()
            .and_then(|m| m.as_f64())
            .is_some_and(|m| n > m)
        {
            problems.push("it is above `max`".to_owned());
        }
    }
    if let Some(items) = v.as_array() {
        let len = items.len() as u64;
        if c.min_items.is_some_and(|m| len < m) {
            problems.push("it has fewer items than `min_items`".to_owned());
        }
        if c.max_items.is_some_and(|m| len > m) {
            problems.push("it has more items than `max_items`".to_owned());
        }
    }
    problems
}

/// Checks a field's `example` against its type and constraints: documents
/// and SDK docs show it, so a wrong one misleads every reader.
pub fn example(
    decl: &FieldDecl,
    example: &Spanned<Value>,
    ty: &TypeRef,
    types: &BTreeMap<String, TypeDef>,
    diags: &mut Vec<Diagnostic>,
) {
    let why = match fits(ty, &example.value, types, 0) {
        Err(why) => vec![format!("it does not match its type: {why}")],
        Ok(()) => broken_constraints(decl, &example.value)
            .into_iter()
            .map(|p| format!("it breaks its constraints: {p}"))
            .collect(),
    };
    for why in why {
        diags.push(
            Diagnostic::error(
                "E0207",
                &example.span,
                format!("the example of field `{}` is wrong: {why}", decl.name.value),
            )
            .with_hint(format!(
                "the field is {}; write an example a valid request could carry",
                describe(innermost(ty), types)
            )),
        );
    }
}

/// Whether `v` is a valid JSON value of type `ty`; the error says why not.
pub fn fits(
    ty: &TypeRef,
    v: &Value,
    types: &BTreeMap<String, TypeDef>,
    depth: usize,
) -> Result<(), String> {
    if depth > 32 {
        return Ok(());
    }
    let want = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(format!("expected {what}, found `{v}`"))
        }
    };
    match ty {
        TypeRef::Optional { inner } => {
            if v.is_null() {
                Ok(())
            } else {
                fits(inner, v, types, depth + 1)
            }
        }
        TypeRef::Bool => want(v.is_boolean(), "`true` or `false`"),
        TypeRef::Int => want(
            v.as_i64().is_some_and(|i| i.abs() <= MAX_SAFE_INT),
            "an integer within ±(2^53−1)",
        ),
        TypeRef::Int64 => want(
            v.is_i64() || v.as_str().is_some_and(|s| s.parse::<i64>().is_ok()),
            "a 64-bit integer",
        ),
        TypeRef::I32 => want(
            v.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
            "a 32-bit integer",
        ),
        TypeRef::Float => want(v.is_number(), "a number"),
        TypeRef::String => want(v.is_string(), "a string"),
        TypeRef::Uuid => want(v.as_str().is_some_and(is_uuid), "a UUID string"),
        TypeRef::Email => want(
            v.as_str().is_some_and(|s| s.contains('@')),
            "an email address",
        ),
        TypeRef::Url => want(
            v.as_str().is_some_and(|s| s.contains("://")),
            "an absolute URL",
        ),
        TypeRef::DateTime => want(
            v.as_str()
                .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
            "an RFC 3339 date-time string",
        ),
        TypeRef::Date => want(
            v.as_str()
                .is_some_and(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()),
            "a `YYYY-MM-DD` date string",
        ),
        TypeRef::Json => Ok(()),
        TypeRef::Bytes => want(
            v.as_str().is_some_and(|s| {
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c))
            }),
            "a base64 string",
        ),
        TypeRef::List { item } => match v.as_array() {
            Some(items) => items
                .iter()
                .try_for_each(|i| fits(item, i, types, depth + 1)),
            None => want(false, "a list"),
        },
        TypeRef::Map { value } => match v.as_object() {
            Some(entries) => entries
                .values()
                .try_for_each(|i| fits(value, i, types, depth + 1)),
            None => want(false, "a mapping"),
        },
        TypeRef::Named { name, .. } => match types.get(name).map(|t| &t.kind) {
            Some(TypeKind::Enum { values }) => {
                let ok = v
                    .as_str()
                    .is_some_and(|s| values.iter().any(|e| e.value == s));
                let list = values
                    .iter()
                    .map(|e| format!("`{}`", e.value))
                    .collect::<Vec<_>>()
                    .join(", ");
                want(ok, &format!("one of {list}"))
            }
            Some(TypeKind::Object { fields }) => {
                let Some(obj) = v.as_object() else {
                    return want(false, "a mapping");
                };
                for f in fields {
                    match obj.get(&f.name) {
                        Some(x) => fits(&f.ty, x, types, depth + 1)?,
                        None if f.required => return Err(format!("missing field `{}`", f.name)),
                        None => {}
                    }
                }
                match obj.keys().find(|k| !fields.iter().any(|f| &f.name == *k)) {
                    Some(k) => Err(format!("unknown field `{k}`")),
                    None => Ok(()),
                }
            }
            Some(TypeKind::Union { tag, .. }) => want(
                v.get(tag).is_some_and(Value::is_string),
                &format!("a mapping with `{tag}`"),
            ),
            None => Ok(()),
        },
    }
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_hexdigit()))
}
