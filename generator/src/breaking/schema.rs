//! Type rules: compares named types, fields, constraints, enums and unions in input or output direction.
//!
//! The core is [`relate`], which classifies how the set of JSON values a type
//! reference admits changed (same, widened, narrowed, changed); the direction
//! then decides whether that breaks. Named types met on the way are queued
//! as pairs and compared once per direction.

use std::collections::BTreeMap;

use crate::ir::{
    Constraints, EnumValue, Field, TypeDef, TypeKind, TypeOrigin, TypeRef, UnionVariant,
};

use super::Rule;
use super::differ::{At, Differ, Dir, PairKey};

/// How the values a type admits changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rel {
    Same,
    /// Admits every old value and more.
    Widened,
    /// Admits only some old values.
    Narrowed,
    /// Neither: old values may be rejected and new values may surprise.
    Changed,
}

impl Rel {
    fn then(self, other: Rel) -> Rel {
        match (self, other) {
            (Rel::Same, x) | (x, Rel::Same) => x,
            (Rel::Widened, Rel::Widened) => Rel::Widened,
            (Rel::Narrowed, Rel::Narrowed) => Rel::Narrowed,
            _ => Rel::Changed,
        }
    }
}

/// Compares every queued type pair until none is left.
pub(crate) fn drain(d: &mut Differ<'_>) {
    while let Some(pair) = d.next_pair() {
        compare_pair(d, &pair);
    }
}

/// Relates two type references, queueing named pairs of the same kind for a
/// deeper comparison (which reports its own findings).
pub(crate) fn relate(
    d: &mut Differ<'_>,
    old: &TypeRef,
    new: &TypeRef,
    dir: Dir,
    root: Option<&str>,
) -> Rel {
    use TypeRef as T;
    match (old, new) {
        (T::Optional { inner: a }, T::Optional { inner: b }) => relate(d, a, b, dir, root),
        (T::Optional { inner: a }, b) => Rel::Narrowed.then(relate(d, a, b, dir, root)),
        (a, T::Optional { inner: b }) => Rel::Widened.then(relate(d, a, b, dir, root)),
        (T::List { item: a }, T::List { item: b }) => relate(d, a, b, dir, root),
        (T::Map { value: a }, T::Map { value: b }) => relate(d, a, b, dir, root),
        (T::Named { name: a, .. }, T::Named { name: b, .. }) => {
            let (Some(ta), Some(tb)) = (d.old.types.get(a), d.new.types.get(b)) else {
                return if a == b { Rel::Same } else { Rel::Changed };
            };
            if a != b && kind_name(&ta.kind) != kind_name(&tb.kind) {
                return Rel::Changed;
            }
            d.reach(a, b, dir, root);
            Rel::Same
        }
        (T::Named { name, .. }, T::String) if is_enum(d, name, true) => Rel::Widened,
        (T::String, T::Named { name, .. }) if is_enum(d, name, false) => Rel::Narrowed,
        (_, T::Json) if old != &T::Json => Rel::Widened,
        (T::Json, _) if new != &T::Json => Rel::Narrowed,
        (a, b) if a == b => Rel::Same,
        (a, b) if widens(a, b) => Rel::Widened,
        (a, b) if widens(b, a) => Rel::Narrowed,
        _ => Rel::Changed,
    }
}

/// True when every JSON value of scalar `a` is also a value of scalar `b`.
fn widens(a: &TypeRef, b: &TypeRef) -> bool {
    use TypeRef as T;
    matches!(
        (a, b),
        (T::I32, T::Int) | (T::I32 | T::Int, T::Float) | (T::Uuid | T::Email | T::Url, T::String)
    )
}

fn is_enum(d: &Differ<'_>, name: &str, old: bool) -> bool {
    let ir = if old { d.old } else { d.new };
    ir.types
        .get(name)
        .is_some_and(|t| matches!(t.kind, TypeKind::Enum { .. }))
}

fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Object { .. } => "object",
        TypeKind::Enum { .. } => "enum",
        TypeKind::Union { .. } => "union",
    }
}

/// Strips one outer `?`.
pub(crate) fn strip_optional(ty: &TypeRef) -> &TypeRef {
    match ty {
        TypeRef::Optional { inner } => inner,
        other => other,
    }
}

/// A short rendering of a type reference for messages (`list<Task>?`).
pub(crate) fn show(ty: &TypeRef) -> String {
    use TypeRef as T;
    match ty {
        T::Bool => "bool".into(),
        T::Int => "int".into(),
        T::Int64 => "int64".into(),
        T::I32 => "i32".into(),
        T::Float => "float".into(),
        T::String => "string".into(),
        T::Uuid => "uuid".into(),
        T::Email => "email".into(),
        T::Url => "url".into(),
        T::DateTime => "datetime".into(),
        T::Date => "date".into(),
        T::Json => "json".into(),
        T::Bytes => "bytes".into(),
        T::List { item } => format!("list<{}>", show(item)),
        T::Map { value } => format!("map<{}>", show(value)),
        T::Optional { inner } => format!("{}?", show(inner)),
        T::Named { name, .. } => name.clone(),
    }
}

/// Reports how a type reference at `subject` changed, by direction.
#[allow(clippy::too_many_arguments)]
pub(crate) fn compare_ref(
    d: &mut Differ<'_>,
    old: &TypeRef,
    new: &TypeRef,
    dir: Dir,
    subject: &str,
    what: &str,
    at: At,
    root: Option<&str>,
) {
    let rel = relate(d, old, new, dir, root);
    let (rule, why) = match (rel, dir) {
        (Rel::Same, _) => return,
        (Rel::Widened, Dir::In) => (
            Rule::InputFieldTypeWidened,
            "it accepts every value it accepted before",
        ),
        (Rel::Narrowed, Dir::In) => (
            Rule::InputFieldTypeNarrowed,
            "values clients send today may be rejected",
        ),
        (Rel::Changed, Dir::In) => (
            Rule::InputFieldTypeChanged,
            "values clients send today are rejected",
        ),
        (Rel::Widened, Dir::Out) => (
            Rule::OutputFieldTypeWidened,
            "readers may receive values they cannot decode",
        ),
        (Rel::Narrowed, Dir::Out) => (
            Rule::OutputFieldTypeNarrowed,
            "readers only see values that were valid before",
        ),
        (Rel::Changed, Dir::Out) => (
            Rule::OutputFieldTypeChanged,
            "readers decode it as the old type",
        ),
    };
    d.push(
        rule,
        subject,
        format!(
            "{what} changed type from `{}` to `{}`: {why}",
            show(old),
            show(new)
        ),
        at,
    );
}

/// Compares one queued pair of named types.
fn compare_pair(d: &mut Differ<'_>, pair: &PairKey) {
    let (Some(old), Some(new)) = (d.old.types.get(&pair.old), d.new.types.get(&pair.new)) else {
        return;
    };
    let subject = format!("type/{}", new.name);
    if !old.deprecated && new.deprecated {
        d.push(
            Rule::TypeDeprecated,
            &subject,
            format!("type `{}` is now deprecated", new.name),
            At::new(&new.span),
        );
    }
    // Inline types take their description from their owner, whose own
    // finding covers it.
    if old.description != new.description && new.origin == TypeOrigin::Declared {
        d.push(
            Rule::DocChanged,
            &subject,
            format!("the description of type `{}` changed", new.name),
            At::new(&new.span),
        );
    }
    match (&old.kind, &new.kind) {
        (TypeKind::Object { fields: a }, TypeKind::Object { fields: b }) => {
            compare_fields(d, new, a, b, pair.dir)
        }
        (TypeKind::Enum { values: a }, TypeKind::Enum { values: b }) => {
            compare_enum(d, new, a, b, pair.dir)
        }
        (
            TypeKind::Union {
                tag: ta,
                variants: a,
            },
            TypeKind::Union {
                tag: tb,
                variants: b,
            },
        ) => {
            if ta != tb {
                d.push(
                    Rule::UnionTagChanged,
                    &subject,
                    format!("union `{}` is tagged by `{tb}` instead of `{ta}`: every payload changes shape", new.name),
                    At::both(&old.span, &new.span),
                );
            }
            compare_union(d, new, a, b, pair.dir);
        }
        (a, b) => d.push(
            Rule::TypeKindChanged,
            &subject,
            format!(
                "type `{}` changed from {} to {}: its JSON shape is different",
                new.name,
                kind_name(a),
                kind_name(b)
            ),
            At::both(&old.span, &new.span),
        ),
    }
}

/// Compares the fields of two object types in one direction. `old` may be a
/// stand-in with no fields (an action that gained an input).
pub(crate) fn compare_fields(
    d: &mut Differ<'_>,
    new_ty: &TypeDef,
    old: &[Field],
    new: &[Field],
    dir: Dir,
) {
    let base = format!("type/{}", new_ty.name);
    let old_by: BTreeMap<&str, &Field> = old.iter().map(|f| (f.name.as_str(), f)).collect();
    let new_by: BTreeMap<&str, &Field> = new.iter().map(|f| (f.name.as_str(), f)).collect();
    let tn = &new_ty.name;
    for (name, f) in &old_by {
        if new_by.contains_key(name) {
            continue;
        }
        let at = At::removed(&f.span, Some(&new_ty.span));
        let subject = format!("{base}/{name}");
        match dir {
            Dir::In => d.push(
                Rule::InputFieldRemoved,
                subject,
                format!("input field `{name}` was removed from `{tn}`: clients still sending it get `unknown_field`"),
                at,
            ),
            Dir::Out if is_optional(f) => d.push(
                Rule::OutputOptionalFieldRemoved,
                subject,
                format!("optional field `{name}` was removed from `{tn}`: readers get nothing instead of null"),
                at,
            ),
            Dir::Out => d.push(
                Rule::OutputFieldRemoved,
                subject,
                format!("field `{name}` was removed from `{tn}`: readers rely on it being present"),
                at,
            ),
        }
    }
    for (name, f) in &new_by {
        let subject = format!("{base}/{name}");
        let Some(o) = old_by.get(name) else {
            let at = At::new(&f.span);
            match dir {
                Dir::In if f.required => d.push(
                    Rule::InputFieldRequiredAdded,
                    subject,
                    format!("required field `{name}` was added to `{tn}` with no default: requests without it are rejected"),
                    at,
                ),
                Dir::In => d.push(
                    Rule::InputFieldOptionalAdded,
                    subject,
                    format!("optional field `{name}` was added to `{tn}`"),
                    at,
                ),
                Dir::Out => d.push(Rule::OutputFieldAdded, subject, format!("field `{name}` was added to `{tn}`"), at),
            }
            continue;
        };
        compare_field(d, tn, o, f, dir, &subject);
    }
}

fn is_optional(f: &Field) -> bool {
    matches!(f.ty, TypeRef::Optional { .. })
}

fn compare_field(d: &mut Differ<'_>, tn: &str, o: &Field, n: &Field, dir: Dir, subject: &str) {
    let name = &n.name;
    let at = || At::both(&o.span, &n.span);
    let mut presence_changed = false;
    match dir {
        Dir::In if !o.required && n.required => {
            presence_changed = true;
            d.push(
                Rule::InputFieldBecameRequired,
                subject,
                format!(
                    "input field `{tn}.{name}` became required: requests without it are rejected"
                ),
                at(),
            );
        }
        Dir::In if o.required && !n.required => {
            presence_changed = true;
            d.push(
                Rule::InputFieldBecameOptional,
                subject,
                format!("input field `{tn}.{name}` became optional"),
                at(),
            );
        }
        Dir::Out if !is_optional(o) && is_optional(n) => d.push(
            Rule::OutputFieldBecameOptional,
            subject,
            format!("field `{tn}.{name}` may now be null: readers expect a value"),
            at(),
        ),
        Dir::Out if is_optional(o) && !is_optional(n) => d.push(
            Rule::OutputFieldBecameRequired,
            subject,
            format!("field `{tn}.{name}` is now always present"),
            at(),
        ),
        _ => {}
    }
    compare_ref(
        d,
        strip_optional(&o.ty),
        strip_optional(&n.ty),
        dir,
        subject,
        &format!("field `{tn}.{name}`"),
        at(),
        None,
    );
    if dir == Dir::In && o.default != n.default && !presence_changed {
        let show =
            |v: &Option<serde_json::Value>| v.as_ref().map_or("none".to_owned(), |v| v.to_string());
        d.push(
            Rule::InputFieldDefaultChanged,
            subject,
            format!(
                "the default of `{tn}.{name}` changed from {} to {}: requests that omit it behave differently",
                show(&o.default),
                show(&n.default)
            ),
            at(),
        );
    }
    compare_constraints(
        d,
        tn,
        name,
        &o.constraints,
        &n.constraints,
        dir,
        subject,
        at(),
    );
    if !o.deprecated && n.deprecated {
        d.push(
            Rule::FieldDeprecated,
            subject,
            format!("field `{tn}.{name}` is now deprecated"),
            At::new(&n.span),
        );
    }
    if o.description != n.description {
        d.push(
            Rule::DocChanged,
            subject,
            format!("the description of field `{tn}.{name}` changed"),
            At::new(&n.span),
        );
    }
}

/// A bound changed: `Some(true)` tightened, `Some(false)` loosened.
fn bound(old: Option<f64>, new: Option<f64>, lower: bool) -> Option<bool> {
    match (old, new) {
        (None, None) => None,
        (None, Some(_)) => Some(true),
        (Some(_), None) => Some(false),
        (Some(a), Some(b)) if a == b => None,
        (Some(a), Some(b)) => Some(if lower { b > a } else { b < a }),
    }
}

#[allow(clippy::too_many_arguments)]
fn compare_constraints(
    d: &mut Differ<'_>,
    tn: &str,
    name: &str,
    o: &Constraints,
    n: &Constraints,
    dir: Dir,
    subject: &str,
    at: At,
) {
    let num = |v: &Option<serde_json::Number>| v.as_ref().and_then(serde_json::Number::as_f64);
    let int = |v: Option<u64>| v.map(|v| v as f64);
    let show = |v: Option<f64>| v.map_or("unset".to_owned(), |v| v.to_string());
    let bounds = [
        ("min_len", int(o.min_len), int(n.min_len), true),
        ("max_len", int(o.max_len), int(n.max_len), false),
        ("min", num(&o.min), num(&n.min), true),
        ("max", num(&o.max), num(&n.max), false),
        ("min_items", int(o.min_items), int(n.min_items), true),
        ("max_items", int(o.max_items), int(n.max_items), false),
        (
            "unique",
            o.unique.then_some(1.0),
            n.unique.then_some(1.0),
            true,
        ),
    ];
    for (key, a, b, lower) in bounds {
        let Some(tightened) = bound(a, b, lower) else {
            continue;
        };
        let change = format!(
            "`{key}` of `{tn}.{name}` went from {} to {}",
            show(a),
            show(b)
        );
        push_constraint(
            d,
            tightened,
            dir,
            &format!("{subject}/{key}"),
            change,
            at.clone(),
        );
    }
    match (&o.pattern, &n.pattern) {
        (a, b) if a == b => {}
        (None, Some(p)) => {
            let change = format!("`{tn}.{name}` must now match `{p}`");
            push_constraint(d, true, dir, &format!("{subject}/pattern"), change, at);
        }
        (Some(p), None) => {
            let change = format!("`{tn}.{name}` no longer has to match `{p}`");
            push_constraint(d, false, dir, &format!("{subject}/pattern"), change, at);
        }
        (Some(a), Some(b)) => {
            let (rule, why) = match dir {
                Dir::In => (
                    Rule::InputPatternChanged,
                    "values clients send today may be rejected",
                ),
                Dir::Out => (
                    Rule::OutputPatternChanged,
                    "readers validating the old pattern may reject values",
                ),
            };
            d.push(
                rule,
                format!("{subject}/pattern"),
                format!("the pattern of `{tn}.{name}` changed from `{a}` to `{b}`: {why}"),
                at,
            );
        }
        (None, None) => {}
    }
}

fn push_constraint(
    d: &mut Differ<'_>,
    tightened: bool,
    dir: Dir,
    subject: &str,
    change: String,
    at: At,
) {
    let (rule, why) = match (tightened, dir) {
        (true, Dir::In) => (
            Rule::InputConstraintTightened,
            "values clients send today may be rejected",
        ),
        (false, Dir::In) => (
            Rule::InputConstraintLoosened,
            "every value accepted before is still accepted",
        ),
        (true, Dir::Out) => (
            Rule::OutputConstraintTightened,
            "readers only see values that were valid before",
        ),
        (false, Dir::Out) => (
            Rule::OutputConstraintLoosened,
            "readers may receive values outside the bounds they rely on",
        ),
    };
    d.push(rule, subject, format!("{change}: {why}"), at);
}

fn compare_enum(
    d: &mut Differ<'_>,
    new_ty: &TypeDef,
    old: &[EnumValue],
    new: &[EnumValue],
    dir: Dir,
) {
    let tn = &new_ty.name;
    let old_by: BTreeMap<&str, &EnumValue> = old.iter().map(|v| (v.value.as_str(), v)).collect();
    let new_by: BTreeMap<&str, &EnumValue> = new.iter().map(|v| (v.value.as_str(), v)).collect();
    for value in old_by.keys().filter(|v| !new_by.contains_key(*v)) {
        let subject = format!("type/{tn}/{value}");
        let at = At::new(&new_ty.span);
        match dir {
            Dir::In => d.push(
                Rule::InputEnumValueRemoved,
                subject,
                format!("`{value}` is no longer a value of `{tn}`: clients sending it are rejected"),
                at,
            ),
            Dir::Out => d.push(
                Rule::OutputEnumValueRemoved,
                subject,
                format!("`{value}` is no longer a value of `{tn}`: it is never returned, and SDK code naming it stops compiling"),
                at,
            ),
        }
    }
    for (value, v) in &new_by {
        let subject = format!("type/{tn}/{value}");
        let Some(o) = old_by.get(value) else {
            let at = At::new(&new_ty.span);
            match dir {
                Dir::In => d.push(Rule::InputEnumValueAdded, subject, format!("`{tn}` accepts the new value `{value}`"), at),
                Dir::Out => d.push(
                    Rule::OutputEnumValueAdded,
                    subject,
                    format!("`{tn}` may now carry `{value}`: readers with an exhaustive match may not handle it"),
                    at,
                ),
            }
            continue;
        };
        if !o.deprecated && v.deprecated {
            d.push(
                Rule::FieldDeprecated,
                &subject,
                format!("value `{tn}.{value}` is now deprecated"),
                At::new(&new_ty.span),
            );
        }
        if o.description != v.description {
            d.push(
                Rule::DocChanged,
                &subject,
                format!("the description of `{tn}.{value}` changed"),
                At::new(&new_ty.span),
            );
        }
    }
}

fn compare_union(
    d: &mut Differ<'_>,
    new_ty: &TypeDef,
    old: &[UnionVariant],
    new: &[UnionVariant],
    dir: Dir,
) {
    let tn = &new_ty.name;
    let old_by: BTreeMap<&str, &UnionVariant> =
        old.iter().map(|v| (v.tag_value.as_str(), v)).collect();
    let new_by: BTreeMap<&str, &UnionVariant> =
        new.iter().map(|v| (v.tag_value.as_str(), v)).collect();
    for tag in old_by.keys().filter(|v| !new_by.contains_key(*v)) {
        let subject = format!("type/{tn}/{tag}");
        let at = At::new(&new_ty.span);
        match dir {
            Dir::In => d.push(
                Rule::InputUnionVariantRemoved,
                subject,
                format!("union `{tn}` no longer accepts variant `{tag}`: clients sending it are rejected"),
                at,
            ),
            Dir::Out => d.push(
                Rule::OutputUnionVariantRemoved,
                subject,
                format!("union `{tn}` no longer carries variant `{tag}`: SDK code naming it stops compiling"),
                at,
            ),
        }
    }
    for (tag, v) in &new_by {
        let subject = format!("type/{tn}/{tag}");
        let Some(o) = old_by.get(tag) else {
            let at = At::new(&new_ty.span);
            match dir {
                Dir::In => d.push(
                    Rule::InputUnionVariantAdded,
                    subject,
                    format!("union `{tn}` accepts the new variant `{tag}`"),
                    at,
                ),
                Dir::Out => d.push(
                    Rule::OutputUnionVariantAdded,
                    subject,
                    format!(
                        "union `{tn}` may now carry variant `{tag}`: readers may not handle it"
                    ),
                    at,
                ),
            }
            continue;
        };
        d.reach(&o.type_name, &v.type_name, dir, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Ir;

    fn empty_ir() -> Ir {
        serde_json::from_value(serde_json::json!({
            "format_version": 2,
            "project": {
                "name": "p", "snake_name": "p", "kebab_name": "p", "version": "1.0.0", "title": "p",
                "description": null, "database": "sqlite", "base_path": "", "sdk_package": "@p/sdk"
            },
            "modules": {}, "types": {}, "events": {}, "transport_errors": [],
            "names": {
                "ts_client": "Client", "ts_transport_error": "TransportError",
                "openapi_envelope": "ErrorEnvelope",
                "openapi_validation_details": "ValidationFailedDetails",
                "openapi_violation": "Violation"
            }
        }))
        .expect("a minimal IR")
    }

    #[test]
    fn scalar_relations() {
        use TypeRef as T;
        let ir = empty_ir();
        let mut d = Differ::new(&ir, &ir);
        let list = |t: T| T::List { item: Box::new(t) };
        let opt = |t: T| T::Optional { inner: Box::new(t) };
        let cases = [
            (T::I32, T::Int, Rel::Widened),
            (T::Int, T::Float, Rel::Widened),
            (T::Int, T::Int64, Rel::Changed),
            (T::Uuid, T::String, Rel::Widened),
            (T::String, T::Email, Rel::Narrowed),
            (T::Date, T::DateTime, Rel::Changed),
            (T::Bytes, T::Json, Rel::Widened),
            (T::Json, T::Bool, Rel::Narrowed),
            (list(T::I32), list(T::Int), Rel::Widened),
            (list(T::Int), T::Int, Rel::Changed),
            (list(T::Int), list(opt(T::Int)), Rel::Widened),
            (opt(T::Int), T::I32, Rel::Narrowed),
            (opt(T::I32), T::Int, Rel::Changed),
            (T::String, T::String, Rel::Same),
        ];
        for (old, new, want) in cases {
            assert_eq!(
                relate(&mut d, &old, &new, Dir::In, None),
                want,
                "{} -> {}",
                show(&old),
                show(&new)
            );
        }
    }
}
