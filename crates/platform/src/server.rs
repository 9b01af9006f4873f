//! What every gRPC server of the suite runs with: listen and admin addresses, health that says
//! NOT_SERVING until the service is ready (and while its database does not answer), reflection,
//! and graceful shutdown on SIGTERM/SIGINT.
use crate::telemetry::LogFormat;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Listener, admin and logging settings common to every binary.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerConfig {
    /// Address the gRPC server listens on.
    #[arg(long, env = "GRPC_LISTEN_ADDR", default_value = "0.0.0.0:50051")]
    pub listen_addr: SocketAddr,
    /// Address of the admin HTTP server (/metrics, /livez).
    #[arg(long, env = "ADMIN_LISTEN_ADDR", default_value = "0.0.0.0:9090")]
    pub admin_addr: SocketAddr,
    /// Log format: json or text.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "json")]
    pub log_format: LogFormat,
}

/// A shutdown switch shared by the servers and background tasks of a process.
#[derive(Clone)]
pub struct Shutdown {
    sender: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self {
            sender: Arc::new(watch::channel(false).0),
        }
    }
}

impl Shutdown {
    /// A switch that is off.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the shutdown.
    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    /// A receiver that sees the switch flip.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.sender.subscribe()
    }

    /// Completes once the shutdown has started.
    pub fn wait(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut receiver = self.subscribe();
        async move {
            let _ = receiver.wait_for(|down| *down).await;
        }
    }

    /// Whether the shutdown has started.
    pub fn is_triggered(&self) -> bool {
        *self.sender.borrow()
    }

    /// Flips the switch on SIGTERM or SIGINT.
    pub fn trigger_on_signals(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown signal received; draining in-flight calls");
            this.trigger();
        });
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM (Kubernetes).
pub async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

/// Waits for a running tonic server to finish after `shutdown`: it stops accepting, in-flight
/// calls and streams get up to `drain` to end, then whatever is left is cut (`readiness`, when
/// given, turns NOT_SERVING first so load balancers stop sending new calls).
pub async fn drain_on_shutdown(
    server: impl std::future::Future<
        Output = Result<Result<(), tonic::transport::Error>, tokio::task::JoinError>,
    >,
    readiness: Option<&crate::readiness::Readiness>,
    shutdown: &Shutdown,
    drain: Duration,
    service: &'static str,
) -> anyhow::Result<()> {
    let drained = async {
        shutdown.wait().await;
        if let Some(readiness) = readiness {
            readiness.block(crate::readiness::Blocker::Draining).await;
        }
        tokio::time::sleep(drain).await;
    };
    tokio::select! {
        result = server => result??,
        _ = drained => tracing::warn!(service, "drain timeout; closing remaining calls"),
    }
    Ok(())
}

/// The middleware every service runs, outermost first: observe every call (auth failures
/// included), then authenticate and check the role, then bound every request message.
pub type ServiceLayers = tower::layer::util::Stack<
    tower::layer::util::Stack<
        crate::message_size::MessageSizeLayer,
        tower::layer::util::Stack<
            crate::auth::AuthLayer,
            tower::layer::util::Stack<crate::observe::ObserveLayer, tower::layer::util::Identity>,
        >,
    >,
    tower::layer::util::Identity,
>;

/// A service's gRPC router with what every service serves: the layers above, health and
/// reflection describing `served`. The caller adds the services named in `served`.
pub fn service_router<H>(
    service: &'static str,
    served: &[&str],
    verifier: crate::auth::TokenVerifier,
    access: crate::auth::AccessPolicy,
    health: tonic_health::pb::health_server::HealthServer<H>,
) -> anyhow::Result<tonic::transport::server::Router<ServiceLayers>>
where
    H: tonic_health::pb::health_server::Health,
{
    let served: Vec<String> = served.iter().map(|name| name.to_string()).collect();
    let layers = tower::ServiceBuilder::new()
        .layer(crate::observe::ObserveLayer::new(service))
        .layer(crate::auth::AuthLayer::new(
            verifier,
            access,
            crate::reflection::methods_of(&served),
        ))
        .layer(crate::message_size::MessageSizeLayer::new(
            MAX_MESSAGE_BYTES,
        ))
        .into_inner();
    let (reflection_v1, reflection_v1alpha) = crate::reflection::reflection_services(&served)?;
    Ok(tonic::transport::Server::builder()
        .layer(layers)
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha))
}

/// Largest message a server accepts or sends (the default decode limit is 4 MiB).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// A generated tonic server with the suite's wire settings: messages up to
/// [`MAX_MESSAGE_BYTES`] both ways, gzip-compressed requests accepted, and responses gzipped for
/// callers that say they accept it (`grpc-accept-encoding`).
#[macro_export]
macro_rules! grpc_server {
    ($server:expr) => {
        $server
            .max_decoding_message_size($crate::server::MAX_MESSAGE_BYTES)
            .max_encoding_message_size($crate::server::MAX_MESSAGE_BYTES)
            .accept_compressed(::tonic::codec::CompressionEncoding::Gzip)
            .send_compressed(::tonic::codec::CompressionEncoding::Gzip)
    };
}

/// The accepted connections of `listener`, with Nagle off and TCP keepalive on. Servers are given
/// listeners they did not bind, and tonic applies its own `tcp_nodelay` setting only to listeners
/// it binds itself: without this, small responses wait for delayed ACKs (about 40 ms).
pub fn incoming(listener: tokio::net::TcpListener) -> tonic::transport::server::TcpIncoming {
    tonic::transport::server::TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(Duration::from_secs(60)))
}
