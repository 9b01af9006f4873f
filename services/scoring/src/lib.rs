//! The scoring service: turns what is known about a business customer into a score, a risk class,
//! a probability of default, reason codes and a recommended limit — the same way for everyone,
//! explainably — and re-scores as new information arrives, raising early warnings.
//!
//! [`domain`] holds the pure rules (financial analysis, policy, the decision), [`model`] the
//! statistical scorecard and its training, [`store`] the SQL, [`app`] the use cases and [`grpc`]
//! the adapter.
pub mod app;
pub mod bureau;
pub mod convert;
pub mod domain;
pub mod exposure;
pub mod grpc;
pub mod model;
pub mod payments;
pub mod store;
pub mod stress;

use credit_platform::auth::{AuthConfig, ServiceToken, TokenVerifier, roles};
use credit_platform::clock::SharedClock;
use credit_platform::db::{DatabaseConfig, Db};
use credit_platform::feed::EventFeed;
use credit_platform::outbox::{FeedSignals, Relay};
use credit_platform::server::{Readiness, Shutdown};
use credit_proto::event::event_feed_service_server::EventFeedServiceServer;
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

/// Settings of the scoring service (environment variables in brackets; see README.md).
#[derive(Debug, Clone, clap::Args)]
pub struct ScoringConfig {
    /// Database.
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
    pub fn limits(&self) -> anyhow::Result<Option<exposure::LimitsReader>> {
        let Some(url) = &self.limits_url else {
            return Ok(None);
        };
        Ok(Some(exposure::LimitsReader::new(
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
    db.migrate(&POSTGRES_MIGRATIONS, &SQLITE_MIGRATIONS).await
}

/// Serves the scoring API on `listener` until `shutdown`, then drains.
pub async fn serve(
    config: ScoringConfig,
    clock: SharedClock,
    listener: TcpListener,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let verifier = TokenVerifier::from_config(&config.auth)?;
    let model = Arc::new(config.model()?);
    let db = Db::connect(&config.database).await?;
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    let readiness = Readiness::new(health_reporter, GRPC_SERVICES.to_vec()).await;
    let signals = FeedSignals::default();
    let bureaus = bureau::Bureaus::new(
        config
            .bureau_providers
            .iter()
            .map(bureau::ProviderSpec::build)
            .collect::<anyhow::Result<_>>()?,
    );
    let stress = stress::StressTesting::new(db.clone(), clock.clone(), config.limits()?);
    let scoring = app::Scoring::new(
        db.clone(),
        clock.clone(),
        signals.clone(),
        model.clone(),
        bureaus,
    );
    let server = credit_platform::server::service_router(
        SERVICE_NAME,
        GRPC_SERVICES,
        verifier,
        Arc::new(grpc::access),
        health_service,
    )?
    .add_service(credit_platform::grpc_server!(ScoringServiceServer::new(
        grpc::ScoringGrpc::new(scoring.clone(), stress, readiness.clone(),)
    )))
    .add_service(credit_platform::grpc_server!(EventFeedServiceServer::new(
        EventFeed::new(db.clone(), SERVICE_NAME, signals.clone(), shutdown.clone())
    )))
    .serve_with_incoming_shutdown(credit_platform::server::incoming(listener), shutdown.wait());
    let server = tokio::spawn(server);

    db.migrate(&POSTGRES_MIGRATIONS, &SQLITE_MIGRATIONS).await?;
    scoring.bootstrap_policy().await?;
    readiness.set(true).await;
    tracing::info!(service = SERVICE_NAME, backend = ?db.backend(), model = %model.version,
        "migrations applied; serving");
    tokio::spawn(Relay::new(db.clone(), signals).run(shutdown.subscribe()));
    tokio::spawn(readiness.clone().follow_database(
        db.clone(),
        Duration::from_secs(5),
        shutdown.subscribe(),
    ));
    if let Some(url) = &config.collections_url {
        tokio::spawn(credit_platform::follow::follow(
            db.clone(),
            clock,
            credit_platform::follow::Feed {
                source: "collections".into(),
                url: url.clone(),
            },
            config.service_token("collections")?,
            Arc::new(payments::PaymentFollower::new(scoring.clone())),
            shutdown.clone(),
        ));
    }
    credit_platform::server::drain_on_shutdown(
        server,
        Some(&readiness),
        &shutdown,
        Duration::from_secs(config.shutdown_drain_secs),
        SERVICE_NAME,
    )
    .await?;
    db.pool.close().await;
    Ok(())
}
