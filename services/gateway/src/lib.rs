//! The gateway: one gRPC entry point for the suite. It verifies the caller's token, forwards each
//! call to the service that owns its package without decoding it (deadlines and trace context
//! travel in the headers), and answers health and reflection for the whole suite.
pub mod deadline;
pub mod health;
pub mod proxy;
pub mod upstream;

use credit_platform::auth::{Access, AuthConfig, AuthLayer, TokenVerifier};
use credit_platform::observe::ObserveLayer;
use credit_platform::reflection::{reflection_services, services_of};
use credit_platform::server::Shutdown;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
pub use upstream::{Upstream, Upstreams};

/// The gateway's readiness probe asks this health name: SERVING from start until the drain.
pub const READINESS: &str = "gateway";
pub use credit_platform::readiness::LIVENESS;

/// Settings of the gateway (environment variables in brackets; see docs/operations.md).
#[derive(Debug, Clone, clap::Args)]
pub struct GatewayConfig {
    /// Routes, as package=url pairs separated by commas:
    /// "credit.limits.v1=http://limits:50051"; a url may list several replicas
    /// ("credit.limits.v1=http://10.0.0.1:50051,10.0.0.2:50051"), else its host is resolved
    /// again and again and every address it answers is a replica.
    #[arg(long = "upstreams", env = "GATEWAY_UPSTREAMS", required = true)]
    pub upstreams: Upstreams,
    /// How long to try to connect to an upstream before answering UNAVAILABLE, in milliseconds.
    #[arg(long, env = "GATEWAY_CONNECT_TIMEOUT_MS", default_value_t = 1000)]
    pub connect_timeout_ms: u64,
    /// Deadline of a unary call whose caller set none, in milliseconds (0: none). The service
    /// and every call it makes work within it; streams get none.
    #[arg(long, env = "GATEWAY_DEFAULT_DEADLINE_MS", default_value_t = 30_000)]
    pub default_deadline_ms: u64,
    /// How often upstream health is polled, in milliseconds.
    #[arg(long, env = "GATEWAY_HEALTH_INTERVAL_MS", default_value_t = 2000)]
    pub health_interval_ms: u64,
    /// Token verification (the same keys as the services).
    #[command(flatten)]
    pub auth: AuthConfig,
    /// Longest wait for in-flight calls at shutdown, in seconds.
    #[arg(long, env = "SHUTDOWN_DRAIN_SECS", default_value_t = 20)]
    pub shutdown_drain_secs: u64,
    /// TLS of the gateway's own listener, instead of the process's (GRPC_TLS_*): the
    /// one-process suite serves its services over mutual TLS and its gateway over TLS alone.
    #[arg(skip)]
    pub listener_tls: Option<credit_platform::tls::ServerTls>,
}

/// Serves the gateway on `listener` until `shutdown`, then drains.
pub async fn serve(
    config: GatewayConfig,
    listener: TcpListener,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let verifier = TokenVerifier::from_config(&config.auth)?;
    // Keys from an identity provider's URL must be there before the first caller.
    verifier.ready(Duration::from_secs(30)).await?;
    let routes = upstream::Routes::connect(
        &config.upstreams,
        Duration::from_millis(config.connect_timeout_ms),
    )?;
    for reason in ["unknown_service", "upstream_unavailable"] {
        metrics::counter!(proxy::PROXY_FAILURES, "reason" => reason).increment(0);
    }
    let (reporter, health_service) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", tonic_health::ServingStatus::NotServing)
        .await;
    // The gateway's own health, apart from the suite's (""): it can route (whatever each
    // upstream says, a call to a down one fails fast), until it starts draining.
    reporter
        .set_service_status(READINESS, tonic_health::ServingStatus::Serving)
        .await;
    reporter
        .set_service_status(LIVENESS, tonic_health::ServingStatus::Serving)
        .await;
    // The gateway describes the union of what it routes, and nothing it would not route.
    let mut routed = Vec::new();
    for upstream in config.upstreams.iter() {
        let services = services_of(&upstream.package);
        if services.is_empty() {
            // A typo ("credit.limit.v1") would otherwise route nothing, silently.
            anyhow::bail!(
                "upstream package '{}' defines no service in the suite's contracts",
                upstream.package
            );
        }
        routed.extend(services);
    }
    // Every service serves the shared event feed; the gateway routes it by its metadata.
    routed.push(upstream::FEED_SERVICE.to_string());
    // Known services get health (and reflection, when served) here; everything else falls
    // through to the proxy.
    let exposure = credit_platform::exposure::current();
    let mut local = tonic::service::Routes::new(credit_platform::exposure::GatedHealth::new(
        health_service,
        exposure.health_watch,
    ));
    if exposure.reflection {
        let (reflection_v1, reflection_v1alpha) = reflection_services(&routed)?;
        local = local
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha);
    }
    let router = local.into_axum_router().fallback_service(proxy::Proxy::new(
        routes.clone(),
        Duration::from_millis(config.default_deadline_ms),
    ));
    // The gateway checks the token once at the edge; each service checks roles itself.
    let layers = tower::ServiceBuilder::new()
        .layer(ObserveLayer::new("gateway"))
        // Overload is refused at once (RESOURCE_EXHAUSTED), not queued past callers' deadlines.
        .layer(tower::load_shed::LoadShedLayer::new())
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            credit_platform::server::max_concurrent_calls(),
        ))
        .layer(AuthLayer::new(
            verifier,
            // Every routed call needs a token here; the service behind applies its own rules.
            Arc::new(|_: &str| Some(Access::Authenticated)),
            Vec::new(),
        ))
        .into_inner();
    let server = credit_platform::server::builder()
        .layer(layers)
        .add_routes(tonic::service::Routes::from(router))
        .serve_with_incoming_shutdown(
            credit_platform::server::incoming_over(
                listener,
                config
                    .listener_tls
                    .clone()
                    .or_else(credit_platform::tls::server_tls),
            ),
            shutdown.wait(),
        );
    let server = tokio::spawn(server);
    {
        let (reporter, shutdown) = (reporter.clone(), shutdown.clone());
        // The admin port's /readyz follows the same readiness (the kubelet cannot probe gRPC
        // over TLS).
        let ready = Arc::new(std::sync::atomic::AtomicBool::new(true));
        credit_platform::admin::register_readiness(READINESS, ready.clone());
        // Announced shutdown: NOT_SERVING at once, while calls are still forwarded.
        tokio::spawn(async move {
            shutdown.leaving().await;
            ready.store(false, std::sync::atomic::Ordering::SeqCst);
            reporter
                .set_service_status(READINESS, tonic_health::ServingStatus::NotServing)
                .await;
        });
    }
    tokio::spawn(health::follow_upstreams(
        reporter,
        routes,
        Duration::from_millis(config.health_interval_ms.max(100)),
        shutdown.subscribe(),
    ));
    credit_platform::server::drain_on_shutdown(
        server,
        None,
        &shutdown,
        Duration::from_secs(config.shutdown_drain_secs),
        "gateway",
    )
    .await?;
    Ok(())
}
