//! `audit-bench`: the audit log at scale, in process, on SQLite or PostgreSQL — ingest rate
//! (batches as the feed followers write them), time to open (rebuild the tree), proof latency,
//! and full verification time.
use clap::Parser;
use credit_audit::app::log::AuditLog;
use credit_audit::domain::checkpoint::{CheckpointSigner, TrustedKeys, generate_key};
use credit_platform::clock::{SystemClock, to_timestamp};
use credit_platform::db::Db;
use credit_platform::testing::TestDatabase;
use credit_proto::event::Event;
use hdrhistogram::Histogram;
use std::sync::Arc;
use std::time::Instant;

/// Audit log benchmark.
#[derive(Parser, Debug)]
#[command(name = "audit-bench", version, about)]
struct Args {
    /// Entries to write.
    #[arg(long, default_value_t = 1_000_000)]
    entries: i64,
    /// Events per append transaction (the feed followers write up to 500).
    #[arg(long, default_value_t = 500)]
    batch: i64,
    /// Use a fresh database in this PostgreSQL server instead of SQLite.
    #[arg(long)]
    postgres_admin_url: Option<String>,
    /// Inclusion proofs to time.
    #[arg(long, default_value_t = 10_000)]
    proofs: u64,
}

/// An event the size and shape of a credit-check decision.
fn event(sequence: i64) -> Event {
    let customer = format!("CUST-{:05}", sequence % 5000);
    Event {
        sequence,
        source: "limits".into(),
        event_type: "credit.limits.reservation.created".into(),
        entity_type: "reservation".into(),
        entity_id: format!(
            "0193a0c2-7d4e-7{:03x}-8000-{:012x}",
            sequence % 4096,
            sequence
        ),
        customer_id: customer.clone(),
        actor_subject: "svc.sales-orders".into(),
        actor_roles: vec!["credit.sales_order".into()],
        request_id: format!("0193a0c2-7d4e-7000-8000-{sequence:012x}"),
        trace_id: format!("{sequence:032x}"),
        occur_time: Some(to_timestamp(1_772_323_200_000_000 + sequence * 1000)),
        payload_json: format!(
            r#"{{"customer_id":"{customer}","order_id":"SO-{sequence}","amount":{{"amount":"1250.00","currency_code":"EUR"}},"available_before":"48750.00","available_after":"47500.00","reasons":[],"rule_version":"limits-check/1"}}"#
        ),
        payload: None,
        traceparent: format!("00-{sequence:032x}-{sequence:016x}-01"),
    }
}

fn micros(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    histogram.value_at_quantile(quantile) as f64 / 1000.0
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
    let db = Db::connect(&database.config).await?;
    db.migrate(
        &credit_audit::POSTGRES_MIGRATIONS,
        &credit_audit::SQLITE_MIGRATIONS,
    )
    .await?;
    let (signing, verifier) = generate_key("audit.bench");
    let log = AuditLog::open(
        db.clone(),
        CheckpointSigner::new(&signing)?,
        Arc::new(SystemClock),
    )
    .await?;

    eprintln!(
        "{backend}: writing {} entries in batches of {}",
        args.entries, args.batch
    );
    let started = Instant::now();
    let mut next = 1;
    while next <= args.entries {
        let end = (next + args.batch - 1).min(args.entries);
        let batch: Vec<Event> = (next..=end).map(event).collect();
        log.append("limits", &batch).await?;
        next = end + 1;
        if next % 100_000 < args.batch {
            log.checkpoint().await?;
            eprintln!(
                "  {} entries, {:.0} s",
                next - 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let ingest = started.elapsed();
    log.checkpoint().await?;

    let started = Instant::now();
    let reopened = AuditLog::open(
        db.clone(),
        CheckpointSigner::new(&signing)?,
        Arc::new(SystemClock),
    )
    .await?;
    let open = started.elapsed();
    drop(reopened);

    let size = log.size().await;
    let mut inclusion = Histogram::<u64>::new(3)?;
    let mut consistency = Histogram::<u64>::new(3)?;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..args.proofs {
        // xorshift: spread the proofs over the whole log without a dependency.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let index = (seed % size as u64) as usize;
        let t = Instant::now();
        let proof = log
            .inclusion_proof(index, size)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        inclusion.record(t.elapsed().as_nanos() as u64)?;
        std::hint::black_box(proof);
        let t = Instant::now();
        let proof = log
            .consistency_proof(index.max(1), size)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        consistency.record(t.elapsed().as_nanos() as u64)?;
        std::hint::black_box(proof);
    }

    let started = Instant::now();
    let report = credit_audit::app::verify::verify(
        &db,
        &TrustedKeys::new([verifier.as_str()])?,
        "audit.bench",
    )
    .await?;
    let verification = started.elapsed();
    anyhow::ensure!(report.intact, "verification failed: {}", report.problem);

    println!("\naudit log, {backend}, {} entries\n", args.entries);
    println!("| measure | result |");
    println!("|---|---:|");
    println!(
        "| ingest, batches of {} (entries/s) | {:.0} |",
        args.batch,
        args.entries as f64 / ingest.as_secs_f64()
    );
    println!(
        "| open: rebuild the tree from storage (s) | {:.2} |",
        open.as_secs_f64()
    );
    println!(
        "| inclusion proof, p50 / p99 (µs) | {:.1} / {:.1} |",
        micros(&inclusion, 0.5),
        micros(&inclusion, 0.99)
    );
    println!(
        "| consistency proof, p50 / p99 (µs) | {:.1} / {:.1} |",
        micros(&consistency, 0.5),
        micros(&consistency, 0.99)
    );
    println!(
        "| full verification: {} entries, {} checkpoints (s) | {:.1} |",
        report.entries_checked,
        report.checkpoints_checked,
        verification.as_secs_f64()
    );
    Ok(())
}
