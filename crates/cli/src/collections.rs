//! `creditctl collections`: the receivables ledger — customer profiles, CSV import, documents,
//! statements of account, aging.
use crate::output::{self, fields, table};
use anyhow::Context;
use clap::Subcommand;
use credit_client::BearerToken;
use credit_proto::collections as pb;
use credit_proto::collections::collections_service_client::CollectionsServiceClient;
use credit_proto::collections::import_documents_request::Part;
use credit_proto::types::Money;
use std::path::PathBuf;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

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
    /// Upload a dunning policy (JSON); validated and stored as the next version.
    UploadDunningPolicy {
        /// The document.
        file: PathBuf,
        /// Make it active at once.
        #[arg(long)]
        activate: bool,
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
        /// reached, no-answer, promised, disputed, refused or none.
        #[arg(long, default_value = "none")]
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

fn metrics_text(m: &pb::CollectionMetrics) -> String {
    let rows = m
        .rows
        .iter()
        .map(|r| {
            vec![
                if r.key.is_empty() {
                    "portfolio".into()
                } else {
                    r.key.clone()
                },
                r.currency_code.clone(),
                r.credit_sales.clone(),
                r.closing_receivables.clone(),
                r.days_sales_outstanding.clone(),
                r.best_possible_dso.clone(),
                r.average_days_delinquent.clone(),
                r.collection_effectiveness_index.clone(),
                r.overdue_share.clone(),
                r.written_off.clone(),
                r.write_off_share.clone(),
            ]
        })
        .collect();
    format!(
        "{} to {} ({} days)\n{}",
        m.start_date,
        m.end_date,
        m.days,
        table(
            &[
                "group",
                "currency",
                "credit sales",
                "closing AR",
                "DSO",
                "best DSO",
                "ADD",
                "CEI %",
                "overdue share",
                "written off",
                "write-off share"
            ],
            rows
        )
    )
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
                pb::Allocation {
                    invoice_id: invoice_id.trim().to_string(),
                    amount: amount.trim().to_string(),
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
                issue_date: cell("issue_date"),
                due_date: cell("due_date"),
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

fn report_text(r: &pb::ImportReport) -> String {
    let mut text = fields(&[
        ("rows", r.rows.to_string()),
        ("created", r.created.to_string()),
        ("updated", r.updated.to_string()),
        ("unchanged", r.unchanged.to_string()),
        ("rejected", r.rejected.len().to_string()),
        (
            "applied",
            if r.rolled_back {
                "nothing (all-or-nothing)".into()
            } else {
                "the valid rows".into()
            },
        ),
    ]);
    if !r.rejected.is_empty() {
        let rows = r
            .rejected
            .iter()
            .map(|x| {
                vec![
                    x.row_number.to_string(),
                    x.document_id.clone(),
                    x.field.clone(),
                    x.message.clone(),
                ]
            })
            .collect();
        text.push('\n');
        text.push_str(&table(&["row", "document", "field", "problem"], rows));
    }
    text
}

fn document_text(d: &pb::ReceivableDocument) -> String {
    let mut rows = vec![
        ("document", d.document_id.clone()),
        ("customer", d.customer_id.clone()),
        (
            "kind",
            output::enum_name("credit.collections.v1.DocumentKind", d.kind),
        ),
        ("amount", output::money(&d.amount)),
        ("open", d.open_amount.clone()),
        ("issued", d.issue_date.clone()),
    ];
    if !d.due_date.is_empty() {
        rows.push(("due", d.due_date.clone()));
    }
    if !d.order_id.is_empty() {
        rows.push(("order", d.order_id.clone()));
    }
    for a in &d.allocations {
        rows.push(("applies to", format!("{} {}", a.invoice_id, a.amount)));
    }
    for a in &d.applied {
        rows.push((
            "paid by",
            format!("{} {} on {}", a.document_id, a.amount, a.applied_date),
        ));
    }
    rows.push(("version", d.version.to_string()));
    fields(&rows)
}

fn plan_text(p: &pb::PaymentPlan) -> String {
    let rows = p
        .instalments
        .iter()
        .map(|i| {
            vec![
                i.due_date.clone(),
                i.amount.clone(),
                i.paid_amount.clone(),
                i.state.clone(),
            ]
        })
        .collect();
    format!(
        "plan {} ({}): {} {} over {}, paid {}{}\n{}",
        p.plan_id,
        p.state,
        p.total_amount,
        p.currency_code,
        p.invoice_ids.join(", "),
        p.paid_amount,
        if p.breached_instalment_date.is_empty() {
            String::new()
        } else {
            format!(", missed the instalment of {}", p.breached_instalment_date)
        },
        table(&["due", "amount", "paid", "state"], rows)
    )
}

fn write_off_text(w: &pb::WriteOff) -> String {
    let mut rows = vec![
        ("write-off", w.write_off_id.clone()),
        ("invoice", w.invoice_id.clone()),
        ("amount", output::money(&w.amount)),
        ("state", w.state.clone()),
        ("needs", w.required_role.clone()),
        ("requested by", w.requested_by.clone()),
        ("reason", w.reason.clone()),
    ];
    if !w.decided_by.is_empty() {
        rows.push(("decided by", w.decided_by.clone()));
        rows.push(("comment", w.decision_comment.clone()));
    }
    if !w.recoveries.is_empty() {
        rows.push(("recovered", w.recovered_amount.clone()));
    }
    fields(&rows)
}

fn dispute_text(d: &pb::Dispute) -> String {
    let mut rows = vec![
        ("dispute", d.dispute_id.clone()),
        ("invoice", d.invoice_id.clone()),
        ("amount", output::money(&d.amount)),
        (
            "reason",
            output::enum_name("credit.collections.v1.DisputeReason", d.reason),
        ),
        ("state", d.state.clone()),
        ("due", d.due_date.clone()),
        ("owner", d.owner.clone()),
    ];
    for c in &d.comments {
        rows.push(("comment", format!("{}: {}", c.author, c.text)));
    }
    for doc in &d.documents {
        rows.push((
            "document",
            format!(
                "{} ({} bytes, sha256 {})",
                doc.file_name, doc.size_bytes, doc.sha256
            ),
        ));
    }
    fields(&rows)
}

fn statement_text(list: &pb::ListDocumentsResponse) -> String {
    let rows = list
        .documents
        .iter()
        .map(|d| {
            vec![
                d.document_id.clone(),
                output::enum_name("credit.collections.v1.DocumentKind", d.kind),
                d.issue_date.clone(),
                d.due_date.clone(),
                output::money(&d.amount),
                d.open_amount.clone(),
            ]
        })
        .collect();
    table(
        &["document", "kind", "issued", "due", "amount", "open"],
        rows,
    )
}

fn aging_text(a: &pb::Aging) -> String {
    let Some(first) = a.rows.first() else {
        return format!("nothing open as of {}", a.as_of_date);
    };
    let mut header: Vec<String> = vec!["group".into(), "currency".into()];
    header.extend(first.buckets.iter().map(|b| b.label.clone()));
    header.extend(["total".into(), "overdue".into(), "unapplied".into()]);
    let rows = a
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![
                if r.key.is_empty() {
                    "portfolio".into()
                } else {
                    r.key.clone()
                },
                r.currency_code.clone(),
            ];
            row.extend(r.buckets.iter().map(|b| b.amount.clone()));
            row.extend([r.total.clone(), r.overdue.clone(), r.unapplied.clone()]);
            row
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    format!("as of {}\n{}", a.as_of_date, table(&header, rows))
}

/// Runs a collections command through the gateway.
pub async fn run(
    command: CollectionsCommand,
    channel: Channel,
    token: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let mut c: Client = CollectionsServiceClient::with_interceptor(channel, BearerToken(token));
    match command {
        CollectionsCommand::Customer {
            customer_id,
            name,
            segment,
            region,
            group,
            language,
            time_zone,
            email,
            risk_class,
            jurisdiction,
            collector,
        } => {
            let customer = c
                .put_customer(pb::PutCustomerRequest {
                    customer: Some(pb::Customer {
                        customer_id,
                        name,
                        segment,
                        region,
                        group_id: group,
                        language,
                        time_zone,
                        email,
                        risk_class,
                        jurisdiction,
                        collector,
                        ..Default::default()
                    }),
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &customer, "credit.collections.v1.Customer", |c| {
                format!("customer {} recorded (group {})", c.customer_id, c.group_id)
            })
        }
        CollectionsCommand::Import {
            file,
            all_or_nothing,
        } => {
            let rows = read_csv(&file)?;
            let mut messages = vec![pb::ImportDocumentsRequest {
                part: Some(Part::Options(pb::ImportOptions {
                    all_or_nothing,
                    source: file
                        .file_name()
                        .map(|f| f.to_string_lossy().to_string())
                        .unwrap_or_default(),
                })),
            }];
            messages.extend(rows.into_iter().map(|row| pb::ImportDocumentsRequest {
                part: Some(Part::Row(row)),
            }));
            let report = c
                .import_documents(tokio_stream::iter(messages))
                .await?
                .into_inner();
            output::print(
                json,
                &report,
                "credit.collections.v1.ImportReport",
                report_text,
            )
        }
        CollectionsCommand::Document { document_id } => {
            let d = c
                .get_document(pb::GetDocumentRequest { document_id })
                .await?
                .into_inner();
            output::print(
                json,
                &d,
                "credit.collections.v1.ReceivableDocument",
                document_text,
            )
        }
        CollectionsCommand::Statement { customer_id } => {
            let list = c
                .list_documents(pb::ListDocumentsRequest {
                    customer_id,
                    open_only: true,
                    page_size: 1000,
                    ..Default::default()
                })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListDocumentsResponse",
                statement_text,
            )
        }
        CollectionsCommand::Aging {
            as_of,
            buckets,
            by,
            customer,
        } => {
            let group_by = group_by(&by)?;
            let aging = c
                .get_aging(pb::GetAgingRequest {
                    as_of_date: as_of,
                    bucket_days: buckets,
                    group_by: group_by as i32,
                    customer_id: customer,
                })
                .await?
                .into_inner();
            output::print(json, &aging, "credit.collections.v1.Aging", aging_text)
        }
        CollectionsCommand::Dun { customer } => {
            let run = c
                .run_dunning(pb::RunDunningRequest {
                    customer_id: customer,
                })
                .await?
                .into_inner();
            output::print(json, &run, "credit.collections.v1.DunningRun", |r| {
                let rows = r
                    .actions
                    .iter()
                    .map(|a| {
                        vec![
                            a.customer_id.clone(),
                            a.currency_code.clone(),
                            a.step_code.clone(),
                            a.outcome.clone(),
                            a.detail.clone(),
                        ]
                    })
                    .collect();
                table(&["customer", "currency", "step", "outcome", "detail"], rows)
            })
        }
        CollectionsCommand::Preview { customer_id } => {
            let preview = c
                .get_dunning_preview(pb::GetDunningPreviewRequest { customer_id })
                .await?
                .into_inner();
            output::print(
                json,
                &preview,
                "credit.collections.v1.DunningPreview",
                |p| {
                    p.plans
                    .iter()
                    .map(|plan| {
                        let rows = plan
                            .next_steps
                            .iter()
                            .map(|s| {
                                vec![
                                    s.date.clone(),
                                    s.step_code.clone(),
                                    s.channel.clone(),
                                    s.consequence.clone(),
                                ]
                            })
                            .collect();
                        format!(
                            "{} — strategy {}, anchor {} due {}, last step {}, open {}, overdue {}\n{}",
                            plan.currency_code,
                            plan.strategy,
                            plan.anchor_document_id,
                            plan.anchor_due_date,
                            if plan.last_step_code.is_empty() {
                                "none"
                            } else {
                                &plan.last_step_code
                            },
                            plan.open_amount,
                            plan.overdue_amount,
                            table(&["when", "step", "channel", "consequence"], rows)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
                },
            )
        }
        CollectionsCommand::Messages { customer_id, full } => {
            let list = c
                .list_messages(pb::ListMessagesRequest { customer_id })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListMessagesResponse",
                |l| {
                    if full {
                        return l
                            .messages
                            .iter()
                            .map(|m| {
                                format!(
                                    "{} {} {} to {}\nSubject: {}\n\n{}\n",
                                    output::time(&m.create_time),
                                    m.step_code,
                                    m.state,
                                    m.recipient,
                                    m.subject,
                                    m.body
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("\n");
                    }
                    let rows = l
                        .messages
                        .iter()
                        .map(|m| {
                            vec![
                                output::time(&m.create_time),
                                m.step_code.clone(),
                                m.state.clone(),
                                m.recipient.clone(),
                                m.subject.clone(),
                                m.last_error.clone(),
                            ]
                        })
                        .collect();
                    table(
                        &["written", "step", "state", "to", "subject", "last error"],
                        rows,
                    )
                },
            )
        }
        CollectionsCommand::DunningPolicy { version } => {
            let policy = c
                .get_dunning_policy(pb::GetDunningPolicyRequest { version })
                .await?
                .into_inner();
            println!("{}", policy.document_json);
            Ok(())
        }
        CollectionsCommand::UploadDunningPolicy { file, activate } => {
            let document_json =
                std::fs::read_to_string(&file).with_context(|| format!("{}", file.display()))?;
            let policy = c
                .upload_dunning_policy(pb::UploadDunningPolicyRequest {
                    document_json,
                    activate,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            println!(
                "dunning policy v{} \"{}\" stored{}",
                policy.version,
                policy.name,
                if policy.active { " and active" } else { "" }
            );
            Ok(())
        }
        CollectionsCommand::Dispute {
            invoice_id,
            amount,
            currency,
            reason,
            comment,
            line,
        } => {
            let reason = match reason.to_lowercase().replace('-', "_").as_str() {
                "price" => pb::DisputeReason::Price,
                "quantity" => pb::DisputeReason::Quantity,
                "damaged" => pb::DisputeReason::Damaged,
                "not_received" => pb::DisputeReason::NotReceived,
                "duplicate" => pb::DisputeReason::Duplicate,
                "other" => pb::DisputeReason::Other,
                other => anyhow::bail!(
                    "--reason {other}: price, quantity, damaged, not-received, duplicate or other"
                ),
            };
            let d = c
                .open_dispute(pb::OpenDisputeRequest {
                    invoice_id,
                    amount: Some(Money {
                        amount,
                        currency_code: currency,
                    }),
                    reason: reason as i32,
                    line,
                    owner: String::new(),
                    comment,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &d, "credit.collections.v1.Dispute", dispute_text)
        }
        CollectionsCommand::Resolve {
            dispute_id,
            credit_note,
            comment,
        } => {
            let d = c
                .resolve_dispute(pb::ResolveDisputeRequest {
                    dispute_id,
                    resolution: if credit_note.is_some() {
                        "CREDIT_NOTE"
                    } else {
                        "REJECTED"
                    }
                    .into(),
                    credit_note_id: credit_note.unwrap_or_default(),
                    comment,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &d, "credit.collections.v1.Dispute", dispute_text)
        }
        CollectionsCommand::Attach {
            dispute_id,
            file,
            content_type,
        } => {
            let content_type = match content_type {
                Some(t) => t,
                None => crate::applications::content_type_of(&file)?,
            };
            let content = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
            let d = c
                .attach_dispute_document(pb::AttachDisputeDocumentRequest {
                    dispute_id,
                    file_name: file
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    content_type,
                    content,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &d, "credit.collections.v1.Dispute", dispute_text)
        }
        CollectionsCommand::DisputeDocument {
            dispute_id,
            sha256,
            out,
        } => {
            let d = c
                .get_dispute_document(pb::GetDisputeDocumentRequest { dispute_id, sha256 })
                .await?
                .into_inner();
            std::fs::write(&out, &d.content)
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", out.display()))?;
            println!(
                "{} bytes written to {} (SHA-256 verified)",
                d.content.len(),
                out.display()
            );
            Ok(())
        }
        CollectionsCommand::Disputes { customer, state } => {
            let list = c
                .list_disputes(pb::ListDisputesRequest {
                    customer_id: customer,
                    state: state.to_uppercase(),
                })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListDisputesResponse",
                |l| {
                    let rows = l
                        .disputes
                        .iter()
                        .map(|d| {
                            vec![
                                d.dispute_id.clone(),
                                d.customer_id.clone(),
                                d.invoice_id.clone(),
                                output::money(&d.amount),
                                output::enum_name("credit.collections.v1.DisputeReason", d.reason),
                                d.state.clone(),
                                d.due_date.clone(),
                                d.owner.clone(),
                            ]
                        })
                        .collect();
                    table(
                        &[
                            "dispute", "customer", "invoice", "amount", "reason", "state", "due",
                            "owner",
                        ],
                        rows,
                    )
                },
            )
        }
        CollectionsCommand::Promise {
            customer_id,
            amount,
            currency,
            by,
            note,
        } => {
            let p = c
                .record_promise(pb::RecordPromiseRequest {
                    customer_id,
                    amount: Some(Money {
                        amount,
                        currency_code: currency,
                    }),
                    promised_date: by,
                    note,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &p, "credit.collections.v1.Promise", |p| {
                format!(
                    "promise {}: {} by {} ({})",
                    p.promise_id,
                    output::money(&p.amount),
                    p.promised_date,
                    p.state
                )
            })
        }
        CollectionsCommand::Promises { customer_id } => {
            let list = c
                .list_promises(pb::ListPromisesRequest { customer_id })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListPromisesResponse",
                |l| {
                    let rows = l
                        .promises
                        .iter()
                        .map(|p| {
                            vec![
                                output::time(&p.record_time),
                                output::money(&p.amount),
                                p.promised_date.clone(),
                                p.state.clone(),
                                p.paid_amount.clone(),
                                p.note.clone(),
                            ]
                        })
                        .collect();
                    table(&["recorded", "amount", "by", "state", "paid", "note"], rows)
                },
            )
        }
        CollectionsCommand::WriteOff {
            invoice_id,
            amount,
            currency,
            reason,
            dispute,
        } => {
            let w = c
                .request_write_off(pb::RequestWriteOffRequest {
                    invoice_id,
                    amount: Some(Money {
                        amount,
                        currency_code: currency,
                    }),
                    reason,
                    dispute_id: dispute,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &w, "credit.collections.v1.WriteOff", write_off_text)
        }
        CollectionsCommand::DecideWriteOff {
            write_off_id,
            reject,
            comment,
        } => {
            let w = c
                .decide_write_off(pb::DecideWriteOffRequest {
                    write_off_id,
                    approve: !reject,
                    comment,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &w, "credit.collections.v1.WriteOff", write_off_text)
        }
        CollectionsCommand::Recover {
            write_off_id,
            amount,
            currency,
            date,
            reference,
        } => {
            let w = c
                .record_recovery(pb::RecordRecoveryRequest {
                    write_off_id,
                    amount: Some(Money {
                        amount,
                        currency_code: currency,
                    }),
                    date,
                    reference,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &w, "credit.collections.v1.WriteOff", write_off_text)
        }
        CollectionsCommand::Plan {
            customer_id,
            invoices,
            instalments,
            grace_days,
            note,
        } => {
            let instalments = instalments
                .iter()
                .map(|text| {
                    let (date, amount) = text.split_once(':').ok_or_else(|| {
                        anyhow::anyhow!("--instalment {text}: DATE:AMOUNT (\"2026-12-10:500\")")
                    })?;
                    Ok(pb::Instalment {
                        due_date: date.trim().to_string(),
                        amount: amount.trim().to_string(),
                        ..Default::default()
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let p = c
                .create_payment_plan(pb::CreatePaymentPlanRequest {
                    customer_id,
                    invoice_ids: invoices,
                    instalments,
                    grace_days,
                    note,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &p, "credit.collections.v1.PaymentPlan", plan_text)
        }
        CollectionsCommand::Plans { customer_id } => {
            let list = c
                .list_payment_plans(pb::ListPaymentPlansRequest { customer_id })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListPaymentPlansResponse",
                |l| {
                    l.payment_plans
                        .iter()
                        .map(plan_text)
                        .collect::<Vec<_>>()
                        .join("\n")
                },
            )
        }
        CollectionsCommand::Worklist {
            collector,
            segment,
            limit,
        } => {
            let list = c
                .get_worklist(pb::GetWorklistRequest {
                    collector,
                    segment,
                    limit,
                })
                .await?
                .into_inner();
            output::print(json, &list, "credit.collections.v1.Worklist", |l| {
                let rows = l
                    .items
                    .iter()
                    .map(|i| {
                        vec![
                            i.rank.to_string(),
                            i.customer_id.clone(),
                            format!("{} {}", i.overdue_amount, i.currency_code),
                            i.days_past_due.to_string(),
                            i.probability_of_default.clone(),
                            i.priority.clone(),
                            i.action.clone(),
                            i.reason.clone(),
                            i.collector.clone(),
                        ]
                    })
                    .collect();
                format!(
                    "as of {}\n{}",
                    l.as_of_date,
                    table(
                        &[
                            "#",
                            "customer",
                            "overdue",
                            "days",
                            "PD",
                            "priority",
                            "action",
                            "why",
                            "collector",
                        ],
                        rows,
                    )
                )
            })
        }
        CollectionsCommand::Assign {
            collector,
            customers,
            segments,
        } => {
            let done = c
                .assign_collector(pb::AssignCollectorRequest {
                    collector: collector.clone(),
                    customer_ids: customers,
                    segments,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(
                json,
                &done,
                "credit.collections.v1.AssignCollectorResponse",
                |d| {
                    format!(
                        "{collector}: {} customers, {} segments assigned",
                        d.customers_assigned, d.segments_assigned
                    )
                },
            )
        }
        CollectionsCommand::Activity {
            customer_id,
            kind,
            outcome,
            note,
            follow_up,
        } => {
            let a = c
                .log_activity(pb::LogActivityRequest {
                    customer_id,
                    kind: kind.to_uppercase().replace('-', "_"),
                    outcome: outcome.to_uppercase().replace('-', "_"),
                    note,
                    follow_up_date: follow_up,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(json, &a, "credit.collections.v1.Activity", |a| {
                format!("{} {} ({}) logged", a.kind, a.customer_id, a.outcome)
            })
        }
        CollectionsCommand::Activities { customer_id } => {
            let list = c
                .list_activities(pb::ListActivitiesRequest { customer_id })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListActivitiesResponse",
                |l| {
                    let rows = l
                        .activities
                        .iter()
                        .map(|a| {
                            vec![
                                output::time(&a.record_time),
                                a.collector.clone(),
                                a.kind.clone(),
                                a.outcome.clone(),
                                a.follow_up_date.clone(),
                                a.note.clone(),
                            ]
                        })
                        .collect();
                    table(
                        &["when", "collector", "kind", "outcome", "follow-up", "note"],
                        rows,
                    )
                },
            )
        }
        CollectionsCommand::Limitations {
            customer,
            within_days,
        } => {
            let list = c
                .list_limitations(pb::ListLimitationsRequest {
                    customer_id: customer,
                    within_days,
                })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListLimitationsResponse",
                |l| {
                    let rows = l
                        .limitations
                        .iter()
                        .map(|s| {
                            vec![
                                s.customer_id.clone(),
                                s.document_id.clone(),
                                format!("{} {}", s.open_amount, s.currency_code),
                                s.jurisdiction.clone(),
                                s.period_start_date.clone(),
                                s.interrupted_by.clone(),
                                s.deadline_date.clone(),
                                s.days_left.to_string(),
                                s.state.clone(),
                            ]
                        })
                        .collect();
                    format!(
                        "as of {}\n{}",
                        l.as_of_date,
                        table(
                            &[
                                "customer",
                                "document",
                                "open",
                                "rule",
                                "since",
                                "restarted by",
                                "deadline",
                                "days left",
                                "state",
                            ],
                            rows,
                        )
                    )
                },
            )
        }
        CollectionsCommand::LimitationAct {
            customer_id,
            kind,
            date,
            invoices,
            note,
        } => {
            let recorded = c
                .record_limitation_act(pb::RecordLimitationActRequest {
                    customer_id,
                    invoice_ids: invoices,
                    kind: kind.to_uppercase().replace('-', "_"),
                    date,
                    note,
                    request_id: rid(),
                })
                .await?
                .into_inner();
            output::print(
                json,
                &recorded,
                "credit.collections.v1.RecordLimitationActResponse",
                |r| format!("{} act(s) recorded", r.act_ids.len()),
            )
        }
        CollectionsCommand::DisputeMetrics { from, to, by } => {
            let metrics = c
                .get_dispute_metrics(pb::GetDisputeMetricsRequest {
                    start_date: from,
                    end_date: to,
                    group_by: group_by(&by)? as i32,
                })
                .await?
                .into_inner();
            output::print(
                json,
                &metrics,
                "credit.collections.v1.DisputeMetrics",
                |m| {
                    let rows = m
                        .rows
                        .iter()
                        .map(|r| {
                            vec![
                                if r.key.is_empty() {
                                    "portfolio".into()
                                } else {
                                    r.key.clone()
                                },
                                r.reason.clone(),
                                r.currency_code.clone(),
                                r.opened.to_string(),
                                r.resolved.to_string(),
                                r.mean_resolution_days.clone(),
                                r.median_resolution_days.clone(),
                                r.open_at_end.to_string(),
                                r.past_due_at_end.to_string(),
                            ]
                        })
                        .collect();
                    format!(
                        "{} to {}\n{}",
                        m.start_date,
                        m.end_date,
                        table(
                            &[
                                "group",
                                "reason",
                                "currency",
                                "opened",
                                "resolved",
                                "mean days",
                                "median days",
                                "open at end",
                                "past due",
                            ],
                            rows,
                        )
                    )
                },
            )
        }
        CollectionsCommand::WriteOffs { customer, state } => {
            let list = c
                .list_write_offs(pb::ListWriteOffsRequest {
                    customer_id: customer,
                    state: state.to_uppercase(),
                })
                .await?
                .into_inner();
            output::print(
                json,
                &list,
                "credit.collections.v1.ListWriteOffsResponse",
                |l| {
                    let rows = l
                        .write_offs
                        .iter()
                        .map(|w| {
                            vec![
                                w.write_off_id.clone(),
                                w.customer_id.clone(),
                                w.invoice_id.clone(),
                                output::money(&w.amount),
                                w.state.clone(),
                                w.required_role.clone(),
                                w.recovered_amount.clone(),
                            ]
                        })
                        .collect();
                    table(
                        &[
                            "write-off",
                            "customer",
                            "invoice",
                            "amount",
                            "state",
                            "needs",
                            "recovered",
                        ],
                        rows,
                    )
                },
            )
        }
        CollectionsCommand::Metrics {
            from,
            to,
            by,
            customer,
        } => {
            let metrics = c
                .get_collection_metrics(pb::GetCollectionMetricsRequest {
                    start_date: from,
                    end_date: to,
                    group_by: group_by(&by)? as i32,
                    customer_id: customer,
                })
                .await?
                .into_inner();
            output::print(
                json,
                &metrics,
                "credit.collections.v1.CollectionMetrics",
                metrics_text,
            )
        }
    }
}
