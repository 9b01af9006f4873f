//! What every gRPC server of the suite runs with: listen and admin addresses, health that says
//! NOT_SERVING until the service is ready (and while its database does not answer), reflection,
//! and graceful shutdown on SIGTERM/SIGINT.
use crate::db::Db;
use crate::telemetry::LogFormat;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

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

/// The readiness of one service: its health entries and a flag handlers check.
#[derive(Clone)]
pub struct Readiness {
    reporter: HealthReporter,
    service_names: Arc<Vec<&'static str>>,
    ready: Arc<AtomicBool>,
}

impl Readiness {
    /// Readiness over `service_names` (fully qualified gRPC names), starting NOT_SERVING.
    pub async fn new(reporter: HealthReporter, service_names: Vec<&'static str>) -> Self {
        let this = Self {
            reporter,
            service_names: Arc::new(service_names),
            ready: Arc::new(AtomicBool::new(false)),
        };
        this.set(false).await;
        this
    }

    /// Sets every entry (and the overall "" entry) to SERVING or NOT_SERVING.
    pub async fn set(&self, serving: bool) {
        self.ready.store(serving, Ordering::SeqCst);
        let status = if serving {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        self.reporter.set_service_status("", status).await;
        for name in self.service_names.iter() {
            self.reporter.set_service_status(*name, status).await;
        }
    }

    /// Whether calls may be served.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// Fails a call while not ready.
    pub fn ensure_ready(&self) -> Result<(), crate::error::ApiError> {
        if self.is_ready() {
            Ok(())
        } else {
            Err(crate::error::ApiError::Unavailable(
                "service is not ready (starting, shutting down or database unreachable)".into(),
            ))
        }
    }

    /// Pings `db` every `every` and follows its state until shutdown; at shutdown sets
    /// NOT_SERVING so load balancers stop sending new calls while in-flight ones drain.
    pub async fn follow_database(
        self,
        db: Db,
        every: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) {
        loop {
            let stopping = tokio::select! {
                _ = tokio::time::sleep(every) => false,
                changed = shutdown.wait_for(|down| *down) => changed.is_ok(),
            };
            if stopping {
                self.set(false).await;
                return;
            }
            let answers = db.ping().await;
            if answers != self.is_ready() {
                if answers {
                    tracing::info!("database answers again; serving");
                } else {
                    tracing::warn!("database does not answer; not serving");
                }
                self.set(answers).await;
            }
        }
    }
}

/// Waits for a running tonic server to finish after `shutdown`: it stops accepting, in-flight
/// calls and streams get up to `drain` to end, then whatever is left is cut (`readiness`, when
/// given, turns NOT_SERVING first so load balancers stop sending new calls).
pub async fn drain_on_shutdown(
    server: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
    readiness: Option<&Readiness>,
    shutdown: &Shutdown,
    drain: Duration,
    service: &'static str,
) -> anyhow::Result<()> {
    let drained = async {
        shutdown.wait().await;
        if let Some(readiness) = readiness {
            readiness.set(false).await;
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

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;

    async fn status(client: &mut HealthClient<tonic::transport::Channel>, service: &str) -> i32 {
        client
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .map(|r| r.into_inner().status)
            .unwrap_or(-1)
    }

    #[tokio::test]
    async fn health_is_not_serving_until_ready_and_follows_the_database() {
        let (reporter, health) = tonic_health::server::health_reporter();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(health)
                .serve_with_incoming(incoming(listener)),
        );
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect_lazy();
        let mut client = HealthClient::new(channel);

        let readiness = Readiness::new(reporter, vec!["credit.test.v1.TestService"]).await;
        assert_eq!(
            status(&mut client, "").await,
            ServingStatus::NotServing as i32
        );
        assert_eq!(
            status(&mut client, "credit.test.v1.TestService").await,
            ServingStatus::NotServing as i32
        );
        assert!(readiness.ensure_ready().is_err());
        readiness.set(true).await;
        assert_eq!(
            status(&mut client, "credit.test.v1.TestService").await,
            ServingStatus::Serving as i32
        );

        // The database stops answering: health follows.
        let database = crate::testing::TestDatabase::create()
            .await
            .expect("database");
        let db = Db::connect(&database.config).await.expect("connect");
        db.pool.close().await;
        let shutdown = Shutdown::new();
        tokio::spawn(readiness.clone().follow_database(
            db,
            Duration::from_millis(20),
            shutdown.subscribe(),
        ));
        let mut followed = false;
        for _ in 0..100 {
            if status(&mut client, "").await == ServingStatus::NotServing as i32 {
                followed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(followed, "NOT_SERVING once the database does not answer");
        assert!(!readiness.is_ready());
        shutdown.trigger();
    }
}
