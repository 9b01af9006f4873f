//! Logs and traces: `tracing` with JSON (or text) logs, OpenTelemetry spans exported over OTLP
//! when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and W3C trace context carried across every hop.
use http::HeaderMap;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line (production).
    Json,
    /// Human-readable lines (development).
    Text,
}

/// Keeps the trace exporter alive; flushes it on drop.
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("trace exporter shutdown failed: {error}");
        }
    }
}

/// Installs the global subscriber and propagator once per process. `RUST_LOG` filters
/// (default `info`); the OTLP exporter reads the standard `OTEL_*` variables.
pub fn init(service_name: &str, format: LogFormat) -> anyhow::Result<TelemetryGuard> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let log_layer = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_filter(filter())
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_filter(filter())
            .boxed(),
    };
    let provider = match std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT") {
        Ok(endpoint) if !endpoint.is_empty() => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .build()?;
            // The standard variables win (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES with the
            // Pod, node and version from the downward API); the binary's name is the default.
            let mut resource = opentelemetry_sdk::Resource::builder();
            if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
                resource = resource.with_service_name(service_name.to_string());
            }
            let resource = resource.build();
            Some(
                SdkTracerProvider::builder()
                    .with_batch_exporter(exporter)
                    .with_resource(resource)
                    .build(),
            )
        }
        _ => None,
    };
    let otel_layer = provider.as_ref().map(|provider| {
        // The exporter itself speaks gRPC: keep its own h2/tonic spans out of the export.
        let no_transport = EnvFilter::new("info,h2=off,tonic=off,hyper=off,tower=off");
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer(service_name.to_string()))
            .with_filter(no_transport)
    });
    tracing_subscriber::registry()
        .with(log_layer)
        .with(otel_layer)
        .try_init()?;
    Ok(TelemetryGuard { provider })
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// The W3C trace id of a request, carried in request extensions so handlers can record it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceId(pub String);

/// Makes `span` a child of the trace context in `headers` and returns the trace id in force
/// (the caller's, or a new one when the span is exported, or empty).
pub fn adopt_remote_parent(span: &tracing::Span, headers: &HeaderMap) -> TraceId {
    // W3C trace context is the suite's wire format whatever the global propagator is (tests and
    // embedders may never call `init`).
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    let remote = parent.span().span_context().clone();
    if remote.is_valid() {
        let _ = span.set_parent(parent);
    }
    let context = span.context();
    let own = context.span().span_context().clone();
    if own.is_valid() {
        TraceId(own.trace_id().to_string())
    } else if remote.is_valid() {
        TraceId(remote.trace_id().to_string())
    } else {
        TraceId::default()
    }
}

/// Writes the current span's trace context into outgoing `headers` (for client calls).
/// Without an exporter the incoming `traceparent` is passed on unchanged by the caller.
pub fn inject_current_context(headers: &mut HeaderMap) {
    let context = tracing::Span::current().context();
    if context.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
    }
}

/// The W3C `traceparent` of the current span, when it is traced (an exporter is installed).
pub fn current_traceparent() -> Option<String> {
    let mut headers = HeaderMap::new();
    inject_current_context(&mut headers);
    headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A span for work done because of an event (its handling by a follower, its recording by
/// audit), made a child of the span that caused the event when the event carries one, so the
/// whole chain is one trace.
pub fn event_span(name: &'static str, event: &credit_proto::event::Event) -> tracing::Span {
    let span = tracing::info_span!("event", otel.name = name, source = %event.source,
        sequence = event.sequence, event_type = %event.event_type);
    continue_trace(&span, &event.traceparent);
    span
}

/// Makes `span` a child of `traceparent` (as [`current_traceparent`] gave it, stored with
/// work done later: an event, a queued delivery); nothing when it is empty or malformed.
pub fn continue_trace(span: &tracing::Span, traceparent: &str) {
    if traceparent.is_empty() {
        return;
    }
    if let Ok(value) = http::HeaderValue::from_str(traceparent) {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", value);
        let _ = adopt_remote_parent(span, &headers);
    }
}

/// A tonic client interceptor that injects the current trace context into every call.
pub fn trace_context_interceptor(
    mut request: tonic::Request<()>,
) -> Result<tonic::Request<()>, tonic::Status> {
    let mut headers = HeaderMap::new();
    inject_current_context(&mut headers);
    for (name, value) in headers.iter() {
        if let Ok(key) = tonic::metadata::MetadataKey::from_bytes(name.as_str().as_bytes())
            && let Ok(value) = tonic::metadata::MetadataValue::try_from(value.as_bytes())
        {
            request.metadata_mut().insert(key, value);
        }
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incoming_trace_id_is_kept_without_an_exporter() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
                .parse()
                .expect("header"),
        );
        let span = tracing::info_span!("test");
        let id = adopt_remote_parent(&span, &headers);
        assert_eq!(id.0, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(
            adopt_remote_parent(&span, &HeaderMap::new()),
            TraceId::default()
        );
    }
}
