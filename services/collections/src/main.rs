//! `credit-collections`: the collections service.
use clap::{Parser, Subcommand};

/// The collections service of the credit suite.
#[derive(Parser)]
#[command(name = "credit-collections", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the collections API.
    Serve {
        #[command(flatten)]
        server: credit_platform::server::ServerConfig,
        #[command(flatten)]
        collections: Box<credit_collections::CollectionsConfig>,
    },
    /// Apply the database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: credit_platform::db::DatabaseConfig,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve {
            server,
            collections,
        } => {
            credit_platform::runtime::run_binary(
                "credit-collections",
                &server,
                |listener, shutdown| {
                    credit_collections::serve(
                        *collections,
                        std::sync::Arc::new(credit_platform::clock::SystemClock),
                        listener,
                        shutdown,
                    )
                },
            )
            .await?;
        }
        Command::Migrate { database } => {
            let _telemetry = credit_platform::telemetry::init(
                "credit-collections",
                credit_platform::telemetry::LogFormat::Json,
            )?;
            credit_collections::migrate(&database).await?;
        }
    }
    Ok(())
}
