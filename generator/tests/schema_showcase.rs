//! The showcase contract set really uses every construct of the format: checked on the lowered IR (meaning) and on the YAML (spelling).

use std::collections::BTreeSet;
use std::path::Path;

use bunbase::ir::{
    Backoff, GuardKind, GuardSource, Ir, RateLimitKey, TypeKind, TypeOrigin, TypeRef, WebhookScheme,
};
use saphyr::{LoadableYamlNode, Yaml};

fn showcase_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts-examples/showcase")
}

fn showcase() -> (bunbase::source::SourceSet, Ir) {
    let sources = bunbase::load::from_dir(&showcase_dir()).expect("load the showcase");
    let compiled = bunbase::compile(&sources).unwrap_or_else(|diags| {
        panic!(
            "the showcase does not check: {:#?}",
            diags.iter().map(|d| &d.message).collect::<Vec<_>>()
        )
    });
    (sources, compiled.ir)
}

/// Every type reference in `ty`, outermost first.
fn walk<'a>(ty: &'a TypeRef, out: &mut Vec<&'a TypeRef>) {
    out.push(ty);
    match ty {
        TypeRef::List { item } => walk(item, out),
        TypeRef::Map { value } => walk(value, out),
        TypeRef::Optional { inner } => walk(inner, out),
        _ => {}
    }
}

/// A short name for the kind of a type reference.
fn kind(ty: &TypeRef) -> &'static str {
    match ty {
        TypeRef::Bool => "bool",
        TypeRef::Int => "int",
        TypeRef::Int64 => "int64",
        TypeRef::I32 => "i32",
        TypeRef::Float => "float",
        TypeRef::String => "string",
        TypeRef::Uuid => "uuid",
        TypeRef::Email => "email",
        TypeRef::Url => "url",
        TypeRef::DateTime => "datetime",
        TypeRef::Date => "date",
        TypeRef::Json => "json",
        TypeRef::Bytes => "bytes",
        TypeRef::List { .. } => "list",
        TypeRef::Map { .. } => "map",
        TypeRef::Optional { .. } => "optional",
        TypeRef::Named { .. } => "named",
    }
}

fn missing<'a>(want: &[&'a str], have: &BTreeSet<&str>) -> Vec<&'a str> {
    want.iter().copied().filter(|w| !have.contains(w)).collect()
}

#[test]
fn showcase_uses_every_type_constraint_and_field_key() {
    let (_, ir) = showcase();
    let mut kinds = BTreeSet::new();
    let mut constraints = BTreeSet::new();
    let mut keys = BTreeSet::new();
    let mut cross_module = false;
    let mut boxed_optional = false;
    let mut recursive_list = false;
    for t in ir.types.values() {
        match &t.kind {
            TypeKind::Object { fields } => {
                kinds.insert("object");
                for f in fields {
                    let mut refs = Vec::new();
                    walk(&f.ty, &mut refs);
                    for r in &refs {
                        kinds.insert(kind(r));
                        if let TypeRef::Named { name, boxed } = r {
                            let target = &ir.types[name.as_str()];
                            cross_module |=
                                target.module != t.module && target.origin == TypeOrigin::Declared;
                            boxed_optional |= *boxed && matches!(f.ty, TypeRef::Optional { .. });
                            recursive_list |= name == &t.name
                                && refs.iter().any(|x| matches!(x, TypeRef::List { .. }));
                        }
                    }
                    let c = &f.constraints;
                    for (name, set) in [
                        ("min_len", c.min_len.is_some()),
                        ("max_len", c.max_len.is_some()),
                        ("pattern", c.pattern.is_some()),
                        ("min", c.min.is_some()),
                        ("max", c.max.is_some()),
                        ("min_items", c.min_items.is_some()),
                        ("max_items", c.max_items.is_some()),
                        ("unique", c.unique),
                        ("description", f.description.is_some()),
                        ("default", f.default.is_some()),
                        ("deprecated", f.deprecated),
                        ("example", f.example.is_some()),
                    ] {
                        if set {
                            if name.contains('_')
                                || ["pattern", "min", "max", "unique"].contains(&name)
                            {
                                constraints.insert(name);
                            } else {
                                keys.insert(name);
                            }
                        }
                    }
                }
            }
            TypeKind::Enum { values } => {
                kinds.insert("enum");
                if values
                    .iter()
                    .any(|v| v.deprecated && v.description.is_some())
                {
                    kinds.insert("documented enum value");
                }
            }
            TypeKind::Union { .. } => {
                kinds.insert("union");
            }
        }
        if matches!(t.origin, TypeOrigin::Inline { .. }) {
            kinds.insert("nested inline object");
        }
    }
    let all_kinds = [
        "bool",
        "int",
        "int64",
        "i32",
        "float",
        "string",
        "uuid",
        "email",
        "url",
        "datetime",
        "date",
        "json",
        "bytes",
        "list",
        "map",
        "optional",
        "named",
        "object",
        "enum",
        "union",
        "documented enum value",
        "nested inline object",
    ];
    assert_eq!(
        missing(&all_kinds, &kinds),
        Vec::<&str>::new(),
        "type kinds"
    );
    let all_constraints = [
        "min_len",
        "max_len",
        "pattern",
        "min",
        "max",
        "min_items",
        "max_items",
        "unique",
    ];
    assert_eq!(
        missing(&all_constraints, &constraints),
        Vec::<&str>::new(),
        "constraints"
    );
    let all_keys = ["description", "default", "deprecated", "example"];
    assert_eq!(
        missing(&all_keys, &keys),
        Vec::<&str>::new(),
        "long-form field keys"
    );
    assert!(cross_module, "no field refers to another module's type");
    assert!(
        boxed_optional,
        "no recursion through `?` (a boxed optional reference)"
    );
    assert!(recursive_list, "no type contains a list of itself");
    assert!(ir.types.values().any(|t| t.recursive), "no recursive type");
}

#[test]
fn showcase_uses_every_trigger_guard_and_action_feature() {
    let (_, ir) = showcase();
    let mut seen = BTreeSet::new();
    for a in ir.actions() {
        let t = &a.triggers;
        for r in &t.http {
            seen.insert("api");
            if r.status != 200 && r.status != 204 {
                seen.insert("api with status");
            }
            seen.insert(match r.method.as_str() {
                "GET" => "GET",
                "POST" => "POST",
                "PUT" => "PUT",
                "PATCH" => "PATCH",
                "DELETE" => "DELETE",
                _ => "other method",
            });
        }
        if !t.events.is_empty() {
            seen.insert("event");
        }
        for c in &t.crons {
            seen.insert(if c.timezone == "UTC" {
                "cron utc"
            } else {
                "cron timezone"
            });
        }
        if let Some(q) = &t.queue {
            // Without its own `max_attempts`, a job gets the action's
            // `retry.attempts` when it declares `retry`, else 5.
            let default_attempts = if a.retry == bunbase::ir::RetryPolicy::default() {
                5
            } else {
                a.retry.attempts
            };
            seen.insert(if q.priority == 0 && q.max_attempts == default_attempts {
                "queue defaults"
            } else {
                "queue tuned"
            });
        }
        for w in &t.webhooks {
            seen.insert(match w.scheme {
                WebhookScheme::HmacSha256 { .. } => "webhook hmac-sha256",
                WebhookScheme::Stripe { .. } => "webhook stripe",
                WebhookScheme::StandardWebhooks { .. } => "webhook standard-webhooks",
            });
        }
        if let Some(m) = &t.mcp {
            let default = format!("{}_{}", a.module, a.name);
            seen.insert(if m.tool == default {
                "mcp default tool"
            } else {
                "mcp named tool"
            });
        }
        for g in &a.guards {
            if g.source == GuardSource::Module {
                seen.insert("module guard");
            }
            seen.insert(match &g.kind {
                GuardKind::Authenticated => "authenticated",
                GuardKind::HasRole { .. } => "has_role",
                GuardKind::HasPermission { .. } => "has_permission",
                GuardKind::RateLimit {
                    key: RateLimitKey::Ip,
                    ..
                } => "rate_limit ip",
                GuardKind::RateLimit {
                    key: RateLimitKey::User,
                    ..
                } => "rate_limit user",
                GuardKind::InOrg => "in_org",
                GuardKind::HasFeature { .. } => "has_feature",
                GuardKind::TrialActiveOrPaid => "trial_active_or_paid",
                GuardKind::Custom { .. } => "custom",
            });
        }
        if a.retry.attempts > 1 {
            seen.insert(match a.retry.backoff {
                Backoff::Exponential => "retry exponential",
                Backoff::Fixed => "retry fixed",
            });
        }
        if !a.emits.is_empty() {
            seen.insert("emits");
        }
        if a.deprecated.as_ref().is_some_and(|d| d.note.is_some()) {
            seen.insert("deprecated action with note");
        }
        if a.errors.iter().any(|e| !e.implicit) {
            seen.insert("declared error");
        }
        if a.input_json {
            seen.insert("json input");
        }
        if let Some(input) = &a.input
            && matches!(
                ir.types[input.as_str()].origin,
                TypeOrigin::EventPayload { .. }
            )
        {
            seen.insert("event payload input");
        }
        if a.output.is_none() {
            seen.insert("no output");
        }
    }
    if ir.modules.values().any(|m| !m.prefix.is_empty()) {
        seen.insert("prefix");
    }
    let want = [
        "api",
        "api with status",
        "GET",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "event",
        "cron utc",
        "cron timezone",
        "queue defaults",
        "queue tuned",
        "webhook hmac-sha256",
        "webhook stripe",
        "webhook standard-webhooks",
        "mcp default tool",
        "mcp named tool",
        "module guard",
        "authenticated",
        "has_role",
        "has_permission",
        "rate_limit ip",
        "rate_limit user",
        "in_org",
        "has_feature",
        "trial_active_or_paid",
        "custom",
        "retry exponential",
        "retry fixed",
        "emits",
        "deprecated action with note",
        "declared error",
        "json input",
        "event payload input",
        "no output",
        "prefix",
    ];
    assert_eq!(missing(&want, &seen), Vec::<&str>::new());
    assert!(ir.modules.len() >= 3, "only {} modules", ir.modules.len());
}

/// Every mapping value below `node` as (key, scalar text), with `{}` for an
/// empty mapping and `{..}` for any other mapping.
fn strings<'a>(node: &'a Yaml<'a>, out: &mut Vec<(&'a str, String)>) {
    match node {
        Yaml::Mapping(map) => {
            for (k, v) in map {
                let key = k.as_str().unwrap_or_default();
                if let Some(s) = v.as_str() {
                    out.push((key, s.to_owned()));
                } else if v.as_mapping().is_some_and(|m| m.is_empty()) {
                    out.push((key, "{}".to_owned()));
                } else if v.as_mapping().is_some() {
                    out.push((key, "{..}".to_owned()));
                }
                strings(v, out);
            }
        }
        Yaml::Sequence(items) => items.iter().for_each(|i| strings(i, out)),
        _ => {}
    }
}

#[test]
fn showcase_spells_every_short_and_long_form() {
    let (sources, _) = showcase();
    assert!(
        sources.files.keys().any(|p| p.contains('/')),
        "no module in a sub-folder"
    );
    let mut pairs = Vec::new();
    let docs: Vec<Vec<Yaml>> = sources
        .files
        .values()
        .map(|text| Yaml::load_from_str(text).expect("YAML"))
        .collect();
    for doc in docs.iter().flatten() {
        strings(doc, &mut pairs);
    }
    let has =
        |key: &str, pred: &dyn Fn(&str) -> bool| pairs.iter().any(|(k, v)| *k == key && pred(v));
    let checks: [(&str, bool); 8] = [
        ("api short form", has("api", &|v| v.contains(' '))),
        ("api long form", has("api", &|v| v == "{..}")),
        ("cron short form", has("cron", &|v| v.contains(' '))),
        ("cron long form", has("cron", &|v| v == "{..}")),
        ("queue: {}", has("queue", &|v| v == "{}")),
        (
            "[T] list type",
            pairs
                .iter()
                .any(|(_, v)| v.starts_with('[') && v.contains(']')),
        ),
        (
            "list<T> type",
            pairs.iter().any(|(_, v)| v.contains("list<")),
        ),
        ("map<T> type", pairs.iter().any(|(_, v)| v.contains("map<"))),
    ];
    let absent: Vec<_> = checks
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| *name)
        .collect();
    assert!(absent.is_empty(), "the showcase never writes: {absent:?}");
}
