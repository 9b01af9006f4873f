//! The audit service: a tamper-evident record of every change and decision in the suite.
//!
//! It follows the event feed of every configured service ([`feeds`]), appends each event once
//! to an append-only log whose Merkle tree follows RFC 9162 ([`domain::merkle`], [`app::log`]),
//! signs checkpoints of the tree with Ed25519 in the C2SP formats ([`domain::checkpoint`]),
//! answers queries and proofs over gRPC ([`grpc`]), exports entries with proofs for offline
//! checking ([`domain::export`]), and verifies the stored log end to end ([`app::verify`]).
//! All SQL is in [`store`].
pub mod app;
pub mod domain;
pub mod feeds;
pub mod grpc;
pub mod store;

use credit_platform::auth::{AuthConfig, ServiceToken, roles};
use credit_platform::clock::SharedClock;
use credit_platform::db::{DatabaseConfig, Db};
use credit_platform::runtime::{ServiceRuntime, ServiceSpec};
use credit_platform::secret::{ExposeSecret, SecretString};
use credit_platform::server::Shutdown;
use credit_proto::audit::audit_service_server::AuditServiceServer;
use domain::checkpoint;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

pub use feeds::Source;

/// The service's name in metrics and logs.
pub const SERVICE_NAME: &str = "audit";

/// Migrations per backend.
pub static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");
/// Migrations per backend.
pub static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The gRPC services this server answers for (health entries use these names).
pub const GRPC_SERVICES: &[&str] = &["credit.audit.v1.AuditService"];

/// Settings of the audit service (environment variables in brackets; see docs/operations.md).
#[derive(Debug, Clone, clap::Args)]
pub struct AuditConfig {
    #[command(flatten)]
    pub database: DatabaseConfig,
    /// Token verification.
    #[command(flatten)]
    pub auth: AuthConfig,
    /// Event feeds to follow, as name=url pairs separated by commas:
    /// "limits=http://limits:50051,scoring=http://scoring:50051"; a url may list several
    /// replicas ("limits=http://10.0.0.1:50051,10.0.0.2:50051"). Adding a service to audit is
    /// adding it here.
    #[arg(long = "sources", env = "AUDIT_SOURCES", default_value = "")]
    pub sources: credit_platform::balance::NamedPeers<Source>,
    /// File holding the token audit presents to the feeds, re-read at every connection (needs
    /// the credit.auditor role). Without it, and with an HS256 secret, audit mints its own.
    #[arg(long, env = "AUDIT_SOURCE_TOKEN_FILE")]
    pub source_token_file: Option<PathBuf>,
    /// The checkpoint signing key in signed-note format ("PRIVATE+KEY+<origin>+<id>+<key>";
    /// `credit-audit generate-key` makes one). Its name is the log's origin.
    #[arg(
        long,
        env = "AUDIT_SIGNING_KEY",
        hide_env_values = true,
        value_parser = credit_platform::secret::parse
    )]
    pub signing_key: Option<SecretString>,
    /// File holding the signing key, instead of --signing-key.
    #[arg(long, env = "AUDIT_SIGNING_KEY_FILE")]
    pub signing_key_file: Option<PathBuf>,
    /// Verifier keys of retired signing keys, so checkpoints they signed still verify.
    #[arg(
        long = "trusted-verifier-key",
        env = "AUDIT_TRUSTED_VERIFIER_KEYS",
        value_delimiter = ','
    )]
    pub trusted_verifier_keys: Vec<String>,
    /// How often a new checkpoint is signed when the log has grown, in milliseconds.
    #[arg(long, env = "AUDIT_CHECKPOINT_INTERVAL_MS", default_value_t = 1000)]
    pub checkpoint_interval_ms: u64,
    /// How often the whole log is verified in the background, in seconds (also once at start;
    /// 0: only on request). Results: `audit_verification_intact`, `audit_verifications_total`.
    #[arg(long, env = "AUDIT_VERIFY_INTERVAL_SECS", default_value_t = 3600)]
    pub verify_interval_secs: u64,
    /// How often each source is asked how far ahead it is (lag metrics), in seconds.
    #[arg(long, env = "AUDIT_LAG_PROBE_SECS", default_value_t = 5)]
    pub lag_probe_secs: u64,
    /// Longest wait for in-flight calls and streams at shutdown, in seconds.
    #[arg(long, env = "SHUTDOWN_DRAIN_SECS", default_value_t = 20)]
    pub shutdown_drain_secs: u64,
}

impl AuditConfig {
    /// Defaults around a database, token settings, sources and a signing key (suite, tests).
    pub fn new(
        database: DatabaseConfig,
        auth: AuthConfig,
        sources: Vec<Source>,
        signing_key: String,
    ) -> Self {
        Self {
            database,
            auth,
            sources: credit_platform::balance::NamedPeers(sources),
            source_token_file: None,
            signing_key: Some(SecretString::from(signing_key)),
            signing_key_file: None,
            trusted_verifier_keys: Vec::new(),
            checkpoint_interval_ms: 1000,
            verify_interval_secs: 3600,
            lag_probe_secs: 5,
            shutdown_drain_secs: 20,
        }
    }

    /// The signing key from --signing-key or --signing-key-file.
    pub fn signing_key(&self) -> anyhow::Result<SecretString> {
        credit_platform::secret::inline_or_file(
            self.signing_key.as_ref(),
            self.signing_key_file.as_deref(),
            (
                "AUDIT_SIGNING_KEY",
                "AUDIT_SIGNING_KEY_FILE (`credit-audit generate-key` makes a key)",
            ),
        )
    }

    /// The token audit presents to the feeds.
    pub fn source_token(&self) -> anyhow::Result<ServiceToken> {
        ServiceToken::from_settings(
            self.source_token_file.as_deref(),
            &self.auth,
            "service:audit",
            &[roles::AUDITOR],
        )
        .ok_or_else(|| {
            anyhow::anyhow!(
                "set AUDIT_SOURCE_TOKEN_FILE: audit needs a token to read the event feeds"
            )
        })
    }
}

/// Applies the migrations and exits (the `migrate` subcommand).
pub async fn migrate(database: &DatabaseConfig) -> anyhow::Result<()> {
    let db = Db::connect(database).await?;
    db.migrate(&POSTGRES_MIGRATIONS, &SQLITE_MIGRATIONS).await
}

/// What the runtime needs to know about audit.
pub const SPEC: ServiceSpec = ServiceSpec {
    name: SERVICE_NAME,
    grpc_services: GRPC_SERVICES,
    postgres_migrations: &POSTGRES_MIGRATIONS,
    sqlite_migrations: &SQLITE_MIGRATIONS,
    // Appends take the log head's row lock.
    writes: credit_platform::db::Writes::LockRows,
};

/// Serves the audit API on `listener` and follows every source until `shutdown`, then drains
/// and signs a last checkpoint.
pub async fn serve(
    config: AuditConfig,
    clock: SharedClock,
    listener: TcpListener,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let signer = checkpoint::CheckpointSigner::new(config.signing_key()?.expose_secret())?;
    let trusted = Arc::new(checkpoint::TrustedKeys::new(
        std::iter::once(signer.verifier_key())
            .chain(config.trusted_verifier_keys.iter().map(String::as_str)),
    )?);
    let token = config.source_token()?;
    let mut runtime = ServiceRuntime::start(
        SPEC,
        &config.database,
        &config.auth,
        clock.clone(),
        shutdown,
        Duration::from_secs(config.shutdown_drain_secs),
    )
    .await?;
    // The log reads its tree from its tables when it opens.
    runtime.migrate().await?;
    let log = app::AuditLog::open(runtime.db.clone(), signer, clock.clone()).await?;
    let board = feeds::SourceBoard::default();
    let grpc = grpc::AuditGrpc::new(
        log.clone(),
        board.clone(),
        config.sources.iter().map(|s| s.name.clone()).collect(),
        trusted.clone(),
        runtime.readiness.clone(),
    );
    let router = runtime
        .router(Arc::new(grpc::access))?
        .add_service(credit_platform::grpc_server!(AuditServiceServer::new(grpc)));

    // Each source's series exist from the start, at zero (dashboards and alerts see them).
    for source in config.sources.iter() {
        for counter in [
            "audit_entries_recorded_total",
            "audit_events_redelivered_total",
            "audit_feed_gaps_total",
        ] {
            metrics::counter!(counter, "source" => source.name.clone()).increment(0);
        }
    }
    let probe_every = Duration::from_secs(config.lag_probe_secs.max(1));
    for source in config.sources.iter() {
        let (source, log, token, board, clock) = (
            source.clone(),
            log.clone(),
            token.clone(),
            board.clone(),
            clock.clone(),
        );
        {
            let (source, log, token, board) =
                (source.clone(), log.clone(), token.clone(), board.clone());
            runtime.supervise_exclusive(format!("{} follower", source.name), move |shutdown| {
                feeds::follow_sources(
                    source.clone(),
                    log.clone(),
                    token.clone(),
                    board.clone(),
                    shutdown,
                )
            });
        }
        runtime.supervise(format!("{} lag probe", source.name), move |shutdown| {
            feeds::probe_lag(
                source.clone(),
                log.clone(),
                token.clone(),
                board.clone(),
                clock.clone(),
                probe_every,
                shutdown,
            )
        });
    }
    {
        let log = log.clone();
        let every = Duration::from_millis(config.checkpoint_interval_ms.max(10));
        runtime.supervise_exclusive("checkpoint signer", move |shutdown| {
            app::sign_checkpoints(log.clone(), every, shutdown)
        });
    }
    if config.verify_interval_secs > 0 {
        let log = log.clone();
        let every = Duration::from_secs(config.verify_interval_secs);
        runtime.supervise_exclusive("verification", move |shutdown| {
            app::verify_periodically(log.clone(), trusted.clone(), every, shutdown)
        });
    }
    let entries = log.size().await;
    tracing::info!(
        service = SERVICE_NAME,
        entries,
        sources = config.sources.len(),
        "audit log open"
    );
    // Whatever was recorded before the stop is covered by a checkpoint.
    runtime.at_stop(move || async move {
        if let Err(error) = log.checkpoint().await {
            tracing::warn!(%error, "final checkpoint failed");
        }
    });
    runtime
        .serve(router, listener, async { anyhow::Ok(()) })
        .await
}
