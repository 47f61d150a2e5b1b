//! Tests of report building: severity overrides, accepted findings, and the version rules (`version_decreased`, `version_not_bumped`).

#[path = "fixtures/breaking/builder.rs"]
mod builder;

use builder::*;
use bunbase::breaking::{Bump, Config, Report, Rule, Severity, compare};

fn report(config: &str, old_version: &str, new_version: &str, check: bool) -> Report {
    let old = baseline();
    let new = changed(|ir| {
        fields(ir, "CreateTaskInput").push(field("owner", bunbase::ir::TypeRef::Uuid));
        ir.project.version = new_version.into();
    });
    let config = Config::parse(config).expect("config");
    Report::build(
        compare(&old, &new),
        &config,
        old_version,
        new_version,
        None,
        check,
    )
}

fn rules(r: &Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.rule.id()).collect()
}

#[test]
fn version_decreased_fires_only_when_the_version_goes_back() {
    let r = report("", "1.4.0", "1.3.0", false);
    assert!(rules(&r).contains(&"version_decreased"), "{:?}", rules(&r));
    assert_eq!(r.failing(Severity::Breaking), 2);
    // Near miss: a higher version, even if not high enough, is not a decrease.
    let r = report("", "1.4.0", "1.5.0", false);
    assert!(!rules(&r).contains(&"version_decreased"));
}

#[test]
fn version_not_bumped_needs_check_version() {
    let r = report("", "1.4.0", "1.5.0", true);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == Rule::VersionNotBumped)
        .expect("finding");
    assert!(f.message.contains("need a major bump"), "{}", f.message);
    assert!(f.message.contains("use 2.0.0 or later"), "{}", f.message);
    // Near misses: without the flag, or with a big enough bump.
    assert!(!rules(&report("", "1.4.0", "1.5.0", false)).contains(&"version_not_bumped"));
    assert!(!rules(&report("", "1.4.0", "2.0.0", true)).contains(&"version_not_bumped"));
    assert_eq!(
        report("", "1.4.0", "2.0.0", true).version.required,
        Bump::Major
    );
}

#[test]
fn accepted_findings_do_not_fail_but_still_count_for_semver() {
    let accept = "accept:\n  - fingerprint: \"input_field_required_added:type/CreateTaskInput/owner\"\n    reason: lockstep\n";
    let r = report(accept, "1.4.0", "1.4.0", false);
    assert_eq!(r.failing(Severity::Breaking), 0);
    assert_eq!(r.summary.accepted, 1);
    assert_eq!(r.findings[0].accepted.as_deref(), Some("lockstep"));
    assert_eq!(r.version.required, Bump::Major);
    assert!(r.unused_accepts.is_empty());
}

#[test]
fn overrides_change_severity_or_drop_a_rule() {
    let r = report(
        "rules: { input_field_required_added: info }",
        "1.4.0",
        "1.4.0",
        false,
    );
    assert_eq!(r.findings[0].severity, Severity::Info);
    assert_eq!(r.failing(Severity::Breaking), 0);
    let r = report(
        "rules: { input_field_required_added: off }",
        "1.4.0",
        "1.4.0",
        false,
    );
    assert!(r.findings.is_empty());
    assert_eq!(r.version.required, Bump::None);
}
