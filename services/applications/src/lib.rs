//! The applications service: digital credit applications, validated on the spot, scored and
//! decided under a versioned decision policy, routed through the authority matrix to the right
//! approvers, and turned into a live limit in the limits service exactly once.
//!
//! [`domain`] holds the pure rules (decision policy, states, masking), [`validate`] the wire
//! checks, [`sealing`] encryption at rest, [`store`] the SQL, [`app`] the use cases,
//! [`peers`] the calls to scoring and limits, [`delivery`] setting approved limits, and
//! [`grpc`] the adapter.
pub mod app;
pub mod convert;
pub mod domain;
pub mod grpc;
pub mod peers;
pub mod sealing;
pub mod store;
pub mod testing;

use credit_platform::auth::{AuthConfig, ServiceToken, roles};
use credit_platform::clock::SharedClock;
use credit_platform::db::{DatabaseConfig, Db};
use credit_platform::runtime::{ServiceRuntime, ServiceSpec};
use credit_platform::secret::SecretString;
use credit_platform::server::Shutdown;
use credit_proto::applications::applications_service_server::ApplicationsServiceServer;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The service's name in events and metrics.
pub const SERVICE_NAME: &str = "applications";

/// Migrations per backend.
pub static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");
/// Migrations per backend.
pub static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The gRPC services this server answers for (health entries use these names).
pub const GRPC_SERVICES: &[&str] = &[
    "credit.applications.v1.ApplicationsService",
    "credit.event.v1.EventFeedService",
];

/// Settings of the applications service (environment variables in brackets; see docs/operations.md).
#[derive(Debug, Clone, clap::Args)]
pub struct ApplicationsConfig {
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Token verification.
    #[command(flatten)]
    pub auth: AuthConfig,
    /// Key sealing sensitive fields at rest: 32 random bytes in base64
    /// (`credit-applications generate-key` makes one).
    #[arg(
        long,
        env = "APPLICATIONS_ENCRYPTION_KEY",
        hide_env_values = true,
        value_parser = credit_platform::secret::parse
    )]
    pub encryption_key: Option<SecretString>,
    /// File holding the key, instead of --encryption-key.
    #[arg(long, env = "APPLICATIONS_ENCRYPTION_KEY_FILE")]
    pub encryption_key_file: Option<PathBuf>,
    /// Retired keys, still used to open what they sealed and to find duplicates (comma
    /// separated).
    #[arg(
        long = "previous-encryption-key",
        env = "APPLICATIONS_PREVIOUS_ENCRYPTION_KEYS",
        value_delimiter = ',',
        hide_env_values = true,
        value_parser = credit_platform::secret::parse
    )]
    pub previous_encryption_keys: Vec<SecretString>,
    /// gRPC address of scoring, which scores applicants at submission and whose event feed
    /// brings early warnings.
    #[arg(long, env = "APPLICATIONS_SCORING_URL")]
    pub scoring_url: Option<String>,
    /// gRPC address of limits, where approved limits and changes are set and blocked orders
    /// are read and released.
    #[arg(long, env = "APPLICATIONS_LIMITS_URL")]
    pub limits_url: Option<String>,
    /// File holding the token presented to scoring and limits (roles credit.analyst and
    /// credit.manager), re-read at every call. Without it, and with an HS256 secret, the
    /// service mints its own.
    #[arg(long, env = "APPLICATIONS_SERVICE_TOKEN_FILE")]
    pub service_token_file: Option<PathBuf>,
    /// Directory where document content is kept (content-addressed by SHA-256).
    #[arg(
        long,
        env = "APPLICATIONS_DOCUMENT_DIR",
        default_value = "./data/documents"
    )]
    pub document_dir: PathBuf,
    /// Largest document accepted, in bytes.
    #[arg(long, env = "APPLICATIONS_MAX_DOCUMENT_BYTES", default_value_t = 20 * 1024 * 1024)]
    pub max_document_bytes: usize,
    /// How often overdue approval steps are escalated and due reviews opened, in milliseconds
    /// (due times come from the service's clock; this is only how soon they are noticed).
    #[arg(long, env = "APPLICATIONS_SWEEP_INTERVAL_MS", default_value_t = 60_000)]
    pub sweep_interval_ms: u64,
    /// Longest wait for in-flight calls and streams at shutdown, in seconds.
    #[arg(long, env = "SHUTDOWN_DRAIN_SECS", default_value_t = 20)]
    pub shutdown_drain_secs: u64,
}

impl ApplicationsConfig {
    /// Defaults around a database, token settings and a key (suite, tests).
    pub fn new(database: DatabaseConfig, auth: AuthConfig, encryption_key: String) -> Self {
        Self {
            database,
            auth,
            encryption_key: Some(SecretString::from(encryption_key)),
            encryption_key_file: None,
            previous_encryption_keys: Vec::new(),
            scoring_url: None,
            limits_url: None,
            service_token_file: None,
            document_dir: PathBuf::from("./data/documents"),
            max_document_bytes: 20 * 1024 * 1024,
            sweep_interval_ms: 60_000,
            shutdown_drain_secs: 20,
        }
    }

    /// The sealer from the configured keys.
    pub fn sealer(&self) -> anyhow::Result<sealing::Sealer> {
        let key = credit_platform::secret::inline_or_file(
            self.encryption_key.as_ref(),
            self.encryption_key_file.as_deref(),
            (
                "APPLICATIONS_ENCRYPTION_KEY",
                "APPLICATIONS_ENCRYPTION_KEY_FILE (`credit-applications generate-key` makes a key)",
            ),
        )?;
        sealing::Sealer::new(&key, &self.previous_encryption_keys)
    }

    fn peer(
        &self,
        name: &'static str,
        url: &Option<String>,
    ) -> anyhow::Result<Option<peers::Peer>> {
        let Some(url) = url else {
            return Ok(None);
        };
        let token = ServiceToken::from_settings(
            self.service_token_file.as_deref(),
            &self.auth,
            "service:applications",
            // Its own identity, never an approver's role: limits takes limit changes and
            // releases only from it, on the approvers it names.
            &[roles::APPLICATIONS_SERVICE],
        )
        .ok_or_else(|| {
            anyhow::anyhow!(
                "set APPLICATIONS_SERVICE_TOKEN_FILE: applications needs a token to call {name}"
            )
        })?;
        Ok(Some(peers::Peer::new(name, url, token)?))
    }
}

/// Applies the migrations and exits (the `migrate` subcommand).
pub async fn migrate(database: &DatabaseConfig) -> anyhow::Result<()> {
    let db = Db::connect(database).await?;
    db.migrate(&POSTGRES_MIGRATIONS, &SQLITE_MIGRATIONS).await?;
    convert_stored(&db).await
}

/// Rewrites rows stored in an older form (credit cases once stored as wire messages).
async fn convert_stored(db: &Db) -> anyhow::Result<()> {
    db.rewrite_stored("credit cases", |c| Box::pin(store::convert_legacy_cases(c)))
        .await?;
    Ok(())
}

/// What the runtime needs to know about applications.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: SERVICE_NAME,
    grpc_services: GRPC_SERVICES,
    postgres_migrations: &POSTGRES_MIGRATIONS,
    sqlite_migrations: &SQLITE_MIGRATIONS,
    // Approvals, edits and decisions read an application, change it and write it back.
    writes: credit_platform::db::Writes::Snapshot,
};

/// Serves the applications API on `listener` and delivers approved limits until `shutdown`,
/// then drains.
pub async fn serve(
    config: ApplicationsConfig,
    clock: SharedClock,
    listener: TcpListener,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let sealer = Arc::new(config.sealer()?);
    let scoring = config
        .peer("scoring", &config.scoring_url)?
        .map(peers::ScoringPeer);
    let limits = config
        .peer("limits", &config.limits_url)?
        .map(peers::LimitsPeer);
    let mut runtime = ServiceRuntime::start(
        SPEC,
        &config.database,
        &config.auth,
        clock.clone(),
        shutdown,
        Duration::from_secs(config.shutdown_drain_secs),
    )
    .await?;
    let (db, signals) = (runtime.db.clone(), runtime.signals.clone());
    let wake = Arc::new(tokio::sync::Notify::new());
    let applications = app::Applications::new(
        db.clone(),
        clock.clone(),
        signals.clone(),
        sealer.clone(),
        scoring.clone(),
        limits.clone(),
        wake.clone(),
    );
    let documents = app::documents::Documents::new(
        db.clone(),
        clock.clone(),
        signals.clone(),
        Arc::new(app::documents::LocalDirectory::new(
            config.document_dir.clone(),
        )),
        config.max_document_bytes,
    );
    let reviews = app::reviews::Reviews::new(db.clone(), clock.clone(), signals.clone());
    let router = runtime
        .router(Arc::new(grpc::access))?
        .add_service(credit_platform::grpc_server!(
            ApplicationsServiceServer::new(grpc::ApplicationsGrpc::new(
                applications.clone(),
                documents,
                reviews.clone(),
                runtime.readiness.clone(),
            ))
        ))
        .add_service(runtime.event_feed());
    {
        let applications = applications.clone();
        let interval = Duration::from_millis(config.sweep_interval_ms.max(10));
        runtime.supervise_exclusive("approval and review sweep", move |shutdown| {
            sweep(applications.clone(), reviews.clone(), interval, shutdown)
        });
    }
    // Scoring's early warnings open reviews and propose decreases (which need limits' view
    // of the limit in force).
    if let (Some(scoring), Some(limits)) = (&scoring, &limits) {
        runtime.follow(
            "scoring",
            scoring.0.url(),
            scoring.0.token(),
            Arc::new(app::early_warning::EarlyWarnings::new(
                applications.clone(),
                limits.clone(),
            )),
        );
    }
    if let Some(limits) = &limits {
        runtime.follow_master_data(limits.0.url(), limits.0.token());
    }
    match limits {
        Some(limits) => runtime.supervise_exclusive("limit delivery", move |shutdown| {
            app::delivery::LimitDelivery::new(
                db.clone(),
                clock.clone(),
                signals.clone(),
                limits.clone(),
                wake.clone(),
            )
            .run(shutdown.subscribe())
        }),
        None => tracing::warn!(
            "APPLICATIONS_LIMITS_URL is not set: approved limits wait until it is configured"
        ),
    }
    let db = runtime.db.clone();
    let prepare = async move {
        convert_stored(&db).await?;
        // Sealed fields are rewritten too, so this needs the key (the service holds it).
        db.rewrite_stored("applications", move |c| {
            Box::pin(async move { store::convert_legacy_applications(c, &sealer).await })
        })
        .await?;
        applications.bootstrap_policy().await
    };
    runtime.serve(router, listener, prepare).await
}

/// Every `interval` until shutdown: escalates overdue approval steps and opens the reviews
/// that fell due (both by the service's clock).
async fn sweep(
    applications: app::Applications,
    reviews: app::reviews::Reviews,
    interval: Duration,
    shutdown: Shutdown,
) {
    loop {
        if let Err(error) = applications.escalate_overdue().await {
            tracing::warn!(%error, "escalation sweep failed");
        }
        if let Err(error) = reviews.open_due().await {
            tracing::warn!(%error, "review sweep failed");
        }
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}
