//! `collections-bench`: the collections service in process on SQLite or PostgreSQL.
//!
//! 1. Import throughput: invoices and payments (each allocated to an invoice) streamed through
//!    ImportDocuments in batches, documents/s — and the same batches sent again (unchanged).
//! 2. Aging and DSO over a large open ledger: the open invoices are written straight into the
//!    service's database (loading them through the API would only measure the import again),
//!    then GetAging and GetCollectionMetrics are timed, with GetCustomer (one indexed row, the
//!    same gRPC path) as the baseline of the same run.
//! 3. A dunning run over many overdue receivables: RunDunning over every customer, each getting
//!    a reminder written in its transaction (delivery is not part of the run).
use clap::Parser;
use credit_platform::auth::{AuthConfig, BearerToken, mint_hs256_token, roles};
use credit_platform::clock::{SystemClock, day_of};
use credit_platform::db::Db;
use credit_platform::server::Shutdown;
use credit_platform::testing::TestDatabase;
use credit_proto::collections as pb;
use credit_proto::collections::collections_service_client::CollectionsServiceClient;
use credit_proto::types::Money;
use prost::Message;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// Collections benchmark.
#[derive(Parser, Debug)]
#[command(name = "collections-bench", version, about)]
struct Args {
    /// Documents imported through ImportDocuments (3 invoices for each payment).
    #[arg(long, default_value_t = 40_000)]
    import_documents: usize,
    /// Rows per ImportDocuments call (one transaction each).
    #[arg(long, default_value_t = 2_000)]
    import_batch: usize,
    /// Open invoices aged and measured.
    #[arg(long, default_value_t = 1_000_000)]
    open_invoices: usize,
    /// Customers they belong to.
    #[arg(long, default_value_t = 10_000)]
    customers: usize,
    /// Overdue receivables dunned in one run.
    #[arg(long, default_value_t = 100_000)]
    overdue: usize,
    /// Customers they belong to (each gets one reminder).
    #[arg(long, default_value_t = 20_000)]
    overdue_customers: usize,
    /// Times each query is repeated (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Use fresh databases in this PostgreSQL server instead of SQLite.
    #[arg(long)]
    postgres_admin_url: Option<String>,
}

type Client = CollectionsServiceClient<InterceptedService<Channel, BearerToken>>;

const SECRET: &str = "collections-bench-secret-0123456789abcdef0123";

/// A collections server on a fresh database, and a pool on that database for bulk loading.
struct Server {
    client: Client,
    db: Db,
    shutdown: Shutdown,
    _database: TestDatabase,
}

async fn server(admin_url: Option<&str>) -> anyhow::Result<Server> {
    let database = TestDatabase::create_on(admin_url).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shutdown = Shutdown::new();
    let mut config = credit_collections::CollectionsConfig::new(
        database.config.clone(),
        AuthConfig::hs256(SECRET),
    );
    // The bench drives dunning itself; the sweep would only compete with it.
    config.dunning_enabled = false;
    config.sweep_interval_ms = 3_600_000;
    tokio::spawn(credit_collections::serve(
        config,
        Arc::new(SystemClock),
        listener,
        shutdown.clone(),
    ));
    credit_platform::testing::wait_serving(&format!("http://{addr}")).await;
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .tcp_nodelay(true)
        .connect_lazy();
    let token = mint_hs256_token(
        SECRET,
        "bench",
        &[roles::ANALYST, roles::MANAGER],
        Duration::from_secs(3600),
    )?;
    let client = CollectionsServiceClient::with_interceptor(channel, BearerToken(Some(token)))
        .max_decoding_message_size(64 << 20);
    let db = Db::connect(&database.config).await?;
    Ok(Server {
        client,
        db,
        shutdown,
        _database: database,
    })
}

fn eur(amount: String) -> Option<Money> {
    Some(Money {
        amount,
        currency_code: "EUR".into(),
    })
}

fn date(day: i64) -> Option<credit_proto::google::r#type::Date> {
    Some(credit_proto::google::r#type::Date::of_day(day))
}

/// Document `i` of the import: three invoices, then a payment of the first of them.
fn import_row(i: usize, today: i64, customers: usize) -> pb::ReceivableDocument {
    let customer = format!("C{:06}", (i / 4) % customers);
    if i % 4 == 3 {
        let invoice = format!("INV-{:08}", i - 3);
        return pb::ReceivableDocument {
            document_id: format!("PAY-{i:08}"),
            customer_id: customer,
            kind: pb::DocumentKind::Payment as i32,
            amount: eur("100.00".into()),
            issue_date: date(today),
            allocations: vec![pb::Allocation {
                invoice_id: invoice,
                amount: eur("100.00".into()),
            }],
            ..Default::default()
        };
    }
    let issued = today - 90 + (i % 60) as i64;
    pb::ReceivableDocument {
        document_id: format!("INV-{i:08}"),
        customer_id: customer,
        kind: pb::DocumentKind::Invoice as i32,
        amount: eur(format!("{}.{:02}", 100 + i % 9_000, i % 100)),
        issue_date: date(issued),
        due_date: date(issued + 30),
        payment_terms_days: 30,
        ..Default::default()
    }
}

async fn import(
    client: &mut Client,
    rows: Vec<pb::ReceivableDocument>,
) -> anyhow::Result<pb::ImportReport> {
    let mut messages = vec![pb::ImportDocumentsRequest {
        part: Some(pb::import_documents_request::Part::Options(
            pb::ImportOptions {
                all_or_nothing: false,
                source: "bench".into(),
            },
        )),
    }];
    messages.extend(rows.into_iter().map(|document| pb::ImportDocumentsRequest {
        part: Some(pb::import_documents_request::Part::Row(pb::DocumentRow {
            row_number: 0,
            document: Some(document),
        })),
    }));
    Ok(client
        .import_documents(futures::stream::iter(messages))
        .await?
        .into_inner())
}

/// Writes open invoices straight into the ledger: `count` over `customers`, due on the
/// `span` days from `first_due`.
async fn load_invoices(
    db: &Db,
    count: usize,
    customers: usize,
    first_due: i64,
    span: usize,
    prefix: &str,
) -> anyhow::Result<()> {
    const ROWS: usize = 500;
    let now = credit_platform::clock::Clock::now(&SystemClock);
    let mut tx = db.begin_write().await?;
    for start in (0..count).step_by(ROWS) {
        let end = (start + ROWS).min(count);
        let mut sql = String::from(
            "INSERT INTO documents (document_id, customer_id, kind, currency, amount, \
             open_amount, issue_day, due_day, body, version, created_at, updated_at) VALUES ",
        );
        for (n, _) in (start..end).enumerate() {
            let p = n * 8;
            if n > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, 'INVOICE', 'EUR', ${}, ${}, ${}, ${}, ${}, 1, ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 8
            ));
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for i in start..end {
            let id = format!("{prefix}{i:08}");
            let customer = format!("C{:06}", i % customers);
            let due = first_due + (i % span) as i64;
            let amount = 10_000 + (i % 90_000) as i64;
            let body = pb::ReceivableDocument {
                document_id: id.clone(),
                customer_id: customer.clone(),
                kind: pb::DocumentKind::Invoice as i32,
                amount: eur(format!("{}.{:02}", amount / 100, amount % 100)),
                issue_date: date(due - 30),
                due_date: date(due),
                payment_terms_days: 30,
                ..Default::default()
            }
            .encode_to_vec();
            query = query
                .bind(id)
                .bind(customer)
                .bind(amount)
                .bind(due - 30)
                .bind(due)
                .bind(body)
                .bind(now)
                .bind(now);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The median of `repeat` timings of `f`.
async fn median<F, Fut>(repeat: usize, mut f: F) -> anyhow::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut times = Vec::new();
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        f().await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// An IANA zone where it is midday now, so quiet hours never hold the reminders back.
fn midday_zone() -> String {
    let hour = (credit_platform::clock::Clock::now(&SystemClock) / 3_600_000_000).rem_euclid(24);
    let offset = hour - 12;
    if offset >= 0 {
        format!("Etc/GMT+{offset}")
    } else {
        format!("Etc/GMT-{}", -offset)
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench` to a bench without the test harness.
    let args = Args::parse_from(std::env::args().filter(|a| a != "--bench"));
    let admin = args.postgres_admin_url.as_deref();
    let backend = if admin.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let today = day_of(credit_platform::clock::Clock::now(&SystemClock));
    let mut results: Vec<(String, String)> = Vec::new();

    // 1. Import.
    {
        let s = server(admin).await?;
        let mut client = s.client.clone();
        let rows: Vec<pb::ReceivableDocument> = (0..args.import_documents)
            .map(|i| import_row(i, today, args.customers))
            .collect();
        eprintln!("{backend}: importing {} documents", rows.len());
        let started = Instant::now();
        let mut created = 0;
        for batch in rows.chunks(args.import_batch.max(1)) {
            let report = import(&mut client, batch.to_vec()).await?;
            anyhow::ensure!(
                report.rejected.is_empty(),
                "rejected: {:?}",
                report.rejected
            );
            created += report.created;
        }
        let first = started.elapsed();
        anyhow::ensure!(created as usize == rows.len(), "created {created}");
        let started = Instant::now();
        for batch in rows.chunks(args.import_batch.max(1)) {
            let report = import(&mut client, batch.to_vec()).await?;
            anyhow::ensure!(report.unchanged as usize == batch.len(), "{report:?}");
        }
        let again = started.elapsed();
        results.push((
            format!(
                "import, new documents (3 invoices : 1 payment, {} rows per call) (documents/s)",
                args.import_batch
            ),
            format!("{:.0}", rows.len() as f64 / first.as_secs_f64()),
        ));
        results.push((
            "import, the same documents again (unchanged) (documents/s)".into(),
            format!("{:.0}", rows.len() as f64 / again.as_secs_f64()),
        ));
        s.shutdown.trigger();
    }

    // 2. Aging and DSO over the open ledger.
    {
        let s = server(admin).await?;
        eprintln!("{backend}: loading {} open invoices", args.open_invoices);
        let started = Instant::now();
        // Due from 150 days ago to 29 days ahead: every aging bucket fills.
        load_invoices(
            &s.db,
            args.open_invoices,
            args.customers,
            today - 150,
            180,
            "OPEN-",
        )
        .await?;
        eprintln!("loaded in {:.1} s", started.elapsed().as_secs_f64());
        if admin.is_some() {
            sqlx::query("ANALYZE").execute(&s.db.pool).await?;
        }
        let client = s.client.clone();
        let baseline = median(args.repeat * 20, || {
            let mut c = client.clone();
            async move {
                c.get_customer(pb::GetCustomerRequest {
                    customer_id: "NONE".into(),
                })
                .await
                .ok();
                Ok(())
            }
        })
        .await?;
        let aging = |group_by: pb::AgingGroup| {
            let client = client.clone();
            median(args.repeat, move || {
                let mut c = client.clone();
                async move {
                    let a = c
                        .get_aging(pb::GetAgingRequest {
                            group_by: group_by as i32,
                            ..Default::default()
                        })
                        .await?
                        .into_inner();
                    anyhow::ensure!(!a.rows.is_empty(), "no aging rows");
                    Ok(())
                }
            })
        };
        let portfolio = aging(pb::AgingGroup::Portfolio).await?;
        let by_customer = aging(pb::AgingGroup::Customer).await?;
        let metrics = median(args.repeat, || {
            let mut c = client.clone();
            async move {
                let m = c
                    .get_collection_metrics(pb::GetCollectionMetricsRequest {
                        start_date: date(today - 89),
                        end_date: date(today),
                        group_by: pb::AgingGroup::Portfolio as i32,
                        customer_id: String::new(),
                    })
                    .await?
                    .into_inner();
                anyhow::ensure!(
                    !m.rows.is_empty() && !m.rows[0].days_sales_outstanding.is_empty(),
                    "no DSO"
                );
                Ok(())
            }
        })
        .await?;
        let n = args.open_invoices;
        results.push((
            "GetCustomer (one indexed row; baseline of the same run), median (ms)".into(),
            format!("{:.2}", ms(baseline)),
        ));
        results.push((
            format!("GetAging, portfolio, {n} open invoices, median (ms)"),
            format!("{:.0}", ms(portfolio)),
        ));
        results.push((
            format!(
                "GetAging by customer ({} rows), {n} open invoices, median (ms)",
                args.customers
            ),
            format!("{:.0}", ms(by_customer)),
        ));
        results.push((
            format!(
                "GetCollectionMetrics (DSO, best DSO, ADD, CEI; 90 days), {n} invoices, median (ms)"
            ),
            format!("{:.0}", ms(metrics)),
        ));
        s.shutdown.trigger();
    }

    // 3. A dunning run.
    {
        let s = server(admin).await?;
        eprintln!(
            "{backend}: {} customers with {} overdue receivables",
            args.overdue_customers, args.overdue
        );
        let zone = midday_zone();
        create_customers(&s.client, args.overdue_customers, &zone).await?;
        // 5 to 44 days past due: reminders and final notices.
        load_invoices(
            &s.db,
            args.overdue,
            args.overdue_customers,
            today - 44,
            40,
            "DUN-",
        )
        .await?;
        if admin.is_some() {
            sqlx::query("ANALYZE").execute(&s.db.pool).await?;
        }
        let started = Instant::now();
        let run = s
            .client
            .clone()
            .run_dunning(pb::RunDunningRequest {
                customer_id: String::new(),
            })
            .await?
            .into_inner();
        let took = started.elapsed();
        let sent = run
            .actions
            .iter()
            .filter(|a| a.outcome() == pb::DunningOutcome::Sent)
            .count();
        anyhow::ensure!(
            sent == args.overdue_customers,
            "{sent} reminders for {} customers: {:?}",
            args.overdue_customers,
            run.actions.first()
        );
        results.push((
            format!(
                "RunDunning over {} overdue receivables of {} customers (s)",
                args.overdue, args.overdue_customers
            ),
            format!("{:.1}", took.as_secs_f64()),
        ));
        results.push((
            "RunDunning, customers decided with their letter written (/s)".into(),
            format!("{:.0}", sent as f64 / took.as_secs_f64()),
        ));
        s.shutdown.trigger();
    }

    println!("\ncollections, {backend}\n");
    println!("| measure | result |");
    println!("|---|---:|");
    for (measure, result) in results {
        println!("| {measure} | {result} |");
    }
    Ok(())
}

/// Customers with an address and a time zone where it is midday, through PutCustomer.
async fn create_customers(client: &Client, count: usize, zone: &str) -> anyhow::Result<()> {
    let zone = zone.to_string();
    credit_platform::testing::load::timed(count, 8, client, move |mut c, i| {
        let zone = zone.clone();
        async move {
            c.put_customer(pb::PutCustomerRequest {
                customer: Some(pb::Customer {
                    customer_id: format!("C{i:06}"),
                    name: format!("Customer {i}"),
                    segment: "SME".into(),
                    language: ["en", "fr", "ro", "zh"][i % 4].into(),
                    time_zone: zone,
                    email: format!("ap{i}@customer.example"),
                    ..Default::default()
                }),
                request_id: uuid::Uuid::new_v4().to_string(),
            })
            .await?;
            Ok(())
        }
    })
    .await?;
    Ok(())
}
