//! The rule catalogue: every kind of change `bunbase breaking` reports, with its stable id, default severity and semver effect.
//!
//! Rule ids are part of the public interface (they appear in accept lists,
//! severity overrides and CI logs), so an id is never renamed or reused.
//! `generator/docs/breaking.md` documents each rule; a test checks that the
//! docs list exactly the rules in [`Rule::ALL`].

use serde::Serialize;

/// How serious a finding is for a CI gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Informational: nothing existing breaks.
    Info,
    /// Might break someone; the contract cannot decide (fails only with
    /// `--fail-on warning`).
    Warning,
    /// Breaks existing clients, subscribers or in-flight jobs.
    Breaking,
}

impl Severity {
    /// The lower-case name used in output and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Breaking => "breaking",
        }
    }
}

/// The semver bump a change needs, ordered from smallest to largest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bump {
    /// No release needed (e.g. a version-policy finding).
    None,
    /// A fix or documentation change.
    Patch,
    /// A backwards-compatible addition.
    Minor,
    /// A change that breaks existing users.
    Major,
}

impl Bump {
    /// The lower-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

/// What part of the contract a rule is about, for grouping in docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    /// `bunbase.yaml` and module files as a whole.
    Project,
    /// Actions, their errors and lifecycle.
    Action,
    /// HTTP routes.
    Http,
    /// Webhook, MCP, event, cron and queue triggers.
    Trigger,
    /// Guards.
    Guard,
    /// Events and named types.
    Schema,
    /// Fields in input position (action input, job payloads).
    Input,
    /// Fields in output position (action output, event and job payloads).
    Output,
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $area:ident, $sev:ident, $bump:ident, $summary:literal; )*) => {
        /// One rule of the catalogue.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $( $(#[$doc])* $variant, )*
        }

        impl Rule {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// The stable snake_case id (`input_field_required_added`).
            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id,)* }
            }

            /// The part of the contract the rule is about.
            pub fn area(self) -> Area {
                match self { $(Rule::$variant => Area::$area,)* }
            }

            /// Default severity, before `bunbase-breaking.yaml` overrides.
            pub fn severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$sev,)* }
            }

            /// The semver bump a finding of this rule needs.
            pub fn bump(self) -> Bump {
                match self { $(Rule::$variant => Bump::$bump,)* }
            }

            /// One line saying what the rule detects.
            pub fn summary(self) -> &'static str {
                match self { $(Rule::$variant => $summary,)* }
            }
        }
    };
}

rules! {
    /// `api.base_path` changed.
    BasePathChanged = "base_path_changed", Project, Breaking, Major, "the base path of every HTTP route changed";
    /// The project name changed.
    ProjectRenamed = "project_renamed", Project, Warning, Major, "the project name (crate and package prefix) changed";
    /// The npm package of the SDK changed.
    SdkPackageChanged = "sdk_package_changed", Project, Warning, Major, "the TypeScript SDK package name changed";
    /// A module was removed with all its actions.
    ModuleRemoved = "module_removed", Project, Breaking, Major, "a module and all its actions were removed";
    /// A module was added.
    ModuleAdded = "module_added", Project, Info, Minor, "a module was added";
    /// A module prefix changed.
    ModulePrefixChanged = "module_prefix_changed", Project, Breaking, Major, "a module's route prefix changed, moving all its routes";
    /// The declared version decreased.
    VersionDecreased = "version_decreased", Project, Breaking, None, "the contract version went backwards";
    /// The declared version is not bumped enough.
    VersionNotBumped = "version_not_bumped", Project, Breaking, None, "the contract version is not bumped as much as the changes need (`--check-version`)";

    /// An action was removed.
    ActionRemoved = "action_removed", Action, Breaking, Major, "an action that was not deprecated was removed";
    /// A deprecated action was removed.
    ActionRemovedAfterDeprecation = "action_removed_after_deprecation", Action, Warning, Major, "a deprecated action was removed";
    /// An action was added.
    ActionAdded = "action_added", Action, Info, Minor, "an action was added";
    /// An action was deprecated.
    ActionDeprecated = "action_deprecated", Action, Info, Minor, "an action was marked deprecated";
    /// An action's deprecation was withdrawn.
    ActionDeprecationRemoved = "action_deprecation_removed", Action, Info, Patch, "an action is no longer deprecated";
    /// The named input type of an action changed.
    ActionInputTypeReplaced = "action_input_type_replaced", Action, Warning, Major, "an action's input now uses a different named type";
    /// The named output type of an action changed.
    ActionOutputTypeReplaced = "action_output_type_replaced", Action, Warning, Major, "an action's output now uses a different named type";
    /// An action no longer answers with a body.
    ActionOutputRemoved = "action_output_removed", Action, Breaking, Major, "an action no longer returns output";
    /// An action now answers with a body.
    ActionOutputAdded = "action_output_added", Action, Info, Minor, "an action that returned nothing now returns output";
    /// A declared error was added.
    ActionErrorAdded = "action_error_added", Action, Warning, Minor, "an action can answer a new error clients may not handle";
    /// An error left the action's error set.
    ActionErrorRemoved = "action_error_removed", Action, Warning, Major, "an action can no longer answer an error (its typed SDK variant disappears)";
    /// A declared error's status changed.
    ActionErrorStatusChanged = "action_error_status_changed", Action, Breaking, Major, "a declared error answers with a different HTTP status";
    /// The retry policy changed.
    ActionRetryChanged = "action_retry_changed", Action, Info, Patch, "an action's retry policy changed";
    /// An action may publish a new event.
    ActionEmitAdded = "action_emit_added", Action, Info, Minor, "an action may now publish an event";
    /// An action no longer publishes an event.
    ActionEmitRemoved = "action_emit_removed", Action, Warning, Minor, "an action no longer publishes an event its subscribers may rely on";

    /// An HTTP route was removed.
    HttpRouteRemoved = "http_route_removed", Http, Breaking, Major, "an HTTP route was removed";
    /// An HTTP route was replaced by another.
    HttpRouteChanged = "http_route_changed", Http, Breaking, Major, "an HTTP route's method or path changed";
    /// An HTTP route was added.
    HttpRouteAdded = "http_route_added", Http, Info, Minor, "an HTTP route was added";
    /// The success status changed.
    HttpStatusChanged = "http_status_changed", Http, Breaking, Major, "a route's success status code changed";
    /// A field moved between path, query and body.
    HttpParamLocationChanged = "http_param_location_changed", Http, Breaking, Major, "an input field moved between path, query string and body";

    /// A webhook trigger was removed.
    WebhookRemoved = "webhook_removed", Trigger, Breaking, Major, "an inbound webhook was removed";
    /// A webhook's signature scheme or header changed.
    WebhookChanged = "webhook_changed", Trigger, Breaking, Major, "an inbound webhook's signature scheme or header changed";
    /// A webhook reads its secret from another variable.
    WebhookSecretEnvChanged = "webhook_secret_env_changed", Trigger, Warning, Patch, "an inbound webhook reads its secret from a different environment variable";
    /// An MCP tool was removed.
    McpToolRemoved = "mcp_tool_removed", Trigger, Breaking, Major, "an MCP tool was removed";
    /// An MCP tool was renamed.
    McpToolRenamed = "mcp_tool_renamed", Trigger, Breaking, Major, "an MCP tool's name changed";
    /// An action stopped subscribing to an event.
    EventSubscriptionRemoved = "event_subscription_removed", Trigger, Warning, Major, "an action no longer runs when an event is published";
    /// A cron schedule was removed.
    CronRemoved = "cron_removed", Trigger, Warning, Minor, "a cron schedule was removed";
    /// A cron schedule or timezone changed.
    CronChanged = "cron_changed", Trigger, Info, Patch, "a cron schedule or time zone changed";
    /// A queue trigger was removed.
    JobRemoved = "job_removed", Trigger, Breaking, Major, "an action can no longer be enqueued as a job (queued jobs are orphaned)";
    /// Queue priority or attempts changed.
    JobSettingsChanged = "job_settings_changed", Trigger, Info, Patch, "a job's priority or maximum attempts changed";
    /// A trigger was added.
    TriggerAdded = "trigger_added", Trigger, Info, Minor, "a webhook, MCP, event, cron or queue trigger was added";

    /// Authentication is now required.
    GuardAuthAdded = "guard_auth_added", Guard, Breaking, Major, "an action that was public now requires authentication";
    /// A role, permission or other check was added.
    GuardAdded = "guard_added", Guard, Warning, Major, "an action requires an additional role, permission or check";
    /// A rate limit was added or tightened.
    RateLimitTightened = "rate_limit_tightened", Guard, Warning, Minor, "a rate limit was added or made stricter";
    /// A guard was removed or a rate limit loosened.
    GuardRemoved = "guard_removed", Guard, Info, Minor, "a guard was removed or a rate limit loosened (access widened)";

    /// An event was removed.
    EventRemoved = "event_removed", Schema, Breaking, Major, "an event was removed";
    /// An event was added.
    EventAdded = "event_added", Schema, Info, Minor, "an event was added";
    /// A declared type was removed.
    TypeRemoved = "type_removed", Schema, Warning, Major, "a declared type was removed (SDK code naming it stops compiling)";
    /// A declared type was added.
    TypeAdded = "type_added", Schema, Info, Minor, "a declared type was added";
    /// A type changed between object, enum and union.
    TypeKindChanged = "type_kind_changed", Schema, Breaking, Major, "a type changed between object, enum and union";
    /// A union's tag field changed.
    UnionTagChanged = "union_tag_changed", Schema, Breaking, Major, "a tagged union's tag field changed";
    /// A type was deprecated.
    TypeDeprecated = "type_deprecated", Schema, Info, Minor, "a type was marked deprecated";
    /// A field or enum value was deprecated.
    FieldDeprecated = "field_deprecated", Schema, Info, Minor, "a field or enum value was marked deprecated";
    /// Documentation text changed.
    DocChanged = "doc_changed", Schema, Info, Patch, "a description, summary or message changed";

    /// A new required input field.
    InputFieldRequiredAdded = "input_field_required_added", Input, Breaking, Major, "a required input field without a default was added";
    /// A new optional input field.
    InputFieldOptionalAdded = "input_field_optional_added", Input, Info, Minor, "an optional (or defaulted) input field was added";
    /// An input field was removed.
    InputFieldRemoved = "input_field_removed", Input, Breaking, Major, "an input field was removed (the server rejects unknown fields)";
    /// An input field became required.
    InputFieldBecameRequired = "input_field_became_required", Input, Breaking, Major, "an optional input field became required";
    /// An input field became optional.
    InputFieldBecameOptional = "input_field_became_optional", Input, Info, Minor, "a required input field became optional";
    /// An input field's type changed incompatibly.
    InputFieldTypeChanged = "input_field_type_changed", Input, Breaking, Major, "an input field's type changed incompatibly";
    /// An input field accepts fewer values.
    InputFieldTypeNarrowed = "input_field_type_narrowed", Input, Breaking, Major, "an input field's type accepts fewer values";
    /// An input field accepts more values.
    InputFieldTypeWidened = "input_field_type_widened", Input, Info, Minor, "an input field's type accepts more values";
    /// An input default was added, removed or changed.
    InputFieldDefaultChanged = "input_field_default_changed", Input, Warning, Minor, "the default of an input field changed";
    /// An input constraint was added or tightened.
    InputConstraintTightened = "input_constraint_tightened", Input, Breaking, Major, "an input constraint was added or tightened";
    /// An input constraint was removed or loosened.
    InputConstraintLoosened = "input_constraint_loosened", Input, Info, Minor, "an input constraint was removed or loosened";
    /// An input pattern changed.
    InputPatternChanged = "input_pattern_changed", Input, Warning, Major, "an input field's pattern changed (may reject values it accepted)";
    /// An input enum value was removed.
    InputEnumValueRemoved = "input_enum_value_removed", Input, Breaking, Major, "an enum value is no longer accepted in input";
    /// An input enum value was added.
    InputEnumValueAdded = "input_enum_value_added", Input, Info, Minor, "an enum accepts a new value in input";
    /// An input union variant was removed.
    InputUnionVariantRemoved = "input_union_variant_removed", Input, Breaking, Major, "a union variant is no longer accepted in input";
    /// An input union variant was added.
    InputUnionVariantAdded = "input_union_variant_added", Input, Info, Minor, "a union accepts a new variant in input";

    /// A required output field was removed.
    OutputFieldRemoved = "output_field_removed", Output, Breaking, Major, "a required output field was removed";
    /// An optional output field was removed.
    OutputOptionalFieldRemoved = "output_optional_field_removed", Output, Warning, Major, "an optional output field was removed";
    /// An output field was added.
    OutputFieldAdded = "output_field_added", Output, Info, Minor, "an output field was added";
    /// An output field may now be null.
    OutputFieldBecameOptional = "output_field_became_optional", Output, Breaking, Major, "an output field may now be null";
    /// An output field is now always present.
    OutputFieldBecameRequired = "output_field_became_required", Output, Info, Minor, "an optional output field is now always present";
    /// An output field's type changed incompatibly.
    OutputFieldTypeChanged = "output_field_type_changed", Output, Breaking, Major, "an output field's type changed incompatibly";
    /// An output field may carry values clients do not expect.
    OutputFieldTypeWidened = "output_field_type_widened", Output, Breaking, Major, "an output field's type may carry values clients do not expect";
    /// An output field carries fewer kinds of values.
    OutputFieldTypeNarrowed = "output_field_type_narrowed", Output, Info, Minor, "an output field's type carries fewer kinds of values";
    /// An output constraint was removed or loosened.
    OutputConstraintLoosened = "output_constraint_loosened", Output, Breaking, Major, "an output constraint was removed or loosened";
    /// An output constraint was added or tightened.
    OutputConstraintTightened = "output_constraint_tightened", Output, Info, Patch, "an output constraint was added or tightened";
    /// An output pattern changed.
    OutputPatternChanged = "output_pattern_changed", Output, Warning, Minor, "an output field's pattern changed";
    /// An enum may return a new value.
    OutputEnumValueAdded = "output_enum_value_added", Output, Warning, Minor, "an enum in output may carry a new value";
    /// An enum value is no longer returned.
    OutputEnumValueRemoved = "output_enum_value_removed", Output, Info, Major, "an enum value is no longer returned (its SDK literal disappears)";
    /// A union may return a new variant.
    OutputUnionVariantAdded = "output_union_variant_added", Output, Warning, Minor, "a union in output may carry a new variant";
    /// A union variant is no longer returned.
    OutputUnionVariantRemoved = "output_union_variant_removed", Output, Info, Major, "a union variant is no longer returned (its SDK variant disappears)";
}

impl Rule {
    /// Looks a rule up by its id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }
}

/// The user documentation, which holds one section per rule.
const DOCS: &str = include_str!("../../docs/breaking.md");

impl Rule {
    /// The rule's section of `docs/breaking.md` (summary, severity, semver,
    /// why and an example), for `bunbase breaking --explain`.
    pub fn explain(self) -> Option<&'static str> {
        let heading = format!("#### `{}`", self.id());
        let start = DOCS.find(&heading)?;
        let rest = &DOCS[start..];
        let end = rest[heading.len()..]
            .find("\n#")
            .map_or(rest.len(), |i| i + heading.len() + 1);
        Some(rest[..end].trim_end())
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn ids_are_unique_snake_case_and_round_trip() {
        let mut seen = BTreeSet::new();
        for rule in Rule::ALL {
            let id = rule.id();
            assert!(seen.insert(id), "duplicate rule id {id}");
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{id} is not snake_case"
            );
            assert_eq!(Rule::from_id(id), Some(*rule));
        }
    }

    #[test]
    fn every_rule_explains_itself() {
        for rule in Rule::ALL {
            let text = rule
                .explain()
                .unwrap_or_else(|| panic!("{rule} has no docs section"));
            assert!(text.starts_with(&format!("#### `{}`", rule.id())));
            assert!(
                text.contains("- why:") && text.contains("- example:"),
                "{text}"
            );
        }
    }

    #[test]
    fn breaking_rules_need_a_major_bump_or_are_policy() {
        for rule in Rule::ALL {
            if rule.severity() == Severity::Breaking {
                assert!(
                    matches!(rule.bump(), Bump::Major | Bump::None),
                    "{rule} is breaking but only needs {:?}",
                    rule.bump()
                );
            }
        }
    }
}
