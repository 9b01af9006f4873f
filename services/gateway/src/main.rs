//! `credit-gateway`: the suite's entry point in production.
use clap::{Parser, Subcommand};
use credit_platform::server::ServerConfig;

/// The credit suite's gRPC gateway.
#[derive(Parser)]
#[command(name = "credit-gateway", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    server: ServerConfig,
    #[command(flatten)]
    gateway: credit_gateway::GatewayConfig,
}

/// The same command line as every service's binary (`serve`, the default), so one Deployment
/// template runs them all.
#[derive(Subcommand)]
enum Command {
    /// Route the suite's gRPC calls (the default).
    Serve,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            credit_platform::runtime::run_binary(
                "credit-gateway",
                &cli.server,
                |listener, shutdown| credit_gateway::serve(cli.gateway, listener, shutdown),
            )
            .await
        }
    }
}
