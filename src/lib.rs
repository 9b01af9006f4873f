//! The whole credit suite in one process for development and evaluation: every service on its own
//! SQLite file under a data directory, each on its own loopback port, and the gateway in front —
//! the same code and the same gRPC wire as production, no mocks.
use credit_platform::auth::{AuthConfig, generate_hs256_secret, mint_hs256_token, roles};
use credit_platform::clock::SystemClock;
use credit_platform::db::DatabaseConfig;
use credit_platform::server::Shutdown;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// File under the data directory holding the suite's HS256 secret.
pub const SECRET_FILE: &str = "jwt-hs256.secret";
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
    #[arg(long, env = "CREDIT_SUITE_LIMITS_DATABASE_URL")]
    pub limits_database_url: Option<String>,
}

/// A running suite.
pub struct RunningSuite {
    /// Where the gateway listens.
    pub gateway_addr: SocketAddr,
    /// Where the admin server listens.
    pub admin_addr: SocketAddr,
    /// An admin token valid for 30 days.
    pub token: String,
    /// The HS256 secret every service verifies with.
    pub secret: String,
    /// Completes when every server has stopped.
    pub stopped: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Reads the suite's secret from the data directory, creating it on first start so tokens stay
/// valid across restarts.
pub fn load_or_create_secret(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join(SECRET_FILE);
    if let Ok(secret) = std::fs::read_to_string(&path) {
        return Ok(secret.trim().to_string());
    }
    let secret = generate_hs256_secret();
    std::fs::write(&path, &secret)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(secret)
}

/// Starts every service and the gateway; they stop when `shutdown` is triggered.
pub async fn start(config: SuiteConfig, shutdown: Shutdown) -> anyhow::Result<RunningSuite> {
    std::fs::create_dir_all(&config.data_dir)?;
    let data_dir = config.data_dir.canonicalize()?;
    let secret = load_or_create_secret(&data_dir)?;
    let auth = AuthConfig::hs256(&secret);

    let limits_listener = TcpListener::bind("127.0.0.1:0").await?;
    let limits_addr = limits_listener.local_addr()?;
    let limits_db = DatabaseConfig::new(
        config
            .limits_database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("limits.db").display())),
    );
    let limits = tokio::spawn(credit_limits::serve(
        credit_limits::LimitsConfig::new(limits_db, auth.clone()),
        Arc::new(SystemClock),
        limits_listener,
        shutdown.clone(),
    ));

    let gateway_listener = TcpListener::bind(config.listen_addr).await?;
    let gateway_addr = gateway_listener.local_addr()?;
    let gateway_config = credit_gateway::GatewayConfig {
        upstreams: vec![
            format!("credit.limits.v1=http://{limits_addr}")
                .parse()
                .map_err(anyhow::Error::msg)?,
        ],
        connect_timeout_ms: 1000,
        health_interval_ms: 1000,
        auth,
        shutdown_drain_secs: 10,
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
    std::fs::write(data_dir.join(TOKEN_FILE), &token)?;
    let stopped = tokio::spawn(async move {
        limits.await??;
        gateway.await??;
        Ok(())
    });
    Ok(RunningSuite {
        gateway_addr,
        admin_addr,
        token,
        secret,
        stopped,
    })
}
