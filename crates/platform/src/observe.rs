//! Per-call observation for every server (and the gateway): a span parented on the caller's W3C
//! trace context, the trace id in the request's extensions, and Prometheus metrics by method and
//! gRPC status code, read from the trailers (or trailers-only headers) when the call really ends.
use crate::telemetry::adopt_remote_parent;
use http_body::{Body, Frame};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use tracing::Instrument;

/// Counter: calls finished, by `service`, `grpc_method`, `grpc_code`.
pub const HANDLED_TOTAL: &str = "grpc_server_handled_total";
/// Histogram: seconds from request to the end of the response, by `service`, `grpc_method`.
pub const HANDLING_SECONDS: &str = "grpc_server_handling_seconds";
/// Gauge: calls started and not yet finished, by `service` (the autoscaler's load signal: CPU
/// misses calls that wait on the database).
pub const IN_FLIGHT: &str = "grpc_server_in_flight_calls";

/// Layer adding observation to a gRPC server stack; `service` labels metrics and spans.
#[derive(Clone, Copy, Debug)]
pub struct ObserveLayer {
    service: &'static str,
}

impl ObserveLayer {
    /// Observation labelled with `service`.
    pub fn new(service: &'static str) -> Self {
        Self { service }
    }
}

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = ObserveService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        ObserveService {
            inner,
            service: self.service,
        }
    }
}

/// The service of [`ObserveLayer`].
#[derive(Clone, Debug)]
pub struct ObserveService<S> {
    inner: S,
    service: &'static str,
}

impl<S, B, R> tower::Service<http::Request<B>> for ObserveService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    R: Body + Send + 'static,
{
    type Response = http::Response<ObservedBody<R>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // Metrics and span names take only methods the suite knows ("unknown" otherwise).
        let method = crate::reflection::method_label(request.uri().path()).to_string();
        let span = tracing::info_span!(
            "grpc.request",
            otel.name = %method,
            otel.kind = "server",
            rpc.system = "grpc",
            service = self.service,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        let trace_id = adopt_remote_parent(&span, request.headers());
        request.extensions_mut().insert(trace_id.clone());
        let started = Instant::now();
        let service = self.service;
        let in_flight = InFlight::start(service);
        // The handler runs under the caller's deadline: its own outbound calls carry the rest.
        let deadline = crate::deadline::of_request(request.headers());
        let future = crate::deadline::within(deadline, self.inner.call(request));
        Box::pin(
            async move {
                let mut response = future.await?;
                let mut recorder = Recorder {
                    service,
                    method,
                    started,
                    in_flight: Some(in_flight),
                };
                if !trace_id.0.is_empty()
                    && let Ok(value) = http::HeaderValue::from_str(&trace_id.0)
                {
                    response.headers_mut().insert(TRACE_ID_HEADER, value);
                }
                // Trailers-only responses (errors before any message) carry the code in headers.
                if let Some(code) = grpc_code(response.headers()) {
                    recorder.finish(code);
                    add_server_timing(response.headers_mut(), service, started);
                }
                Ok(response.map(|body| ObservedBody {
                    inner: body,
                    recorder,
                }))
            }
            .instrument(span),
        )
    }
}

/// One call counted in [`IN_FLIGHT`] until dropped (when the call ends, however it ends).
struct InFlight(&'static str);

impl InFlight {
    fn start(service: &'static str) -> Self {
        metrics::gauge!(IN_FLIGHT, "service" => service).increment(1.0);
        Self(service)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!(IN_FLIGHT, "service" => self.0).decrement(1.0);
    }
}

struct Recorder {
    service: &'static str,
    method: String,
    started: Instant,
    /// Present until the call is recorded as finished.
    in_flight: Option<InFlight>,
}

impl Recorder {
    fn finish(&mut self, code: tonic::Code) {
        if self.in_flight.take().is_none() {
            return;
        }
        let code_label = format!("{code:?}");
        metrics::counter!(HANDLED_TOTAL, "service" => self.service, "grpc_method" => self.method.clone(), "grpc_code" => code_label)
            .increment(1);
        metrics::histogram!(HANDLING_SECONDS, "service" => self.service, "grpc_method" => self.method.clone())
            .record(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // The body was dropped before its trailers: the client went away.
        self.finish(tonic::Code::Cancelled);
    }
}

/// Response header carrying the call's trace id (when it has one), so a caller can quote it.
pub const TRACE_ID_HEADER: &str = "x-trace-id";

/// Adds this server's time to the `server-timing` trailer (W3C Server Timing, in milliseconds).
/// Behind the gateway the trailer lists both, "limits;dur=2.1, gateway;dur=2.6", so a caller
/// tells the service's time from the hop's.
fn add_server_timing(trailers: &mut http::HeaderMap, service: &str, started: Instant) {
    let mine = format!(
        "{service};dur={:.3}",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let value = match trailers.get(SERVER_TIMING).and_then(|v| v.to_str().ok()) {
        Some(upstream) => format!("{upstream}, {mine}"),
        None => mine,
    };
    if let Ok(value) = http::HeaderValue::from_str(&value) {
        trailers.insert(SERVER_TIMING, value);
    }
}

/// Trailer with each server's handling time.
pub const SERVER_TIMING: &str = "server-timing";

fn grpc_code(headers: &http::HeaderMap) -> Option<tonic::Code> {
    headers
        .get("grpc-status")
        .map(|v| tonic::Code::from_bytes(v.as_bytes()))
}

pin_project! {
    /// A response body that records the call's metrics when its trailers pass.
    pub struct ObservedBody<B> {
        #[pin]
        inner: B,
        recorder: Recorder,
    }
}

impl<B: Body> Body for ObservedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let mut polled = this.inner.poll_frame(cx);
        match &mut polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_mut()
                    && let Some(code) = grpc_code(trailers)
                {
                    this.recorder.finish(code);
                    add_server_timing(trailers, this.recorder.service, this.recorder.started);
                }
            }
            Poll::Ready(Some(Err(_))) => this.recorder.finish(tonic::Code::Internal),
            Poll::Ready(None) => this.recorder.finish(tonic::Code::Ok),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::{Layer, ServiceExt};

    /// A handler that answers with what is left of its caller's deadline, in milliseconds.
    async fn handler(
        _: http::Request<tonic::body::Body>,
    ) -> Result<http::Response<tonic::body::Body>, std::convert::Infallible> {
        let left =
            crate::deadline::remaining().map_or("none".to_string(), |d| d.as_millis().to_string());
        let mut response = tonic::Status::ok("").into_http::<tonic::body::Body>();
        response
            .headers_mut()
            .insert("x-left-ms", left.parse().expect("header"));
        Ok(response)
    }

    async fn left_for(timeout: Option<&str>) -> String {
        let service = ObserveLayer::new("test").layer(tower::service_fn(handler));
        let mut request = http::Request::new(tonic::body::Body::empty());
        *request.uri_mut() = "/test.Service/Call".parse().expect("uri");
        if let Some(timeout) = timeout {
            request
                .headers_mut()
                .insert("grpc-timeout", timeout.parse().expect("header"));
        }
        let response = service.oneshot(request).await.expect("answered");
        response.headers()["x-left-ms"]
            .to_str()
            .expect("ascii")
            .to_string()
    }

    #[tokio::test]
    async fn the_handler_runs_under_its_callers_deadline() {
        let left: u64 = left_for(Some("5S")).await.parse().expect("a deadline");
        assert!(left <= 5000 && left > 4000, "{left} ms");
        assert_eq!(left_for(None).await, "none");
    }
}
