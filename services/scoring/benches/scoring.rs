//! `scoring-bench`: the scoring service in process on SQLite or PostgreSQL — ScoreCustomer's
//! latency against GetModel (no database, same path: gRPC, auth, telemetry) measured in the same
//! run, and portfolio re-scoring throughput (customers/s).
use clap::Parser;
use credit_platform::auth::{AuthConfig, BearerToken, mint_hs256_token, roles};
use credit_platform::clock::SystemClock;
use credit_platform::server::Shutdown;
use credit_platform::testing::TestDatabase;
use credit_platform::testing::load::{ms, timed};
use credit_proto::scoring as pb;
use credit_proto::scoring::scoring_service_client::ScoringServiceClient;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Scoring benchmark.
#[derive(Parser, Debug)]
#[command(name = "scoring-bench", version, about)]
struct Args {
    /// Customers in the portfolio.
    #[arg(long, default_value_t = 2000)]
    customers: usize,
    /// Scores (and GetModel calls) to time.
    #[arg(long, default_value_t = 2000)]
    calls: usize,
    /// Concurrent callers.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Use a fresh database in this PostgreSQL server instead of SQLite.
    #[arg(long)]
    postgres_admin_url: Option<String>,
}

type Client = ScoringServiceClient<InterceptedService<Channel, BearerToken>>;

const SECRET: &str = "scoring-bench-secret-0123456789abcdef012345";

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn statement(i: usize) -> pb::FinancialStatement {
    // Companies of different strength, so scores spread over the classes.
    let equity = 400_000 + (i % 17) * 90_000;
    let liabilities = 2_000_000 - equity;
    pb::FinancialStatement {
        period_end: credit_proto::google::r#type::Date::read("2025-12-31"),
        currency_code: "EUR".into(),
        revenue: format!("{}", 3_000_000 + (i % 11) * 250_000),
        ebit: format!("{}", 40_000 + (i % 13) * 25_000),
        net_income: format!("{}", 20_000 + (i % 13) * 15_000),
        interest_expense: "30000".into(),
        total_assets: "2000000".into(),
        current_assets: format!("{}", 700_000 + (i % 7) * 80_000),
        cash: "150000".into(),
        inventory: "250000".into(),
        receivables: "280000".into(),
        intangible_assets: "50000".into(),
        total_liabilities: format!("{liabilities}"),
        current_liabilities: "600000".into(),
        retained_earnings: format!("{}", (i % 9) * 60_000),
        equity: format!("{equity}"),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench` to a bench without the test harness.
    let args = Args::parse_from(std::env::args().filter(|a| a != "--bench"));
    let database = TestDatabase::create_on(args.postgres_admin_url.as_deref()).await?;
    let backend = if database.is_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shutdown = Shutdown::new();
    tokio::spawn(credit_scoring::serve(
        credit_scoring::ScoringConfig::new(database.config.clone(), AuthConfig::hs256(SECRET)),
        Arc::new(SystemClock),
        listener,
        shutdown.clone(),
    ));
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .tcp_nodelay(true)
        .connect_lazy();
    let token = mint_hs256_token(
        SECRET,
        "bench",
        &[roles::MANAGER],
        Duration::from_secs(3600),
    )?;
    let client: Client = ScoringServiceClient::with_interceptor(channel, BearerToken(Some(token)));
    for attempt in 0.. {
        if client
            .clone()
            .get_model(pb::GetModelRequest {})
            .await
            .is_ok()
        {
            break;
        }
        anyhow::ensure!(attempt < 200, "the scoring service did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    eprintln!("{backend}: onboarding {} customers", args.customers);
    let (_, onboarding) = timed(
        args.customers,
        args.concurrency,
        &client,
        |mut c, i| async move {
            let customer = format!("C{i:06}");
            c.put_financial_statement(pb::PutFinancialStatementRequest {
                customer_id: customer.clone(),
                statement: Some(statement(i)),
                request_id: rid(),
            })
            .await?;
            c.put_bureau_report(pb::PutBureauReportRequest {
                customer_id: customer,
                report: Some(pb::BureauReport {
                    provider: "bench".into(),
                    years_in_business: format!("{}", 2 + i % 40),
                    employees: format!("{}", 5 + i % 300),
                    industry: ["C", "F", "G", "H", "I", "J", "M"][i % 7].into(),
                    failure_score: format!("{}", 10 + i % 90),
                    payment_index: format!("{}", 50 + i % 40),
                    ..Default::default()
                }),
                request_id: rid(),
            })
            .await?;
            Ok(())
        },
    )
    .await?;

    eprintln!(
        "timing GetModel and ScoreCustomer, {} calls each, {} callers",
        args.calls, args.concurrency
    );
    let customers = args.customers;
    let (baseline, baseline_time) = timed(
        args.calls,
        args.concurrency,
        &client,
        |mut c, _| async move {
            c.get_model(pb::GetModelRequest {}).await?;
            Ok(())
        },
    )
    .await?;
    let (scores, score_time) = timed(
        args.calls,
        args.concurrency,
        &client,
        move |mut c, i| async move {
            c.score_customer(pb::ScoreCustomerRequest {
                customer_id: format!("C{:06}", i % customers),
                requested_amount: None,
                request_id: rid(),
            })
            .await?;
            Ok(())
        },
    )
    .await?;

    eprintln!("re-scoring the portfolio");
    let started = Instant::now();
    let mut stream = client
        .clone()
        .rescore_portfolio(pb::RescorePortfolioRequest {
            reason: "bench".into(),
            progress_every: 1000,
        })
        .await?
        .into_inner();
    let mut last = pb::RescorePortfolioResponse::default();
    while let Some(p) = stream.message().await? {
        last = p;
    }
    let batch = started.elapsed();
    anyhow::ensure!(
        last.done && last.scored as usize == args.customers,
        "batch incomplete: {last:?}"
    );

    println!(
        "\nscoring, {backend}, {} customers, {} callers\n",
        args.customers, args.concurrency
    );
    println!("| measure | result |");
    println!("|---|---:|");
    println!(
        "| GetModel (no database), p50 / p99 (ms) | {:.2} / {:.2} |",
        ms(&baseline, 0.5),
        ms(&baseline, 0.99)
    );
    println!(
        "| GetModel throughput (/s) | {:.0} |",
        args.calls as f64 / baseline_time.as_secs_f64()
    );
    println!(
        "| ScoreCustomer, p50 / p99 (ms) | {:.2} / {:.2} |",
        ms(&scores, 0.5),
        ms(&scores, 0.99)
    );
    println!(
        "| ScoreCustomer throughput (/s) | {:.0} |",
        args.calls as f64 / score_time.as_secs_f64()
    );
    println!(
        "| ScoreCustomer ÷ GetModel, p50 | {:.1}× |",
        ms(&scores, 0.5) / ms(&baseline, 0.5).max(f64::MIN_POSITIVE)
    );
    println!(
        "| portfolio re-scoring (customers/s) | {:.0} |",
        args.customers as f64 / batch.as_secs_f64()
    );
    println!(
        "| onboarding: statement + bureau report per customer (customers/s) | {:.0} |",
        args.customers as f64 / onboarding.as_secs_f64()
    );
    shutdown.trigger();
    Ok(())
}
