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
        let method = request.uri().path().to_string();
        let span = tracing::info_span!(
            "grpc.request",
            otel.name = %method,
            otel.kind = "server",
            rpc.system = "grpc",
            service = self.service,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        let trace_id = adopt_remote_parent(&span, request.headers());
        request.extensions_mut().insert(trace_id);
        let started = Instant::now();
        let service = self.service;
        let future = self.inner.call(request);
        Box::pin(
            async move {
                let response = future.await?;
                let mut recorder = Recorder {
                    service,
                    method,
                    started,
                    done: false,
                };
                // Trailers-only responses (errors before any message) carry the code in headers.
                if let Some(code) = grpc_code(response.headers()) {
                    recorder.finish(code);
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

struct Recorder {
    service: &'static str,
    method: String,
    started: Instant,
    done: bool,
}

impl Recorder {
    fn finish(&mut self, code: tonic::Code) {
        if std::mem::replace(&mut self.done, true) {
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
        let polled = this.inner.poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(grpc_code) {
                    this.recorder.finish(code);
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
