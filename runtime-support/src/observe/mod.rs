//! Observability beyond logs and run history: Prometheus metrics (`/metrics`, feature `metrics`) and OpenTelemetry trace export (feature `otel`).
//!
//! Both are off until configured (see [`MetricsConfig`] and the runtime
//! manual's configuration table), and a build without the features carries
//! none of their code. The pipeline reports every run here
//! (`on_run`, `on_guard_denied`); with metrics off that is one branch.

#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(feature = "otel")]
pub mod otel;

use std::time::Instant;

use crate::context::TriggerKind;
use crate::{ApiError, Runtime};

/// `METRICS` and `METRICS_TOKEN`: whether the runtime counts runs and
/// serves them at `/metrics`, and the bearer token a scrape must send.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MetricsConfig {
    /// `METRICS=on` (default off).
    pub enabled: bool,
    /// `METRICS_TOKEN`: when set, `/metrics` answers 401 unless the scrape
    /// sends `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

impl std::fmt::Debug for MetricsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsConfig")
            .field("enabled", &self.enabled)
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// Whether this build can serve metrics (the `metrics` feature).
pub const METRICS_BUILT: bool = cfg!(feature = "metrics");

/// Records a finished run of `action` (every trigger) that started at
/// `started`: its outcome, its duration (read only when metrics are on)
/// and, on failure, its error code.
#[inline]
pub(crate) fn on_run(
    rt: &Runtime,
    action: &'static str,
    trigger: TriggerKind,
    result: Result<(), &ApiError>,
    started: Instant,
    attempts: u32,
) {
    #[cfg(feature = "metrics")]
    if let Some(m) = rt.metrics() {
        m.record_run(action, trigger, result, started.elapsed(), attempts);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (rt, action, trigger, result, started, attempts);
}

/// Records that a guard of `action` refused a run with `err`.
#[inline]
pub(crate) fn on_guard_denied(
    rt: &Runtime,
    action: &'static str,
    trigger: TriggerKind,
    err: &ApiError,
) {
    #[cfg(feature = "metrics")]
    if let Some(m) = rt.metrics() {
        m.record_guard_denial(action, trigger, err.code());
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (rt, action, trigger, err);
}

/// Adds `GET /metrics` to `routes` when metrics are on.
pub(crate) fn mount(rt: &Runtime, routes: axum::Router) -> axum::Router {
    #[cfg(feature = "metrics")]
    if rt.metrics().is_some() {
        let rt = rt.clone();
        return routes.route(
            METRICS_PATH,
            axum::routing::get(move |headers| scrape(rt.clone(), headers)),
        );
    }
    let _ = rt;
    routes
}

/// Where [`crate::Runtime::app`] serves metrics.
pub const METRICS_PATH: &str = "/metrics";

/// `GET /metrics`: the Prometheus text format, after the bearer token check
/// when `METRICS_TOKEN` is set (401 envelope otherwise).
#[cfg(feature = "metrics")]
async fn scrape(rt: Runtime, headers: axum::http::HeaderMap) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    use subtle::ConstantTimeEq as _;
    let Some(metrics) = rt.metrics() else {
        return ApiError::framework(
            axum::http::StatusCode::NOT_FOUND,
            crate::error::codes::NOT_FOUND,
            "Metrics are off: set METRICS=on.",
        )
        .into_response();
    };
    if let Some(token) = &rt.config().metrics.token {
        let sent = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(sent.as_bytes().ct_eq(token.as_bytes())) {
            return ApiError::framework(
                axum::http::StatusCode::UNAUTHORIZED,
                crate::error::codes::UNAUTHORIZED,
                "Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.",
            )
            .into_response();
        }
    }
    let body = metrics.render(&rt).await;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
