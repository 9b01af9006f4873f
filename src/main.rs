//! `credit-suite`: the whole suite in one process on embedded SQLite.
use clap::{Parser, Subcommand};
use credit_platform::server::Shutdown;
use credit_platform::telemetry::LogFormat;
use credit_suite::SuiteConfig;
use std::time::Duration;

/// Runs every credit-suite service and the gateway in one process on SQLite files.
#[derive(Parser)]
#[command(name = "credit-suite", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    suite: SuiteConfig,
    /// Log format: text (default here) or json.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
}

#[derive(Subcommand)]
enum Command {
    /// Run the suite (the default).
    Run,
    /// Print a token signed with the suite's key.
    Token {
        /// Subject of the token.
        #[arg(long, default_value = "developer")]
        subject: String,
        /// Roles, comma-separated (credit.viewer, credit.sales_order, credit.analyst,
        /// credit.manager, credit.admin).
        #[arg(long, value_delimiter = ',', default_value = "credit.admin")]
        roles: Vec<String>,
        /// Validity in hours.
        #[arg(long, default_value_t = 24)]
        hours: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Run) {
        Command::Token {
            subject,
            roles,
            hours,
        } => {
            std::fs::create_dir_all(&cli.suite.data_dir)?;
            let secret = credit_suite::load_or_create_secret(&cli.suite.data_dir)?;
            let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
            let token = credit_platform::auth::mint_hs256_token(
                &secret,
                &subject,
                &roles,
                Duration::from_secs(hours * 3600),
            )?;
            println!("{token}");
        }
        Command::Run => {
            let _telemetry = credit_platform::telemetry::init("credit-suite", cli.log_format)?;
            let shutdown = Shutdown::new();
            shutdown.trigger_on_signals();
            let suite = credit_suite::start(cli.suite.clone(), shutdown).await?;
            println!();
            println!(
                "credit suite running (data in {})",
                cli.suite.data_dir.display()
            );
            match &suite.tls {
                Some(tls) => {
                    println!(
                        "  gateway  https://localhost:{} (TLS; services over mutual TLS)",
                        suite.gateway_addr.port()
                    );
                    println!("  CA       {}", tls.ca.display());
                }
                None => println!("  gateway  {}", suite.gateway_addr),
            }
            println!("  metrics  http://{}/metrics", suite.admin_addr);
            println!(
                "  audit    checkpoints signed by {}",
                suite.audit_verifier_key
            );
            println!(
                "  token    (admin, 30 days, also in {}/token)",
                cli.suite.data_dir.display()
            );
            println!();
            println!("{}", suite.token);
            println!();
            let gateway = match &suite.tls {
                Some(_) => format!(" --gateway https://localhost:{}", suite.gateway_addr.port()),
                None => String::new(),
            };
            println!(
                "try:  cargo run -p creditctl --{gateway} account create ACME --name \"Acme GmbH\" --currency EUR"
            );
            println!("Ctrl-C stops the suite.");
            suite.stopped.await??;
        }
    }
    Ok(())
}
