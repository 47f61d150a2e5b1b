//! Small value rules shared by the checker and lowering: route paths, durations and the implicit errors.

/// Joins route parts into one normalised path: a leading slash, single
/// slashes, no trailing slash except for the root `/`.
pub fn join_path(parts: &[&str]) -> String {
    let segments: Vec<&str> = parts
        .iter()
        .flat_map(|p| p.split('/'))
        .filter(|s| !s.is_empty())
        .collect();
    if segments.is_empty() {
        "/".to_owned()
    } else {
        format!("/{}", segments.join("/"))
    }
}

/// A base path or module prefix normalised to `""` or `/a/b`.
pub fn normalize_prefix(p: &str) -> String {
    let joined = join_path(&[p]);
    if joined == "/" { String::new() } else { joined }
}

/// The `{param}` names of a path, in order.
pub fn path_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_owned)
        .collect()
}

/// The path with every parameter replaced by `{}`: two routes with the same
/// shape and method are the same route.
pub fn path_shape(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') && seg.ends_with('}') {
                "{}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Parses a duration (`250ms`, `30s`, `5m`, `2h`, `7d`) into milliseconds.
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit())?;
    if digits == 0 {
        return None;
    }
    let n: u64 = s[..digits].parse().ok()?;
    let unit: u64 = match &s[digits..] {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(unit)
}

/// The errors every action has, with their statuses, in the order they are
/// appended to [`crate::ir::Action::errors`].
pub const IMPLICIT_ERRORS: &[(&str, u16)] = &[
    ("validation_failed", 400),
    ("unauthorized", 401),
    ("forbidden", 403),
    ("not_found", 404),
    ("rate_limited", 429),
    ("not_implemented", 501),
    ("internal", 500),
];

/// Error codes the TypeScript client uses for failures of its own; a
/// contract may not declare them.
pub const CLIENT_ERRORS: &[&str] = &[
    "network_error",
    "timeout",
    "aborted",
    "invalid_response",
    "unknown_error",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_paths() {
        assert_eq!(join_path(&["/api", "/tasks/", "/"]), "/api/tasks");
        assert_eq!(join_path(&["", "", "/"]), "/");
        assert_eq!(join_path(&["/api/", "//x//{id}/"]), "/api/x/{id}");
        assert_eq!(normalize_prefix("api/"), "/api");
        assert_eq!(normalize_prefix("/"), "");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Some(250));
        assert_eq!(parse_duration("7d"), Some(604_800_000));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("ms"), None);
        assert_eq!(parse_duration("1w"), None);
    }
}
