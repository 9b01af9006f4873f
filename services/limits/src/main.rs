//! `credit-limits`: the limits service binary (PostgreSQL in production via DATABASE_URL).
use clap::{Parser, Subcommand};
use credit_platform::clock::SystemClock;
use credit_platform::server::{ServerConfig, Shutdown};
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
    let _telemetry = credit_platform::telemetry::init("credit-limits", cli.server.log_format)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            credit_limits::migrate(&cli.limits.database).await?;
            tracing::info!("migrations applied");
        }
        Command::Serve => {
            let shutdown = Shutdown::new();
            shutdown.trigger_on_signals();
            let listener = tokio::net::TcpListener::bind(cli.server.listen_addr).await?;
            let admin = tokio::net::TcpListener::bind(cli.server.admin_addr).await?;
            tracing::info!(grpc = %listener.local_addr()?, admin = %admin.local_addr()?, "credit-limits starting");
            tokio::spawn(credit_platform::admin::serve_admin(admin, shutdown.wait()));
            credit_limits::serve(cli.limits, Arc::new(SystemClock), listener, shutdown).await?;
        }
    }
    Ok(())
}
