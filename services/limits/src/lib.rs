//! The limits service: credit accounts, credit limits, exposure and the real-time credit check
//! with reservations and holds.
//!
//! [`serve`] runs the gRPC server on a listener it is given, so the binary, the development suite
//! and the tests all run the same code.
pub mod app;
pub mod convert;
pub mod domain;
pub mod grpc;
pub mod ledger;
pub mod store;

use credit_platform::auth::AuthConfig;
use credit_platform::clock::SharedClock;
use credit_platform::db::{DatabaseConfig, Db};
use credit_platform::runtime::{ServiceRuntime, ServiceSpec};
use credit_platform::server::Shutdown;
use credit_proto::limits::diagnostics_service_server::DiagnosticsServiceServer;
use credit_proto::limits::limits_service_server::LimitsServiceServer;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The service's name in events and metrics.
pub const SERVICE_NAME: &str = "limits";

/// Migrations per backend.
pub static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");
/// Migrations per backend.
pub static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The gRPC services this server answers for (health entries use these names).
pub const GRPC_SERVICES: &[&str] = &[
    "credit.limits.v1.LimitsService",
    "credit.limits.v1.DiagnosticsService",
    "credit.event.v1.EventFeedService",
];

/// Settings of the limits service (environment variables in brackets; see docs/operations.md).
#[derive(Debug, Clone, clap::Args)]
pub struct LimitsConfig {
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Token verification.
    #[command(flatten)]
    pub auth: AuthConfig,
    /// Default lifetime of a reservation, in seconds (the check may ask for another).
    #[arg(long, env = "LIMITS_RESERVATION_TTL_SECS", default_value_t = 14 * 24 * 3600)]
    pub reservation_ttl_secs: u64,
    /// How often expired reservations are released, in seconds.
    #[arg(long, env = "LIMITS_EXPIRY_SWEEP_SECS", default_value_t = 30)]
    pub expiry_sweep_secs: u64,
    /// gRPC address of collections, whose receivables feed exposure follows (unset: receivables
    /// are posted through PostReceivable only).
    #[arg(long, env = "LIMITS_COLLECTIONS_URL")]
    pub collections_url: Option<String>,
    /// File holding the token presented to collections' feed (role credit.viewer or
    /// credit.auditor), re-read at every connection. Without it, and with an HS256 secret, the
    /// service mints its own.
    #[arg(long, env = "LIMITS_SERVICE_TOKEN_FILE")]
    pub service_token_file: Option<std::path::PathBuf>,
    /// Most credit checks decided in one transaction (group commit); 1 turns batching off.
    #[arg(long, env = "LIMITS_CHECK_BATCH", default_value_t = 128,
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub check_batch: u16,
    /// Most credit checks waiting for the engine; beyond it a check is answered UNAVAILABLE
    /// (OVERLOADED) with a retry delay.
    #[arg(long, env = "LIMITS_CHECK_QUEUE", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub check_queue: u32,
    /// Batches of credit checks decided at once on PostgreSQL, each in its own transaction and
    /// on its own connection (SQLite decides one at a time: it has one writer).
    #[arg(long, env = "LIMITS_CHECK_WORKERS", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub check_workers: u16,
    /// Longest wait for in-flight calls and streams at shutdown, in seconds.
    #[arg(long, env = "SHUTDOWN_DRAIN_SECS", default_value_t = 20)]
    pub shutdown_drain_secs: u64,
}

impl LimitsConfig {
    /// Defaults for `database_url` and an HS256 `secret` (suite and tests).
    pub fn new(database: DatabaseConfig, auth: AuthConfig) -> Self {
        Self {
            database,
            auth,
            reservation_ttl_secs: 14 * 24 * 3600,
            expiry_sweep_secs: 30,
            collections_url: None,
            service_token_file: None,
            check_batch: 128,
            check_queue: 4096,
            check_workers: 4,
            shutdown_drain_secs: 20,
        }
    }
}

/// Applies the migrations and exits (the `migrate` subcommand).
pub async fn migrate(database: &DatabaseConfig) -> anyhow::Result<()> {
    let db = Db::connect(database).await?;
    db.migrate(&POSTGRES_MIGRATIONS, &SQLITE_MIGRATIONS).await
}

/// What the runtime needs to know about limits.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: SERVICE_NAME,
    grpc_services: GRPC_SERVICES,
    postgres_migrations: &POSTGRES_MIGRATIONS,
    sqlite_migrations: &SQLITE_MIGRATIONS,
    // The credit check locks its account chain in a fixed order.
    writes: credit_platform::db::Writes::LockRows,
};

/// Serves the limits gRPC API on `listener` until `shutdown` is triggered, then drains.
///
/// Health answers NOT_SERVING until the migrations have run, and again whenever the database
/// stops answering, a background task is down, and during the drain.
pub async fn serve(
    config: LimitsConfig,
    clock: SharedClock,
    listener: TcpListener,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let mut runtime = ServiceRuntime::start(
        SPEC,
        &config.database,
        &config.auth,
        clock.clone(),
        shutdown.clone(),
        Duration::from_secs(config.shutdown_drain_secs),
    )
    .await?;
    // Series that alerts divide by exist from the start, at zero.
    for outcome in ["approved", "rejected"] {
        metrics::counter!(app::CHECKS_TOTAL, "outcome" => outcome).increment(0);
    }
    for reason in ["no_account", "refused"] {
        metrics::counter!("limits_ledger_events_skipped_total", "reason" => reason).increment(0);
    }
    let ttl_micros =
        i64::try_from(config.reservation_ttl_secs).unwrap_or(i64::MAX / 1_000_000) * 1_000_000;
    let limits = app::Limits::new(
        runtime.db.clone(),
        clock.clone(),
        runtime.signals.clone(),
        ttl_micros,
    );
    // The engine writes on a connection of its own: a batch never waits for one behind the
    // service's reads, feeds and other changes.
    let engine = app::CheckEngine::start(
        limits.over(
            runtime
                .db
                .dedicated(u32::from(config.check_workers))
                .await?,
        ),
        app::EngineSettings {
            batch: usize::from(config.check_batch),
            queue: config.check_queue as usize,
            workers: usize::from(config.check_workers),
        },
    );
    let grpc = grpc::LimitsGrpc::new(limits.clone(), runtime.readiness.clone(), engine);
    let router = runtime
        .router(Arc::new(grpc::access::access))?
        .add_service(credit_platform::grpc_server!(LimitsServiceServer::new(
            grpc
        )))
        .add_service(credit_platform::grpc_server!(
            DiagnosticsServiceServer::new(grpc::Diagnostics)
        ))
        .add_service(runtime.event_feed());

    if let Some(url) = &config.collections_url {
        let token = credit_platform::auth::ServiceToken::from_settings(
            config.service_token_file.as_deref(),
            &config.auth,
            "service:limits",
            &[credit_platform::auth::roles::VIEWER],
        )
        .ok_or_else(|| {
            anyhow::anyhow!(
                "set LIMITS_SERVICE_TOKEN_FILE: limits needs a token to follow collections"
            )
        })?;
        runtime.follow(
            "collections",
            url,
            token,
            Arc::new(ledger::LedgerFollower::new(limits.clone())),
        );
    }
    let every = Duration::from_secs(config.expiry_sweep_secs.max(1));
    runtime.supervise_exclusive("reservation expiry", move |shutdown| {
        sweep_expired_reservations(limits.clone(), every, shutdown)
    });
    runtime
        .serve(router, listener, async { anyhow::Ok(()) })
        .await
}

async fn sweep_expired_reservations(limits: app::Limits, every: Duration, shutdown: Shutdown) {
    let mut stop = shutdown.subscribe();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|down| *down) => return,
        }
        match limits.sweep_expired().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "released expired reservations"),
            Err(error) => tracing::warn!(%error, "reservation expiry sweep failed"),
        }
    }
}
