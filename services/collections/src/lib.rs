//! The collections service: the receivables ledger (invoices, credit notes, payments and their
//! allocations, written by the ERP idempotently by its document ids), aging as of any date,
//! and every change to open receivables on the event feed, which limits follows.
//!
//! [`domain`] holds the pure rules (ledger, aging), [`validate`] the wire checks, [`store`]
//! the SQL, [`app`] the use cases and [`grpc`] the adapter.
pub mod app;
pub mod convert;
pub mod domain;
pub mod feeds;
pub mod grpc;
pub mod letters;
pub mod mailer;
pub mod store;

use credit_platform::auth::AuthConfig;
use credit_platform::clock::SharedClock;
use credit_platform::db::{DatabaseConfig, Db};
use credit_platform::runtime::{ServiceRuntime, ServiceSpec};
use credit_platform::server::Shutdown;
use credit_proto::collections::collections_service_server::CollectionsServiceServer;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The service's name in events and metrics.
pub const SERVICE_NAME: &str = "collections";

/// Migrations per backend.
pub static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");
/// Migrations per backend.
pub static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The gRPC services this server answers for (health entries use these names).
pub const GRPC_SERVICES: &[&str] = &[
    "credit.collections.v1.CollectionsService",
    "credit.event.v1.EventFeedService",
];

/// Settings of the collections service (environment variables in brackets; see docs/operations.md).
#[derive(Debug, Clone, clap::Args)]
pub struct CollectionsConfig {
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Token verification.
    #[command(flatten)]
    pub auth: AuthConfig,
    /// Days past due after which a customer is said to be overdue on the feed, so limits
    /// places its rule hold (released once nothing is that late); 0 never.
    #[arg(long, env = "COLLECTIONS_HOLD_AFTER_DAYS", default_value_t = 60)]
    pub hold_after_days: i64,
    /// How often the time-driven rules run (the hold rule as days pass), in milliseconds; the
    /// days come from the service's clock, this is only how soon they are noticed.
    #[arg(long, env = "COLLECTIONS_SWEEP_INTERVAL_MS", default_value_t = 60_000)]
    pub sweep_interval_ms: u64,
    /// SMTP server dunning e-mails go through: `smtp://host:port` (plain),
    /// `smtp://host:587?tls=required` (STARTTLS), `smtps://user:password@host:465`. Unset:
    /// messages are written and wait until it is set.
    #[arg(
        long,
        env = "COLLECTIONS_SMTP_URL",
        hide_env_values = true,
        value_parser = credit_platform::secret::parse
    )]
    pub smtp_url: Option<credit_platform::secret::SecretString>,
    /// Without an SMTP server: the directory dunning e-mails are dropped into as `.eml` files
    /// (the development suite uses `data/outbox`).
    #[arg(long, env = "COLLECTIONS_MAIL_DROP_DIR")]
    pub mail_drop_dir: Option<std::path::PathBuf>,
    /// Sender of dunning e-mails.
    #[arg(
        long,
        env = "COLLECTIONS_MAIL_FROM",
        default_value = "Accounts Receivable <receivables@credit-suite.localhost>"
    )]
    pub mail_from: String,
    /// Days a dispute has to be resolved in (its due date).
    #[arg(long, env = "COLLECTIONS_DISPUTE_SLA_DAYS", default_value_t = 14)]
    pub dispute_sla_days: i64,
    /// Where dispute documents are stored (content-addressed by SHA-256).
    #[arg(
        long,
        env = "COLLECTIONS_DOCUMENT_DIR",
        default_value = "./data/collections-documents"
    )]
    pub document_dir: std::path::PathBuf,
    /// Largest dispute document accepted, in bytes.
    #[arg(long, env = "COLLECTIONS_MAX_DOCUMENT_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_document_bytes: usize,
    /// Whether the scheduler runs dunning by itself (RunDunning always can).
    #[arg(long, env = "COLLECTIONS_DUNNING_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub dunning_enabled: bool,
    /// Scoring's event feed (`http://scoring:50051`): its scores give the risk class that
    /// chooses the dunning strategy and the probability of default that ranks the worklist.
    /// Unset: the risk class written with PutCustomer, and the policy's default probability.
    #[arg(long, env = "COLLECTIONS_SCORING_URL")]
    pub scoring_url: Option<String>,
    /// Limits' event feed (`http://limits:50051`): each customer's region and business unit,
    /// which tokens limited to a data scope are checked against. Unset: the region of
    /// PutCustomer, and no business unit.
    #[arg(long, env = "COLLECTIONS_LIMITS_URL")]
    pub limits_url: Option<String>,
    /// File holding the token collections presents to scoring (a viewer's). Unset with an
    /// HS256 secret (development): minted.
    #[arg(long, env = "COLLECTIONS_SERVICE_TOKEN_FILE")]
    pub service_token_file: Option<std::path::PathBuf>,
    /// Longest wait for in-flight calls and streams at shutdown, in seconds.
    #[arg(long, env = "SHUTDOWN_DRAIN_SECS", default_value_t = 20)]
    pub shutdown_drain_secs: u64,
}

impl CollectionsConfig {
    /// Defaults around a database and token settings (suite, tests).
    pub fn new(database: DatabaseConfig, auth: AuthConfig) -> Self {
        Self {
            database,
            auth,
            hold_after_days: 60,
            sweep_interval_ms: 60_000,
            smtp_url: None,
            mail_drop_dir: None,
            mail_from: "Accounts Receivable <receivables@credit-suite.localhost>".into(),
            dispute_sla_days: 14,
            document_dir: std::path::PathBuf::from("./data/collections-documents"),
            max_document_bytes: 8 * 1024 * 1024,
            dunning_enabled: true,
            scoring_url: None,
            limits_url: None,
            service_token_file: None,
            shutdown_drain_secs: 20,
        }
    }
}

/// What `store::convert_legacy_records` rewrites (rows once stored as wire messages).
const STORED_RECORDS: &str =
    "disputes, promises, plans, write-offs, activities and ledger documents";

/// Applies the migrations and exits (the `migrate` subcommand).
pub async fn migrate(database: &DatabaseConfig) -> anyhow::Result<()> {
    let db = Db::connect(database).await?;
    db.migrate(&POSTGRES_MIGRATIONS, &SQLITE_MIGRATIONS).await?;
    db.rewrite_stored(STORED_RECORDS, |c| {
        Box::pin(store::convert_legacy_records(c))
    })
    .await?;
    Ok(())
}

/// What the runtime needs to know about collections.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: SERVICE_NAME,
    grpc_services: GRPC_SERVICES,
    postgres_migrations: &POSTGRES_MIGRATIONS,
    sqlite_migrations: &SQLITE_MIGRATIONS,
    // Payments, disputes, promises and dunning read a record, change it and write it back.
    writes: credit_platform::db::Writes::Snapshot,
};

/// Serves the collections API on `listener` until `shutdown`, then drains.
pub async fn serve(
    config: CollectionsConfig,
    clock: SharedClock,
    listener: TcpListener,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let mailer = mailer::Mailer::new(
        config.smtp_url.as_ref(),
        config.mail_drop_dir.as_deref(),
        &config.mail_from,
    )?;
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
    let ledger = app::Ledger::new(
        db.clone(),
        clock.clone(),
        signals.clone(),
        config.hold_after_days.max(0),
    );
    let dunning = app::Dunning::new(db.clone(), clock.clone(), signals.clone(), mailer);
    let disputes = app::Disputes::new(
        db.clone(),
        clock.clone(),
        signals.clone(),
        config.dispute_sla_days.max(1),
        Arc::new(credit_platform::documents::LocalDirectory::new(
            config.document_dir.clone(),
        )),
        config.max_document_bytes,
    );
    let promises = app::Promises::new(db.clone(), clock.clone(), signals.clone());
    let plans = app::Plans::new(db.clone(), clock.clone(), signals.clone());
    let desk = app::Desk::new(db.clone(), clock.clone(), signals.clone());
    let limitation = app::Limitation::new(db.clone(), clock.clone(), signals.clone());
    let write_offs =
        app::WriteOffs::new(db.clone(), clock.clone(), signals.clone(), ledger.clone());
    let router = runtime
        .router(Arc::new(grpc::access))?
        .add_service(credit_platform::grpc_server!(
            CollectionsServiceServer::new(grpc::CollectionsGrpc {
                ledger: ledger.clone(),
                dunning: dunning.clone(),
                disputes,
                promises: promises.clone(),
                write_offs,
                plans: plans.clone(),
                desk,
                limitation: limitation.clone(),
                readiness: runtime.readiness.clone(),
            })
        ))
        .add_service(runtime.event_feed());
    let token = |to: &str| {
        credit_platform::auth::ServiceToken::from_settings(
            config.service_token_file.as_deref(),
            &config.auth,
            "service:collections",
            &[credit_platform::auth::roles::VIEWER],
        )
        .ok_or_else(|| {
            anyhow::anyhow!(
                "set COLLECTIONS_SERVICE_TOKEN_FILE: collections needs a token to follow {to}"
            )
        })
    };
    if let Some(url) = &config.scoring_url {
        runtime.follow(
            "scoring",
            url,
            token("scoring")?,
            Arc::new(feeds::risk::RiskFollower::new(db.clone(), clock.clone())),
        );
    }
    if let Some(url) = &config.limits_url {
        runtime.follow_master_data(url, token("limits")?);
    }
    let interval = Duration::from_millis(config.sweep_interval_ms.max(10));
    {
        let rules = Rules {
            ledger,
            promises,
            plans,
            limitation,
            dunning: config.dunning_enabled.then(|| dunning.clone()),
        };
        runtime.supervise_exclusive("time-driven rules", move |shutdown| {
            sweep(rules.clone(), interval, shutdown)
        });
    }
    {
        let dunning = dunning.clone();
        runtime.supervise_exclusive("message delivery", move |shutdown| {
            deliver(dunning.clone(), interval, shutdown)
        });
    }
    let db = runtime.db.clone();
    let prepare = async move {
        db.rewrite_stored(STORED_RECORDS, |c| {
            Box::pin(store::convert_legacy_records(c))
        })
        .await?;
        dunning.bootstrap_policy().await
    };
    runtime.serve(router, listener, prepare).await
}

/// What the sweep applies as days pass.
#[derive(Clone)]
struct Rules {
    ledger: app::Ledger,
    promises: app::Promises,
    plans: app::Plans,
    limitation: app::Limitation,
    dunning: Option<app::Dunning>,
}

/// Every `interval` until shutdown: the time-driven rules (the hold rule as days pass, and
/// dunning's steps).
async fn sweep(rules: Rules, interval: Duration, shutdown: Shutdown) {
    let Rules {
        ledger,
        promises,
        plans,
        limitation,
        dunning,
    } = rules;
    loop {
        // Wait first: at start-up nothing is due that the first interval cannot wait for, and
        // work done by the caller right after start is not raced by a sweep.
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        match ledger.sweep_overdue().await {
            Ok(0) => {}
            Ok(changed) => tracing::info!(changed, "overdue customers reviewed"),
            Err(error) => tracing::warn!(%error, "overdue sweep failed"),
        }
        if let Err(error) = promises.sweep().await {
            tracing::warn!(%error, "promise sweep failed");
        }
        if let Err(error) = plans.sweep().await {
            tracing::warn!(%error, "payment plan sweep failed");
        }
        if let Err(error) = limitation.sweep().await {
            tracing::warn!(%error, "limitation sweep failed");
        }
        if let Some(dunning) = &dunning
            && let Err(error) = dunning
                .run(&credit_platform::scope::DataScope::all(), "")
                .await
        {
            tracing::warn!(%error, "dunning run failed");
        }
    }
}

/// Delivers written messages until shutdown: at once after a run wrote some, and every
/// `interval` for those waiting on a channel that failed.
async fn deliver(dunning: app::Dunning, interval: Duration, shutdown: Shutdown) {
    loop {
        if let Err(error) = dunning.deliver().await {
            tracing::warn!(%error, "message delivery failed");
        }
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = dunning.wait_for_work(interval.max(Duration::from_secs(1))) => {}
        }
    }
}
