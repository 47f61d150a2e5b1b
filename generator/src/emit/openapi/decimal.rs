//! Regular expressions that match exactly the canonical decimal forms of the integers in a range: the `pattern` of `int64` strings.
//!
//! Canonical means what the server writes: no leading zeros, no plus sign,
//! no `-0`. The construction is the classic digit-range one: split the range
//! by digit count, then split each same-length range at the first digit
//! where its bounds differ.

/// An anchored pattern matching the decimals of the integers in `[lo, hi]`;
/// a pattern matching nothing when the range is empty.
pub(crate) fn pattern(lo: i128, hi: i128) -> String {
    if lo > hi {
        return "^(?!)$".to_string();
    }
    let mut alts = Vec::new();
    if hi >= 0 {
        alts.extend(magnitudes(lo.max(0).unsigned_abs(), hi.unsigned_abs()));
    }
    if lo < 0 {
        let neg = magnitudes(hi.min(-1).unsigned_abs(), lo.unsigned_abs());
        alts.push(format!("-(?:{})", neg.join("|")));
    }
    format!("^(?:{})$", alts.join("|"))
}

/// Alternatives matching the decimals of `[a, b]` (both non-negative). A run
/// of lengths covered completely becomes one `[1-9][0-9]{m,n}`.
fn magnitudes(a: u128, b: u128) -> Vec<String> {
    let mut alts = Vec::new();
    let mut full_run: Option<(usize, usize)> = None;
    let flush = |run: &mut Option<(usize, usize)>, alts: &mut Vec<String>| {
        if let Some((from, to)) = run.take() {
            let tail = if from == to {
                any_digits(from - 1)
            } else {
                format!("[0-9]{{{},{}}}", from - 1, to - 1)
            };
            alts.push(format!("[1-9]{tail}"));
        }
    };
    let (la, lb) = (a.to_string().len(), b.to_string().len());
    for len in la..=lb {
        let floor = if len == 1 {
            0
        } else {
            10u128.pow(len as u32 - 1)
        };
        let ceil = 10u128.pow(len as u32) - 1;
        let (x, y) = (a.max(floor), b.min(ceil));
        if x > y {
            continue;
        }
        if len > 1 && x == floor && y == ceil {
            full_run = Some(full_run.map_or((len, len), |(from, _)| (from, len)));
        } else {
            flush(&mut full_run, &mut alts);
            alts.extend(same_length(&x.to_string(), &y.to_string()));
        }
    }
    flush(&mut full_run, &mut alts);
    alts
}

/// Alternatives matching the digit strings of `lo.len()` digits between `lo`
/// and `hi` inclusive (same length, `lo <= hi`).
fn same_length(lo: &str, hi: &str) -> Vec<String> {
    let (Some(l), Some(h)) = (lo.chars().next(), hi.chars().next()) else {
        return vec![String::new()];
    };
    let (lo_rest, hi_rest) = (&lo[1..], &hi[1..]);
    let n = lo_rest.len();
    if l == h {
        return same_length(lo_rest, hi_rest)
            .into_iter()
            .map(|t| format!("{l}{t}"))
            .collect();
    }
    let all_zero = lo_rest.bytes().all(|b| b == b'0');
    let all_nine = hi_rest.bytes().all(|b| b == b'9');
    let mut alts = Vec::new();
    // The first digit runs from `first` to `last` with any digits after.
    let first = if all_zero { l } else { next(l) };
    let last = if all_nine { h } else { prev(h) };
    if !all_zero {
        let nines = "9".repeat(n);
        alts.extend(
            same_length(lo_rest, &nines)
                .into_iter()
                .map(|t| format!("{l}{t}")),
        );
    }
    if first <= last {
        alts.push(format!("{}{}", class(first, last), any_digits(n)));
    }
    if !all_nine {
        let zeros = "0".repeat(n);
        alts.extend(
            same_length(&zeros, hi_rest)
                .into_iter()
                .map(|t| format!("{h}{t}")),
        );
    }
    alts
}

fn next(c: char) -> char {
    char::from(c as u8 + 1)
}

fn prev(c: char) -> char {
    char::from(c as u8 - 1)
}

fn class(a: char, b: char) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("[{a}-{b}]")
    }
}

fn any_digits(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => "[0-9]".to_string(),
        n => format!("[0-9]{{{n}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::pattern;

    fn check(lo: i128, hi: i128, probe: impl IntoIterator<Item = i128>) {
        let re = regex::Regex::new(&pattern(lo, hi)).expect("valid regex");
        for v in probe {
            assert_eq!(
                re.is_match(&v.to_string()),
                (lo..=hi).contains(&v),
                "{v} in [{lo}, {hi}]: {}",
                pattern(lo, hi)
            );
        }
    }

    #[test]
    fn small_ranges_match_exactly() {
        for (lo, hi) in [
            (0, 0),
            (0, 9),
            (1, 12),
            (-5, 5),
            (-120, -7),
            (37, 4021),
            (100, 199),
            (99, 1000),
            (-1000, -1),
        ] {
            check(lo, hi, -1100..=4100);
        }
    }

    #[test]
    fn the_i64_range_matches_exactly_at_its_edges() {
        let (lo, hi) = (i128::from(i64::MIN), i128::from(i64::MAX));
        let edges = [
            lo - 1,
            lo,
            lo + 1,
            -1,
            0,
            1,
            hi - 1,
            hi,
            hi + 1,
            10i128.pow(18),
            -(10i128.pow(18)),
            10i128.pow(19),
        ];
        check(lo, hi, edges);
        let re = regex::Regex::new(&pattern(lo, hi)).expect("valid regex");
        for bad in ["", "-0", "007", "+1", "1.5", "1e3", " 1", "-"] {
            assert!(!re.is_match(bad), "{bad:?} is not canonical");
        }
    }

    #[test]
    fn an_empty_range_matches_nothing() {
        // A look-ahead that always fails: ECMA 262 and Python regexes (what
        // OpenAPI tools use) support it. A checked contract never has
        // min > max, so this only keeps `pattern` total.
        assert_eq!(pattern(3, 2), "^(?!)$");
    }
}
