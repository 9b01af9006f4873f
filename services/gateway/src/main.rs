//! `credit-gateway`: the suite's entry point in production.
use clap::Parser;
use credit_platform::server::{ServerConfig, Shutdown};

/// The credit suite's gRPC gateway.
#[derive(Parser)]
#[command(name = "credit-gateway", version, about)]
struct Cli {
    #[command(flatten)]
    server: ServerConfig,
    #[command(flatten)]
    gateway: credit_gateway::GatewayConfig,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = credit_platform::telemetry::init("credit-gateway", cli.server.log_format)?;
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals();
    let listener = tokio::net::TcpListener::bind(cli.server.listen_addr).await?;
    let admin = tokio::net::TcpListener::bind(cli.server.admin_addr).await?;
    tracing::info!(grpc = %listener.local_addr()?, admin = %admin.local_addr()?, "credit-gateway starting");
    tokio::spawn(credit_platform::admin::serve_admin(admin, shutdown.wait()));
    credit_gateway::serve(cli.gateway, listener, shutdown).await
}
