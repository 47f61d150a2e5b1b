//! CSRF defence: a cookie-authenticated mutating request from another origin is refused before the action runs.
//!
//! Browsers attach cookies to cross-site requests that `SameSite=Lax` does
//! not stop (same-site subdomains, top-level form posts in older browsers).
//! A browser also says where a request comes from: `Sec-Fetch-Site`
//! (`same-origin`, `same-site`, `cross-site`, `none`) and `Origin`. A
//! mutating request (not GET, HEAD or OPTIONS) that carries the session
//! cookie passes when `Sec-Fetch-Site` is `same-origin` or `none` (typed by
//! the user), or when its `Origin` is the server's own (the `Host` header)
//! or one of the allowed origins (`CORS_ALLOWED_ORIGINS` and
//! `CSRF_TRUSTED_ORIGINS`): the TypeScript SDK in a page of an allowed
//! origin keeps working. A request with neither header comes from a
//! program, not a browser page, and passes. API-key callers send no cookie
//! and are never checked.

use axum::http::{HeaderMap, HeaderName, Method, StatusCode, header};

use crate::ApiError;

/// `Sec-Fetch-Site`, parsed once (a name given as text is parsed at every
/// lookup).
pub(crate) static SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Checks one request; `Err` is 403 `csrf_rejected`.
pub fn check(method: &Method, headers: &HeaderMap, allowed: &[String]) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let text = |name: &HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let site = text(&SEC_FETCH_SITE);
    if matches!(site, Some("same-origin") | Some("none")) {
        return Ok(());
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let Some(origin) = origin else {
        // No Origin: a cross-site browser request always sends one with a
        // mutating method, so this is a program, unless the browser said
        // the request was cross-site.
        return if site.is_some() {
            Err(rejected())
        } else {
            Ok(())
        };
    };
    let origin = origin.trim().trim_end_matches('/');
    let host = text(&header::HOST).map(str::trim);
    let authority = origin.split_once("://").map(|(_, a)| a);
    let same_origin = matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h));
    let allowed = allowed
        .iter()
        .any(|o| o != "*" && o.trim_end_matches('/').eq_ignore_ascii_case(origin));
    if same_origin || allowed {
        Ok(())
    } else {
        Err(rejected())
    }
}

fn rejected() -> ApiError {
    ApiError::framework(
        StatusCode::FORBIDDEN,
        "csrf_rejected",
        "Cross-origin request refused: this request carries the session cookie but comes from an origin the server does not allow (add it to CORS_ALLOWED_ORIGINS or CSRF_TRUSTED_ORIGINS).",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn same_origin_allowed_and_programs_pass_cross_origin_posts_do_not() {
        let allowed = vec!["https://app.example.com".to_owned()];
        let post = Method::POST;
        let ok = |h: &[(&'static str, &str)]| check(&post, &headers(h), &allowed).is_ok();
        assert!(ok(&[]), "no browser headers: a program");
        assert!(ok(&[("sec-fetch-site", "same-origin")]));
        assert!(ok(&[
            ("origin", "https://api.example.com"),
            ("host", "api.example.com")
        ]));
        assert!(ok(&[
            ("origin", "https://app.example.com"),
            ("sec-fetch-site", "same-site")
        ]));
        assert!(!ok(&[
            ("origin", "https://evil.example"),
            ("host", "api.example.com")
        ]));
        assert!(!ok(&[("origin", "null"), ("host", "api.example.com")]));
        assert!(!ok(&[("sec-fetch-site", "cross-site")]));
        assert!(
            check(
                &Method::GET,
                &headers(&[("origin", "https://evil.example")]),
                &allowed
            )
            .is_ok()
        );
    }
}
