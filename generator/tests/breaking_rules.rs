//! Rule tests for `bunbase breaking` over hand-built IRs: for every rule a case with its exact findings and a near-miss twin that must not fire it.

#[path = "fixtures/breaking/builder.rs"]
mod builder;
#[path = "fixtures/breaking/cases_fields.rs"]
mod cases_fields;
#[path = "fixtures/breaking/cases_surface.rs"]
mod cases_surface;

use std::collections::BTreeSet;

use builder::*;
use bunbase::breaking::{Rule, compare};
use bunbase::ir::*;

type Mutation = Box<dyn Fn(&mut Ir)>;

struct Case {
    /// The rule under test.
    rule: &'static str,
    /// A near miss: `rule` must not fire.
    near: bool,
    before: Mutation,
    after: Mutation,
    expect: Vec<&'static str>,
}

fn fires(rule: &'static str, after: impl Fn(&mut Ir) + 'static, expect: &[&'static str]) -> Case {
    Case {
        rule,
        near: false,
        before: Box::new(|_| {}),
        after: Box::new(after),
        expect: expect.to_vec(),
    }
}

fn near(rule: &'static str, after: impl Fn(&mut Ir) + 'static, expect: &[&'static str]) -> Case {
    Case {
        rule,
        near: true,
        before: Box::new(|_| {}),
        after: Box::new(after),
        expect: expect.to_vec(),
    }
}

impl Case {
    /// Applies `before` to the old side too (the new side gets both).
    fn from(mut self, before: impl Fn(&mut Ir) + Clone + 'static) -> Case {
        let after = std::mem::replace(&mut self.after, Box::new(|_| {}));
        let b2 = before.clone();
        self.before = Box::new(before);
        self.after = Box::new(move |ir| {
            b2(ir);
            after(ir)
        });
        self
    }

    fn irs(&self) -> (Ir, Ir) {
        (
            changed(|ir| (self.before)(ir)),
            changed(|ir| (self.after)(ir)),
        )
    }
}

fn render(old: &Ir, new: &Ir) -> Vec<String> {
    compare(old, new)
        .iter()
        .map(|f| format!("{} {} {}", f.severity.as_str(), f.rule.id(), f.subject))
        .collect()
}

fn rebase(ir: &mut Ir, from: &str, to: &str) {
    for m in ir.modules.values_mut() {
        for a in m.actions.values_mut() {
            for r in &mut a.triggers.http {
                r.path = r.path.replacen(from, to, 1);
            }
            for w in &mut a.triggers.webhooks {
                w.path = w.path.replacen(from, to, 1);
            }
        }
    }
}

fn tasks(ir: &mut Ir) -> &mut Module {
    ir.modules.get_mut("tasks").expect("tasks module")
}

fn empty_module(name: &str) -> Module {
    Module {
        name: name.into(),
        rust_name: name.into(),
        pascal_name: name.into(),
        ts_name: name.into(),
        rust_handler: format!("{name}Handler"),
        ts_client: format!("{name}Client"),
        description: None,
        prefix: format!("/{name}"),
        guards: Vec::new(),
        actions: Default::default(),
        types: Vec::new(),
        events: Vec::new(),
        span: span("billing.yaml", 1),
    }
}

fn declare(ir: &mut Ir, name: &str, fields: Vec<Field>) {
    ir.types
        .insert(name.into(), object(name, TypeOrigin::Declared, fields));
}

fn rate_limit(limit: u32) -> Guard {
    guard(
        GuardKind::RateLimit {
            limit,
            window_ms: 60_000,
            key: RateLimitKey::Ip,
        },
        GuardSource::Action,
    )
}

fn cases() -> Vec<Case> {
    let mut all = cases_surface::surface_cases();
    all.extend(cases_fields::field_cases());
    all
}

/// Rules that only [`bunbase::breaking::Report::build`] produces (tested in
/// `breaking_report.rs`).
const REPORT_RULES: &[&str] = &["version_decreased", "version_not_bumped"];

#[test]
fn every_case_gives_exactly_its_findings() {
    let mut failures = Vec::new();
    for case in cases() {
        let (old, new) = case.irs();
        let mut got = render(&old, &new);
        got.sort();
        let mut want: Vec<String> = case.expect.iter().map(|s| s.to_string()).collect();
        want.sort();
        let kind = if case.near { "near miss" } else { "case" };
        if got != want {
            failures.push(format!(
                "{kind} {}:\n  want {want:#?}\n  got  {got:#?}",
                case.rule
            ));
        }
        let fired = got.iter().any(|g| g.split(' ').nth(1) == Some(case.rule));
        if case.near == fired {
            failures.push(format!(
                "{kind} {}: the rule {}",
                case.rule,
                if fired { "fired" } else { "did not fire" }
            ));
        }
        for (label, ir) in [("old", &old), ("new", &new)] {
            let same = render(ir, ir);
            if !same.is_empty() {
                failures.push(format!(
                    "{kind} {}: {label} against itself gave {same:?}",
                    case.rule
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_case_and_a_near_miss() {
    let cases = cases();
    let mut missing = Vec::new();
    for rule in Rule::ALL {
        let id = rule.id();
        if REPORT_RULES.contains(&id) {
            continue;
        }
        if !cases.iter().any(|c| c.rule == id && !c.near) {
            missing.push(format!("{id}: no case"));
        }
        if !cases.iter().any(|c| c.rule == id && c.near) {
            missing.push(format!("{id}: no near miss"));
        }
    }
    for c in &cases {
        assert!(
            Rule::from_id(c.rule).is_some(),
            "case names unknown rule {}",
            c.rule
        );
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn identical_contracts_give_no_finding() {
    let ir = baseline();
    assert_eq!(compare(&ir, &ir), Vec::new());
}

#[test]
fn findings_are_sorted_and_unique_by_fingerprint() {
    let old = baseline();
    let new = changed(|ir| {
        ir.modules.clear();
        ir.types.clear();
        ir.events.clear();
    });
    let findings = compare(&old, &new);
    let prints: Vec<String> = findings.iter().map(|f| f.fingerprint()).collect();
    let unique: BTreeSet<&String> = prints.iter().collect();
    assert_eq!(unique.len(), prints.len());
    let keys: Vec<(String, &str)> = findings
        .iter()
        .map(|f| (f.subject.clone(), f.rule.id()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

/// The same canonical change in each position, with its verdicts.
#[test]
fn positions_decide_the_verdict() {
    let add_required =
        |ty: &'static str| changed(move |ir| fields(ir, ty).push(field("extra", TypeRef::Uuid)));
    let remove_optional = |ty: &'static str, name: &'static str| {
        changed(move |ir| fields(ir, ty).retain(|f| f.name != name))
    };
    let old = baseline();
    let check = |new: Ir, want: &[&str]| {
        let mut got = render(&old, &new);
        got.sort();
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want);
    };
    // Input only: a new required field breaks callers.
    check(
        add_required("GetTaskInput"),
        &["breaking input_field_required_added type/GetTaskInput/extra"],
    );
    // Output only: a new field is harmless.
    check(
        add_required("Receipt"),
        &["info output_field_added type/Receipt/extra"],
    );
    // Event payloads are outputs to subscribers (the subscriber's input is
    // produced by the system, not by clients).
    check(
        add_required("TaskCreatedPayload"),
        &["info output_field_added type/TaskCreatedPayload/extra"],
    );
    check(
        remove_optional("TaskCreatedPayload", "title"),
        &["breaking output_field_removed type/TaskCreatedPayload/title"],
    );
    // Jobs are judged both ways.
    check(
        add_required("SendReminderInput"),
        &[
            "breaking input_field_required_added type/SendReminderInput/extra",
            "info output_field_added type/SendReminderInput/extra",
        ],
    );
    check(
        remove_optional("SendReminderInput", "note"),
        &[
            "breaking input_field_removed type/SendReminderInput/note",
            "warning output_optional_field_removed type/SendReminderInput/note",
        ],
    );
    // A shared type gets every verdict that applies.
    check(
        changed(|ir| values(ir, "TaskStatus").push(enum_values(&["archived"]).remove(0))),
        &[
            "info input_enum_value_added type/TaskStatus/archived",
            "warning output_enum_value_added type/TaskStatus/archived",
        ],
    );
}

#[test]
fn type_findings_name_the_positions_that_reach_them() {
    let old = baseline();
    let new = changed(|ir| values(ir, "TaskStatus").push(enum_values(&["archived"]).remove(0)));
    let findings = compare(&old, &new);
    let out = findings
        .iter()
        .find(|f| f.rule == Rule::OutputEnumValueAdded)
        .expect("finding");
    assert!(
        out.message
            .ends_with("(in output of tasks.create_task, output of tasks.get_task and 1 more)"),
        "{}",
        out.message
    );
    let loc = out.new_location.as_ref().expect("location");
    assert_eq!((loc.file.as_str(), loc.line), ("tasks.yaml", 5));
}

#[test]
fn recursive_types_are_compared_once() {
    let with_tree = |extra: bool| {
        changed(move |ir| {
            let mut node = vec![field("children", list(named("Node")))];
            if extra {
                node.push(field("label", opt(TypeRef::String)));
            }
            declare(ir, "Node", node);
            fields(ir, "Task").push(field("tree", named("Node")));
            fields(ir, "CreateTaskInput").push(field("tree", opt(named("Node"))));
        })
    };
    let got = render(&with_tree(false), &with_tree(true));
    assert_eq!(
        got,
        [
            "info input_field_optional_added type/Node/label",
            "info output_field_added type/Node/label"
        ]
    );
}

#[test]
fn removed_elements_point_at_old_and_surviving_parent() {
    let old = baseline();
    let new = changed(|ir| fields(ir, "Task").retain(|f| f.name != "count"));
    let f = compare(&old, &new).pop().expect("finding");
    assert!(f.removed);
    assert_eq!(f.old_location.as_ref().map(|l| l.line), Some(10));
    assert_eq!(
        f.new_location.as_ref().map(|l| l.line),
        Some(5),
        "the type that lost the field"
    );
    assert_eq!(
        f.location().map(|(side, _)| side),
        Some(bunbase::breaking::Side::Old)
    );
}

#[test]
fn module_guards_are_reported_once_for_the_module() {
    let old = baseline();
    let admin = || {
        guard(
            GuardKind::HasRole {
                role: "admin".into(),
            },
            GuardSource::Module,
        )
    };
    let new = changed(|ir| {
        tasks(ir).guards.push(admin());
        for a in tasks(ir).actions.values_mut() {
            a.guards.push(admin());
        }
    });
    // stripe_event was public, so the module as a whole now locks out
    // anonymous callers; no per-action repeats.
    assert_eq!(
        render(&old, &new),
        ["breaking guard_auth_added module/tasks/guards/has_role(admin)"]
    );
    // When every action already required a principal, it is a plain guard.
    let private = |ir: &mut Ir| {
        act(ir, "stripe_event")
            .guards
            .push(guard(GuardKind::Authenticated, GuardSource::Action));
    };
    let old = changed(private);
    let new = changed(|ir| {
        private(ir);
        tasks(ir).guards.push(admin());
        for a in tasks(ir).actions.values_mut() {
            a.guards.push(admin());
        }
    });
    assert_eq!(
        render(&old, &new),
        ["warning guard_added module/tasks/guards/has_role(admin)"]
    );
}
