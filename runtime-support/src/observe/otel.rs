//! OpenTelemetry trace export (feature `otel`): when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, the `request` and `action` spans go to that collector over OTLP/HTTP, with the request's trace id as the trace's id.
//!
//! [`crate::init_tracing`] adds a `tracing-opentelemetry` layer with its own
//! filter (the runtime's spans at `debug`, everything else at `info`), so
//! log lines keep `RUST_LOG`'s level while traces get the request and
//! action spans. The trace id is the one logs and envelopes carry: the
//! SDK's id generator reads it from the task's scope ([`crate::trace`]), so
//! a request's spans, its `x-request-id` and its log lines share one id.
//! An id of 32 hex characters (generated, or from `traceparent`) is used as
//! it is; any other `x-request-id` is hashed (SHA-256, first 16 bytes) into
//! one, and kept on the span as `bunbase.trace_id`. A `traceparent` header
//! also makes the caller's span the request span's parent.
//!
//! Service name and other resource attributes come from the standard
//! variables (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`).

use std::sync::OnceLock;

use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceState, TracerProvider as _,
};
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator, SdkTracerProvider};
use sha2::{Digest as _, Sha256};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::TraceId;

/// The variables that turn export on.
pub const ENDPOINT_VARS: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
];

static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Whether an OTLP endpoint is configured.
pub fn configured() -> bool {
    ENDPOINT_VARS
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|s| !s.trim().is_empty()))
}

/// The OpenTelemetry trace id for a bunbase trace id: the id itself when it
/// is 32 hex characters, else the first 16 bytes of its SHA-256.
pub fn otel_trace_id(id: &TraceId) -> opentelemetry::trace::TraceId {
    let s = id.as_str();
    if s.len() == 32
        && let Ok(parsed) = opentelemetry::trace::TraceId::from_hex(s)
        && parsed != opentelemetry::trace::TraceId::INVALID
    {
        return parsed;
    }
    let digest = Sha256::digest(s.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    opentelemetry::trace::TraceId::from_bytes(bytes)
}

/// Span ids at random; trace ids from the task's scope (the request's or
/// action's trace id), at random only outside any scope.
#[derive(Debug, Default)]
struct ScopeIds(RandomIdGenerator);

impl IdGenerator for ScopeIds {
    fn new_trace_id(&self) -> opentelemetry::trace::TraceId {
        match crate::trace::current_trace_id() {
            Some(id) => otel_trace_id(&id),
            None => self.0.new_trace_id(),
        }
    }

    fn new_span_id(&self) -> SpanId {
        self.0.new_span_id()
    }
}

/// The export layer, when an endpoint is configured; `None` (with a
/// warning on stderr) when the exporter cannot be built.
pub(crate) fn layer<S>()
-> Option<tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::SdkTracer>>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    if !configured() {
        return None;
    }
    // The blocking HTTP client must not be created on an async runtime's
    // thread (the scaffold calls `init_tracing` inside `tokio::main`).
    let exporter = std::thread::spawn(|| {
        opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()
    })
    .join()
    .ok()?;
    let exporter = match exporter {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "warning: OpenTelemetry export is off: the OTLP exporter could not be built: {e}"
            );
            return None;
        }
    };
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_id_generator(ScopeIds::default())
        .with_resource(opentelemetry_sdk::Resource::builder().build())
        .build();
    let tracer = provider.tracer("bunbase-runtime");
    let _ = PROVIDER.set(provider);
    Some(tracing_opentelemetry::layer().with_tracer(tracer))
}

/// Exports the spans still buffered (at shutdown). Blocks up to the
/// exporter's timeout, so it runs off the async threads.
pub async fn flush() {
    if let Some(p) = PROVIDER.get() {
        let p = p.clone();
        let _ = tokio::task::spawn_blocking(move || p.force_flush()).await;
    }
}

/// Names the request span's place in the trace: the caller's span (from a
/// `traceparent` header) as its parent, and the original `x-request-id`
/// when it is not already the trace id.
pub(crate) fn link_request(span: &tracing::Span, id: &TraceId, headers: &axum::http::HeaderMap) {
    if PROVIDER.get().is_none() || span.is_disabled() {
        return;
    }
    if id.as_str().len() != 32 {
        span.set_attribute("bunbase.trace_id", id.as_str().to_owned());
    }
    let Some(parent) = headers
        .get(crate::trace::TRACEPARENT_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(parent_span)
    else {
        return;
    };
    let trace_id = otel_trace_id(id);
    // Only when the trace id is the traceparent's (no x-request-id of its own).
    if parent.0 != trace_id {
        return;
    }
    let cx = SpanContext::new(trace_id, parent.1, parent.2, true, TraceState::default());
    let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(cx));
}

/// The trace id, parent span id and flags of a `traceparent` value.
fn parent_span(value: &str) -> Option<(opentelemetry::trace::TraceId, SpanId, TraceFlags)> {
    let mut parts = value.trim().split('-');
    let _version = parts.next()?;
    let trace = opentelemetry::trace::TraceId::from_hex(parts.next()?).ok()?;
    let span = SpanId::from_hex(parts.next()?).ok()?;
    let flags = u8::from_str_radix(parts.next()?, 16).ok()?;
    (span != SpanId::INVALID).then_some((trace, span, TraceFlags::new(flags)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_map_onto_otel_ids() {
        let hex = TraceId::parse("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
        assert_eq!(
            otel_trace_id(&hex).to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        let custom = TraceId::parse("req-42").unwrap();
        let mapped = otel_trace_id(&custom);
        assert_ne!(mapped, opentelemetry::trace::TraceId::INVALID);
        assert_eq!(mapped, otel_trace_id(&custom), "stable");
        let parsed =
            parent_span("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        assert_eq!(parsed.1.to_string(), "00f067aa0ba902b7");
    }
}
