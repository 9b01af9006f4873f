//! Forwards a gRPC call to its upstream as HTTP/2 frames, without decoding the messages, so the
//! gateway never needs to know a service's types (and streams pass through as they are).
use crate::deadline::DeadlineBody;
use crate::upstream::Routes;
use credit_platform::error::ApiError;
use credit_platform::message_size::LimitedBody;
use credit_platform::server::MAX_MESSAGE_BYTES;
use credit_platform::telemetry::inject_current_context;
use futures::future::BoxFuture;
use http_body::Body as _;
use std::convert::Infallible;
use std::task::{Context, Poll};
use tonic::Status;
use tower::{Service, ServiceExt};

/// The fallback service of the gateway's router.
#[derive(Clone)]
pub struct Proxy {
    routes: Routes,
    default_deadline: std::time::Duration,
}

impl Proxy {
    /// A proxy over `routes`; a unary call without a deadline gets `default_deadline`.
    pub fn new(routes: Routes, default_deadline: std::time::Duration) -> Self {
        Self {
            routes,
            default_deadline,
        }
    }
}

/// Counter: calls the gateway could not hand to an upstream, by `reason`.
pub const PROXY_FAILURES: &str = "gateway_proxy_failures_total";

impl Service<http::Request<axum::body::Body>> for Proxy {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<axum::body::Body>) -> Self::Future {
        let path = request.uri().path().to_string();
        let channel = match self.routes.route(&path, request.headers()) {
            Ok(channel) => channel.clone(),
            Err(error) => {
                metrics::counter!(PROXY_FAILURES, "reason" => "unknown_service").increment(1);
                return Box::pin(async move { Ok(Status::from(error).into_http()) });
            }
        };
        let default_deadline = self.default_deadline;
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            with_default_deadline(&path, &mut parts.headers, default_deadline);
            // With tracing exported, the upstream becomes a child of the gateway's span;
            // otherwise the caller's traceparent passes through unchanged.
            inject_current_context(&mut parts.headers);
            let deadline = credit_platform::deadline::of_request(&parts.headers);
            // Messages over the suite's limit are refused here, before they are forwarded: the
            // forwarded body fails at the oversized message's prefix, which fails the upstream
            // call, and the refusal says why.
            let body = LimitedBody::new(body, MAX_MESSAGE_BYTES);
            let refusal = body.refusal();
            let request = http::Request::from_parts(parts, tonic::body::Body::new(body));
            let forward = async move {
                let mut channel = channel;
                let ready = channel.ready().await.map_err(|e| unavailable(&path, &e))?;
                ready.call(request).await.map_err(|e| match refusal.get() {
                    Some(too_large) => too_large.into_http(),
                    None => unavailable(&path, &e),
                })
            };
            let response = match deadline {
                None => forward.await,
                Some(at) => match tokio::time::timeout_at(at, forward).await {
                    Ok(result) => result,
                    Err(_) => Err(Status::deadline_exceeded(
                        "deadline exceeded before the service answered",
                    )
                    .into_http()),
                },
            };
            Ok(match response {
                Ok(response) => pass_on(response, deadline),
                Err(failure) => failure,
            })
        })
    }
}

/// Gives a unary call that came without a deadline the default one, in its `grpc-timeout`
/// (so the service and every hop after it work within it too). Streams (event feeds, portfolio
/// rescoring) run as long as their caller wants.
fn with_default_deadline(path: &str, headers: &mut http::HeaderMap, default: std::time::Duration) {
    if default.is_zero()
        || headers.contains_key("grpc-timeout")
        || credit_platform::reflection::streams_responses(path)
    {
        return;
    }
    // At most 8 digits (the gRPC spec): milliseconds up to about 27 hours.
    let millis = default.as_millis().min(99_999_999);
    if let Ok(value) = http::HeaderValue::from_str(&format!("{millis}m")) {
        headers.insert("grpc-timeout", value);
    }
}

/// The upstream's response as the caller must receive it. A trailers-only response (an error
/// before any message: one HEADERS frame with END_STREAM carrying `grpc-status`) must leave
/// the gateway as one HEADERS frame with END_STREAM too: sent as headers and then an empty
/// DATA frame, the status sits in what the client reads as initial metadata and C-core clients
/// (Python, C++, Ruby, PHP, C#) answer UNKNOWN "Stream removed". So its body is replaced by one
/// that says it has ended before it is polled, and no deadline is attached to it.
fn pass_on(
    response: http::Response<tonic::body::Body>,
    deadline: Option<tokio::time::Instant>,
) -> http::Response<tonic::body::Body> {
    if response.headers().contains_key("grpc-status") || response.body().is_end_stream() {
        return response.map(|_| tonic::body::Body::empty());
    }
    match deadline {
        Some(at) => response.map(|body| tonic::body::Body::new(DeadlineBody::new(body, at))),
        None => response,
    }
}

fn unavailable(path: &str, error: &dyn std::fmt::Display) -> http::Response<tonic::body::Body> {
    metrics::counter!(PROXY_FAILURES, "reason" => "upstream_unavailable").increment(1);
    tracing::warn!(%path, %error, "upstream unavailable");
    Status::from(ApiError::UpstreamUnavailable(format!(
        "the service behind {path} is unavailable"
    )))
    .into_http()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_unary_call_without_a_deadline_gets_the_default_and_a_stream_does_not() {
        let default = Duration::from_secs(30);
        let mut unary = http::HeaderMap::new();
        with_default_deadline(
            "/credit.limits.v1.LimitsService/CheckCredit",
            &mut unary,
            default,
        );
        assert_eq!(
            unary.get("grpc-timeout").map(|v| v.as_bytes()),
            Some(&b"30000m"[..])
        );

        let mut own = http::HeaderMap::new();
        own.insert("grpc-timeout", http::HeaderValue::from_static("250m"));
        with_default_deadline(
            "/credit.limits.v1.LimitsService/CheckCredit",
            &mut own,
            default,
        );
        assert_eq!(
            own.get("grpc-timeout").map(|v| v.as_bytes()),
            Some(&b"250m"[..])
        );

        let mut stream = http::HeaderMap::new();
        with_default_deadline(
            "/credit.event.v1.EventFeedService/StreamEvents",
            &mut stream,
            default,
        );
        assert!(
            stream.get("grpc-timeout").is_none(),
            "feeds stream as long as asked"
        );

        let mut off = http::HeaderMap::new();
        with_default_deadline(
            "/credit.limits.v1.LimitsService/CheckCredit",
            &mut off,
            Duration::ZERO,
        );
        assert!(off.get("grpc-timeout").is_none(), "0 turns the default off");
    }
}
