//! `bunbase-breaking.yaml`: accepted findings (by fingerprint, with a reason) and per-rule severity overrides.
//!
//! The file sits beside `bunbase.yaml` and is read by `bunbase breaking`
//! only, so the contract checker never sees it:
//!
//! ```yaml
//! accept:
//!   - fingerprint: "input_field_required_added:type/CreateTaskInput/priority"
//!     reason: the only client ships in lockstep with the server
//! rules:
//!   output_enum_value_added: breaking   # breaking | warning | info | off
//! ```

use std::collections::BTreeMap;

use saphyr::{LoadableYamlNode, Yaml};

use super::{Rule, Severity};

/// The file name, beside `bunbase.yaml`.
pub const CONFIG_FILE: &str = "bunbase-breaking.yaml";

/// A severity override for one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Report the rule's findings with this severity.
    Severity(Severity),
    /// Do not report the rule at all.
    Off,
}

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accept {
    /// `rule_id:subject`, as printed by `bunbase breaking`.
    pub fingerprint: String,
    /// Why the break is acceptable; shown next to the finding.
    pub reason: String,
}

/// The parsed configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Accepted findings, in file order.
    pub accept: Vec<Accept>,
    /// Severity overrides by rule.
    pub rules: BTreeMap<Rule, Level>,
}

/// A problem in `bunbase-breaking.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{CONFIG_FILE}: {0}")]
pub struct ConfigError(pub String);

fn err(msg: impl Into<String>) -> ConfigError {
    ConfigError(msg.into())
}

fn key_str<'a>(k: &'a Yaml<'_>) -> Result<&'a str, ConfigError> {
    k.as_str().ok_or_else(|| err("keys must be strings"))
}

impl Config {
    /// Parses the text of `bunbase-breaking.yaml`. Unknown keys, unknown
    /// rule ids, an accept entry without a reason and a fingerprint that
    /// names no rule are errors, so a typo never silently accepts nothing.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let docs = Yaml::load_from_str(text).map_err(|e| err(format!("invalid YAML: {e}")))?;
        let mut config = Config::default();
        let Some(doc) = docs.first() else {
            return Ok(config);
        };
        if doc.is_null() {
            return Ok(config);
        }
        let map = doc
            .as_mapping()
            .ok_or_else(|| err("expected a mapping with `accept` and `rules`"))?;
        for (k, v) in map {
            match key_str(k)? {
                "accept" => config.accept = parse_accept(v)?,
                "rules" => config.rules = parse_rules(v)?,
                other => {
                    return Err(err(format!(
                        "unknown key `{other}` (expected `accept` or `rules`)"
                    )));
                }
            }
        }
        Ok(config)
    }

    /// The reason a fingerprint is accepted, if it is.
    pub fn accepted(&self, fingerprint: &str) -> Option<&str> {
        self.accept
            .iter()
            .find(|a| a.fingerprint == fingerprint)
            .map(|a| a.reason.as_str())
    }
}

fn parse_accept(v: &Yaml<'_>) -> Result<Vec<Accept>, ConfigError> {
    if v.is_null() {
        return Ok(Vec::new());
    }
    let items = v
        .as_sequence()
        .ok_or_else(|| err("`accept` must be a list of {fingerprint, reason}"))?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let map = item
            .as_mapping()
            .ok_or_else(|| err(format!("accept[{i}] must be a mapping")))?;
        let (mut fingerprint, mut reason) = (None, None);
        for (k, v) in map {
            let value = v.as_str().map(str::to_owned);
            match key_str(k)? {
                "fingerprint" => fingerprint = value,
                "reason" => reason = value,
                other => return Err(err(format!("accept[{i}]: unknown key `{other}`"))),
            }
        }
        let fingerprint = fingerprint
            .ok_or_else(|| err(format!("accept[{i}]: `fingerprint` (a string) is required")))?;
        let reason = reason.filter(|r| !r.trim().is_empty()).ok_or_else(|| {
            err(format!(
                "accept[{i}]: `reason` is required: say why this break is acceptable"
            ))
        })?;
        let rule = fingerprint.split(':').next().unwrap_or_default();
        if Rule::from_id(rule).is_none() {
            return Err(err(format!(
                "accept[{i}]: `{fingerprint}` does not start with a known rule id"
            )));
        }
        out.push(Accept {
            fingerprint,
            reason,
        });
    }
    Ok(out)
}

fn parse_rules(v: &Yaml<'_>) -> Result<BTreeMap<Rule, Level>, ConfigError> {
    if v.is_null() {
        return Ok(BTreeMap::new());
    }
    let map = v
        .as_mapping()
        .ok_or_else(|| err("`rules` must map rule ids to breaking|warning|info|off"))?;
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let id = key_str(k)?;
        let rule = Rule::from_id(id).ok_or_else(|| err(format!("rules: unknown rule `{id}`")))?;
        let level = match v.as_str() {
            Some("breaking") => Level::Severity(Severity::Breaking),
            Some("warning") => Level::Severity(Severity::Warning),
            Some("info") => Level::Severity(Severity::Info),
            Some("off") => Level::Off,
            // YAML reads a bare `off` as the boolean false.
            _ if v.as_bool() == Some(false) => Level::Off,
            _ => {
                return Err(err(format!(
                    "rules: `{id}` must be breaking, warning, info or off"
                )));
            }
        };
        out.insert(rule, level);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_accepts_and_levels() {
        let c = Config::parse(
            "accept:\n  - fingerprint: \"action_removed:action/tasks.old\"\n    reason: nobody calls it\nrules:\n  output_enum_value_added: breaking\n  doc_changed: off\n",
        )
        .unwrap();
        assert_eq!(
            c.accepted("action_removed:action/tasks.old"),
            Some("nobody calls it")
        );
        assert_eq!(
            c.rules[&Rule::OutputEnumValueAdded],
            Level::Severity(Severity::Breaking)
        );
        assert_eq!(c.rules[&Rule::DocChanged], Level::Off);
    }

    #[test]
    fn rejects_typos() {
        assert!(Config::parse("rules: { no_such_rule: info }").is_err());
        assert!(Config::parse("accept: [{ fingerprint: \"action_removed:x\" }]").is_err());
        assert!(Config::parse("accept: [{ fingerprint: \"nope:x\", reason: r }]").is_err());
        assert!(Config::parse("ignore: []").is_err());
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }
}
