//! A finished report: findings with configuration applied, counts, and semver advice checked against the declared versions.

use serde::Serialize;

use super::{Accept, Bump, Config, Finding, Level, Location, Rule, Severity};

/// The smallest bump a set of findings needs (the largest of their bumps),
/// in 1.0+ terms.
pub fn required_bump(findings: &[Finding]) -> Bump {
    findings.iter().map(|f| f.bump).max().unwrap_or(Bump::None)
}

/// Declared versions compared with what the changes need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionCheck {
    /// `version` in the old `bunbase.yaml`.
    pub old: String,
    /// `version` in the new `bunbase.yaml`.
    pub new: String,
    /// The bump the changes need, in 1.0+ terms.
    pub required: Bump,
    /// The bump that is enough for this version line: below 1.0 a breaking
    /// change needs a minor bump and an addition a patch bump.
    pub effective: Bump,
    /// The bump between the declared versions; `None` if either does not
    /// parse or the version went backwards.
    pub declared: Option<Bump>,
    /// True when the old version is below 1.0.
    pub pre_1_0: bool,
    /// The old version bumped by `effective`.
    pub suggested: String,
    /// True when `declared` is at least `effective`.
    pub satisfied: bool,
    /// True when the new version is lower than the old one.
    pub decreased: bool,
}

impl VersionCheck {
    /// Compares declared versions with a required bump.
    pub fn new(old: &str, new: &str, required: Bump) -> VersionCheck {
        let (ov, nv) = (
            semver::Version::parse(old).ok(),
            semver::Version::parse(new).ok(),
        );
        let pre_1_0 = ov.as_ref().is_some_and(|v| v.major == 0);
        let effective = if pre_1_0 {
            match required {
                Bump::Major => Bump::Minor,
                Bump::Minor | Bump::Patch => Bump::Patch,
                Bump::None => Bump::None,
            }
        } else {
            required
        };
        let decreased = matches!((&ov, &nv), (Some(o), Some(n)) if n < o);
        let declared = match (&ov, &nv) {
            (Some(o), Some(n)) if n >= o => Some(if n.major > o.major {
                Bump::Major
            } else if n.minor > o.minor {
                Bump::Minor
            } else if n.patch > o.patch || n != o {
                Bump::Patch
            } else {
                Bump::None
            }),
            _ => None,
        };
        let suggested = match &ov {
            Some(o) => {
                let mut v = semver::Version::new(o.major, o.minor, o.patch);
                match effective {
                    Bump::Major => v = semver::Version::new(o.major + 1, 0, 0),
                    Bump::Minor => v = semver::Version::new(o.major, o.minor + 1, 0),
                    Bump::Patch => v.patch += 1,
                    Bump::None => v = o.clone(),
                }
                v.to_string()
            }
            None => old.to_owned(),
        };
        let satisfied = declared.is_some_and(|d| d >= effective);
        VersionCheck {
            old: old.to_owned(),
            new: new.to_owned(),
            required,
            effective,
            declared,
            pre_1_0,
            suggested,
            satisfied,
            decreased,
        }
    }
}

/// Counts of a report's findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Breaking findings not accepted.
    pub breaking: usize,
    /// Warnings not accepted.
    pub warning: usize,
    /// Informational findings.
    pub info: usize,
    /// Findings accepted in `bunbase-breaking.yaml`.
    pub accepted: usize,
}

/// The outcome of `bunbase breaking`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Findings after overrides (rules set to `off` are dropped).
    pub findings: Vec<Finding>,
    /// Counts by severity.
    pub summary: Summary,
    /// Semver advice.
    pub version: VersionCheck,
    /// Accept entries that matched no finding (stale, can be deleted).
    #[serde(serialize_with = "ser_accepts")]
    pub unused_accepts: Vec<Accept>,
}

fn ser_accepts<S: serde::Serializer>(a: &[Accept], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(a.iter().map(|a| &a.fingerprint))
}

impl Report {
    /// Applies `config` to raw findings, checks the declared versions and,
    /// when `check_version` is set, reports a version that is not bumped
    /// enough as a finding of its own.
    pub fn build(
        raw: Vec<Finding>,
        config: &Config,
        old_version: &str,
        new_version: &str,
        new_project_location: Option<Location>,
        check_version: bool,
    ) -> Report {
        let mut findings: Vec<Finding> = raw.into_iter().filter_map(|f| apply(config, f)).collect();
        let version = VersionCheck::new(old_version, new_version, required_bump(&findings));
        let mut policy = Vec::new();
        if version.decreased {
            policy.push(Finding {
                rule: Rule::VersionDecreased,
                severity: Rule::VersionDecreased.severity(),
                bump: Rule::VersionDecreased.bump(),
                subject: "project/version".into(),
                message: format!(
                    "the contract version went backwards from {old_version} to {new_version}"
                ),
                new_location: new_project_location.clone(),
                old_location: None,
                removed: false,
                accepted: None,
            });
        } else if check_version && !version.satisfied {
            let zero = if version.pre_1_0 {
                " (below 1.0 a breaking change needs a minor bump)"
            } else {
                ""
            };
            policy.push(Finding {
                rule: Rule::VersionNotBumped,
                severity: Rule::VersionNotBumped.severity(),
                bump: Rule::VersionNotBumped.bump(),
                subject: "project/version".into(),
                message: format!(
                    "the changes need a {} bump{zero}, but the version went from {old_version} to {new_version}: use {} or later",
                    version.effective.as_str(),
                    version.suggested
                ),
                new_location: new_project_location,
                old_location: None,
                removed: false,
                accepted: None,
            });
        }
        findings.extend(policy.into_iter().filter_map(|f| apply(config, f)));
        let used = |a: &&Accept| findings.iter().any(|f| f.fingerprint() == a.fingerprint);
        let unused_accepts = config.accept.iter().filter(|a| !used(a)).cloned().collect();
        let mut summary = Summary::default();
        for f in &findings {
            match (&f.accepted, f.severity) {
                (Some(_), _) => summary.accepted += 1,
                (None, Severity::Breaking) => summary.breaking += 1,
                (None, Severity::Warning) => summary.warning += 1,
                (None, Severity::Info) => summary.info += 1,
            }
        }
        Report {
            findings,
            summary,
            version,
            unused_accepts,
        }
    }

    /// The number of findings that fail a gate at `fail_on`: not accepted
    /// and at least that severe.
    pub fn failing(&self, fail_on: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.accepted.is_none() && f.severity >= fail_on)
            .count()
    }
}

/// Applies a severity override and an accept entry to one finding.
fn apply(config: &Config, mut f: Finding) -> Option<Finding> {
    match config.rules.get(&f.rule) {
        Some(Level::Off) => return None,
        Some(Level::Severity(s)) => f.severity = *s,
        None => {}
    }
    f.accepted = config.accepted(&f.fingerprint()).map(str::to_owned);
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_below_one_shift_one_step() {
        let v = VersionCheck::new("0.3.1", "0.3.2", Bump::Major);
        assert!(v.pre_1_0);
        assert_eq!(v.effective, Bump::Minor);
        assert_eq!(v.suggested, "0.4.0");
        assert!(!v.satisfied);
        assert!(VersionCheck::new("0.3.1", "0.4.0", Bump::Major).satisfied);
        assert!(VersionCheck::new("0.3.1", "0.3.2", Bump::Minor).satisfied);
    }

    #[test]
    fn versions_from_one_need_the_full_bump() {
        let v = VersionCheck::new("1.4.0", "1.5.0", Bump::Major);
        assert_eq!(v.suggested, "2.0.0");
        assert!(!v.satisfied);
        assert!(VersionCheck::new("1.4.0", "2.0.0", Bump::Major).satisfied);
        assert!(VersionCheck::new("1.4.0", "1.4.0", Bump::None).satisfied);
        assert!(!VersionCheck::new("1.4.0", "1.4.0", Bump::Patch).satisfied);
        let back = VersionCheck::new("1.4.0", "1.3.0", Bump::None);
        assert!(back.decreased && !back.satisfied);
    }
}
