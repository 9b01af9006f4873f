//! The scoring service: turns what is known about a business customer into a score, a risk class,
//! a probability of default, reason codes and a recommended limit — the same way for everyone,
//! explainably — and re-scores as new information arrives, raising early warnings.
//!
//! [`domain`] holds the pure rules (financial analysis, policy, the decision), [`model`] the
//! statistical scorecard and its training, [`store`] the SQL, [`app`] the use cases (one
//! transaction each), [`grpc`] the adapter that validates and maps, [`feeds`] what scoring
//! follows on other services' feeds, [`peers`] the services it calls and [`bureau`] the
//! credit-bureau providers.
pub mod app;
pub mod bureau;
pub mod convert;
pub mod domain;
pub mod feeds;
pub mod grpc;
pub mod model;
pub mod peers;
pub mod store;

use credit_platform::auth::{AuthConfig, ServiceToken, roles};
use credit_platform::clock::SharedClock;
use credit_platform::db::{DatabaseConfig, Db};
use credit_platform::runtime::{ServiceRuntime, ServiceSpec};
use credit_platform::server::Shutdown;
use credit_proto::scoring::scoring_service_server::ScoringServiceServer;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The service's name in events and metrics.
pub const SERVICE_NAME: &str = "scoring";

/// Migrations per backend.
pub static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");
/// Migrations per backend.
pub static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The gRPC services this server answers for (health entries use these names).
pub const GRPC_SERVICES: &[&str] = &[
    "credit.scoring.v1.ScoringService",
    "credit.event.v1.EventFeedService",
];

/// Settings of the scoring service (environment variables in brackets; see docs/operations.md).
#[derive(Debug, Clone, clap::Args)]
pub struct ScoringConfig {
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Token verification.
    #[command(flatten)]
    pub auth: AuthConfig,
    /// Model artifact to score with (`credit-scoring train` writes one); the shipped sample
    /// model when unset.
    #[arg(long, env = "SCORING_MODEL_FILE")]
    pub model_file: Option<PathBuf>,
    /// Credit bureaus in priority order, as name=location: a directory of `<customer>.json`
    /// files, or an HTTP base URL ("dnb=https://bureau.example/api"); repeat, or comma-separate
    /// in the variable. The policy chooses blocks, order and how long a report is reused.
    #[arg(
        long = "bureau-provider",
        env = "SCORING_BUREAU_PROVIDERS",
        value_delimiter = ','
    )]
    pub bureau_providers: Vec<bureau::ProviderSpec>,
    /// gRPC address of the limits service, where stress scenarios read exposure
    /// ("http://limits:50051"); RunStressScenario answers FAILED_PRECONDITION without it.
    #[arg(long, env = "SCORING_LIMITS_URL")]
    pub limits_url: Option<String>,
    /// gRPC address of the collections service, whose feed gives each customer's payment
    /// behaviour ("http://collections:50051"); unset: PutPaymentBehaviour only.
    #[arg(long, env = "SCORING_COLLECTIONS_URL")]
    pub collections_url: Option<String>,
    /// File holding the token scoring presents to limits and collections (needs
    /// credit.viewer), re-read at every call. Without it, and with an HS256 secret, scoring
    /// mints its own.
    #[arg(long, env = "SCORING_SERVICE_TOKEN_FILE")]
    pub service_token_file: Option<PathBuf>,
    /// Longest wait for in-flight calls and streams at shutdown, in seconds.
    #[arg(long, env = "SHUTDOWN_DRAIN_SECS", default_value_t = 20)]
    pub shutdown_drain_secs: u64,
}

impl ScoringConfig {
    /// Defaults around a database and token settings (suite, tests).
    pub fn new(database: DatabaseConfig, auth: AuthConfig) -> Self {
        Self {
            database,
            auth,
            model_file: None,
            bureau_providers: Vec::new(),
            limits_url: None,
            collections_url: None,
            service_token_file: None,
            shutdown_drain_secs: 20,
        }
    }

    /// The token scoring presents to other services.
    fn service_token(&self, to: &str) -> anyhow::Result<ServiceToken> {
        ServiceToken::from_settings(
            self.service_token_file.as_deref(),
            &self.auth,
            "service:scoring",
            &[roles::VIEWER],
        )
        .ok_or_else(|| {
            anyhow::anyhow!("set SCORING_SERVICE_TOKEN_FILE: scoring needs a token to read {to}")
        })
    }

    /// The reader of exposure in limits, when scoring is connected to it.
    pub fn limits(&self) -> anyhow::Result<Option<peers::limits::LimitsReader>> {
        let Some(url) = &self.limits_url else {
            return Ok(None);
        };
        Ok(Some(peers::limits::LimitsReader::new(
            url,
            self.service_token("limits")?,
        )?))
    }

    /// The model to score with.
    pub fn model(&self) -> anyhow::Result<model::Scorecard> {
        match &self.model_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("reading the model {}: {e}", path.display()))?;
                model::Scorecard::from_json(&text)
            }
            None => model::Scorecard::from_json(model::SHIPPED_MODEL),
        }
    }
}

/// Applies the migrations and exits (the `migrate` subcommand).
pub async fn migrate(database: &DatabaseConfig) -> anyhow::Result<()> {
    let db = Db::connect(database).await?;
    db.migrate(&POSTGRES_MIGRATIONS, &SQLITE_MIGRATIONS).await?;
    db.rewrite_stored("scores", |c| Box::pin(store::convert_legacy_scores(c)))
        .await?;
    Ok(())
}

/// What the runtime needs to know about scoring.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: SERVICE_NAME,
    grpc_services: GRPC_SERVICES,
    postgres_migrations: &POSTGRES_MIGRATIONS,
    sqlite_migrations: &SQLITE_MIGRATIONS,
    // Policies, models and scores are read, changed and written back.
    writes: credit_platform::db::Writes::Snapshot,
};

/// Serves the scoring API on `listener` until `shutdown`, then drains.
pub async fn serve(
    config: ScoringConfig,
    clock: SharedClock,
    listener: TcpListener,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let model = Arc::new(config.model()?);
    let bureaus = bureau::Bureaus::new(
        config
            .bureau_providers
            .iter()
            .map(bureau::ProviderSpec::build)
            .collect::<anyhow::Result<_>>()?,
    );
    let mut runtime = ServiceRuntime::start(
        SPEC,
        &config.database,
        &config.auth,
        clock.clone(),
        shutdown,
        Duration::from_secs(config.shutdown_drain_secs),
    )
    .await?;
    let stress = app::StressTesting::new(runtime.db.clone(), clock.clone(), config.limits()?);
    let scoring = app::Scoring::new(
        runtime.db.clone(),
        clock,
        runtime.signals.clone(),
        model.clone(),
        bureaus,
    );
    let router = runtime
        .router(Arc::new(grpc::access))?
        .add_service(credit_platform::grpc_server!(ScoringServiceServer::new(
            grpc::ScoringGrpc::new(scoring.clone(), stress, runtime.readiness.clone())
        )))
        .add_service(runtime.event_feed());
    if let Some(url) = &config.limits_url {
        runtime.follow_master_data(url, config.service_token("limits")?);
    }
    if let Some(url) = &config.collections_url {
        runtime.follow(
            "collections",
            url,
            config.service_token("collections")?,
            Arc::new(feeds::payments::PaymentFollower::new(scoring.clone())),
        );
    }
    tracing::info!(model = %model.version, "scoring model loaded");
    let db = runtime.db.clone();
    let prepare = async move {
        db.rewrite_stored("scores", |c| Box::pin(store::convert_legacy_scores(c)))
            .await?;
        scoring.bootstrap_policy().await
    };
    runtime.serve(router, listener, prepare).await
}
