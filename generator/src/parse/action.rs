//! Decoders for actions, their errors, triggers, guards and retry policy.

use super::ast::*;
use super::decode::Cx;
use super::module::shape;
use super::yaml::{Node, NodeKind};
use crate::diag::{self, Diagnostic};

const ACTION_KEYS: &[&str] = &[
    "summary",
    "description",
    "deprecated",
    "input",
    "output",
    "errors",
    "triggers",
    "guards",
    "retry",
    "emits",
];
const TRIGGER_KINDS: &[&str] = &["api", "event", "cron", "queue", "webhook", "mcp"];
/// Guard names, as written in contracts.
pub const GUARD_KINDS: &[&str] = &[
    "authenticated",
    "has_role",
    "has_permission",
    "rate_limit",
    "in_org",
    "has_feature",
    "trial_active_or_paid",
    "custom",
];

/// Decodes one action.
pub fn action(cx: &mut Cx<'_>, name: Spanned<String>, node: &Node) -> Option<ActionDecl> {
    let context = format!("action `{}`", name.value);
    let e = cx.entries(node, &context, ACTION_KEYS)?;
    let summary = cx.text_of(&e, "summary");
    let description = cx.text_of(&e, "description");
    let deprecated = match e.get("deprecated") {
        None => None,
        Some(n) => match n.to_json() {
            serde_json::Value::Bool(false) => None,
            serde_json::Value::Bool(true) => Some(Spanned::new(None, n.span.clone())),
            serde_json::Value::String(s) => Some(Spanned::new(Some(s), n.span.clone())),
            _ => {
                cx.expected(
                    n,
                    "`true` or a note such as \"use list_tasks\" for `deprecated`",
                );
                None
            }
        },
    };
    let input = e.get("input").and_then(|n| {
        if n.is_null() {
            return None;
        }
        shape(cx, n, &format!("the input of {context}"))
    });
    let output = e.get("output").and_then(|n| {
        if n.is_null() {
            return None;
        }
        shape(cx, n, &format!("the output of {context}"))
    });
    let errors = e.get("errors").map(|n| errors(cx, n)).unwrap_or_default();
    let triggers = e
        .get("triggers")
        .map(|n| triggers(cx, n))
        .unwrap_or_default();
    let triggers_declared = e
        .get("triggers")
        .is_some_and(|n| !n.is_null() && n.seq().is_none_or(|s| !s.is_empty()));
    let guards = e.get("guards").map(|n| guards(cx, n)).unwrap_or_default();
    let retry = e.get("retry").and_then(|n| retry(cx, n));
    let emits = e
        .get("emits")
        .map(|n| cx.string_list(n, "event names"))
        .unwrap_or_default();
    Some(ActionDecl {
        name,
        summary,
        description,
        deprecated,
        input,
        output,
        errors,
        triggers,
        triggers_declared,
        guards,
        retry,
        emits,
    })
}

fn errors(cx: &mut Cx<'_>, node: &Node) -> Vec<ErrorDecl> {
    let mut out = Vec::new();
    for (code, value) in cx.named(node, "`errors`") {
        // `code: 409` is short for `code: { status: 409 }`.
        if value.scalar().is_some() && !value.is_null() {
            let status = cx.int(
                value,
                "an HTTP status or a mapping with `status` and `message`",
            );
            out.push(ErrorDecl {
                code,
                status,
                message: None,
            });
            continue;
        }
        let context = format!("error `{}`", code.value);
        let Some(e) = cx.entries(value, &context, &["status", "message", "description"]) else {
            continue;
        };
        let status = e
            .get("status")
            .and_then(|n| cx.int(n, "an HTTP status such as 409"));
        if e.get("status").is_none() {
            cx.diags.push(
                Diagnostic::error(
                    "E0004",
                    &code.span,
                    format!("{context} is missing `status`"),
                )
                .with_hint("give the HTTP status it answers with, e.g. `{ status: 409 }`"),
            );
        }
        let message = cx
            .text_of(&e, "message")
            .or_else(|| cx.text_of(&e, "description"));
        out.push(ErrorDecl {
            code,
            status,
            message,
        });
    }
    out
}

/// Decodes a list of triggers.
fn triggers(cx: &mut Cx<'_>, node: &Node) -> Vec<TriggerDecl> {
    let items: Vec<&Node> = match &node.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        NodeKind::Map(_) => vec![node],
        _ if node.is_null() => Vec::new(),
        _ => {
            cx.expected(node, "a list of triggers");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for item in items {
        let Some(map) = item.map() else {
            let hint = item
                .scalar()
                .and_then(|s| {
                    if TRIGGER_KINDS.contains(&s.text.as_str()) {
                        return Some(format!(
                            "a trigger is a mapping: write `{}: {{}}` with its settings",
                            s.text
                        ));
                    }
                    diag::did_you_mean(&s.text, TRIGGER_KINDS.iter().copied())
                })
                .unwrap_or_else(|| {
                    "write a trigger as `{ api: \"GET /path\" }`, `{ cron: \"0 8 * * *\" }`, ..."
                        .into()
                });
            cx.diags.push(
                Diagnostic::error(
                    "E0002",
                    &item.span,
                    format!("expected a trigger mapping, found {}", item.describe()),
                )
                .with_hint(hint),
            );
            continue;
        };
        for (k, v) in map {
            let Some(kind) = k.scalar().map(|s| s.text.as_str()) else {
                cx.expected(k, "a trigger kind");
                continue;
            };
            if let Some(t) = trigger(cx, kind, k, v) {
                out.push(t);
            }
        }
    }
    out
}

fn trigger(cx: &mut Cx<'_>, kind: &str, key: &Node, v: &Node) -> Option<TriggerDecl> {
    let span = key.span.clone();
    let kind = match kind {
        "api" => match &v.kind {
            NodeKind::Scalar(_) => {
                let s = cx.string(v, "a route such as \"GET /tasks/{id}\"")?;
                let (method, path) = split_route(&s);
                TriggerKind::Api {
                    method,
                    path,
                    status: None,
                }
            }
            _ => {
                let e = cx.entries(v, "an `api` trigger", &["method", "path", "status"])?;
                let method = cx.opt_string(&e, "method", "an HTTP method");
                let path = cx.opt_string(&e, "path", "a path");
                for k in ["method", "path"] {
                    if e.get(k).is_none() {
                        cx.missing(&e, k, "the `api` trigger");
                    }
                }
                let status = e
                    .get("status")
                    .and_then(|n| cx.int(n, "an HTTP status such as 201"));
                TriggerKind::Api {
                    method: method?,
                    path: path?,
                    status,
                }
            }
        },
        "event" => TriggerKind::Event(cx.string(v, "an event name")?),
        "cron" => match &v.kind {
            NodeKind::Scalar(_) => TriggerKind::Cron {
                schedule: cx.string(v, "a cron expression")?,
                timezone: None,
            },
            _ => {
                let e = cx.entries(v, "a `cron` trigger", &["schedule", "timezone"])?;
                let schedule = cx.opt_string(&e, "schedule", "a cron expression");
                if e.get("schedule").is_none() {
                    cx.missing(&e, "schedule", "the `cron` trigger");
                }
                let timezone =
                    cx.opt_string(&e, "timezone", "an IANA time zone such as `Europe/Berlin`");
                TriggerKind::Cron {
                    schedule: schedule?,
                    timezone,
                }
            }
        },
        "queue" => {
            let e = cx.entries(v, "a `queue` trigger", &["priority", "max_attempts"])?;
            let priority = e
                .get("priority")
                .and_then(|n| cx.int(n, "an integer priority"));
            let max_attempts = e
                .get("max_attempts")
                .and_then(|n| cx.int(n, "a number of attempts"));
            TriggerKind::Queue {
                priority,
                max_attempts,
            }
        }
        "webhook" => {
            let e = cx.entries(
                v,
                "a `webhook` trigger",
                &[
                    "path",
                    "secret_env",
                    "signature_header",
                    "scheme",
                    "prefix",
                    "encoding",
                    "id_header",
                    "tolerance",
                    "mode",
                ],
            )?;
            for k in ["path", "secret_env"] {
                if e.get(k).is_none() {
                    cx.missing(&e, k, "the `webhook` trigger");
                }
            }
            let path = cx.opt_string(&e, "path", "a path");
            let secret_env = cx.opt_string(&e, "secret_env", "an environment variable name");
            let signature_header = cx.opt_string(&e, "signature_header", "a header name");
            let scheme = cx.opt_string(
                &e,
                "scheme",
                "`hmac-sha256`, `stripe` or `standard-webhooks`",
            );
            let prefix = cx.opt_string(&e, "prefix", "the text before the signature");
            let encoding = cx.opt_string(&e, "encoding", "`hex` or `base64`");
            let id_header = cx.opt_string(&e, "id_header", "a header name");
            let tolerance = cx.opt_string(&e, "tolerance", "a duration such as `5m`");
            let mode = cx.opt_string(&e, "mode", "`sync` or `queue`");
            TriggerKind::Webhook(Box::new(WebhookDecl {
                path: path?,
                secret_env: secret_env?,
                signature_header,
                scheme,
                prefix,
                encoding,
                id_header,
                tolerance,
                mode,
            }))
        }
        "mcp" => {
            let e = cx.entries(v, "an `mcp` trigger", &["tool", "description"])?;
            let tool = cx.opt_string(&e, "tool", "a tool name");
            let description = cx.text_of(&e, "description");
            TriggerKind::Mcp { tool, description }
        }
        other => {
            let hint = diag::did_you_mean(other, TRIGGER_KINDS.iter().copied())
                .unwrap_or_else(|| format!("trigger kinds: {}", TRIGGER_KINDS.join(", ")));
            cx.diags.push(
                Diagnostic::error(
                    "E0003",
                    &key.span,
                    format!("unknown trigger kind `{other}`"),
                )
                .with_hint(hint),
            );
            return None;
        }
    };
    Some(TriggerDecl { kind, span })
}

/// Splits `"GET /tasks/{id}"` into method and path, with spans.
fn split_route(s: &Spanned<String>) -> (Spanned<String>, Spanned<String>) {
    let text = s.value.as_str();
    let trimmed_start = text.len() - text.trim_start().len();
    let rest = &text[trimmed_start..];
    let method_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let method = &rest[..method_len];
    let after = &rest[method_len..];
    let path_off = trimmed_start + method_len + (after.len() - after.trim_start().len());
    let path = text[path_off..].trim_end();
    let sub = |off: usize, len: usize| {
        let mut span = s.span.clone();
        // Quoted scalars: the span includes the quote.
        let quote = usize::from(span.end.saturating_sub(span.start) >= text.len() + 2);
        span.start += off + quote;
        span.end = span.start + len;
        span.col += (off + quote) as u32;
        span
    };
    (
        Spanned::new(method.to_owned(), sub(trimmed_start, method.len())),
        Spanned::new(path.to_owned(), sub(path_off, path.len())),
    )
}

/// Decodes a list of guards.
pub fn guards(cx: &mut Cx<'_>, node: &Node) -> Vec<GuardDecl> {
    let items: Vec<&Node> = match &node.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        _ if node.is_null() => Vec::new(),
        _ => {
            cx.expected(node, "a list of guards");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for item in items {
        match &item.kind {
            NodeKind::Scalar(s) => {
                let kind = match s.text.as_str() {
                    "authenticated" => GuardDeclKind::Authenticated,
                    "in_org" => GuardDeclKind::InOrg,
                    "trial_active_or_paid" => GuardDeclKind::TrialActiveOrPaid,
                    other => {
                        unknown_guard(cx, other, item);
                        continue;
                    }
                };
                out.push(GuardDecl {
                    kind,
                    span: item.span.clone(),
                });
            }
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    let Some(name) = k.scalar().map(|s| s.text.as_str()) else {
                        continue;
                    };
                    if let Some(kind) = guard_with_arg(cx, name, k, v) {
                        out.push(GuardDecl {
                            kind,
                            span: k.span.clone(),
                        });
                    }
                }
            }
            NodeKind::Seq(_) => cx.expected(item, "a guard"),
        }
    }
    out
}

fn guard_with_arg(cx: &mut Cx<'_>, name: &str, key: &Node, v: &Node) -> Option<GuardDeclKind> {
    Some(match name {
        "has_role" => GuardDeclKind::HasRole(cx.string(v, "a role name")?),
        "has_permission" => {
            GuardDeclKind::HasPermission(cx.string(v, "a permission such as \"tasks:create\"")?)
        }
        "has_feature" => GuardDeclKind::HasFeature(cx.string(v, "a feature name")?),
        "custom" => GuardDeclKind::Custom(cx.string(v, "the custom guard's snake_case name")?),
        "authenticated" | "in_org" | "trial_active_or_paid" if v.is_null() => match name {
            "authenticated" => GuardDeclKind::Authenticated,
            "in_org" => GuardDeclKind::InOrg,
            _ => GuardDeclKind::TrialActiveOrPaid,
        },
        "rate_limit" => {
            let e = cx.entries(v, "a `rate_limit` guard", &["limit", "window", "key"])?;
            for k in ["limit", "window"] {
                if e.get(k).is_none() {
                    cx.missing(&e, k, "the `rate_limit` guard");
                }
            }
            let limit = e
                .get("limit")
                .and_then(|n| cx.int(n, "a number of requests"));
            let window = cx.opt_string(&e, "window", "a duration such as `1m`");
            let key = cx.opt_string(&e, "key", "`ip` or `user`");
            GuardDeclKind::RateLimit {
                limit: limit?,
                window: window?,
                key,
            }
        }
        other => {
            unknown_guard(cx, other, key);
            return None;
        }
    })
}

fn unknown_guard(cx: &mut Cx<'_>, name: &str, node: &Node) {
    let hint = diag::did_you_mean(name, GUARD_KINDS.iter().copied()).unwrap_or_else(|| {
        format!(
            "built-in guards: {}; or `{{ custom: {name} }}` for your own",
            GUARD_KINDS.join(", ")
        )
    });
    cx.diags.push(
        Diagnostic::error("E0501", &node.span, format!("unknown guard `{name}`")).with_hint(hint),
    );
}

fn retry(cx: &mut Cx<'_>, node: &Node) -> Option<RetryDecl> {
    let e = cx.entries(node, "`retry`", &["attempts", "backoff", "base", "max"])?;
    let attempts = e
        .get("attempts")
        .and_then(|n| cx.int(n, "a number of attempts"));
    let backoff = cx.opt_string(&e, "backoff", "`exponential` or `fixed`");
    let base = cx.opt_string(&e, "base", "a duration such as `1s`");
    let max = cx.opt_string(&e, "max", "a duration such as `30s`");
    Some(RetryDecl {
        attempts,
        backoff,
        base,
        max,
        span: e.span,
    })
}
