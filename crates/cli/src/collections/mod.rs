//! `creditctl collections`: the receivables ledger — customer profiles, CSV import, documents,
//! statements of account, aging.
use anyhow::Context;
use clap::Subcommand;
use credit_client::BearerToken;
use credit_proto::collections as pb;
use credit_proto::collections::collections_service_client::CollectionsServiceClient;
use credit_proto::google::r#type::Date;
use credit_proto::types::Money;
use std::path::PathBuf;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

mod commitments;
mod desk;
mod disputes;
mod dunning;
mod ledger;
mod text;
mod write_offs;

type Client = CollectionsServiceClient<InterceptedService<Channel, BearerToken>>;

/// The receivables ledger.
#[derive(Debug, Subcommand)]
pub enum CollectionsCommand {
    /// Record a customer's collections profile.
    Customer {
        /// Customer id.
        customer_id: String,
        /// Name.
        #[arg(long, default_value = "")]
        name: String,
        /// Segment.
        #[arg(long, default_value = "")]
        segment: String,
        /// Region.
        #[arg(long, default_value = "")]
        region: String,
        /// Top of its corporate group (itself by default).
        #[arg(long, default_value = "")]
        group: String,
        /// Language of communications: en, fr, ro, zh.
        #[arg(long, default_value = "en")]
        language: String,
        /// IANA time zone.
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        /// Where dunning e-mails go.
        #[arg(long, default_value = "")]
        email: String,
        /// Risk class (scoring's latest score takes precedence).
        #[arg(long, default_value = "")]
        risk_class: String,
        /// Jurisdiction for the statute of limitations (ISO 3166, "FR").
        #[arg(long, default_value = "")]
        jurisdiction: String,
        /// Collector in charge (else the segment's).
        #[arg(long, default_value = "")]
        collector: String,
    },
    /// Import documents from a CSV file with the header
    /// document_id,customer_id,kind,amount,currency,issue_date,due_date,payment_terms_days,order_id,reference,allocations
    /// (kind INVOICE, CREDIT_NOTE or PAYMENT; allocations "INV-1:100.00;INV-2:50").
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Import nothing when a row is rejected.
        #[arg(long)]
        all_or_nothing: bool,
    },
    /// One document with what is applied to it.
    Document {
        /// Document id.
        document_id: String,
    },
    /// Statement of account: a customer's open items and unapplied cash.
    Statement {
        /// Customer id.
        customer_id: String,
    },
    /// Aging as of a date.
    Aging {
        /// The day, YYYY-MM-DD (default today).
        #[arg(long, default_value = "")]
        as_of: String,
        /// Upper bounds of the overdue buckets, in days (default 30,60,90).
        #[arg(long, value_delimiter = ',')]
        buckets: Vec<i32>,
        /// portfolio, customer, group, segment, region, currency or collector.
        #[arg(long, default_value = "portfolio")]
        by: String,
        /// Only this customer.
        #[arg(long, default_value = "")]
        customer: String,
    },
    /// Run dunning now: every customer whose next step's day has come gets it.
    Dun {
        /// Only this customer.
        #[arg(long, default_value = "")]
        customer: String,
    },
    /// What happens next to a customer in dunning, and when.
    Preview {
        /// Customer id.
        customer_id: String,
    },
    /// Messages written to a customer (newest first).
    Messages {
        /// Customer id.
        customer_id: String,
        /// Print the texts too.
        #[arg(long)]
        full: bool,
    },
    /// The active dunning policy (or one version), as JSON.
    DunningPolicy {
        /// A version (default: the active one).
        #[arg(long, default_value_t = 0)]
        version: i64,
    },
    /// Upload a dunning policy (JSON); validated and stored as the next version, a proposal
    /// until another manager approves it (approve-dunning-policy).
    UploadDunningPolicy {
        /// The document.
        file: PathBuf,
    },
    /// Approve a proposed dunning policy version and put it in force (not its uploader).
    ApproveDunningPolicy {
        /// The version.
        version: i64,
    },
    /// Open a dispute on (part of) an invoice; dunning stops on the amount.
    Dispute {
        /// The invoice.
        invoice_id: String,
        /// Amount disputed.
        #[arg(long)]
        amount: String,
        /// Its currency (the invoice's).
        #[arg(long, default_value = "EUR")]
        currency: String,
        /// price, quantity, damaged, not-received, duplicate or other.
        #[arg(long)]
        reason: String,
        /// What the customer says.
        #[arg(long)]
        comment: String,
        /// The line or item.
        #[arg(long, default_value = "")]
        line: String,
    },
    /// Resolve a dispute: by a credit note booked on the invoice, or rejected.
    Resolve {
        /// The dispute.
        dispute_id: String,
        /// The credit note (else the dispute is rejected).
        #[arg(long)]
        credit_note: Option<String>,
        /// Why: recorded with the change and shown in the audit trail.
        #[arg(long)]
        comment: String,
    },
    /// Attach a document (a delivery note, a photo) to a dispute.
    Attach {
        /// The dispute.
        dispute_id: String,
        /// The file.
        file: PathBuf,
        /// MIME type (default: from the file's extension).
        #[arg(long)]
        content_type: Option<String>,
    },
    /// Download a dispute's document (verified against its SHA-256).
    DisputeDocument {
        /// The dispute.
        dispute_id: String,
        /// The document's SHA-256.
        sha256: String,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
    /// Disputes, newest first.
    Disputes {
        /// Only this customer.
        #[arg(long, default_value = "")]
        customer: String,
        /// OPEN, RESOLVED_BY_CREDIT_NOTE or REJECTED.
        #[arg(long, default_value = "")]
        state: String,
    },
    /// Record a promise to pay; dunning waits for it.
    Promise {
        /// The customer.
        customer_id: String,
        /// Amount promised.
        #[arg(long)]
        amount: String,
        /// Its currency.
        #[arg(long, default_value = "EUR")]
        currency: String,
        /// By when, YYYY-MM-DD.
        #[arg(long)]
        by: String,
        /// How it was promised.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// A customer's promises and whether they were kept.
    Promises {
        /// The customer.
        customer_id: String,
    },
    /// Ask to write off (part of) an invoice; someone else with the authority decides.
    WriteOff {
        /// The invoice.
        invoice_id: String,
        /// Amount to write off.
        #[arg(long)]
        amount: String,
        /// Its currency (the invoice's).
        #[arg(long, default_value = "EUR")]
        currency: String,
        /// Why it cannot be collected.
        #[arg(long)]
        reason: String,
        /// An open dispute on the invoice it settles.
        #[arg(long, default_value = "")]
        dispute: String,
    },
    /// Approve or reject a requested write-off.
    DecideWriteOff {
        /// The write-off.
        write_off_id: String,
        /// Reject instead of approving.
        #[arg(long)]
        reject: bool,
        /// Why: recorded with the change and shown in the audit trail.
        #[arg(long)]
        comment: String,
    },
    /// Record money recovered on a written-off invoice.
    Recover {
        /// The write-off.
        write_off_id: String,
        /// Amount recovered.
        #[arg(long)]
        amount: String,
        /// Its currency (the write-off's).
        #[arg(long, default_value = "EUR")]
        currency: String,
        /// The day it arrived, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// The payment's reference.
        #[arg(long, default_value = "")]
        reference: String,
    },
    /// Agree a payment plan over open invoices; dunning leaves them alone while it is kept.
    Plan {
        /// The customer.
        customer_id: String,
        /// The invoices, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        invoices: Vec<String>,
        /// An instalment as DATE:AMOUNT ("2026-12-10:500"); repeat in date order.
        #[arg(long = "instalment", required = true)]
        instalments: Vec<String>,
        /// Days after an instalment's date before it counts as missed.
        #[arg(long, default_value_t = 0)]
        grace_days: i32,
        /// How it was agreed.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// A customer's payment plans and their instalments.
    Plans {
        /// The customer.
        customer_id: String,
    },
    /// The collector's worklist: cases ranked by expected loss and urgency, with the next action.
    Worklist {
        /// Only this collector's customers.
        #[arg(long, default_value = "")]
        collector: String,
        /// Only this segment.
        #[arg(long, default_value = "")]
        segment: String,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i32,
    },
    /// Assign customers or segments to a collector (managers).
    Assign {
        /// The collector (their token subject); "" clears.
        collector: String,
        /// Customers, comma-separated.
        #[arg(long, value_delimiter = ',')]
        customers: Vec<String>,
        /// Segments, comma-separated.
        #[arg(long, value_delimiter = ',')]
        segments: Vec<String>,
    },
    /// Log what was done with a customer: a call, a note…
    Activity {
        /// The customer.
        customer_id: String,
        /// call, email, letter, visit or note.
        #[arg(long, default_value = "call")]
        kind: String,
        /// reached, no-answer, promised, disputed or refused (none when not given).
        #[arg(long, default_value = "")]
        outcome: String,
        /// What was said or done.
        #[arg(long)]
        note: String,
        /// When to come back to it, YYYY-MM-DD.
        #[arg(long, default_value = "")]
        follow_up: String,
    },
    /// A customer's activity log.
    Activities {
        /// The customer.
        customer_id: String,
    },
    /// Open receivables under the statute of limitations, earliest deadline first.
    Limitations {
        /// Only this customer.
        #[arg(long, default_value = "")]
        customer: String,
        /// Only deadlines within this many days.
        #[arg(long, default_value_t = 0)]
        within_days: i32,
    },
    /// Record an act that starts limitation periods again.
    LimitationAct {
        /// The customer.
        customer_id: String,
        /// acknowledgement, formal-notice or legal-action.
        #[arg(long)]
        kind: String,
        /// Its date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// The receivables, comma-separated (default: all due by the date).
        #[arg(long, value_delimiter = ',')]
        invoices: Vec<String>,
        /// What it is.
        #[arg(long)]
        note: String,
    },
    /// Dispute counts and resolution times by reason over a period.
    DisputeMetrics {
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD (default today).
        #[arg(long, default_value = "")]
        to: String,
        /// portfolio, customer, group, segment, region, currency or collector.
        #[arg(long, default_value = "portfolio")]
        by: String,
    },
    /// Write-offs, newest first.
    WriteOffs {
        /// Only this customer.
        #[arg(long, default_value = "")]
        customer: String,
        /// REQUESTED, APPROVED or REJECTED.
        #[arg(long, default_value = "")]
        state: String,
    },
    /// DSO, best possible DSO, ADD, CEI, overdue share and the write-off trend over a period.
    Metrics {
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD (default today).
        #[arg(long, default_value = "")]
        to: String,
        /// portfolio, customer, group, segment, region, currency or collector.
        #[arg(long, default_value = "portfolio")]
        by: String,
        /// Only this customer.
        #[arg(long, default_value = "")]
        customer: String,
    },
}

fn group_by(by: &str) -> anyhow::Result<pb::AgingGroup> {
    Ok(match by.to_lowercase().as_str() {
        "portfolio" => pb::AgingGroup::Portfolio,
        "customer" => pb::AgingGroup::Customer,
        "group" => pb::AgingGroup::Group,
        "segment" => pb::AgingGroup::Segment,
        "region" => pb::AgingGroup::Region,
        "currency" => pb::AgingGroup::Currency,
        "collector" => pb::AgingGroup::Collector,
        other => anyhow::bail!(
            "--by {other}: portfolio, customer, group, segment, region, currency or collector"
        ),
    })
}

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The rows of a CSV export, numbered as in the file (the header is line 1).
fn read_csv(file: &PathBuf) -> anyhow::Result<Vec<pb::DocumentRow>> {
    let text = std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .context("the file is empty")?
        .split(',')
        .map(str::trim)
        .collect();
    let column = |name: &str| header.iter().position(|h| *h == name);
    let required = [
        "document_id",
        "customer_id",
        "kind",
        "amount",
        "currency",
        "issue_date",
    ];
    for name in required {
        column(name).with_context(|| format!("the header has no {name} column"))?;
    }
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let cell = |name: &str| -> String {
            column(name)
                .and_then(|c| cells.get(c))
                .map(|s| s.to_string())
                .unwrap_or_default()
        };
        let kind = match cell("kind").to_uppercase().as_str() {
            "INVOICE" => pb::DocumentKind::Invoice,
            "CREDIT_NOTE" => pb::DocumentKind::CreditNote,
            "PAYMENT" => pb::DocumentKind::Payment,
            _ => pb::DocumentKind::Unspecified,
        };
        let allocations = cell("allocations")
            .split(';')
            .filter(|a| !a.trim().is_empty())
            .map(|a| {
                let (invoice_id, amount) = a.split_once(':').unwrap_or((a, ""));
                // In the document's currency.
                pb::Allocation {
                    invoice_id: invoice_id.trim().to_string(),
                    amount: Some(Money {
                        amount: amount.trim().to_string(),
                        currency_code: cell("currency"),
                    }),
                }
            })
            .collect();
        rows.push(pb::DocumentRow {
            row_number: i as i64 + 2,
            document: Some(pb::ReceivableDocument {
                document_id: cell("document_id"),
                customer_id: cell("customer_id"),
                kind: kind as i32,
                amount: Some(Money {
                    amount: cell("amount"),
                    currency_code: cell("currency"),
                }),
                issue_date: Date::read(&cell("issue_date")),
                due_date: Date::read(&cell("due_date")),
                payment_terms_days: cell("payment_terms_days").parse().unwrap_or(0),
                order_id: cell("order_id"),
                reference: cell("reference"),
                allocations,
                ..Default::default()
            }),
        });
    }
    Ok(rows)
}

/// Runs a collections command through the gateway.
pub async fn run(
    command: CollectionsCommand,
    channel: Channel,
    token: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let mut c: Client = CollectionsServiceClient::with_interceptor(channel, BearerToken(token));
    let c = &mut c;
    // Each area runs the commands it knows and hands the others on.
    let Some(command) = ledger::run(command, c, json).await? else {
        return Ok(());
    };
    let Some(command) = dunning::run(command, c, json).await? else {
        return Ok(());
    };
    let Some(command) = disputes::run(command, c, json).await? else {
        return Ok(());
    };
    let Some(command) = commitments::run(command, c, json).await? else {
        return Ok(());
    };
    let Some(command) = write_offs::run(command, c, json).await? else {
        return Ok(());
    };
    let Some(command) = desk::run(command, c, json).await? else {
        return Ok(());
    };
    anyhow::bail!("no area of creditctl collections runs {command:?}")
}
