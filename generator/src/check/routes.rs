//! Routing rules across the whole project: methods, statuses and path syntax, path parameters bound to input fields, query-string inputs, duplicate routes, parameter-name conflicts (axum panics on them), webhooks and built-in routes.

use std::collections::{HashMap, HashSet};

use super::types::innermost;
use crate::diag::{self, Diagnostic};
use crate::ir::{Span, TypeRef};
use crate::parse::ast::*;
use crate::resolve::symbols::{Body, Symbols};
use crate::resolve::types::field_type;
use crate::resolve::values::{
    join_path, normalize_prefix, parse_duration, path_params, path_shape,
};

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

struct Route {
    method: String,
    path: String,
    /// The path as written (for pointing at one of its segments).
    written: String,
    span: Span,
    action: String,
}

/// Checks every route and webhook of the project.
pub fn check(contracts: &Contracts, symbols: &Symbols<'_>, diags: &mut Vec<Diagnostic>) {
    let base = contracts
        .project
        .as_ref()
        .and_then(|p| p.base_path.as_ref())
        .map(|b| normalize_prefix(&b.value))
        .unwrap_or_default();
    let enums: HashSet<String> = symbols
        .types
        .iter()
        .filter(|t| matches!(t.body, Body::Enum(_)))
        .map(|t| t.name.clone())
        .collect();
    let mut routes: Vec<Route> = Vec::new();
    let mut webhooks: Vec<Route> = Vec::new();
    for m in symbols.modules.values() {
        let prefix = m
            .prefix
            .as_ref()
            .map(|p| normalize_prefix(&p.value))
            .unwrap_or_default();
        for a in &m.actions {
            let full = format!("{}.{}", m.name.value, a.name.value);
            let fields = input_fields(m, a, symbols);
            for t in &a.triggers {
                match &t.kind {
                    TriggerKind::Api {
                        method,
                        path,
                        status,
                    } => {
                        let upper = method.value.to_ascii_uppercase();
                        if !METHODS.contains(&upper.as_str()) {
                            diags.push(
                                Diagnostic::error(
                                    "E0301",
                                    &method.span,
                                    format!("invalid HTTP method `{}`", method.value),
                                )
                                .with_hint(
                                    diag::did_you_mean(&upper, METHODS.iter().copied())
                                        .unwrap_or_else(|| {
                                            format!("use one of {}", METHODS.join(", "))
                                        }),
                                ),
                            );
                        }
                        if let Some(s) = status {
                            if !(200..=299).contains(&s.value) {
                                diags.push(
                                    Diagnostic::error("E0302", &s.span, format!("invalid success status {}", s.value))
                                        .with_hint(
                                            "a route's status is the success status, 200-299; errors declare their own",
                                        ),
                                );
                            } else if s.value == 204 && a.output.is_some() {
                                diags.push(
                                    Diagnostic::error(
                                        "E0302",
                                        &s.span,
                                        "status 204 has no body, but the action has an output",
                                    )
                                    .with_hint("use 200 or 201, or remove the output"),
                                );
                            }
                        }
                        if !path_syntax(path, true, diags) {
                            continue;
                        }
                        let full_path = join_path(&[&base, &prefix, &path.value]);
                        bindings(a, &upper, path, &full_path, fields.as_ref(), &enums, diags);
                        routes.push(Route {
                            method: upper,
                            path: full_path,
                            written: path.value.clone(),
                            span: path.span.clone(),
                            action: full.clone(),
                        });
                    }
                    TriggerKind::Webhook(w) => {
                        webhook_fields(w, diags);
                        let path = &w.path;
                        if path_syntax(path, false, diags) {
                            let p = join_path(&[&base, &path.value]);
                            webhooks.push(Route {
                                method: "POST".into(),
                                path: p,
                                written: path.value.clone(),
                                span: path.span.clone(),
                                action: full.clone(),
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    duplicates(&routes, &webhooks, diags);
    param_names(&routes, diags);
    builtins(&base, routes.iter().chain(&webhooks), diags);
}

/// Input fields by name with their resolved types (`None` when the input is
/// `json` or unresolved).
fn input_fields<'a>(
    m: &ModuleDecl,
    a: &ActionDecl,
    symbols: &'a Symbols<'a>,
) -> Option<Vec<(&'a FieldDecl, TypeRef)>> {
    let module = m.name.value.as_str();
    let entry = match a.input.as_ref()? {
        Shape::Inline { .. } => symbols.input_of(module, &a.name.value)?,
        Shape::Ref(e) => match symbols.resolve(module, e, &mut Vec::new())? {
            TypeRef::Named { name, .. } => symbols.by_name(&name)?,
            _ => return None,
        },
    };
    let Body::Object(fields) = entry.body else {
        return None;
    };
    Some(
        fields
            .iter()
            .filter_map(|f| Some((f, field_type(symbols, entry, f)?)))
            .collect(),
    )
}

fn path_syntax(path: &Spanned<String>, params_allowed: bool, diags: &mut Vec<Diagnostic>) -> bool {
    let p = &path.value;
    let mut problem = None;
    if !p.starts_with('/') {
        problem = Some(format!("path `{p}` does not start with `/`"));
    }
    for seg in p.split('/').filter(|s| !s.is_empty()) {
        if problem.is_some() {
            break;
        }
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if !params_allowed {
                problem = Some(format!("a webhook path cannot have parameters (`{seg}`)"));
            } else if !(name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            {
                problem = Some(format!(
                    "invalid path parameter `{seg}`: it must name an input field (`{{id}}`)"
                ));
            }
        } else if seg.contains(['{', '}', '*', ':']) {
            problem = Some(format!(
                "invalid path segment `{seg}`: a parameter is a whole segment, `{{name}}`"
            ));
        } else if !seg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
        {
            problem = Some(format!("invalid characters in path segment `{seg}`"));
        }
    }
    let params = path_params(p);
    for (i, name) in params.iter().enumerate() {
        if problem.is_none() && params[..i].contains(name) {
            problem = Some(format!("path parameter `{{{name}}}` appears twice"));
        }
    }
    match problem {
        Some(msg) => {
            diags.push(Diagnostic::error("E0314", &path.span, msg).with_hint(
                "paths look like `/tasks/{id}/comments`: letters, digits, `-`, `_`, `.`, `~` and `{param}` segments",
            ));
            false
        }
        None => true,
    }
}

/// Path parameters name input fields; GET and DELETE inputs fit a query string.
fn bindings(
    a: &ActionDecl,
    method: &str,
    path: &Spanned<String>,
    full_path: &str,
    fields: Option<&Vec<(&FieldDecl, TypeRef)>>,
    enums: &HashSet<String>,
    diags: &mut Vec<Diagnostic>,
) {
    let params = path_params(full_path);
    let json_input =
        matches!(&a.input, Some(Shape::Ref(e)) if e.kind == TypeExprKind::Prim(Prim::Json));
    // An input that is declared but not an object bunbase could resolve has
    // its own error already; naming its missing fields would be a follow-on.
    let input_unknown = fields.is_none() && a.input.is_some() && !json_input;
    for p in &params {
        let field = fields.and_then(|fs| fs.iter().find(|(f, _)| &f.name.value == p));
        match field {
            None if input_unknown => {}
            None => {
                let names: Vec<&str> = fields
                    .map(|fs| fs.iter().map(|(f, _)| f.name.value.as_str()).collect())
                    .unwrap_or_default();
                let hint = diag::did_you_mean(p, names.iter().copied())
                    .unwrap_or_else(|| format!("add `{p}` to the input of `{}`", a.name.value));
                diags.push(
                    Diagnostic::error(
                        "E0303",
                        &segment_span(path, &format!("{{{p}}}")),
                        format!(
                            "path parameter `{{{p}}}` is not an input field of action `{}`",
                            a.name.value
                        ),
                    )
                    .with_hint(hint),
                );
            }
            Some((f, ty)) => {
                let scalar = is_scalar(ty, enums);
                if matches!(ty, TypeRef::Optional { .. }) || f.default.is_some() || !scalar {
                    diags.push(
                        Diagnostic::error(
                            "E0315",
                            &f.name.span,
                            format!("field `{p}` is a path parameter, so it must be a required scalar"),
                        )
                        .with_hint("path segments are always present and hold one string, number, uuid or enum value"),
                    );
                }
            }
        }
    }
    if !(method == "GET" || method == "DELETE") {
        return;
    }
    if json_input {
        diags.push(
            Diagnostic::error(
                "E0306",
                &path.span,
                format!("{method} takes its input from the query string, which cannot carry `json` input"),
            )
            .with_hint("use POST, or declare the input's fields"),
        );
        return;
    }
    for (f, ty) in fields.map(|v| v.as_slice()).unwrap_or_default() {
        if params.contains(&f.name.value) {
            continue;
        }
        let inner = innermost(ty);
        let ok = is_scalar(inner, enums)
            || matches!(inner, TypeRef::List { item } if is_scalar(item, enums));
        if !ok {
            diags.push(
                Diagnostic::error(
                    "E0306",
                    &f.name.span,
                    format!(
                        "field `{}` cannot travel in a query string, but action `{}` is {method}",
                        f.name.value, a.name.value
                    ),
                )
                .with_hint(
                    "query strings carry scalars and lists of scalars: use POST for this input, or flatten the field",
                ),
            );
        }
    }
}

/// Scalars that fit one path segment or query value (enums included).
fn is_scalar(ty: &TypeRef, enums: &HashSet<String>) -> bool {
    match ty {
        TypeRef::Optional { inner } => is_scalar(inner, enums),
        TypeRef::List { .. } | TypeRef::Map { .. } | TypeRef::Json => false,
        TypeRef::Named { name, .. } => enums.contains(name),
        _ => true,
    }
}

const WEBHOOK_SCHEMES: [&str; 3] = ["hmac-sha256", "stripe", "standard-webhooks"];

/// The webhook trigger's own fields: the variable name, header names, the
/// scheme and the options that belong to it, the tolerance and the mode.
fn webhook_fields(w: &WebhookDecl, diags: &mut Vec<Diagnostic>) {
    let secret_env = &w.secret_env;
    let env_ok = secret_env
        .value
        .starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && secret_env
            .value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !env_ok {
        diags.push(
            Diagnostic::error(
                "E0319",
                &secret_env.span,
                format!("`{}` is not an environment variable name", secret_env.value),
            )
            .with_hint("use upper case, digits and `_`, e.g. `STRIPE_WEBHOOK_SECRET`"),
        );
    }
    for h in [&w.signature_header, &w.id_header].into_iter().flatten() {
        if h.value.is_empty()
            || !h
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
        {
            diags.push(Diagnostic::error(
                "E0319",
                &h.span,
                format!("`{}` is not a valid header name", h.value),
            ));
        }
    }
    let scheme = w
        .scheme
        .as_ref()
        .map_or("hmac-sha256", |s| s.value.as_str());
    if let Some(s) = &w.scheme
        && !WEBHOOK_SCHEMES.contains(&s.value.as_str())
    {
        diags.push(
            Diagnostic::error(
                "E0319",
                &s.span,
                format!("unknown webhook scheme `{}`", s.value),
            )
            .with_hint(
                diag::did_you_mean(&s.value, WEBHOOK_SCHEMES)
                    .unwrap_or_else(|| "`hmac-sha256`, `stripe` or `standard-webhooks`".into()),
            ),
        );
    }
    // Options that only one scheme reads are refused elsewhere, so a
    // contract never states something the server ignores.
    let only = [
        (&w.prefix, "prefix", "hmac-sha256"),
        (&w.encoding, "encoding", "hmac-sha256"),
        (&w.id_header, "id_header", "hmac-sha256"),
    ];
    for (field, key, owner) in only {
        if let Some(f) = field
            && scheme != owner
            && WEBHOOK_SCHEMES.contains(&scheme)
        {
            diags.push(Diagnostic::error(
                "E0319",
                &f.span,
                format!("`{key}` applies to the `{owner}` scheme only, not `{scheme}`"),
            ));
        }
    }
    if let Some(h) = &w.signature_header
        && scheme == "standard-webhooks"
    {
        diags.push(
            Diagnostic::error(
                "E0319",
                &h.span,
                "`signature_header` does not apply to `standard-webhooks`",
            )
            .with_hint("Standard Webhooks always sends `webhook-id`, `webhook-timestamp` and `webhook-signature`"),
        );
    }
    if let Some(t) = &w.tolerance {
        if scheme == "hmac-sha256" {
            diags.push(
                Diagnostic::error(
                    "E0319",
                    &t.span,
                    "`tolerance` applies to timestamped schemes (`stripe`, `standard-webhooks`) only",
                )
                .with_hint("`hmac-sha256` deliveries carry no timestamp; replays are refused by delivery id"),
            );
        } else if !parse_duration(&t.value).is_some_and(|ms| (1_000..=86_400_000).contains(&ms)) {
            diags.push(
                Diagnostic::error(
                    "E0319",
                    &t.span,
                    format!("invalid webhook tolerance `{}`", t.value),
                )
                .with_hint("a duration from 1s to 24h, e.g. `5m`"),
            );
        }
    }
    if let Some(e) = &w.encoding
        && e.value != "hex"
        && e.value != "base64"
    {
        diags.push(
            Diagnostic::error(
                "E0319",
                &e.span,
                format!("unknown signature encoding `{}`", e.value),
            )
            .with_hint("`hex` or `base64`"),
        );
    }
    if let Some(m) = &w.mode
        && m.value != "sync"
        && m.value != "queue"
    {
        diags.push(
            Diagnostic::error(
                "E0319",
                &m.span,
                format!("unknown webhook mode `{}`", m.value),
            )
            .with_hint("`sync` (run now, the default) or `queue` (enqueue as a job)"),
        );
    }
}

fn duplicates(routes: &[Route], webhooks: &[Route], diags: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<(String, String), &Route> = HashMap::new();
    for r in routes {
        if let Some(first) = seen.insert((r.method.clone(), path_shape(&r.path)), r) {
            diags.push(
                Diagnostic::error(
                    "E0304",
                    &r.span,
                    format!(
                        "route `{} {}` of `{}` is already taken by `{}`",
                        r.method, r.path, r.action, first.action
                    ),
                )
                .with_hint(format!(
                    "`{}` declares `{} {}` in {} line {}",
                    first.action, first.method, first.path, first.span.file, first.span.line
                )),
            );
        }
    }
    let mut hooks: HashMap<String, &Route> = HashMap::new();
    for w in webhooks {
        if let Some(first) = hooks.insert(w.path.clone(), w) {
            diags.push(
                Diagnostic::error(
                    "E0312",
                    &w.span,
                    format!(
                        "webhook path `{}` of `{}` is already used by `{}`",
                        w.path, w.action, first.action
                    ),
                )
                .with_hint("give each webhook its own path"),
            );
        }
        if let Some(r) = routes
            .iter()
            .find(|r| path_shape(&r.path) == path_shape(&w.path))
        {
            diags.push(
                Diagnostic::error(
                    "E0313",
                    &w.span,
                    format!(
                        "webhook path `{}` collides with the api route `{} {}` of `{}`",
                        w.path, r.method, r.path, r.action
                    ),
                )
                .with_hint("webhooks and api routes share one router: use a distinct path such as `/webhooks/...`"),
            );
        }
    }
}

/// Two parameters at the same position under the same prefix must have the
/// same name (`/t/{id}` and `/t/{slug}/x` make axum panic at start-up).
fn param_names(routes: &[Route], diags: &mut Vec<Diagnostic>) {
    let mut at: HashMap<String, (String, &Route)> = HashMap::new();
    let mut reported = std::collections::HashSet::new();
    for r in routes {
        let segments: Vec<&str> = r.path.split('/').collect();
        for (i, seg) in segments.iter().enumerate() {
            let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
                continue;
            };
            let prefix = path_shape(&segments[..i].join("/"));
            match at.get(&prefix) {
                Some((first, other)) if first != name => {
                    if reported.insert((prefix.clone(), r.path.clone())) {
                        diags.push(
                            Diagnostic::error(
                                "E0305",
                                &segment_span(&Spanned::new(r.written.clone(), r.span.clone()), seg),
                                format!(
                                    "parameter `{{{name}}}` in `{}` conflicts with `{{{first}}}` in `{}` ({})",
                                    r.path, other.path, other.action
                                ),
                            )
                            .with_hint(format!(
                                "parameters at the same place must share a name: rename it `{{{first}}}`"
                            )),
                        );
                    }
                }
                Some(_) => {}
                None => {
                    at.insert(prefix, (name.to_owned(), r));
                }
            }
        }
    }
}

fn builtins<'r>(base: &str, routes: impl Iterator<Item = &'r Route>, diags: &mut Vec<Diagnostic>) {
    let openapi = join_path(&[base, "/openapi.json"]);
    let docs = join_path(&[base, "/docs"]);
    let actions = join_path(&[base, "/v1/actions"]);
    let mcp = join_path(&[base, "/mcp"]);
    for r in routes {
        let clash = r.path == openapi
            || r.path == docs
            || r.path == mcp
            || r.path == actions
            || r.path.starts_with(&format!("{actions}/"));
        if clash {
            diags.push(
                Diagnostic::error(
                    "E0318",
                    &r.span,
                    format!(
                        "route `{}` collides with a route bunbase serves itself",
                        r.path
                    ),
                )
                .with_hint(format!(
                    "`{openapi}`, `{docs}`, `{mcp}` and `{actions}/...` are reserved: choose another path"
                )),
            );
        }
    }
}

/// The span of `needle` inside a path's span (the whole path when the
/// text is not found or the scalar spans lines).
fn segment_span(path: &Spanned<String>, needle: &str) -> Span {
    let mut span = path.span.clone();
    let Some(off) = path.value.find(needle) else {
        return span;
    };
    let width = span.end.saturating_sub(span.start);
    let quote = if width == path.value.len() + 2 {
        1
    } else if width == path.value.len() {
        0
    } else {
        return span;
    };
    span.start += off + quote;
    span.end = span.start + needle.len();
    span.col += (path.value[..off].chars().count() + quote) as u32;
    span
}
