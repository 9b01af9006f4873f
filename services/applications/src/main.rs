//! `credit-applications`: the applications service.
use clap::{Parser, Subcommand};

/// The applications service of the credit suite.
#[derive(Parser)]
#[command(name = "credit-applications", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the applications API.
    Serve {
        #[command(flatten)]
        server: credit_platform::server::ServerConfig,
        #[command(flatten)]
        applications: Box<credit_applications::ApplicationsConfig>,
    },
    /// Apply the database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: credit_platform::db::DatabaseConfig,
    },
    /// Print a new encryption key for APPLICATIONS_ENCRYPTION_KEY.
    GenerateKey,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve {
            server,
            applications,
        } => {
            credit_platform::runtime::run_binary(
                "credit-applications",
                &server,
                |listener, shutdown| {
                    credit_applications::serve(
                        *applications,
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
                "credit-applications",
                credit_platform::telemetry::LogFormat::Json,
            )?;
            credit_applications::migrate(&database).await?;
        }
        Command::GenerateKey => println!("{}", credit_applications::sealing::generate_key()),
    }
    Ok(())
}
