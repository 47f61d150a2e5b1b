//! The runtime's version, and the compile-time check generated code makes against it: an API crate generated for an incompatible runtime stops the build with a message that says how to find out more.

/// This runtime's version (`CARGO_PKG_VERSION`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Stops compilation when code generated for runtime `generated_for`
/// cannot be built against this runtime: semver-incompatible (another
/// major version; below 1.0, another minor; below 0.1, another patch) or
/// older than it. Generated API crates call it in a constant, so the check
/// costs nothing at run time:
///
/// ```
/// const _: () = bunbase_runtime::version::require(bunbase_runtime::version::VERSION);
/// ```
///
/// A mismatch is a compile error, not a confusing one about a missing
/// runtime item:
///
/// ```compile_fail
/// const _: () = bunbase_runtime::version::require("99.0.0");
/// ```
pub const fn require(generated_for: &str) {
    if !compatible(generated_for, VERSION) {
        panic!(
            "this API crate was generated for a bunbase-runtime that is not compatible with the one it is \
             built against: run `bunbase gen --check` in the workspace, which names the installed and the \
             expected versions and how to fix it"
        );
    }
}

/// Whether a runtime at `installed` satisfies `^generated_for` (cargo's
/// caret rule). Versions that do not parse are not compatible.
pub const fn compatible(generated_for: &str, installed: &str) -> bool {
    let (Some(want), Some(have)) = (parse(generated_for), parse(installed)) else {
        return false;
    };
    let (a, b) = (want, have);
    if a.0 != b.0 {
        return false;
    }
    if a.0 == 0 && a.1 != b.1 {
        return false;
    }
    if a.0 == 0 && a.1 == 0 && a.2 != b.2 {
        return false;
    }
    // Same series: the runtime must not be older than the generator.
    b.1 > a.1 || (b.1 == a.1 && b.2 >= a.2)
}

/// `major.minor.patch` (a pre-release or build suffix is ignored).
const fn parse(s: &str) -> Option<(u64, u64, u64)> {
    let bytes = s.as_bytes();
    let mut parts = [0u64; 3];
    let (mut part, mut i, mut digits) = (0, 0, 0);
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'-' || c == b'+' {
            break;
        }
        if c == b'.' {
            if digits == 0 || part == 2 {
                return None;
            }
            part += 1;
            digits = 0;
        } else if c.is_ascii_digit() {
            parts[part] = match parts[part].checked_mul(10) {
                Some(v) => match v.checked_add((c - b'0') as u64) {
                    Some(v) => v,
                    None => return None,
                },
                None => return None,
            };
            digits += 1;
        } else {
            return None;
        }
        i += 1;
    }
    if part != 2 || digits == 0 {
        return None;
    }
    Some((parts[0], parts[1], parts[2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_compatibility() {
        assert!(compatible("0.1.0", "0.1.0"));
        assert!(compatible("0.1.0", "0.1.9"));
        assert!(!compatible("0.1.3", "0.1.2"), "older than the generator");
        assert!(!compatible("0.1.0", "0.2.0"));
        assert!(!compatible("0.0.3", "0.0.4"));
        assert!(compatible("1.2.0", "1.9.1"));
        assert!(!compatible("1.2.0", "2.0.0"));
        assert!(!compatible("1.2", "1.2.0"));
        assert!(!compatible("x.y.z", "1.2.0"));
        assert!(compatible(VERSION, VERSION));
    }
}
