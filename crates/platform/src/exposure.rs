//! What a server shows beyond its own API: server reflection (a full description of every
//! method and message — convenient for grpcurl and a newcomer, a map for an attacker) and
//! health `Watch` (a stream each caller holds open). Both are settings: the one-process suite
//! has both; a production binary has `Watch` (the suite's own balanced clients follow each
//! replica's health with it) and reflection only when `GRPC_REFLECTION=true`.
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

/// What the servers of this process show besides their API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exposure {
    /// Serve gRPC server reflection (v1 and v1alpha).
    pub reflection: bool,
    /// Answer health `Watch` (else only `Check`).
    pub health_watch: bool,
}

impl Exposure {
    /// Everything: the one-process suite and tests.
    pub const ALL: Self = Self {
        reflection: true,
        health_watch: true,
    };
}

static EXPOSURE: OnceLock<Exposure> = OnceLock::new();

/// Sets what every server of this process shows (once, at start).
pub fn set(exposure: Exposure) {
    let _ = EXPOSURE.set(exposure);
}

/// What every server of this process shows ([`Exposure::ALL`] unless set).
pub fn current() -> Exposure {
    *EXPOSURE.get().unwrap_or(&Exposure::ALL)
}

/// The gRPC path of health `Watch`.
const WATCH: &str = "/grpc.health.v1.Health/Watch";

/// The health service, with `Watch` answered as not offered when it is turned off. UNIMPLEMENTED
/// is the code gRPC health clients read as "this server does not offer watching" (they fall back
/// to `Check`); any other code would mark the server unhealthy.
#[derive(Clone)]
pub struct GatedHealth<S> {
    inner: S,
    watch: bool,
}

impl<S> GatedHealth<S> {
    /// `inner` (a health server), answering `Watch` only when `watch`.
    pub fn new(inner: S, watch: bool) -> Self {
        Self { inner, watch }
    }
}

impl<S: tonic::server::NamedService> tonic::server::NamedService for GatedHealth<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> tower::Service<http::Request<B>> for GatedHealth<S>
where
    S: tower::Service<
            http::Request<B>,
            Response = http::Response<tonic::body::Body>,
            Error = Infallible,
        >,
    S::Future: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if !self.watch && request.uri().path() == WATCH {
            let refused = tonic::Status::unimplemented(
                "health Watch is turned off on this server (GRPC_HEALTH_WATCH=false): use Check",
            );
            return Box::pin(std::future::ready(Ok(refused.into_http())));
        }
        Box::pin(self.inner.call(request))
    }
}
