//! Small value rules shared by the checker and lowering: route paths, durations, the implicit errors and the transport errors.

use crate::ir::{ErrorKind, ErrorPayload};

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

/// One of the framework's implicit errors.
#[derive(Debug, Clone, Copy)]
pub struct Implicit {
    /// The wire code.
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The message lowering gives it.
    pub message: &'static str,
    /// Its kind.
    pub kind: ErrorKind,
    /// What it carries.
    pub payload: ErrorPayload,
}

/// The implicit errors, in the order they are appended to
/// [`crate::ir::Action::errors`] when the action can answer them (see there
/// for when that is).
pub const IMPLICIT_ERRORS: &[Implicit] = &[
    Implicit {
        code: "validation_failed",
        status: 400,
        message: "The input is invalid",
        kind: ErrorKind::ValidationFailed,
        payload: ErrorPayload::Violations,
    },
    Implicit {
        code: "unauthorized",
        status: 401,
        message: "Authentication is required",
        kind: ErrorKind::Unauthorized,
        payload: ErrorPayload::None,
    },
    Implicit {
        code: "forbidden",
        status: 403,
        message: "You are not allowed to do this",
        kind: ErrorKind::Forbidden,
        payload: ErrorPayload::None,
    },
    Implicit {
        code: "rate_limited",
        status: 429,
        message: "Too many requests",
        kind: ErrorKind::RateLimited,
        payload: ErrorPayload::None,
    },
    Implicit {
        code: "not_implemented",
        status: 501,
        message: "Not implemented yet",
        kind: ErrorKind::NotImplemented,
        payload: ErrorPayload::None,
    },
    Implicit {
        code: "internal",
        status: 500,
        message: "Internal error",
        kind: ErrorKind::Internal,
        payload: ErrorPayload::Detail,
    },
];

/// The framework's answers to HTTP requests that no action declares, as
/// `(code, status, message, with_body)`, sorted by status: the codes
/// `bunbase-runtime` answers with (`runtime-support/src/error.rs`,
/// `http.rs`, `server.rs`). `with_body` marks the ones only a request with
/// a body can get.
pub const TRANSPORT_ERRORS: &[(&str, u16, &str, bool)] = &[
    (
        "malformed_json",
        400,
        "The request body is not valid JSON",
        true,
    ),
    ("not_found", 404, "No route matches this path", false),
    (
        "method_not_allowed",
        405,
        "This path does not accept this HTTP method",
        false,
    ),
    (
        "payload_too_large",
        413,
        "The request body is too large",
        true,
    ),
    (
        "unsupported_media_type",
        415,
        "The body must be JSON, sent with `Content-Type: application/json`",
        true,
    ),
];

/// Codes a contract may declare only with their framework status: the
/// implicit errors' and the transport errors' (`not_found` is 404, as the
/// framework answers it for a path no route serves).
pub fn framework_status(code: &str) -> Option<u16> {
    IMPLICIT_ERRORS
        .iter()
        .find(|i| i.code == code)
        .map(|i| i.status)
        .or_else(|| {
            TRANSPORT_ERRORS
                .iter()
                .find(|(c, ..)| *c == code)
                .map(|(_, s, ..)| *s)
        })
}

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
