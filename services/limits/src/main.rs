//! `credit-limits`: the limits service binary (PostgreSQL in production via DATABASE_URL).
use clap::{Parser, Subcommand};
use credit_platform::clock::SystemClock;
use credit_platform::server::ServerConfig;
use std::sync::Arc;

/// Credit limits, exposure and the real-time credit check.
#[derive(Parser)]
#[command(name = "credit-limits", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    server: ServerConfig,
    #[command(flatten)]
    limits: credit_limits::LimitsConfig,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the gRPC API (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            let _telemetry =
                credit_platform::telemetry::init("credit-limits", cli.server.log_format)?;
            credit_limits::migrate(&cli.limits.database).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Serve => {
            credit_platform::runtime::run_binary(
                "credit-limits",
                &cli.server,
                |listener, shutdown| {
                    credit_limits::serve(cli.limits, Arc::new(SystemClock), listener, shutdown)
                },
            )
            .await
        }
    }
}
