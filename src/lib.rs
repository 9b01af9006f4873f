//! The whole credit suite in one process for development and evaluation: every service on its own
//! SQLite file under a data directory, each on its own loopback port, and the gateway in front —
//! the same code and the same gRPC wire as production, no mocks.
use credit_platform::auth::{AuthConfig, generate_hs256_secret, mint_hs256_token, roles};
use credit_platform::clock::SystemClock;
use credit_platform::db::DatabaseConfig;
use credit_platform::secret::SecretString;
use credit_platform::server::Shutdown;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

pub mod local_tls;

/// File under the data directory holding the suite's HS256 secret.
pub const SECRET_FILE: &str = "jwt-hs256.secret";
/// File under the data directory holding the audit log's checkpoint signing key.
pub const AUDIT_KEY_FILE: &str = "audit-signing.key";
/// File under the data directory holding the key that seals applications' sensitive fields.
pub const APPLICATIONS_KEY_FILE: &str = "applications-encryption.key";
/// File under the data directory holding a ready admin token.
pub const TOKEN_FILE: &str = "token";

/// Where and how the suite runs.
#[derive(Debug, Clone, clap::Args)]
pub struct SuiteConfig {
    /// Directory for the databases, the signing secret and the printed token.
    #[arg(long, env = "CREDIT_SUITE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Address of the gateway, the suite's only entry point.
    #[arg(
        long,
        env = "CREDIT_SUITE_LISTEN_ADDR",
        default_value = "127.0.0.1:50051"
    )]
    pub listen_addr: SocketAddr,
    /// Address of the admin HTTP server (/metrics, /livez) shared by all services.
    #[arg(
        long,
        env = "CREDIT_SUITE_ADMIN_ADDR",
        default_value = "127.0.0.1:9090"
    )]
    pub admin_addr: SocketAddr,
    /// Database of the limits service instead of data_dir/limits.db (for example PostgreSQL).
    #[arg(
        long,
        env = "CREDIT_SUITE_LIMITS_DATABASE_URL",
        hide_env_values = true,
        value_parser = credit_platform::secret::parse
    )]
    pub limits_database_url: Option<SecretString>,
    /// Database of the scoring service instead of data_dir/scoring.db.
    #[arg(
        long,
        env = "CREDIT_SUITE_SCORING_DATABASE_URL",
        hide_env_values = true,
        value_parser = credit_platform::secret::parse
    )]
    pub scoring_database_url: Option<SecretString>,
    /// Database of the applications service instead of data_dir/applications.db.
    #[arg(
        long,
        env = "CREDIT_SUITE_APPLICATIONS_DATABASE_URL",
        hide_env_values = true,
        value_parser = credit_platform::secret::parse
    )]
    pub applications_database_url: Option<SecretString>,
    /// Database of the collections service instead of data_dir/collections.db.
    #[arg(
        long,
        env = "CREDIT_SUITE_COLLECTIONS_DATABASE_URL",
        hide_env_values = true,
        value_parser = credit_platform::secret::parse
    )]
    pub collections_database_url: Option<SecretString>,
    /// SMTP server for collections' dunning e-mails instead of .eml files in data_dir/outbox.
    #[arg(
        long,
        env = "CREDIT_SUITE_SMTP_URL",
        hide_env_values = true,
        value_parser = credit_platform::secret::parse
    )]
    pub smtp_url: Option<credit_platform::secret::SecretString>,
    /// Database of the audit service instead of data_dir/audit.db.
    #[arg(
        long,
        env = "CREDIT_SUITE_AUDIT_DATABASE_URL",
        hide_env_values = true,
        value_parser = credit_platform::secret::parse
    )]
    pub audit_database_url: Option<SecretString>,
    /// How often audit signs a checkpoint when the log has grown, in milliseconds.
    #[arg(long, env = "AUDIT_CHECKPOINT_INTERVAL_MS", default_value_t = 1000)]
    pub audit_checkpoint_interval_ms: u64,
    /// Most credit checks limits decides in one transaction; 1 turns batching off.
    #[arg(long, env = "LIMITS_CHECK_BATCH", default_value_t = 128,
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub limits_check_batch: u16,
    /// Production transport on loopback: a CA made for this run (DATA_DIR/tls/ca.crt), every
    /// service over mutual TLS, the gateway over TLS. Off: plaintext on loopback.
    #[arg(long, env = "CREDIT_SUITE_TLS")]
    pub tls: bool,
}

impl SuiteConfig {
    /// A suite in `data_dir` on loopback ports the system chooses, every service on its SQLite
    /// file there (tests, benchmarks): set a `*_database_url` to move a service elsewhere.
    pub fn ephemeral(data_dir: &Path) -> Self {
        Self {
            data_dir: data_dir.to_path_buf(),
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            limits_database_url: None,
            scoring_database_url: None,
            applications_database_url: None,
            collections_database_url: None,
            smtp_url: None,
            audit_database_url: None,
            audit_checkpoint_interval_ms: 1000,
            limits_check_batch: 128,
            tls: false,
        }
    }
}

/// The database of service `name`: the configured URL, or its SQLite file in `data_dir`.
fn service_database(url: &Option<SecretString>, data_dir: &Path, name: &str) -> DatabaseConfig {
    let mut database = DatabaseConfig::new(format!(
        "sqlite://{}",
        data_dir.join(format!("{name}.db")).display()
    ));
    if let Some(url) = url {
        database.database_url = url.clone();
    }
    database
}

/// One service of a running suite, as the gateway routes it.
#[derive(Debug, Clone)]
pub struct SuiteService {
    /// Its name ("limits").
    pub name: &'static str,
    /// The proto package the gateway routes to it ("credit.limits.v1").
    pub package: &'static str,
    /// Where it listens (loopback).
    pub addr: SocketAddr,
    /// The fully qualified gRPC services it answers (besides health and reflection).
    pub grpc_services: &'static [&'static str],
}

/// A running suite.
pub struct RunningSuite {
    /// Where the gateway listens.
    pub gateway_addr: SocketAddr,
    /// Every service behind the gateway, for callers that go to one directly (tests, tools).
    pub services: Vec<SuiteService>,
    /// Where the admin server listens.
    pub admin_addr: SocketAddr,
    /// An admin token valid for 30 days.
    pub token: String,
    /// The HS256 secret every service verifies with.
    pub secret: String,
    /// The verifier key of the audit log's checkpoints.
    pub audit_verifier_key: String,
    /// The CA and certificate of a run over TLS (`--tls`).
    pub tls: Option<local_tls::SuiteTls>,
    /// Completes when every server has stopped.
    pub stopped: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl RunningSuite {
    /// The gateway's URL as a client calls it (`https://localhost:…` over TLS).
    pub fn gateway_url(&self) -> String {
        match self.tls {
            Some(_) => format!("https://localhost:{}", self.gateway_addr.port()),
            None => format!("http://{}", self.gateway_addr),
        }
    }

    /// A channel to the gateway that connects on first use, trusting this run's CA over TLS.
    pub fn gateway_channel(&self) -> anyhow::Result<tonic::transport::Channel> {
        let endpoint = tonic::transport::Channel::from_shared(self.gateway_url())?;
        let endpoint = match &self.tls {
            Some(files) => endpoint.tls_config(
                tonic::transport::ClientTlsConfig::new()
                    .domain_name("localhost")
                    .ca_certificate(tonic::transport::Certificate::from_pem(std::fs::read(
                        &files.ca,
                    )?)),
            )?,
            None => endpoint,
        };
        Ok(endpoint.connect_lazy())
    }
}

/// Reads a secret from `path`, or creates it with `generate` (readable by the owner only) on
/// first start, so tokens and signatures stay valid across restarts.
fn load_or_create(path: &Path, generate: impl FnOnce() -> String) -> anyhow::Result<String> {
    if let Ok(secret) = std::fs::read_to_string(path) {
        return Ok(secret.trim().to_string());
    }
    let secret = generate();
    credit_platform::secret::write_private(path, &secret)?;
    Ok(secret)
}

/// The suite's HS256 secret from the data directory, created on first start.
pub fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<String> {
    load_or_create(&data_dir.join(SECRET_FILE), generate_hs256_secret)
}

/// The audit log's signing key from the data directory, created on first start.
pub fn load_or_create_audit_key(data_dir: &Path) -> anyhow::Result<String> {
    load_or_create(&data_dir.join(AUDIT_KEY_FILE), || {
        credit_audit::domain::checkpoint::generate_key("audit.credit-suite.localhost").0
    })
}

/// Starts every service and the gateway; they stop when `shutdown` is triggered.
pub async fn start(config: SuiteConfig, shutdown: Shutdown) -> anyhow::Result<RunningSuite> {
    // The recorder before any service starts, so series they register at start are kept.
    credit_platform::admin::metrics_handle();
    std::fs::create_dir_all(&config.data_dir)?;
    let data_dir = config.data_dir.canonicalize()?;
    let secret = load_or_create_secret(&data_dir)?;
    let auth = AuthConfig::hs256(&secret);
    let tls = config
        .tls
        .then(|| local_tls::create(&data_dir))
        .transpose()?;
    let gateway_tls = match &tls {
        Some(files) => Some(serve_over_mutual_tls(files)?),
        None => None,
    };
    // How the services call each other: by the name their certificate carries, over TLS.
    let url = |addr: SocketAddr| match tls {
        Some(_) => format!("https://localhost:{}", addr.port()),
        None => format!("http://{addr}"),
    };

    let limits_listener = TcpListener::bind("127.0.0.1:0").await?;
    let limits_addr = limits_listener.local_addr()?;
    let collections_listener = TcpListener::bind("127.0.0.1:0").await?;
    let collections_addr = collections_listener.local_addr()?;
    let limits_db = service_database(&config.limits_database_url, &data_dir, "limits");
    let mut limits_config = credit_limits::LimitsConfig::new(limits_db, auth.clone());
    // Exposure follows collections' receivables ledger.
    limits_config.collections_url = Some(url(collections_addr));
    limits_config.check_batch = config.limits_check_batch;
    let limits = tokio::spawn(credit_limits::serve(
        limits_config,
        Arc::new(SystemClock),
        limits_listener,
        shutdown.clone(),
    ));

    let scoring_listener = TcpListener::bind("127.0.0.1:0").await?;
    let scoring_addr = scoring_listener.local_addr()?;
    let scoring_db = service_database(&config.scoring_database_url, &data_dir, "scoring");
    let mut scoring_config = credit_scoring::ScoringConfig::new(scoring_db, auth.clone());
    // Stress scenarios read exposure from limits, with a token minted from the shared secret.
    scoring_config.limits_url = Some(url(limits_addr));
    // Payment behaviour comes from collections' ledger.
    scoring_config.collections_url = Some(url(collections_addr));
    let scoring = tokio::spawn(credit_scoring::serve(
        scoring_config,
        Arc::new(SystemClock),
        scoring_listener,
        shutdown.clone(),
    ));

    let applications_listener = TcpListener::bind("127.0.0.1:0").await?;
    let applications_addr = applications_listener.local_addr()?;
    let applications_db =
        service_database(&config.applications_database_url, &data_dir, "applications");
    let mut applications_config = credit_applications::ApplicationsConfig::new(
        applications_db,
        auth.clone(),
        load_or_create(
            &data_dir.join(APPLICATIONS_KEY_FILE),
            credit_applications::sealing::generate_key,
        )?,
    );
    // Submissions are scored by scoring; approved limits are set in limits.
    applications_config.scoring_url = Some(url(scoring_addr));
    applications_config.limits_url = Some(url(limits_addr));
    applications_config.document_dir = data_dir.join("documents");
    let applications = tokio::spawn(credit_applications::serve(
        applications_config,
        Arc::new(SystemClock),
        applications_listener,
        shutdown.clone(),
    ));

    let collections_db =
        service_database(&config.collections_database_url, &data_dir, "collections");
    let mut collections_config =
        credit_collections::CollectionsConfig::new(collections_db, auth.clone());
    // Scores choose the dunning strategy and rank the worklist.
    collections_config.scoring_url = Some(url(scoring_addr));
    collections_config.limits_url = Some(url(limits_addr));
    // No mail server in development: dunning e-mails land as .eml files to read.
    collections_config.smtp_url = config.smtp_url.clone();
    collections_config.document_dir = data_dir.join("collections-documents");
    if config.smtp_url.is_none() {
        collections_config.mail_drop_dir = Some(data_dir.join("outbox"));
    }
    let collections = tokio::spawn(credit_collections::serve(
        collections_config,
        Arc::new(SystemClock),
        collections_listener,
        shutdown.clone(),
    ));

    let audit_key = load_or_create_audit_key(&data_dir)?;
    let audit_verifier_key = credit_audit::domain::checkpoint::CheckpointSigner::new(&audit_key)?
        .verifier_key()
        .to_string();
    let audit_listener = TcpListener::bind("127.0.0.1:0").await?;
    let audit_addr = audit_listener.local_addr()?;
    let audit_db = service_database(&config.audit_database_url, &data_dir, "audit");
    let mut audit_config = credit_audit::AuditConfig::new(
        audit_db,
        auth.clone(),
        vec![
            credit_audit::Source {
                name: credit_limits::SERVICE_NAME.into(),
                url: url(limits_addr),
            },
            credit_audit::Source {
                name: credit_scoring::SERVICE_NAME.into(),
                url: url(scoring_addr),
            },
            credit_audit::Source {
                name: credit_applications::SERVICE_NAME.into(),
                url: url(applications_addr),
            },
            credit_audit::Source {
                name: credit_collections::SERVICE_NAME.into(),
                url: url(collections_addr),
            },
        ],
        audit_key,
    );
    audit_config.checkpoint_interval_ms = config.audit_checkpoint_interval_ms;
    let audit = tokio::spawn(credit_audit::serve(
        audit_config,
        Arc::new(SystemClock),
        audit_listener,
        shutdown.clone(),
    ));

    let services = vec![
        SuiteService {
            name: credit_limits::SERVICE_NAME,
            package: "credit.limits.v1",
            addr: limits_addr,
            grpc_services: credit_limits::GRPC_SERVICES,
        },
        SuiteService {
            name: credit_scoring::SERVICE_NAME,
            package: "credit.scoring.v1",
            addr: scoring_addr,
            grpc_services: credit_scoring::GRPC_SERVICES,
        },
        SuiteService {
            name: credit_applications::SERVICE_NAME,
            package: "credit.applications.v1",
            addr: applications_addr,
            grpc_services: credit_applications::GRPC_SERVICES,
        },
        SuiteService {
            name: credit_collections::SERVICE_NAME,
            package: "credit.collections.v1",
            addr: collections_addr,
            grpc_services: credit_collections::GRPC_SERVICES,
        },
        SuiteService {
            name: credit_audit::SERVICE_NAME,
            package: "credit.audit.v1",
            addr: audit_addr,
            grpc_services: credit_audit::GRPC_SERVICES,
        },
    ];
    let gateway_listener = TcpListener::bind(config.listen_addr).await?;
    let gateway_addr = gateway_listener.local_addr()?;
    let gateway_config = credit_gateway::GatewayConfig {
        upstreams: credit_platform::balance::NamedPeers(
            services
                .iter()
                .map(|service| credit_gateway::Upstream {
                    package: service.package.to_string(),
                    address: url(service.addr),
                })
                .collect(),
        ),
        connect_timeout_ms: 1000,
        health_interval_ms: 1000,
        default_deadline_ms: 30_000,
        auth,
        shutdown_drain_secs: 10,
        listener_tls: gateway_tls,
    };
    let gateway = tokio::spawn(credit_gateway::serve(
        gateway_config,
        gateway_listener,
        shutdown.clone(),
    ));

    let admin_listener = TcpListener::bind(config.admin_addr).await?;
    let admin_addr = admin_listener.local_addr()?;
    tokio::spawn(credit_platform::admin::serve_admin(
        admin_listener,
        shutdown.wait(),
    ));

    let token = mint_hs256_token(
        &secret,
        "suite-admin",
        &[roles::ADMIN],
        Duration::from_secs(30 * 24 * 3600),
    )?;
    credit_platform::secret::write_private(&data_dir.join(TOKEN_FILE), &token)?;
    let stopped = tokio::spawn(async move {
        limits.await??;
        scoring.await??;
        applications.await??;
        collections.await??;
        audit.await??;
        gateway.await??;
        Ok(())
    });
    Ok(RunningSuite {
        gateway_addr,
        services,
        admin_addr,
        token,
        secret,
        audit_verifier_key,
        tls,
        stopped,
    })
}

/// Every server of this process over mutual TLS with `files`, every call between them
/// presenting the suite's certificate; answers the gateway's TLS, which asks callers for no
/// certificate (they are authenticated by their token, as behind a cluster's gateway).
fn serve_over_mutual_tls(
    files: &local_tls::SuiteTls,
) -> anyhow::Result<credit_platform::tls::ServerTls> {
    use credit_platform::tls::{self, PeerFiles, ServerTls, TlsFiles};
    if tls::server_tls().is_some() {
        anyhow::bail!("this process already serves over TLS: one suite over TLS per process");
    }
    tls::serve_over(TlsFiles {
        cert: files.cert.clone(),
        key: files.key.clone(),
        client_ca: Some(files.ca.clone()),
    })?;
    tls::call_peers_with(PeerFiles {
        ca: files.ca.clone(),
        identity: Some((files.cert.clone(), files.key.clone())),
    });
    ServerTls::load(TlsFiles {
        cert: files.cert.clone(),
        key: files.key.clone(),
        client_ca: None,
    })
}
