//! Fault tests: the production binaries as separate processes on PostgreSQL (two limits
//! replicas, audit, two gateways), credit-check load through the gateways, and a fault in the
//! middle. Each test prints its figures; `FAULTS_SOAK_SECS` makes the load last longer than the
//! few seconds CI gives it. Without `TEST_DATABASE_URL` the cluster tests say so and do
//! nothing: two replicas need a database they can share. The SIGKILL of limits on its SQLite
//! file runs everywhere.
#[path = "faults/cluster.rs"]
mod cluster;
#[path = "faults/load.rs"]
mod load;
#[path = "faults/postgres.rs"]
mod postgres;

use cluster::{Cluster, Options};
use credit_platform::auth::{BearerToken, FeedOf};
use credit_proto::audit as apb;
use credit_proto::audit::audit_service_client::AuditServiceClient;
use credit_proto::event::GetFeedPositionRequest;
use credit_proto::event::event_feed_service_client::EventFeedServiceClient;
use credit_proto::limits as pb;
use load::{Seen, drive_checks, limits, open_accounts};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Each customer's limit and each order's amount: 100 orders fit, so approvals go on through the
/// fault and rejections follow.
const LIMIT: &str = "100.00";
const ORDER: &str = "1.00";
const CUSTOMERS: usize = 12;
const WORKERS: usize = 12;

/// How long a fault test drives load.
fn load_for() -> Duration {
    std::env::var("FAULTS_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_secs(6), Duration::from_secs)
}

fn money(m: &Option<credit_proto::types::Money>) -> Decimal {
    m.as_ref()
        .map(|m| Decimal::from_str(&m.amount).expect("decimal"))
        .unwrap_or_default()
}

/// What must hold after any fault: every approval the clients saw is reserved, nothing else
/// is, no customer is over its limit, every check was answered, and audit recorded limits' every
/// event exactly once. Answers (events on limits' feed, entries in audit).
async fn verify(cluster: &Cluster, seen: &Seen, customers: &[String]) -> (i64, i64) {
    assert_eq!(
        seen.failures(),
        0,
        "every check is answered, retried only on retriable codes: {:?}\n{}",
        seen.failed,
        cluster.logs()
    );
    let channel = cluster.channel();
    verify_limits(
        channel.clone(),
        &cluster.token,
        &cluster.limits_database_url,
        seen,
        customers,
    )
    .await;
    audit_caught_up(cluster, channel).await
}

/// What must hold in limits after any fault: every approval the clients saw is reserved, nothing
/// else is, no customer is over its limit, and every account's counters add up.
async fn verify_limits(
    channel: tonic::transport::Channel,
    token: &str,
    database_url: &str,
    seen: &Seen,
    customers: &[String],
) {
    let mut client = limits(channel.clone(), token);
    let mut approved_of: BTreeMap<&str, usize> = BTreeMap::new();
    for approved in &seen.approved {
        *approved_of.entry(&approved.customer_id).or_default() += 1;
        let reservation = client
            .get_reservation(pb::GetReservationRequest {
                reservation_id: approved.reservation_id.clone(),
            })
            .await
            .unwrap_or_else(|e| panic!("approved {approved:?} has no reservation: {e:?}"))
            .into_inner();
        assert_eq!(reservation.state, pb::ReservationState::Open as i32);
        assert_eq!(
            money(&reservation.open_amount),
            Decimal::from_str(ORDER).expect("order")
        );
    }
    let (limit, order) = (
        Decimal::from_str(LIMIT).expect("limit"),
        Decimal::from_str(ORDER).expect("order"),
    );
    for customer in customers {
        let exposure = client
            .get_exposure(pb::GetExposureRequest {
                customer_id: customer.clone(),
                ..Default::default()
            })
            .await
            .expect("exposure")
            .into_inner();
        let reserved = money(&exposure.own.expect("own").reserved_orders);
        let approved = Decimal::from(*approved_of.get(customer.as_str()).unwrap_or(&0));
        assert_eq!(
            reserved,
            approved * order,
            "{customer}: reserved is exactly what the clients saw approved"
        );
        assert!(reserved <= limit, "{customer}: over-committed ({reserved})");
    }

    ledger_adds_up(channel, token, database_url, customers).await;
}

/// Audit catches up with limits' feed: the same count, so nothing missing or doubled. Answers
/// (events on limits' feed, entries in audit).
async fn audit_caught_up(cluster: &Cluster, channel: tonic::transport::Channel) -> (i64, i64) {
    let mut feed = EventFeedServiceClient::with_interceptor(
        channel.clone(),
        FeedOf {
            token: BearerToken(Some(cluster.token.clone())),
            source: "limits".into(),
        },
    );
    let mut audit =
        AuditServiceClient::with_interceptor(channel, BearerToken(Some(cluster.token.clone())));
    let started = Instant::now();
    loop {
        let produced = feed
            .get_feed_position(GetFeedPositionRequest::default())
            .await
            .expect("feed position")
            .into_inner()
            .last_sequence;
        let recorded = audit
            .list_audit_sources(apb::ListAuditSourcesRequest::default())
            .await
            .expect("sources")
            .into_inner()
            .sources
            .iter()
            .find(|s| s.source == "limits")
            .map_or(0, |s| s.last_sequence);
        let entries = audit
            .get_checkpoint(apb::GetCheckpointRequest { tree_size: 0 })
            .await
            .ok()
            .and_then(|c| c.into_inner().checkpoint)
            .map_or(0, |c| c.tree_size);
        if produced > 0 && recorded == produced && entries == produced {
            return (produced, entries);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "audit did not catch up: feed {produced}, recorded {recorded}, log {entries}\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Each account's exposure counters equal the sum of what stands behind them in the database:
/// its open reservations (reserved, and delivered not invoiced) and its posted documents.
async fn ledger_adds_up(
    channel: tonic::transport::Channel,
    token: &str,
    database_url: &str,
    customers: &[String],
) {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(database_url)
        .await
        .expect("limits database");
    let mut client = limits(channel, token);
    let sum = |rows: Vec<sqlx::any::AnyRow>| {
        rows.iter()
            .map(|row| Decimal::from_str(&row.get::<String, _>(0)).expect("stored decimal"))
            .sum::<Decimal>()
    };
    for customer in customers {
        let own = client
            .get_exposure(pb::GetExposureRequest {
                customer_id: customer.clone(),
                ..Default::default()
            })
            .await
            .expect("exposure")
            .into_inner()
            .own
            .expect("own");
        let open = |column: &'static str| {
            let pool = pool.clone();
            let customer = customer.clone();
            async move {
                let sql = match column {
                    "open_amount" => {
                        "SELECT open_amount FROM reservations WHERE customer_id = $1 AND state = 'OPEN'"
                    }
                    _ => {
                        "SELECT delivered_amount FROM reservations WHERE customer_id = $1 AND state = 'OPEN'"
                    }
                };
                sqlx::query(sql)
                    .bind(customer)
                    .fetch_all(&pool)
                    .await
                    .expect("reservations")
            }
        };
        assert_eq!(
            money(&own.reserved_orders),
            sum(open("open_amount").await),
            "{customer}: reserved orders are the open reservations"
        );
        assert_eq!(
            money(&own.delivered_not_invoiced),
            sum(open("delivered_amount").await),
            "{customer}: delivered not invoiced is what open reservations shipped"
        );
        for (category, counter) in [
            ("OPEN_RECEIVABLES", &own.open_receivables),
            ("OTHER_COMMITMENTS", &own.other_commitments),
        ] {
            let documents = sqlx::query(
                "SELECT open_amount FROM exposure_documents WHERE customer_id = $1 AND category = $2",
            )
            .bind(customer.clone())
            .bind(category)
            .fetch_all(&pool)
            .await
            .expect("documents");
            assert_eq!(money(counter), sum(documents), "{customer}: {category}");
        }
    }
    pool.close().await;
}

fn report(fault: &str, seen: &Seen, events: (i64, i64)) {
    println!(
        "FAULT {fault}: checks attempted {}, approved {}, rejected {}, retried {} {:?} \
         (more than once: {}), failed {}; events produced {}, recorded {}",
        seen.attempted,
        seen.approved.len(),
        seen.rejected,
        seen.retries(),
        seen.retried,
        seen.retried_more_than_once,
        seen.failures(),
        events.0,
        events.1
    );
}

/// Opens the accounts and starts the load in the background; answers its end time.
async fn start_load(cluster: &Cluster) -> (tokio::task::JoinHandle<Seen>, Arc<Vec<String>>) {
    start_load_of(cluster, WORKERS).await
}

/// The same with `workers` concurrent callers.
async fn start_load_of(
    cluster: &Cluster,
    workers: usize,
) -> (tokio::task::JoinHandle<Seen>, Arc<Vec<String>>) {
    let mut client = limits(cluster.channel(), &cluster.token);
    let mut limit_setter = limits(cluster.channel(), &cluster::limit_setter_token());
    let customers = Arc::new(open_accounts(&mut client, &mut limit_setter, CUSTOMERS, LIMIT).await);
    let until = Instant::now() + load_for();
    let load = tokio::spawn(drive_checks(
        client,
        customers.clone(),
        workers,
        ORDER,
        until,
    ));
    (load, customers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_limits_on_sqlite_in_the_middle_of_a_batch_loses_no_approval() {
    // One process on its SQLite file (the embedded database has one writer: no replicas), killed
    // under 32 callers and started again on the same file; the callers retry what went
    // unanswered with the same request ids.
    let dir = tempfile::tempdir().expect("tempdir");
    let database_url = format!("sqlite://{}", dir.path().join("limits.db").display());
    let mut limits_process = cluster::Process::new(
        "limits",
        "credit-limits",
        BTreeMap::from([("DATABASE_URL".to_string(), database_url.clone())]),
        &BTreeMap::new(),
        dir.path(),
    );
    limits_process.start().await;
    let token = credit_platform::auth::mint_hs256_token(
        cluster::SECRET,
        "fault-tests",
        &[credit_platform::auth::roles::ADMIN],
        Duration::from_secs(3600),
    )
    .expect("token");
    let mut client = limits(limits_process.channel(), &token);
    let mut limit_setter = limits(limits_process.channel(), &cluster::limit_setter_token());
    let customers = Arc::new(open_accounts(&mut client, &mut limit_setter, CUSTOMERS, LIMIT).await);
    let until = Instant::now() + load_for();
    let load = tokio::spawn(drive_checks(client, customers.clone(), 32, ORDER, until));
    tokio::time::sleep(load_for() / 3).await;
    limits_process.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    limits_process.start().await;
    let seen = load.await.expect("load");
    assert!(!seen.approved.is_empty(), "the load approved checks");
    assert_eq!(
        seen.failures(),
        0,
        "every check is answered, retried only on retriable codes: {:?}\n{}",
        seen.failed,
        limits_process.log_tail()
    );
    verify_limits(
        limits_process.channel(),
        &token,
        &database_url,
        &seen,
        &customers,
    )
    .await;
    report("SIGKILL of limits on SQLite", &seen, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_a_limits_replica_under_check_load() {
    let Some(mut cluster) = Cluster::start().await else {
        return;
    };
    // Enough callers that the replicas' check engines decide batches of several checks, so the
    // kill lands in the middle of one.
    let (load, customers) = start_load_of(&cluster, 32).await;
    tokio::time::sleep(load_for() / 3).await;
    cluster.limits[0].kill();
    let seen = load.await.expect("load");
    // How many checks fit in the time depends on the machine; that some were approved does
    // not. Whether any were rejected (customers full) is reported, not required.
    assert!(!seen.approved.is_empty(), "the load approved checks");
    let events = verify(&cluster, &seen, &customers).await;
    report("SIGKILL of a limits replica", &seen, events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restart_of_every_process_under_check_load() {
    let Some(mut cluster) = Cluster::start_with(Options {
        applications: true,
        ..Options::default()
    })
    .await
    else {
        return;
    };
    let (load, customers) = start_load(&cluster).await;
    // One process at a time, as a rollout does: SIGTERM, wait for it to end, start it again
    // and wait until it serves. Every service: limits' replicas, scoring, applications, audit,
    // then the gateways.
    let pause = load_for() / 10;
    let Cluster {
        limits,
        scoring,
        applications,
        audit,
        gateways,
        ..
    } = &mut cluster;
    let rollout = limits
        .iter_mut()
        .chain(scoring.iter_mut())
        .chain(applications.iter_mut())
        .chain(std::iter::once(audit))
        .chain(gateways.iter_mut());
    for process in rollout {
        tokio::time::sleep(pause).await;
        let ended = process.terminate().await;
        assert!(ended.success(), "{} stops cleanly: {ended}", process.name);
        process.start().await;
    }
    let seen = load.await.expect("load");
    assert_eq!(
        seen.retried_more_than_once, 0,
        "no check needed more than one retry during the rollout: {:?}",
        seen.retried
    );
    let events = verify(&cluster, &seen, &customers).await;
    report("rolling restart of every process", &seen, events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_restart_under_check_load_loses_and_doubles_nothing() {
    if std::env::var("TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("fault tests need PostgreSQL (TEST_DATABASE_URL)");
        return;
    }
    // A server of this test's own: stopping the shared one would fail every other test.
    let Some(postgres) = postgres::PrivatePostgres::start() else {
        return;
    };
    let cluster = Cluster::start_with(Options {
        postgres: Some(postgres.url()),
        ..Options::default()
    })
    .await
    .expect("cluster");
    let (load, customers) = start_load(&cluster).await;
    tokio::time::sleep(load_for() / 3).await;

    // The database goes away: every service that needs it says NOT_SERVING (so balancers
    // stop sending), by itself.
    let stopped = Instant::now();
    postgres.stop();
    let within = Duration::from_secs(10);
    for process in cluster.limits.iter().chain(std::iter::once(&cluster.audit)) {
        process.wait_until(false, within).await;
    }
    let not_serving_after = stopped.elapsed();
    // Down a moment longer, then back: they serve again without being touched.
    tokio::time::sleep(Duration::from_millis(500)).await;
    postgres.resume();
    let down_for = stopped.elapsed();
    for process in cluster.limits.iter().chain(std::iter::once(&cluster.audit)) {
        process.wait_until(true, Duration::from_secs(30)).await;
    }
    let serving_after = stopped.elapsed();

    let seen = load.await.expect("load");
    assert!(!seen.approved.is_empty(), "the load approved checks");
    let events = verify(&cluster, &seen, &customers).await;
    report("PostgreSQL restart", &seen, events);
    println!(
        "FAULT PostgreSQL restart: every service NOT_SERVING {} ms after the stop; database \
         down {} ms; every service SERVING again {} ms after the stop",
        not_serving_after.as_millis(),
        down_for.as_millis(),
        serving_after.as_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_cut_off_from_its_producers_for_a_while_catches_up() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let (load, customers) = start_load(&cluster).await;
    // Audit hangs for half the load: limits' events pile up unread; then it answers again.
    tokio::time::sleep(load_for() / 4).await;
    cluster.audit.pause();
    tokio::time::sleep(load_for() / 2).await;
    cluster.audit.resume();
    let seen = load.await.expect("load");
    assert_eq!(seen.failures(), 0, "checks never wait for audit");
    let events = verify(&cluster, &seen, &customers).await;
    report("audit cut off for half the load", &seen, events);
}

/// Applicants of the hung-scoring test: customer and VAT number.
const APPLICANTS: [(&str, &str); 4] = [
    ("HANG-1", "FR40303265045"),
    ("HANG-2", "FR83404833048"),
    ("HANG-3", "FR12345678901"),
    ("HANG-4", "FR98765432109"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_scoring_fails_submissions_fast_and_they_succeed_after_without_duplicates() {
    use credit_proto::applications as pb;
    use credit_proto::applications::applications_service_client::ApplicationsServiceClient;
    use credit_proto::scoring as spb;
    use credit_proto::scoring::scoring_service_client::ScoringServiceClient;
    let Some(cluster) = Cluster::start_with(Options {
        applications: true,
        ..Options::default()
    })
    .await
    else {
        return;
    };
    let token = || BearerToken(Some(cluster.token.clone()));
    let mut sales = ApplicationsServiceClient::with_interceptor(cluster.channel(), token());
    let mut scoring = ScoringServiceClient::with_interceptor(cluster.channel(), token());
    // Drafts (applications alone) and bureau reports (scoring), while everything answers.
    let mut drafts = Vec::new();
    for (customer, tax_id) in APPLICANTS {
        scoring
            .put_bureau_report(spb::PutBureauReportRequest {
                customer_id: customer.into(),
                report: Some(credit_applications::testing::sound_bureau_report()),
                request_id: uuid::Uuid::new_v4().to_string(),
            })
            .await
            .expect("bureau report");
        let draft = sales
            .create_application(pb::CreateApplicationRequest {
                application: Some(credit_applications::testing::sound_application(
                    customer, tax_id, "20000",
                )),
                request_id: uuid::Uuid::new_v4().to_string(),
            })
            .await
            .expect("draft")
            .into_inner();
        drafts.push((draft.application_id, uuid::Uuid::new_v4().to_string()));
    }
    let submit = |application_id: &str, request_id: &str, deadline: Duration| {
        let mut call = tonic::Request::new(pb::SubmitApplicationRequest {
            application_id: application_id.into(),
            request_id: request_id.into(),
        });
        call.set_timeout(deadline);
        let mut sales = sales.clone();
        async move { sales.submit_application(call).await }
    };

    // Scoring hangs: every submission is answered within its caller's deadline, by
    // applications, with a code that says "try again" and names scoring.
    cluster.scoring.as_ref().expect("scoring").pause();
    let deadline = Duration::from_secs(3);
    let mut failed_fast: BTreeMap<String, usize> = BTreeMap::new();
    let hung = futures::future::join_all(
        drafts
            .iter()
            .map(|(application, request)| submit(application, request, deadline)),
    )
    .await;
    for answer in hung {
        let status = answer.expect_err("scoring hangs: the submission cannot be decided");
        assert_eq!(
            status.code(),
            tonic::Code::Unavailable,
            "applications answers before the caller's deadline, saying what to do: {status:?}"
        );
        assert!(status.message().contains("scoring"), "{status:?}");
        *failed_fast
            .entry(format!("{:?}", status.code()))
            .or_default() += 1;
    }

    // Scoring answers again: the same submissions (same request ids) go through, once.
    cluster.scoring.as_ref().expect("scoring").resume();
    let mut retries = 0;
    let mut decided = Vec::new();
    for (application, request) in &drafts {
        let answer = loop {
            match submit(application, request, Duration::from_secs(10)).await {
                Ok(answer) => break answer.into_inner(),
                Err(status) if status.code() == tonic::Code::Unavailable && retries < 40 => {
                    retries += 1;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(status) => panic!("after SIGCONT: {status:?}\n{}", cluster.logs()),
            }
        };
        assert_eq!(answer.state(), pb::ApplicationState::Approved, "{answer:?}");
        // A replay answers the same decision, not a second one.
        let replay = submit(application, request, Duration::from_secs(10))
            .await
            .expect("replay")
            .into_inner();
        assert_eq!(replay.final_decision, answer.final_decision);
        decided.push(answer);
    }
    // One application per customer, one decision each, and one limit in limits.
    let mut limits = limits(cluster.channel(), &cluster.token);
    use credit_proto::limits::GetCreditAccountRequest;
    for (customer, _) in APPLICANTS {
        let listed = sales
            .list_applications(pb::ListApplicationsRequest {
                customer_id: customer.into(),
                ..Default::default()
            })
            .await
            .expect("list")
            .into_inner()
            .applications;
        assert_eq!(listed.len(), 1, "{customer}: {listed:?}");
        let mut set = None;
        for _ in 0..200 {
            set = limits
                .get_credit_account(GetCreditAccountRequest {
                    customer_id: customer.into(),
                })
                .await
                .ok()
                .and_then(|a| a.into_inner().credit_limit)
                .and_then(|l| l.amount);
            if set.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(money(&set), Decimal::from(20000), "{customer}");
    }
    println!(
        "FAULT scoring hung (SIGSTOP) during submissions: submitted {}, answered within the \
         {deadline:?} deadline {:?}, approved after SIGCONT {} (retried {retries}), \
         applications per customer 1",
        drafts.len(),
        failed_fast,
        decided.len(),
    );
}
