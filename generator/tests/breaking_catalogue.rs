//! Symmetry audit of the rule catalogue: every input rule has an output mirror and every addition a removal, unless a written waiver says why not.

use bunbase::breaking::Rule;

/// Rules without a mirror, and why that is right.
const WAIVERS: &[(&str, &str)] = &[
    (
        "input_field_required_added",
        "outputs have one `output_field_added`: readers ignore new fields, required or not",
    ),
    (
        "input_field_optional_added",
        "outputs have one `output_field_added`: readers ignore new fields, required or not",
    ),
    (
        "input_field_default_changed",
        "defaults fill absent input only; the server always sends output fields",
    ),
    (
        "output_optional_field_removed",
        "input fields are all removed alike: unknown input fields are rejected",
    ),
    (
        "output_field_added",
        "inputs split additions by presence (`input_field_required_added`, `input_field_optional_added`)",
    ),
    (
        "trigger_added",
        "removals are one rule per trigger kind, because their severity differs",
    ),
    (
        "webhook_removed",
        "additions of every trigger kind are `trigger_added`",
    ),
    (
        "mcp_tool_removed",
        "additions of every trigger kind are `trigger_added`",
    ),
    (
        "cron_removed",
        "additions of every trigger kind are `trigger_added`",
    ),
    (
        "event_subscription_removed",
        "additions of every trigger kind are `trigger_added`",
    ),
    (
        "job_removed",
        "additions of every trigger kind are `trigger_added`",
    ),
    ("guard_auth_added", "any removed guard is `guard_removed`"),
    (
        "action_deprecation_removed",
        "its counterpart is `action_deprecated`",
    ),
    (
        "input_field_removed",
        "additions split by presence (`input_field_required_added`, `input_field_optional_added`)",
    ),
];

fn waived(id: &str) -> bool {
    WAIVERS.iter().any(|(w, _)| *w == id)
}

fn exists(id: &str) -> bool {
    Rule::from_id(id).is_some()
}

#[test]
fn input_and_output_rules_mirror_each_other() {
    let mut missing = Vec::new();
    for rule in Rule::ALL {
        let id = rule.id();
        let mirror = if let Some(rest) = id.strip_prefix("input_") {
            format!("output_{rest}")
        } else if let Some(rest) = id.strip_prefix("output_") {
            format!("input_{rest}")
        } else {
            continue;
        };
        if !exists(&mirror) && !waived(id) {
            missing.push(format!("{id} has no mirror {mirror}"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn additions_and_removals_mirror_each_other() {
    let mut missing = Vec::new();
    for rule in Rule::ALL {
        let id = rule.id();
        let mirror = if let Some(stem) = id.strip_suffix("_added") {
            format!("{stem}_removed")
        } else if let Some(stem) = id.strip_suffix("_removed") {
            format!("{stem}_added")
        } else {
            continue;
        };
        if !exists(&mirror) && !waived(id) && !waived(&mirror) {
            missing.push(format!("{id} has no mirror {mirror}"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn waivers_name_real_rules() {
    for (id, why) in WAIVERS {
        assert!(exists(id), "waiver for unknown rule {id}");
        assert!(!why.is_empty());
    }
}
