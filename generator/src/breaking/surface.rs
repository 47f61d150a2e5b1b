//! Surface rules: the project file, modules, actions (lifecycle, input and output roots, errors), events and declared types.
//!
//! This is the entry of a comparison: it walks modules and actions, hands
//! triggers and guards to [`super::triggers`], and queues each position's
//! root types for [`super::schema`], which runs last.

use std::collections::BTreeSet;

use crate::ir::{Action, Module, OutputType, TypeKind, TypeOrigin, TypeRef};

use super::Rule;
use super::differ::{At, Differ, Dir};
use super::schema;
use super::triggers;

/// Compares everything, then drains the queue of type pairs.
pub(crate) fn compare_project(d: &mut Differ<'_>) {
    let (old, new) = (&d.old.project, &d.new.project);
    let at = At::both(&old.span, &new.span);
    if old.base_path != new.base_path {
        d.push(
            Rule::BasePathChanged,
            "project/base_path",
            format!(
                "the base path changed from `{}` to `{}`: every HTTP route moved",
                display_path(&old.base_path),
                display_path(&new.base_path)
            ),
            at.clone(),
        );
    }
    if old.name != new.name {
        d.push(
            Rule::ProjectRenamed,
            "project/name",
            format!(
                "the project was renamed from `{}` to `{}`: generated crate names change",
                old.name, new.name
            ),
            at.clone(),
        );
    }
    if old.sdk_package != new.sdk_package {
        d.push(
            Rule::SdkPackageChanged,
            "project/sdk_package",
            format!(
                "the SDK package changed from `{}` to `{}`: clients must change their dependency",
                old.sdk_package, new.sdk_package
            ),
            at.clone(),
        );
    }
    // A title that defaults to the project name follows a rename silently.
    let title_changed = old.title != new.title && (old.title != old.name || new.title != new.name);
    if title_changed || old.description != new.description {
        d.push(
            Rule::DocChanged,
            "project",
            "the project title or description changed",
            at,
        );
    }
    compare_modules(d);
    compare_events(d);
    compare_declared_types(d);
    schema::drain(d);
}

/// `/` for the empty base path.
fn display_path(p: &str) -> &str {
    if p.is_empty() { "/" } else { p }
}

fn compare_modules(d: &mut Differ<'_>) {
    let (old, new) = (d.old, d.new);
    for (name, mo) in &old.modules {
        let Some(mn) = new.modules.get(name) else {
            let actions: Vec<&str> = mo.actions.keys().map(String::as_str).collect();
            d.push(
                Rule::ModuleRemoved,
                format!("module/{name}"),
                format!(
                    "module `{name}` was removed with its actions ({})",
                    actions.join(", ")
                ),
                At::removed(&mo.span, None),
            );
            continue;
        };
        compare_module(d, mo, mn);
    }
    for (name, mn) in &new.modules {
        if !old.modules.contains_key(name) {
            d.push(
                Rule::ModuleAdded,
                format!("module/{name}"),
                format!("module `{name}` was added"),
                At::new(&mn.span),
            );
        }
    }
}

fn compare_module(d: &mut Differ<'_>, mo: &Module, mn: &Module) {
    let name = &mn.name;
    let subject = format!("module/{name}");
    let has_routes = mo.actions.values().any(|a| !a.triggers.http.is_empty());
    if mo.prefix != mn.prefix && has_routes {
        d.push(
            Rule::ModulePrefixChanged,
            format!("{subject}/prefix"),
            format!(
                "the prefix of module `{name}` changed from `{}` to `{}`: its routes moved",
                display_path(&mo.prefix),
                display_path(&mn.prefix)
            ),
            At::both(&mo.span, &mn.span),
        );
    }
    if mo.description != mn.description {
        d.push(
            Rule::DocChanged,
            &subject,
            format!("the description of module `{name}` changed"),
            At::new(&mn.span),
        );
    }
    let module_guard_changes = triggers::compare_module_guards(d, mo, mn);
    for (aname, ao) in &mo.actions {
        let Some(an) = mn.actions.get(aname) else {
            let (rule, why) = match &ao.deprecated {
                Some(_) => (
                    Rule::ActionRemovedAfterDeprecation,
                    "it was deprecated, but callers that ignored the notice break",
                ),
                None => (Rule::ActionRemoved, "callers get 404"),
            };
            d.push(
                rule,
                format!("action/{}", ao.full_name),
                format!("action `{}` was removed: {why}", ao.full_name),
                At::removed(&ao.span, Some(&mn.span)),
            );
            continue;
        };
        compare_action(d, mo, mn, ao, an);
        triggers::compare_action_guards(d, ao, an, &module_guard_changes);
    }
    for (aname, an) in &mn.actions {
        if !mo.actions.contains_key(aname) {
            d.push(
                Rule::ActionAdded,
                format!("action/{}", an.full_name),
                format!("action `{}` was added", an.full_name),
                At::new(&an.span),
            );
        }
    }
}

fn compare_action(d: &mut Differ<'_>, mo: &Module, mn: &Module, o: &Action, n: &Action) {
    let full = &n.full_name;
    let subject = format!("action/{full}");
    let at = || At::both(&o.span, &n.span);
    match (&o.deprecated, &n.deprecated) {
        (None, Some(dep)) => {
            let note = dep
                .note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            d.push(
                Rule::ActionDeprecated,
                &subject,
                format!("action `{full}` is now deprecated{note}"),
                At::new(&n.span),
            );
        }
        (Some(_), None) => d.push(
            Rule::ActionDeprecationRemoved,
            &subject,
            format!("action `{full}` is no longer deprecated"),
            At::new(&n.span),
        ),
        _ => {}
    }
    if o.summary != n.summary || o.description != n.description {
        d.push(
            Rule::DocChanged,
            &subject,
            format!("the summary or description of `{full}` changed"),
            At::new(&n.span),
        );
    }
    compare_input(d, o, n);
    compare_output(d, o, n);
    compare_errors(d, o, n);
    if o.retry != n.retry {
        d.push(
            Rule::ActionRetryChanged,
            format!("{subject}/retry"),
            format!(
                "the retry policy of `{full}` changed from {} attempts to {}",
                o.retry.attempts, n.retry.attempts
            ),
            at(),
        );
    }
    let (eo, en): (BTreeSet<&String>, BTreeSet<&String>) =
        (o.emits.iter().collect(), n.emits.iter().collect());
    for event in eo.difference(&en) {
        d.push(
            Rule::ActionEmitRemoved,
            format!("{subject}/emits/{event}"),
            format!("`{full}` no longer publishes `{event}`: its subscribers stop running after this action"),
            at(),
        );
    }
    for event in en.difference(&eo) {
        d.push(
            Rule::ActionEmitAdded,
            format!("{subject}/emits/{event}"),
            format!("`{full}` may now publish `{event}`"),
            At::new(&n.span),
        );
    }
    triggers::compare_triggers(d, mo, mn, o, n);
}

/// The directions an action's input is judged in, with position labels, from
/// the IR's [`crate::ir::Audience`] on both sides: `In` when clients build it
/// (`clients`), both ways when it is a stored job (`jobs`: new workers read
/// old jobs and old workers new ones).
fn input_positions(o: &Action, n: &Action) -> Vec<(Dir, String)> {
    let full = &n.full_name;
    let mut out = Vec::new();
    if o.audience.clients && n.audience.clients {
        out.push((Dir::In, format!("input of {full}")));
    }
    if o.audience.jobs && n.audience.jobs {
        out.push((Dir::In, format!("job {full}")));
        out.push((Dir::Out, format!("job {full}")));
    }
    out
}

fn compare_input(d: &mut Differ<'_>, o: &Action, n: &Action) {
    let full = &n.full_name;
    let positions = input_positions(o, n);
    if o.input_json || n.input_json {
        // `input: json` takes any value: moving to or from it widens or
        // narrows the whole input.
        let as_ref = |a: &Action| match (&a.input, a.input_json) {
            (_, true) => Some(TypeRef::Json),
            (Some(name), false) => Some(TypeRef::Named {
                name: name.clone(),
                boxed: false,
            }),
            (None, false) => None,
        };
        if let (Some(a), Some(b)) = (as_ref(o), as_ref(n)) {
            let at = At::both(&o.span, &n.span);
            for (dir, label) in positions {
                let what = format!("the input of `{full}`");
                schema::compare_ref(
                    d,
                    &a,
                    &b,
                    dir,
                    &format!("action/{full}/input"),
                    &what,
                    at.clone(),
                    Some(&label),
                );
            }
        }
        return;
    }
    match (&o.input, &n.input) {
        (Some(a), Some(b)) => {
            if a != b && !positions.is_empty() {
                d.push(
                    Rule::ActionInputTypeReplaced,
                    format!("action/{full}/input"),
                    format!("the input of `{full}` is now `{b}` instead of `{a}`: SDK code naming the old type breaks"),
                    At::both(&o.span, &n.span),
                );
            }
            for (dir, label) in positions {
                d.reach(a, b, dir, Some(&label));
            }
        }
        (None, Some(b)) => {
            let new = d.new;
            let Some(ty) = new.types.get(b) else { return };
            let TypeKind::Object { fields } = &ty.kind else {
                return;
            };
            for (dir, _) in positions {
                schema::compare_fields(d, ty, &[], fields, dir);
            }
        }
        (Some(a), None) => {
            let old = d.old;
            let Some(ty) = old.types.get(a) else { return };
            let TypeKind::Object { fields } = &ty.kind else {
                return;
            };
            if positions.is_empty() || fields.is_empty() {
                return;
            }
            for f in fields {
                d.push(
                    Rule::InputFieldRemoved,
                    format!("type/{a}/{}", f.name),
                    format!(
                        "`{full}` no longer takes input, so field `{}` is no longer accepted",
                        f.name
                    ),
                    At::removed(&f.span, Some(&n.span)),
                );
            }
        }
        (None, None) => {}
    }
}

fn output_ref(o: &OutputType) -> TypeRef {
    match o {
        OutputType::Named { name } => TypeRef::Named {
            name: name.clone(),
            boxed: false,
        },
        OutputType::Expr { ty } => ty.clone(),
    }
}

/// Compares outputs of actions whose output clients read
/// ([`crate::ir::Audience::clients`]); cron, event and queue runs only record
/// theirs.
fn compare_output(d: &mut Differ<'_>, o: &Action, n: &Action) {
    if !(o.audience.clients && n.audience.clients) {
        return;
    }
    let full = &n.full_name;
    let subject = format!("action/{full}/output");
    let at = At::both(&o.span, &n.span);
    match (&o.output, &n.output) {
        (Some(a), Some(b)) => {
            if let (OutputType::Named { name: a }, OutputType::Named { name: b }) = (a, b)
                && a != b
            {
                d.push(
                    Rule::ActionOutputTypeReplaced,
                    &subject,
                    format!("the output of `{full}` is now `{b}` instead of `{a}`: SDK code naming the old type breaks"),
                    at.clone(),
                );
            }
            let label = format!("output of {full}");
            let what = format!("the output of `{full}`");
            schema::compare_ref(
                d,
                &output_ref(a),
                &output_ref(b),
                Dir::Out,
                &subject,
                &what,
                at,
                Some(&label),
            );
        }
        (Some(_), None) => d.push(
            Rule::ActionOutputRemoved,
            &subject,
            format!("`{full}` no longer returns output: clients reading it get nothing"),
            at,
        ),
        (None, Some(_)) => d.push(
            Rule::ActionOutputAdded,
            &subject,
            format!("`{full}` now returns output"),
            at,
        ),
        (None, None) => {}
    }
}

/// Compares the actions' exact error sets (`Action::errors`): every code the
/// SDK types is a union member, so one leaving the set breaks code matching
/// it and one joining it may go unhandled, declared or implicit alike.
fn compare_errors(d: &mut Differ<'_>, o: &Action, n: &Action) {
    let full = &n.full_name;
    for eo in &o.errors {
        let subject = format!("action/{full}/errors/{}", eo.code);
        match n.errors.iter().find(|e| e.code == eo.code) {
            None => d.push(
                Rule::ActionErrorRemoved,
                subject,
                if eo.implicit {
                    format!(
                        "`{full}` can no longer answer `{}`: SDK code matching it stops compiling",
                        eo.code
                    )
                } else {
                    format!(
                        "`{full}` no longer declares error `{}`: SDK code matching it stops compiling",
                        eo.code
                    )
                },
                if eo.implicit {
                    At::both(&o.span, &n.span)
                } else {
                    At::removed(&eo.span, Some(&n.span))
                },
            ),
            Some(en) => {
                let at = At::both(&eo.span, &en.span);
                if eo.status != en.status {
                    d.push(
                        Rule::ActionErrorStatusChanged,
                        &subject,
                        format!(
                            "error `{}` of `{full}` answers {} instead of {}: clients branching on the status misread it",
                            eo.code, en.status, eo.status
                        ),
                        at.clone(),
                    );
                }
                if !eo.implicit && !en.implicit && eo.message != en.message {
                    d.push(
                        Rule::DocChanged,
                        &subject,
                        format!("the message of error `{}` of `{full}` changed", eo.code),
                        at,
                    );
                }
            }
        }
    }
    for en in &n.errors {
        if !o.errors.iter().any(|e| e.code == en.code) {
            d.push(
                Rule::ActionErrorAdded,
                format!("action/{full}/errors/{}", en.code),
                format!(
                    "`{full}` may now answer error `{}` ({}): clients may not handle it",
                    en.code, en.status
                ),
                if en.implicit {
                    At::new(&n.span)
                } else {
                    At::new(&en.span)
                },
            );
        }
    }
}

fn compare_events(d: &mut Differ<'_>) {
    let (old, new) = (d.old, d.new);
    for (name, eo) in &old.events {
        let subject = format!("event/{name}");
        let Some(en) = new.events.get(name) else {
            d.push(
                Rule::EventRemoved,
                subject,
                format!("event `{name}` was removed: its subscribers never run again"),
                At::removed(&eo.span, new.modules.get(&eo.module).map(|m| &m.span)),
            );
            continue;
        };
        if eo.description != en.description {
            d.push(
                Rule::DocChanged,
                &subject,
                format!("the description of event `{name}` changed"),
                At::new(&en.span),
            );
        }
        d.reach(
            &eo.payload,
            &en.payload,
            Dir::Out,
            Some(&format!("payload of event {name}")),
        );
    }
    for (name, en) in &new.events {
        if !old.events.contains_key(name) {
            d.push(
                Rule::EventAdded,
                format!("event/{name}"),
                format!("event `{name}` was added"),
                At::new(&en.span),
            );
        }
    }
}

fn compare_declared_types(d: &mut Differ<'_>) {
    let (old, new) = (d.old, d.new);
    let declared = |t: &&crate::ir::TypeDef| t.origin == TypeOrigin::Declared;
    for t in old.types.values().filter(declared) {
        if !new.types.contains_key(&t.name) {
            d.push(
                Rule::TypeRemoved,
                format!("type/{}", t.name),
                format!(
                    "type `{}` was removed: SDK code naming it stops compiling",
                    t.name
                ),
                At::removed(&t.span, new.modules.get(&t.module).map(|m| &m.span)),
            );
        }
    }
    for t in new.types.values().filter(declared) {
        if !old.types.contains_key(&t.name) {
            d.push(
                Rule::TypeAdded,
                format!("type/{}", t.name),
                format!("type `{}` was added", t.name),
                At::new(&t.span),
            );
        }
    }
}
