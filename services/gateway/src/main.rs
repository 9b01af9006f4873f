//! `credit-gateway`: the suite's entry point in production.
use clap::Parser;
use credit_platform::server::ServerConfig;

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
    credit_platform::runtime::run_binary("credit-gateway", &cli.server, |listener, shutdown| {
        credit_gateway::serve(cli.gateway, listener, shutdown)
    })
    .await
}
