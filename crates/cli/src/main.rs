//! `creditctl`: the credit suite from the command line, through the gateway.
mod applications;
mod audit;
mod cases;
mod collections;
mod events;
mod health;
mod limits;
mod output;
mod scenario;
mod scoring;

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;
use tonic::transport::Channel;
use tonic_types::StatusExt;

/// Command-line client of the credit suite.
#[derive(Parser)]
#[command(name = "creditctl", version, about)]
struct Cli {
    /// Gateway address.
    #[arg(
        long,
        global = true,
        env = "CREDITCTL_GATEWAY",
        default_value = "http://127.0.0.1:50051"
    )]
    gateway: String,
    /// Bearer token; defaults to the token the development suite wrote to DATA_DIR/token.
    #[arg(long, global = true, env = "CREDITCTL_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The development suite's data directory (for its token and signing key).
    #[arg(
        long,
        global = true,
        env = "CREDIT_SUITE_DATA_DIR",
        default_value = "./data"
    )]
    data_dir: PathBuf,
    /// CA certificate (PEM) an https:// gateway's certificate must chain to; defaults to the
    /// development suite's DATA_DIR/tls/ca.crt (`credit-suite --tls`).
    #[arg(long, global = true, env = "CREDITCTL_CA_FILE")]
    ca_file: Option<PathBuf>,
    /// Client certificate (PEM) to present, for servers that demand mutual TLS (a service
    /// asked directly); needs --key-file.
    #[arg(
        long,
        global = true,
        env = "CREDITCTL_CERT_FILE",
        requires = "key_file"
    )]
    cert_file: Option<PathBuf>,
    /// Private key (PEM) of --cert-file.
    #[arg(
        long,
        global = true,
        env = "CREDITCTL_KEY_FILE",
        requires = "cert_file"
    )]
    key_file: Option<PathBuf>,
    /// Print answers as protobuf JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a token signed with the development suite's key.
    Token {
        /// Subject.
        #[arg(long, default_value = "developer")]
        subject: String,
        /// Roles, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "credit.admin")]
        roles: Vec<String>,
        /// Validity in hours.
        #[arg(long, default_value_t = 24)]
        hours: u64,
        /// Limit the token to these regions' customers (comma-separated; unset: every region).
        #[arg(long, value_delimiter = ',')]
        regions: Option<Vec<String>>,
        /// Limit the token to these business units' customers (comma-separated; unset: all).
        #[arg(long, value_delimiter = ',')]
        business_units: Option<Vec<String>>,
    },
    #[command(flatten)]
    Limits(limits::LimitsCommand),
    /// Scoring: record facts, score, history, policy, model, training.
    #[command(subcommand)]
    Scoring(scoring::ScoringCommand),
    /// Credit applications: apply, submit, approve or reject, the decision policy.
    #[command(subcommand)]
    Application(applications::ApplicationCommand),
    /// The receivables ledger: customers, CSV import, documents, statements, aging.
    #[command(subcommand)]
    Collections(collections::CollectionsCommand),
    /// Blocked orders referred to credit people: refer, release, reject, recheck.
    #[command(subcommand)]
    Case(cases::CaseCommand),
    /// The audit trail: history, checkpoints, proofs, verification, export.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// A server's gRPC health, as the Kubernetes probes ask it; exits non-zero unless SERVING
    /// (point --gateway at a service's own address to ask it directly).
    Health {
        /// The service name ("credit.limits.v1.LimitsService"); empty for the server as a whole.
        #[arg(long, default_value = "")]
        service: String,
    },
    /// A service's event feed, read through the gateway.
    Events {
        /// Whose feed: limits, scoring, applications or collections.
        #[arg(long, default_value = "limits")]
        service: String,
        /// Start after this sequence.
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Keep following new events.
        #[arg(long)]
        follow: bool,
    },
}

fn token_from(cli: &Cli) -> Option<String> {
    cli.token.clone().or_else(|| {
        std::fs::read_to_string(cli.data_dir.join("token"))
            .ok()
            .map(|t| t.trim().to_string())
    })
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(error) = run(cli).await {
        match error.downcast_ref::<tonic::Status>() {
            Some(status) => {
                eprintln!("error: {:?}: {}", status.code(), status.message());
                if let Some(bad) = status.get_error_details().bad_request() {
                    for v in &bad.field_violations {
                        eprintln!("  {}: {}", v.field, v.description);
                    }
                }
                if let Some(info) = status.get_error_details().error_info() {
                    eprintln!("  reason: {}", info.reason);
                }
            }
            None => eprintln!("error: {error:#}"),
        }
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Token {
        subject,
        roles,
        hours,
        regions,
        business_units,
    } = &cli.command
    {
        let secret =
            std::fs::read_to_string(cli.data_dir.join("jwt-hs256.secret")).with_context(|| {
                format!(
                    "no suite key in {} (start the suite first, or pass --data-dir)",
                    cli.data_dir.display()
                )
            })?;
        let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
        println!(
            "{}",
            credit_client::mint_hs256_scoped_token(
                secret.trim(),
                subject,
                &roles,
                &credit_client::ScopeClaims {
                    regions: regions.clone(),
                    business_units: business_units.clone(),
                },
                Duration::from_secs(hours * 3600)
            )?
        );
        return Ok(());
    }
    let channel = gateway_channel(&cli)?;
    let json = cli.json;
    let token = token_from(&cli);
    let command = match cli.command {
        Command::Audit(command) => {
            return audit::run(command, channel, token, json, &cli.data_dir).await;
        }
        Command::Scoring(command) => return scoring::run(command, channel, token, json).await,
        Command::Application(command) => {
            return applications::run(command, channel, token, json).await;
        }
        Command::Case(command) => return cases::run(command, channel, token, json).await,
        Command::Collections(command) => {
            return collections::run(command, channel, token, json).await;
        }
        Command::Events {
            service,
            after,
            follow,
        } => return events::run(channel, token, service, after, follow, json).await,
        Command::Health { service } => return health::run(channel, service).await,
        other => other,
    };
    let Command::Limits(command) = command else {
        anyhow::bail!("every other command was run above");
    };
    limits::run(command, channel, token, json).await
}

/// The channel to `--gateway`: over TLS for an https:// address, trusting `--ca-file` (or the
/// development suite's CA) and presenting `--cert-file` when given.
fn gateway_channel(cli: &Cli) -> anyhow::Result<Channel> {
    let mut endpoint = Channel::from_shared(cli.gateway.clone())
        .with_context(|| format!("--gateway '{}' is not a URL", cli.gateway))?
        .connect_timeout(Duration::from_secs(3));
    if let Some(host) = cli.gateway.strip_prefix("https://") {
        let host = host.split([':', '/']).next().unwrap_or("localhost");
        let ca_file = cli
            .ca_file
            .clone()
            .unwrap_or_else(|| cli.data_dir.join("tls").join("ca.crt"));
        let ca = std::fs::read(&ca_file).with_context(|| {
            format!(
                "an https:// gateway needs the CA its certificate chains to: --ca-file ({} \
                 cannot be read)",
                ca_file.display()
            )
        })?;
        let mut tls = tonic::transport::ClientTlsConfig::new()
            .domain_name(host)
            .ca_certificate(tonic::transport::Certificate::from_pem(ca));
        if let (Some(cert), Some(key)) = (&cli.cert_file, &cli.key_file) {
            let read = |path: &PathBuf| {
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))
            };
            tls = tls.identity(tonic::transport::Identity::from_pem(
                read(cert)?,
                read(key)?,
            ));
        }
        endpoint = endpoint.tls_config(tls)?;
    }
    Ok(endpoint.connect_lazy())
}
