//! The comparison state shared by every rule: the two IRs, the findings so far and the queue of type pairs still to compare.
//!
//! Types are judged in the IR's [`crate::ir::Direction`]s: `In` for what
//! clients send (accepting less breaks), `Out` for what they read (producing
//! more breaks). Types are compared once per (old name, new name, direction): the first
//! position that reaches a pair compares it, later positions only record that
//! they use it. At the end each type-level finding names the positions that
//! reach its type, so a reader sees why an output rule fired on a type they
//! think of as input.

use std::collections::{BTreeMap, BTreeSet};

pub(crate) use crate::ir::Direction as Dir;
use crate::ir::{Ir, Span};

use super::{Finding, Location, Rule};

/// A pair of types compared in one direction.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct PairKey {
    pub old: String,
    pub new: String,
    pub dir: Dir,
}

/// Where a finding points, in the old and new contracts.
#[derive(Debug, Clone, Default)]
pub(crate) struct At {
    pub new: Option<Location>,
    pub old: Option<Location>,
    pub removed: bool,
}

impl At {
    /// An element present on both sides.
    pub fn both(old: &Span, new: &Span) -> At {
        At {
            new: Location::of(new),
            old: Location::of(old),
            removed: false,
        }
    }
    /// An element that only exists in the new contracts.
    pub fn new(span: &Span) -> At {
        At {
            new: Location::of(span),
            old: None,
            removed: false,
        }
    }
    /// An element removed from the old contracts, with its surviving parent
    /// in the new ones (if any).
    pub fn removed(old: &Span, parent: Option<&Span>) -> At {
        At {
            new: parent.and_then(Location::of),
            old: Location::of(old),
            removed: true,
        }
    }
}

/// Accumulates findings while comparing two IRs.
pub(crate) struct Differ<'a> {
    pub old: &'a Ir,
    pub new: &'a Ir,
    findings: Vec<(Finding, Option<PairKey>)>,
    /// The pair being compared right now, attached to findings.
    current: Option<PairKey>,
    /// Pairs already compared or queued.
    seen: BTreeSet<PairKey>,
    queue: Vec<PairKey>,
    /// Which pairs each pair's comparison reached.
    edges: BTreeMap<PairKey, BTreeSet<PairKey>>,
    /// Root positions (`output of tasks.get_task`) and the pairs they reach
    /// directly.
    roots: BTreeMap<PairKey, BTreeSet<String>>,
}

impl<'a> Differ<'a> {
    /// Starts a comparison of `old` against `new`.
    pub fn new(old: &'a Ir, new: &'a Ir) -> Self {
        Differ {
            old,
            new,
            findings: Vec::new(),
            current: None,
            seen: BTreeSet::new(),
            queue: Vec::new(),
            edges: BTreeMap::new(),
            roots: BTreeMap::new(),
        }
    }

    /// Records a finding with the rule's default severity and bump.
    pub fn push(
        &mut self,
        rule: Rule,
        subject: impl Into<String>,
        message: impl Into<String>,
        at: At,
    ) {
        let finding = Finding {
            rule,
            severity: rule.severity(),
            bump: rule.bump(),
            subject: subject.into(),
            message: message.into(),
            new_location: at.new,
            old_location: at.old,
            removed: at.removed,
            accepted: None,
        };
        self.findings.push((finding, self.current.clone()));
    }

    /// Asks for the types `old` and `new` to be compared in `dir`, reached
    /// from the root position `root` (when called outside a type
    /// comparison) or from the pair being compared.
    pub fn reach(&mut self, old: &str, new: &str, dir: Dir, root: Option<&str>) {
        let key = PairKey {
            old: old.to_owned(),
            new: new.to_owned(),
            dir,
        };
        match (&self.current, root) {
            (Some(parent), _) => {
                self.edges
                    .entry(parent.clone())
                    .or_default()
                    .insert(key.clone());
            }
            (None, Some(root)) => {
                self.roots
                    .entry(key.clone())
                    .or_default()
                    .insert(root.to_owned());
            }
            (None, None) => {}
        }
        if self.seen.insert(key.clone()) {
            self.queue.push(key);
        }
    }

    /// Takes the next type pair to compare, making it the current pair.
    pub fn next_pair(&mut self) -> Option<PairKey> {
        let key = self.queue.pop();
        self.current = key.clone();
        key
    }

    /// Labels (`output of tasks.get_task`) of the root positions that reach
    /// each compared pair, through references, with cycle protection.
    fn uses(&self) -> BTreeMap<PairKey, BTreeSet<String>> {
        let mut uses: BTreeMap<PairKey, BTreeSet<String>> = BTreeMap::new();
        for (start, labels) in &self.roots {
            let mut stack = vec![start.clone()];
            let mut visited = BTreeSet::new();
            while let Some(key) = stack.pop() {
                if !visited.insert(key.clone()) {
                    continue;
                }
                uses.entry(key.clone())
                    .or_default()
                    .extend(labels.iter().cloned());
                if let Some(next) = self.edges.get(&key) {
                    stack.extend(next.iter().cloned());
                }
            }
        }
        uses
    }

    /// Finishes the comparison: names each type finding's positions, keeps
    /// one finding per fingerprint and sorts by subject then rule id.
    pub fn finish(self) -> Vec<Finding> {
        let uses = self.uses();
        let mut out: BTreeMap<(String, &'static str), Finding> = BTreeMap::new();
        for (mut finding, pair) in self.findings {
            if let Some(labels) = pair.as_ref().and_then(|p| uses.get(p)) {
                finding
                    .message
                    .push_str(&format!(" (in {})", summarize(labels)));
            }
            out.entry((finding.subject.clone(), finding.rule.id()))
                .or_insert(finding);
        }
        out.into_values().collect()
    }
}

/// `a, b and 3 more` for a set of position labels.
fn summarize(labels: &BTreeSet<String>) -> String {
    const SHOWN: usize = 2;
    let shown: Vec<&str> = labels.iter().take(SHOWN).map(String::as_str).collect();
    let rest = labels.len().saturating_sub(SHOWN);
    if rest == 0 {
        shown.join(", ")
    } else {
        format!("{} and {rest} more", shown.join(", "))
    }
}
