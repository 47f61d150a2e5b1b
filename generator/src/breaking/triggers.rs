//! Trigger and guard rules: HTTP routes, webhooks, MCP tools, event subscriptions, cron schedules, queues and guards.
//!
//! Routes are matched with the base path and module prefix stripped (their
//! changes are reported once by their own rules) and with path parameter
//! names ignored (a renamed parameter is a field rename, not a new route).

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{Action, Guard, GuardKind, GuardSource, HttpRoute, Module, RateLimitKey, Span};

use super::Rule;
use super::differ::{At, Differ};

/// Compares every trigger kind of one action.
pub(crate) fn compare_triggers(
    d: &mut Differ<'_>,
    mo: &Module,
    mn: &Module,
    o: &Action,
    n: &Action,
) {
    compare_routes(d, mo, mn, o, n);
    compare_webhooks(d, o, n);
    compare_mcp(d, o, n);
    compare_event_triggers(d, o, n);
    compare_crons(d, o, n);
    compare_queue(d, o, n);
}

/// A route path relative to base path and module prefix.
fn relative(path: &str, base: &str, prefix: &str) -> String {
    let rest = path.strip_prefix(base).unwrap_or(path);
    let rest = rest.strip_prefix(prefix).unwrap_or(rest);
    if rest.is_empty() {
        "/".to_owned()
    } else {
        rest.to_owned()
    }
}

/// The path with every `{param}` name erased.
fn shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push('{');
            }
            '}' => {
                in_param = false;
                out.push('}');
            }
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

fn compare_routes(d: &mut Differ<'_>, mo: &Module, mn: &Module, o: &Action, n: &Action) {
    let full = &n.full_name;
    let key = |r: &HttpRoute, base: &str, prefix: &str| {
        (r.method.clone(), shape(&relative(&r.path, base, prefix)))
    };
    let ob = &d.old.project.base_path;
    let nb = &d.new.project.base_path;
    let old: BTreeMap<_, &HttpRoute> = o
        .triggers
        .http
        .iter()
        .map(|r| (key(r, ob, &mo.prefix), r))
        .collect();
    let new: BTreeMap<_, &HttpRoute> = n
        .triggers
        .http
        .iter()
        .map(|r| (key(r, nb, &mn.prefix), r))
        .collect();
    let mut gone = Vec::new();
    for (k, ro) in &old {
        match new.get(k) {
            Some(rn) => compare_route(d, full, ro, rn),
            None => gone.push(*ro),
        }
    }
    let fresh: Vec<&HttpRoute> = new
        .iter()
        .filter(|(k, _)| !old.contains_key(*k))
        .map(|(_, r)| *r)
        .collect();
    let mut fresh = fresh.into_iter();
    for ro in gone {
        let subject = format!("action/{full}/http/{} {}", ro.method, ro.path);
        match fresh.next() {
            Some(rn) => {
                d.push(
                    Rule::HttpRouteChanged,
                    subject,
                    format!(
                        "route `{} {}` of `{full}` became `{} {}`: clients calling the old route get 404 or 405",
                        ro.method, ro.path, rn.method, rn.path
                    ),
                    At::both(&ro.span, &rn.span),
                );
                compare_bindings(d, full, ro, rn);
            }
            None => d.push(
                Rule::HttpRouteRemoved,
                subject,
                format!(
                    "route `{} {}` of `{full}` was removed: clients calling it get 404 or 405",
                    ro.method, ro.path
                ),
                At::removed(&ro.span, Some(&n.span)),
            ),
        }
    }
    for rn in fresh {
        d.push(
            Rule::HttpRouteAdded,
            format!("action/{full}/http/{} {}", rn.method, rn.path),
            format!("`{full}` is reachable at `{} {}`", rn.method, rn.path),
            At::new(&rn.span),
        );
    }
}

fn compare_route(d: &mut Differ<'_>, full: &str, ro: &HttpRoute, rn: &HttpRoute) {
    let subject = format!("action/{full}/http/{} {}", ro.method, ro.path);
    let at = At::both(&ro.span, &rn.span);
    if ro.status != rn.status {
        d.push(
            Rule::HttpStatusChanged,
            format!("{subject}/status"),
            format!(
                "route `{} {}` answers {} instead of {} on success: clients checking the status misread it",
                rn.method, rn.path, rn.status, ro.status
            ),
            at.clone(),
        );
    }
    compare_bindings(d, full, ro, rn);
}

/// Reports input fields that moved between path, query string and body.
fn compare_bindings(d: &mut Differ<'_>, full: &str, ro: &HttpRoute, rn: &HttpRoute) {
    let subject = format!("action/{full}/http/{} {}", ro.method, ro.path);
    let at = At::both(&ro.span, &rn.span);
    for bo in &ro.bindings {
        let Some(bn) = rn.bindings.iter().find(|b| b.field == bo.field) else {
            continue;
        };
        if bo.location != bn.location {
            d.push(
                Rule::HttpParamLocationChanged,
                format!("{subject}/{}", bo.field),
                format!(
                    "field `{}` of `{} {}` moved from the {} to the {}: clients send it in the wrong place",
                    bo.field,
                    rn.method,
                    rn.path,
                    location_name(bo.location),
                    location_name(bn.location)
                ),
                at.clone(),
            );
        }
    }
}

fn location_name(l: crate::ir::BindingLocation) -> &'static str {
    match l {
        crate::ir::BindingLocation::Path => "path",
        crate::ir::BindingLocation::Query => "query string",
        crate::ir::BindingLocation::Body => "body",
    }
}

fn trigger_added(d: &mut Differ<'_>, full: &str, what: &str, key: &str, span: &Span) {
    d.push(
        Rule::TriggerAdded,
        format!("action/{full}/{key}"),
        format!("`{full}` gained a {what} trigger"),
        At::new(span),
    );
}

fn compare_webhooks(d: &mut Differ<'_>, o: &Action, n: &Action) {
    let full = &n.full_name;
    let (ob, nb) = (&d.old.project.base_path, &d.new.project.base_path);
    let strip = |p: &str, base: &str| p.strip_prefix(base).unwrap_or(p).to_owned();
    let old: BTreeMap<String, _> = o
        .triggers
        .webhooks
        .iter()
        .map(|w| (strip(&w.path, ob), w))
        .collect();
    let new: BTreeMap<String, _> = n
        .triggers
        .webhooks
        .iter()
        .map(|w| (strip(&w.path, nb), w))
        .collect();
    for (path, wo) in &old {
        let subject = format!("action/{full}/webhook {path}");
        let Some(wn) = new.get(path) else {
            d.push(
                Rule::WebhookRemoved,
                subject,
                format!(
                    "webhook `{}` of `{full}` was removed: deliveries from the sender fail",
                    wo.path
                ),
                At::removed(&wo.span, Some(&n.span)),
            );
            continue;
        };
        let at = At::both(&wo.span, &wn.span);
        if wo.scheme != wn.scheme {
            d.push(
                Rule::WebhookChanged,
                &subject,
                format!(
                    "webhook `{}` of `{full}` verifies signatures differently: deliveries signed the old way are rejected",
                    wn.path
                ),
                at.clone(),
            );
        }
        if wo.secret_env != wn.secret_env {
            d.push(
                Rule::WebhookSecretEnvChanged,
                format!("{subject}/secret_env"),
                format!(
                    "webhook `{}` reads its secret from `{}` instead of `{}`: set it before deploying",
                    wn.path, wn.secret_env, wo.secret_env
                ),
                at,
            );
        }
    }
    for (path, wn) in &new {
        if !old.contains_key(path) {
            trigger_added(d, full, "webhook", &format!("webhook {path}"), &wn.span);
        }
    }
}

fn compare_mcp(d: &mut Differ<'_>, o: &Action, n: &Action) {
    let full = &n.full_name;
    let subject = format!("action/{full}/mcp");
    match (&o.triggers.mcp, &n.triggers.mcp) {
        (Some(mo), None) => d.push(
            Rule::McpToolRemoved,
            subject,
            format!(
                "MCP tool `{}` of `{full}` was removed: agents using it fail",
                mo.tool
            ),
            At::removed(&mo.span, Some(&n.span)),
        ),
        (None, Some(mn)) => trigger_added(d, full, "MCP", "mcp", &mn.span),
        (Some(mo), Some(mn)) => {
            let at = At::both(&mo.span, &mn.span);
            if mo.tool != mn.tool {
                d.push(
                    Rule::McpToolRenamed,
                    &subject,
                    format!(
                        "MCP tool `{}` is now called `{}`: agents calling the old name fail",
                        mo.tool, mn.tool
                    ),
                    at.clone(),
                );
            }
            if mo.description != mn.description {
                d.push(
                    Rule::DocChanged,
                    &subject,
                    format!("the description of MCP tool `{}` changed", mn.tool),
                    at,
                );
            }
        }
        (None, None) => {}
    }
}

fn compare_event_triggers(d: &mut Differ<'_>, o: &Action, n: &Action) {
    let full = &n.full_name;
    for eo in &o.triggers.events {
        if !n.triggers.events.iter().any(|e| e.event == eo.event) {
            d.push(
                Rule::EventSubscriptionRemoved,
                format!("action/{full}/event/{}", eo.event),
                format!(
                    "`{full}` no longer runs on `{}`: publishers relying on it lose that effect",
                    eo.event
                ),
                At::removed(&eo.span, Some(&n.span)),
            );
        }
    }
    for en in &n.triggers.events {
        if !o.triggers.events.iter().any(|e| e.event == en.event) {
            trigger_added(
                d,
                full,
                &format!("`{}` event", en.event),
                &format!("event/{}", en.event),
                &en.span,
            );
        }
    }
}

fn compare_crons(d: &mut Differ<'_>, o: &Action, n: &Action) {
    let full = &n.full_name;
    let key = |c: &crate::ir::CronTrigger| format!("{} {}", c.schedule, c.timezone);
    let gone: Vec<_> = o
        .triggers
        .crons
        .iter()
        .filter(|c| !n.triggers.crons.iter().any(|x| key(x) == key(c)))
        .collect();
    let fresh: Vec<_> = n
        .triggers
        .crons
        .iter()
        .filter(|c| !o.triggers.crons.iter().any(|x| key(x) == key(c)))
        .collect();
    let mut fresh = fresh.into_iter();
    for co in gone {
        let subject = format!("action/{full}/cron {}", key(co));
        match fresh.next() {
            Some(cn) => d.push(
                Rule::CronChanged,
                subject,
                format!("`{full}` runs on `{}` instead of `{}`", key(cn), key(co)),
                At::both(&co.span, &cn.span),
            ),
            None => d.push(
                Rule::CronRemoved,
                subject,
                format!("`{full}` no longer runs on schedule `{}`", key(co)),
                At::removed(&co.span, Some(&n.span)),
            ),
        }
    }
    for cn in fresh {
        trigger_added(d, full, "cron", &format!("cron {}", key(cn)), &cn.span);
    }
}

fn compare_queue(d: &mut Differ<'_>, o: &Action, n: &Action) {
    let full = &n.full_name;
    let subject = format!("action/{full}/queue");
    match (&o.triggers.queue, &n.triggers.queue) {
        (Some(qo), None) => d.push(
            Rule::JobRemoved,
            subject,
            format!("`{full}` can no longer be enqueued: producers fail and jobs already queued are never run"),
            At::removed(&qo.span, Some(&n.span)),
        ),
        (None, Some(qn)) => trigger_added(d, full, "queue", "queue", &qn.span),
        (Some(qo), Some(qn)) if qo.priority != qn.priority || qo.max_attempts != qn.max_attempts => d.push(
            Rule::JobSettingsChanged,
            subject,
            format!(
                "job `{full}` now has priority {} and {} attempts (was {} and {})",
                qn.priority, qn.max_attempts, qo.priority, qo.max_attempts
            ),
            At::both(&qo.span, &qn.span),
        ),
        _ => {}
    }
}

/// The guard labels whose module-level change was already reported, so
/// actions do not repeat it.
#[derive(Debug, Default)]
pub(crate) struct ModuleGuardChanges {
    labels: BTreeSet<String>,
}

/// A stable label for a guard (`has_role(admin)`, `rate_limit(ip)`).
fn label(g: &GuardKind) -> String {
    match g {
        GuardKind::Authenticated => "authenticated".into(),
        GuardKind::HasRole { role } => format!("has_role({role})"),
        GuardKind::HasPermission { permission } => format!("has_permission({permission})"),
        GuardKind::RateLimit { key, .. } => match key {
            RateLimitKey::Ip => "rate_limit(ip)".into(),
            RateLimitKey::User => "rate_limit(user)".into(),
        },
        GuardKind::InOrg => "in_org".into(),
        GuardKind::HasFeature { feature } => format!("has_feature({feature})"),
        GuardKind::TrialActiveOrPaid => "trial_active_or_paid".into(),
        GuardKind::Custom { name, .. } => format!("custom({name})"),
    }
}

/// Compares module-level guards; returns the labels it reported.
pub(crate) fn compare_module_guards(
    d: &mut Differ<'_>,
    mo: &Module,
    mn: &Module,
) -> ModuleGuardChanges {
    let old: Vec<&Guard> = mo.guards.iter().collect();
    let new: Vec<&Guard> = mn.guards.iter().collect();
    // Actions that already required a principal are not locked out anew.
    let was_private = !mo.actions.is_empty()
        && mo
            .actions
            .values()
            .all(|a| a.guards.iter().any(|g| g.kind.needs_principal()));
    let what = format!("every action of module `{}`", mn.name);
    let labels = compare_guards(
        d,
        &old,
        &new,
        &format!("module/{}/guards", mn.name),
        &what,
        was_private,
        &mn.span,
    );
    ModuleGuardChanges { labels }
}

/// Compares an action's effective guards, leaving out module guards whose
/// change was reported at module level.
pub(crate) fn compare_action_guards(
    d: &mut Differ<'_>,
    o: &Action,
    n: &Action,
    module: &ModuleGuardChanges,
) {
    let keep =
        |g: &&Guard| !(g.source == GuardSource::Module && module.labels.contains(&label(&g.kind)));
    let old: Vec<&Guard> = o.guards.iter().filter(keep).collect();
    let new: Vec<&Guard> = n.guards.iter().filter(keep).collect();
    let was_private = o.guards.iter().any(|g| g.kind.needs_principal());
    let what = format!("`{}`", n.full_name);
    compare_guards(
        d,
        &old,
        &new,
        &format!("action/{}/guards", n.full_name),
        &what,
        was_private,
        &n.span,
    );
}

/// Reports guard changes between two lists; returns the labels that changed.
fn compare_guards(
    d: &mut Differ<'_>,
    old: &[&Guard],
    new: &[&Guard],
    base: &str,
    what: &str,
    was_private: bool,
    parent: &Span,
) -> BTreeSet<String> {
    let old_by: BTreeMap<String, &Guard> = old.iter().map(|g| (label(&g.kind), *g)).collect();
    let new_by: BTreeMap<String, &Guard> = new.iter().map(|g| (label(&g.kind), *g)).collect();
    let mut changed = BTreeSet::new();
    for (l, gn) in &new_by {
        let at = At::new(&gn.span);
        let subject = format!("{base}/{l}");
        match (old_by.get(l), &gn.kind) {
            (
                None,
                GuardKind::RateLimit {
                    limit, window_ms, ..
                },
            ) => {
                changed.insert(l.clone());
                d.push(
                    Rule::RateLimitTightened,
                    subject,
                    format!("{what} is now rate limited ({limit} per {window_ms} ms): busy clients get 429"),
                    at,
                );
            }
            (None, kind) if kind.needs_principal() && !was_private => {
                changed.insert(l.clone());
                d.push(
                    Rule::GuardAuthAdded,
                    subject,
                    format!("{what} now requires `{l}`: anonymous callers get 401"),
                    at,
                );
            }
            (None, GuardKind::Authenticated) => {}
            (None, _) => {
                changed.insert(l.clone());
                d.push(
                    Rule::GuardAdded,
                    subject,
                    format!("{what} now requires `{l}`: callers without it get 403"),
                    at,
                );
            }
            (
                Some(go),
                GuardKind::RateLimit {
                    limit: ln,
                    window_ms: wn,
                    ..
                },
            ) => {
                let GuardKind::RateLimit {
                    limit: lo,
                    window_ms: wo,
                    ..
                } = &go.kind
                else {
                    continue;
                };
                // Compare allowed rates lo/wo and ln/wn without dividing.
                let (old_rate, new_rate) = (
                    u128::from(*lo) * u128::from(*wn),
                    u128::from(*ln) * u128::from(*wo),
                );
                if new_rate == old_rate {
                    continue;
                }
                changed.insert(l.clone());
                let change = format!(
                    "the rate limit of {what} went from {lo} per {wo} ms to {ln} per {wn} ms"
                );
                let at = At::both(&go.span, &gn.span);
                if new_rate < old_rate {
                    d.push(
                        Rule::RateLimitTightened,
                        subject,
                        format!("{change}: busy clients get 429 sooner"),
                        at,
                    );
                } else {
                    d.push(
                        Rule::GuardRemoved,
                        subject,
                        format!("{change}: access widened"),
                        at,
                    );
                }
            }
            (Some(_), _) => {}
        }
    }
    for (l, go) in &old_by {
        if !new_by.contains_key(l) {
            changed.insert(l.clone());
            d.push(
                Rule::GuardRemoved,
                format!("{base}/{l}"),
                format!(
                    "{what} no longer requires `{l}`: access widened, review that this is intended"
                ),
                At::removed(&go.span, Some(parent)),
            );
        }
    }
    changed
}
