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
    /// Seconds a client connection lives before the server asks the client to reconnect
    /// (HTTP/2 GOAWAY), so long-lived connections spread over new Pods after a scale-up.
    #[arg(long, env = "GRPC_MAX_CONNECTION_AGE_SECS", default_value_t = ConnectionAge::DEFAULT.max.as_secs())]
    pub max_connection_age_secs: u64,
    /// Seconds calls and streams already running on an aged connection may still take before
    /// it is closed (feed streams then resume on a new connection from their position).
    #[arg(long, env = "GRPC_MAX_CONNECTION_AGE_GRACE_SECS", default_value_t = ConnectionAge::DEFAULT.grace.as_secs())]
    pub max_connection_age_grace_secs: u64,
    /// Calls the server handles at once (streams included); beyond it calls are refused at once
    /// with RESOURCE_EXHAUSTED instead of queueing (clients retry on another replica).
    #[arg(long, env = "GRPC_MAX_CONCURRENT_CALLS", default_value_t = DEFAULT_MAX_CONCURRENT_CALLS)]
    pub max_concurrent_calls: usize,
    /// Seconds between SIGTERM and the drain during which the server says NOT_SERVING but
    /// still answers, so every client and load balancer stops sending before it stops.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 5)]
    pub shutdown_grace_secs: u64,
    /// Serve gRPC server reflection (grpcurl and other tools discover the API with it). Off
    /// by default in production: it maps the API for anyone who can connect.
    #[arg(long, env = "GRPC_REFLECTION", default_value_t = false, action = clap::ArgAction::Set)]
    pub reflection: bool,
    /// Answer health Watch streams (the suite's clients follow each replica's readiness with
    /// them; with it off they fall back to trusting the replica).
    #[arg(long, env = "GRPC_HEALTH_WATCH", default_value_t = true, action = clap::ArgAction::Set)]
    pub health_watch: bool,
    /// PEM certificate chain to serve gRPC over TLS with (read again when it changes); unset:
    /// plaintext.
    #[arg(long, env = "GRPC_TLS_CERT_FILE", requires = "tls_key_file")]
    pub tls_cert_file: Option<std::path::PathBuf>,
    /// PEM private key of --tls-cert-file.
    #[arg(long, env = "GRPC_TLS_KEY_FILE", requires = "tls_cert_file")]
    pub tls_key_file: Option<std::path::PathBuf>,
    /// PEM CA certificates client certificates must chain to: mutual TLS, a client without
    /// one is refused at the handshake.
    #[arg(long, env = "GRPC_TLS_CLIENT_CA_FILE", requires = "tls_cert_file")]
    pub tls_client_ca_file: Option<std::path::PathBuf>,
    /// PEM CA certificates the peers' certificates must chain to, for calls to `https://`
    /// peers (gateway upstreams, service peers, feeds); this process presents its
    /// --tls-cert-file as its client certificate.
    #[arg(long, env = "GRPC_TLS_PEER_CA_FILE")]
    pub tls_peer_ca_file: Option<std::path::PathBuf>,
}

impl ServerConfig {
    /// The TLS files, when the servers speak TLS.
    pub fn tls(&self) -> Option<crate::tls::TlsFiles> {
        Some(crate::tls::TlsFiles {
            cert: self.tls_cert_file.clone()?,
            key: self.tls_key_file.clone()?,
            client_ca: self.tls_client_ca_file.clone(),
        })
    }

    /// How this process calls `https://` peers, when it does.
    pub fn peer_tls(&self) -> Option<crate::tls::PeerFiles> {
        Some(crate::tls::PeerFiles {
            ca: self.tls_peer_ca_file.clone()?,
            identity: self.tls_cert_file.clone().zip(self.tls_key_file.clone()),
        })
    }

    /// What the servers show besides their API.
    pub fn exposure(&self) -> crate::exposure::Exposure {
        crate::exposure::Exposure {
            reflection: self.reflection,
            health_watch: self.health_watch,
        }
    }

    /// The connection age these settings ask for.
    pub fn connection_age(&self) -> ConnectionAge {
        ConnectionAge {
            max: Duration::from_secs(self.max_connection_age_secs.max(1)),
            grace: Duration::from_secs(self.max_connection_age_grace_secs),
        }
    }
}

/// How long a client connection may live, and how long its running calls may finish after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionAge {
    /// Age at which the server sends GOAWAY: no new calls on this connection.
    pub max: Duration,
    /// Time left to calls already running on it before it is closed.
    pub grace: Duration,
}

impl ConnectionAge {
    /// Five minutes, then an hour for running streams.
    pub const DEFAULT: Self = Self {
        max: Duration::from_secs(300),
        grace: Duration::from_secs(3600),
    };
}

static CONNECTION_AGE: std::sync::OnceLock<ConnectionAge> = std::sync::OnceLock::new();

/// Sets the connection age of every server this process builds (once, at start: the binaries
/// from their settings; the suite and tests keep [`ConnectionAge::DEFAULT`]).
pub fn set_connection_age(age: ConnectionAge) {
    let _ = CONNECTION_AGE.set(age);
}

/// A gRPC server builder with the process's connection age.
pub fn builder() -> tonic::transport::Server {
    builder_with(*CONNECTION_AGE.get().unwrap_or(&ConnectionAge::DEFAULT))
}

/// A gRPC server builder with connection age `age`.
pub fn builder_with(age: ConnectionAge) -> tonic::transport::Server {
    tonic::transport::Server::builder()
        .max_connection_age(age.max)
        .max_connection_age_grace(age.grace)
}

/// A shutdown switch shared by the servers and background tasks of a process, in two steps:
/// first the process *announces* that it is leaving (readiness goes NOT_SERVING, so load
/// balancers and the suite's clients stop sending, while calls are still served), then, after
/// the grace period, it is *triggered* (servers drain and stop, tasks stop).
#[derive(Clone)]
pub struct Shutdown {
    sender: Arc<watch::Sender<bool>>,
    leaving: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self {
            sender: Arc::new(watch::channel(false).0),
            leaving: Arc::new(watch::channel(false).0),
        }
    }
}

impl Shutdown {
    /// A switch that is off.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the shutdown (announcing it too, if that was not done).
    pub fn trigger(&self) {
        self.leaving.send_replace(true);
        self.sender.send_replace(true);
    }

    /// Announces the shutdown: readiness goes NOT_SERVING, calls are still served.
    pub fn announce(&self) {
        self.leaving.send_replace(true);
    }

    /// Completes once the shutdown has been announced (or started).
    pub fn leaving(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut receiver = self.leaving.subscribe();
        async move {
            let _ = receiver.wait_for(|leaving| *leaving).await;
        }
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
        self.trigger_on_signals_after(Duration::ZERO);
    }

    /// On SIGTERM or SIGINT announces the shutdown, keeps serving for `grace` (so every
    /// client has seen NOT_SERVING and stopped sending; a second signal cuts it short), then
    /// flips the switch.
    pub fn trigger_on_signals_after(&self, grace: Duration) {
        let this = self.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            this.announce();
            if !grace.is_zero() {
                tracing::info!(
                    ?grace,
                    "shutdown signal received; not serving, still answering"
                );
                tokio::select! {
                    _ = tokio::time::sleep(grace) => {}
                    _ = wait_for_signal() => {}
                }
            }
            tracing::info!("shutting down; draining in-flight calls");
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
/// included), shed load beyond the concurrency limit (RESOURCE_EXHAUSTED at once, rather than
/// queueing until every caller's deadline passes), then authenticate and check the role, then
/// bound every request message.
pub type ServiceLayers = tower::layer::util::Stack<
    tower::layer::util::Stack<
        crate::message_size::MessageSizeLayer,
        tower::layer::util::Stack<
            crate::auth::AuthLayer,
            tower::layer::util::Stack<
                tower::limit::GlobalConcurrencyLimitLayer,
                tower::layer::util::Stack<
                    tower::load_shed::LoadShedLayer,
                    tower::layer::util::Stack<
                        crate::observe::ObserveLayer,
                        tower::layer::util::Identity,
                    >,
                >,
            >,
        >,
    >,
    tower::layer::util::Identity,
>;

/// Calls one server handles at once unless configured (GRPC_MAX_CONCURRENT_CALLS).
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 512;

static MAX_CONCURRENT_CALLS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();

/// Sets how many calls every server of this process handles at once (once, at start).
pub fn set_max_concurrent_calls(limit: usize) {
    let _ = MAX_CONCURRENT_CALLS.set(limit.max(1));
}

/// How many calls every server of this process handles at once.
pub fn max_concurrent_calls() -> usize {
    *MAX_CONCURRENT_CALLS
        .get()
        .unwrap_or(&DEFAULT_MAX_CONCURRENT_CALLS)
}

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
    router_with_limit(
        service,
        served,
        verifier,
        access,
        health,
        max_concurrent_calls(),
        crate::exposure::current(),
    )
}

/// [`service_router`] handling at most `limit` calls at once.
fn router_with_limit<H>(
    service: &'static str,
    served: &[&str],
    verifier: crate::auth::TokenVerifier,
    access: crate::auth::AccessPolicy,
    health: tonic_health::pb::health_server::HealthServer<H>,
    limit: usize,
    exposure: crate::exposure::Exposure,
) -> anyhow::Result<tonic::transport::server::Router<ServiceLayers>>
where
    H: tonic_health::pb::health_server::Health,
{
    let served: Vec<String> = served.iter().map(|name| name.to_string()).collect();
    let layers = tower::ServiceBuilder::new()
        .layer(crate::observe::ObserveLayer::new(service))
        .layer(tower::load_shed::LoadShedLayer::new())
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(limit))
        .layer(crate::auth::AuthLayer::new(
            verifier,
            access,
            crate::reflection::methods_of(&served),
        ))
        .layer(crate::message_size::MessageSizeLayer::new(
            MAX_MESSAGE_BYTES,
        ))
        .into_inner();
    let router = builder()
        .layer(layers)
        .add_service(crate::exposure::GatedHealth::new(
            health,
            exposure.health_watch,
        ));
    if !exposure.reflection {
        return Ok(router);
    }
    let (reflection_v1, reflection_v1alpha) = crate::reflection::reflection_services(&served)?;
    Ok(router
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
/// Over TLS when the process serves so ([`crate::tls::serve_over`]).
pub fn incoming(listener: tokio::net::TcpListener) -> crate::tls::Incoming {
    incoming_over(listener, crate::tls::server_tls())
}

/// [`incoming`] over `tls` (none: plaintext) instead of the process's TLS.
pub fn incoming_over(
    listener: tokio::net::TcpListener,
    tls: Option<crate::tls::ServerTls>,
) -> crate::tls::Incoming {
    use futures::StreamExt;
    let tcp = tonic::transport::server::TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(Duration::from_secs(60)));
    match tls {
        Some(tls) => tls.accept(tcp),
        None => Box::pin(tcp.map(|accepted| accepted.map(crate::tls::Connection::Plain))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;

    #[tokio::test]
    async fn an_aged_connection_is_replaced_and_calls_carry_on() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        // Count the connections the server accepts.
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = accepted.clone();
        let incoming = futures::StreamExt::inspect(incoming(listener), move |connection| {
            if connection.is_ok() {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        });
        let (_reporter, health) = tonic_health::server::health_reporter();
        let age = ConnectionAge {
            max: Duration::from_millis(200),
            grace: Duration::from_millis(200),
        };
        tokio::spawn(
            builder_with(age)
                .add_service(health)
                .serve_with_incoming(incoming),
        );
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect_lazy();
        let mut client = HealthClient::new(channel);
        let ask = HealthCheckRequest {
            service: String::new(),
        };
        client.check(ask.clone()).await.expect("first call");
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        // Past its age the server sends GOAWAY; the client's next calls go on a new connection.
        let mut reconnected = false;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            client.check(ask.clone()).await.expect("calls carry on");
            if accepted.load(Ordering::SeqCst) >= 2 {
                reconnected = true;
                break;
            }
        }
        assert!(reconnected, "the aged connection was replaced");
    }

    /// A gRPC method that answers only when told to: a call that takes as long as a test needs.
    #[derive(Clone)]
    struct Held(Arc<tokio::sync::Semaphore>);

    impl tonic::server::NamedService for Held {
        const NAME: &'static str = "test.Held";
    }

    impl tower::Service<http::Request<tonic::body::Body>> for Held {
        type Response = http::Response<tonic::body::Body>;
        type Error = std::convert::Infallible;
        type Future = futures::future::BoxFuture<'static, Result<Self::Response, Self::Error>>;

        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Self::Error>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: http::Request<tonic::body::Body>) -> Self::Future {
            let release = self.0.clone();
            Box::pin(async move {
                release.acquire().await.expect("open").forget();
                // Any answer does: this one says the method really ran.
                Ok(tonic::Status::aborted("released").into_http())
            })
        }
    }

    async fn held_call(channel: tonic::transport::Channel) -> Result<(), tonic::Status> {
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready()
            .await
            .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
        grpc.unary::<(), (), _>(
            tonic::Request::new(()),
            http::uri::PathAndQuery::from_static("/test.Held/Call"),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .map(|_| ())
    }

    #[tokio::test]
    async fn calls_beyond_the_limit_are_refused_at_once_not_queued() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (_reporter, health) = tonic_health::server::health_reporter();
        let verifier = crate::auth::TokenVerifier::from_config(&crate::auth::AuthConfig::hs256(
            "a-test-secret-of-at-least-32-bytes!",
        ))
        .expect("verifier");
        let release = Arc::new(tokio::sync::Semaphore::new(0));
        let router = router_with_limit(
            "test",
            &[],
            verifier,
            Arc::new(|_: &str| Some(crate::auth::Access::Public)),
            health,
            1,
            crate::exposure::Exposure::ALL,
        )
        .expect("router")
        .add_service(Held(release.clone()));
        tokio::spawn(router.serve_with_incoming(incoming(listener)));
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect_lazy();
        let mut health = HealthClient::new(channel.clone());
        let ask = HealthCheckRequest {
            service: String::new(),
        };
        health.check(ask.clone()).await.expect("one call fits");
        // A call in progress holds the only slot.
        let first = tokio::spawn(held_call(channel.clone()));
        let mut refused = None;
        for _ in 0..100 {
            // Queued, a call would wait as long as the first one runs: it is answered instead.
            match tokio::time::timeout(Duration::from_secs(10), health.check(ask.clone()))
                .await
                .expect("answered, not queued")
            {
                Err(status) => {
                    refused = Some(status);
                    break;
                }
                // The first call has not reached the server yet.
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
        let refused = refused.expect("refused while the slot is taken");
        assert_eq!(
            refused.code(),
            tonic::Code::ResourceExhausted,
            "{refused:?}"
        );
        release.add_permits(1);
        let first = first
            .await
            .expect("joined")
            .expect_err("answered by the method");
        assert_eq!(first.message(), "released", "the first call ran to its end");
        health
            .check(ask)
            .await
            .expect("the slot is free again once the call ends");
    }

    #[test]
    fn settings_give_the_age() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            server: ServerConfig,
        }
        let cli = Cli::parse_from(["x", "--max-connection-age-secs", "60"]);
        assert_eq!(
            cli.server.connection_age(),
            ConnectionAge {
                max: Duration::from_secs(60),
                grace: ConnectionAge::DEFAULT.grace,
            }
        );
    }
}
