//! The API documentation page: the OpenAPI document and an interactive page that renders it, served from assets embedded in the runtime (no CDN, no other origin).
//!
//! [`routes`] mounts, under the contracts' base path:
//!
//! - `{base}/openapi.json`: the document;
//! - `{base}/docs`: the page, which lists every operation with its
//!   parameters, body fields and responses, and a "try it" form per
//!   operation that sends the request to this server (cookies included, so
//!   a session from `login` carries over);
//! - `{base}/docs/docs.js` and `{base}/docs/docs.css`: its script and style.
//!
//! The page is rendered by about 10 KB of dependency-free JavaScript
//! ([`ASSET_BYTES`] in all), so it works on an air-gapped machine. Its
//! `Content-Security-Policy` allows only this origin: a browser refuses to
//! load anything from elsewhere even if the page were changed to ask.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;

const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("docs.js");
const STYLE: &str = include_str!("docs.css");

/// The size in bytes of the page's three assets (HTML, script, style),
/// before the base path is filled in and before compression.
pub const ASSET_BYTES: usize = PAGE.len() + SCRIPT.len() + STYLE.len();

/// The policy sent with the page: scripts, styles and requests to this
/// origin only; no frames, no forms posting elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The documentation routes for an API served under `base_path` (`/api`,
/// or `""` for the root): `{base}/openapi.json` answers `openapi_json`,
/// `{base}/docs` the page. Generated routers merge it into their routes:
///
/// ```
/// # use bunbase_runtime::axum::Router;
/// const OPENAPI_JSON: &str = r#"{"openapi":"3.0.3","info":{"title":"Tasks API","version":"0.1.0"},"paths":{}}"#;
/// let routes: Router = Router::new().merge(bunbase_runtime::docs::routes("/api", OPENAPI_JSON));
/// ```
pub fn routes(base_path: &str, openapi_json: &'static str) -> Router {
    let base = base_path.trim_end_matches('/');
    let page = Bytes::from(PAGE.replace("{{BASE}}", &escape_html(base)));
    Router::new()
        .route(
            &format!("{base}/openapi.json"),
            get(move || async move { asset("application/json", openapi_json) }),
        )
        .route(
            &format!("{base}/docs"),
            get(move || {
                let mut res = asset("text/html; charset=utf-8", page.clone());
                res.headers_mut().insert(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(CONTENT_SECURITY_POLICY),
                );
                std::future::ready(res)
            }),
        )
        .route(
            &format!("{base}/docs/docs.js"),
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            &format!("{base}/docs/docs.css"),
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
}

/// A static asset with its content type. `no-cache` makes browsers revalidate, so a
/// regenerated document shows at once.
fn asset(content_type: &'static str, body: impl Into<Bytes>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Into::<Bytes>::into(body),
    )
        .into_response()
}

/// Escapes text for an HTML attribute or element body.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_only_this_origin() {
        for asset in [PAGE, SCRIPT, STYLE] {
            assert!(
                !asset.contains("http://") && !asset.contains("//cdn"),
                "{asset}"
            );
        }
        let page = PAGE.replace("{{BASE}}", &escape_html("/api"));
        assert!(page.contains(r#"src="/api/docs/docs.js""#));
        assert!(page.contains(r#"data-spec="/api/openapi.json""#));
    }

    #[test]
    fn the_base_path_is_escaped() {
        assert_eq!(escape_html(r#"/a"<b>&'"#), "/a&quot;&lt;b&gt;&amp;&#39;");
    }
}
