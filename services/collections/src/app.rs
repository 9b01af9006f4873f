//! The ledger's use cases: customer profiles, imports idempotent by the ERP's document id,
//! allocations, documents and their versions, aging.
use crate::domain::aging::{Aging, Buckets};
use crate::domain::ledger::{
    Document, Kind, OpenInvoice, Problem, check_allocations, digits_of, from_minor, problem,
};
use crate::domain::metrics::{Figures, ratios};
use crate::store::{self, StoredDocument};
use credit_platform::begin_mutation;
use credit_platform::clock::{Micros, SharedClock, date_of_day, day_of, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::db::Db;
use credit_platform::error::ApiError;
use credit_platform::mutation;
use credit_platform::outbox::{self, FeedSignals, NewEvent};
use credit_proto::collections as pb;
use credit_proto::types::Money;
use prost::Message;
use serde_json::json;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A row of an import, numbered.
#[derive(Debug, Clone)]
pub struct Row {
    /// Its number in the source.
    pub number: i64,
    /// The document as sent.
    pub document: pb::ReceivableDocument,
    /// The document validated, or its problems.
    pub checked: Result<Document, Vec<Problem>>,
}

/// How a valid row was applied.
enum Applied {
    Created,
    Updated,
    Unchanged,
}

fn kind_of(kind: Kind) -> pb::DocumentKind {
    match kind {
        Kind::Invoice => pb::DocumentKind::Invoice,
        Kind::CreditNote => pb::DocumentKind::CreditNote,
        Kind::Payment => pb::DocumentKind::Payment,
        Kind::Fee => pb::DocumentKind::Fee,
        Kind::Interest => pb::DocumentKind::Interest,
        Kind::WriteOff => pb::DocumentKind::WriteOff,
    }
}

/// The canonical form of what the ERP wrote: input fields only, amounts in their currency's
/// form, so that sending the same document again compares equal.
fn canonical(d: &pb::ReceivableDocument, doc: &Document) -> pb::ReceivableDocument {
    pb::ReceivableDocument {
        document_id: doc.document_id.clone(),
        customer_id: doc.customer_id.clone(),
        kind: kind_of(doc.kind) as i32,
        amount: Some(Money {
            amount: from_minor(doc.amount, doc.digits),
            currency_code: doc.currency.clone(),
        }),
        issue_date: date_of_day(doc.issue_day),
        due_date: doc.due_day.map(date_of_day).unwrap_or_default(),
        payment_terms_days: d.payment_terms_days,
        order_id: d.order_id.clone(),
        allocations: doc
            .allocations
            .iter()
            .map(|(invoice_id, amount)| pb::Allocation {
                invoice_id: invoice_id.clone(),
                amount: from_minor(*amount, doc.digits),
            })
            .collect(),
        reference: d.reference.trim().to_string(),
        ..Default::default()
    }
}

/// The key `customer` falls under when grouping by `group_by` ("" for the portfolio).
pub(crate) fn group_key(
    profiles: &HashMap<String, store::Grouping>,
    group_by: pb::AgingGroup,
    customer: &str,
) -> String {
    let profile = profiles.get(customer);
    let field = |pick: fn(&store::Grouping) -> &String| {
        profile.map(|p| pick(p).clone()).unwrap_or_default()
    };
    match group_by {
        pb::AgingGroup::Customer => customer.to_string(),
        pb::AgingGroup::Group => Some(field(|p| &p.group_id))
            .filter(|g| !g.is_empty())
            .unwrap_or_else(|| customer.to_string()),
        pb::AgingGroup::Segment => field(|p| &p.segment),
        pb::AgingGroup::Region => field(|p| &p.region),
        pb::AgingGroup::Collector => field(|p| &p.collector),
        _ => String::new(),
    }
}

/// What the follow-ups of one group and currency add up to over a period.
#[derive(Debug, Clone, Copy, Default)]
struct FollowUps {
    disputed: i64,
    open_disputes: i64,
    promises_settled: i64,
    promises_kept: i64,
    written_off: i64,
    recovered: i64,
}

/// The follow-ups of a group and currency, which then has a metrics row even without sales.
fn follow_up<'a>(
    figures: &mut BTreeMap<(String, String), Figures>,
    follow_ups: &'a mut BTreeMap<(String, String), FollowUps>,
    key: String,
    currency: String,
) -> &'a mut FollowUps {
    figures.entry((key.clone(), currency.clone())).or_default();
    follow_ups.entry((key, currency)).or_default()
}

pub(crate) fn decimal_text(value: Option<rust_decimal::Decimal>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Recomputes an invoice's open amount; when it changed (or the invoice is new), says so on
/// the feed — what limits follows to keep exposure with the ledger.
pub(crate) async fn receivable_changed(
    tx: &mut AnyConnection,
    context: &RequestContext,
    now: Micros,
    invoice_id: &str,
    new: bool,
) -> Result<(), ApiError> {
    let Some(invoice) = store::document(tx, invoice_id).await? else {
        return Ok(());
    };
    let open = invoice.amount - store::applied_to(tx, invoice_id, "").await?;
    if open == invoice.open_amount && !new {
        return Ok(());
    }
    store::set_open(tx, invoice_id, open, now).await?;
    let body = pb::ReceivableDocument::decode(invoice.body.as_slice())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored document: {e}")))?;
    let digits = digits_of(&invoice.currency);
    outbox::append(
        tx,
        context,
        now,
        NewEvent {
            event_type: "credit.collections.receivable.changed",
            entity_type: "receivable",
            entity_id: invoice_id.to_string(),
            customer_id: invoice.customer_id.clone(),
            payload: json!({
                "invoice_id": invoice_id,
                "currency_code": invoice.currency,
                "amount": from_minor(invoice.amount, digits),
                "open_amount": from_minor(open, digits),
                "previous_open_amount": (!new).then(|| from_minor(invoice.open_amount, digits)),
                "issue_date": date_of_day(invoice.issue_day),
                "due_date": invoice.due_day.map(date_of_day),
                "order_id": body.order_id,
            }),
        },
    )
    .await?;
    Ok(())
}

/// The use cases.
#[derive(Clone)]
pub struct Ledger {
    db: Db,
    clock: SharedClock,
    signals: FeedSignals,
    /// Days past due after which a customer is said to be overdue (limits holds it); 0: never.
    hold_after_days: i64,
}

impl Ledger {
    /// Use cases over `db`.
    pub fn new(db: Db, clock: SharedClock, signals: FeedSignals, hold_after_days: i64) -> Self {
        Self {
            db,
            clock,
            signals,
            hold_after_days,
        }
    }

    /// Reviews the hold rule for `customers` inside the caller's transaction.
    async fn review_overdue(
        &self,
        tx: &mut AnyConnection,
        context: &RequestContext,
        now: Micros,
        customers: impl IntoIterator<Item = String>,
    ) -> Result<(), ApiError> {
        if self.hold_after_days == 0 {
            return Ok(());
        }
        for customer in customers {
            crate::overdue::review(
                tx,
                context,
                now,
                day_of(now),
                self.hold_after_days,
                &customer,
            )
            .await?;
        }
        Ok(())
    }

    /// Reviews the hold rule for every customer it may concern today; answers how many
    /// changed.
    pub async fn sweep_overdue(&self) -> Result<usize, ApiError> {
        if self.hold_after_days == 0 {
            return Ok(0);
        }
        let today = self.today();
        let customers = {
            let mut conn = self.db.pool.acquire().await?;
            crate::overdue::candidates(&mut conn, today, self.hold_after_days).await?
        };
        let context = RequestContext::system("overdue-sweep");
        let mut changed = 0;
        for customer in customers {
            let flipped = mutation::with_retry(|| async {
                let mut tx = self.db.begin_write().await?;
                let now = self.clock.now();
                let flipped = crate::overdue::review(
                    &mut tx,
                    &context,
                    now,
                    day_of(now),
                    self.hold_after_days,
                    &customer,
                )
                .await?;
                tx.commit().await?;
                Ok::<_, ApiError>(flipped)
            })
            .await?;
            if flipped {
                changed += 1;
                self.signals.notify_committed();
            }
        }
        Ok(changed)
    }

    /// Today by the service's clock.
    pub fn today(&self) -> i64 {
        day_of(self.clock.now())
    }

    /// Records or replaces a customer's profile.
    pub async fn put_customer(
        &self,
        context: &RequestContext,
        request: &pb::PutCustomerRequest,
    ) -> Result<pb::Customer, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "PutCustomer", request);
        let mut customer = request.customer.clone().unwrap_or_default();
        customer.probability_of_default.clear();
        customer.collector_in_charge.clear();
        if customer.group_id.is_empty() {
            customer.group_id = customer.customer_id.clone();
        }
        store::put_customer(&mut m.tx, &customer, m.now).await?;
        // Answer as GetCustomer would: with scoring's view and the collector in charge.
        let customer = store::customer(&mut m.tx, &customer.customer_id)
            .await?
            .unwrap_or(customer);
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            NewEvent {
                event_type: "credit.collections.customer.updated",
                entity_type: "customer",
                entity_id: customer.customer_id.clone(),
                customer_id: customer.customer_id.clone(),
                payload: json!({
                    "segment": customer.segment, "region": customer.region,
                    "group_id": customer.group_id, "language": customer.language,
                    "time_zone": customer.time_zone, "collector": customer.collector,
                }),
            },
        )
        .await?;
        mutation::finish(&self.signals, m, &customer).await?;
        Ok(customer)
    }

    /// A customer's profile.
    pub async fn customer(&self, customer_id: &str) -> Result<pb::Customer, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        store::customer(&mut conn, customer_id)
            .await?
            .ok_or_else(|| ApiError::NotFound {
                kind: "customer",
                id: customer_id.to_string(),
            })
    }

    /// Imports rows in order, in one transaction: each valid row is applied against the
    /// ledger as it stands (earlier rows included); rejected ones are reported. With
    /// `all_or_nothing`, one rejection applies nothing.
    pub async fn import(
        &self,
        context: &RequestContext,
        options: &pb::ImportOptions,
        rows: Vec<Row>,
    ) -> Result<pb::ImportReport, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "ImportDocuments", options);
        let mut report = pb::ImportReport {
            rows: rows.len() as i64,
            ..Default::default()
        };
        let mut customers = BTreeSet::new();
        for row in &rows {
            let outcome = match &row.checked {
                Err(problems) => Err(problems.clone()),
                Ok(doc) => self
                    .apply(
                        &mut m.tx,
                        context,
                        m.now,
                        &row.document,
                        doc,
                        &options.source,
                    )
                    .await?
                    .map_err(|p| vec![p]),
            };
            if let (Ok(Applied::Created | Applied::Updated), Ok(doc)) = (&outcome, &row.checked) {
                customers.insert(doc.customer_id.clone());
            }
            match outcome {
                Ok(Applied::Created) => report.created += 1,
                Ok(Applied::Updated) => report.updated += 1,
                Ok(Applied::Unchanged) => report.unchanged += 1,
                Err(problems) => {
                    report
                        .rejected
                        .extend(problems.into_iter().map(|p| pb::RejectedRow {
                            row_number: row.number,
                            document_id: row.document.document_id.clone(),
                            field: p.field,
                            message: p.message,
                        }))
                }
            }
        }
        if options.all_or_nothing && !report.rejected.is_empty() {
            // Dropping the transaction rolls every row back.
            drop(m);
            report.created = 0;
            report.updated = 0;
            report.unchanged = 0;
            report.rolled_back = true;
            return Ok(report);
        }
        metrics::counter!("collections_documents_imported_total")
            .increment((report.created + report.updated) as u64);
        for customer in &customers {
            crate::promises::settle(&mut m.tx, context, m.now, customer).await?;
            crate::plans::review(&mut m.tx, context, m.now, customer).await?;
            crate::behaviour::review(&mut m.tx, context, m.now, customer).await?;
        }
        self.review_overdue(&mut m.tx, context, m.now, customers)
            .await?;
        mutation::finish(&self.signals, m, &report).await?;
        Ok(report)
    }

    /// Applies one valid document: new, changed (a new version) or the same as stored.
    async fn apply(
        &self,
        tx: &mut AnyConnection,
        context: &RequestContext,
        now: Micros,
        sent: &pb::ReceivableDocument,
        doc: &Document,
        source: &str,
    ) -> Result<Result<Applied, Problem>, ApiError> {
        let body = canonical(sent, doc).encode_to_vec();
        let existing = store::document(tx, &doc.document_id).await?;
        if let Some(stored) = &existing {
            if stored.kind != doc.kind
                || stored.customer_id != doc.customer_id
                || stored.currency != doc.currency
            {
                return Ok(Err(problem(
                    "document.document_id",
                    format!(
                        "already a {} of {} in {}: a document keeps its kind, customer and \
                         currency",
                        stored.kind.name(),
                        stored.customer_id,
                        stored.currency
                    ),
                )));
            }
            if stored.body == body {
                return Ok(Ok(Applied::Unchanged));
            }
        }
        // Invoices whose open amount this row may change: itself, or those it applies to
        // (now and before).
        let mut touched: BTreeSet<String> = BTreeSet::new();
        // Receivables carry their own open amount; the other kinds settle receivables through
        // their allocations (the ERP sends invoices, credit notes and payments only).
        let open = match doc.kind {
            Kind::Invoice | Kind::Fee | Kind::Interest => {
                let applied = store::applied_to(tx, &doc.document_id, "").await?;
                if doc.amount < applied {
                    return Ok(Err(problem(
                        "document.amount.amount",
                        format!(
                            "below what is already applied to it ({})",
                            from_minor(applied, doc.digits)
                        ),
                    )));
                }
                touched.insert(doc.document_id.clone());
                doc.amount - applied
            }
            Kind::CreditNote | Kind::Payment | Kind::WriteOff => {
                let mut invoices = Vec::new();
                for (invoice_id, _) in &doc.allocations {
                    let invoice = match store::document(tx, invoice_id).await? {
                        // Fees and interest are owed like invoices: payments allocate to them.
                        Some(i) if i.kind.is_receivable() => Some(OpenInvoice {
                            applied_by_others: store::applied_to(tx, invoice_id, &doc.document_id)
                                .await?,
                            customer_id: i.customer_id,
                            currency: i.currency,
                            amount: i.amount,
                        }),
                        _ => None,
                    };
                    invoices.push(invoice);
                }
                if let Err(p) = check_allocations(doc, &invoices) {
                    return Ok(Err(p));
                }
                for (invoice_id, _) in store::allocations_of(tx, &doc.document_id).await? {
                    touched.insert(invoice_id);
                }
                for (invoice_id, _) in &doc.allocations {
                    touched.insert(invoice_id.clone());
                }
                store::replace_allocations(tx, &doc.document_id, &doc.allocations, doc.issue_day)
                    .await?;
                doc.amount - doc.allocated()
            }
        };
        let (version, created_at, applied) = match &existing {
            Some(stored) => (stored.version + 1, stored.created_at, Applied::Updated),
            None => (1, now, Applied::Created),
        };
        let stored = StoredDocument {
            document_id: doc.document_id.clone(),
            customer_id: doc.customer_id.clone(),
            kind: doc.kind,
            currency: doc.currency.clone(),
            amount: doc.amount,
            // An invoice's open amount moves in receivable_changed, which compares it with
            // what it was to say so on the feed.
            open_amount: match (&existing, doc.kind) {
                (Some(e), Kind::Invoice) => e.open_amount,
                _ => open,
            },
            issue_day: doc.issue_day,
            due_day: doc.due_day,
            body: body.clone(),
            version,
            created_at,
            updated_at: now,
        };
        store::save_document(tx, &stored, existing.is_none()).await?;
        store::insert_version(
            tx,
            &doc.document_id,
            version,
            &body,
            &context.caller.subject,
            source,
            now,
        )
        .await?;
        outbox::append(
            tx,
            context,
            now,
            NewEvent {
                event_type: if existing.is_none() {
                    "credit.collections.document.recorded"
                } else {
                    "credit.collections.document.updated"
                },
                entity_type: "document",
                entity_id: doc.document_id.clone(),
                customer_id: doc.customer_id.clone(),
                payload: json!({
                    "kind": doc.kind.name(),
                    "amount": from_minor(doc.amount, doc.digits),
                    "currency_code": doc.currency,
                    "issue_date": date_of_day(doc.issue_day),
                    "due_date": doc.due_day.map(date_of_day),
                    "allocations": doc.allocations.iter()
                        .map(|(i, a)| json!({"invoice_id": i, "amount": from_minor(*a, doc.digits)}))
                        .collect::<Vec<_>>(),
                    "version": version,
                    "source": source,
                }),
            },
        )
        .await?;
        for invoice_id in touched {
            receivable_changed(
                tx,
                context,
                now,
                &invoice_id,
                existing.is_none() && invoice_id == doc.document_id,
            )
            .await?;
        }
        Ok(Ok(applied))
    }

    /// After an approved write-off of `invoice_id`: its open amount and the customer's hold.
    pub(crate) async fn written_off(
        &self,
        tx: &mut AnyConnection,
        context: &RequestContext,
        now: Micros,
        invoice_id: &str,
        customer_id: &str,
    ) -> Result<(), ApiError> {
        receivable_changed(tx, context, now, invoice_id, false).await?;
        self.review_overdue(tx, context, now, [customer_id.to_string()])
            .await
    }

    /// Allocates more of a payment's or credit note's unapplied amount.
    pub async fn allocate(
        &self,
        context: &RequestContext,
        request: &pb::AllocateDocumentRequest,
    ) -> Result<pb::ReceivableDocument, ApiError> {
        let mut m = begin_mutation!(&self.db, &*self.clock, context, "AllocateDocument", request);
        let stored = store::document(&mut m.tx, &request.document_id)
            .await?
            .ok_or_else(|| ApiError::NotFound {
                kind: "document",
                id: request.document_id.clone(),
            })?;
        if stored.kind == Kind::Invoice {
            return Err(ApiError::StateConflict(format!(
                "{} is an INVOICE: only payments and credit notes allocate",
                request.document_id
            )));
        }
        let mut sent = pb::ReceivableDocument::decode(stored.body.as_slice())
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored document: {e}")))?;
        for added in &request.allocations {
            match sent
                .allocations
                .iter_mut()
                .find(|a| a.invoice_id == added.invoice_id)
            {
                Some(existing) => {
                    let sum = existing
                        .amount
                        .parse::<rust_decimal::Decimal>()
                        .unwrap_or_default()
                        + added
                            .amount
                            .parse::<rust_decimal::Decimal>()
                            .unwrap_or_default();
                    existing.amount = sum.to_string();
                }
                None => sent.allocations.push(added.clone()),
            }
        }
        let doc = crate::validate::document(&sent).map_err(|problems| {
            ApiError::InvalidArgument(
                problems
                    .into_iter()
                    .map(|p| {
                        credit_platform::error::FieldViolation::new(
                            p.field.replace("document.", ""),
                            p.message,
                        )
                    })
                    .collect(),
            )
        })?;
        match self
            .apply(&mut m.tx, context, m.now, &sent, &doc, "AllocateDocument")
            .await?
        {
            Ok(_) => {}
            Err(p) => {
                return Err(ApiError::InvalidArgument(vec![
                    credit_platform::error::FieldViolation::new(
                        p.field.replace("document.", ""),
                        p.message,
                    ),
                ]));
            }
        }
        self.review_overdue(&mut m.tx, context, m.now, [stored.customer_id.clone()])
            .await?;
        let answer = self.view(&mut m.tx, &request.document_id).await?;
        mutation::finish(&self.signals, m, &answer).await?;
        Ok(answer)
    }

    async fn view(
        &self,
        conn: &mut AnyConnection,
        document_id: &str,
    ) -> Result<pb::ReceivableDocument, ApiError> {
        let stored =
            store::document(conn, document_id)
                .await?
                .ok_or_else(|| ApiError::NotFound {
                    kind: "document",
                    id: document_id.to_string(),
                })?;
        let mut d = self.shown(&stored)?;
        if stored.kind == Kind::Invoice {
            let digits = digits_of(&stored.currency);
            d.applied = store::applied_list(conn, document_id)
                .await?
                .into_iter()
                .map(|(source, kind, amount, day)| pb::AppliedAllocation {
                    document_id: source,
                    kind: Kind::from_name(&kind).map_or(pb::DocumentKind::Unspecified, kind_of)
                        as i32,
                    amount: from_minor(amount, digits),
                    applied_date: date_of_day(day),
                })
                .collect();
        }
        Ok(d)
    }

    fn shown(&self, stored: &StoredDocument) -> Result<pb::ReceivableDocument, ApiError> {
        let mut d = pb::ReceivableDocument::decode(stored.body.as_slice())
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored document: {e}")))?;
        d.open_amount = from_minor(stored.open_amount, digits_of(&stored.currency));
        d.version = stored.version;
        d.create_time = Some(to_timestamp(stored.created_at));
        d.update_time = Some(to_timestamp(stored.updated_at));
        Ok(d)
    }

    /// One document with what is applied to it.
    pub async fn document(&self, document_id: &str) -> Result<pb::ReceivableDocument, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        self.view(&mut conn, document_id).await
    }

    /// A page of a customer's documents.
    pub async fn documents(
        &self,
        customer_id: &str,
        kind: &str,
        open_only: bool,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<pb::ReceivableDocument>, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        store::customer_documents(&mut conn, customer_id, kind, open_only, after, limit)
            .await?
            .iter()
            .map(|d| self.shown(d))
            .collect()
    }

    /// A document's versions.
    pub async fn versions(&self, document_id: &str) -> Result<Vec<pb::DocumentVersion>, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let versions = store::versions(&mut conn, document_id).await?;
        if versions.is_empty() {
            return Err(ApiError::NotFound {
                kind: "document",
                id: document_id.to_string(),
            });
        }
        versions
            .into_iter()
            .map(|(version, body, actor, source, at)| {
                let mut document = pb::ReceivableDocument::decode(body.as_slice())
                    .map_err(|e| ApiError::Internal(anyhow::anyhow!("stored version: {e}")))?;
                document.version = version;
                Ok(pb::DocumentVersion {
                    document: Some(document),
                    actor_subject: actor,
                    source,
                    record_time: Some(to_timestamp(at)),
                })
            })
            .collect()
    }

    /// Aging as of `day`.
    pub async fn aging(
        &self,
        day: i64,
        buckets: Buckets,
        group_by: pb::AgingGroup,
        customer_id: &str,
    ) -> Result<pb::Aging, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let profiles = store::customer_groups(&mut conn).await?;
        let key = |customer: &str| group_key(&profiles, group_by, customer);
        let mut aging = Aging::new(buckets, day);
        for (customer, currency, due_day, open, count) in
            store::open_as_of(&mut conn, day, customer_id).await?
        {
            aging.add_open(&key(&customer), &currency, due_day, open, count);
        }
        for (customer, currency, unapplied) in
            store::unapplied_as_of(&mut conn, day, customer_id).await?
        {
            if unapplied != 0 {
                aging.add_unapplied(&key(&customer), &currency, unapplied);
            }
        }
        let labels = aging.labels();
        Ok(pb::Aging {
            as_of_date: date_of_day(day),
            rows: aging
                .lines
                .iter()
                .map(|((key, currency), line)| {
                    let digits = digits_of(currency);
                    pb::AgingRow {
                        key: key.clone(),
                        currency_code: currency.clone(),
                        buckets: labels
                            .iter()
                            .enumerate()
                            .map(|(i, label)| pb::AgingBucket {
                                label: label.clone(),
                                amount: from_minor(line.amounts[i], digits),
                                invoices: line.invoices[i],
                            })
                            .collect(),
                        total: from_minor(line.total(), digits),
                        overdue: from_minor(line.overdue(), digits),
                        unapplied: from_minor(line.unapplied, digits),
                    }
                })
                .collect(),
        })
    }

    /// DOMAIN.md's collection metrics from `start` to `end` (inclusive), per group and
    /// currency.
    pub async fn metrics(
        &self,
        start: i64,
        end: i64,
        group_by: pb::AgingGroup,
        customer_id: &str,
    ) -> Result<pb::CollectionMetrics, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let profiles = store::customer_groups(&mut conn).await?;
        let key = |customer: &str| group_key(&profiles, group_by, customer);
        let mut figures: BTreeMap<(String, String), Figures> = BTreeMap::new();
        for (customer, currency, sales) in
            store::credit_sales(&mut conn, start, end, customer_id).await?
        {
            figures
                .entry((key(&customer), currency))
                .or_default()
                .credit_sales += sales;
        }
        for (customer, currency, due_day, open, _) in
            store::open_as_of(&mut conn, end, customer_id).await?
        {
            let f = figures.entry((key(&customer), currency)).or_default();
            f.closing += open;
            if due_day >= end {
                f.closing_current += open;
            }
        }
        for (customer, currency, _, open, _) in
            store::open_as_of(&mut conn, start - 1, customer_id).await?
        {
            figures
                .entry((key(&customer), currency))
                .or_default()
                .opening += open;
        }
        // Disputes, promises and write-offs, per the same groups.
        let mut follow_ups: BTreeMap<(String, String), FollowUps> = BTreeMap::new();
        for (customer, currency, amount, count) in
            store::disputes_open_at(&mut conn, end, customer_id).await?
        {
            let f = follow_up(&mut figures, &mut follow_ups, key(&customer), currency);
            f.disputed += amount;
            f.open_disputes += count;
        }
        for (customer, currency, settled, kept) in
            store::promises_settled(&mut conn, start, end, customer_id).await?
        {
            let f = follow_up(&mut figures, &mut follow_ups, key(&customer), currency);
            f.promises_settled += settled;
            f.promises_kept += kept;
        }
        for (customer, currency, amount) in
            store::written_off(&mut conn, start, end, customer_id).await?
        {
            follow_up(&mut figures, &mut follow_ups, key(&customer), currency).written_off +=
                amount;
        }
        for (customer, currency, amount) in
            store::recovered(&mut conn, start, end, customer_id).await?
        {
            follow_up(&mut figures, &mut follow_ups, key(&customer), currency).recovered += amount;
        }
        let days = end - start + 1;
        Ok(pb::CollectionMetrics {
            start_date: date_of_day(start),
            end_date: date_of_day(end),
            days: i32::try_from(days).unwrap_or(i32::MAX),
            rows: figures
                .into_iter()
                .map(|((key, currency), f)| {
                    let digits = digits_of(&currency);
                    let r = ratios(f, days);
                    let u = follow_ups
                        .get(&(key.clone(), currency.clone()))
                        .copied()
                        .unwrap_or_default();
                    let rate = crate::domain::metrics::rate;
                    pb::CollectionMetricsRow {
                        key,
                        currency_code: currency,
                        credit_sales: from_minor(f.credit_sales, digits),
                        opening_receivables: from_minor(f.opening, digits),
                        closing_receivables: from_minor(f.closing, digits),
                        closing_current_receivables: from_minor(f.closing_current, digits),
                        closing_overdue: from_minor(f.closing - f.closing_current, digits),
                        days_sales_outstanding: decimal_text(r.dso),
                        best_possible_dso: decimal_text(r.best_possible_dso),
                        average_days_delinquent: decimal_text(r.add),
                        collection_effectiveness_index: decimal_text(r.cei),
                        overdue_share: decimal_text(r.overdue_share),
                        disputed_amount: from_minor(u.disputed, digits),
                        open_disputes: u.open_disputes,
                        promises_settled: u.promises_settled,
                        promises_kept: u.promises_kept,
                        promise_kept_rate: decimal_text(rate(u.promises_kept, u.promises_settled)),
                        written_off: from_minor(u.written_off, digits),
                        write_off_share: decimal_text(rate(u.written_off, f.credit_sales)),
                        recovered: from_minor(u.recovered, digits),
                    }
                })
                .collect(),
        })
    }
}
