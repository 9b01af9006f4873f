//! `credit-audit`: the audit service binary.
use clap::{Parser, Subcommand};
use credit_audit::domain::checkpoint::{TrustedKeys, generate_key};
use credit_audit::{AuditConfig, migrate, serve};
use credit_platform::clock::SystemClock;
use credit_platform::db::{DatabaseConfig, Db};
use credit_platform::server::ServerConfig;
use credit_platform::telemetry::LogFormat;
use std::sync::Arc;

/// The audit service of the credit suite.
#[derive(Parser)]
#[command(name = "credit-audit", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the audit API and follow the sources' event feeds.
    Serve {
        #[command(flatten)]
        server: ServerConfig,
        #[command(flatten)]
        audit: Box<AuditConfig>,
    },
    /// Apply the database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Verify the stored log directly in the database, without the service: recompute every
    /// leaf and the tree, and check every signed checkpoint. Exits 1 when anything is wrong.
    Verify {
        #[command(flatten)]
        database: DatabaseConfig,
        /// Verifier keys to trust (the log's current one and any retired ones).
        #[arg(
            long = "verifier-key",
            env = "AUDIT_TRUSTED_VERIFIER_KEYS",
            value_delimiter = ',',
            required = true
        )]
        verifier_keys: Vec<String>,
    },
    /// Print a new checkpoint signing key (keep it secret) and its verifier key (publish it).
    GenerateKey {
        /// The log's origin, which names the key: for example "audit.credit.example.com".
        #[arg(long)]
        origin: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve { server, audit } => {
            credit_platform::runtime::run_binary("credit-audit", &server, |listener, shutdown| {
                serve(*audit, Arc::new(SystemClock), listener, shutdown)
            })
            .await
        }
        Command::Migrate { database } => {
            let _telemetry = credit_platform::telemetry::init("credit-audit", LogFormat::Json)?;
            migrate(&database).await
        }
        Command::Verify {
            database,
            verifier_keys,
        } => {
            let trusted = TrustedKeys::new(verifier_keys.iter().map(String::as_str))?;
            let origin = verifier_keys[0].split('+').next().unwrap_or_default();
            let db = Db::connect(&database).await?;
            let report = credit_audit::app::verify::verify(&db, &trusted, origin).await?;
            println!(
                "{} entries and {} checkpoints checked; newest checkpoint covers {} entries",
                report.entries_checked, report.checkpoints_checked, report.tree_size
            );
            if report.intact {
                println!("intact");
                Ok(())
            } else {
                println!("TAMPERED: {}", report.problem);
                if let Some(index) = report.first_bad_index {
                    println!("first bad index: {index}");
                }
                std::process::exit(1);
            }
        }
        Command::GenerateKey { origin } => {
            let (signing, verifier) = generate_key(&origin);
            println!("signing key (AUDIT_SIGNING_KEY, secret):\n{signing}");
            println!("verifier key (publish):\n{verifier}");
            Ok(())
        }
    }
}
