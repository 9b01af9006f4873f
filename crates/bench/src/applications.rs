//! `applications-bench`: the whole suite in process (SQLite files, or PostgreSQL databases) —
//! SubmitApplication on the automatic path (scoring called over gRPC, policy applied, limit
//! queued) timed through the gateway against limits' no-op Ping on the same path in the same
//! run, and how soon every approved limit is in place in limits.
use clap::Parser;
use credit_platform::auth::{BearerToken, mint_hs256_token, roles};
use credit_platform::server::Shutdown;
use credit_platform::testing::TestDatabase;
use credit_platform::testing::load::{ms, timed};
use credit_proto::applications as pb;
use credit_proto::applications::applications_service_client::ApplicationsServiceClient;
use credit_proto::limits as lpb;
use credit_proto::limits::diagnostics_service_client::DiagnosticsServiceClient;
use credit_proto::scoring as spb;
use credit_proto::scoring::scoring_service_client::ScoringServiceClient;
use std::time::{Duration, Instant};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Applications benchmark.
#[derive(Parser, Debug)]
#[command(name = "applications-bench", version, about)]
struct Args {
    /// Applications to submit (each a new customer).
    #[arg(long, default_value_t = 500)]
    applications: usize,
    /// Concurrent callers.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Put every service on a fresh database in this PostgreSQL server instead of SQLite.
    #[arg(long)]
    postgres_admin_url: Option<String>,
}

type Authed = InterceptedService<Channel, BearerToken>;

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn customer(i: usize) -> String {
    format!("BENCH-{i:06}")
}

/// A sound company asking for little: the automatic path.
fn application(i: usize) -> pb::Application {
    let tax_id = format!("FR{:011}", 10_000_000_000u64 + i as u64);
    credit_applications::testing::sound_application(&customer(i), &tax_id, "20000")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let data = tempfile::tempdir()?;
    let mut databases = Vec::new();
    let mut urls = Vec::new();
    for _ in 0..4 {
        let db = TestDatabase::create_on(args.postgres_admin_url.as_deref()).await?;
        urls.push(db.is_postgres().then(|| db.config.database_url.clone()));
        databases.push(db);
    }
    let backend = if args.postgres_admin_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let shutdown = Shutdown::new();
    let suite = credit_suite::start(
        credit_suite::SuiteConfig {
            limits_database_url: urls[0].clone(),
            scoring_database_url: urls[1].clone(),
            audit_database_url: urls[2].clone(),
            applications_database_url: urls[3].clone(),
            ..credit_suite::SuiteConfig::ephemeral(data.path())
        },
        shutdown.clone(),
    )
    .await?;
    let channel = Channel::from_shared(format!("http://{}", suite.gateway_addr))?
        .tcp_nodelay(true)
        .connect_lazy();
    let token = |subject: &str, role: &str| -> anyhow::Result<BearerToken> {
        Ok(BearerToken(Some(mint_hs256_token(
            &suite.secret,
            subject,
            &[role],
            Duration::from_secs(3600),
        )?)))
    };
    let sales: ApplicationsServiceClient<Authed> = ApplicationsServiceClient::with_interceptor(
        channel.clone(),
        token("sales", roles::SALES_ORDER)?,
    );
    let scoring: ScoringServiceClient<Authed> =
        ScoringServiceClient::with_interceptor(channel.clone(), token("bureau", roles::ANALYST)?);
    let diagnostics: DiagnosticsServiceClient<Authed> =
        DiagnosticsServiceClient::with_interceptor(channel.clone(), token("bench", roles::VIEWER)?);
    // The gateway reports SERVING once every service behind it is.
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    for attempt in 0.. {
        let serving = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: String::new(),
            })
            .await
            .is_ok_and(|r| r.into_inner().status == 1);
        if serving {
            break;
        }
        anyhow::ensure!(attempt < 400, "the suite did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let n = args.applications;
    eprintln!("{backend}: {n} bureau reports and drafts");
    timed(n, args.concurrency, &scoring, |mut c, i| async move {
        c.put_bureau_report(spb::PutBureauReportRequest {
            customer_id: customer(i),
            report: Some(spb::BureauReport {
                provider: "bench".into(),
                years_in_business: "25".into(),
                employees: "120".into(),
                industry: "G".into(),
                failure_score: "90".into(),
                payment_index: "82".into(),
                ..Default::default()
            }),
            request_id: rid(),
        })
        .await?;
        Ok(())
    })
    .await?;
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let draft = sales
            .clone()
            .create_application(pb::CreateApplicationRequest {
                application: Some(application(i)),
                request_id: rid(),
            })
            .await?
            .into_inner();
        ids.push(draft.application_id);
    }
    let ids = std::sync::Arc::new(ids);

    eprintln!(
        "timing Ping and SubmitApplication, {n} calls each, {} callers",
        args.concurrency
    );
    let (ping, ping_time) = timed(n, args.concurrency, &diagnostics, |mut c, _| async move {
        c.ping(lpb::PingRequest {}).await?;
        Ok(())
    })
    .await?;
    let submitted_at = Instant::now();
    let submit_ids = ids.clone();
    let (submit, submit_time) = timed(n, args.concurrency, &sales, move |mut c, i| {
        let id = submit_ids[i].clone();
        async move {
            let decided = c
                .submit_application(pb::SubmitApplicationRequest {
                    application_id: id,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            anyhow::ensure!(
                decided.state() == pb::ApplicationState::Approved
                    && decided.final_decision.as_ref().is_some_and(|d| d.automatic),
                "not decided automatically: {:?}",
                decided.recommendation
            );
            Ok(())
        }
    })
    .await?;
    // Every approved limit in place in limits.
    let mut limits_in_place = None;
    for _ in 0..6000 {
        let last = sales
            .clone()
            .get_application(pb::GetApplicationRequest {
                application_id: ids[n - 1].clone(),
            })
            .await?
            .into_inner();
        let mut all = last
            .limit_setting
            .is_some_and(|l| l.state() == pb::LimitSettingState::Done);
        if all {
            for id in ids.iter() {
                let app = sales
                    .clone()
                    .get_application(pb::GetApplicationRequest {
                        application_id: id.clone(),
                    })
                    .await?
                    .into_inner();
                if app
                    .limit_setting
                    .is_none_or(|l| l.state() != pb::LimitSettingState::Done)
                {
                    all = false;
                    break;
                }
            }
        }
        if all {
            limits_in_place = Some(submitted_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let limits_in_place = limits_in_place.ok_or_else(|| anyhow::anyhow!("limits not in place"))?;

    println!(
        "\napplications, {backend}, {n} applications, {} callers\n",
        args.concurrency
    );
    println!("| measure | result |");
    println!("|---|---:|");
    println!(
        "| Ping through the gateway, p50 / p99 (ms) | {:.2} / {:.2} |",
        ms(&ping, 0.5),
        ms(&ping, 0.99)
    );
    println!(
        "| Ping throughput (/s) | {:.0} |",
        n as f64 / ping_time.as_secs_f64()
    );
    println!(
        "| SubmitApplication → automatic decision, p50 / p99 (ms) | {:.2} / {:.2} |",
        ms(&submit, 0.5),
        ms(&submit, 0.99)
    );
    println!(
        "| SubmitApplication throughput (/s) | {:.0} |",
        n as f64 / submit_time.as_secs_f64()
    );
    println!(
        "| SubmitApplication ÷ Ping, p50 | {:.1}× |",
        ms(&submit, 0.5) / ms(&ping, 0.5).max(f64::MIN_POSITIVE)
    );
    println!(
        "| every approved limit in place in limits, after the first submission (s) | {:.2} |",
        limits_in_place.as_secs_f64()
    );
    shutdown.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(30), suite.stopped).await;
    drop(databases);
    Ok(())
}
