//! Action rules: errors, guards, retry, emits and every trigger other than routing (which [`super::routes`] checks across the project).

use std::collections::HashMap;
use std::str::FromStr;

use crate::diag::{self, Diagnostic};
use crate::ir::{Span, TypeRef};
use crate::naming;
use crate::parse::ast::*;
use crate::resolve::symbols::{Body, Symbols};
use crate::resolve::values::{CLIENT_ERRORS, framework_status, parse_duration};

/// Checks every action of module `m`.
pub fn module(
    m: &ModuleDecl,
    symbols: &Symbols<'_>,
    mcp_tools: &mut HashMap<String, Span>,
    diags: &mut Vec<Diagnostic>,
) {
    guards(&m.guards, diags);
    for a in &m.actions {
        action(m, a, symbols, mcp_tools, diags);
    }
}

fn action(
    m: &ModuleDecl,
    a: &ActionDecl,
    symbols: &Symbols<'_>,
    mcp_tools: &mut HashMap<String, Span>,
    diags: &mut Vec<Diagnostic>,
) {
    errors(a, diags);
    guards(&a.guards, diags);
    if let Some(r) = &a.retry {
        retry(r, diags);
    }
    for e in &a.emits {
        if !symbols.events.contains_key(&e.value) {
            diags.push(
                Diagnostic::error(
                    "E0311",
                    &e.span,
                    format!(
                        "action `{}` emits unknown event `{}`",
                        a.name.value, e.value
                    ),
                )
                .with_opt_hint(diag::did_you_mean(
                    &e.value,
                    symbols.events.keys().map(String::as_str),
                )),
            );
        }
    }
    if let Some(d) = &a.deprecated
        && d.value.as_deref().is_none_or(|n| n.trim().is_empty())
    {
        diags.push(
            Diagnostic::warning(
                "W0002",
                &d.span,
                format!(
                    "action `{}` is deprecated with no replacement noted",
                    a.name.value
                ),
            )
            .with_hint("write what to use instead: `deprecated: \"use list_tasks\"`"),
        );
    }
    if a.triggers.is_empty() && !a.triggers_declared {
        diags.push(
            Diagnostic::warning("W0004", &a.name.span, format!("action `{}` has no trigger, so nothing can run it", a.name.value))
                .with_hint("add a trigger: `triggers: [{ api: \"POST /path\" }]`, an event, a cron, a queue, a webhook or mcp"),
        );
    }
    let input_fields = input_field_count(m, a, symbols);
    let mut seen_queue = false;
    let mut seen_mcp = false;
    for t in &a.triggers {
        match &t.kind {
            TriggerKind::Api { .. } | TriggerKind::Webhook { .. } => {}
            TriggerKind::Cron { schedule, timezone } => {
                cron(schedule, diags);
                if let Some(tz) = timezone
                    && chrono_tz::Tz::from_str(&tz.value).is_err()
                {
                    diags.push(
                        Diagnostic::error(
                            "E0309",
                            &tz.span,
                            format!("unknown time zone `{}`", tz.value),
                        )
                        .with_hint(
                            diag::did_you_mean(
                                &tz.value,
                                chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()),
                            )
                            .unwrap_or_else(|| {
                                "use an IANA name such as `Europe/Berlin` or `UTC`".to_owned()
                            }),
                        ),
                    );
                }
                if input_fields.is_some_and(|n| n > 0) {
                    diags.push(
                        Diagnostic::error(
                            "E0307",
                            &t.span,
                            format!(
                                "action `{}` has a cron trigger but takes input",
                                a.name.value
                            ),
                        )
                        .with_hint(
                            "a schedule has no input to give: remove the input or the cron trigger",
                        ),
                    );
                }
            }
            TriggerKind::Event(ev) => event_trigger(m, a, ev, symbols, diags),
            TriggerKind::Queue {
                priority,
                max_attempts,
            } => {
                if std::mem::replace(&mut seen_queue, true) {
                    diags.push(Diagnostic::error(
                        "E0316",
                        &t.span,
                        format!("action `{}` has two queue triggers", a.name.value),
                    ));
                }
                if let Some(p) = priority
                    && i32::try_from(p.value).is_err()
                {
                    diags.push(Diagnostic::error(
                        "E0603",
                        &p.span,
                        "`priority` must fit in a 32-bit integer",
                    ));
                }
                if let Some(n) = max_attempts
                    && (n.value < 1 || u32::try_from(n.value).is_err())
                {
                    diags.push(Diagnostic::error(
                        "E0603",
                        &n.span,
                        "`max_attempts` must be 1 or more",
                    ));
                }
            }
            TriggerKind::Mcp { tool, description } => {
                if std::mem::replace(&mut seen_mcp, true) {
                    diags.push(Diagnostic::error(
                        "E0316",
                        &t.span,
                        format!("action `{}` has two mcp triggers", a.name.value),
                    ));
                }
                if description.is_none() && a.summary.is_none() && a.description.is_none() {
                    diags.push(
                        Diagnostic::error(
                            "E0317",
                            &t.span,
                            format!("the MCP tool of action `{}` has no description", a.name.value),
                        )
                        .with_hint(
                            "add `description:` to the trigger or a `summary:` to the action; models pick tools by it",
                        ),
                    );
                }
                let name = tool.as_ref().map_or_else(
                    || format!("{}_{}", m.name.value, a.name.value),
                    |t| t.value.clone(),
                );
                let span = tool
                    .as_ref()
                    .map_or_else(|| t.span.clone(), |t| t.span.clone());
                let valid = !name.is_empty()
                    && name.len() <= 64
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c));
                if !valid {
                    diags.push(
                        Diagnostic::error(
                            "E0317",
                            &span,
                            format!("invalid MCP tool name `{name}`"),
                        )
                        .with_hint("use letters, digits, `_` or `-`, at most 64 characters"),
                    );
                } else if let Some(first) = mcp_tools.insert(name.clone(), span.clone()) {
                    diags.push(
                        Diagnostic::error(
                            "E0316",
                            &span,
                            format!("MCP tool `{name}` is defined twice"),
                        )
                        .with_hint(format!(
                            "also defined in {} line {}",
                            first.file, first.line
                        )),
                    );
                }
            }
        }
    }
}

/// The number of fields of the action's input (`None` without input; json
/// input counts as one field).
fn input_field_count(m: &ModuleDecl, a: &ActionDecl, symbols: &Symbols<'_>) -> Option<usize> {
    let module = m.name.value.as_str();
    match a.input.as_ref()? {
        Shape::Inline { fields, .. } => Some(fields.len()),
        Shape::Ref(e) if e.kind == TypeExprKind::Prim(Prim::Json) => Some(1),
        Shape::Ref(e) => match symbols.resolve(module, e, &mut Vec::new()) {
            Some(TypeRef::Named { name, .. }) => match symbols.by_name(&name).map(|t| t.body) {
                Some(Body::Object(f)) => Some(f.len()),
                _ => Some(1),
            },
            _ => Some(1),
        },
    }
}

fn event_trigger(
    m: &ModuleDecl,
    a: &ActionDecl,
    ev: &Spanned<String>,
    symbols: &Symbols<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    if !symbols.events.contains_key(&ev.value) {
        diags.push(
            Diagnostic::error("E0311", &ev.span, format!("unknown event `{}`", ev.value))
                .with_opt_hint(diag::did_you_mean(
                    &ev.value,
                    symbols.events.keys().map(String::as_str),
                )),
        );
        return;
    }
    let Some(payload) = symbols.payload_of(&ev.value) else {
        return;
    };
    let input = match &a.input {
        Some(Shape::Ref(e)) => match symbols.resolve(&m.name.value, e, &mut Vec::new()) {
            // An input that does not resolve is reported where it is
            // resolved; saying it is not the payload too would be noise.
            None => return,
            resolved => resolved,
        },
        _ => None,
    };
    let matches = matches!(&input, Some(TypeRef::Named { name, .. }) if *name == payload.name);
    if !matches {
        let span = a
            .input
            .as_ref()
            .map_or_else(|| ev.span.clone(), |s| s.span().clone());
        diags.push(
            Diagnostic::error(
                "E0310",
                &span,
                format!(
                    "action `{}` is triggered by event `{}` but its input is not the event's payload",
                    a.name.value, ev.value
                ),
            )
            .with_hint(format!("write `input: {}`", ev.value)),
        );
    }
}

fn cron(schedule: &Spanned<String>, diags: &mut Vec<Diagnostic>) {
    let fields = schedule.value.split_whitespace().count();
    let parsed = croner::Cron::from_str(&schedule.value);
    if !(5..=6).contains(&fields) || parsed.is_err() {
        let why = match parsed {
            Err(e) => format!(": {e}"),
            Ok(_) => format!(": it has {fields} fields"),
        };
        diags.push(
            Diagnostic::error(
                "E0308",
                &schedule.span,
                format!("invalid cron expression `{}`{why}", schedule.value),
            )
            .with_hint("five fields (minute hour day month weekday), or six with seconds first: `0 8 * * *`"),
        );
    }
}

fn errors(a: &ActionDecl, diags: &mut Vec<Diagnostic>) {
    for e in &a.errors {
        let code = e.code.value.as_str();
        if CLIENT_ERRORS.contains(&code) {
            diags.push(
                Diagnostic::error(
                    "E0403",
                    &e.code.span,
                    format!("error code `{code}` is reserved by the TypeScript client"),
                )
                .with_hint(format!(
                    "the client reports its own failures as {}; choose another code",
                    CLIENT_ERRORS.join(", ")
                )),
            );
        }
        let Some(status) = &e.status else { continue };
        if !(400..=599).contains(&status.value) {
            diags.push(
                Diagnostic::error(
                    "E0401",
                    &status.span,
                    format!(
                        "error `{code}` has status {}, not an error status",
                        status.value
                    ),
                )
                .with_hint("errors answer with a 4xx or 5xx status"),
            );
        }
        if let Some(implicit) = framework_status(code)
            && i64::from(implicit) != status.value
        {
            diags.push(
                    Diagnostic::error(
                        "E0402",
                        &status.span,
                        format!(
                            "error `{code}` is the framework's, with status {implicit}; it cannot be declared with {}",
                            status.value
                        ),
                    )
                    .with_hint(format!("use status {implicit}, or another code")),
                );
        }
    }
}

/// Checks guard arguments.
pub fn guards(guards: &[GuardDecl], diags: &mut Vec<Diagnostic>) {
    for g in guards {
        match &g.kind {
            GuardDeclKind::HasRole(s) | GuardDeclKind::HasFeature(s) => {
                if s.value.trim().is_empty() {
                    diags.push(Diagnostic::error(
                        "E0502",
                        &s.span,
                        "the guard's argument is empty",
                    ));
                }
            }
            GuardDeclKind::HasPermission(p) => {
                let ok = p
                    .value
                    .split_once(':')
                    .is_some_and(|(r, v)| !r.is_empty() && !v.is_empty() && !v.contains(':'));
                if !ok && p.value != "*" {
                    diags.push(
                        Diagnostic::error(
                            "E0502",
                            &p.span,
                            format!("permission `{}` is not `resource:verb`", p.value),
                        )
                        .with_hint(
                            "write e.g. `tasks:create`; `*` works as a wildcard on either side",
                        ),
                    );
                }
            }
            GuardDeclKind::Custom(n) => {
                if !naming::is_snake_case(&n.value) {
                    diags.push(
                        Diagnostic::error(
                            "E0502",
                            &n.span,
                            format!("custom guard name `{}` is not snake_case", n.value),
                        )
                        .with_hint(format!("write `{}`", naming::snake(&n.value))),
                    );
                }
            }
            GuardDeclKind::RateLimit { limit, window, key } => {
                if limit.value < 1 || u32::try_from(limit.value).is_err() {
                    diags.push(Diagnostic::error(
                        "E0502",
                        &limit.span,
                        "a rate limit's `limit` must be 1 or more",
                    ));
                }
                duration(window, diags);
                if let Some(k) = key
                    && k.value != "ip"
                    && k.value != "user"
                {
                    diags.push(
                        Diagnostic::error(
                            "E0502",
                            &k.span,
                            format!("unknown rate limit key `{}`", k.value),
                        )
                        .with_hint("`ip` or `user`"),
                    );
                }
            }
            GuardDeclKind::Authenticated
            | GuardDeclKind::InOrg
            | GuardDeclKind::TrialActiveOrPaid => {}
        }
    }
}

fn duration(d: &Spanned<String>, diags: &mut Vec<Diagnostic>) -> Option<u64> {
    let ms = parse_duration(&d.value);
    match ms {
        Some(0) | None => {
            diags.push(
                Diagnostic::error("E0601", &d.span, format!("invalid duration `{}`", d.value))
                    .with_hint("a positive number with a unit: `250ms`, `30s`, `5m`, `2h`, `7d`"),
            );
            None
        }
        Some(ms) => Some(ms),
    }
}

fn retry(r: &RetryDecl, diags: &mut Vec<Diagnostic>) {
    if let Some(a) = &r.attempts
        && (a.value < 1 || u32::try_from(a.value).is_err())
    {
        diags.push(
            Diagnostic::error("E0602", &a.span, "`attempts` must be 1 or more")
                .with_hint("attempts counts the first try: `1` means no retry"),
        );
    }
    if let Some(b) = &r.backoff
        && b.value != "exponential"
        && b.value != "fixed"
    {
        diags.push(
            Diagnostic::error("E0602", &b.span, format!("unknown backoff `{}`", b.value))
                .with_hint(
                    diag::did_you_mean(&b.value, ["exponential", "fixed"])
                        .unwrap_or_else(|| "`exponential` or `fixed`".into()),
                ),
        );
    }
    let base = r.base.as_ref().and_then(|b| duration(b, diags));
    let max = r.max.as_ref().and_then(|m| duration(m, diags));
    if let (Some(b), Some(m), Some(span)) = (base, max, r.base.as_ref().map(|b| &b.span))
        && b > m
    {
        diags.push(
            Diagnostic::error("E0602", span, "`base` is longer than `max`")
                .with_hint("the first delay cannot exceed the cap"),
        );
    }
}
