//! Constraints as data: the [`Rule`]s of one field, checked on its decoded value by the decoder ([`check_at`]) and by the typed fast path ([`check`]) through the same checks, so both report alike.

use super::Decoder;
use super::values::{
    Report, email_format, int_range, max, max_items, max_len, min, min_items, min_len, pattern,
    unique, url_format,
};
use crate::validate::Pattern;

/// One constraint of a field, applied to its innermost non-optional value
/// (`{type: "string?", max_len: 5}` checks the string when present). A
/// rule that does not apply to the value's type is ignored; generated code
/// lists only those that apply.
#[derive(Clone, Copy)]
pub enum Rule {
    /// At least this many characters (text).
    MinLen(usize),
    /// At most this many characters (text).
    MaxLen(usize),
    /// Matches the pattern (text).
    Pattern(&'static Pattern),
    /// At least this many items (lists).
    MinItems(usize),
    /// At most this many items (lists).
    MaxItems(usize),
    /// No two items equal (lists).
    Unique,
    /// At least this value (integers).
    MinInt(i64),
    /// At most this value (integers).
    MaxInt(i64),
    /// At least this value (floats).
    MinFloat(f64),
    /// At most this value (floats).
    MaxFloat(f64),
    /// Within ±(2^53−1) (an `int` read by the fast path; the decoder checks
    /// it while reading).
    IntRange,
    /// An email address (the fast path; the decoder checks it while reading).
    Email,
    /// An absolute URL (the fast path; the decoder checks it while reading).
    Url,
}

/// A value whose constraints can be checked: text, lists, numbers, and an
/// optional of one of these (checked when present).
pub trait Checked {
    /// Reports every rule of `rules` the value breaks to `d`.
    fn check(&self, d: &mut impl Report, rules: &[Rule]);
}

impl Checked for String {
    fn check(&self, d: &mut impl Report, rules: &[Rule]) {
        for rule in rules {
            match *rule {
                Rule::MinLen(n) => min_len(d, self, n),
                Rule::MaxLen(n) => max_len(d, self, n),
                Rule::Pattern(p) => pattern(d, self, p),
                Rule::Email => {
                    email_format(d, self);
                }
                Rule::Url => {
                    url_format(d, self);
                }
                _ => {}
            }
        }
    }
}

impl<T: PartialEq> Checked for Vec<T> {
    fn check(&self, d: &mut impl Report, rules: &[Rule]) {
        for rule in rules {
            match *rule {
                Rule::MinItems(n) => min_items(d, self.len(), n),
                Rule::MaxItems(n) => max_items(d, self.len(), n),
                Rule::Unique => unique(d, self),
                _ => {}
            }
        }
    }
}

impl Checked for i64 {
    fn check(&self, d: &mut impl Report, rules: &[Rule]) {
        for rule in rules {
            match *rule {
                Rule::MinInt(n) => min(d, *self, n),
                Rule::MaxInt(n) => max(d, *self, n),
                Rule::IntRange => int_range(d, *self),
                _ => {}
            }
        }
    }
}

impl Checked for i32 {
    fn check(&self, d: &mut impl Report, rules: &[Rule]) {
        i64::from(*self).check(d, rules)
    }
}

impl Checked for f64 {
    fn check(&self, d: &mut impl Report, rules: &[Rule]) {
        for rule in rules {
            match *rule {
                Rule::MinFloat(n) => min(d, *self, n),
                Rule::MaxFloat(n) => max(d, *self, n),
                _ => {}
            }
        }
    }
}

impl<T: Checked> Checked for Option<T> {
    fn check(&self, d: &mut impl Report, rules: &[Rule]) {
        if let Some(x) = self {
            x.check(d, rules);
        }
    }
}

/// Checks `rules` on a value the fast path read (`d` is its `Checks`).
pub fn check<T: Checked>(d: &mut impl Report, value: &T, rules: &[Rule]) {
    value.check(d, rules);
}

/// Checks `rules` on field `name` just decoded (`None` when it could not
/// be, which the decoder already reported), reporting at the field's path.
pub fn check_at<T: Checked>(
    d: &mut Decoder,
    name: &'static str,
    value: &Option<T>,
    rules: &[Rule],
) {
    if let Some(x) = value {
        d.at(name, |d| x.check(d, rules));
    }
}
