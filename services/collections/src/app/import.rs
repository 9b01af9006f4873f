//! The ledger as the ERP writes it: documents imported row by row (each row valid or named with
//! its problems, a document sent again unchanged is no change), and allocations of credit.
use super::ledger::{Ledger, receivable_changed};
use crate::convert;
use crate::domain::ledger::{
    Booked, Document, Kind, OpenInvoice, Problem, check_allocations, from_minor, problem,
};
use crate::store::{self, StoredDocument};
use credit_platform::begin_mutation;
use credit_platform::calendar;
use credit_platform::clock::Micros;
use credit_platform::context::RequestContext;
use credit_platform::error::{ApiError, FieldViolation};
use credit_platform::mutation;
use credit_platform::outbox::{self, NewEvent, Payload};
use credit_platform::records;
use credit_proto::collections as pb;
use credit_proto::types::Money;
use credit_proto::wire;
use sqlx::AnyConnection;
use std::collections::BTreeSet;

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

/// The canonical form of what the ERP wrote: input fields only, amounts in minor units, so that
/// sending the same document again compares equal.
fn canonical(d: &pb::ReceivableDocument, doc: &Document) -> Booked {
    Booked::of(doc, d.payment_terms_days, &d.order_id, d.reference.trim())
}

impl Ledger {
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
            crate::app::promises::settle(&mut m.tx, context, m.now, customer).await?;
            crate::app::plans::review(&mut m.tx, context, m.now, customer).await?;
            crate::app::behaviour::review(&mut m.tx, context, m.now, customer).await?;
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
        let booked = canonical(sent, doc);
        let body = records::encode(&booked);
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
                payload: Payload::of(&pb::DocumentRecorded {
                    kind: wire::<pb::DocumentKind>(doc.kind.name()),
                    amount: Some(convert::money(doc.amount, &doc.currency)),
                    issue_date: Some(calendar::date(doc.issue_day)),
                    due_date: calendar::optional_date(doc.due_day),
                    allocations: convert::booked(&booked).allocations,
                    reference: booked.reference.clone(),
                    source: source.to_string(),
                    version,
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
        let mut sent = convert::booked(&records::decode::<Booked>(stored.body.clone())?);
        for (i, added) in request.allocations.iter().enumerate() {
            let amount = added.amount.clone().unwrap_or_default();
            if amount.currency_code != stored.currency {
                return Err(FieldViolation::new(
                    format!("allocations[{i}].amount.currency_code"),
                    format!(
                        "allocations are in the document's currency {}",
                        stored.currency
                    ),
                )
                .into());
            }
            match sent
                .allocations
                .iter_mut()
                .find(|a| a.invoice_id == added.invoice_id)
            {
                Some(existing) => {
                    let decimal = |m: &Option<Money>| {
                        m.as_ref()
                            .and_then(|m| m.amount.parse::<rust_decimal::Decimal>().ok())
                            .unwrap_or_default()
                    };
                    let sum = decimal(&existing.amount) + decimal(&added.amount);
                    existing.amount = Some(Money {
                        amount: sum.to_string(),
                        currency_code: stored.currency.clone(),
                    });
                }
                None => sent.allocations.push(added.clone()),
            }
        }
        let doc = crate::convert::document(&sent).map_err(|problems| {
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
}
