//! Lowering of actions: input and output types, errors with the implicit ones, flattened guards, triggers with HTTP bindings, retry policy.

use crate::ir::*;
use crate::naming::{self, Scope};
use crate::parse::ast::{
    self, ActionDecl, GuardDecl, GuardDeclKind, ModuleDecl, Shape, TriggerKind,
};
use crate::resolve::symbols::{Body, Symbols};
use crate::resolve::values::{
    IMPLICIT_ERRORS, TRANSPORT_ERRORS, join_path, normalize_prefix, parse_duration, path_params,
};

/// Lowers one action of module `m`.
pub fn lower_action(
    symbols: &Symbols<'_>,
    base_path: &str,
    m: &ModuleDecl,
    a: &ActionDecl,
) -> Action {
    let module = m.name.value.as_str();
    let name = a.name.value.as_str();
    let input = a.input.as_ref().and_then(|s| match s {
        Shape::Inline { .. } => symbols.input_of(module, name).map(|t| t.name.clone()),
        Shape::Ref(e) => match symbols.resolve(module, e, &mut Vec::new())? {
            TypeRef::Named { name, .. } => Some(name),
            _ => None,
        },
    });
    let output = a.output.as_ref().and_then(|s| match s {
        Shape::Inline { .. } => symbols.output_of(module, name).map(|t| OutputType::Named {
            name: t.name.clone(),
        }),
        Shape::Ref(e) => match symbols.resolve(module, e, &mut Vec::new())? {
            TypeRef::Named { name, .. } => Some(OutputType::Named { name }),
            ty => Some(OutputType::Expr { ty }),
        },
    });
    let input_fields: Vec<String> = input
        .as_deref()
        .and_then(|i| symbols.by_name(i))
        .map(|t| match t.body {
            Body::Object(fields) => fields.iter().map(|f| f.name.value.clone()).collect(),
            _ => Vec::new(),
        })
        .unwrap_or_default();
    let prefix = m
        .prefix
        .as_ref()
        .map(|p| normalize_prefix(&p.value))
        .unwrap_or_default();
    let retry = retry(a.retry.as_ref());
    let triggers = triggers(
        module,
        a,
        base_path,
        &prefix,
        output.is_some(),
        &input_fields,
        &retry,
    );
    let guards: Vec<Guard> = m
        .guards
        .iter()
        .map(|g| guard(g, GuardSource::Module))
        .chain(a.guards.iter().map(|g| guard(g, GuardSource::Action)))
        .collect();
    let mut emits: Vec<String> = a.emits.iter().map(|e| e.value.clone()).collect();
    emits.sort();
    emits.dedup();
    let action_endpoint = (!triggers.http.is_empty())
        .then(|| join_path(&[base_path, &format!("/v1/actions/{module}.{name}")]));
    let audience = audience(&triggers);
    let errors = errors(a, input.is_some(), &guards);
    Action {
        name: name.to_owned(),
        full_name: format!("{module}.{name}"),
        module: module.to_owned(),
        rust_name: naming::rust_snake_ident(name),
        pascal_name: naming::pascal(name),
        ts_name: naming::camel(name),
        summary: a.summary.clone(),
        description: a.description.clone(),
        deprecated: a.deprecated.as_ref().map(|d| Deprecation {
            note: d.value.clone(),
        }),
        input,
        input_json: matches!(&a.input, Some(Shape::Ref(e)) if e.kind == ast::TypeExprKind::Prim(ast::Prim::Json)),
        output,
        error_enum: String::new(),
        spec_static: String::new(),
        errors,
        guards,
        triggers,
        retry,
        emits,
        action_endpoint,
        audience,
        span: a.name.span.clone(),
    }
}

/// Who calls the action from outside the server (see [`Audience`]), from
/// its triggers.
pub fn audience(t: &Triggers) -> Audience {
    let http = !t.http.is_empty() || !t.webhooks.is_empty();
    let server_run = !t.events.is_empty() || !t.crons.is_empty() || t.queue.is_some();
    Audience {
        http,
        clients: http || t.mcp.is_some() || !server_run,
        jobs: t.queue.is_some(),
    }
}

/// The action's exact error set (see [`Action::errors`]): declared errors
/// sorted by code, then the implicit ones its input and guards make
/// possible.
fn errors(a: &ActionDecl, has_input: bool, guards: &[Guard]) -> Vec<ErrorDef> {
    let mut declared: Vec<ErrorDef> = a
        .errors
        .iter()
        .map(|e| {
            let code = e.code.value.as_str();
            let (kind, payload) = kind_of(code);
            ErrorDef {
                code: code.to_owned(),
                rust_name: naming::rust_pascal_ident(code),
                status: e
                    .status
                    .as_ref()
                    .and_then(|s| u16::try_from(s.value).ok())
                    .unwrap_or(500),
                message: e.message.clone().unwrap_or_else(|| naming::sentence(code)),
                implicit: false,
                kind,
                payload,
                span: e.code.span.clone(),
            }
        })
        .collect();
    declared.sort_by(|x, y| x.code.cmp(&y.code));
    let mut idents = Scope::new();
    for d in &mut declared {
        d.rust_name = idents.claim_pascal(&d.rust_name);
    }
    let possible = |kind: ErrorKind| match kind {
        ErrorKind::ValidationFailed => has_input,
        ErrorKind::Unauthorized => guards.iter().any(|g| g.kind.needs_principal()),
        ErrorKind::Forbidden => guards.iter().any(|g| g.kind.can_refuse()),
        ErrorKind::RateLimited => guards
            .iter()
            .any(|g| matches!(g.kind, GuardKind::RateLimit { .. })),
        _ => true,
    };
    for implicit in IMPLICIT_ERRORS {
        if !possible(implicit.kind) || declared.iter().any(|d| d.code == implicit.code) {
            continue;
        }
        declared.push(ErrorDef {
            code: implicit.code.to_owned(),
            rust_name: idents.claim_pascal(&naming::rust_pascal_ident(implicit.code)),
            status: implicit.status,
            message: implicit.message.to_owned(),
            implicit: true,
            kind: implicit.kind,
            payload: implicit.payload,
            span: a.name.span.clone(),
        });
    }
    declared
}

/// The kind and payload of a declared error: a framework code keeps its
/// meaning, any other code is the contract's own.
fn kind_of(code: &str) -> (ErrorKind, ErrorPayload) {
    IMPLICIT_ERRORS
        .iter()
        .find(|i| i.code == code)
        .map_or((ErrorKind::Declared, ErrorPayload::None), |i| {
            (i.kind, i.payload)
        })
}

/// The framework's answers no action declares ([`Ir::transport_errors`]).
pub fn transport_errors() -> Vec<TransportError> {
    TRANSPORT_ERRORS
        .iter()
        .map(|(code, status, message, with_body)| TransportError {
            code: (*code).to_owned(),
            status: *status,
            message: (*message).to_owned(),
            with_body: *with_body,
        })
        .collect()
}

/// Lowers a guard.
pub fn guard(g: &GuardDecl, source: GuardSource) -> Guard {
    let kind = match &g.kind {
        GuardDeclKind::Authenticated => GuardKind::Authenticated,
        GuardDeclKind::HasRole(r) => GuardKind::HasRole {
            role: r.value.clone(),
        },
        GuardDeclKind::HasPermission(p) => GuardKind::HasPermission {
            permission: p.value.clone(),
        },
        GuardDeclKind::RateLimit { limit, window, key } => GuardKind::RateLimit {
            limit: u32::try_from(limit.value).unwrap_or(1),
            window_ms: parse_duration(&window.value).unwrap_or(60_000),
            key: match key.as_ref().map(|k| k.value.as_str()) {
                Some("user") => RateLimitKey::User,
                _ => RateLimitKey::Ip,
            },
        },
        GuardDeclKind::InOrg => GuardKind::InOrg,
        GuardDeclKind::HasFeature(f) => GuardKind::HasFeature {
            feature: f.value.clone(),
        },
        GuardDeclKind::TrialActiveOrPaid => GuardKind::TrialActiveOrPaid,
        GuardDeclKind::Custom(n) => GuardKind::Custom {
            name: n.value.clone(),
            rust_name: naming::rust_snake_ident(&n.value),
        },
    };
    Guard {
        kind,
        source,
        span: g.span.clone(),
    }
}

fn triggers(
    module: &str,
    a: &ActionDecl,
    base_path: &str,
    prefix: &str,
    has_output: bool,
    input_fields: &[String],
    retry: &RetryPolicy,
) -> Triggers {
    let full_name = format!("{module}.{}", a.name.value);
    let mut t = Triggers::default();
    for trig in &a.triggers {
        let span = trig.span.clone();
        match &trig.kind {
            TriggerKind::Api {
                method,
                path,
                status,
            } => {
                let method = method.value.to_ascii_uppercase();
                let path = join_path(&[base_path, prefix, &path.value]);
                let params = path_params(&path);
                let query = matches!(method.as_str(), "GET" | "DELETE");
                let bindings = input_fields
                    .iter()
                    .map(|f| FieldBinding {
                        field: f.clone(),
                        location: if params.contains(f) {
                            BindingLocation::Path
                        } else if query {
                            BindingLocation::Query
                        } else {
                            BindingLocation::Body
                        },
                    })
                    .collect();
                let status = status
                    .as_ref()
                    .and_then(|s| u16::try_from(s.value).ok())
                    .unwrap_or(if has_output { 200 } else { 204 });
                t.http.push(HttpRoute {
                    method,
                    path,
                    status,
                    bindings,
                    span,
                });
            }
            TriggerKind::Event(e) => t.events.push(EventTrigger {
                event: e.value.clone(),
                span,
            }),
            TriggerKind::Cron { schedule, timezone } => t.crons.push(CronTrigger {
                schedule: schedule
                    .value
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
                timezone: timezone
                    .as_ref()
                    .map_or_else(|| "UTC".to_owned(), |z| z.value.clone()),
                // Named after sorting, below.
                name: String::new(),
                max_attempts: retry.attempts,
                missed: MissedTicks::Skip,
                span,
            }),
            TriggerKind::Queue {
                priority,
                max_attempts,
            } => {
                t.queue = Some(QueueTrigger {
                    priority: priority
                        .as_ref()
                        .and_then(|p| i32::try_from(p.value).ok())
                        .unwrap_or(0),
                    max_attempts: max_attempts
                        .as_ref()
                        .and_then(|p| u32::try_from(p.value).ok())
                        .or_else(|| a.retry.is_some().then_some(retry.attempts))
                        .unwrap_or(5)
                        .max(1),
                    kind: full_name.clone(),
                    // Claimed project-wide in `surface`.
                    enqueue_fn: String::new(),
                    span,
                })
            }
            TriggerKind::Webhook(w) => {
                let n = t.webhooks.len();
                let mut hook = webhook(base_path, module, &a.name.value, n, w, span);
                if hook.mode == WebhookMode::Queue {
                    hook.job = Some(WebhookJob {
                        kind: format!("{full_name}@webhook"),
                        max_attempts: if a.retry.is_some() { retry.attempts } else { 5 }.max(1),
                    });
                }
                t.webhooks.push(hook);
            }
            TriggerKind::Mcp { tool, description } => {
                t.mcp = Some(McpTrigger {
                    tool: tool
                        .as_ref()
                        .map_or_else(|| format!("{module}_{}", a.name.value), |t| t.value.clone()),
                    title: a.summary.clone(),
                    description: description
                        .clone()
                        .or_else(|| a.summary.clone())
                        .or_else(|| a.description.clone())
                        .unwrap_or_default(),
                    rust_static: format!(
                        "{}_{}_TOOL",
                        module.to_uppercase(),
                        a.name.value.to_uppercase()
                    ),
                    span,
                })
            }
        }
    }
    t.http
        .sort_by(|x, y| (&x.path, &x.method).cmp(&(&y.path, &y.method)));
    t.events.sort_by(|x, y| x.event.cmp(&y.event));
    t.crons
        .sort_by(|x, y| (&x.schedule, &x.timezone).cmp(&(&y.schedule, &y.timezone)));
    for (i, c) in t.crons.iter_mut().enumerate() {
        c.name = match i {
            0 => format!("{full_name}@cron"),
            n => format!("{full_name}@cron.{}", n + 1),
        };
    }
    t.webhooks.sort_by(|x, y| x.path.cmp(&y.path));
    t
}

/// Lowers the `n`th webhook trigger of action `action`: every default
/// filled (header names, prefix, encoding, a 5-minute tolerance, `sync`).
fn webhook(
    base_path: &str,
    module: &str,
    action: &str,
    n: usize,
    w: &ast::WebhookDecl,
    span: Span,
) -> WebhookTrigger {
    let text = |o: &Option<ast::Spanned<String>>| o.as_ref().map(|s| s.value.clone());
    let tolerance_secs = w
        .tolerance
        .as_ref()
        .and_then(|d| parse_duration(&d.value))
        .map_or(300, |ms| (ms / 1000).max(1));
    let scheme = match w.scheme.as_ref().map(|s| s.value.as_str()) {
        Some("stripe") => WebhookScheme::Stripe {
            header: text(&w.signature_header).unwrap_or_else(|| "Stripe-Signature".into()),
            tolerance_secs,
        },
        Some("standard-webhooks") => WebhookScheme::StandardWebhooks { tolerance_secs },
        _ => WebhookScheme::HmacSha256 {
            header: text(&w.signature_header).unwrap_or_else(|| "X-Signature".into()),
            prefix: text(&w.prefix).unwrap_or_default(),
            encoding: match w.encoding.as_ref().map(|e| e.value.as_str()) {
                Some("base64") => WebhookEncoding::Base64,
                _ => WebhookEncoding::Hex,
            },
            id_header: text(&w.id_header),
        },
    };
    let suffix = if n == 0 {
        String::new()
    } else {
        format!("_{}", n + 1)
    };
    WebhookTrigger {
        path: join_path(&[base_path, &w.path.value]),
        secret_env: w.secret_env.value.clone(),
        scheme,
        mode: match w.mode.as_ref().map(|m| m.value.as_str()) {
            Some("queue") => WebhookMode::Queue,
            _ => WebhookMode::Sync,
        },
        // Set by the caller, which knows the action's retry policy.
        job: None,
        rust_static: format!(
            "{}_{}_WEBHOOK{suffix}",
            module.to_uppercase(),
            action.to_uppercase()
        ),
        span,
    }
}

fn retry(r: Option<&ast::RetryDecl>) -> RetryPolicy {
    let mut p = RetryPolicy::default();
    let Some(r) = r else { return p };
    if let Some(a) = &r.attempts {
        p.attempts = u32::try_from(a.value).unwrap_or(1).max(1);
    }
    if let Some(b) = &r.backoff {
        p.backoff = if b.value == "fixed" {
            Backoff::Fixed
        } else {
            Backoff::Exponential
        };
    }
    if let Some(ms) = r.base.as_ref().and_then(|b| parse_duration(&b.value)) {
        p.base_ms = ms;
    }
    if let Some(ms) = r.max.as_ref().and_then(|b| parse_duration(&b.value)) {
        p.max_ms = ms;
    }
    p.max_ms = p.max_ms.max(p.base_ms);
    p
}
