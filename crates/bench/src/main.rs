//! `credit-bench`: drives CheckCredit through the gateway at a chosen concurrency over a number of
//! accounts (one of them hot), and in the same run a no-op RPC on the same path (gateway, auth,
//! telemetry, limits server), so the check's own cost can be read as a ratio to the transport's;
//! on PostgreSQL also `pgbench` baselines against the same server, so it reads as a ratio to
//! what the database does with a transaction shaped like one check.
mod pgbench;

use clap::Parser;
use credit_platform::auth::BearerToken;
use credit_platform::secret::ExposeSecret;
use credit_platform::server::Shutdown;
use credit_platform::testing::TestDatabase;
use credit_proto::limits as pb;
use credit_proto::limits::diagnostics_service_client::DiagnosticsServiceClient;
use credit_proto::limits::limits_service_client::LimitsServiceClient;
use credit_proto::types::Money;
use hdrhistogram::Histogram;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Load generator for the credit check.
#[derive(Parser, Debug, Clone)]
#[command(name = "credit-bench", version, about)]
struct Args {
    /// Target an already running gateway instead of starting an embedded suite.
    #[arg(long)]
    gateway: Option<String>,
    /// Token for --gateway (an admin token; the embedded suite makes its own).
    #[arg(long, env = "CREDITCTL_TOKEN")]
    token: Option<String>,
    /// Token that sets the accounts' limits with --gateway: role credit.service.applications,
    /// the only one limits takes limit changes from (a development suite's:
    /// `creditctl token --subject service:bench --roles credit.service.applications`).
    #[arg(long, env = "CREDIT_BENCH_LIMIT_TOKEN", requires = "gateway")]
    limit_token: Option<String>,
    /// Embedded suite on PostgreSQL: a fresh database is created in this server and dropped after.
    #[arg(long)]
    postgres_admin_url: Option<String>,
    /// Concurrent callers.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds measured per RPC.
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Seconds of warm-up per RPC, not measured.
    #[arg(long, default_value_t = 2)]
    warmup_secs: u64,
    /// Accounts the checks spread over.
    #[arg(long, default_value_t = 200)]
    accounts: usize,
    /// Share of checks that go to one hot account (0 to 1).
    #[arg(long, default_value_t = 0.2)]
    hot_share: f64,
    /// HTTP/2 connections the callers share.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// The embedded suite in production transport (`credit-suite --tls`): the gateway over TLS,
    /// every hop behind it over mutual TLS.
    #[arg(long, conflicts_with = "gateway")]
    tls: bool,
    /// CA certificate (PEM) of an https:// --gateway.
    #[arg(long, requires = "gateway")]
    ca_file: Option<std::path::PathBuf>,
    /// Share of the spread accounts (0 to 1) opened without credit, whose checks are rejected:
    /// the latency of both outcomes is reported.
    #[arg(long, default_value_t = 0.0)]
    rejected_share: f64,
    /// With --gateway: a PostgreSQL admin URL (the server the limits database is on) where the
    /// pgbench baselines run on a scratch database. The embedded suite on PostgreSQL runs them
    /// on --postgres-admin-url.
    #[arg(long, requires = "gateway")]
    pgbench_admin_url: Option<String>,
    /// Skip the pgbench baselines.
    #[arg(long)]
    no_pgbench: bool,
    /// Most checks limits decides in one transaction in the embedded suite
    /// (LIMITS_CHECK_BATCH); 1 is one commit per check.
    #[arg(long, default_value_t = 128, conflicts_with = "gateway")]
    check_batch: u16,
}

type Limits = LimitsServiceClient<InterceptedService<Channel, BearerToken>>;
type Diagnostics = DiagnosticsServiceClient<InterceptedService<Channel, BearerToken>>;

struct Report {
    name: &'static str,
    calls: u64,
    errors: u64,
    approved: u64,
    elapsed: Duration,
    latency: Histogram<u64>,
    /// By outcome: approved, rejected (checks only).
    by_outcome: [Histogram<u64>; 2],
}

fn histogram() -> Histogram<u64> {
    Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds")
}

fn ms_of(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    histogram.value_at_quantile(quantile) as f64 / 1000.0
}

impl Report {
    fn throughput(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64()
    }
    fn ms(&self, quantile: f64) -> f64 {
        ms_of(&self.latency, quantile)
    }
}

/// Whether the spread account `index` (from 1) is one opened without credit.
fn without_credit(index: usize, rejected_share: f64) -> bool {
    rejected_share > 0.0 && (index as f64 * rejected_share).fract() + rejected_share >= 1.0
}

fn eur(amount: &str) -> Option<Money> {
    Some(Money {
        amount: amount.into(),
        currency_code: "EUR".into(),
    })
}

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Opens the accounts with `client` and sets their limits with `limit_setter`, a token of the
/// applications service's identity (nobody else sets a limit), naming the benchmark as approver.
async fn setup_accounts(
    client: &mut Limits,
    limit_setter: &mut Limits,
    accounts: usize,
    rejected_share: f64,
) -> anyhow::Result<()> {
    for i in 0..=accounts {
        let id = if i == 0 {
            "HOT".to_string()
        } else {
            format!("ACC-{i:05}")
        };
        client
            .create_credit_account(pb::CreateCreditAccountRequest {
                credit_account: Some(pb::CreditAccount {
                    customer_id: id.clone(),
                    name: format!("{id} Ltd"),
                    currency_code: "EUR".into(),
                    segment: "BENCH".into(),
                    ..Default::default()
                }),
                request_id: rid(),
            })
            .await?;
        limit_setter
            .set_credit_limit(pb::SetCreditLimitRequest {
                customer_id: id,
                credit_limit: Some(pb::CreditLimit {
                    mode: pb::LimitMode::Amount as i32,
                    amount: eur(if i > 0 && without_credit(i, rejected_share) {
                        "0"
                    } else {
                        "1000000000"
                    }),
                    ..Default::default()
                }),
                reason: "benchmark".into(),
                request_id: rid(),
                approved_by: vec!["credit-bench".into()],
                approval_reference: "credit-bench".into(),
            })
            .await?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Rpc {
    Ping,
    /// Checks, this share of them on the hot account.
    Check {
        hot_share: f64,
    },
}

async fn run_phase(
    name: &'static str,
    rpc: Rpc,
    channels: &[Channel],
    token: &str,
    args: &Args,
) -> anyhow::Result<Report> {
    let counter = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    let warmup_end = Instant::now() + Duration::from_secs(args.warmup_secs);
    let end = warmup_end + Duration::from_secs(args.duration_secs);
    for worker in 0..args.concurrency {
        let channel = channels[worker % channels.len()].clone();
        let mut limits: Limits = LimitsServiceClient::with_interceptor(
            channel.clone(),
            BearerToken(Some(token.to_string())),
        );
        let mut diagnostics: Diagnostics = DiagnosticsServiceClient::with_interceptor(
            channel,
            BearerToken(Some(token.to_string())),
        );
        let counter = Arc::clone(&counter);
        let accounts = args.accounts;
        workers.push(tokio::spawn(async move {
            let mut latency = histogram();
            let mut by_outcome = [histogram(), histogram()];
            let (mut calls, mut errors, mut approved) = (0u64, 0u64, 0u64);
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let started = Instant::now();
                let result = match rpc {
                    Rpc::Ping => diagnostics.ping(pb::PingRequest {}).await.map(|_| false),
                    Rpc::Check { hot_share } => {
                        // Deterministic spread: every 1/hot_share-th call goes to the hot account.
                        let hot =
                            hot_share > 0.0 && (n as f64 * hot_share).fract() + hot_share >= 1.0;
                        let customer = if hot {
                            "HOT".to_string()
                        } else {
                            format!("ACC-{:05}", 1 + (n as usize % accounts.max(1)))
                        };
                        limits
                            .check_credit(pb::CheckCreditRequest {
                                customer_id: customer,
                                order_id: format!("SO-{worker}-{n}"),
                                amount: eur("1.00"),
                                request_id: rid(),
                                ..Default::default()
                            })
                            .await
                            .map(|r| r.into_inner().outcome == pb::CheckOutcome::Approved as i32)
                    }
                };
                let elapsed = started.elapsed();
                if now < warmup_end {
                    continue;
                }
                calls += 1;
                match result {
                    Ok(ok) => {
                        approved += u64::from(ok);
                        let micros = elapsed.as_micros() as u64;
                        latency.saturating_record(micros);
                        if matches!(rpc, Rpc::Check { .. }) {
                            by_outcome[usize::from(!ok)].saturating_record(micros);
                        }
                    }
                    Err(_) => errors += 1,
                }
            }
            (calls, errors, approved, latency, by_outcome)
        }));
    }
    let mut report = Report {
        name,
        calls: 0,
        errors: 0,
        approved: 0,
        elapsed: Duration::from_secs(args.duration_secs),
        latency: histogram(),
        by_outcome: [histogram(), histogram()],
    };
    for worker in workers {
        let (calls, errors, approved, latency, by_outcome) = worker.await?;
        report.calls += calls;
        report.errors += errors;
        report.approved += approved;
        report.latency.add(latency)?;
        for (total, part) in report.by_outcome.iter_mut().zip(by_outcome) {
            total.add(part)?;
        }
    }
    Ok(report)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let shutdown = Shutdown::new();
    let _data = tempfile::tempdir()?;
    let mut _databases = Vec::new();
    let (gateway, token, limit_token, backend, ca) = match &args.gateway {
        Some(url) => {
            let token = args
                .token
                .clone()
                .ok_or_else(|| anyhow::anyhow!("--gateway needs --token"))?;
            let limit_token = args
                .limit_token
                .clone()
                .ok_or_else(|| anyhow::anyhow!("--gateway needs --limit-token"))?;
            let ca = args.ca_file.as_ref().map(std::fs::read).transpose()?;
            (url.clone(), token, limit_token, "external".to_string(), ca)
        }
        None => {
            let database = TestDatabase::create_on(args.postgres_admin_url.as_deref()).await?;
            let audit_database =
                TestDatabase::create_on(args.postgres_admin_url.as_deref()).await?;
            let backend = if database.is_postgres() {
                "PostgreSQL"
            } else {
                "SQLite"
            }
            .to_string();
            let config = credit_suite::SuiteConfig {
                limits_database_url: Some(database.config.database_url.clone()),
                audit_database_url: Some(audit_database.config.database_url.clone()),
                tls: args.tls,
                limits_check_batch: args.check_batch,
                ..credit_suite::SuiteConfig::ephemeral(_data.path())
            };
            let suite = credit_suite::start(config, shutdown.clone()).await?;
            _databases = vec![database, audit_database];
            let ca = suite
                .tls
                .as_ref()
                .map(|tls| std::fs::read(&tls.ca))
                .transpose()?;
            let limit_token = credit_platform::auth::mint_hs256_token(
                &suite.secret,
                "service:applications",
                &[credit_platform::auth::roles::APPLICATIONS_SERVICE],
                Duration::from_secs(3600),
            )?;
            (suite.gateway_url(), suite.token, limit_token, backend, ca)
        }
    };
    let mut channels = Vec::new();
    for _ in 0..args.connections.max(1) {
        let mut endpoint = Channel::from_shared(gateway.clone())?.tcp_nodelay(true);
        if let Some(ca) = &ca {
            let host = gateway
                .trim_start_matches("https://")
                .split([':', '/'])
                .next()
                .unwrap_or("localhost");
            endpoint = endpoint.tls_config(
                tonic::transport::ClientTlsConfig::new()
                    .domain_name(host)
                    .ca_certificate(tonic::transport::Certificate::from_pem(ca)),
            )?;
        }
        channels.push(endpoint.connect().await?);
    }
    let mut setup: Limits = LimitsServiceClient::with_interceptor(
        channels[0].clone(),
        BearerToken(Some(token.to_string())),
    );
    // Wait until the gateway reports the suite SERVING (migrations done, upstreams healthy).
    let mut health = tonic_health::pb::health_client::HealthClient::new(channels[0].clone());
    for attempt in 0.. {
        let status = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map(|r| r.into_inner().status);
        match status {
            Ok(1) => break,
            _ if attempt < 300 => tokio::time::sleep(Duration::from_millis(100)).await,
            other => anyhow::bail!("the suite did not become ready: {other:?}"),
        }
    }
    eprintln!(
        "setting up {} accounts + 1 hot account ({backend})",
        args.accounts
    );
    let mut limit_setter: Limits =
        LimitsServiceClient::with_interceptor(channels[0].clone(), BearerToken(Some(limit_token)));
    setup_accounts(
        &mut setup,
        &mut limit_setter,
        args.accounts,
        args.rejected_share,
    )
    .await?;
    eprintln!(
        "measuring Ping, then CheckCredit (mixed, all on one customer, spread): {} callers, {} s each",
        args.concurrency, args.duration_secs
    );
    let ping = run_phase("Ping (no-op)", Rpc::Ping, &channels, &token, &args).await?;
    let audit_start = (Instant::now(), audit_position(&channels[0], &token).await?);
    let mixed = Rpc::Check {
        hot_share: args.hot_share,
    };
    let check = run_phase("CheckCredit", mixed, &channels, &token, &args).await?;
    let audit_end = (Instant::now(), audit_position(&channels[0], &token).await?);
    // Audit follows the feed asynchronously: wait until it stops moving, then it has caught up.
    let mut caught_up = audit_end;
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let position = audit_position(&channels[0], &token).await?;
        if position != caught_up.1 {
            caught_up = (Instant::now(), position);
        } else if caught_up.0.elapsed() > Duration::from_millis(1000) {
            break;
        }
    }

    let one = Rpc::Check { hot_share: 1.0 };
    let hot = run_phase("CheckCredit, one customer", one, &channels, &token, &args).await?;
    let spread = Rpc::Check { hot_share: 0.0 };
    let spread = run_phase("CheckCredit, spread", spread, &channels, &token, &args).await?;
    // pgbench against the same PostgreSQL server, on a scratch database of its own.
    let pgbench_admin = match (&args.gateway, backend.as_str()) {
        (Some(_), _) => args.pgbench_admin_url.clone(),
        (None, "PostgreSQL") => args.postgres_admin_url.clone(),
        _ => None,
    }
    .filter(|_| !args.no_pgbench);
    let baselines = match pgbench_admin {
        Some(admin) => {
            eprintln!("measuring the pgbench baselines");
            let scratch = TestDatabase::create_on(Some(&admin)).await?;
            let url = scratch.config.database_url.expose_secret().to_string();
            let (clients, duration, rows) = (
                args.concurrency,
                Duration::from_secs(args.duration_secs),
                args.accounts,
            );
            tokio::task::spawn_blocking(move || pgbench::baselines(&url, clients, duration, rows))
                .await??
        }
        None => Vec::new(),
    };

    println!(
        "\nbackend {backend}, {}, concurrency {}, {} accounts + hot account ({:.0} % of checks), {} s measured per RPC, {} connections, check batch {}\n",
        if gateway.starts_with("https://") {
            "TLS (services over mutual TLS)"
        } else {
            "plaintext"
        },
        args.concurrency,
        args.accounts,
        args.hot_share * 100.0,
        args.duration_secs,
        args.connections,
        if args.gateway.is_some() {
            "as the server is set".to_string()
        } else {
            args.check_batch.to_string()
        }
    );
    println!("| RPC | calls | errors | throughput (/s) | p50 (ms) | p99 (ms) | p99.9 (ms) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in [&ping, &check, &hot, &spread] {
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} |",
            r.name,
            r.calls,
            r.errors,
            r.throughput(),
            r.ms(0.5),
            r.ms(0.99),
            r.ms(0.999)
        );
    }
    println!("\nCheckCredit latency by outcome (the three check phases together):\n");
    println!("| outcome | checks | p50 (ms) | p99 (ms) | p99.9 (ms) |");
    println!("|---|---:|---:|---:|---:|");
    for (i, outcome) in ["APPROVED", "REJECTED"].iter().enumerate() {
        let mut all = histogram();
        for r in [&check, &hot, &spread] {
            all.add(&r.by_outcome[i])?;
        }
        if all.is_empty() {
            println!("| {outcome} | 0 | – | – | – |");
            continue;
        }
        println!(
            "| {outcome} | {} | {:.2} | {:.2} | {:.2} |",
            all.len(),
            ms_of(&all, 0.5),
            ms_of(&all, 0.99),
            ms_of(&all, 0.999)
        );
    }
    if !baselines.is_empty() {
        println!(
            "\n| database baseline (same server, {} clients) | TPS |",
            args.concurrency
        );
        println!("|---|---:|");
        for b in &baselines {
            println!("| {} | {:.0} |", b.name, b.tps);
        }
    }
    let ratio = |a: f64, b: f64| a / b.max(f64::MIN_POSITIVE);
    println!("\n| ratio | value |");
    println!("|---|---:|");
    println!(
        "| CheckCredit ÷ Ping throughput ({:.0} % on one customer) | {:.2} |",
        args.hot_share * 100.0,
        ratio(check.throughput(), ping.throughput())
    );
    println!(
        "| CheckCredit ÷ Ping throughput, every check on one customer | {:.2} |",
        ratio(hot.throughput(), ping.throughput())
    );
    println!(
        "| CheckCredit p50 ÷ Ping p50 | {:.1}× |",
        ratio(check.ms(0.5), ping.ms(0.5))
    );
    println!(
        "| CheckCredit p99 ÷ Ping p99 | {:.1}× |",
        ratio(check.ms(0.99), ping.ms(0.99))
    );
    if let [simple, one_row, per_customer] = baselines.as_slice() {
        println!(
            "| one-customer checks/s ÷ {} | {:.2} |",
            one_row.name,
            ratio(hot.throughput(), one_row.tps)
        );
        println!(
            "| spread checks/s ÷ {} | {:.2} |",
            simple.name,
            ratio(spread.throughput(), simple.tps)
        );
        println!(
            "| spread checks/s ÷ {} | {:.2} |",
            per_customer.name,
            ratio(spread.throughput(), per_customer.tps)
        );
    }
    println!(
        "\napproved {} of {} checks in the mixed phase",
        check.approved, check.calls
    );
    let phase = audit_end.0 - audit_start.0;
    println!(
        "\naudit under this load: recorded {} entries in {:.1} s = {:.0} entries/s while checks ran; \
         {} entries behind when the load stopped, caught up {:.0} ms later",
        audit_end.1 - audit_start.1,
        phase.as_secs_f64(),
        (audit_end.1 - audit_start.1) as f64 / phase.as_secs_f64(),
        caught_up.1 - audit_end.1,
        caught_up
            .0
            .saturating_duration_since(audit_end.0)
            .as_secs_f64()
            * 1000.0
    );
    shutdown.trigger();
    Ok(())
}

/// How far audit has recorded the limits feed (through the gateway).
async fn audit_position(channel: &Channel, token: &str) -> anyhow::Result<i64> {
    let mut audit = credit_proto::audit::audit_service_client::AuditServiceClient::with_interceptor(
        channel.clone(),
        BearerToken(Some(token.to_string())),
    );
    let sources = audit
        .list_audit_sources(credit_proto::audit::ListAuditSourcesRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await?
        .into_inner()
        .sources;
    Ok(sources
        .iter()
        .find(|s| s.source == "limits")
        .map_or(0, |s| s.last_sequence))
}
